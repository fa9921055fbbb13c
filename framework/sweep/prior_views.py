"""What the segmentation priors of a sweep see on real low-light pairs, written beside its results for the report.

For each distinct ``model.image_prior`` among the plan's cells that gives class scores (a segmentation prior;
``NoPrior`` and feature-only priors are passed over), :func:`write_prior_views` builds the prior as the cells build it
(so a random-init prior is the very network they trained with), runs it on each low-light image of a pair folder and
on its ground truth (:func:`llie.visual.prior_pairs.run_pairs`), and writes into ``<sweep_dir>/prior_views/<id>/``
(``<id>``: a hash of the prior's identity) the class-map pictures and ``prior.json``: the row's method label, the
prior's config and identity, per-image class fractions, and the low-vs-GT label agreement (pixel accuracy, mIoU) per
pair and on average. ``prior_views/index.json`` lists the folders of the current plan in order (written last); reports
lay them out (:mod:`llie.report.prior_views`). A folder whose ``prior.json`` holds the same prior identity and pairs is
kept: rerunning does not redo it.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .cells import lookup, write_atomic
from .plan import SweepPlan
from .spec import canonical

PRIOR_VIEWS_DIR = "prior_views"
PRIOR_VIEW_FILE = "prior.json"
INDEX_FILE = "index.json"


def distinct_priors(plan: SweepPlan) -> list[tuple[str, dict[str, Any]]]:
    """``(method label, image_prior config)`` of each distinct image prior in the plan's cells, first use first."""
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for planned in plan.cells:
        found, prior = lookup(planned.cell.config, "model.image_prior")
        if not found or not isinstance(prior, dict) or str(prior.get("type", "")).lower() in ("", "none", "noprior"):
            continue
        seen.setdefault(canonical(prior), (planned.cell.method, prior))
    return list(seen.values())


def _current(path: Path, identity: str, low_dir: Path, high_dir: Path) -> bool:
    try:
        done = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return (done.get("prior") == identity and done.get("low_dir") == str(low_dir)
            and done.get("high_dir") == str(high_dir))


def write_prior_views(plan: SweepPlan, low_dir: str | Path, high_dir: str | Path, *, alpha: float = 0.5
                      ) -> list[Path]:
    """Write the views of every segmentation prior of ``plan`` on the pairs of ``low_dir``/``high_dir``; returns the
    ``prior.json`` paths (priors without class scores give none)."""
    from ..engine.model import build_frozen_part
    from ..plugin_door import ensure_plugins_loaded
    from ..visual.prior_pairs import run_pairs

    ensure_plugins_loaded()
    low_dir, high_dir = Path(low_dir).resolve(), Path(high_dir).resolve()
    root = plan.sweep_dir / PRIOR_VIEWS_DIR
    written = []
    for method, config in distinct_priors(plan):
        prior = build_frozen_part("image_priors", config)
        if getattr(prior, "num_classes", None) is None:
            continue
        folder = root / hashlib.sha256(prior.identity().encode()).hexdigest()[:12]
        path = folder / PRIOR_VIEW_FILE
        if not _current(path, prior.identity(), low_dir, high_dir):
            folder.mkdir(parents=True, exist_ok=True)
            images: list[dict] = []
            rows, mean = run_pairs(prior, low_dir, high_dir, folder, alpha, set(), images)
            payload = {"method": method, "prior_config": config, "prior": prior.identity(),
                       "num_classes": prior.num_classes,
                       "class_names": None if prior.class_names is None else list(prior.class_names),
                       "low_dir": str(low_dir), "high_dir": str(high_dir), "images": images, "pairs": rows,
                       "agreement": mean}
            write_atomic(path, json.dumps(payload, indent=2, default=str))
        written.append(path)
    if written or root.is_dir():
        write_atomic(root / INDEX_FILE, json.dumps([p.parent.name for p in written], indent=2))
    return written
