"""Benchmark: a small grid of training cells sharing one frozen prior, with and without the prior-feature cache.

:func:`compare` trains ``cells`` cells (seeds ``0 … cells-1``) of one config twice — uncached and cached (one cache
folder shared by the cached cells) — alternating the two arms cell by cell so background load hits both alike, and
counts prior forward passes (through a forward hook on the prior module) and wall time (runner build + training +
the final validation). The prior's weights are saved once to a file and every cell loads them (``pretrained``), as a
sweep over a frozen pretrained prior does. ``train.stages`` is dropped: each cell is one plain run of ``iters``
iterations. :func:`format_table` prints the figures.

Prior forwards are counted in images. ``feature`` forwards are the ones made to get the enhancer's prior features
(what the cache removes); ``all`` also includes calls losses make on the prediction (e.g. a semantic loss), which
no cache can serve.
"""
from __future__ import annotations

import copy
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from mmengine.config import Config

from ..config import load_config, to_plain
from ..errors import ConfigError
from .hook import PriorCacheHook
from .settings import fidelity_label

#: what the benchmark measures unless told otherwise: the fast, approximate settings (opt-in in real runs)
BENCH_CACHE_OPTIONS = {"mode": "window", "dtype": "float16"}

#: the default grid cell: tiny HRNet prior + tiny SemanticAwareEnhancer on synthetic pairs
DEFAULT_CONFIG: dict[str, Any] = {
    "seed": 0,
    "model": {
        "type": "SemanticPriorModel",
        "image_prior": {"type": "HRNetPrior", "variant": "tiny", "num_classes": 8, "pretrained": None},
        "enhancer": {"type": "SemanticAwareEnhancer", "base_channels": 16, "levels": 2, "blocks_per_level": 1,
                     "bottleneck_blocks": 1, "block_type": "conv", "sem_scales": [1, 2]},
        "losses": [{"type": "PixelLoss", "kind": "charbonnier", "weight": 1.0}],
    },
    "data": {
        "batch_size": 8, "num_workers": 0,
        "train": {"type": "SyntheticPairs", "split": "train", "image_size": 128, "variants_per_image": 2,
                  "crop_size": 64, "augment": True},
        "val": {"type": "SyntheticPairs", "split": "test", "image_size": 128, "variants_per_image": 1},
    },
    "train": {"max_iters": 40, "log_interval": 1000,
              "optimizer": {"type": "AdamW", "lr": 0.001, "betas": [0.9, 0.999], "weight_decay": 0.0}},
}


class _ForwardCounter:
    """Counts calls of a module and the images in them; ``feature`` counts only those made for features."""

    def __init__(self, prior: torch.nn.Module) -> None:
        self.calls = self.images = self.feature_images = 0
        self.in_features = False
        self.handle = prior.register_forward_hook(self._count)

    def _count(self, module: Any, args: tuple, output: Any) -> None:
        images = int(args[0].shape[0]) if args and isinstance(args[0], torch.Tensor) else 0
        self.calls += 1
        self.images += images
        if self.in_features:
            self.feature_images += images


def _uncached_feature_fn(counter: _ForwardCounter) -> Any:
    """What the model does without a cache (frozen prior under ``no_grad``), with its forwards flagged."""
    def features(prior: Any, low: torch.Tensor, data_samples: Any = None) -> Any:
        counter.in_features = True
        try:
            with torch.no_grad():
                return prior(low)
        finally:
            counter.in_features = False
    return features


def _resolve(cfg: str | Path | Config | dict | None, iters: int) -> dict:
    if cfg is None:
        plain = copy.deepcopy(DEFAULT_CONFIG)
    elif isinstance(cfg, (str, Path)):
        plain = to_plain(load_config(cfg)._cfg_dict)
    elif isinstance(cfg, Config):
        plain = to_plain(cfg._cfg_dict)
    else:
        plain = copy.deepcopy(to_plain(cfg))
    model = plain.get("model") or {}
    if not model.get("image_prior") or str((model["image_prior"] or {}).get("type", "none")).lower() == "none":
        raise ConfigError("prior-cache benchmark: the config has no model.image_prior; nothing to cache")
    train = plain.setdefault("train", {})
    train.pop("stages", None)
    train.update({"max_iters": int(iters), "val_interval": int(iters), "checkpoint_interval": int(iters),
                  "keep_checkpoints": 1, "scheduler": None})
    train.setdefault("log_interval", 1000)
    plain.pop("prior_cache", None)
    return plain


def _freeze_prior_weights(plain: dict, folder: Path) -> None:
    """Save one set of prior weights and point the config at them, so every cell shares one frozen prior."""
    from ..registry import build

    prior_cfg = dict(plain["model"]["image_prior"])
    if prior_cfg.get("pretrained"):
        return
    torch.manual_seed(0)
    prior = build("image_priors", prior_cfg)
    path = folder / "prior_weights.pth"
    torch.save({"state_dict": prior.state_dict()}, path)
    plain["model"]["image_prior"]["pretrained"] = str(path)


def _run_cell(plain: dict, seed: int, work_dir: Path, cache_root: Path | None, cache_options: dict) -> dict:
    from ..engine.runner import build_train_runner

    cell = copy.deepcopy(plain)
    cell["seed"] = seed
    started = time.perf_counter()
    runner = build_train_runner(Config(cell), work_dir, resume=False, progress=False)
    model = getattr(runner.model, "module", runner.model)
    counter = _ForwardCounter(model.image_prior)
    hook = None
    if cache_root is not None:
        hook = PriorCacheHook(root=cache_root, **cache_options)
        runner.register_hook(hook)
    else:
        model.prior_feature_fn = _uncached_feature_fn(counter)
    try:
        runner.train()
    finally:
        counter.handle.remove()
        model.prior_feature_fn = None
    wall = time.perf_counter() - started
    # the cache counts its own forwards (before training and on demand): those are its feature forwards
    feature_images = hook.cache.stats.forward_images if hook is not None else counter.feature_images
    return {"wall_s": wall, "prior_calls": counter.calls, "prior_images": counter.images,
            "feature_images": feature_images,
            "cache": hook.stats if hook is not None else None}


def compare(cfg: str | Path | Config | dict | None = None, cells: int = 4, iters: int = 40,
            work_dir: str | Path | None = None, cache_options: dict | None = None,
            prior: dict | None = None) -> dict:
    """Train ``cells`` seeds of ``cfg`` uncached and cached; returns per-arm totals and the ratios.

    cfg: a config path, Config or dict (default :data:`DEFAULT_CONFIG`). iters: training iterations per cell.
    work_dir: where runs and the cache go (default: a temporary folder, removed afterwards).
    cache_options: PriorCacheHook options besides ``root``; default :data:`BENCH_CACHE_OPTIONS` (window mode,
        float16: the settings that save prior forwards on training crops, which change the features).
    prior: replaces ``model.image_prior`` (e.g. ``{'type': 'HRNetPrior', 'variant': 'w18_small', ...}``).
    """
    if cells < 1 or iters < 1:
        raise ConfigError(f"prior-cache benchmark: cells and iters must be ≥ 1, got {cells} and {iters}")
    plain = _resolve(cfg, iters)
    options = dict(BENCH_CACHE_OPTIONS if cache_options is None else cache_options)
    if prior is not None:
        plain["model"]["image_prior"] = dict(prior)
    temporary = work_dir is None
    root = Path(tempfile.mkdtemp(prefix="prior-cache-bench-")) if temporary else Path(work_dir)
    root.mkdir(parents=True, exist_ok=True)
    try:
        _freeze_prior_weights(plain, root)
        arms: dict[str, list[dict]] = {"uncached": [], "cached": []}
        for seed in range(cells):
            arms["uncached"].append(_run_cell(plain, seed, root / "uncached" / f"cell{seed}", None, {}))
            arms["cached"].append(_run_cell(plain, seed, root / "cached" / f"cell{seed}", root / "cache",
                                            dict(options)))
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
    result: dict[str, Any] = {"cells": cells, "iters": iters, "prior": plain["model"]["image_prior"].get("type"),
                              "prior_variant": plain["model"]["image_prior"].get("variant"),
                              "device": "cuda" if torch.cuda.is_available() else "cpu",
                              "cache_mode": fidelity_label({"root": "-", **options})}
    for arm, runs in arms.items():
        result[arm] = {
            "wall_s": sum(r["wall_s"] for r in runs),
            "prior_calls": sum(r["prior_calls"] for r in runs),
            "prior_images": sum(r["prior_images"] for r in runs),
            "feature_images": sum(r["feature_images"] for r in runs),
            "per_cell_wall_s": [round(r["wall_s"], 3) for r in runs],
            "per_cell_feature_images": [r["feature_images"] for r in runs],
        }
    caches = [r["cache"] for r in arms["cached"]]
    result["cached"]["cache"] = {k: sum(c[k] for c in caches) for k in caches[0]}
    u, c = result["uncached"], result["cached"]
    result["feature_forward_ratio"] = u["feature_images"] / max(1, c["feature_images"])
    result["prior_forward_ratio"] = u["prior_images"] / max(1, c["prior_images"])
    result["wall_ratio"] = u["wall_s"] / max(1e-9, c["wall_s"])
    return result


def format_table(result: dict) -> str:
    """The figures of :func:`compare` as a small Markdown table plus the ratios."""
    u, c = result["uncached"], result["cached"]
    variant = f" ({result['prior_variant']})" if result.get("prior_variant") else ""
    lines = [
        f"Prior-feature cache: {result['cells']} cells × {result['iters']} iterations, prior {result['prior']}"
        f"{variant}, {result['device']}",
        "",
        "| arm | wall time (s) | prior forwards for features (images) | all prior forwards (images) | per-cell wall (s) |",
        "|---|---:|---:|---:|---|",
        f"| no cache | {u['wall_s']:.1f} | {u['feature_images']} | {u['prior_images']} | "
        f"{', '.join(f'{w:.1f}' for w in u['per_cell_wall_s'])} |",
        f"| cache ({result.get('cache_mode', '?')}) | {c['wall_s']:.1f} | {c['feature_images']} | {c['prior_images']} | "
        f"{', '.join(f'{w:.1f}' for w in c['per_cell_wall_s'])} |",
        "",
        f"fewer prior forwards: {result['feature_forward_ratio']:.1f}× (features), "
        f"{result['prior_forward_ratio']:.1f}× (all) · less wall time: {result['wall_ratio']:.2f}×",
    ]
    stats = c.get("cache")
    if stats:
        lines.append(f"cache: {stats['hits']} hits ({stats['memory_hits']} memory, {stats['disk_hits']} disk), "
                     f"{stats['misses']} entries computed ({stats['precomputed']} before training), "
                     f"{stats['windows']} crop windows, {stats['exact']} exact, "
                     f"{stats['bytes_written'] / 1e6:.1f} MB written")
    return "\n".join(lines)
