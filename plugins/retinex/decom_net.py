"""A learned Retinex decomposition in the style of RetinexNet's DecomNet (Wei et al., BMVC 2018)."""
from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie.errors import ConfigError
from llie.interfaces import Decomposer, Retinex

from .filters import box_mean, forward_differences, rgb_to_gray
from .weights import load_module_weights


def _conv(cin: int, cout: int, k: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, padding=k // 2, padding_mode="replicate")


class RetinexNetDecomposer(Decomposer):
    """Input ⊕ its max channel → a wide shallow conv (``3·kernel_size``) → ``layers`` conv+ReLU → 4 channels →
    sigmoid; the first three are R, the last L.

    ``losses`` gives RetinexNet's terms, each already multiplied by its weight:

    * ``recon``: ``|R_low·L_low − low| + |R_high·L_high − high|`` (``recon_weight``);
    * ``recon_cross``: ``|R_high·L_low − low| + |R_low·L_high − high|`` (``cross_weight``, small);
    * ``reflectance``: ``|R_low − R_high|`` (``reflectance_weight``);
    * ``smooth``: structure-aware illumination smoothness ``|∇L| · exp(−smooth_lambda · |∇gray(I)|)``
      (``smooth_weight``), the input's gradient box-averaged over 3×3 so that noise does not count as structure.
      RetinexNet weighs by the reflectance's gradient; the input's is used here so the term cannot be lowered by
      blurring R. Without a high image only the low-light terms are returned.

    ``pretrained``: a local checkpoint (bare state dict, wrapped, or a whole model's with ``decomposer.`` keys).
    ``frozen``: no gradients, eval mode, and ``trainable`` False (the decomposition loss then contributes zero).
    """

    def __init__(self, channels: int = 32, layers: int = 5, kernel_size: int = 3, pretrained: str | None = None,
                 frozen: bool = False, recon_weight: float = 1.0, cross_weight: float = 0.001,
                 reflectance_weight: float = 0.01, smooth_weight: float = 0.1, smooth_lambda: float = 10.0) -> None:
        super().__init__()
        if channels < 1 or layers < 0 or kernel_size < 1 or kernel_size % 2 == 0:
            raise ConfigError(f"RetinexNetDecomposer: need channels >= 1, layers >= 0 and an odd kernel_size; got "
                              f"channels={channels}, layers={layers}, kernel_size={kernel_size}")
        body: list[nn.Module] = [_conv(4, channels, kernel_size * 3)]
        for _ in range(layers):
            body += [_conv(channels, channels, kernel_size), nn.ReLU(inplace=True)]
        body.append(_conv(channels, 4, kernel_size))
        self.net = nn.Sequential(*body)
        self.term_weights = {"recon": float(recon_weight), "recon_cross": float(cross_weight),
                        "reflectance": float(reflectance_weight), "smooth": float(smooth_weight)}
        self.smooth_lambda = float(smooth_lambda)
        self.pretrained = pretrained
        if pretrained:
            load_module_weights(self, pretrained, what=f"{type(self).__name__}.pretrained")
        self.frozen = bool(frozen)
        self.trainable = not self.frozen
        if self.frozen:
            if not pretrained:
                warnings.warn("RetinexNetDecomposer is frozen without pretrained weights: its decomposition stays "
                              "random", UserWarning, stacklevel=2)
            for p in self.parameters():
                p.requires_grad_(False)
            super().train(False)

    def train(self, mode: bool = True) -> "RetinexNetDecomposer":
        return super().train(mode and not getattr(self, "frozen", False))

    def forward(self, x: Tensor) -> Retinex:
        out = torch.sigmoid(self.net(torch.cat([x, x.amax(dim=1, keepdim=True)], dim=1)))
        return Retinex(reflectance=out[:, :3], illumination=out[:, 3:4])

    def smoothness(self, illumination: Tensor, image: Tensor) -> Tensor:
        ldx, ldy = forward_differences(illumination)
        gdx, gdy = forward_differences(rgb_to_gray(image))
        gdx, gdy = box_mean(gdx, 1), box_mean(gdy, 1)
        return (ldx * torch.exp(-self.smooth_lambda * gdx) + ldy * torch.exp(-self.smooth_lambda * gdy)).mean()

    def losses(self, low: Tensor, low_retinex: Retinex, high: Tensor | None = None,
               high_retinex: Retinex | None = None) -> dict[str, Tensor]:
        r_low, l_low = low_retinex.reflectance, low_retinex.illumination
        recon = F.l1_loss(r_low * l_low, low)
        smooth = self.smoothness(l_low, low)
        terms = {}
        if high is not None:
            if high_retinex is None:
                high_retinex = self(high)
            r_high, l_high = high_retinex.reflectance, high_retinex.illumination
            recon = recon + F.l1_loss(r_high * l_high, high)
            terms["recon_cross"] = F.l1_loss(r_high * l_low, low) + F.l1_loss(r_low * l_high, high)
            terms["reflectance"] = F.l1_loss(r_low, r_high)
            smooth = smooth + self.smoothness(l_high, high)
        terms["recon"] = recon
        terms["smooth"] = smooth
        return {name: self.term_weights[name] * value for name, value in terms.items()}
