"""``llie new-plugin``: for every kind the generated package installs without network, passes its own tests, is
listed by ``llie plugins`` and its sweep against the DeepSPG reference plans; bad names and occupied folders fail in
one line, and an interrupted write leaves nothing behind."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from llie.bench.cli_speed import llie_command
from llie.cli.main import main
from llie.scaffold import KINDS, ScaffoldError, class_name, new_plugin, render
from llie.scaffold import generate

PLACEHOLDER = re.compile(r"__[A-Z]+__")


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


# ---- the generated package, installed and run -------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("plugins")
    return {kind: new_plugin(f"my_{kind}", kind, root / f"my_{kind}") for kind in KINDS}


@pytest.fixture(scope="module")
def installed_env(generated, tmp_path_factory) -> dict[str, str]:
    """An environment whose PYTHONPATH holds the five packages, installed by pip without network."""
    site = tmp_path_factory.mktemp("site")
    proc = _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                 "--target", str(site), *map(str, generated.values())], cwd=site, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    return {**os.environ, "PYTHONPATH": str(site), "OMP_NUM_THREADS": "1", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def own_tests(generated, installed_env, tmp_path_factory) -> dict[str, dict[str, str]]:
    """kind → {test name: outcome}, from one pytest run over the generated packages' own test folders."""
    out = tmp_path_factory.mktemp("own_tests")
    report = out / "junit.xml"
    _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
          *[str(folder / "tests") for folder in generated.values()]], cwd=out, env=installed_env)
    outcomes: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    for case in ET.parse(report).getroot().iter("testcase"):
        kind = next(k for k in KINDS if case.get("classname", "").endswith(f"test_my_{k}"))
        failed = case.find("failure") if case.find("failure") is not None else case.find("error")
        outcome = "skipped" if case.find("skipped") is not None else "passed" if failed is None else \
            f"failed: {failed.get('message', '')[:300]}"
        outcomes[kind][case.get("name")] = outcome
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_generated_plugin_passes_its_own_tests(own_tests, kind):
    outcomes = own_tests[kind]
    assert "test_registered_through_the_entry_point" in outcomes and len(outcomes) >= 3
    assert set(outcomes.values()) == {"passed"}, outcomes


@pytest.fixture(scope="module")
def plugins_listing(installed_env, tmp_path_factory) -> str:
    proc = _run([*llie_command(), "plugins"], cwd=tmp_path_factory.mktemp("cwd"), env=installed_env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_llie_plugins_lists_it(plugins_listing, kind):
    loaded = next(line for line in plugins_listing.splitlines() if line.startswith("plugins loaded:"))
    assert f"my_{kind}" in [name.strip() for name in loaded.split(":", 1)[1].split(",")]
    row = next(line for line in plugins_listing.splitlines() if f" {class_name(f'my_{kind}', KINDS[kind])} " in line)
    assert KINDS[kind].registry in row and f"my_{kind}" in row
    assert "failed" not in plugins_listing


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_generated_sweep_plans_against_the_deepspg_reference(generated, kind, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(generated[kind])
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["sweep", f"sweeps/my_{kind}_vs_deepspg.yaml", "--dry-run", "--work-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"sweep my_{kind}_vs_deepspg: 2 cells" in out and "DeepSPG-tiny" in out
    if kind == "dataset":
        assert "my_dataset_data.yaml" in out and "synthetic" in out
    else:
        assert f"DeepSPG-tiny + {class_name(f'my_{kind}', KINDS[kind])}" in out


# ---- what is written ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
def test_rendered_files_are_complete_and_parse(kind):
    files = render("depth", kind)
    for path, text in files.items():
        assert not PLACEHOLDER.search(text), f"{path}: {PLACEHOLDER.search(text).group()} left in"
        if path.endswith(".py"):
            compile(text, path, "exec")
        elif path.endswith(".yaml"):
            assert isinstance(yaml.safe_load(text), dict)
    project = tomllib.loads(files["pyproject.toml"])
    assert project["project"]["entry-points"]["llie.plugins"] == {"depth": "depth"}
    assert f"registries.{KINDS[kind].registry}.register_module" in files["src/depth/__init__.py"]


@pytest.mark.parametrize("name, kind, expected", [
    ("depth", "image_prior", "DepthPrior"), ("depth_prior", "image_prior", "DepthPrior"),
    ("clip_text_prior", "text_prior", "ClipTextPrior"), ("exposure", "loss", "ExposureLoss"),
    ("my_lol", "dataset", "MyLolDataset"), ("tiny2", "enhancer", "Tiny2Enhancer"),
])
def test_class_names(name, kind, expected):
    assert class_name(name, KINDS[kind]) == expected


# ---- errors: one line, nothing written ------------------------------------------------------------------------
def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("name", ["my-prior", "2prior", "class", "my prior", "_hidden", "prior!"])
def test_bad_name_is_one_line(name, tmp_path, capsys):
    assert main(["new-plugin", name, "--dir", str(tmp_path / "out")]) == 2
    assert "is not a Python identifier" in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, why", [("json", "already importable"),
                                       ("unet", "already provides an llie plugin of that name")])
def test_taken_name_is_one_line(name, why, tmp_path, capsys):
    assert main(["new-plugin", name, "--dir", str(tmp_path / "out")]) == 2
    assert why in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_occupied_folder_is_one_line_and_untouched(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    assert main(["new-plugin", "depth", "--dir", str(tmp_path / "out")]) == 2
    assert "exists and is not empty" in _one_error_line(capsys)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    assert main(["new-plugin", "depth", "--dir", str(tmp_path / "file")]) == 2
    assert "exists and is a file" in _one_error_line(capsys)


def test_empty_folder_and_default_folder_are_used(tmp_path, monkeypatch, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["new-plugin", "depth", "--kind", "loss", "--dir", str(tmp_path / "empty")]) == 0
    assert (tmp_path / "empty" / "src" / "depth" / "loss.py").is_file()
    monkeypatch.chdir(tmp_path)
    assert main(["new-plugin", "other"]) == 0  # default: ./NAME, an image prior
    assert (tmp_path / "other" / "src" / "other" / "prior.py").is_file()
    assert "wrote OtherPrior (an image prior)" in capsys.readouterr().out


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(generate.os, "replace", crash)
    with pytest.raises(OSError):
        new_plugin("depth", "image_prior", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []  # neither the target nor the staging folder


def test_unknown_kind_is_a_scaffold_error(tmp_path):
    with pytest.raises(ScaffoldError, match="unknown plugin kind 'prior'"):
        new_plugin("depth", "prior", tmp_path / "out")
