"""What the sweep's segmentation priors see on real low-light pairs, laid out from the files ``llie demo`` wrote
(``<sweep_dir>/prior_views/``, see :mod:`llie.sweep.prior_views`): no prior is built here.

- a table of the label agreement between each low-light image and its ground truth (pixel accuracy and mIoU per
  pair, their mean, and the mean number of classes the two maps hold), one row per prior — how far each prior's
  labels survive the dark. A prior that gives every pixel one class agrees perfectly and means nothing: the class
  count says so;
- one picture per prior, ``prior_pairs_<id>.png``: a row per pair, the class map of the low-light image beside the
  class map of its ground truth (each with its legend of classes and pixel fractions), scaled to ``ROW_HEIGHT``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from .tables import Number, Table

#: what the sweep leaves (the names of :mod:`llie.sweep.prior_views`; not imported: it loads the training stack)
PRIOR_VIEWS_DIR = "prior_views"
PRIOR_VIEW_FILE = "prior.json"
INDEX_FILE = "index.json"
ROW_HEIGHT = 200
GAP = 6
DECIMALS = 3


@dataclass
class PriorViews:
    """One prior's views: its folder (``<sweep_dir>/prior_views/<id>``) and ``prior.json``'s content."""

    folder: Path
    payload: dict

    @property
    def label(self) -> str:
        """The row label: the prior's class, its weights (``random init`` or a digest) and the method using it."""
        identity = str(self.payload.get("prior", ""))
        weights = identity.rpartition("@")[2] if "@" in identity else ""
        tag = "random init" if weights == "random" else f"weights {weights[:8]}" if weights else ""
        name = identity.partition("(")[0] or self.folder.name
        return f"{name}{f', {tag}' if tag else ''} ({self.payload.get('method', '')})"


def read_prior_views(sweep_dir: str | Path) -> list[PriorViews]:
    """The views ``index.json`` lists, in its order (none when the folder or a file is missing or unreadable)."""
    root = Path(sweep_dir) / PRIOR_VIEWS_DIR
    try:
        names = json.loads((root / INDEX_FILE).read_text())
    except (OSError, ValueError):
        return []
    views = []
    for name in names if isinstance(names, list) else []:
        try:
            payload = json.loads((root / str(name) / PRIOR_VIEW_FILE).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(payload, dict) and payload.get("pairs"):
            views.append(PriorViews(root / str(name), payload))
    return views


def agreement_table(views: list[PriorViews], sweep: str = "") -> Table:
    """Priors × (each pair, mean) × (pixel accuracy, mIoU)."""
    pairs = [str(p["name"]) for p in views[0].payload["pairs"]]
    groups = [(f"pair {name}", 2) for name in pairs] + [("mean", 3)]
    columns = ["Prior"] + ["Pixel acc.", "mIoU"] * (len(pairs) + 1) + ["Classes"]
    rows, records = [], []
    for view in views:
        by_name = {str(p["name"]): p for p in view.payload["pairs"]}
        cells: list = [view.label]
        record: dict[str, object] = {"prior": view.label, "identity": view.payload.get("prior")}
        for name in pairs:
            pair = by_name.get(name, {})
            for key in ("pixel_accuracy", "miou"):
                value = float(pair.get(key, np.nan))
                cells.append(Number(value, DECIMALS))
                record[f"{name}/{key}"] = value
        mean = view.payload.get("agreement", {})
        for key in ("pixel_accuracy", "miou"):
            value = float(mean.get(key, np.nan))
            cells.append(Number(value, DECIMALS))
            record[f"mean/{key}"] = value
        classes = float(np.mean([len(p.get("classes", [])) for p in view.payload["pairs"]]))
        cells.append(Number(classes, 1))
        record["mean/classes"] = classes
        rows.append(cells)
        records.append(record)
    where = f"{sweep}: " if sweep else ""
    caption = (f"{where}label agreement of each image prior between a low-light image and its ground truth "
               f"({len(pairs)} real pairs; pixel accuracy, and mIoU over the classes present in either map; Classes: "
               f"how many classes the two maps hold, on average — 1 means the prior sees one class everywhere and "
               f"agrees trivially)")
    return Table(caption, f"tab:{sweep or 'sweep'}-prior-agreement", groups, columns, rows,
                 pd.DataFrame.from_records(records))


def _open(path: Path) -> np.ndarray | None:
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except OSError:
        return None


def _scaled(image: np.ndarray, height: int) -> np.ndarray:
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BICUBIC))


def pairs_sheet(view: PriorViews, row_height: int = ROW_HEIGHT) -> np.ndarray | None:
    """A row per pair: the low-light image's class panel, then its ground truth's (white gaps, left-aligned)."""
    files = {str(entry["name"]): entry.get("files", {}).get("classes") for entry in view.payload.get("images", [])}
    rows = []
    for pair in view.payload["pairs"]:
        panels = []
        for role in ("low", "high"):
            file = files.get(f"{pair['name']}_{role}")
            image = _open(view.folder / Path(file).name) if file else None
            if image is not None:
                panels.append(_scaled(image, row_height))
        if panels:
            rows.append(panels)
    if not rows:
        return None
    widths = [sum(p.shape[1] for p in panels) + GAP * (len(panels) - 1) for panels in rows]
    sheet = np.full((len(rows) * (row_height + GAP) - GAP, max(widths), 3), 255, dtype=np.uint8)
    for r, panels in enumerate(rows):
        left, top = 0, r * (row_height + GAP)
        for panel in panels:
            sheet[top:top + row_height, left:left + panel.shape[1]] = panel
            left += panel.shape[1] + GAP
    return sheet


def write_sheets(views: list[PriorViews], out_dir: Path) -> list[tuple[PriorViews, Path]]:
    """``prior_pairs_<id>.png`` of each prior in ``out_dir`` (written whole: temp file + rename)."""
    written = []
    for view in views:
        sheet = pairs_sheet(view)
        if sheet is None:
            continue
        path = out_dir / f"prior_pairs_{view.folder.name}.png"
        tmp = path.with_name(f".{path.name}.tmp")
        Image.fromarray(sheet).save(tmp, format="PNG")
        tmp.replace(path)
        written.append((view, path))
    return written
