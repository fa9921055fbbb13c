"""sha256 of weight files, memoised by path, size and mtime: a file is hashed once per process however often it is
resolved, verified or tagged (the component identities use the same digest)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

#: bytes read per step when hashing or downloading
CHUNK = 1 << 20

_memo: dict[tuple[str, int, int], str] = {}


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The full hex sha256 of ``path``."""
    file = Path(path).expanduser().resolve()
    stat = file.stat()
    key = (str(file), stat.st_size, stat.st_mtime_ns)
    if key not in _memo:
        sha = hashlib.sha256()
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                sha.update(chunk)
        _memo[key] = sha.hexdigest()
    return _memo[key]
