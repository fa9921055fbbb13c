"""Every enhancer the 'deepspg' and 'baselines' plugins register is built from the registry and run once."""
from __future__ import annotations

import pytest
import torch

from llie.interfaces import Enhancer, PriorFeatures
from llie.plugin_door import provider_of
from llie.registry import build

TINY = {
    "SemanticAwareEnhancer": dict(base_channels=8, levels=2, sem_scales=[1, 2], ffn_expansion=1.5),
    "Retinexformer": dict(n_feat=8, num_blocks=[1, 1, 1]),
    "GammaCorrection": dict(),
    "HistogramEqualization": dict(),
}


def fake_prior(batch: int, h: int, w: int) -> PriorFeatures:
    strides, channels = (4, 8, 16, 32), (8, 16, 32, 64)
    levels = [(s, torch.randn(batch, c, -(-h // s), -(-w // s))) for s, c in zip(strides, channels)]
    return PriorFeatures(levels, torch.randn(batch, 5, h, w), 1)


def padded(x: torch.Tensor, multiple: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    return torch.nn.functional.pad(x, (0, -w % multiple, 0, -h % multiple), mode="reflect")


@pytest.mark.parametrize("name", sorted(TINY))
def test_registered_enhancer_runs(name):
    assert provider_of("enhancers", name) in {"deepspg", "baselines"}
    torch.manual_seed(0)
    model = build("enhancers", {"type": name, **TINY[name]}).eval()
    assert isinstance(model, Enhancer)
    model.bind_prior((4, 8, 16, 32), (8, 16, 32, 64), 5)
    x = padded(torch.rand(2, 3, 32, 48), model.pad_multiple)
    with torch.no_grad():
        for prior in (fake_prior(2, *x.shape[-2:]), None):
            y = model(x, prior if model.uses_prior else None)
            assert y.shape == x.shape and torch.isfinite(y).all()
