"""PriorCache: exact full-image features (float16 when asked), no repeated forwards, windows for training crops, exact
mode, atomic entries under concurrent writers, and the size bound."""
from __future__ import annotations

import multiprocessing
import os

import pytest
import torch
from mmengine.dataset import default_collate
from prior_cache_fixtures import PoolPrior, tiny_hrnet

from llie.cache import DiskStore, MemoryLRU, PriorCache
from llie.cache.store import CachedFeatures
from llie.data.synthetic import SyntheticPairs
from llie.errors import ConfigError


def _entries(root) -> list:
    return sorted(p for p in root.rglob("*.pt"))


def _train_batch(ds, indices):
    return default_collate([ds[i] for i in indices])


def test_full_image_features_match_the_prior(tmp_path):
    prior = tiny_hrnet(seed=0)
    low = torch.rand(2, 3, 24, 40)
    with torch.no_grad():
        want = prior(low)
    half = PriorCache(tmp_path / "c16", dtype="float16")(prior, low)
    exact = PriorCache(tmp_path / "c32")(prior, low)  # the default stores float32: exactly the prior's features
    for (s, w), (_, h), (_, e) in zip(want.levels, half.levels, exact.levels):
        assert h.dtype == torch.float32 and h.shape == w.shape
        torch.testing.assert_close(h, w, rtol=2e-3, atol=1e-4)  # float16 storage
        assert torch.equal(e, w)
    torch.testing.assert_close(half.logits, want.logits, rtol=2e-3, atol=1e-4)
    assert half.logits_stride == want.logits_stride


def test_repeated_inputs_cost_no_forward_in_process_or_across_processes(tmp_path):
    prior, low = PoolPrior(), torch.rand(3, 3, 16, 16)
    cache = PriorCache(tmp_path)
    first = cache(prior, low)
    assert cache.stats.forwards == 1 and cache.stats.misses == 3 and len(_entries(tmp_path)) == 3
    again = cache(prior, low)
    assert cache.stats.forwards == 1 and cache.stats.memory_hits == 3
    fresh = PriorCache(tmp_path)  # another cell: a new process would see the same files
    from_disk = fresh(prior, low)
    assert fresh.stats.forwards == 0 and fresh.stats.disk_hits == 3
    for a, b, c in zip(first.levels, again.levels, from_disk.levels):
        assert torch.equal(a[1], b[1]) and torch.equal(a[1], c[1])  # the stored copy is served from the start


def test_training_crops_are_windows_after_prepare_and_exact_mode_computes_them(tmp_path):
    prior = PoolPrior()
    ds = SyntheticPairs(split="train", image_size=32, variants_per_image=1, crop_size=16, augment=True,
                        photos=["astronaut", "camera"])
    cache = PriorCache(tmp_path / "w", mode="window")
    counts = cache.prepare(prior, [ds])
    assert counts == {"images": 2, "computed": 2, "cached": 0} and cache.stats.forward_images == 2
    cache.phase = "train"
    for epoch in range(3):
        batch = _train_batch(ds, [0, 1])
        cache(prior, batch["inputs"], batch["data_samples"])
    assert cache.stats.forward_images == 2 and cache.stats.windows == 6 and cache.stats.exact == 0
    half = PriorCache(tmp_path / "w", mode="window", dtype="float16")
    assert half.prepare(prior, [ds])["cached"] == 0  # float16 is another folder
    assert PriorCache(tmp_path / "w", mode="window").prepare(prior, [ds]) == {"images": 2, "computed": 0,
                                                                             "cached": 2}

    exact = PriorCache(tmp_path / "x")  # the default mode
    assert exact.prepare(prior, [ds])["images"] == 0
    exact.phase = "train"
    batch = _train_batch(ds, [0, 1])
    got = exact(prior, batch["inputs"], batch["data_samples"])
    assert exact.stats.windows == 0 and exact.stats.exact == 2 and exact.stats.forward_images == 2
    assert _entries(tmp_path / "x") == []  # crops are never stored
    with torch.no_grad():
        want = prior(batch["inputs"])
    assert all(torch.equal(g, w) for (_, g), (_, w) in zip(got.levels, want.levels))


def test_unknown_inputs_are_cached_when_evaluating_but_not_when_training(tmp_path):
    prior, low = PoolPrior(), torch.rand(1, 3, 8, 8)
    cache = PriorCache(tmp_path)
    cache.phase = "train"
    cache(prior, low)
    assert cache.stats.exact == 1 and _entries(tmp_path) == []
    cache.phase = "eval"
    cache(prior, low)
    assert cache.stats.misses == 1 and len(_entries(tmp_path)) == 1


def test_missing_entry_falls_back_to_the_exact_crop(tmp_path):
    prior = PoolPrior()
    ds = SyntheticPairs(split="train", image_size=32, variants_per_image=1, crop_size=16, augment=True,
                        photos=["camera"])
    cache = PriorCache(tmp_path, memory_mb=0)
    cache.prepare(prior, [ds])
    for path in _entries(tmp_path):
        path.unlink()  # evicted by another process
    cache.phase = "train"
    batch = _train_batch(ds, [0])
    cache(prior, batch["inputs"], batch["data_samples"])
    assert cache.stats.exact == 1 and cache.stats.windows == 0


def _write_repeatedly(root: str, folder: str, seed: int) -> None:
    torch.manual_seed(0)  # both writers hold the same features, as two cells computing one entry do
    entry = CachedFeatures((64, 64), [(4, torch.randn(16, 16, 16))], torch.randn(3, 16, 16), 4)
    store = DiskStore(root, folder, max_bytes=10 ** 9)
    for _ in range(25):
        store.write("same", entry)


def test_concurrent_writers_leave_a_complete_readable_entry(tmp_path):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write_repeatedly, args=(str(tmp_path), "p", i)) for i in range(2)]
    reader = DiskStore(tmp_path, "p", max_bytes=10 ** 9)
    for w in workers:
        w.start()
    reads = 0
    while any(w.is_alive() for w in workers):
        found = reader.read("same")  # never a partial file: None before the first rename, complete after
        if found is not None:
            reads += 1
            assert found[0].levels[0][1].shape == (16, 16, 16)
    for w in workers:
        w.join()
        assert w.exitcode == 0
    entry, _ = reader.read("same")
    torch.manual_seed(0)
    assert torch.equal(entry.levels[0][1], torch.randn(16, 16, 16))
    assert [p.name for p in (tmp_path / "p").iterdir() if p.name.endswith(".tmp")] == []


def test_eviction_keeps_the_root_under_max_gb(tmp_path):
    entry = CachedFeatures((32, 32), [(1, torch.zeros(4, 32, 32, dtype=torch.float16))])
    size = DiskStore(tmp_path / "probe", "f", max_bytes=10 ** 9).write("x", entry)
    # two writers (as two processes would be) on one root; the bound is for the whole root, every prior included
    store = DiskStore(tmp_path / "root", "f", max_bytes=int(4.5 * size), rescan_s=0.0)
    other_prior = DiskStore(tmp_path / "root", "g", max_bytes=int(4.5 * size), rescan_s=0.0)
    for i in range(12):
        (store if i % 2 else other_prior).write(f"e{i}", entry)
        assert store.scan_size() <= store.max_bytes
    assert store.evicted + other_prior.evicted >= 8
    assert store.path("e11").is_file()  # the newest entry survives


def test_least_recently_used_entry_is_evicted_first(tmp_path):
    entry = CachedFeatures((8, 8), [(1, torch.zeros(2, 8, 8))])
    store = DiskStore(tmp_path, "f", max_bytes=10 ** 9)
    size = store.write("a", entry)
    store.write("b", entry)
    os.utime(store.path("a"), (100, 100))
    os.utime(store.path("b"), (200, 200))
    store.read("a")  # touched: now newer than b
    store.max_bytes = int(1.5 * size)
    store.evict()
    assert store.path("a").is_file() and not store.path("b").is_file()


def test_memory_lru_is_bounded():
    one = CachedFeatures((4, 4), [(1, torch.zeros(1, 4, 4))])  # 64 bytes
    lru = MemoryLRU(max_bytes=150)
    for key in "abc":
        lru.put(key, one)
    assert len(lru) == 2 and lru.bytes <= 150 and "a" not in lru and "c" in lru


@pytest.mark.parametrize("options,match", [({"mode": "tile"}, "mode"), ({"dtype": "int8"}, "dtype"),
                                           ({"max_gb": 0}, "max_gb"), ({"root": None}, "root")])
def test_bad_options_fail_with_one_line(tmp_path, options, match):
    with pytest.raises(ConfigError, match=match):
        PriorCache(**{"root": tmp_path, **options})
