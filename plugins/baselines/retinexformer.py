"""Retinexformer (Cai et al., ICCV 2023): a one-stage Retinex transformer, with the official architecture.

One stage = an *illumination estimator* (image + its channel mean → 1×1 conv → 5×5 grouped conv → illumination
feature; 1×1 conv → light-up map L̄; lit-up image ``I + I ⊙ L̄``) followed by an *illumination-guided transformer*
(U-shaped denoiser of IGABs whose attention values are modulated by the illumination feature) that restores the
lit-up image as a residual.

Structure as in the authors' ``RetinexFormer_arch.py``: an IGAB is ``x + IG-MSA(x)`` (no normalisation before the
attention), then ``x + FFN(LayerNorm(x))``; q/k/v are bias-free linear maps, the output projection has a bias, a
depthwise position embedding of the values is added; linear weights start from a truncated normal (σ 0.02). At the
defaults (``n_feat=40, stage=1, num_blocks=[1,2,2]``) it has 1,605,701 parameters, the count of the official class
(the paper's 1.61 M), and its ``state_dict`` has the official key names and shapes, so the authors' checkpoints
(BasicSR's ``{'params': …}``) load with ``pretrained:``.

Implementation notes: channels-first throughout — the token-wise linear layers and LayerNorms keep nn.Linear /
nn.LayerNorm parameters but run on ``B×C×H×W`` maps (a 1×1 conv, a normalisation over dim 1), so no permutes are
needed and the outputs equal the channels-last originals.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie.checkpoints import load_pretrained
from llie.errors import ConfigError
from llie.interfaces import Enhancer, PriorFeatures, Retinex


class PointwiseLinear(nn.Linear):
    """``nn.Linear`` over the channels of a ``B×C×H×W`` map (a 1×1 conv that keeps nn.Linear's weight layout)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight[:, :, None, None], self.bias)


class ChannelLayerNorm(nn.LayerNorm):
    """``nn.LayerNorm(C)`` applied to each pixel's channel vector of a ``B×C×H×W`` map, without permutes."""

    def forward(self, x: Tensor) -> Tensor:
        centred = x - x.mean(dim=1, keepdim=True)
        normalised = centred * torch.rsqrt(centred.pow(2).mean(dim=1, keepdim=True) + self.eps)
        return normalised * self.weight[:, None, None] + self.bias[:, None, None]


class IlluminationEstimator(nn.Module):
    """``(image) -> (illumination feature B×n_feat×H×W, light-up map B×3×H×W)``."""

    def __init__(self, n_feat: int = 40, groups: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(4, n_feat, 1)
        self.depth_conv = nn.Conv2d(n_feat, n_feat, 5, padding=2, groups=groups)
        self.conv2 = nn.Conv2d(n_feat, 3, 1)

    def forward(self, image: Tensor) -> tuple[Tensor, Tensor]:
        prior = torch.cat([image, image.mean(dim=1, keepdim=True)], dim=1)
        feature = self.depth_conv(self.conv1(prior))
        return feature, self.conv2(feature)


class IlluminationGuidedAttention(nn.Module):
    """IG-MSA: self-attention across channels (``C/heads × C/heads`` per head) with values ⊙ illumination feature.

    q and k are L2-normalised along the pixels, ``softmax(k̂ q̂ᵀ · rescale)`` (the official ``K^T Q`` in its token
    layout) weighs the guided values; a depthwise-conv position embedding of the unmodulated values is added to the
    projected output.
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.to_q = PointwiseLinear(dim, dim, bias=False)
        self.to_k = PointwiseLinear(dim, dim, bias=False)
        self.to_v = PointwiseLinear(dim, dim, bias=False)
        self.rescale = nn.Parameter(torch.ones(heads, 1, 1))
        self.proj = PointwiseLinear(dim, dim)
        self.pos_emb = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=False), nn.GELU(),
                                     nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=False))

    def forward(self, x: Tensor, illumination: Tensor) -> Tensor:
        b, c, h, w = x.shape
        qkv_weight = torch.cat([self.to_q.weight, self.to_k.weight, self.to_v.weight])[:, :, None, None]
        q, k, v = F.conv2d(x, qkv_weight).chunk(3, dim=1)  # one pass for the three bias-free projections
        shape = (b, self.heads, c // self.heads, h * w)
        q, k = F.normalize(q.reshape(shape), dim=-1), F.normalize(k.reshape(shape), dim=-1)
        guided = (v * illumination).reshape(shape)
        attn = torch.softmax((k @ q.transpose(-2, -1)) * self.rescale, dim=-1)
        return self.proj((attn @ guided).reshape(b, c, h, w)) + self.pos_emb(v)


class FeedForward(nn.Module):
    """1×1 expand ×4 → GELU → 3×3 depthwise → GELU → 1×1 back (all bias-free)."""

    def __init__(self, dim: int, mult: int = 4) -> None:
        super().__init__()
        hidden = dim * mult
        self.net = nn.Sequential(nn.Conv2d(dim, hidden, 1, bias=False), nn.GELU(),
                                 nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden, bias=False), nn.GELU(),
                                 nn.Conv2d(hidden, dim, 1, bias=False))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class PreNorm(nn.Module):
    """``fn(LayerNorm(x))``."""

    def __init__(self, dim: int, fn: nn.Module) -> None:
        super().__init__()
        self.fn, self.norm = fn, ChannelLayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(self.norm(x))


class IlluminationGuidedBlock(nn.ModuleList):
    """One IGAB block, ``[IG-MSA, PreNorm(FFN)]``: ``x + IG-MSA(x, illumination)``, then ``x + FFN(LN(x))``."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__([IlluminationGuidedAttention(dim, heads), PreNorm(dim, FeedForward(dim))])

    def forward(self, x: Tensor, illumination: Tensor) -> Tensor:
        attn, ffn = self[0], self[1]
        x = x + attn(x, illumination)
        return x + ffn(x)


class IlluminationGuidedStage(nn.Module):
    """IGAB: a sequence of blocks sharing one illumination feature."""

    def __init__(self, dim: int, heads: int, count: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(IlluminationGuidedBlock(dim, heads) for _ in range(count))

    def forward(self, x: Tensor, illumination: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x, illumination)
        return x


class IlluminationGuidedTransformer(nn.Module):
    """The U-shaped denoiser: ``(lit-up image, illumination feature) -> restored image`` (a residual on its input).

    ``num_blocks[i]`` blocks at level ``i`` (the last entry is the bottleneck); width ``n_feat·2^i`` with ``2^i``
    heads of ``n_feat`` channels each. ``encoder_layers[i] = [IGAB, downsample, illumination downsample]``;
    ``decoder_layers[j] = [upsample, fusion, IGAB]`` from the coarsest level up (the official layout).
    """

    def __init__(self, n_feat: int, num_blocks: Sequence[int]) -> None:
        super().__init__()
        depth = len(num_blocks) - 1
        widths = [n_feat * 2 ** i for i in range(depth + 1)]
        self.embedding = nn.Conv2d(3, n_feat, 3, padding=1, bias=False)
        self.encoder_layers = nn.ModuleList(nn.ModuleList([
            IlluminationGuidedStage(widths[i], 2 ** i, num_blocks[i]),
            nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, padding=1, bias=False),
            nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, padding=1, bias=False)]) for i in range(depth))
        self.bottleneck = IlluminationGuidedStage(widths[depth], 2 ** depth, num_blocks[depth])
        self.decoder_layers = nn.ModuleList(nn.ModuleList([
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2),
            nn.Conv2d(2 * widths[i], widths[i], 1, bias=False),
            IlluminationGuidedStage(widths[i], 2 ** i, num_blocks[i])]) for i in reversed(range(depth)))
        self.mapping = nn.Conv2d(n_feat, 3, 3, padding=1, bias=False)
        self.apply(_init_weights)

    def forward(self, image: Tensor, illumination: Tensor) -> Tensor:
        features = self.embedding(image)
        skips, guides = [], []
        for stage, down, illumination_down in self.encoder_layers:
            features = stage(features, illumination)
            skips.append(features)
            guides.append(illumination)
            features, illumination = down(features), illumination_down(illumination)
        features = self.bottleneck(features, illumination)
        for up, fusion, stage in self.decoder_layers:
            features = fusion(torch.cat([up(features), skips.pop()], dim=1))
            features = stage(features, guides.pop())
        return image + self.mapping(features)


def _init_weights(module: nn.Module) -> None:
    """The official initialisation of the denoiser: linear layers truncated-normal (σ 0.02, zero bias), LayerNorms
    at identity; convolutions keep PyTorch's default."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


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
        num_blocks: IGAB blocks per level, the last entry being the bottleneck; ``len - 1`` downsamplings, hence
            ``pad_multiple = 2 ** (len(num_blocks) - 1)`` (the official model has 3 entries).
        pretrained: a checkpoint of the official model (path or zoo name; BasicSR's ``{'params': …}`` wrapper and
            DataParallel prefixes are handled), or None to train from scratch.

    ``forward`` returns the denoised lit-up image, unclamped (the model clamps at evaluation).
    """

    uses_prior = False

    def __init__(self, n_feat: int = 40, stage: int = 1, num_blocks: Sequence[int] = (1, 2, 2),
                 pretrained: str | None = None) -> None:
        super().__init__()
        num_blocks = [int(n) for n in num_blocks]
        if stage < 1 or not num_blocks or n_feat < 1 or n_feat % 4:
            raise ConfigError(f"Retinexformer needs stage >= 1, a non-empty num_blocks and n_feat divisible by 4 "
                              f"(the estimator's grouped 5×5 conv); got stage={stage}, num_blocks={num_blocks}, "
                              f"n_feat={n_feat}")
        self.pad_multiple = 2 ** (len(num_blocks) - 1)
        self.body = nn.Sequential(*(RetinexformerStage(n_feat, num_blocks) for _ in range(stage)))
        if pretrained is not None:
            load_pretrained(self, pretrained, what="Retinexformer.pretrained")

    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None) -> Tensor:
        return self.body(x)
