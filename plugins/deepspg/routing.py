"""Which prior tensor feeds the SEM at each scale of the enhancer.

A *source* is either a prior level, named by its stride (an ``int``), or ``"logits"``. The routing is decided once,
when the prior's layout (strides, channels, number of classes) is known, so projection layers can be sized.

Rules (``prior_level_for_scale``):

* a mapping ``{scale: source}`` (or a list aligned with ``sem_scales``) — taken as given, validated;
* ``"hierarchical"`` (default) — the finest SEM scale takes the finest source (the logits when used), each next
  coarser scale the next coarser level; the coarsest level repeats if scales outnumber levels.
* ``"closest"`` — each scale takes the level whose stride is closest to it in log2 (ties: the finer one); when the
  logits are used the finest scale takes them.

``use_logits``: ``None`` (default) uses the logits whenever the prior has them, ``True`` likewise, ``False`` never.

The defaults reproduce SKF's routing (its DRBN code, read): with HRNet's strides 4/8/16/32, logits and SEM scales
1/2/4, the full-resolution SEM reads the 59-class logits, the 1/2 SEM the stride-4 level and the 1/4 SEM the stride-8
level — each SEM a level twice as coarse as its features. Without logits the same rule gives stride 4/8/16 to scales
1/2/4, a level four times as coarse; name the levels (``{1: 4, 2: 4, 4: 8}``) or use ``"closest"`` for finer ones.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from llie.errors import ConfigError

Source = int | str
LOGITS = "logits"
AUTO_RULES = ("hierarchical", "closest")


@dataclass(frozen=True)
class PriorLayout:
    """The prior's output layout, as given to ``bind_prior`` or the constructor."""

    strides: tuple[int, ...]
    channels: tuple[int, ...]
    num_classes: int | None = None

    def __post_init__(self) -> None:
        if len(self.strides) != len(self.channels):
            raise ConfigError(f"prior layout: {len(self.strides)} strides {self.strides} but {len(self.channels)} "
                              f"channels {self.channels}; give one channel count per stride")

    def width_of(self, source: Source) -> int:
        if source == LOGITS:
            assert self.num_classes is not None
            return int(self.num_classes)
        return int(self.channels[self.strides.index(int(source))])


def _sorted_levels(layout: PriorLayout) -> list[int]:
    return sorted(int(s) for s in layout.strides)


def _explicit(rule: Mapping | Sequence, scales: Sequence[int], layout: PriorLayout) -> dict[int, Source]:
    if isinstance(rule, Mapping):
        given = {int(k): v for k, v in rule.items()}
        missing = [s for s in scales if s not in given]
        if missing:
            raise ConfigError(f"prior_level_for_scale has no entry for sem_scales {missing}; "
                              f"give a source (a prior stride or 'logits') for every scale in {list(scales)}")
    else:
        if len(rule) != len(scales):
            raise ConfigError(f"prior_level_for_scale lists {len(rule)} sources but sem_scales has {len(scales)}; "
                              f"give one per scale")
        given = dict(zip(scales, rule))
    routes: dict[int, Source] = {}
    for scale in scales:
        source = given[scale]
        if source == LOGITS:
            if layout.num_classes is None:
                raise ConfigError(f"prior_level_for_scale routes scale {scale} to 'logits' but the prior has no "
                                  f"logits (num_classes unknown); route it to one of the strides {layout.strides}")
            routes[scale] = LOGITS
        elif int(source) in layout.strides:
            routes[scale] = int(source)
        else:
            raise ConfigError(f"prior_level_for_scale routes scale {scale} to stride {source}, which the prior does "
                              f"not produce; available strides: {layout.strides}" +
                              (" or 'logits'" if layout.num_classes else ""))
    return routes


def route_prior(scales: Sequence[int], layout: PriorLayout, rule: str | Mapping | Sequence = "hierarchical",
                use_logits: bool | None = None) -> dict[int, Source]:
    """``{scale: source}`` for every SEM scale; empty when the prior provides nothing usable.

    ``use_logits`` None or True: route the logits when the prior has them; False: never (see the module docstring).
    """
    scales = sorted(int(s) for s in scales)
    if not isinstance(rule, str):
        return _explicit(rule, scales, layout)
    if rule not in AUTO_RULES:
        raise ConfigError(f"prior_level_for_scale '{rule}' is unknown; use {AUTO_RULES}, a {{scale: stride}} "
                          f"mapping or a list aligned with sem_scales")
    logits_first = use_logits is not False and layout.num_classes is not None
    levels = _sorted_levels(layout)
    if not levels and not logits_first:
        return {}
    routes: dict[int, Source] = {}
    remaining = list(scales)
    if logits_first and remaining:
        routes[remaining.pop(0)] = LOGITS
    if not levels:
        for scale in remaining:  # only logits exist: every scale reads them
            routes[scale] = LOGITS
        return routes
    if rule == "hierarchical":
        for i, scale in enumerate(remaining):
            routes[scale] = levels[min(i, len(levels) - 1)]
    else:
        for scale in remaining:
            routes[scale] = min(levels, key=lambda s: (abs(math.log2(s) - math.log2(scale)), s))
    return routes
