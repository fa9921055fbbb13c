"""What a sweep cell costs: its peak memory and the bytes its run dir holds, measured; and its disk, estimated.

``peak_rss_mib`` is the peak resident memory of the process running the cell, over the cell's last attempt (training
and evaluation, like ``train_time_s``). On Linux the kernel's high-water mark is reset when the cell starts (``5`` to
``/proc/self/clear_refs``) and ``VmHWM`` read when it ends, so an earlier cell's peak does not carry over when the
sweep process runs many cells one after another (the in-process ``local`` executor with ``workers: 1``). There,
memory an earlier cell left allocated (freed memory is handed back to the OS first, but modules imported and caches
filled stay) still counts: on the demo sweep, cells run after the DeepSPG-tiny ones read ~1840 MiB in-process against
1180–1280 MiB in a process of their own. In-process the figure is an upper bound; it is exact with one process per
cell (``workers: N`` > 1, Slurm). The reset lowers the process's ``getrusage`` ``ru_maxrss`` alike. Where it is not
available, ``ru_maxrss`` is used: the process's peak since it started — exact for worker processes and Slurm jobs, an
upper bound in-process.

``run_dir_bytes`` is the apparent size (``du -sb``) of every file in the run dir when the cell finishes: checkpoints
kept, logs, per-image results (``metrics.json`` itself, written afterwards, is a few KB more). The shared
``<sweep>/prior_cache`` is not in any run dir.

:func:`estimate_cell_bytes` is the dry-run's figure for the same run dir, from the config alone
(:mod:`llie.engine.footprint`).
"""
from __future__ import annotations

from collections.abc import Sequence

import ctypes
import gc
import json
import os
import resource
import sys
from pathlib import Path
from typing import Any

_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


def _release_freed_memory() -> None:
    """Hand memory already freed (e.g. by an earlier in-process cell) back to the OS, so it does not count."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # glibc keeps freed heap pages mapped until asked
    except (OSError, AttributeError):
        pass


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux ≥ 4.0); False when that is not possible."""
    _release_freed_memory()
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def _vm_hwm_kib() -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _ru_maxrss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


class PeakRSS:
    """Peak resident memory of this process while the ``with`` block runs (see the module doc); ``mib`` once done."""

    def __init__(self) -> None:
        self.mib: float | None = None
        self._reset = False

    def __enter__(self) -> "PeakRSS":
        self._reset = _reset_peak()
        return self

    def __exit__(self, *exc: Any) -> None:
        hwm = _vm_hwm_kib() if self._reset else None
        self.mib = hwm / 1024 if hwm is not None else _ru_maxrss_mib()


def run_dir_bytes(run_dir: str | os.PathLike[str]) -> int:
    """Apparent size of every regular file under ``run_dir`` (symlinks not followed; files removed meanwhile
    skipped)."""
    total = 0
    for folder, _, files in os.walk(run_dir):
        for name in files:
            try:
                stat = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if not os.path.islink(os.path.join(folder, name)):
                total += stat.st_size
    return total


def estimate_cell_bytes(config: dict, memo: dict[str, int | None] | None = None, *, samples: int = 0,
                        eval_sets: Sequence[Any] = ()) -> int | None:
    """Bytes a cell's run dir will hold once DONE (checkpoints kept + logs + result files + the ``samples`` sample
    images of its test split and of each extra evaluation set), from its resolved config; None when the model cannot
    be built (the run would fail and say why). ``memo`` shares the work between cells that differ only in data or
    seed."""
    from ..engine.footprint import CELL_FILES_BYTES, estimate_run

    key = json.dumps({k: config.get(k) for k in ("model", "train")}, sort_keys=True, default=str)
    if memo is not None and key in memo:
        run = memo[key]
    else:
        try:
            run = estimate_run(config).total_bytes + CELL_FILES_BYTES
        except Exception:  # a config error: the dry-run still lists the cell; running it reports the error
            run = None
        if memo is not None:
            memo[key] = run
    if run is None:
        return None
    splits = [(config.get("data") or {}).get("test") or (config.get("data") or {}).get("val") or {}]
    splits += [_eval_split_or_empty(s) for s in eval_sets]
    return run + sum(sample_bytes(split, samples, _has_class_map(config)) for split in splits)


#: bytes per pixel of a saved sample PNG (natural 8-bit RGB images compress to about half of the raw 3 bytes)
PNG_BYTES_PER_PIXEL = 1.5
#: the image size assumed when a dataset config does not state one (the LOL benchmarks' 600×400)
DEFAULT_IMAGE_PIXELS = 600 * 400


def sample_bytes(split: dict, count: int, class_map: bool) -> int:
    """Estimated bytes of ``count`` saved samples of an evaluation split: input, GT and output (+ the prior's class
    map) PNGs; the image size comes from ``image_size`` / ``resize`` when the config has them."""
    if count <= 0:
        return 0
    if isinstance(split.get("image_size"), int):
        pixels = split["image_size"] ** 2
    elif isinstance(split.get("resize"), (list, tuple)) and len(split["resize"]) == 2:
        pixels = int(split["resize"][0]) * int(split["resize"][1])
    else:
        pixels = DEFAULT_IMAGE_PIXELS
    count = min(count, _split_size(split) or count)
    return int(count * (3 + class_map) * pixels * PNG_BYTES_PER_PIXEL)


def _split_size(split: dict) -> int | None:
    """Images in a generated split, when the config says (synthetic pairs: photos × variants)."""
    if split.get("type") == "SyntheticPairs" and split.get("photos"):
        return len(split["photos"]) * int(split.get("variants_per_image", 4))
    return None


def _has_class_map(config: dict) -> bool:
    prior = (config.get("model") or {}).get("image_prior")
    return isinstance(prior, dict) and str(prior.get("type", "none")).lower() not in ("none", "noprior")


def _eval_split_or_empty(eval_set: Any) -> dict:
    from .eval_sets import EvalSet, eval_split

    try:
        entry = eval_set if isinstance(eval_set, EvalSet) else EvalSet(eval_set["name"], eval_set["file"])
        return eval_split(entry)
    except Exception:  # an unreadable set: the cell reports it when it runs
        return {}


def human_bytes(n: float | None) -> str:
    """``1.5 GiB``-style size for tables; ``?`` when unknown."""
    if n is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
