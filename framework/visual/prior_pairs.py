"""A prior on low-light / ground-truth pairs: the pictures of each image (``<name>_classes.png``, the class map over
the image with its legend; ``<name>_levels.png``, each feature level's energy) and how well the labels of the
low-light image agree with those of its ground truth (pixel accuracy, mIoU over the classes present;
:func:`llie.metrics.agreement.label_agreement`) — how far the prior can be trusted in the dark. Used by ``llie prior
--pairs`` and by ``llie demo`` (which writes the views of its priors on the sample pairs for the report)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ..interfaces import ImagePrior
    from .prior_view import PriorView


def unique_name(stem: str, taken: set[str]) -> str:
    """``stem``, or ``stem_2``, ``stem_3`` … when an earlier input had the same stem."""
    name, k = stem, 1
    while name in taken:
        k += 1
        name = f"{stem}_{k}"
    taken.add(name)
    return name


def record(prior: "ImagePrior", view: "PriorView", image: "np.ndarray", name: str, path: Path, role: str,
           out_dir: Path, alpha: float) -> dict:
    """Write the two pictures of one image; its JSON entry."""
    from ..data.io import write_image
    from .prior_view import class_image, fractions_by_name, levels_image

    files = {}
    for kind, picture in (("classes", class_image(view, image, prior, alpha)), ("levels", levels_image(view, image))):
        if picture is not None:
            files[kind] = str(write_image(out_dir / f"{name}_{kind}.png", picture / 255.0))
    fractions = None if view.labels is None else fractions_by_name(view.labels, prior.num_classes, prior.class_names)
    return {"name": name, "path": str(path), "role": role, "height": int(image.shape[0]), "width": int(image.shape[1]),
            "class_fractions": fractions,
            "levels": [{"stride": lv.stride, "channels": lv.channels, "mean_energy": lv.mean} for lv in view.levels],
            "files": files}


def run_pairs(prior: "ImagePrior", low_dir: str | Path, high_dir: str | Path, out_dir: Path, alpha: float,
              taken: set[str], images: list[dict]) -> tuple[list[dict], dict]:
    """Look at every pair of ``low_dir``/``high_dir`` (paired by stem), appending each image's entry to ``images``;
    (one agreement row per pair, their mean)."""
    from ..errors import ConfigError
    from ..metrics.agreement import label_agreement
    from ..registry import build
    from .prior_view import look
    from .segmentation import class_name

    dataset = build("datasets", {"type": "PairedFolder", "low_dir": str(low_dir), "high_dir": str(high_dir)})
    rows = []
    for pair in dataset.pairs:
        low, high = dataset.load_pair(pair)
        views = {}
        for role, path, image in (("low", pair.low, low), ("high", pair.high, high)):
            views[role] = look(prior, image)
            images.append(record(prior, views[role], image, unique_name(f"{pair.name}_{role}", taken), path, role,
                                 out_dir, alpha))
        if views["low"].labels is None:
            raise ConfigError(f"--pairs: image prior {type(prior).__name__} gives no class scores, so its labels "
                              f"cannot be compared; use a segmentation prior or drop --pairs")
        agreement = label_agreement(views["low"].labels, views["high"].labels)
        rows.append({"name": str(pair.name), "low": str(pair.low), "high": str(pair.high),
                     "pixel_accuracy": agreement.pixel_accuracy, "miou": agreement.miou,
                     "classes": [class_name(k, prior.class_names) for k in agreement.classes]})
    mean = {"pixel_accuracy": sum(r["pixel_accuracy"] for r in rows) / len(rows),
            "miou": sum(r["miou"] for r in rows) / len(rows), "n_pairs": len(rows)}
    return rows, mean
