"""Checks that fail early and clearly instead of hours into a run."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from torch import nn

from ..errors import LLIEError


def unwritable_reason(folder: str | Path) -> str | None:
    """Why files cannot be created in ``folder`` (created if missing), or None when they can: a real probe file,
    so read-only mounts, permissions and paths under a file are all caught."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return str(exc.strerror or exc)
    return None


def check_output_dir(work_dir: str | Path, model: nn.Module | None = None, keep: int = 2) -> None:
    """The work dir must be writable and have room for the checkpoints to come (``keep`` + the one being written)."""
    work_dir = Path(work_dir)
    reason = unwritable_reason(work_dir)
    if reason is not None:
        raise LLIEError(f"cannot write to the work dir {work_dir}: {reason}; "
                        "choose another --work-dir or fix its permissions")
    if model is None:
        return
    from .footprint import checkpoint_bytes

    need = checkpoint_bytes(model) * (keep + 1)  # frozen priors are not stored (llie.engine.frozen_parts)
    free = shutil.disk_usage(work_dir).free
    if free < need:
        raise LLIEError(f"not enough disk space in {work_dir}: {free / 2**20:.0f} MiB free, checkpoints need about "
                        f"{need / 2**20:.0f} MiB; free space or lower train.keep_checkpoints")


def check_output_file(path: str | Path) -> None:
    """A result file (e.g. ``--json OUT``) must be creatable where it is asked for — checked before the work starts,
    so a long evaluation is not lost to a typo in the output path."""
    path = Path(path)
    if path.is_dir():
        raise LLIEError(f"cannot write {path}: it is a folder; give a file name")
    reason = unwritable_reason(path.parent)
    if reason is not None:
        raise LLIEError(f"cannot write {path}: {reason} (in {path.parent}); choose another output path")
