"""Downloads from a real HTTP server on 127.0.0.1: verified before the file gets its name, or nothing is kept."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from llie.checkpoints import load_pretrained
from llie.zoo import (ZOO, DownloadRefused, WeightsUnavailable, cache_dir, download, file_sha256, resolve_weights)
from zoo_server import Route, checkpoint_bytes, files_in, make_entry, sha256


def test_good_download_lands_in_the_cache_verified_and_loads(mirrored, entry, body):
    path = resolve_weights(entry.name, what="Linear.pretrained")
    assert path == cache_dir() / entry.file
    assert file_sha256(path) == entry.sha256 and path.read_bytes() == body
    assert files_in(cache_dir()) == [entry.file]  # no temporary file left beside it
    assert mirrored.requests == [f"/{entry.file}"]
    module = nn.Linear(3, 2)
    tag = load_pretrained(module, entry.name, what="Linear.pretrained")
    assert tag == entry.sha256[:12]
    expected = torch.load(path, weights_only=True)
    assert torch.equal(module.weight, expected["weight"]) and torch.equal(module.bias, expected["bias"])
    resolve_weights(entry.name, what="Linear.pretrained")
    assert len(mirrored.requests) == 1, "a cached file is not downloaded again"


def test_without_a_mirror_the_table_url_is_fetched(server, body, monkeypatch):
    server.routes["upstream/dir/linear.pth"] = Route(body)
    made = make_entry(body, url=server.url("upstream/dir/linear.pth"))
    monkeypatch.setitem(ZOO, made.name, made)
    assert resolve_weights(made.name, what="x").read_bytes() == body
    assert server.requests == ["/upstream/dir/linear.pth"]


@pytest.mark.parametrize("published", ["full", "prefix"])
def test_published_prefix_is_enough_to_accept(server, body, tmp_path, published):
    server.routes["f.pth"] = Route(body)
    digest = sha256(body) if published == "full" else sha256(body)[:8]
    made = make_entry(body, file="f.pth", url=server.url("f.pth"), sha256=digest, size=None)
    assert download(made, tmp_path, progress=lambda *_: None) == tmp_path / "f.pth"


@pytest.mark.parametrize("published", ["full", "prefix"])
def test_wrong_hash_is_refused_and_nothing_is_left(mirrored, entry, body, monkeypatch, published):
    other = sha256(checkpoint_bytes(seed=1))
    monkeypatch.setitem(ZOO, entry.name, make_entry(body, sha256=other if published == "full" else other[:8]))
    with pytest.raises(DownloadRefused, match=r"does not match the published sha256") as err:
        resolve_weights(entry.name, what="Linear.pretrained")
    assert "\n" not in str(err.value) and "nothing was kept" in str(err.value)
    assert files_in(cache_dir()) == []


def test_truncated_transfer_is_refused_and_nothing_is_left(mirrored, entry):
    mirrored.routes[entry.file].mode = "truncate"  # promises the whole file, sends half, closes
    with pytest.raises(DownloadRefused, match=r"truncated: \d+ of \d+ bytes arrived|connection broke"):
        resolve_weights(entry.name, what="Linear.pretrained")
    assert files_in(cache_dir()) == []


def test_a_stalled_transfer_times_out_and_is_refused(mirrored, entry, monkeypatch):
    mirrored.routes[entry.file].mode = "stall"  # half the bytes, then silence
    monkeypatch.setenv("LLIE_DOWNLOAD_TIMEOUT", "0.5")
    start = time.monotonic()
    with pytest.raises(DownloadRefused, match=r"the connection broke after [1-9]\d* bytes \(timed out\)"):
        resolve_weights(entry.name, what="x")
    assert time.monotonic() - start < 10
    assert files_in(cache_dir()) == []


def test_size_other_than_the_table_is_refused(mirrored, entry, body, monkeypatch):
    """Without a Content-Length, the table's size still catches a short file before the hash does."""
    mirrored.routes[entry.file] = Route(body[:-10], mode="no_length")
    with pytest.raises(DownloadRefused, match=f"{len(body) - 10} bytes arrived but the file has {len(body)}"):
        resolve_weights(entry.name, what="x")
    assert files_in(cache_dir()) == []


def test_interrupt_during_the_transfer_leaves_nothing(mirrored, entry, tmp_path):
    def progress(done: int, total: int | None) -> None:
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download(entry, tmp_path / "dest", progress=progress)
    assert files_in(tmp_path / "dest") == []


def test_killed_download_never_leaves_a_file_under_the_final_name(mirrored, entry, tmp_path):
    mirrored.routes[entry.file].mode = "stall"  # half the bytes, then the server waits
    dest = tmp_path / "dest"
    script = textwrap.dedent(f"""
        from pathlib import Path
        from llie.zoo import ZooEntry, download
        entry = ZooEntry(**{entry.__dict__!r})
        download(entry, Path({str(dest)!r}), progress=lambda *_: None)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
    try:
        assert mirrored.stalled.wait(timeout=60), "the download never started"
        deadline = time.monotonic() + 10
        while not any(p.stat().st_size for p in dest.iterdir()):  # the first half is on disk
            assert time.monotonic() < deadline, "nothing was written"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert not (dest / entry.file).exists()


def test_offline_gives_one_line_with_the_component_file_url_and_folder(mirrored, entry, monkeypatch):
    monkeypatch.setenv("LLIE_OFFLINE", "1")
    with pytest.raises(WeightsUnavailable) as err:
        resolve_weights(entry.name, what="Linear.pretrained")
    message = str(err.value)
    assert "\n" not in message
    for part in ("Linear.pretrained", entry.file, f"{mirrored.base}/{entry.file}", str(cache_dir()),
                 "LLIE_OFFLINE=1"):
        assert part in message
    assert mirrored.requests == [], "offline means no request at all"


def test_offline_message_names_llie_weights_when_set(entry, zoo_env, monkeypatch):
    monkeypatch.setenv("LLIE_OFFLINE", "1")
    monkeypatch.setenv("LLIE_WEIGHTS", str(zoo_env["weights"]))
    with pytest.raises(WeightsUnavailable, match=f"download {entry.url} into {zoo_env['weights']}"):
        resolve_weights(entry.name, what="x")


def test_unreachable_host_is_the_offline_message_without_hanging(entry, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("LLIE_WEIGHTS_MIRROR", f"http://127.0.0.1:{port}")
    start = time.monotonic()
    with pytest.raises(WeightsUnavailable, match=r"not on this machine and cannot be downloaded \(.*refused"):
        resolve_weights(entry.name, what="x")
    assert time.monotonic() - start < 5
    assert files_in(cache_dir()) == []


def test_http_error_names_the_status(server, entry, monkeypatch):
    monkeypatch.setenv("LLIE_WEIGHTS_MIRROR", server.base)  # the server does not have the file
    with pytest.raises(WeightsUnavailable, match="HTTP 404"):
        resolve_weights(entry.name, what="x")
    assert files_in(cache_dir()) == []


def test_a_file_mirror_works_too(entry, body, tmp_path, monkeypatch):
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / entry.file).write_bytes(body)
    monkeypatch.setenv("LLIE_WEIGHTS_MIRROR", (tmp_path / "mirror").as_uri())
    assert resolve_weights(entry.name, what="x") == cache_dir() / entry.file


def test_downloaded_file_is_readable_by_others(mirrored, entry):
    path = resolve_weights(entry.name, what="x")
    assert isinstance(path, Path) and path.stat().st_mode & 0o044 == 0o044
