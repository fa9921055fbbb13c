"""Finding the checkpoint to resume from, and mending the pointer to it after a crash.

mmengine records the newest checkpoint of a work dir in a ``last_checkpoint`` text file. A kill while a checkpoint
or that pointer is written can leave it empty or pointing at a truncated file; a moved work dir leaves absolute
pointers dangling. :func:`repair_checkpoint_pointers` points it back at the newest intact checkpoint so a rerun resumes
instead of failing or starting afresh.
"""
from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

LAST_CHECKPOINT = "last_checkpoint"  # mmengine's pointer file in the work dir


def last_checkpoint(work_dir: str | Path) -> Path | None:
    """The checkpoint mmengine's pointer file names, if both exist."""
    pointer = Path(work_dir) / LAST_CHECKPOINT
    if not pointer.is_file():
        return None
    target = Path(pointer.read_text().strip())
    return target if target.is_file() else None


def _intact(path: Path) -> bool:
    """torch checkpoints are zip files whose directory sits at the end: a truncated file fails this check."""
    try:
        return path.is_file() and zipfile.is_zipfile(path)
    except OSError:
        return False


def _iteration(path: Path) -> int:
    digits = path.stem.split("_")[-1]
    return int(digits) if digits.isdigit() else -1


def write_pointer(pointer: Path, target: Path) -> None:
    """Atomically point ``pointer`` at ``target`` (a reader never sees an empty pointer)."""
    fd, tmp = tempfile.mkstemp(dir=pointer.parent, prefix=f".{pointer.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(str(target))
    os.replace(tmp, pointer)


def repair_checkpoint_pointers(run_dir: str | Path) -> list[Path]:
    """Point every ``last_checkpoint`` in ``run_dir`` and its sub-folders (stages) at an intact checkpoint, or
    remove it when there is none; returns the pointers that were changed."""
    run_dir = Path(run_dir)
    fixed = []
    for pointer in [run_dir / LAST_CHECKPOINT, *run_dir.glob(f"*/{LAST_CHECKPOINT}")]:
        if not pointer.is_file():
            continue
        folder = pointer.parent
        text = pointer.read_text().strip()
        target = Path(text) if text else None
        if target is not None and target.parent.resolve() == folder.resolve() and _intact(target):
            continue
        candidates = []
        if target is not None and _intact(folder / target.name):
            candidates.append(folder / target.name)
        candidates += sorted((p for p in folder.glob("iter_*.pth") if _intact(p)), key=_iteration, reverse=True)
        if _intact(folder / "untrained.pth"):
            candidates.append(folder / "untrained.pth")
        if candidates:
            write_pointer(pointer, candidates[0].resolve())
        else:
            pointer.unlink()
        fixed.append(pointer)
    return fixed
