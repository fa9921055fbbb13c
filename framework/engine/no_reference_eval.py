"""Evaluation without ground truth: the model enhances every image of a set and no-reference metrics score the
outputs, through mmengine's TestLoop like paired evaluation."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmengine.config import Config

from ..metrics.no_reference import build_no_reference_metric
from .runner import build_test_runner

#: what ``protocol`` says on every no-reference result (each metric fixes its own computation; NIQE: see its module)
PROTOCOL = "no-reference"


@dataclass
class NoReferenceResult:
    """Means per metric, which of them are lower-is-better, and one ``{'name', <metric>...}`` row per image."""

    means: dict[str, float]
    lower_is_better: list[str]
    per_image: list[dict] = field(default_factory=list)

    @property
    def n_images(self) -> int:
        return len(self.per_image)

    def as_dict(self) -> dict[str, Any]:
        """The shape of paired results (``<metric>`` means, ``protocol``, ``n_images``, ``per_image``), plus
        ``lower_is_better``."""
        return {**self.means, "protocol": PROTOCOL, "lower_is_better": list(self.lower_is_better),
                "n_images": self.n_images, "per_image": self.per_image}


def evaluate_no_reference(cfg: Config, model: Any, dataset: Any, work_dir: str | Path, metrics: list[str], *,
                          progress: bool = True) -> NoReferenceResult:
    """Enhance every image of ``dataset`` with ``model`` and score the outputs with the named no-reference
    ``metrics`` (names as :func:`llie.metrics.no_reference_metrics` lists them, e.g. ``['niqe']``)."""
    scorers = [build_no_reference_metric(name) for name in metrics]
    runner = build_test_runner(cfg, work_dir, model, dataset, scorers, progress=progress)
    means = runner.test()
    rows = [{"name": row["name"]} for row in scorers[0].last_per_image]
    for scorer in scorers:  # every metric saw the same images in the same order
        for row, scored in zip(rows, scorer.last_per_image):
            row[scorer.name] = scored[scorer.name]
    return NoReferenceResult({s.name: float(means[s.name]) for s in scorers},
                             [s.name for s in scorers if not s.higher_is_better], rows)
