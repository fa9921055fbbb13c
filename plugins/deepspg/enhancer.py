"""DeepSPG's enhancer of the reflectance: a U-shaped encoder–decoder with Semantic-aware Embedding Modules.

What is verified about DeepSPG and what is assumed here is listed in the README ("DeepSPG in this framework");
every assumed choice is a constructor argument so a config can change it without code.

Recommended settings (all *assumed*; parameter counts with an HRNetV2-W48 prior, strides 4/8/16/32, 48/96/192/384
channels, 59 classes; other settings at their defaults; CPU forward at 256² on one thread ≈ 0.25 / 1.1 / 4.7 s):

=========  ============  ======  =================  ==========  ==========  =============  ==========  ========
preset     base_channels levels  blocks_per_level   bottleneck  block_type  sem_scales     use_logits  params
=========  ============  ======  =================  ==========  ==========  =============  ==========  ========
tiny       16            2       1                  1           conv        [1, 2]         (auto)      ≈ 0.20 M
standard   32            3       [1, 1, 1]          1           mdta        [1, 2, 4]      (auto)      ≈ 2.6 M
large      48            3       [2, 2, 2]          2           mdta        [1, 2, 4, 8]   True        ≈ 10.6 M
=========  ============  ======  =================  ==========  ==========  =============  ==========  ========

Output: ``x + net(x)`` — a residual on the input, *not* clamped here (clamping inside would zero the gradient of
saturated pixels during training); the model clamps to ``[0, 1]`` at evaluation.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from llie.errors import ConfigError
from llie.interfaces import Enhancer, PriorFeatures, Retinex

from .blocks import make_blocks
from .gate import DEFAULT_GATE_INIT, DynamicGate, check_gate, trust_statistics
from .routing import LOGITS, PriorLayout, Source, route_prior
from .sem import SemanticAwareEmbedding

SEM_POSITIONS = ("decoder", "encoder")


def _per_level(value: int | Sequence[int], count: int, name: str) -> list[int]:
    values = [int(value)] * count if isinstance(value, int) else [int(v) for v in value]
    if len(values) != count:
        raise ConfigError(f"SemanticAwareEnhancer {name} has {len(values)} entries but {count} are needed "
                          f"(one per level); give an int or a list of length {count}")
    return values


class SemanticAwareEnhancer(Enhancer):
    """Multi-scale U-shaped enhancer whose features attend to a semantic prior at the scales in ``sem_scales``.

    Args:
        base_channels: width at full resolution; each downsampling doubles it.
        levels: number of downsamplings (so ``pad_multiple = 2**levels``).
        blocks_per_level: backbone blocks per encoder level and per decoder level (int or one per level).
        bottleneck_blocks: blocks at the coarsest scale.
        heads: attention heads per level, ``levels + 1`` entries (int = same everywhere); None → ``2**level``.
        ffn_expansion: gated-dconv feed-forward width factor (backbone and SEM).
        block_type: ``'mdta'`` (Restormer transformer block) or ``'conv'`` (residual conv block).
        sem_scales: downsampling factors at which an SEM runs (1 = full resolution, 2 = half, …; powers of two up
            to ``2**levels``).
        sem_position: ``'decoder'`` (after each decoder level's blocks) or ``'encoder'`` (after each encoder
            level's blocks); the bottleneck SEM, when listed, runs after the bottleneck either way.
        prior_level_for_scale: ``'hierarchical'`` | ``'closest'`` | ``{scale: stride or 'logits'}`` | a list
            aligned with ``sem_scales`` (see :mod:`llie.plugins.deepspg.routing`).
        use_logits: let the automatic routing send the prior's logits to the finest SEM scale (SKF's choice);
            None (default): whenever the prior has logits, False: never. With HRNet the defaults route logits /
            stride 4 / stride 8 to scales 1 / 2 / 4, as SKF does (see :mod:`llie.plugins.deepspg.routing`).
        prior_strides, prior_channels, prior_num_classes: the prior's layout; when absent, :meth:`bind_prior`
            fills them (constructor values win).
        attention_scaling: ``'l2'`` (normalised q/k × learnable temperature) or ``'sqrt_c'``.
        share_norm: one LayerNorm shared by image and prior features inside each SEM (SKF).
        use_prior: False turns this into the same network without SEMs (an ablation row).
        gate: how far each SEM trusts the prior — ``'none'`` (default, the ungated SEM), ``'static'`` (a learned
            scalar per scale) or ``'dynamic'`` (per image and scale, from the input's brightness and noise and the
            prior's confidence); see :mod:`llie.plugins.deepspg.gate`.
        gate_init: where the learned gates start (strictly between 0 and 1).

    With a gate, :meth:`diagnostics` reports per image the gate of every scale (``gate_s<scale>``) and the
    statistics (``input_brightness``, ``input_noise``, ``prior_confidence``) of the last forward.
    """

    uses_prior = True
    reads_low = True

    def __init__(self, base_channels: int = 32, levels: int = 3, blocks_per_level: int | Sequence[int] = 1,
                 bottleneck_blocks: int = 1, heads: int | Sequence[int] | None = None, ffn_expansion: float = 2.66,
                 block_type: str = "mdta", sem_scales: Sequence[int] = (1, 2, 4), sem_position: str = "decoder",
                 prior_level_for_scale: str | Mapping | Sequence = "hierarchical", use_logits: bool | None = None,
                 prior_strides: Sequence[int] | None = None, prior_channels: Sequence[int] | None = None,
                 prior_num_classes: int | None = None, attention_scaling: str = "l2", share_norm: bool = True,
                 use_prior: bool = True, gate: str = "none", gate_init: float = DEFAULT_GATE_INIT) -> None:
        super().__init__()
        check_gate(gate, gate_init, "SemanticAwareEnhancer")
        if levels < 1:
            raise ConfigError(f"SemanticAwareEnhancer levels must be >= 1, got {levels}")
        if sem_position not in SEM_POSITIONS:
            raise ConfigError(f"SemanticAwareEnhancer sem_position '{sem_position}' is unknown; use {SEM_POSITIONS}")
        bad = [s for s in sem_scales if int(s) < 1 or int(s) & (int(s) - 1) or int(s) > 2 ** levels]
        if bad:
            raise ConfigError(f"SemanticAwareEnhancer sem_scales {bad} are not powers of two between 1 and "
                              f"2**levels = {2 ** levels}")
        if (prior_strides is None) != (prior_channels is None):
            raise ConfigError("SemanticAwareEnhancer needs prior_strides and prior_channels together (or neither, "
                              "to take them from the image prior)")
        self.pad_multiple = 2 ** levels
        self.uses_prior = bool(use_prior)
        self.levels, self.sem_position = levels, sem_position
        self.sem_scales = sorted({int(s) for s in sem_scales})
        self.prior_rule = prior_level_for_scale
        self.use_logits = None if use_logits is None else bool(use_logits)
        self.ffn_expansion, self.attention_scaling, self.share_norm = ffn_expansion, attention_scaling, share_norm
        self.gate, self.gate_init = gate, float(gate_init)
        self._diagnostics: dict[str, Tensor] = {}
        self._given = (tuple(int(s) for s in prior_strides) if prior_strides is not None else None,
                       tuple(int(c) for c in prior_channels) if prior_channels is not None else None,
                       prior_num_classes)

        self.widths = [base_channels * 2 ** i for i in range(levels + 1)]
        self.heads = [2 ** i for i in range(levels + 1)] if heads is None else _per_level(heads, levels + 1, "heads")
        blocks = _per_level(blocks_per_level, levels, "blocks_per_level")
        w, h = self.widths, self.heads

        def stage(count: int, i: int) -> nn.Sequential:
            return make_blocks(block_type, count, w[i], h[i], ffn_expansion, attention_scaling)

        self.embed = nn.Conv2d(3, w[0], 3, padding=1)
        self.encoders = nn.ModuleList(stage(blocks[i], i) for i in range(levels))
        self.downs = nn.ModuleList(nn.Conv2d(w[i], w[i + 1], 4, stride=2, padding=1) for i in range(levels))
        self.bottleneck = stage(bottleneck_blocks, levels)
        self.ups = nn.ModuleList(nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2) for i in range(levels))
        self.fuses = nn.ModuleList(nn.Conv2d(2 * w[i], w[i], 1) for i in range(levels))
        self.decoders = nn.ModuleList(stage(blocks[i], i) for i in range(levels))
        self.head = nn.Conv2d(w[0], 3, 3, padding=1)

        self.sems = nn.ModuleDict()
        self.trust_gate: DynamicGate | None = None
        self.layout: PriorLayout | None = None
        self.routes: dict[int, Source] = {}
        if self._given[0] is not None:
            self._bind(PriorLayout(self._given[0], self._given[1], prior_num_classes))

    # ----------------------------------------------------------------------------------------- prior layout
    def bind_prior(self, strides: tuple[int, ...], channels: tuple[int, ...], num_classes: int | None) -> None:
        """Take the image prior's layout for whatever the constructor left open, and size the SEM projections."""
        given_strides, given_channels, given_classes = self._given
        layout = PriorLayout(given_strides if given_strides is not None else tuple(int(s) for s in strides),
                             given_channels if given_channels is not None else tuple(int(c) for c in channels),
                             given_classes if given_classes is not None else num_classes)
        if layout != self.layout:
            self._bind(layout)

    def _bind(self, layout: PriorLayout) -> None:
        self.layout = layout
        self.routes = route_prior(self.sem_scales, layout, self.prior_rule, self.use_logits) if self.uses_prior else {}
        ref = self.head.weight
        self.sems = nn.ModuleDict({
            str(scale): SemanticAwareEmbedding(
                self.widths[scale.bit_length() - 1], layout.width_of(source), self.heads[scale.bit_length() - 1],
                self.ffn_expansion, self.attention_scaling, self.share_norm, self.gate, self.gate_init)
            for scale, source in self.routes.items()}).to(device=ref.device, dtype=ref.dtype)
        self.trust_gate = None
        if self.gate == "dynamic" and self.routes:  # built after the SEMs: their weights draw the same numbers
            self.trust_gate = DynamicGate(len(self.routes), self.gate_init).to(device=ref.device, dtype=ref.dtype)

    def prior_outputs_read(self) -> tuple[set[int], bool] | None:
        """The prior strides (and whether the logits) routed to some SEM; nothing without SEMs; every output when
        gated (a gate reads the prior's confidence from whichever outputs it has)."""
        if not self.uses_prior:
            return set(), False
        if self.layout is None or self.gate != "none":  # unbound routing / gates read the prior's confidence
            return None
        sources = set(self.routes.values())
        return {int(s) for s in sources if s != LOGITS}, LOGITS in sources

    def _prior_tensors(self, prior: PriorFeatures | None) -> dict[int, Tensor]:
        """The prior tensor each SEM scale reads; empty when SEMs are to be skipped."""
        if not self.uses_prior or prior is None or prior.empty:
            return {}
        if self.layout is None:
            raise ConfigError("SemanticAwareEnhancer received prior features but does not know the prior's layout: "
                              "set prior_strides/prior_channels in its config or let the model call bind_prior")
        by_stride = {int(s): t for s, t in prior.levels}
        tensors: dict[int, Tensor] = {}
        for scale, source in self.routes.items():
            tensor = prior.logits if source == LOGITS else by_stride.get(int(source))
            if tensor is None:
                have = sorted(by_stride) + ([LOGITS] if prior.logits is not None else [])
                raise ConfigError(f"SemanticAwareEnhancer SEM at scale {scale} reads prior '{source}' but the prior "
                                  f"gave {have}; bind the enhancer to this prior's layout or fix "
                                  f"prior_level_for_scale")
            tensors[scale] = tensor
        return tensors

    def _semantic(self, features: Tensor, scale: int, priors: dict[int, Tensor],
                  gates: dict[int, Tensor]) -> Tensor:
        tensor = priors.get(scale)
        if tensor is None:
            return features
        sem = self.sems[str(scale)]
        return sem(features, tensor) if scale not in gates else sem(features, tensor, gates[scale])

    # ----------------------------------------------------------------------------------------- gates
    def _gates(self, x: Tensor, prior: PriorFeatures | None, retinex: Retinex | None, low: Tensor | None,
               priors: dict[int, Tensor]) -> dict[int, Tensor]:
        """Per-image dynamic gates by scale (empty unless ``gate='dynamic'``); records the trust statistics.

        The statistics describe the low-light input: ``low`` when the model passes it, else the image the
        decomposition explains (``R ⊙ L``), else ``x`` (which then is the input itself)."""
        self._diagnostics = {}
        if self.gate == "none" or not priors or prior is None:
            return {}
        if low is None:
            low = retinex.recompose() if retinex is not None else x
        stats = trust_statistics(low, prior)
        self._diagnostics = dict(stats)
        if self.trust_gate is None:
            return {}
        values = self.trust_gate(stats)
        return {scale: values[:, i] for i, scale in enumerate(self.routes)}

    def diagnostics(self) -> dict[str, Tensor]:
        """Per-image values of the last forward: ``gate_s<scale>`` and the trust statistics (empty when ungated)."""
        gates = {f"gate_s{scale}": sem.last_gate for scale, sem in
                 ((int(k), m) for k, m in self.sems.items()) if sem.last_gate is not None}
        return {**gates, **self._diagnostics} if gates else {}

    # ----------------------------------------------------------------------------------------- forward
    def forward(self, x: Tensor, prior: PriorFeatures | None = None, retinex: Retinex | None = None,
                low: Tensor | None = None) -> Tensor:
        """``x``: ``B×3×H×W`` (the reflectance when a decomposer is configured); ``low``: the low-light input the
        model saw (padded like ``x``), read only by the gates' statistics; ``retinex`` is read only when ``low`` is
        absent."""
        priors = self._prior_tensors(prior)
        gates = self._gates(x, prior, retinex, low, priors)
        for sem in self.sems.values():
            sem.last_gate = None
        features = self.embed(x)
        skips = []
        for i in range(self.levels):
            features = self.encoders[i](features)
            if self.sem_position == "encoder":
                features = self._semantic(features, 2 ** i, priors, gates)
            skips.append(features)
            features = self.downs[i](features)
        features = self._semantic(self.bottleneck(features), 2 ** self.levels, priors, gates)
        for i in reversed(range(self.levels)):  # pop: each skip is released as soon as it is used
            features = self.fuses[i](torch.cat([self.ups[i](features), skips.pop()], dim=1))
            features = self.decoders[i](features)
            if self.sem_position == "decoder":
                features = self._semantic(features, 2 ** i, priors, gates)
        return x + self.head(features)
