"""Tests for plugins/losses: every registered loss, plus the behaviour each term promises."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie import build
from llie.errors import ConfigError
from llie.interfaces import ImagePrior, LossContext, PriorFeatures, TextPrior
from llie.plugin_door import load_plugins
from llie.registry import LOSSES
from llie.plugins.losses import DecompositionLoss, EdgeLoss, MultimodalLoss, PixelLoss, SemanticLoss
from llie.plugins.retinex import MaxChannelDecomposer, RetinexNetDecomposer

torch.set_num_threads(1)
load_plugins()

#: my losses, all of which read ``pred`` (DecompositionLoss and IlluminationSmoothnessLoss do not, by design;
#: SyntheticToRealConsistencyLoss reads it detached, as its target, and trains the model's second enhancement)
READS_PRED = {"PixelLoss", "EdgeLoss", "SemanticLoss", "MultimodalLoss", "SpatialConsistencyLoss",
              "ExposureControlLoss", "ColorConstancyLoss"}


# --------------------------------------------------------------------------------------------------- fakes
class ConvPrior(ImagePrior):
    """Two feature levels (strides 1 and 2) and 3-class logits from a tiny conv net."""

    strides = (1, 2)
    channels = (4, 6)
    num_classes = 3

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.c1 = nn.Conv2d(3, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 6, 3, stride=2, padding=1)
        self.cls = nn.Conv2d(6, 3, 1)

    def forward(self, x: Tensor) -> PriorFeatures:
        f1 = torch.tanh(self.c1(x))
        f2 = torch.tanh(self.c2(f1))
        return PriorFeatures(levels=[(1, f1), (2, f2)], logits=self.cls(f2), logits_stride=2)


class EmptyPrior(ImagePrior):
    def forward(self, x: Tensor) -> PriorFeatures:
        return PriorFeatures()


class LinearClip(TextPrior):
    """A 2-D "CLIP": the image embedding points along +x for bright images and −x for dark ones."""

    positive_prompts = ("a bright photo",)
    negative_prompts = ("a dark photo",)

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(3, 2)
        with torch.no_grad():
            self.proj.weight.copy_(torch.tensor([[1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 0.0]]))
            self.proj.bias.copy_(torch.tensor([-0.5, 0.3]))
        self.table = {"a bright photo": [1.0, 0.0], "a dark photo": [-1.0, 0.0]}

    def encode_image(self, x: Tensor) -> Tensor:
        return F.normalize(self.proj(x.mean(dim=(2, 3))), dim=1)

    def encode_text(self, prompts: list[str]) -> Tensor:
        return F.normalize(torch.tensor([self.table[p] for p in prompts]), dim=1)


def images(seed: int = 0, size: int = 16) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(2, 3, size, size, generator=g), torch.rand(2, 3, size, size, generator=g)


def full_context(low: Tensor) -> LossContext:
    decomposer = RetinexNetDecomposer(channels=8, layers=1)
    curves = torch.tanh(nn.Conv2d(3, 24, 3, padding=1)(low))  # Zero-DCE-like curve maps, for the smoothness term
    return LossContext(low=low, retinex=decomposer(low), image_prior=ConvPrior().freeze(), text_prior=LinearClip(),
                       decomposer=decomposer, enhancer_outputs={"curves": curves},
                       enhance=lambda x: torch.sigmoid(nn.Conv2d(3, 3, 1)(x)))


# --------------------------------------------------------------------------------------------------- registry
@pytest.mark.parametrize("name", sorted(LOSSES.module_dict))
def test_every_registered_loss_builds_runs_and_backpropagates(name: str) -> None:
    low, target = images()
    pred = (low * 0.5 + 0.25).requires_grad_()
    loss_fn = build("losses", {"type": name})
    value = loss_fn(pred, target, full_context(low))
    assert value.dim() == 0 and torch.isfinite(value)
    assert isinstance(loss_fn.name, str) and loss_fn.name
    value.backward()
    if name in READS_PRED:
        assert pred.grad is not None and pred.grad.abs().sum() > 0
    assert pred.grad is None or torch.isfinite(pred.grad).all()


def test_default_names_are_the_logged_keys() -> None:
    names = {cls.__name__: cls().name for cls in (PixelLoss, EdgeLoss, SemanticLoss, MultimodalLoss,
                                                  DecompositionLoss)}
    assert names == {"PixelLoss": "pixel", "EdgeLoss": "edge", "SemanticLoss": "semantic",
                     "MultimodalLoss": "multimodal", "DecompositionLoss": "decomposition"}
    assert PixelLoss(name="l1_rgb").name == "l1_rgb"


# --------------------------------------------------------------------------------------------------- pixel / edge
@pytest.mark.parametrize("kind", ["l1", "charbonnier", "l2"])
def test_pixel_loss_is_zero_only_on_equal_inputs(kind: str) -> None:
    pred, target = images()
    loss = PixelLoss(kind=kind)
    assert loss(target, target, None).item() == 0.0
    assert loss(pred, target, None).item() > 0.0


def test_pixel_loss_values_and_weight() -> None:
    target = torch.zeros(1, 3, 4, 4)
    pred = torch.full_like(target, 0.5)
    assert PixelLoss(kind="l1")(pred, target, None).item() == pytest.approx(0.5)
    assert PixelLoss(kind="l2")(pred, target, None).item() == pytest.approx(0.25)
    assert PixelLoss(weight=3.0)(pred, target, None).item() == pytest.approx(1.5)


def test_charbonnier_matches_l1_for_large_errors_and_is_smooth_near_zero() -> None:
    target = torch.zeros(1, 3, 4, 4)
    big = torch.full_like(target, 0.5)
    l1 = PixelLoss(kind="l1")(big, target, None).item()
    charb = PixelLoss(kind="charbonnier", eps=1e-3)(big, target, None).item()
    assert charb == pytest.approx(l1, abs=1.1e-3)
    tiny = torch.full_like(target, 1e-5)  # far below eps: quadratic, so much smaller than L1
    assert PixelLoss(kind="charbonnier")(tiny, target, None).item() < 0.1 * PixelLoss()(tiny, target, None).item()


def test_unknown_penalty_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="kind 'huber'"):
        PixelLoss(kind="huber")
    with pytest.raises(ConfigError, match="operator 'canny'"):
        EdgeLoss(operator="canny")


@pytest.mark.parametrize("operator", ["sobel", "laplacian"])
@pytest.mark.parametrize("kind", ["l1", "charbonnier"])
def test_edge_loss_ignores_a_constant_offset_but_sees_structure(operator: str, kind: str) -> None:
    target, _ = images()
    loss = EdgeLoss(operator=operator, kind=kind)
    assert loss(target + 0.3, target, None).item() == pytest.approx(0.0, abs=1e-6)
    blurred = F.avg_pool2d(target, 3, stride=1, padding=1, count_include_pad=False)
    assert loss(blurred, target, None).item() > 1e-3


def test_edge_loss_is_per_channel_so_it_sees_edges_of_equal_luma() -> None:
    # left half pure red, right half a green of the same luma: a gray image would have no edge here
    red = torch.tensor([0.587, 0.0, 0.0]).view(1, 3, 1, 1)
    green = torch.tensor([0.0, 0.299, 0.0]).view(1, 3, 1, 1)
    colour_edge = torch.cat([red.expand(1, 3, 8, 4), green.expand(1, 3, 8, 4)], dim=3)
    flat = torch.full_like(colour_edge, 0.2)
    assert EdgeLoss()(colour_edge, flat, None).item() > 0.01


# --------------------------------------------------------------------------------------------------- semantic
def semantic_setup(seed: int = 1) -> tuple[Tensor, Tensor, LossContext]:
    pred, target = images(seed)
    return pred.requires_grad_(), target, LossContext(low=target * 0.1, image_prior=ConvPrior().freeze())


def test_semantic_loss_zero_weights_give_zero() -> None:
    pred, target, ctx = semantic_setup()
    assert SemanticLoss(level_weights=[0.0, 0.0])(pred, target, ctx).item() == 0.0
    assert SemanticLoss()(target, target, ctx).item() == pytest.approx(0.0, abs=1e-7)


def test_semantic_loss_is_linear_in_the_level_weights() -> None:
    pred, target, ctx = semantic_setup()
    first = SemanticLoss(level_weights=[1.0, 0.0])(pred, target, ctx)
    second = SemanticLoss(level_weights=[0.0, 1.0])(pred, target, ctx)
    both = SemanticLoss(level_weights=[2.0, 0.5])(pred, target, ctx)
    assert first.item() > 0 and second.item() > 0 and first.item() != pytest.approx(second.item())
    assert both.item() == pytest.approx(2 * first.item() + 0.5 * second.item(), rel=1e-5)
    assert SemanticLoss()(pred, target, ctx).item() == pytest.approx(first.item() + second.item(), rel=1e-5)


def test_semantic_loss_logits_and_l2_distance() -> None:
    pred, target, ctx = semantic_setup()
    assert SemanticLoss(level_weights=[0.0, 0.0], use_logits=True)(pred, target, ctx).item() > 0
    l1 = SemanticLoss(distance="l1")(pred, target, ctx).item()
    l2 = SemanticLoss(distance="l2")(pred, target, ctx).item()
    assert l2 != pytest.approx(l1) and l2 > 0


@pytest.mark.parametrize("frozen", [True, False])
def test_semantic_loss_sends_gradients_to_pred_not_to_the_prior(frozen: bool) -> None:
    pred, target, ctx = semantic_setup()
    if not frozen:
        ctx.image_prior = ConvPrior()  # left trainable by mistake: the loss must still not train it
    SemanticLoss()(pred, target, ctx).backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    params = list(ctx.image_prior.parameters())
    assert all(p.grad is None for p in params)
    assert all(p.requires_grad is (not frozen) for p in params)  # flags restored


def test_semantic_loss_feeds_the_prior_the_clamped_prediction() -> None:
    """The prior judges the image that is evaluated: an overshooting prediction scores as its clamped self, and its
    out-of-range pixels get no gradient from this term."""
    pred, target, ctx = semantic_setup()
    wild = (pred.detach() * 1.6 - 0.3).requires_grad_()
    loss = SemanticLoss(use_logits=True)(wild, target, ctx)
    assert loss.item() == SemanticLoss(use_logits=True)(wild.detach().clamp(0, 1), target, ctx).item()
    loss.backward()
    outside = (wild.detach() < 0) | (wild.detach() > 1)
    assert outside.any() and wild.grad[outside].abs().max() == 0 and wild.grad[~outside].abs().sum() > 0


def test_semantic_loss_config_errors() -> None:
    pred, target, ctx = semantic_setup()
    with pytest.raises(ConfigError, match="needs an image prior"):
        SemanticLoss()(pred, target, LossContext(low=target))
    with pytest.raises(ConfigError, match="no features"):
        SemanticLoss()(pred, target, LossContext(low=target, image_prior=EmptyPrior()))
    with pytest.raises(ConfigError, match="level_weights has 3 entries"):
        SemanticLoss(level_weights=[1, 1, 1])(pred, target, ctx)
    with pytest.raises(ConfigError, match="distance"):
        SemanticLoss(distance="cosine")


# --------------------------------------------------------------------------------------------------- multimodal
def grey(level: float) -> Tensor:
    return torch.full((1, 3, 8, 8), level)


def test_multimodal_loss_falls_as_the_image_moves_towards_the_positive_prompt() -> None:
    ctx = LossContext(low=grey(0.1), text_prior=LinearClip())
    loss = MultimodalLoss(temperature=50.0)
    values = [loss(grey(v), grey(0.9), ctx).item() for v in (0.2, 0.5, 0.8)]
    assert values[0] > values[1] > values[2]
    assert values[1] == pytest.approx(math.log(2), rel=1e-4)  # embedding orthogonal to both prompts


def test_multimodal_gradient_step_brightens_and_lowers_the_loss() -> None:
    ctx = LossContext(low=grey(0.1), text_prior=LinearClip())
    loss = MultimodalLoss(temperature=20.0)
    pred = grey(0.4).requires_grad_()
    before = loss(pred, grey(0.9), ctx)
    before.backward()
    assert pred.grad.mean() < 0  # descending the loss raises brightness
    assert all(p.grad is None for p in ctx.text_prior.parameters())
    with torch.no_grad():
        after = loss(pred - 0.5 * pred.grad / pred.grad.abs().max(), grey(0.9), ctx)
    assert after.item() < before.item()


def test_multimodal_image_image_term_adds_one_minus_cosine() -> None:
    prior = LinearClip()
    ctx = LossContext(low=grey(0.1), text_prior=prior)
    pred, target = grey(0.3), grey(0.7)
    plain = MultimodalLoss(temperature=10.0)(pred, target, ctx)
    with_image = MultimodalLoss(temperature=10.0, image_image_weight=0.5)(pred, target, ctx)
    cos = F.cosine_similarity(prior.encode_image(pred), prior.encode_image(target)).item()
    assert cos < 0.99
    assert with_image.item() - plain.item() == pytest.approx(0.5 * (1 - cos), rel=1e-4)


def test_multimodal_loss_config_errors() -> None:
    with pytest.raises(ConfigError, match="needs a text prior"):
        MultimodalLoss()(grey(0.5), grey(0.5), LossContext(low=grey(0.1)))
    prior = LinearClip()
    prior.negative_prompts = ()
    with pytest.raises(ConfigError, match="one negative"):
        MultimodalLoss()(grey(0.5), grey(0.5), LossContext(low=grey(0.1), text_prior=prior))
    with pytest.raises(ConfigError, match="temperature"):
        MultimodalLoss(temperature=0.0)


# --------------------------------------------------------------------------------------------------- decomposition
def test_decomposition_loss_sums_the_decomposers_weighted_terms_and_trains_it() -> None:
    low, high = images(2)
    low = low * 0.2
    decomposer = RetinexNetDecomposer(channels=8, layers=1)
    ctx = LossContext(low=low, retinex=decomposer(low), decomposer=decomposer)
    loss = DecompositionLoss(weight=2.0)
    value = loss(high, high, ctx)
    expected = sum(decomposer.losses(low, ctx.retinex, high, decomposer(high)).values())
    assert value.item() == pytest.approx(2.0 * expected.item(), rel=1e-5)
    assert set(loss.last_terms) == {"recon", "recon_cross", "reflectance", "smooth"}
    value.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in decomposer.parameters())


def frozen_random_decomposer() -> RetinexNetDecomposer:
    with pytest.warns(UserWarning, match="frozen without pretrained"):
        return RetinexNetDecomposer(channels=4, layers=0, frozen=True)


@pytest.mark.parametrize("make", [lambda: None, MaxChannelDecomposer, frozen_random_decomposer],
                         ids=["none", "training-free", "frozen"])
def test_decomposition_loss_is_a_differentiable_zero_without_a_trainable_decomposer(make) -> None:
    decomposer = make()
    low, high = images(3)
    pred = high.clone().requires_grad_()
    ctx = LossContext(low=low, retinex=None if decomposer is None else decomposer(low), decomposer=decomposer)
    value = DecompositionLoss()(pred, high, ctx)
    assert value.item() == 0.0
    value.backward()
    assert pred.grad is not None and pred.grad.abs().sum() == 0
