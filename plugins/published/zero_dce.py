"""Zero-DCE (Guo et al., CVPR 2020) and Zero-DCE++ (Li et al., TPAMI 2021): an image-specific tone curve per pixel.

A small network estimates curve parameters ``α ∈ [−1, 1]`` (tanh); the curve ``x ← x + α·(x² − x)`` is applied
``iterations`` times. It maps ``[0, 1]`` into ``[0, 1]`` and is monotonic, so the output needs no clamp. (The papers
write ``x + α·x·(1 − x)``; the released code and weights use the opposite sign of ``α``, as here.)

Zero-DCE estimates one 3-channel map per iteration (24 channels); Zero-DCE++ uses depthwise-separable convolutions,
one 3-channel map shared by all iterations, and estimates it on the input downscaled by ``scale_factor``.
Both expose their curve maps through ``loss_outputs()["curves"]`` for the illumination-smoothness loss.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie.engine.padding import pad_to_multiple
from llie.errors import ConfigError
from llie.interfaces import PriorFeatures, Retinex

from .frozen import PublishedEnhancer

CURVES_KEY = "curves"


def apply_curves(x: Tensor, alphas: Iterable[Tensor]) -> Tensor:
    """One light-enhancement curve step ``x + α·(x² − x)`` per parameter map (each broadcast against ``x``)."""
    for alpha in alphas:
        x = x + alpha * (torch.pow(x, 2) - x)
    return x


class DepthwiseSeparableConv(nn.Module):
    """3×3 depthwise conv followed by a 1×1 pointwise conv, both with bias (Zero-DCE++'s building block)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.depth_conv = nn.Conv2d(cin, cin, kernel_size=3, padding=1, groups=cin)
        self.point_conv = nn.Conv2d(cin, cout, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.point_conv(self.depth_conv(x))


def _plain_conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, padding=1)


class CurveEnhancer(PublishedEnhancer):
    """The curve-estimation network of both papers: seven convolutions ``e_conv1..7`` of ``width`` channels with
    ReLU and symmetric skip concatenations (3+4 → 5, 2+5 → 6, 1+6 → 7), tanh on the last.

    The layers sit at the top level under the official files' names, so those load without renaming.
    """

    uses_prior = False

    def __init__(self, conv: Callable[[int, int], nn.Module], curve_channels: int, width: int,
                 iterations: int) -> None:
        super().__init__()
        name = type(self).__name__
        if width < 1 or iterations < 1:
            raise ConfigError(f"{name} needs width >= 1 and iterations >= 1; got width={width}, "
                              f"iterations={iterations}")
        self.iterations = int(iterations)
        self.e_conv1 = conv(3, width)
        self.e_conv2 = conv(width, width)
        self.e_conv3 = conv(width, width)
        self.e_conv4 = conv(width, width)
        self.e_conv5 = conv(2 * width, width)
        self.e_conv6 = conv(2 * width, width)
        self.e_conv7 = conv(2 * width, curve_channels)

    def estimate(self, x: Tensor) -> Tensor:
        """Curve parameter maps of ``x``, in ``[−1, 1]``, at ``x``'s size."""
        x1 = F.relu(self.e_conv1(x))
        x2 = F.relu(self.e_conv2(x1))
        x3 = F.relu(self.e_conv3(x2))
        x4 = F.relu(self.e_conv4(x3))
        x5 = F.relu(self.e_conv5(torch.cat([x3, x4], dim=1)))
        x6 = F.relu(self.e_conv6(torch.cat([x2, x5], dim=1)))
        return torch.tanh(self.e_conv7(torch.cat([x1, x6], dim=1)))


class ZeroDCE(CurveEnhancer):
    """Zero-DCE: 3×3 convolutions (``width`` 32), one 3-channel curve map per iteration (8 → 24 channels).

    Args:
        pretrained: zoo name ``zero_dce`` (default; the authors' ``Epoch99.pth``) or a path; null trains from
            scratch with the authors' initialisation (conv weights ~ N(0, 0.02)), e.g. with the zero-reference
            losses (``experiments/baselines/published/zero_dce_scratch.yaml``).
        finetune: keep loaded weights trainable (default: frozen, inference only).
        iterations, width: 8 and 32 in the released weights.

    ``loss_outputs()["curves"]`` is the last ``B×3·iterations×H×W`` map stack (the authors' ``A``).
    """

    def __init__(self, pretrained: str | None = "zero_dce", finetune: bool = False, iterations: int = 8,
                 width: int = 32) -> None:
        super().__init__(_plain_conv, 3 * iterations, width, iterations)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.normal_(module.weight, 0.0, 0.02)
        self.load_weights(pretrained, finetune)

    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor:
        curves = self.estimate(x)
        self.remember(**{CURVES_KEY: curves})
        return apply_curves(x, torch.split(curves, 3, dim=1))


class ZeroDCEPP(CurveEnhancer):
    """Zero-DCE++: depthwise-separable convolutions, one 3-channel curve map shared by all iterations, estimated at
    ``1/scale_factor`` of the input size.

    The input is downscaled with ``F.interpolate(bilinear, align_corners=False)`` by the factor and the map upscaled
    back bilinearly with ``align_corners=True`` (``nn.UpsamplingBilinear2d``), as in the authors' code.

    Sizes: their test script crops H and W down to multiples of the factor (dropping up to ``scale_factor − 1``
    bottom rows and right columns). Here nothing is dropped and the authors' result is kept where they compute one:
    the curve map is estimated on that same crop (so the output there equals theirs exactly), and the dropped rows and
    columns take the curve parameters of the nearest estimated pixel (the map is edge-replicated; curve maps are
    smooth by training). An image smaller than the factor is padded up to it (reflect, or replicate when too small)
    for the estimate. Output size = input size; ``pad_multiple`` stays 1.

    Args:
        pretrained: zoo name ``zero_dce_pp`` (default; the authors' ``Epoch99.pth``) or a path; null: random init.
        finetune: keep loaded weights trainable (default: frozen, inference only).
        scale_factor: the integer downscaling factor (12 in the authors' test script — the default; they train
            with 1).
        iterations, width: 8 and 32 in the released weights.

    ``loss_outputs()["curves"]`` is the last full-size ``B×3×H×W`` map (the authors' ``x_r``).
    """

    def __init__(self, pretrained: str | None = "zero_dce_pp", finetune: bool = False, scale_factor: int = 12,
                 iterations: int = 8, width: int = 32) -> None:
        super().__init__(DepthwiseSeparableConv, 3, width, iterations)
        if isinstance(scale_factor, bool) or not isinstance(scale_factor, int) or scale_factor < 1:
            raise ConfigError(f"ZeroDCEPP.scale_factor must be an integer >= 1, got {scale_factor!r}")
        self.scale_factor = scale_factor
        self.load_weights(pretrained, finetune)

    def curve_map(self, x: Tensor) -> Tensor:
        """The shared curve map of ``x`` (H, W multiples of ``scale_factor``), at ``x``'s size."""
        s = self.scale_factor
        if s == 1:
            return self.estimate(x)
        small = F.interpolate(x, scale_factor=1 / s, mode="bilinear", align_corners=False)
        return F.interpolate(self.estimate(small), scale_factor=s, mode="bilinear", align_corners=True)

    def full_size_curve_map(self, x: Tensor) -> Tensor:
        """:meth:`curve_map` of the largest top-left crop with sides multiple of the factor, edge-replicated to
        ``x``'s size (sides shorter than the factor are padded up to it for the estimate, then cropped)."""
        s = self.scale_factor
        h, w = x.shape[-2:]
        base, _ = pad_to_multiple(x[..., : max(h // s, 1) * s, : max(w // s, 1) * s], s)
        alpha = self.curve_map(base)[..., :h, :w]
        return F.pad(alpha, (0, w - alpha.shape[-1], 0, h - alpha.shape[-2]), mode="replicate")

    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor:
        alpha = self.full_size_curve_map(x)
        self.remember(**{CURVES_KEY: alpha})
        return apply_curves(x, [alpha] * self.iterations)
