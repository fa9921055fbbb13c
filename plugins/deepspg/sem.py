"""The Semantic-aware Embedding Module (SEM): image features attend to a semantic prior across channels.

Verified shape of the idea (README, "DeepSPG in this framework"): LayerNorm and projection of the image features F_i
and semantic features F_s, a ``C×C`` channel cross-attention with the query from the prior and key/value from the
image. The details follow SKF's code (the precursor): prior resized and 1×1-projected to the image width, one
LayerNorm shared by both inputs (``share_norm``), q/k/v each 1×1 + 3×3 depthwise, L2-normalised q and k with a
learnable temperature per head, ``softmax(q̂ k̂ᵀ)`` (rows: prior channels) applied to v, 1×1 output projection and
residual, then LayerNorm + gated-dconv FFN with residual. One difference: the prior is resized bilinearly here,
SKF's ``F.interpolate`` call uses its default, nearest.

Trust gate (``gate``, see :mod:`.gate`): a factor ``g ∈ (0, 1)`` on the cross-attention residual only,
``features + g · project_out(attention)``. That residual is the one place where the prior enters the SEM (the query
comes from the prior; keys, values and the FFN see image features alone), so ``g → 0`` turns the SEM into an
image-only FFN block that ignores the prior, and ``g = 1`` is the ungated SEM. Gating the FFN as well would also
switch off image-only capacity; gating the prior embedding instead would still let a zeroed query produce a uniform
attention map, i.e. a prior-independent but non-zero residual.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie.layers import LayerNorm2d

from .gate import DEFAULT_GATE_INIT, StaticGate, check_gate
from .layers import GatedDConvFFN, channel_attention, check_heads, pointwise_then_depthwise, projection_part


class SemanticAwareEmbedding(nn.Module):
    """``forward(features: B×C×H×W, prior: B×Cp×h×w, gate: Tensor[B] | None) -> B×C×H×W`` (shape of ``features``).

    Args:
        dim: width ``C`` of the image features at this scale.
        prior_channels: width ``Cp`` of the prior tensor routed to this scale (a feature level or the logits).
        heads: attention heads (``dim`` must be divisible by it); one learnable temperature each.
        ffn_expansion: hidden width factor of the gated-dconv feed-forward.
        scaling: ``'l2'`` (SKF/Restormer) or ``'sqrt_c'`` (see :func:`channel_attention`).
        share_norm: one LayerNorm for image and prior (SKF) rather than one each.
        gate: ``'none'`` (no gate), ``'static'`` (a learned scalar owned by this SEM) or ``'dynamic'`` (per-image
            values passed to ``forward`` by the enhancer's gate network).
        gate_init: the static gate's starting value.
    """

    def __init__(self, dim: int, prior_channels: int, heads: int = 1, ffn_expansion: float = 2.66,
                 scaling: str = "l2", share_norm: bool = True, gate: str = "none",
                 gate_init: float = DEFAULT_GATE_INIT) -> None:
        super().__init__()
        check_heads(dim, heads, "SemanticAwareEmbedding")
        check_gate(gate, gate_init, "SemanticAwareEmbedding")
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
        self.gate_mode = gate
        if gate == "static":  # created last and RNG-free: the other weights draw the same numbers as ungated
            self.static_gate = StaticGate(gate_init)
        #: the gate applied in the last forward, ``Tensor[B]`` (detached; None when ungated)
        self.last_gate: Tensor | None = None

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

    def _gate(self, batch: int, gate: Tensor | None) -> Tensor | None:
        if self.gate_mode == "static":
            return self.static_gate(batch)
        if self.gate_mode == "dynamic":
            if gate is None or gate.shape != (batch,):
                got = None if gate is None else tuple(gate.shape)
                raise ValueError(f"SemanticAwareEmbedding with gate 'dynamic' needs one gate value per image "
                                 f"(shape ({batch},)), got {got}")
            return gate
        if gate is not None:
            raise ValueError("SemanticAwareEmbedding with gate 'none' was given gate values; build it with "
                             "gate='dynamic' to use them")
        return None

    def attend(self, features: Tensor, prior: Tensor) -> Tensor:
        """The cross-attention branch (before its residual and gate). A method of its own so that its full-size
        intermediates are released when it returns, before the feed-forward allocates its own."""
        dim = features.shape[1]
        q = self.to_q(self.norm_prior(self.embed_prior(prior.to(features.dtype), features.shape[-2:])))
        normed = self.norm_image(features)
        k, v = projection_part(self.to_kv, normed, 0, dim), projection_part(self.to_kv, normed, dim, 2 * dim)
        del normed
        return self.project_out(channel_attention(q, k, v, self.heads, self.temperature, self.scaling))

    def forward(self, features: Tensor, prior: Tensor, gate: Tensor | None = None) -> Tensor:
        attended = self.attend(features, prior)
        g = self._gate(features.shape[0], gate)
        self.last_gate = None if g is None else g.detach()
        features = features + (attended if g is None else g.to(attended.dtype).view(-1, 1, 1, 1) * attended)
        return features + self.ffn(self.norm_ffn(features))
