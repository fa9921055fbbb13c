"""No-reference metrics: scores of enhanced images alone, for unpaired sets that have no ground truth.

A :class:`NoReferenceMetric` is an mmengine ``BaseMetric`` like :class:`~llie.metrics.PairedImageMetric`, so the
same test loop drives it. ``process`` takes data samples ``{'pred': C×H×W in [0, 1], 'name': str}`` (a ``gt``, if
present, is ignored) and keeps one value per image; ``compute_metrics`` returns ``{name: mean}`` and leaves
``[{'name', name}, ...]`` on :attr:`NoReferenceMetric.last_per_image`. Each metric declares its ``name`` (the key in
results and on the command line) and whether higher is better. Metrics are found by that name through the metrics
registry (:func:`no_reference_metrics`), so a plugin's metric is used like a built-in one.
"""
from __future__ import annotations

import logging
import math
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from mmengine.evaluator import BaseMetric
from torch import Tensor

from ..errors import DataError, RegistryError, did_you_mean

log = logging.getLogger(__name__)


class NoReferenceMetric(BaseMetric):
    """Base of metrics that score each enhanced image on its own; subclasses implement :meth:`score`."""

    #: the result key and the name ``llie eval --metrics`` accepts, e.g. ``'niqe'``
    name: ClassVar[str] = ""
    #: whether a larger value means a better image (NIQE: False)
    higher_is_better: ClassVar[bool] = True
    default_prefix = ""  # keys stay the metric's name unless a prefix is given

    def __init__(self, prefix: str | None = None, collect_device: str = "cpu") -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.last_per_image: list[dict[str, Any]] = []

    @abstractmethod
    def score(self, image: Tensor) -> float:
        """The metric of one ``C×H×W`` image in [0, 1]; a ``ValueError`` says why an image cannot be scored."""

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Score every sample; append one ``{'name', <metric>}`` per image, in input order."""
        for index, sample in enumerate(data_samples):
            pred, name = self._checked(index, sample)
            try:
                value = float(self.score(pred.detach()))
            except ValueError as exc:
                raise DataError(f"{type(self).__name__}: image '{name}': {exc}") from exc
            if math.isnan(value):
                log.warning("%s: image '%s' has no defined score (NaN)", type(self).__name__, name)
            self.results.append({"name": name, self.name: value})

    def _checked(self, index: int, sample: Any) -> tuple[Tensor, str]:
        if not isinstance(sample, dict) or "pred" not in sample or "name" not in sample:
            have = sorted(sample) if isinstance(sample, dict) else type(sample).__name__
            raise DataError(f"{type(self).__name__}: data sample #{index} must be a dict with keys pred, name; "
                            f"got {have}")
        pred, name = sample["pred"], str(sample["name"])
        if not isinstance(pred, Tensor) or pred.dim() != 3 or pred.shape[0] not in (1, 3):
            shape = tuple(pred.shape) if isinstance(pred, Tensor) else type(pred).__name__
            raise DataError(f"{type(self).__name__}: image '{name}': 'pred' must be a C×H×W tensor with 1 or 3 "
                            f"channels, got {shape}")
        return pred, name

    def compute_metrics(self, results: list) -> dict[str, float]:
        """The mean over all images (NaN when nothing was evaluated or an image had no score)."""
        self.last_per_image = [dict(r) for r in results]
        if not results:
            return {self.name: math.nan}
        return {self.name: sum(r[self.name] for r in results) / len(results)}


def no_reference_metrics() -> dict[str, type[NoReferenceMetric]]:
    """Every no-reference metric in the metrics registry, by its ``name``."""
    from ..plugin_door import ensure_plugins_loaded
    from ..registry import METRICS

    ensure_plugins_loaded()
    return {cls.name: cls for cls in METRICS.module_dict.values()
            if isinstance(cls, type) and issubclass(cls, NoReferenceMetric) and cls.name}


def build_no_reference_metric(name: str, **options: Any) -> NoReferenceMetric:
    """The registered no-reference metric called ``name`` (its ``name``, e.g. ``'niqe'``, or its registry key)."""
    from ..registry import build

    known = no_reference_metrics()
    cls = known.get(name) or next((c for c in known.values() if c.__name__ == name), None)
    if cls is None:
        raise RegistryError(f"unknown no-reference metric '{name}'{did_you_mean(name, known)}; known: "
                            f"{', '.join(sorted(known)) or 'none'}")
    return build("metrics", {"type": cls, **options})
