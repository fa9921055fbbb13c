"""A sweep with ``missing_weights: skip`` on a machine that may download: a missing zoo file is fetched before the
cells run (they are kept), and one that cannot be fetched (host unreachable) leaves its cells out with the reason."""
from __future__ import annotations

import socket
from pathlib import Path

import yaml

from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep
from llie.sweep.weights import find_missing_weights
from llie.zoo import cache_dir


def _plan(tmp_path: Path, name: str):
    model = {"type": "SemanticPriorModel", "enhancer": {"type": "SCI", "pretrained": name}, "losses": []}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"sweep": {"name": "s", "base": "experiments/unet/unet_synthetic.yaml",
                                              "include": [{"experiment.method": "M", "model": model}],
                                              "missing_weights": "skip"}}))
    return make_plan(load_sweep(path), tmp_path / "wd")


def test_a_missing_file_is_downloaded_before_the_cells_run(tmp_path, mirrored, entry):
    assert find_missing_weights(_plan(tmp_path, entry.name)) == []
    assert (cache_dir() / entry.file).is_file()
    assert mirrored.requests == [f"/{entry.file}"]


def test_a_dry_run_downloads_nothing(tmp_path, mirrored, entry):
    missing = find_missing_weights(_plan(tmp_path, entry.name), download=False)
    assert [m.entry.name for m in missing] == [entry.name] and mirrored.requests == []


def test_an_unreachable_host_leaves_the_cells_out_with_the_reason(tmp_path, entry, monkeypatch):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("LLIE_WEIGHTS_MIRROR", f"http://127.0.0.1:{port}")
    missing = find_missing_weights(_plan(tmp_path, entry.name))
    assert [m.methods for m in missing] == [["M"]]
    line = missing[0].line()
    assert f"weights '{entry.name}' ({entry.file}) are not on this machine and cannot be downloaded (" in line
    assert f"`llie weights fetch {entry.name}`" in line
