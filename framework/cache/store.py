"""Where cached prior features live: files on disk shared by processes, and a bounded in-memory LRU in front.

Disk layout: ``<root>/<prior folder>/<content hash>.pt`` — a ``torch.save`` of plain lists, ints and tensors
(loadable with ``weights_only=True``), plus ``<root>/<prior folder>/identity.txt`` naming the prior in words.

Concurrency: an entry is written to a unique temporary file in the same folder and moved into place with
``os.replace`` (atomic on POSIX), so readers see a complete file or none. Two processes computing the same entry both
write it; the last rename wins and both files hold the same features. A file that vanishes (evicted by another
process) between the existence check and the read is a miss.

Size bound (``max_bytes`` for the whole root, every prior included): each write adds to a running total that a
rescan of the root refreshes at least every ``rescan_s`` seconds (other processes write too); when the total exceeds
the bound, the least recently used entries — oldest modification time; reads touch the file — are deleted until it
is at most ``LOW_WATER`` × ``max_bytes``. The bound can thus be overshot by what other processes wrote within the
last ``rescan_s`` seconds, never more.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

log = logging.getLogger(__name__)

ENTRY_SUFFIX = ".pt"
TEMP_SUFFIX = ".tmp"
#: eviction frees space down to this fraction of the bound, so a full cache does not rescan on every write
LOW_WATER = 0.9
#: temporary files older than this are leftovers of killed writers and are removed during scans
STALE_TEMP_S = 3600.0


@dataclass
class CachedFeatures:
    """The prior features of one full input, without the batch dimension (``C×h×w`` per level)."""

    size: tuple[int, int]  # H, W of the input the prior saw
    levels: list[tuple[int, Tensor]]
    logits: Tensor | None = None
    logits_stride: int = 1

    @property
    def nbytes(self) -> int:
        tensors = [t for _, t in self.levels] + ([self.logits] if self.logits is not None else [])
        return sum(t.numel() * t.element_size() for t in tensors)

    def to_record(self) -> dict:
        return {"size": list(self.size), "levels": [[int(s), t.contiguous()] for s, t in self.levels],
                "logits": None if self.logits is None else self.logits.contiguous(),
                "logits_stride": int(self.logits_stride)}

    @classmethod
    def from_record(cls, record: dict) -> "CachedFeatures":
        return cls(size=(int(record["size"][0]), int(record["size"][1])),
                   levels=[(int(s), t) for s, t in record["levels"]], logits=record["logits"],
                   logits_stride=int(record["logits_stride"]))


class MemoryLRU:
    """Entries kept in this process, least recently used dropped first once ``max_bytes`` is exceeded."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict[str, CachedFeatures] = OrderedDict()
        self.bytes = 0

    def get(self, key: str) -> CachedFeatures | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: CachedFeatures) -> None:
        if key in self._entries:
            self.bytes -= self._entries.pop(key).nbytes
        if entry.nbytes > self.max_bytes:
            return
        self._entries[key] = entry
        self.bytes += entry.nbytes
        while self.bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self.bytes -= dropped.nbytes

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


class DiskStore:
    """Entries of one prior under ``root/<folder>``, with the size bound applied to the whole ``root``."""

    def __init__(self, root: str | os.PathLike, folder: str, max_bytes: int, description: str = "",
                 rescan_s: float = 2.0) -> None:
        self.root = Path(root).expanduser()
        self.folder = self.root / folder
        self.max_bytes = int(max_bytes)
        self.rescan_s = float(rescan_s)
        self._scanned_at = float("-inf")
        self.folder.mkdir(parents=True, exist_ok=True)
        if description:
            identity = self.folder / "identity.txt"
            if not identity.is_file():
                _atomic_write_text(identity, description + "\n")
        self._total: int | None = None  # running estimate of the root's size; None until the first scan
        self.evicted = 0

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{ENTRY_SUFFIX}"

    def exists(self, key: str, touch: bool = True) -> bool:
        path = self.path(key)
        try:
            if touch:
                os.utime(path)
            return path.is_file()
        except FileNotFoundError:
            return False

    def read(self, key: str) -> tuple[CachedFeatures, int] | None:
        """The entry and its file size, or None when absent or unreadable (a damaged file is removed)."""
        path = self.path(key)
        try:
            size = path.stat().st_size
            record = torch.load(path, map_location="cpu", weights_only=True)
            os.utime(path)  # most recently used
            return CachedFeatures.from_record(record), size
        except FileNotFoundError:
            return None
        except Exception as exc:  # truncated or foreign file: drop it and recompute
            log.warning("prior cache: removing unreadable entry %s (%s: %s)", path, type(exc).__name__, exc)
            path.unlink(missing_ok=True)
            return None

    def write(self, key: str, entry: CachedFeatures) -> int:
        """Write atomically; returns the bytes written."""
        path = self.path(key)
        temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
        try:
            torch.save(entry.to_record(), temp)
            size = temp.stat().st_size
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        if self._total is None or time.monotonic() - self._scanned_at >= self.rescan_s:
            self._total = self.scan_size()
        else:
            self._total += size
        if self._total > self.max_bytes:
            self.evict()
        return size

    # ---- size bound -------------------------------------------------------------------------------------------
    def entries(self) -> list[tuple[float, int, Path]]:
        """``(mtime, size, path)`` of every entry under the root (all priors); stale temporaries are removed."""
        found = []
        now = time.time()
        for path in self.root.rglob("*"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.name.endswith(TEMP_SUFFIX):
                if now - stat.st_mtime > STALE_TEMP_S:
                    path.unlink(missing_ok=True)
                continue
            if path.suffix == ENTRY_SUFFIX and path.is_file():
                found.append((stat.st_mtime, stat.st_size, path))
        return found

    def scan_size(self) -> int:
        self._scanned_at = time.monotonic()
        return sum(size for _, size, _ in self.entries())

    def evict(self) -> int:
        """Delete least recently used entries until the root holds at most ``LOW_WATER × max_bytes``; returns
        how many were deleted."""
        entries = sorted(self.entries())
        self._scanned_at = time.monotonic()
        total = sum(size for _, size, _ in entries)
        target = int(LOW_WATER * self.max_bytes)
        removed = 0
        for _, size, path in entries:
            if total <= target:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        self._total = total
        self.evicted += removed
        if removed:
            log.info("prior cache: evicted %d least recently used entries under %s (max %.3f GB)",
                     removed, self.root, self.max_bytes / 1e9)
        return removed


def _atomic_write_text(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
    temp.write_text(text)
    os.replace(temp, path)
