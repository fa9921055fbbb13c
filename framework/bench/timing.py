"""Repeated timing with robust summaries: medians and interquartile ranges, and interleaved A/B comparisons.

Medians rather than means because a shared machine produces occasional slow outliers; interleaving (A B B A …)
because load drifts over seconds, and two measurements taken side by side see the same drift.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timing:
    """Summary of repeated wall-clock measurements, in seconds."""

    median: float
    q1: float
    q3: float
    samples: tuple[float, ...] = field(repr=False, default=())

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def runs(self) -> int:
        return len(self.samples)

    def as_dict(self) -> dict:
        return {"median_s": self.median, "q1_s": self.q1, "q3_s": self.q3, "iqr_s": self.iqr, "runs": self.runs}


def summarize(samples: Sequence[float]) -> Timing:
    """Median and quartiles of ``samples`` (at least one)."""
    values = sorted(float(s) for s in samples)
    if not values:
        raise ValueError("no timing samples to summarise")
    if len(values) == 1:
        return Timing(values[0], values[0], values[0], tuple(values))
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Timing(statistics.median(values), q1, q3, tuple(values))


def _no_sync() -> None:
    return None


def time_once(fn: Callable[[], object], sync: Callable[[], None] = _no_sync) -> float:
    """Seconds one call of ``fn`` takes; ``sync`` waits for asynchronous devices (e.g. ``torch.cuda.synchronize``)."""
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def time_repeated(fn: Callable[[], object], runs: int, warmup: int = 1,
                  sync: Callable[[], None] = _no_sync) -> Timing:
    """``warmup`` untimed calls, then the summary of ``runs`` timed calls."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    for _ in range(max(0, warmup)):
        fn()
    sync()
    return summarize([time_once(fn, sync) for _ in range(runs)])


def time_interleaved(fns: dict[str, Callable[[], object]], runs: int, warmup: int = 1,
                     sync: Callable[[], None] = _no_sync) -> dict[str, Timing]:
    """Time several callables in alternating order (A B, B A, A B …) so drifts affect all of them alike."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    names = list(fns)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(max(0, warmup) + runs):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            seconds = time_once(fns[name], sync)
            if i >= warmup:
                samples[name].append(seconds)
    return {name: summarize(values) for name, values in samples.items()}
