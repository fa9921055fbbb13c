"""The Semantic-aware Embedding Module (SEM): image features attend to a semantic prior across channels.

Verified shape of the idea (DESIGN.md §3): LayerNorm and projection of the image features F_i and semantic features
F_s, a ``C×C`` channel cross-attention with the query from the prior and key/value from the image. The details
follow SKF's code (the precursor): prior resized (bilinear) and 1×1-projected to the image width, one LayerNorm
shared by both inputs (``share_norm``), q/k/v each 1×1 + 3×3 depthwise, L2-normalised q and k with a learnable
temperature per head, 1×1 output projection and residual, then LayerNorm + gated-dconv FFN with residual.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie.layers import LayerNorm2d

from .layers import GatedDConvFFN, channel_attention, check_heads, pointwise_then_depthwise, projection_part


class SemanticAwareEmbedding(nn.Module):
    """``forward(features: B×C×H×W, prior: B×Cp×h×w) -> B×C×H×W`` (same shape as ``features``).

    Args:
        dim: width ``C`` of the image features at this scale.
        prior_channels: width ``Cp`` of the prior tensor routed to this scale (a feature level or the logits).
        heads: attention heads (``dim`` must be divisible by it); one learnable temperature each.
        ffn_expansion: hidden width factor of the gated-dconv feed-forward.
        scaling: ``'l2'`` (SKF/Restormer) or ``'sqrt_c'`` (see :func:`channel_attention`).
        share_norm: one LayerNorm for image and prior (SKF) rather than one each.
    """

    def __init__(self, dim: int, prior_channels: int, heads: int = 1, ffn_expansion: float = 2.66,
                 scaling: str = "l2", share_norm: bool = True) -> None:
        super().__init__()
        check_heads(dim, heads, "SemanticAwareEmbedding")
        self.heads, self.scaling = heads, scaling
        self.prior_proj = nn.Conv2d(prior_channels, dim, 1)
        self.norm_image = LayerNorm2d(dim)
        self.norm_prior = self.norm_image if share_norm else LayerNorm2d(dim)
        self.to_q = pointwise_then_depthwise(dim, dim)
        self.to_kv = pointwise_then_depthwise(dim, 2 * dim)
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.project_out = nn.Conv2d(dim, dim, 1, bias=False)
        self.norm_ffn = LayerNorm2d(dim)
        self.ffn = GatedDConvFFN(dim, ffn_expansion)

    def embed_prior(self, prior: Tensor, size: tuple[int, int]) -> Tensor:
        """Bilinear resize to ``size`` and 1×1 projection, done in whichever order touches fewer pixels.

        Both maps are linear per pixel/channel and bilinear weights sum to one, so the two orders agree exactly
        (bias included); projecting at the coarser resolution is what saves the time.
        """
        if tuple(prior.shape[-2:]) == tuple(size):
            return self.prior_proj(prior)
        if prior.shape[-2] * prior.shape[-1] <= size[0] * size[1]:
            return F.interpolate(self.prior_proj(prior), size=size, mode="bilinear", align_corners=False)
        return self.prior_proj(F.interpolate(prior, size=size, mode="bilinear", align_corners=False))

    def attend(self, features: Tensor, prior: Tensor) -> Tensor:
        """The cross-attention branch (before its residual). A method of its own so that its full-size
        intermediates are released when it returns, before the feed-forward allocates its own."""
        dim = features.shape[1]
        q = self.to_q(self.norm_prior(self.embed_prior(prior.to(features.dtype), features.shape[-2:])))
        normed = self.norm_image(features)
        k, v = projection_part(self.to_kv, normed, 0, dim), projection_part(self.to_kv, normed, dim, 2 * dim)
        del normed
        return self.project_out(channel_attention(q, k, v, self.heads, self.temperature, self.scaling))

    def forward(self, features: Tensor, prior: Tensor) -> Tensor:
        features = features + self.attend(features, prior)
        return features + self.ffn(self.norm_ffn(features))
