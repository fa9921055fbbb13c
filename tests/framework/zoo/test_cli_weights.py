"""``llie weights list / fetch / verify`` end to end."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from llie.cli.main import main
from llie.zoo import ZOO, cache_dir


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # rich folds table cells to the terminal's width; keep paths whole


def test_list_shows_size_licence_and_where_each_file_is(entry, body, capsys):
    cache_dir().mkdir(parents=True)
    (cache_dir() / entry.file).write_bytes(body)
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if entry.name in line)
    assert str(cache_dir() / entry.file) in row and entry.licence in row and f"{len(body) / 1000:.1f} KB" in row
    for name in set(ZOO) - {entry.name}:
        assert re.search(rf"{name} .*missing", out)


def test_list_finds_the_shared_files(real_shared, capsys):
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    shared = [e for e in ZOO.values() if (real_shared / e.file).is_file()]
    assert shared, "the shared folder holds no zoo file"
    for entry in shared:
        assert str(real_shared / entry.file) in out


def test_verify_passes_on_the_shared_files(real_shared, capsys):
    assert main(["weights", "verify"]) == 0
    out = capsys.readouterr().out
    for entry in ZOO.values():
        if (real_shared / entry.file).is_file():
            assert f"{entry.name}: OK {real_shared / entry.file}" in out
    assert "0 mismatch(es)" in out


def test_verify_fails_on_a_corrupted_copy_in_llie_weights(real_shared, zoo_env, monkeypatch, capsys):
    name, file = next((e.name, e.file) for e in ZOO.values() if (real_shared / e.file).is_file())
    copy = zoo_env["weights"] / file
    copy.parent.mkdir()
    shutil.copyfile(real_shared / file, copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    monkeypatch.setenv("LLIE_WEIGHTS", str(zoo_env["weights"]))
    assert main(["weights", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"{name}: MISMATCH {copy}" in out and f"{name}: OK {real_shared / file}" in out


def test_verify_checks_every_copy_and_only_the_named_entries(entry, body, zoo_env, capsys):
    (zoo_env["shared"] / entry.file).write_bytes(body)
    cache_dir().mkdir(parents=True)
    (cache_dir() / entry.file).write_bytes(body[:-1] + bytes([body[-1] ^ 1]))
    assert main(["weights", "verify", entry.name]) == 1
    out = capsys.readouterr().out
    assert f"OK {zoo_env['shared'] / entry.file}" in out and f"MISMATCH {cache_dir() / entry.file}" in out
    assert "2 local file(s) checked, 1 mismatch(es)" in out


def test_fetch_downloads_into_the_cache_then_finds_it(mirrored, entry, body, capsys):
    assert main(["weights", "fetch", entry.name]) == 0
    assert (cache_dir() / entry.file).read_bytes() == body
    assert f"{entry.name}: downloaded to {cache_dir() / entry.file}" in capsys.readouterr().out
    assert main(["weights", "fetch", entry.name]) == 0
    assert f"{entry.name}: already at {cache_dir() / entry.file}" in capsys.readouterr().out
    assert len(mirrored.requests) == 1
    assert main(["weights", "verify", entry.name]) == 0


def test_fetch_offline_is_one_line_and_exit_2(entry, monkeypatch, capsys):
    monkeypatch.setenv("LLIE_OFFLINE", "1")
    assert main(["weights", "fetch", entry.name]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and entry.url in err and str(cache_dir()) in err


def test_fetch_refused_download_exit_2(mirrored, entry, capsys):
    mirrored.routes[entry.file].mode = "truncate"
    assert main(["weights", "fetch", entry.name]) == 2
    assert "refused the download" in capsys.readouterr().err
    assert not (cache_dir() / entry.file).exists()


@pytest.mark.parametrize("argv, message", [(["fetch"], "name the weights"),
                                           (["fetch", "sci_eassy"], "did you mean 'sci_easy'"),
                                           (["verify", "nope"], "unknown zoo weights 'nope'")])
def test_bad_names_are_one_line_and_exit_2(argv, message, capsys):
    assert main(["weights", *argv]) == 2
    assert message in capsys.readouterr().err


def test_the_command_imports_nothing_heavy():
    code = ("import sys; from llie.cli.main import build_parser; build_parser(); import llie.zoo; "
            "print(sorted(m for m in ('torch', 'rich', 'mmengine', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

