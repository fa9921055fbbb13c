"""Zero-DCE's zero-reference losses (Guo et al., CVPR 2020): they judge the enhanced image against the low-light
input alone, so they need no target (``needs_target = False``; ``target`` is ignored).

Defaults are the authors' (Zero-DCE's ``lowlight_train.py``): total = spatial consistency (weight 1) + exposure
control (10; 16×16 patches, E = 0.6) + colour constancy (5) + illumination smoothness (200 on Zero-DCE's 24-channel
curve stack; Zero-DCE++ uses 1600 on its shared 3-channel map). Each formula is the authors', weight included.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from llie.errors import ConfigError
from llie.interfaces import Loss, LossContext

BORDERS = ("zeros", "replicate")


def _gray_pool(x: Tensor, size: int) -> Tensor:
    """Channel mean averaged over non-overlapping ``size×size`` patches (a partial last patch is dropped)."""
    return F.avg_pool2d(x.mean(dim=1, keepdim=True), size)


class ZeroReferenceLoss(Loss):
    """Base of the zero-reference terms: they read the prediction and the context, never the target."""

    needs_target = False

    def _low(self, ctx: LossContext | None) -> Tensor:
        if ctx is None or ctx.low is None:
            raise ConfigError(f"{type(self).__name__} needs the low-light input (LossContext.low)")
        return ctx.low


class SpatialConsistencyLoss(ZeroReferenceLoss):
    """``weight · mean Σ_{n ∈ 4-neighbours} ((Y_p − Y_n) − (I_p − I_n))²`` on ``pool×pool`` region means of the
    channel-averaged prediction ``Y`` and input ``I``: the enhanced image keeps the input's local contrast.

    border: ``zeros`` (the authors': neighbours outside the image are 0, so a uniform brightness change costs
    something at the image edges) or ``replicate`` (only structure counts: a uniform offset costs nothing).
    """

    name = "spatial_consistency"

    def __init__(self, weight: float = 1.0, pool: int = 4, border: str = "zeros", name: str | None = None) -> None:
        super().__init__(weight, name)
        if border not in BORDERS:
            raise ConfigError(f"SpatialConsistencyLoss: border '{border}' is not one of {', '.join(BORDERS)}")
        if pool < 1:
            raise ConfigError(f"SpatialConsistencyLoss: pool must be >= 1, got {pool}")
        self.pool, self.border = int(pool), border

    def forward(self, pred: Tensor, target: Tensor | None = None, ctx: LossContext | None = None) -> Tensor:
        # (Y_p − Y_n) − (I_p − I_n) = d_p − d_n with d = Y − I: only the difference image matters
        d = _gray_pool(pred, self.pool) - _gray_pool(self._low(ctx), self.pool)
        padded = F.pad(d, (1, 1, 1, 1), mode="constant" if self.border == "zeros" else "replicate")
        neighbours = (padded[..., 1:-1, :-2], padded[..., 1:-1, 2:], padded[..., :-2, 1:-1], padded[..., 2:, 1:-1])
        return self.weight * sum((d - n).pow(2) for n in neighbours).mean()


class ExposureControlLoss(ZeroReferenceLoss):
    """``weight · mean((mean of each patch×patch region of the channel-averaged prediction − level)²)``: pulls local
    brightness towards a well-exposed level."""

    name = "exposure"

    def __init__(self, weight: float = 10.0, patch: int = 16, level: float = 0.6, name: str | None = None) -> None:
        super().__init__(weight, name)
        if patch < 1 or not 0.0 < level < 1.0:
            raise ConfigError(f"ExposureControlLoss needs patch >= 1 and 0 < level < 1; got patch={patch}, "
                              f"level={level}")
        self.patch, self.level = int(patch), float(level)

    def forward(self, pred: Tensor, target: Tensor | None = None, ctx: LossContext | None = None) -> Tensor:
        if min(pred.shape[-2:]) < self.patch:
            raise ConfigError(f"ExposureControlLoss: images of {tuple(pred.shape[-2:])} are smaller than one "
                              f"{self.patch}×{self.patch} patch; lower 'patch' or train on larger crops")
        return self.weight * (_gray_pool(pred, self.patch) - self.level).pow(2).mean()


class ColorConstancyLoss(ZeroReferenceLoss):
    """``weight · mean_batch sqrt(Σ_{(p,q) ∈ {RG, RB, GB}} ((J_p − J_q)²)²)`` with ``J_c`` the mean of channel c
    (gray-world assumption). The norm's subgradient at a perfectly gray image is 0 (the authors' ``pow(·, 0.5)``
    gives NaN there); the value is the same."""

    name = "color_constancy"

    def __init__(self, weight: float = 5.0, name: str | None = None) -> None:
        super().__init__(weight, name)

    def forward(self, pred: Tensor, target: Tensor | None = None, ctx: LossContext | None = None) -> Tensor:
        r, g, b = pred.mean(dim=(2, 3)).unbind(dim=1)
        squared = torch.stack([(r - g).pow(2), (r - b).pow(2), (g - b).pow(2)], dim=1)
        return self.weight * torch.linalg.vector_norm(squared, dim=1).mean()


class IlluminationSmoothnessLoss(ZeroReferenceLoss):
    """``weight · 2·(Σ(Δ_y A)² / ((H−1)·W) + Σ(Δ_x A)² / (H·(W−1))) / B`` — total variation of the enhancer's curve
    parameter maps ``A`` (sums over batch and all channels, as the authors'), keeping neighbouring curves alike.

    ``A`` comes from ``ctx.enhancer_outputs[key]`` (``"curves"``, exposed by ZeroDCE / ZeroDCEPP through
    ``Enhancer.loss_outputs()``); an enhancer without it is a config error. Default weight 200 (Zero-DCE); use 1600
    with Zero-DCE++.
    """

    name = "illumination_smoothness"

    def __init__(self, weight: float = 200.0, key: str = "curves", name: str | None = None) -> None:
        super().__init__(weight, name)
        self.key = key

    def forward(self, pred: Tensor, target: Tensor | None = None, ctx: LossContext | None = None) -> Tensor:
        maps = None if ctx is None else ctx.enhancer_outputs.get(self.key)
        if maps is None:
            raise ConfigError(f"{type(self).__name__} needs the enhancer's '{self.key}' maps "
                              f"(Enhancer.loss_outputs()); use an enhancer that exposes them, e.g. ZeroDCE or "
                              f"ZeroDCEPP, or remove this loss")
        h, w = maps.shape[-2:]
        tv = maps.new_zeros(())
        if h > 1:
            tv = tv + (maps[..., 1:, :] - maps[..., :-1, :]).pow(2).sum() / ((h - 1) * w)
        if w > 1:
            tv = tv + (maps[..., :, 1:] - maps[..., :, :-1]).pow(2).sum() / (h * (w - 1))
        return self.weight * 2.0 * tv / maps.shape[0]
