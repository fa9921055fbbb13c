"""fcntl file locks: one sweep process per sweep dir, one runner per cell, one writer of the results store at a time.

``flock`` locks belong to an open file and vanish when the holding process dies (even by SIGKILL), so a crashed
sweep never leaves a stale lock behind; the pid/host text inside the file only serves the error message.
"""
from __future__ import annotations

import fcntl
import os
import socket
import time
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import LLIEError


class LockBusyError(LLIEError):
    """Another live process holds the lock; the message says which (pid, host, since when)."""


def holder_text() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}"


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 4096).decode(errors="replace").strip() or "an unknown process"
    except OSError:
        return "an unknown process"


@contextmanager
def exclusive(path: str | Path, *, what: str, hint: str = "", wait: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing).

    ``wait=False`` raises :class:`LockBusyError` at once when another process holds it, naming the holder;
    ``wait=True`` blocks until it is free (for short critical sections such as appending to the store).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # no O_TRUNC: the holder's text must survive until we own it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise LockBusyError(f"{path}: {what} is held by {_read_holder(fd)}{'; ' + hint if hint else ''}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, (holder_text() + "\n").encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def sweep_lock(sweep_dir: Path, name: str) -> AbstractContextManager[None]:
    """The lock a running sweep holds on ``<sweep_dir>/.lock`` for its whole run."""
    return exclusive(sweep_dir / ".lock", what=f"the lock of sweep '{name}'",
                     hint="another 'llie sweep' is running on this sweep dir; wait for it or stop that process")
