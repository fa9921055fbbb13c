"""Retinexformer (Cai et al., ICCV 2023), written from the paper's description: a one-stage Retinex transformer.

One stage = an *illumination estimator* (image + its channel mean → 1×1 conv → 5×5 depthwise conv → illumination
feature; 1×1 conv → light-up map L̄; lit-up image ``I + I ⊙ L̄``) followed by an *illumination-guided transformer*
(U-shaped denoiser of IGABs whose attention values are modulated by the illumination feature) that restores the
lit-up image as a residual. At the defaults (``n_feat=40, stage=1, num_blocks=[1,2,2]``) it has ≈ 1.6 M parameters,
matching the paper's 1.61 M.

Implementation notes: channels-first throughout (1×1 convs stand in for the token-wise linear layers, LayerNorm runs
over channels per pixel) so no permutes are needed; a LayerNorm precedes both the IG-MSA and the FFN as in the
paper's figure.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie.errors import ConfigError
from llie.interfaces import Enhancer, PriorFeatures, Retinex
from llie.layers import LayerNorm2d


class IlluminationEstimator(nn.Module):
    """``(image) -> (illumination feature B×n_feat×H×W, light-up map B×3×H×W)``."""

    def __init__(self, n_feat: int = 40, groups: int = 4) -> None:
        super().__init__()
        self.expand = nn.Conv2d(4, n_feat, 1)
        self.depthwise = nn.Conv2d(n_feat, n_feat, 5, padding=2, groups=groups)
        self.to_map = nn.Conv2d(n_feat, 3, 1)

    def forward(self, image: Tensor) -> tuple[Tensor, Tensor]:
        prior = torch.cat([image, image.mean(dim=1, keepdim=True)], dim=1)
        feature = self.depthwise(self.expand(prior))
        return feature, self.to_map(feature)


class IlluminationGuidedAttention(nn.Module):
    """IG-MSA: self-attention across channels (``C/heads × C/heads`` per head) with values ⊙ illumination feature.

    q and k are L2-normalised along the pixels and scaled by a learnable per-head factor; a depthwise-conv position
    embedding of the (unmodulated) values is added to the projected output.
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Conv2d(dim, 3 * dim, 1, bias=False)
        self.rescale = nn.Parameter(torch.ones(heads, 1, 1))
        self.project = nn.Conv2d(dim, dim, 1)
        self.position = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=False), nn.GELU(),
                                      nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=False))

    def forward(self, x: Tensor, illumination: Tensor) -> Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=1)
        shape = (b, self.heads, c // self.heads, h * w)
        q, k = F.normalize(q.reshape(shape), dim=-1), F.normalize(k.reshape(shape), dim=-1)
        guided = (v * illumination).reshape(shape)
        attn = torch.softmax((k @ q.transpose(-2, -1)) * self.rescale, dim=-1)  # Kᵀ·Q in the paper's token layout
        return self.project((attn @ guided).reshape(b, c, h, w)) + self.position(v)


class FeedForward(nn.Module):
    """1×1 expand ×4 → GELU → 3×3 depthwise → GELU → 1×1 back."""

    def __init__(self, dim: int, mult: int = 4) -> None:
        super().__init__()
        hidden = dim * mult
        self.body = nn.Sequential(nn.Conv2d(dim, hidden, 1, bias=False), nn.GELU(),
                                  nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden, bias=False), nn.GELU(),
                                  nn.Conv2d(hidden, dim, 1, bias=False))

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


class IlluminationGuidedBlock(nn.Module):
    """IGAB: ``x + IG-MSA(LN(x), illumination)``, then ``x + FFN(LN(x))``."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm_attn, self.attn = LayerNorm2d(dim), IlluminationGuidedAttention(dim, heads)
        self.norm_ffn, self.ffn = LayerNorm2d(dim), FeedForward(dim)

    def forward(self, x: Tensor, illumination: Tensor) -> Tensor:
        x = x + self.attn(self.norm_attn(x), illumination)
        return x + self.ffn(self.norm_ffn(x))


class IlluminationGuidedStage(nn.Module):
    """A sequence of IGABs sharing one illumination feature."""

    def __init__(self, dim: int, heads: int, count: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(IlluminationGuidedBlock(dim, heads) for _ in range(count))

    def forward(self, x: Tensor, illumination: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x, illumination)
        return x


class IlluminationGuidedTransformer(nn.Module):
    """The U-shaped denoiser: ``(lit-up image, illumination feature) -> restored image`` (a residual on its input).

    ``num_blocks[i]`` IGABs at level ``i`` (the last entry is the bottleneck); width ``n_feat·2^i`` with
    ``2^i`` heads of ``n_feat`` channels each. The illumination feature is downsampled alongside the image features.
    """

    def __init__(self, n_feat: int, num_blocks: Sequence[int]) -> None:
        super().__init__()
        depth = len(num_blocks) - 1
        widths = [n_feat * 2 ** i for i in range(depth + 1)]
        self.embed = nn.Conv2d(3, n_feat, 3, padding=1, bias=False)
        self.encoders = nn.ModuleList(IlluminationGuidedStage(widths[i], 2 ** i, num_blocks[i]) for i in range(depth))
        self.downs = nn.ModuleList(nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, padding=1, bias=False)
                                   for i in range(depth))
        self.illumination_downs = nn.ModuleList(nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, padding=1,
                                                          bias=False) for i in range(depth))
        self.bottleneck = IlluminationGuidedStage(widths[depth], 2 ** depth, num_blocks[depth])
        self.ups = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(depth))
        self.fuses = nn.ModuleList(nn.Conv2d(2 * widths[i], widths[i], 1, bias=False) for i in range(depth))
        self.decoders = nn.ModuleList(IlluminationGuidedStage(widths[i], 2 ** i, num_blocks[i]) for i in range(depth))
        self.head = nn.Conv2d(n_feat, 3, 3, padding=1, bias=False)

    def forward(self, image: Tensor, illumination: Tensor) -> Tensor:
        features = self.embed(image)
        skips, guides = [], []
        for encoder, down, illumination_down in zip(self.encoders, self.downs, self.illumination_downs):
            features = encoder(features, illumination)
            skips.append(features)
            guides.append(illumination)
            features, illumination = down(features), illumination_down(illumination)
        features = self.bottleneck(features, illumination)
        for i in reversed(range(len(self.decoders))):
            features = self.fuses[i](torch.cat([self.ups[i](features), skips[i]], dim=1))
            features = self.decoders[i](features, guides[i])
        return image + self.head(features)


class RetinexformerStage(nn.Module):
    """Estimator + denoiser: ``image -> enhanced image``."""

    def __init__(self, n_feat: int, num_blocks: Sequence[int]) -> None:
        super().__init__()
        self.estimator = IlluminationEstimator(n_feat)
        self.denoiser = IlluminationGuidedTransformer(n_feat, num_blocks)

    def forward(self, image: Tensor) -> Tensor:
        illumination, light_up = self.estimator(image)
        return self.denoiser(image + image * light_up, illumination)


class Retinexformer(Enhancer):
    """The Retinexformer baseline row (no priors).

    Args:
        n_feat: width at full resolution (also the per-head width at every level).
        stage: number of estimator + denoiser stages applied in sequence.
        num_blocks: IGABs per level, the last entry being the bottleneck; ``len - 1`` downsamplings, hence
            ``pad_multiple = 2 ** (len(num_blocks) - 1)``.

    ``forward`` returns the denoised lit-up image, unclamped (the model clamps at evaluation).
    """

    uses_prior = False

    def __init__(self, n_feat: int = 40, stage: int = 1, num_blocks: Sequence[int] = (1, 2, 2)) -> None:
        super().__init__()
        num_blocks = [int(n) for n in num_blocks]
        if stage < 1 or not num_blocks or n_feat < 1 or n_feat % 4:
            raise ConfigError(f"Retinexformer needs stage >= 1, a non-empty num_blocks and n_feat divisible by 4 "
                              f"(the estimator's grouped 5×5 conv); got stage={stage}, num_blocks={num_blocks}, "
                              f"n_feat={n_feat}")
        self.pad_multiple = 2 ** (len(num_blocks) - 1)
        self.stages = nn.Sequential(*(RetinexformerStage(n_feat, num_blocks) for _ in range(stage)))

    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor:
        return self.stages(x)
