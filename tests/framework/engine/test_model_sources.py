"""Losses on batches of several data sources: each loss sees only the samples it applies to (a target-needing loss
never an unpaired sample, a ``sources``-restricted loss only its sources), per-source terms are logged as
``loss_<name>_<source>``, the loss context is sliced alike — and a plain batch is exactly as before."""
from __future__ import annotations

import pytest
import torch
from torch import Tensor

from llie.errors import ConfigError
from llie.interfaces import Loss, LossContext
from llie.registry import build

TINY_PRIOR = {"type": "HRNetPrior", "variant": "tiny", "num_classes": 3, "pretrained": None}


class Recorder(Loss):
    """Records what it was given; its value is the mean prediction (a mean over the samples it sees)."""

    calls: list = []

    def __init__(self, weight: float = 1.0, name: str | None = None, target: bool = True) -> None:
        super().__init__(weight, name)
        self.needs_target = target

    def forward(self, pred: Tensor, target: Tensor, ctx: LossContext) -> Tensor:
        Recorder.calls.append({"name": self.name, "pred": pred.detach(), "target": target, "ctx": ctx})
        return self.weight * pred.mean()


@pytest.fixture(autouse=True)
def _clear():
    Recorder.calls = []


def model(losses, **parts):
    return build("models", {"type": "SemanticPriorModel", "enhancer": {"type": "UNet", "base_channels": 4, "depth": 1},
                            "losses": losses, **parts})


def mixed_batch(sources=("synthetic", "real", "synthetic", "real", "real"), seed=0):
    gen = torch.Generator().manual_seed(seed)
    n = len(sources)
    has_target = torch.tensor([s == "synthetic" for s in sources])
    gt = torch.rand(n, 3, 8, 8, generator=gen) * has_target.view(-1, 1, 1, 1)
    return torch.rand(n, 3, 8, 8, generator=gen), {"gt": gt, "has_target": has_target, "source": list(sources),
                                                   "name": [f"img{i}" for i in range(n)]}


LOSSES = [{"type": Recorder, "name": "paired", "target": True},
          {"type": Recorder, "name": "free", "target": False},
          {"type": Recorder, "name": "real_only", "target": False, "sources": ["real"]}]


def test_each_loss_sees_only_the_samples_it_applies_to_and_is_logged_per_source():
    m = model(LOSSES)
    inputs, samples = mixed_batch()
    terms = m(inputs, samples, mode="loss")
    assert sorted(terms) == ["loss_free_real", "loss_free_synthetic", "loss_paired_synthetic", "loss_real_only_real"]
    out = m(inputs, mode="tensor")
    seen = {(c["name"], tuple(c["ctx"].low.shape)): c for c in Recorder.calls}
    by_name = {}
    for call in Recorder.calls:
        rows = [next(i for i in range(len(inputs)) if torch.equal(inputs[i], low)) for low in call["ctx"].low]
        by_name.setdefault(call["name"], []).append(rows)
        assert torch.allclose(call["pred"], out[rows], atol=1e-6)  # the prediction is sliced like the input
    assert by_name["paired"] == [[0, 2]]                 # never an unpaired sample
    assert by_name["free"] == [[0, 2], [1, 3, 4]]         # each source separately, in batch order
    assert by_name["real_only"] == [[1, 3, 4]]            # only its source
    assert all(torch.count_nonzero(c["target"]) == c["target"].numel() for c in Recorder.calls if c["name"] == "paired")
    assert seen  # every call recorded a context
    # each term is a mean over that source's samples (so a source's weight does not follow its share)
    assert torch.allclose(terms["loss_free_real"], out[[1, 3, 4]].mean())
    assert torch.allclose(terms["loss_free_synthetic"], out[[0, 2]].mean())


def test_the_context_is_sliced_per_source():
    m = model([{"type": Recorder, "name": "free", "target": False}], image_prior=TINY_PRIOR)
    inputs, samples = mixed_batch()
    m(inputs, samples, mode="loss")
    full = m.prior_features(inputs)
    real = [c for c in Recorder.calls if c["pred"].shape[0] == 3][0]["ctx"]
    assert torch.equal(real.low, inputs[[1, 3, 4]])
    for (stride, sliced), (_, whole) in zip(real.prior_features.levels, full.levels):
        assert torch.allclose(sliced, whole[[1, 3, 4]], atol=1e-6)
    assert real.image_prior is m.image_prior and callable(real.enhance)


def test_enhancer_outputs_and_retinex_are_sliced_too():
    ctx = LossContext(low=torch.arange(4.0).view(4, 1, 1, 1).expand(4, 3, 2, 2),
                      enhancer_outputs={"curves": torch.arange(4.0).view(4, 1, 1, 1)})
    from llie.interfaces import Retinex

    ctx.retinex = Retinex(ctx.low.clone(), ctx.low[:, :1].clone())
    part = ctx.select(torch.tensor([3, 1]))
    assert part.low[:, 0, 0, 0].tolist() == [3.0, 1.0]
    assert part.enhancer_outputs["curves"].flatten().tolist() == [3.0, 1.0]
    assert part.retinex.illumination.flatten().tolist()[::4] == [3.0, 1.0]


def test_a_restricted_loss_naming_an_unknown_source_fails():
    m = model([{"type": Recorder, "name": "x", "target": False, "sources": ["rael"]}])
    with pytest.raises(ConfigError, match=r"sources \['rael'\] are not among"):
        m(*mixed_batch(), mode="loss")


@pytest.mark.parametrize("bad", [[], "", [1], {"a": 1}])
def test_bad_sources_key_fails_naming_the_loss(bad):
    with pytest.raises(ConfigError, match=r"model.losses\[0\].sources"):
        model([{"type": Recorder, "sources": bad}])


def test_plain_batch_keeps_plain_keys_and_leaves_restricted_losses_out():
    m = model(LOSSES)
    inputs, samples = mixed_batch()
    plain = {"gt": samples["gt"], "name": samples["name"]}
    assert sorted(m(inputs, plain, mode="loss")) == ["loss_free", "loss_paired"]


def test_plain_batch_loss_is_bit_identical_to_the_plain_path():
    torch.manual_seed(0)
    m = model([{"type": "PixelLoss", "kind": "charbonnier"}, {"type": "SpatialConsistencyLoss"}])
    inputs, gt = torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16)
    terms = m(inputs, {"gt": gt, "name": list("abcd")}, mode="loss")
    out, ctx = m.enhance(inputs)
    assert list(terms) == ["loss_pixel", "loss_spatial_consistency"]
    assert torch.equal(terms["loss_pixel"], m.losses[0](out, gt, ctx))
    assert torch.equal(terms["loss_spatial_consistency"], m.losses[1](out, gt, ctx))


def test_one_source_gives_the_plain_numbers_under_a_per_source_key():
    torch.manual_seed(0)
    m = model([{"type": "PixelLoss", "kind": "charbonnier"}])
    inputs, gt = torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16)
    plain = m(inputs, {"gt": gt}, mode="loss")["loss_pixel"]
    mixed = m(inputs, {"gt": gt, "has_target": torch.ones(4, dtype=torch.bool), "source": ["syn"] * 4},
              mode="loss")
    assert list(mixed) == ["loss_pixel_syn"] and torch.allclose(mixed["loss_pixel_syn"], plain, rtol=1e-6)


def test_stage_loss_names_select_every_source_term_of_that_loss():
    m = model(LOSSES)
    m.configure_stage(losses=["free"])
    assert sorted(m(*mixed_batch(), mode="loss")) == ["loss_free_real", "loss_free_synthetic"]


def test_loss_context_offers_the_model_enhancement_in_loss_mode():
    m = model([{"type": Recorder, "name": "free", "target": False}])
    inputs, samples = mixed_batch()
    m(inputs, samples, mode="loss")
    ctx = Recorder.calls[0]["ctx"]
    probe = torch.rand(2, 3, 8, 8)
    assert torch.equal(ctx.enhance(probe), m(probe, mode="tensor"))
