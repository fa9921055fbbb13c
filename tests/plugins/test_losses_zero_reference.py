"""Zero-DCE's zero-reference losses on hand-made inputs: each is zero exactly where its definition says, has the
authors' value elsewhere, declares that it needs no target, and trains Zero-DCE from scratch."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from llie.errors import ConfigError
from llie.interfaces import LossContext
from llie.plugin_door import load_plugins
from llie.plugins.losses import (ColorConstancyLoss, ExposureControlLoss, IlluminationSmoothnessLoss,
                                 SpatialConsistencyLoss)
from llie.registry import REGISTRIES, build

torch.set_num_threads(1)
load_plugins()

ZERO_REFERENCE = {"SpatialConsistencyLoss", "ExposureControlLoss", "ColorConstancyLoss", "IlluminationSmoothnessLoss"}
#: every loss that trains on images without ground truth: the zero-reference terms and the self-supervised ones
NO_TARGET = ZERO_REFERENCE | {"SyntheticToRealConsistencyLoss"}


def ctx_for(low: torch.Tensor, **outputs: torch.Tensor) -> LossContext:
    return LossContext(low=low, enhancer_outputs=dict(outputs))


@pytest.mark.parametrize("name", sorted(REGISTRIES["losses"].module_dict))
def test_needs_target_is_declared(name):
    cls = REGISTRIES["losses"].module_dict[name]
    assert isinstance(cls.needs_target, bool)
    assert cls.needs_target is (name not in NO_TARGET)


def test_authors_default_weights():
    assert SpatialConsistencyLoss().weight == 1.0
    exposure = ExposureControlLoss()
    assert (exposure.weight, exposure.patch, exposure.level) == (10.0, 16, 0.6)
    assert ColorConstancyLoss().weight == 5.0
    assert IlluminationSmoothnessLoss().weight == 200.0


# ------------------------------------------------------------------------------------------------------ exposure
def test_exposure_is_zero_at_the_target_level():
    loss = ExposureControlLoss(weight=1.0)
    assert float(loss(torch.full((2, 3, 32, 48), 0.6), None, None)) < 1e-12
    # texture inside each 16×16 patch and across channels does not count, only the patch mean
    pattern = 0.6 + 0.2 * torch.tensor([1.0, -1.0]).repeat(8).view(1, 1, 1, 16)
    textured = pattern.expand(1, 3, 16, 16).clone()
    textured[:, 0] += 0.1
    textured[:, 1] -= 0.1
    assert float(loss(textured, None, None)) < 1e-12


def test_exposure_value_and_patch_grid():
    img = torch.full((1, 3, 32, 32), 0.3)
    img[..., :16, :16] = 0.6  # one of four patches well exposed
    assert float(ExposureControlLoss()(img, None, None)) == pytest.approx(10 * 3 / 4 * 0.3 ** 2, rel=1e-5)
    with pytest.raises(ConfigError, match="smaller than one 16"):
        ExposureControlLoss()(torch.rand(1, 3, 8, 40), None, None)


# ------------------------------------------------------------------------------------------------ colour constancy
def test_color_constancy_is_zero_on_gray_images_with_finite_gradient():
    gray = torch.rand(2, 1, 16, 16).expand(2, 3, 16, 16).clone().requires_grad_(True)
    value = ColorConstancyLoss()(gray, None, None)
    assert float(value.detach()) == 0.0
    value.backward()
    assert torch.isfinite(gray.grad).all()


def test_color_constancy_value_on_a_colour_cast():
    img = torch.tensor([0.5, 0.3, 0.1]).view(1, 3, 1, 1).expand(1, 3, 8, 8)
    expected = 5 * math.sqrt(0.2 ** 4 + 0.4 ** 4 + 0.2 ** 4)
    assert float(ColorConstancyLoss()(img, None, None)) == pytest.approx(expected, rel=1e-5)


# --------------------------------------------------------------------------------------------- spatial consistency
def test_spatial_consistency_is_zero_when_pred_keeps_the_input_structure():
    low = torch.rand(2, 3, 32, 40) * 0.3
    assert float(SpatialConsistencyLoss()(low.clone(), None, ctx_for(low))) == 0.0
    # a uniform brightening keeps every local difference: zero with the 'replicate' border
    brighter = low + 0.25
    assert float(SpatialConsistencyLoss(border="replicate")(brighter, None, ctx_for(low))) < 1e-12
    # channel changes that keep the channel mean do not count either (the term reads the channel average)
    swapped = low[:, [2, 0, 1]]
    assert float(SpatialConsistencyLoss()(swapped, None, ctx_for(low))) < 1e-12
    flat = torch.full_like(low, float(low.mean()))  # structure lost
    assert float(SpatialConsistencyLoss(border="replicate")(flat, None, ctx_for(low))) > 1e-4


def test_spatial_consistency_authors_border_counts_a_uniform_offset_at_the_edges():
    low = torch.rand(1, 3, 24, 32) * 0.3
    c = 0.25
    value = float(SpatialConsistencyLoss()(low + c, None, ctx_for(low)))
    h, w = 24 // 4, 32 // 4  # 4×4 region means: each edge cell has its outside neighbours at 0
    assert value == pytest.approx(c ** 2 * (2 * h + 2 * w) / (h * w), rel=1e-4)


def test_spatial_consistency_equals_the_directional_difference_definition():
    """The paper's form: four directional differences of region means, compared between output and input."""
    low, pred = torch.rand(2, 3, 20, 28) * 0.3, torch.rand(2, 3, 20, 28)
    kernels = torch.zeros(4, 1, 3, 3)
    for k, (i, j) in enumerate([(1, 0), (1, 2), (0, 1), (2, 1)]):  # left, right, up, down neighbour
        kernels[k, 0, 1, 1], kernels[k, 0, i, j] = 1.0, -1.0

    def directional(x):
        return F.conv2d(F.avg_pool2d(x.mean(1, keepdim=True), 4), kernels, padding=1)

    expected = (directional(pred) - directional(low)).pow(2).sum(1).mean()
    got = SpatialConsistencyLoss()(pred, None, ctx_for(low))
    assert float(got) == pytest.approx(float(expected), rel=1e-5)


# ---------------------------------------------------------------------------------------- illumination smoothness
def test_illumination_smoothness_is_zero_on_constant_maps():
    maps = torch.full((2, 24, 16, 16), 0.3)
    assert float(IlluminationSmoothnessLoss()(torch.rand(2, 3, 16, 16), None, ctx_for(None, curves=maps))) == 0.0


def test_illumination_smoothness_value_on_a_ramp():
    b, c, h, w = 2, 3, 5, 7
    maps = (0.1 * torch.arange(w, dtype=torch.float32)).expand(b, c, h, w)  # horizontal steps of 0.1
    value = IlluminationSmoothnessLoss(weight=1.0)(maps, None, ctx_for(None, curves=maps))
    expected = 2 * (0.0 + b * c * h * (w - 1) * 0.01 / (h * (w - 1))) / b
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_illumination_smoothness_without_curve_maps_names_the_fix():
    with pytest.raises(ConfigError, match="ZeroDCE"):
        IlluminationSmoothnessLoss()(torch.rand(1, 3, 8, 8), None, ctx_for(torch.rand(1, 3, 8, 8)))


# ---------------------------------------------------------------------------------------------- training from scratch
def scratch_model():
    torch.manual_seed(0)
    return build("models", {"type": "SemanticPriorModel", "enhancer": {"type": "ZeroDCE", "pretrained": None},
                            "losses": [{"type": n} for n in ("SpatialConsistencyLoss", "ExposureControlLoss",
                                                             "ColorConstancyLoss", "IlluminationSmoothnessLoss")]})


def test_zero_dce_from_scratch_training_steps_reduce_the_zero_reference_loss():
    model = scratch_model()
    low = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 0.15
    samples = {"gt": torch.zeros_like(low)}  # ignored by every zero-reference term
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in model.parameters()]

    def total() -> torch.Tensor:
        return sum(model(low, samples, mode="loss").values())

    start = float(total().detach())
    for _ in range(5):
        optimizer.zero_grad()
        total().backward()
        optimizer.step()
    assert float(total().detach()) < start
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_zero_dce_scratch_config_trains(tmp_path):
    from llie.cli.main import main

    work = tmp_path / "work"
    code = main(["train", "experiments/baselines/published/zero_dce_scratch.yaml", "--work-dir", str(work),
                 "--no-progress", "--set", "train.max_iters=2", "--set", "train.val_interval=2",
                 "--set", "train.checkpoint_interval=2", "--set", "data.batch_size=2",
                 "--set", "data.train.variants_per_image=1", "--set", "data.val.variants_per_image=1"])
    assert code == 0
    assert (work / "last_checkpoint").is_file()
