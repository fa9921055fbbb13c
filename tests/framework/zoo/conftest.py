"""Fixtures for the zoo tests: every test runs with its own user cache, no ``$LLIE_WEIGHTS``, no mirror, downloads
allowed, and an empty stand-in for ``../shared/weights`` (tests that need the real shared files ask for
``real_shared``); ``server`` is a real HTTP server on 127.0.0.1 started for the test.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from llie.paths import shared_weights_dir
from llie.zoo import ZOO, ZooEntry
from zoo_server import Route, ZooServer, checkpoint_bytes, make_entry

REAL_SHARED = shared_weights_dir()


@pytest.fixture
def server() -> Iterator[ZooServer]:
    srv = ZooServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()


@pytest.fixture(autouse=True)
def zoo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Isolated folders: ``cache`` (the user cache's parent), ``shared`` (empty stand-in), ``weights`` (unset)."""
    dirs = {name: tmp_path / name for name in ("cache", "shared", "weights")}
    dirs["shared"].mkdir()
    monkeypatch.setenv("LLIE_CACHE", str(dirs["cache"]))
    for var in ("LLIE_WEIGHTS", "LLIE_OFFLINE", "LLIE_WEIGHTS_MIRROR", "LLIE_DOWNLOAD_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("llie.zoo.resolve.shared_weights_dir", lambda: dirs["shared"])
    return dirs


@pytest.fixture
def real_shared(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real ``../shared/weights`` (skips when this machine has none)."""
    if REAL_SHARED is None:
        pytest.skip("no ../shared/weights beside this checkout (CI has it)")
    monkeypatch.setattr("llie.zoo.resolve.shared_weights_dir", lambda: REAL_SHARED)
    return REAL_SHARED


@pytest.fixture
def body() -> bytes:
    return checkpoint_bytes()


@pytest.fixture
def entry(body: bytes, monkeypatch: pytest.MonkeyPatch) -> ZooEntry:
    """A zoo entry for :func:`checkpoint_bytes`, added to the table for this test."""
    made = make_entry(body)
    monkeypatch.setitem(ZOO, made.name, made)
    return made


@pytest.fixture
def mirrored(server: ZooServer, entry: ZooEntry, body: bytes, monkeypatch: pytest.MonkeyPatch) -> ZooServer:
    """The server holds ``entry``'s file and is the download mirror."""
    server.routes[entry.file] = Route(body)
    monkeypatch.setenv("LLIE_WEIGHTS_MIRROR", server.base)
    return server


