"""Turn a resolved experiment config into the mmengine pieces (model, data loaders, evaluator, hooks, loops)."""
from __future__ import annotations

from typing import Any

from mmengine.config import Config

from ..config import to_plain
from ..errors import ConfigError
from ..registry import build

DEFAULT_MODEL_TYPE = "SemanticPriorModel"


def section(cfg: Config | dict, name: str) -> dict:
    value = cfg.get(name) or {}
    return to_plain(value)


def build_model(cfg: Config | dict) -> Any:
    model_cfg = section(cfg, "model")
    model_cfg.setdefault("type", DEFAULT_MODEL_TYPE)
    return build("models", model_cfg)


def build_dataset(cfg: Config | dict, split: str) -> Any:
    """``split`` is 'train', 'val' or 'test' (test falls back to val)."""
    data = section(cfg, "data")
    ds_cfg = data.get(split) or (data.get("val") if split == "test" else None)
    if ds_cfg is None:
        raise ConfigError(f"data.{split} is not configured")
    dataset = build("datasets", ds_cfg)
    return dataset if split == "train" else without_bad_pairs(dataset)


def without_bad_pairs(dataset: Any) -> Any:
    """An evaluation dataset under ``skip_bad_pairs`` (unpaired: ``skip_bad_images``) with its unusable pairs
    (images) removed up front (logged), so a bad one is left out of the means instead of being replaced by its
    neighbour."""
    if getattr(dataset, "skip_bad_pairs", False) and hasattr(dataset, "drop_bad_pairs"):
        dataset.drop_bad_pairs()
    if getattr(dataset, "skip_bad_images", False) and hasattr(dataset, "drop_bad_images"):
        dataset.drop_bad_images()
    return dataset


def eval_settings(cfg: Config | dict, **overrides: Any) -> dict:
    settings = {"protocol": "retinexformer", "gt_mean": False}
    settings.update(section(cfg, "eval"))
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return settings


def build_metric(cfg: Config | dict, **overrides: Any) -> Any:
    return build("metrics", {"type": "PairedImageMetric", **eval_settings(cfg, **overrides)})


def train_loader_cfg(cfg: Config | dict, dataset: Any) -> dict:
    """mmengine's loader config; a :class:`~llie.data.mixed.MixedSources` gets its batch sampler (fixed share of each
    source per batch) and collate (zeros for a missing ``gt``, ``has_target``)."""
    from ..data.mixed import MixedBatchSampler, MixedSources, collate_mixed

    data = section(cfg, "data")
    workers = int(data.get("num_workers", 0))
    batch_size = int(data.get("batch_size", 4))
    loader = dict(dataset=dataset, batch_size=batch_size, num_workers=workers,
                  pin_memory=bool(data.get("pin_memory", False)),
                  persistent_workers=bool(data.get("persistent_workers", False)) and workers > 0,
                  sampler=dict(type="InfiniteSampler", shuffle=True), collate_fn=dict(type="default_collate"))
    if isinstance(dataset, MixedSources):
        dataset.batch_counts(batch_size)  # shares that do not split the batch fail here, before the Runner starts
        loader.update(batch_sampler=dict(type=MixedBatchSampler), collate_fn=dict(type=collate_mixed))
    return loader


def eval_loader_cfg(cfg: Config | dict, dataset: Any) -> dict:
    data = section(cfg, "data")
    # eval images may differ in size: batch only when asked to
    return dict(dataset=dataset, batch_size=int(data.get("val_batch_size", 1)), num_workers=0,
                sampler=dict(type="DefaultSampler", shuffle=False), collate_fn=dict(type="default_collate"))
