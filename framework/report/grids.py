"""Image grids: for the first few test images of each dataset (names sorted), one row per image with the panels
input | each method's output | ground truth | each distinct segmentation prior's argmax map (fixed colours).

Each method's output comes from one cell (the smallest seed): its ``config.yaml`` is loaded with
:func:`llie.config.load_config` and its checkpoint (see :func:`find_checkpoint`) with
:func:`llie.engine.training.load_trained_model`. The inputs and ground truths come from the test split of the
first method's config. A prior panel appears for every distinct image prior (by ``identity()``) whose features
carry logits; priors without logits and models without priors add no panel. A cell that cannot be loaded is left
out of the grid with a note rather than failing the report.

Layout (pixels): a header strip of ``HEADER`` above the tiles, ``PAD`` between and around tiles; every tile is
``tile_height`` high and as wide as the first image's aspect ratio gives, so a grid of R rows and C columns is
``PAD + C·(tile_w + PAD)`` wide and ``HEADER + PAD + R·(tile_height + PAD)`` high.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from PIL import Image, ImageDraw

from ..engine.resume import LAST_CHECKPOINT, last_checkpoint
from ..visual.segmentation import class_palette
from ..visual.text import fit_text as _fit
from ..visual.text import font as _font
from .aggregate import dataset_label, dataset_sort_key

TILE_HEIGHT = 160
PAD = 4
HEADER = 20
IMAGES_PER_DATASET = 3
BACKGROUND = (255, 255, 255)


PALETTE = class_palette()


def segmentation_colours(logits: torch.Tensor, height: int, width: int) -> np.ndarray:
    """``1×K×h×w`` logits → ``height×width×3`` float image of argmax class colours (nearest upsampling)."""
    labels = logits[0].argmax(dim=0).to(torch.int64).cpu().numpy() % len(PALETTE)
    coloured = Image.fromarray(PALETTE[labels]).resize((width, height), Image.NEAREST)
    return np.asarray(coloured, dtype=np.float32) / 255.0


def find_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint mmengine's ``last_checkpoint`` pointer names, looked up inside ``run_dir`` first (the pointer
    holds an absolute path, stale once a sweep folder is moved or copied), then where it points, then the newest
    ``*.pth`` of the run directory."""
    pointer = run_dir / LAST_CHECKPOINT
    if pointer.is_file():
        local = run_dir / Path(pointer.read_text().strip()).name
        if local.is_file():
            return local
    found = last_checkpoint(run_dir)
    if found is not None:
        return found
    candidates = sorted(run_dir.glob("*.pth"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


def first_test_items(dataset: Any, count: int = IMAGES_PER_DATASET) -> list[dict]:
    """The items of the ``count`` first names in sorted order."""
    pairs = getattr(dataset, "pairs", None)
    if pairs is not None:
        indexed = [(pair.name, i) for i, pair in enumerate(pairs)]
    else:
        indexed = [(str(dataset[i]["data_samples"]["name"]), i) for i in range(len(dataset))]
    return [dataset[i] for _, i in sorted(indexed)[:count]]


def to_array(image: torch.Tensor) -> np.ndarray:
    return image.detach().clamp(0, 1).permute(1, 2, 0).cpu().numpy().astype(np.float32)


@dataclass
class MethodOutputs:
    outputs: list[np.ndarray]
    prior_identity: str | None = None
    prior_maps: list[np.ndarray] | None = None


def run_method(cfg: Any, checkpoint: Path, lows: list[torch.Tensor], device: torch.device) -> MethodOutputs:
    """The enhanced images (and the prior's argmax maps, if it has logits) of one trained model."""
    from ..engine.training import load_trained_model

    model = load_trained_model(cfg, checkpoint).to(device)
    outputs, maps, identity = [], [], None
    with torch.no_grad():
        for low in lows:
            batch = low.unsqueeze(0).to(device)
            outputs.append(to_array(model(batch, mode="tensor")[0]))
            if getattr(model, "image_prior", None) is None:
                continue
            features = model.prior_features(batch)
            if features is not None and features.logits is not None:
                maps.append(segmentation_colours(features.logits, low.shape[-2], low.shape[-1]))
        if maps:
            identity = model.image_prior.identity()
    del model
    gc.collect()
    return MethodOutputs(outputs, identity, maps or None)


def compose_grid(titles: list[str], rows: list[list[np.ndarray]], row_names: list[str],
                 tile_height: int = TILE_HEIGHT) -> Image.Image:
    """Tiles (``H×W×3`` floats in [0, 1]) under a header of column titles; see the module docstring for sizes."""
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
            tile = Image.fromarray((np.clip(panel, 0, 1) * 255 + 0.5).astype(np.uint8))
            left = PAD + c * (tile_w + PAD)
            canvas.paste(tile.resize((tile_w, tile_height), Image.BICUBIC), (left, top))
            if c == 0:
                label = _fit(name, draw, font, tile_w - 4)
                box = draw.textbbox((left + 2, top + tile_height - 16), label, font=font)
                draw.rectangle(box, fill=(0, 0, 0))
                draw.text((left + 2, top + tile_height - 16), label, fill=(255, 255, 255), font=font)
    return canvas


def dataset_grid(members: list[tuple[str, Path]], count: int, notes: list[str], device: torch.device
                 ) -> tuple[Image.Image, list[str]] | None:
    """The grid of one dataset from ``(row label, run dir)`` pairs; None when no method could be loaded."""
    from ..config import load_config
    from ..engine.builders import build_dataset

    items: list[dict] | None = None
    methods: list[tuple[str, MethodOutputs]] = []
    for label, run_dir in members:
        try:
            cfg = load_config(run_dir / "config.yaml")
            checkpoint = find_checkpoint(run_dir)
            if checkpoint is None:
                raise FileNotFoundError(f"no checkpoint in {run_dir}")
            if items is None:
                items = first_test_items(build_dataset(cfg, "test"), count)
            methods.append((label, run_method(cfg, checkpoint, [it["inputs"] for it in items], device)))
        except Exception as exc:  # one broken cell should not sink the whole report
            notes.append(f"image grid: left out {label} ({run_dir}): {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}")
    if not methods or not items:
        return None
    priors: dict[str, list[np.ndarray]] = {}
    for _, out in methods:
        if out.prior_identity is not None and out.prior_identity not in priors:
            priors[out.prior_identity] = out.prior_maps or []
    titles = ["input", *[label for label, _ in methods], "GT",
              *[f"prior: {identity.split('(')[0]}" for identity in priors]]
    rows, names = [], []
    for i, item in enumerate(items):
        rows.append([to_array(item["inputs"]), *[out.outputs[i] for _, out in methods],
                     to_array(item["data_samples"]["gt"]), *[maps[i] for maps in priors.values()]])
        names.append(str(item["data_samples"]["name"]))
    return compose_grid(titles, rows, names), names


def grid_members(cells: pd.DataFrame, sweep_dir: Path, dataset: str) -> list[tuple[str, Path]]:
    """(row label, run dir) of the smallest-seed cell of each row on ``dataset``, rows in label order."""
    part = cells[cells["dataset"] == dataset].sort_values(["seed", "cell_id"])
    chosen = part.drop_duplicates("row", keep="first")
    rows = sorted(chosen["row"], key=lambda r: (r.casefold(), r))
    by_row = dict(zip(chosen["row"], chosen["cell_id"]))
    return [(r, sweep_dir / str(by_row[r])) for r in rows]


def write_grids(sweep_dir: str | Path, cells: pd.DataFrame, out_dir: str | Path, *,
                count: int = IMAGES_PER_DATASET, notes: list[str] | None = None) -> list[tuple[str, Path, list[str]]]:
    """One ``grid_<dataset>.png`` per dataset in ``out_dir``; returns (dataset label, path, image names)."""
    notes = notes if notes is not None else []
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    written = []
    for dataset in sorted(cells["dataset"].unique(), key=dataset_sort_key):
        result = dataset_grid(grid_members(cells, Path(sweep_dir), dataset), count, notes, device)
        if result is None:
            notes.append(f"image grid for {dataset}: no method could be loaded")
            continue
        image, names = result
        path = Path(out_dir) / f"grid_{_safe(dataset)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
        written.append((dataset_label(dataset), path, names))
    return written


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
