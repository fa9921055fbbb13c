"""The mmengine hook: built from ``prior_cache:``, skipped where caching is unsound, and in real runs a second cell
(same frozen prior, same cache root) makes no prior forward at all."""
from __future__ import annotations

import pytest
import torch
from mmengine.config import Config
from prior_cache_fixtures import PoolPrior, run_config, save_prior_weights, tiny_hrnet

from llie.cache import PriorCacheHook, cacheable_prior, hook_from_config, install
from llie.engine.builders import build_dataset, build_model
from llie.engine.runner import build_train_runner
from llie.engine.training import train
from llie.errors import ConfigError


def test_hook_from_config():
    assert hook_from_config({}) is None and hook_from_config({"prior_cache": None}) is None
    assert hook_from_config({"prior_cache": False}) is None
    hook = hook_from_config({"prior_cache": {"root": "/tmp/x", "max_gb": 0.5, "mode": "exact"}})
    assert isinstance(hook, PriorCacheHook) and hook.cache.mode == "exact" and hook.cache.max_bytes == 500_000_000
    default = hook_from_config({"prior_cache": True}, default_root="/tmp/y").cache
    assert default.root.name == "y" and default.mode == "exact" and default.dtype == torch.float32
    with pytest.raises(ConfigError, match="root"):
        hook_from_config({"prior_cache": True})
    with pytest.raises(ConfigError, match="max_gigs"):
        hook_from_config({"prior_cache": {"root": "/tmp/x", "max_gigs": 1}})


def test_only_frozen_real_priors_are_cached():
    model = build_model(run_config(None))
    assert cacheable_prior(model) is model.image_prior
    no_prior = build_model({**run_config(None), "model": {**run_config(None)["model"], "image_prior": "NoPrior"}})
    assert cacheable_prior(no_prior) is None
    model.image_prior = PoolPrior()
    model.image_prior.scale.requires_grad_(True)  # a prior being trained: its features change
    assert cacheable_prior(model) is None


def _train_cell(cfg: dict, work_dir, cache_root) -> tuple[PriorCacheHook, list[int]]:
    runner = build_train_runner(Config(cfg), work_dir, resume=False, progress=False)
    hook = PriorCacheHook(root=cache_root, mode="window")
    runner.register_hook(hook)
    model = runner.model
    images: list[int] = []
    handle = model.image_prior.register_forward_hook(lambda m, args, out: images.append(int(args[0].shape[0])))
    runner.train()
    handle.remove()
    assert model.prior_feature_fn is None  # detached after the run
    return hook, images


def test_second_window_mode_cell_makes_no_prior_forward(tmp_path):
    weights = save_prior_weights(tiny_hrnet(seed=0), tmp_path / "prior.pth")
    first, first_images = _train_cell(run_config(weights, seed=0), tmp_path / "cell0", tmp_path / "cache")
    stats = first.stats
    assert stats["precomputed"] == 2 and stats["windows"] == 3 * 2 and stats["exact"] == 0
    assert sum(first_images) == stats["forward_images"] == 3  # 2 training images + 1 validation image
    second, second_images = _train_cell(run_config(weights, seed=1), tmp_path / "cell1", tmp_path / "cache")
    assert second_images == [] and second.stats["forwards"] == 0
    assert second.stats["windows"] == 6 and second.stats["hits"] > 0


def test_exact_mode_run_computes_crops_and_caches_only_validation(tmp_path):
    weights = save_prior_weights(tiny_hrnet(seed=0), tmp_path / "prior.pth")
    runner = build_train_runner(Config(run_config(weights)), tmp_path / "run", resume=False, progress=False)
    hook = hook_from_config({"prior_cache": True}, default_root=tmp_path / "cache")  # the defaults: exact
    runner.register_hook(hook)
    runner.train()
    assert hook.stats["windows"] == 0 and hook.stats["exact"] == 6 and hook.stats["misses"] == 1
    assert len(list((tmp_path / "cache").rglob("*.pt"))) == 1


def test_install_outside_a_runner(tmp_path):
    cfg = run_config(None)
    model = build_model(cfg)
    assert install(model, cfg) is None  # prior_cache not set: off
    cache = install(model, {**cfg, "prior_cache": {"root": str(tmp_path), "mode": "window"}},
                    [build_dataset(cfg, "train")])
    assert model.prior_feature_fn is cache and cache.stats.precomputed == 2
    low = torch.rand(1, 3, 32, 32)
    model(low)
    model(low)
    assert cache.stats.misses == 3 and cache.stats.memory_hits == 1


def _trained_weights(cfg: dict, work_dir) -> dict[str, torch.Tensor]:
    """Train ``cfg`` as ``llie train`` does (seeded, the cache hook from ``prior_cache``); the final weights."""
    result = train(Config(cfg), work_dir, resume=False, progress=False)
    return torch.load(result.checkpoint, weights_only=True)["state_dict"]


def test_the_default_cache_trains_exactly_as_no_cache_and_window_mode_does_not(tmp_path):
    """The cache's defaults never change what the enhancer sees: trained weights are bit-identical to an uncached
    run's. Window mode (opt-in) feeds approximate crop features, so the same seed trains to different weights."""
    weights = save_prior_weights(tiny_hrnet(seed=0), tmp_path / "prior.pth")
    cfg = run_config(weights, crop_size=20)  # crops at offsets not aligned to the prior's strides
    plain = _trained_weights(cfg, tmp_path / "plain")
    default = _trained_weights({**cfg, "prior_cache": {"root": str(tmp_path / "c1")}}, tmp_path / "default")
    window = _trained_weights({**cfg, "prior_cache": {"root": str(tmp_path / "c2"), "mode": "window"}},
                              tmp_path / "window")
    enhancer = [k for k in plain if k.startswith("enhancer.")]
    assert enhancer and all(torch.equal(plain[k], default[k]) for k in enhancer)
    assert any(not torch.equal(plain[k], window[k]) for k in enhancer)
