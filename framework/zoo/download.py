"""Fetching a zoo file over HTTP(S) with urllib: verified before it gets its name, or nothing is kept.

The bytes go to a hidden temporary file beside the target (``.<file>.<random>.part``); its length is checked against
the server's Content-Length and the table's size, its sha256 against the table's digest (or published prefix), and
only then is it renamed to its final name in one atomic step. A wrong hash, a short transfer, a broken connection,
Ctrl-C or any other exception removes the temporary file; a process killed outright can leave only the ``.part``
file, never a file under the final name.

``$LLIE_OFFLINE=1`` forbids downloads; ``$LLIE_WEIGHTS_MIRROR`` (a base URL, ``http(s)://`` or ``file://``) replaces
the upstream URLs: files are fetched as ``<mirror>/<file>``. ``$LLIE_DOWNLOAD_TIMEOUT`` (seconds, default 10) bounds
the connection and every read, so an unreachable host fails quickly instead of hanging.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import CheckpointError
from .digest import CHUNK
from .table import ZooEntry

OFFLINE_ENV = "LLIE_OFFLINE"
MIRROR_ENV = "LLIE_WEIGHTS_MIRROR"
TIMEOUT_ENV = "LLIE_DOWNLOAD_TIMEOUT"
DEFAULT_TIMEOUT_S = 10.0

#: called as ``progress(bytes_so_far, total_or_None)`` after every chunk
ProgressFn = Callable[[int, "int | None"], None]


class WeightsUnavailable(CheckpointError):
    """A zoo file is not on this machine and cannot be fetched now (offline, unreachable, HTTP error); ``reason``
    says which, in words that complete "… are not on this machine and <reason>"."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class DownloadRefused(CheckpointError):
    """A transfer arrived but was not the published file (short, cut off, wrong size or hash); nothing was kept."""


def offline() -> bool:
    """Whether ``$LLIE_OFFLINE`` forbids downloads (``1``, ``true``, ``yes`` or ``on``)."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def source_url(entry: ZooEntry) -> str:
    """Where ``entry`` is fetched from: ``$LLIE_WEIGHTS_MIRROR/<file>`` when a mirror is set, else its upstream URL."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    return f"{mirror.rstrip('/')}/{urllib.parse.quote(entry.file)}" if mirror else entry.url


def timeout_s() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_S)
    except ValueError:
        return DEFAULT_TIMEOUT_S


def unavailable_message(entry: ZooEntry, what: str, folder: Path, reason: str) -> str:
    """The one line for a zoo file that is missing and cannot be downloaded now."""
    return (f"{what}: weights '{entry.name}' ({entry.file}) are not on this machine and {reason}; download "
            f"{source_url(entry)} into {folder} (or run `llie weights fetch {entry.name}` when online)")


@contextlib.contextmanager
def rich_progress(label: str) -> Iterator[ProgressFn]:
    """A rich progress bar on stderr (bytes, speed, time left) for one transfer."""
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                               TransferSpeedColumn)

    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True))
    with bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None)
    text = str(inner if inner is not None else exc) or type(exc).__name__
    return " ".join(text.split())


def _open(url: str, entry: ZooEntry, what: str, folder: Path) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers={"User-Agent": "llie-model-zoo"})
    try:
        return urllib.request.urlopen(request, timeout=timeout_s())  # noqa: S310 — the URL comes from the table
    except urllib.error.HTTPError as exc:
        reason = f"the server answered HTTP {exc.code} {exc.reason}"
    except (OSError, http.client.HTTPException, ValueError) as exc:  # DNS, refused, timeout, bad mirror URL
        reason = f"cannot be downloaded ({_reason(exc)})"
    raise WeightsUnavailable(unavailable_message(entry, what, folder, reason), reason)


def _copy(response: http.client.HTTPResponse, out: BinaryIO, total: int | None,
          progress: ProgressFn) -> tuple[str, int, str]:
    """Stream the body into ``out``: (sha256 hex, bytes received, why it stopped early or '')."""
    sha = hashlib.sha256()
    received = 0
    progress(0, total)
    while True:
        try:
            chunk = response.read1(CHUNK)  # what has arrived, so the bar and the partial file move
        except (OSError, http.client.HTTPException) as exc:  # connection reset, timeout, IncompleteRead
            return sha.hexdigest(), received, _reason(exc)
        if not chunk:
            return sha.hexdigest(), received, ""
        out.write(chunk)  # a local write error (disk full) is not a network problem: it propagates as it is
        out.flush()
        sha.update(chunk)
        received += len(chunk)
        progress(received, total)


def _problem(entry: ZooEntry, digest: str, received: int, length: int | None, broke: str) -> str:
    """Why a finished transfer is not the published file, or '' when it is."""
    if broke:
        return f"the connection broke after {received} bytes ({broke})"
    if length is not None and received != length:
        return f"truncated: {received} of {length} bytes arrived"
    if entry.size is not None and received != entry.size:
        return f"{received} bytes arrived but the file has {entry.size}"
    if not entry.hash_matches(digest):
        kind = "sha256" if entry.full_hash else "sha256 prefix"
        return f"its sha256 {digest} does not match the published {kind} {entry.sha256}"
    return ""


def download(entry: ZooEntry, dest_dir: Path, *, what: str | None = None, progress: ProgressFn | None = None,
             folder_hint: Path | None = None) -> Path:
    """Fetch ``entry`` into ``dest_dir/<file>`` and return that path; the file exists only once verified.

    ``what`` names the component in messages (default the entry's name); ``folder_hint`` is the folder messages
    tell the user to put a manual copy in (default ``dest_dir``). ``progress`` defaults to a rich bar.
    """
    what = what or entry.name
    folder = folder_hint or dest_dir
    if offline():
        reason = f"{OFFLINE_ENV}=1 forbids downloading"
        raise WeightsUnavailable(unavailable_message(entry, what, folder, reason), reason)
    url = source_url(entry)
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{entry.file}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(os.fdopen(fd, "wb"))
            response = stack.enter_context(_open(url, entry, what, folder))
            header = response.headers.get("Content-Length", "")
            length = int(header) if header.isdigit() else None
            if progress is None:
                progress = stack.enter_context(rich_progress(entry.file))
            digest, received, broke = _copy(response, out, length or entry.size, progress)
            out.flush()
            os.fsync(out.fileno())
        problem = _problem(entry, digest, received, length, broke)
        if problem:
            raise DownloadRefused(f"{what}: refused the download of '{entry.name}' from {url}: {problem}; nothing "
                                  f"was kept — run `llie weights fetch {entry.name}` to try again, or put a good copy "
                                  f"of {entry.file} into {folder}")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a finished weights file is as readable as any other
        final = dest_dir / entry.file
        os.replace(tmp, final)
        return final
    except BaseException:  # wrong hash, cut connection, Ctrl-C, …: the final name never appears
        tmp.unlink(missing_ok=True)
        raise
