"""From a config's ``pretrained:`` value (a path or a zoo name) to a local file.

Order: a path that exists, as given → ``$LLIE_WEIGHTS/<file>`` → ``../shared/weights/<file>`` → the user cache
(``$LLIE_CACHE``, default ``~/.cache/llie``, ``/weights``) → a verified download into that cache (see
:mod:`.download`). A path that does not exist but whose file name is a zoo file (older configs wrote
``$LLIE_WEIGHTS/<file>``) is looked up the same way, so such paths keep working.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from ..paths import shared_weights_dir
from .digest import file_sha256
from .download import ProgressFn, download
from .table import ZOO, ZooEntry, entry_for_file, get_entry

log = logging.getLogger(__name__)


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


def suggested_dir() -> Path:
    """Where messages tell the user to put a file by hand: ``$LLIE_WEIGHTS`` when set, else the user cache."""
    env = os.environ.get("LLIE_WEIGHTS")
    return Path(env).expanduser() if env else cache_dir()


def local_copies(entry: ZooEntry) -> list[Path]:
    """Every existing copy of ``entry`` (its file name or an alias) in :func:`weights_dirs`, in search order."""
    return [d / name for d in weights_dirs() for name in entry.local_names if (d / name).is_file()]


def find_local(entry: ZooEntry) -> Path | None:
    """The first existing copy of ``entry``'s file in :func:`weights_dirs`, or None."""
    copies = local_copies(entry)
    return copies[0] if copies else None


def looks_like_name(value: str) -> bool:
    """A zoo name has no path separator and no file suffix."""
    return os.sep not in value and "/" not in value and not Path(value).suffix


def fetch(entry: ZooEntry, *, what: str | None = None, progress: ProgressFn | None = None) -> Path:
    """The local copy of ``entry``, downloading it into the user cache when there is none.

    A local copy whose sha256 differs from the table is used, with a warning (it may be the user's own re-save;
    ``llie weights verify`` is the strict check). Offline, unreachable or refused downloads raise one-line
    :class:`~llie.errors.CheckpointError` subclasses naming ``what``, the file, the URL and the folder.
    """
    what = what or entry.name
    local = find_local(entry)
    if local is None:
        return download(entry, cache_dir(), what=what, progress=progress, folder_hint=suggested_dir())
    digest = file_sha256(local)
    if not entry.hash_matches(digest):
        log.warning("%s: '%s' is not the published %s (sha256 %s, expected %s%s); using it anyway — "
                    "`llie weights verify` lists mismatches", what, local, entry.name, digest, entry.sha256,
                    "" if entry.full_hash else "…")
    return local


def resolve_weights(pretrained: str | os.PathLike[str] | None, *, what: str) -> Path | None:
    """``None`` → None (random init); an existing path → that path; a zoo name → its local (or downloaded) file.

    A missing zoo file that cannot be downloaded fails with one line naming ``what``, the file, the URL and the
    folder to put it in. A missing path that is not a zoo file is returned as is, for the loader to report.
    """
    if pretrained is None or str(pretrained) == "":
        return None
    text = str(pretrained)
    entry = ZOO.get(text)
    if entry is None:
        path = Path(text).expanduser()
        if path.exists():
            return path
        entry = entry_for_file(path.name)
        if entry is None:
            if looks_like_name(text):
                get_entry(text)  # raises: unknown name, with the closest ones
            return path
        log.info("%s: '%s' does not exist; using the zoo's %s (%s)", what, path, entry.name, entry.file)
    return fetch(entry, what=what)
