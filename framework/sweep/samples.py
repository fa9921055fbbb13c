"""Sample images of an evaluated cell, written where reports can lay them out without loading any model.

For the first ``count`` images of an evaluation set (names sorted), :func:`write_samples` writes into
``<run_dir>/samples/<dataset>/``::

    input/<name>.png    the low-light input            gt/<name>.png     the ground truth (paired sets only)
    output/<name>.png   the model's enhanced image     prior/<name>.png  the image prior's class map (see below)
    samples.json        {"dataset", "images": [{"name", "file"}], "prior": identity or null, "num_classes"}

The prior panel exists only when the model has an image prior whose features carry logits (a segmentation prior):
its argmax over classes, upsampled (nearest) to the image size and coloured with the PASCAL VOC colour map
(:func:`llie.visual.segmentation.colorize`). Images are written atomically and ``samples.json`` last, so a folder with
a manifest is complete. File names are the image names with characters other than letters, digits, ``.``, ``_`` and
``-`` replaced by ``_``; the manifest keeps the original names.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

SAMPLES_DIR = "samples"
MANIFEST = "samples.json"
#: images per evaluation set when the sweep file does not say (``report: {samples: N}``)
DEFAULT_SAMPLES = 3
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def sample_dir(run_dir: str | Path, dataset: str) -> Path:
    return Path(run_dir) / SAMPLES_DIR / _UNSAFE.sub("_", dataset)


def first_items(dataset: Any, count: int) -> list[dict]:
    """The items of the ``count`` first image names in sorted order (the same images in every cell)."""
    pairs = getattr(dataset, "pairs", None)
    if pairs is not None:
        indexed = [(pair.name, i) for i, pair in enumerate(pairs)]
    else:
        indexed = [(str(dataset[i]["data_samples"]["name"]), i) for i in range(len(dataset))]
    return [dataset[i] for _, i in sorted(indexed)[:count]]


def class_map(logits: Any, height: int, width: int) -> np.ndarray:
    """``1×K×h×w`` logits → ``height×width×3`` uint8 argmax colours (nearest upsampling)."""
    from PIL import Image

    from ..visual.segmentation import colorize

    labels = logits[0].argmax(dim=0).cpu().numpy().astype(np.int32)
    coloured = colorize(labels, int(logits.shape[1]))
    return np.asarray(Image.fromarray(coloured).resize((width, height), Image.NEAREST))


def write_samples(model: Any, dataset: Any, out_dir: str | Path, count: int = DEFAULT_SAMPLES,
                  *, dataset_name: str = "") -> Path | None:
    """Enhance the first ``count`` images of ``dataset`` with ``model`` and write the files listed in the module
    docstring into ``out_dir``; returns the manifest path (None when ``count`` is 0 or the set is empty)."""
    import torch

    from ..data.io import write_image
    from ..engine.padding import pad_to_multiple
    from .cells import write_atomic  # here: cells imports the sweep spec, which imports this module

    items = first_items(dataset, count) if count > 0 else []
    if not items:
        return None
    out_dir = Path(out_dir)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    prior = getattr(model, "image_prior", None)
    entries, identity, num_classes = [], None, None
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for item in items:
                name = str(item["data_samples"]["name"])
                file = f"{_UNSAFE.sub('_', name)}.png"
                low = item["inputs"].unsqueeze(0).to(device)
                write_image(out_dir / "input" / file, item["inputs"])
                if "gt" in item["data_samples"]:  # unpaired sets have none
                    write_image(out_dir / "gt" / file, item["data_samples"]["gt"])
                write_image(out_dir / "output" / file, model(low, mode="tensor")[0].clamp(0, 1))
                logits = None
                if prior is not None:
                    padded, _ = pad_to_multiple(low, getattr(model, "pad_multiple", 1))
                    logits = prior(padded).logits
                if logits is not None:  # coloured at the padded size, then cropped back like the output
                    height, width = low.shape[-2:]
                    colours = class_map(logits, padded.shape[-2], padded.shape[-1])[:height, :width]
                    write_image(out_dir / "prior" / file, colours.astype(np.float32) / 255.0)
                    identity, num_classes = prior.identity(), int(logits.shape[1])
                entries.append({"name": name, "file": file})
    finally:
        model.train(was_training)
    manifest = {"dataset": dataset_name, "images": entries, "prior": identity, "num_classes": num_classes}
    write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=2))
    return out_dir / MANIFEST
