"""Image grids, laid out from the sample images that evaluation saved in each run directory
(``<run dir>/samples/<dataset>/``, written by :mod:`llie.sweep.samples`): no model, dataset or checkpoint is loaded
here, so a report needs only the files.

One grid per results column (a dataset, or an extra evaluation set): one row per saved image (names sorted), with the
panels input | each method's output | ground truth (when the set has it) | each distinct image prior's class map. Each method's output
comes from one cell (the smallest seed) and methods follow the report's row order; the input and ground truth come
from the first method that has them. A prior panel appears for every distinct prior identity whose class maps were
saved (segmentation priors with logits); they are coloured with the PASCAL VOC colour map. A method whose cell has no
saved samples (evaluated before samples were saved, or with ``report: {samples: 0}``) is left out with a note.

Layout (pixels): a header strip of ``HEADER`` above the tiles, ``PAD`` between and around tiles; every tile is
``tile_height`` high and as wide as the first image's aspect ratio gives, so a grid of R rows and C columns is
``PAD + C·(tile_w + PAD)`` wide and ``HEADER + PAD + R·(tile_height + PAD)`` high.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from ..visual.text import fit_text as _fit
from ..visual.text import font as _font

TILE_HEIGHT = 160
PAD = 4
HEADER = 20
BACKGROUND = (255, 255, 255)
#: the sample layout of :mod:`llie.sweep.samples` (not imported: that package loads the training stack)
SAMPLES_DIR = "samples"
MANIFEST = "samples.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class Samples:
    """One cell's saved samples of one evaluation set."""

    folder: Path
    names: list[str]
    files: list[str]
    prior: str | None

    def image(self, kind: str, index: int) -> np.ndarray | None:
        path = self.folder / kind / self.files[index]
        if not path.is_file():
            return None
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def read_samples(run_dir: Path, dataset: str) -> Samples | None:
    """The samples a cell saved for ``dataset`` (None when it saved none or the manifest is unreadable)."""
    folder = Path(run_dir) / SAMPLES_DIR / _UNSAFE.sub("_", dataset)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        images = manifest["images"]
        names, files = [str(i["name"]) for i in images], [str(i["file"]) for i in images]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Samples(folder, names, files, manifest.get("prior")) if files else None


def compose_grid(titles: list[str], rows: list[list[np.ndarray | None]], row_names: list[str],
                 tile_height: int = TILE_HEIGHT) -> Image.Image:
    """Tiles (``H×W×3`` floats in [0, 1]; None leaves the tile blank) under a header of column titles; see the module
    docstring for sizes."""
    first = rows[0][0]
    tile_w = max(1, round(first.shape[1] * tile_height / first.shape[0]))
    width = PAD + len(titles) * (tile_w + PAD)
    height = HEADER + PAD + len(rows) * (tile_height + PAD)
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    font = _font()
    for c, title in enumerate(titles):
        draw.text((PAD + c * (tile_w + PAD), 3), _fit(title, draw, font, tile_w), fill=(0, 0, 0), font=font)
    for r, (panels, name) in enumerate(zip(rows, row_names)):
        top = HEADER + PAD + r * (tile_height + PAD)
        for c, panel in enumerate(panels):
            left = PAD + c * (tile_w + PAD)
            if panel is not None:
                tile = Image.fromarray((np.clip(panel, 0, 1) * 255 + 0.5).astype(np.uint8))
                canvas.paste(tile.resize((tile_w, tile_height), Image.BICUBIC), (left, top))
            if c == 0:
                label = _fit(name, draw, font, tile_w - 4)
                box = draw.textbbox((left + 2, top + tile_height - 16), label, font=font)
                draw.rectangle(box, fill=(0, 0, 0))
                draw.text((left + 2, top + tile_height - 16), label, fill=(255, 255, 255), font=font)
    return canvas


def prior_title(identity: str) -> str:
    """A prior panel's column title from its identity ``Class(options)@weights``: the class and its weights
    (``random init``, or the first digits of the weights' digest), so two priors of one class are told apart."""
    name = identity.partition("(")[0]
    weights = identity.rpartition("@")[2] if "@" in identity else ""
    if not weights:
        return f"prior: {name}"
    return f"prior: {name} " + ("(random init)" if weights == "random" else f"@{weights[:8]}")


def dataset_grid(members: list[tuple[str, Path]], dataset: str, notes: list[str]
                 ) -> tuple[Image.Image, list[str]] | None:
    """The grid of one evaluation set from ``(row label, run dir)`` pairs; None when no method saved samples."""
    methods = [(label, read_samples(run_dir, dataset)) for label, run_dir in members]
    missing = [label for label, samples in methods if samples is None]
    if missing:
        notes.append(f"image grid {dataset}: no saved sample images for {', '.join(missing)} (cells save them in "
                     f"<run dir>/{SAMPLES_DIR}/ while evaluating, unless the sweep says report: {{samples: 0}}; "
                     f"cells evaluated by an older llie have none)")
    methods = [(label, samples) for label, samples in methods if samples is not None]
    if not methods:
        return None
    first = methods[0][1]
    priors: dict[str, Samples] = {}
    for _, samples in methods:
        if samples.prior and samples.prior not in priors:
            priors[samples.prior] = samples
    has_gt = (first.folder / "gt").is_dir()  # unpaired sets have no ground truth: no GT column
    titles = ["input", *[label for label, _ in methods], *(["GT"] if has_gt else []), *[prior_title(p) for p in priors]]
    rows = []
    for i, name in enumerate(first.names):
        outputs = []
        for label, samples in methods:
            index = samples.names.index(name) if name in samples.names else None
            outputs.append(None if index is None else samples.image("output", index))
            if outputs[-1] is None:
                notes.append(f"image grid {dataset}: {label} has no output image for {name}")
        prior_maps = [p.image("prior", p.names.index(name)) if name in p.names else None for p in priors.values()]
        rows.append([first.image("input", i), *outputs, *([first.image("gt", i)] if has_gt else []), *prior_maps])
    if rows[0][0] is None:
        notes.append(f"image grid {dataset}: the input images are missing in {first.folder}")
        return None
    return compose_grid(titles, rows, first.names), first.names


def grid_members(cells: pd.DataFrame, sweep_dir: Path, column: str, rows: list[str]) -> list[tuple[str, Path]]:
    """(row label, run dir) of the smallest-seed cell of each row in results column ``column``, in ``rows`` order."""
    part = cells[cells["column"] == column].sort_values(["seed", "cell_id"])
    chosen = dict(part.drop_duplicates("row", keep="first")[["row", "cell_id"]].itertuples(index=False))
    return [(r, sweep_dir / str(chosen[r])) for r in rows if r in chosen]


def write_grids(sweep_dir: str | Path, cells: pd.DataFrame, out_dir: str | Path, *, rows: list[str],
                labels: dict[str, str], notes: list[str] | None = None) -> list[tuple[str, Path, list[str]]]:
    """One ``grid_<column>.png`` per results column in ``out_dir``; returns (column label, path, image names).

    ``cells``: columns ``cell_id``, ``row``, ``column`` (results column key), ``dataset`` (the evaluation set whose
    samples to show) and ``seed``; ``labels`` maps column keys to their labels, in the order the grids are made."""
    notes = notes if notes is not None else []
    written = []
    for column, label in labels.items():
        part = cells[cells["column"] == column]
        if part.empty:
            continue
        dataset = str(part["dataset"].iloc[0])
        result = dataset_grid(grid_members(cells, Path(sweep_dir), column, rows), dataset, notes)
        if result is None:
            notes.append(f"image grid for {label}: no method has saved sample images")
            continue
        image, names = result
        path = Path(out_dir) / f"grid_{_UNSAFE.sub('_', column)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        image.save(tmp, format="PNG")
        tmp.replace(path)
        written.append((label, path, names))
    return written
