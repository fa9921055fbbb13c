"""From a config's ``pretrained:`` value (a path or a zoo name) to a local file."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import CheckpointError
from ..paths import shared_weights_dir
from .table import ZOO, ZooEntry, get_entry


def cache_dir() -> Path:
    """The user cache for downloaded weights: ``$LLIE_CACHE`` (default ``~/.cache/llie``) ``/weights``."""
    return Path(os.environ.get("LLIE_CACHE") or Path.home() / ".cache" / "llie").expanduser() / "weights"


def weights_dirs() -> list[Path]:
    """Folders searched for a zoo file, in order: ``$LLIE_WEIGHTS``, ``../shared/weights``, the user cache."""
    dirs = []
    if os.environ.get("LLIE_WEIGHTS"):
        dirs.append(Path(os.environ["LLIE_WEIGHTS"]).expanduser())
    shared = shared_weights_dir()
    if shared is not None:
        dirs.append(shared)
    dirs.append(cache_dir())
    return dirs


def find_local(entry: ZooEntry) -> Path | None:
    """The first existing copy of ``entry``'s file in :func:`weights_dirs`, or None."""
    return next((d / entry.file for d in weights_dirs() if (d / entry.file).is_file()), None)


def looks_like_name(value: str) -> bool:
    """A zoo name has no path separator and no file suffix."""
    return os.sep not in value and "/" not in value and not Path(value).suffix


def resolve_weights(pretrained: str | os.PathLike[str] | None, *, what: str) -> Path | None:
    """``None`` → None (random init); an existing path → that path; a zoo name → its local file.

    A missing zoo file fails with one line naming ``what``, the file, the URL and the folder to put it in.
    """
    if pretrained is None or str(pretrained) == "":
        return None
    text = str(pretrained)
    if not looks_like_name(text) or text not in ZOO and Path(text).expanduser().exists():
        return Path(text).expanduser()
    entry = get_entry(text)
    local = find_local(entry)
    if local is not None:
        return local
    raise CheckpointError(f"{what}: weights '{entry.name}' ({entry.file}) are not on this machine; download "
                          f"{entry.url} into {weights_dirs()[0]} (or run `llie weights fetch {entry.name}`)")
