"""Checks that fail early and clearly instead of hours into a run."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from torch import nn

from ..errors import LLIEError

#: bytes per parameter in one checkpoint: weights + AdamW's two moments
CHECKPOINT_BYTES_PER_PARAM = 4 * 3


def check_output_dir(work_dir: str | Path, model: nn.Module | None = None, keep: int = 2) -> None:
    """The work dir must be writable and have room for the checkpoints to come (``keep`` + the one being written)."""
    work_dir = Path(work_dir)
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=work_dir, prefix=".write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise LLIEError(f"cannot write to the work dir {work_dir}: {exc.strerror or exc}; "
                        "choose another --work-dir or fix its permissions") from None
    if model is None:
        return
    need = sum(p.numel() for p in model.parameters()) * CHECKPOINT_BYTES_PER_PARAM * (keep + 1)
    free = shutil.disk_usage(work_dir).free
    if free < need:
        raise LLIEError(f"not enough disk space in {work_dir}: {free / 2**20:.0f} MiB free, checkpoints need about "
                        f"{need / 2**20:.0f} MiB; free space or lower train.keep_checkpoints")
