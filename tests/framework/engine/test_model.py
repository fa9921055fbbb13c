from __future__ import annotations

import pytest
import torch

from llie.errors import ConfigError
from llie.registry import build

TINY_PRIOR = {"type": "HRNetPrior", "variant": "tiny", "num_classes": 3, "pretrained": None}


def model(**parts):
    return build("models", {"type": "SemanticPriorModel",
                            "enhancer": {"type": "UNet", "base_channels": 4, "depth": 1}, **parts})


def test_random_init_prior_is_identical_across_seeds_but_trainable_parts_are_not():
    torch.manual_seed(0)
    a = model(image_prior=TINY_PRIOR)
    torch.manual_seed(1)
    b = model(image_prior=TINY_PRIOR)
    for (k, va), vb in zip(a.image_prior.state_dict().items(), b.image_prior.state_dict().values()):
        assert torch.equal(va, vb), k
    assert not torch.equal(a.enhancer.head.weight, b.enhancer.head.weight)


@pytest.mark.parametrize("absent", [None, "none", "None", {"type": "none"}])
def test_none_switches_optional_parts_off(absent):
    m = model(decomposer=absent, image_prior=absent, text_prior=absent, illumination_adjuster=absent)
    assert m.decomposer is None and m.image_prior is None and m.text_prior is None
    assert m.illumination_adjuster is None


def test_output_keeps_any_input_size():
    m = model(image_prior=TINY_PRIOR)
    assert m(torch.rand(2, 3, 37, 51)).shape == (2, 3, 37, 51)


def test_predict_clamps_and_names_each_image():
    m = model()
    out = m(torch.rand(2, 3, 8, 8), {"gt": torch.rand(2, 3, 8, 8), "name": ["a", "b"]}, mode="predict")
    assert [o["name"] for o in out] == ["a", "b"]
    assert all(0 <= float(o["pred"].min()) and float(o["pred"].max()) <= 1 for o in out)


def test_predict_without_ground_truth_returns_pred_and_name_only():
    m = model()
    out = m(torch.rand(2, 3, 8, 8), {"name": ["a", "b"]}, mode="predict")
    assert [sorted(o) for o in out] == [["name", "pred"], ["name", "pred"]]
    assert [o["name"] for o in out] == ["a", "b"] and out[0]["pred"].shape == (3, 8, 8)
    with_gt = m(torch.rand(1, 3, 8, 8), {"gt": torch.full((1, 3, 8, 8), 0.5), "name": ["a"]}, mode="predict")
    assert torch.equal(with_gt[0]["gt"], torch.full((3, 8, 8), 0.5))


def test_loss_still_needs_ground_truth():
    m = model()
    with pytest.raises(ValueError, match="needs data_samples with a 'gt' tensor"):
        m(torch.rand(1, 3, 8, 8), {"name": ["a"]}, mode="loss")


def test_adjuster_without_decomposer_is_a_config_error():
    m = model(illumination_adjuster={"type": "GammaIllumination"})
    with pytest.raises(ConfigError, match="illumination_adjuster needs a model.decomposer"):
        m(torch.rand(1, 3, 8, 8))


def test_duplicate_loss_names_are_refused():
    with pytest.raises(ConfigError, match="share the name"):
        model(losses=[{"type": "PixelLoss"}, {"type": "PixelLoss", "kind": "l2"}])
