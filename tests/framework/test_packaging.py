"""The wheel as a user gets it: one top-level import package (``llie``) holding every module and every shipped
config, and an install outside the checkout that works from any folder.

The wheel is built from a copy of the sources (a stale in-tree ``build/`` folder could otherwise ship files that no
longer exist) and installed into a fresh venv that reuses this environment's dependencies through a ``.pth`` line.
A ``.pth`` line only appends a folder to ``sys.path``; the ``.pth`` files inside that folder (the editable install's
finder) are not processed, so the wheel's ``llie`` is the one imported — checked through ``llie.__file__``.
"""
from __future__ import annotations

import configparser
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("framework", "plugins", "experiments", "setup.py", "pyproject.toml", "README.md")
#: the repository folder each part of the import package comes from (setup.py's package_dir)
PACKAGE_ROOTS = {"framework": "llie", "plugins": "llie/plugins", "experiments": "llie/experiments"}

if not (REPO / "setup.py").is_file():
    pytest.skip("needs the source checkout (setup.py) to build the wheel", allow_module_level=True)


def _copy_sources(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    return dest


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    src = _copy_sources(root / "src")
    out = root / "dist"
    proc = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                 str(src)], cwd=root)
    assert proc.returncode == 0, proc.stderr
    (found,) = out.glob("llie-*.whl")
    return found


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def _dist_info(wheel: Path) -> str:
    return next(n.split("/")[0] for n in _names(wheel) if n.split("/")[0].endswith(".dist-info"))


def _read(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name).decode()


def test_wheel_has_one_top_level_package(wheel):
    tops = {name.split("/")[0] for name in _names(wheel)}
    assert tops == {"llie", _dist_info(wheel)}
    assert not {"framework", "plugins", "experiments"} & tops


def test_wheel_ships_every_module_and_config(wheel):
    """Each .py and .yaml of framework/, plugins/ and experiments/ is in the wheel under its llie name — a folder
    missing its ``__init__.py`` would silently drop out of the package."""
    names = set(_names(wheel))
    expected = set()
    for folder, package in PACKAGE_ROOTS.items():
        for path in (REPO / folder).rglob("*"):
            if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
                expected.add(f"{package}/{path.relative_to(REPO / folder).as_posix()}")
    assert expected - names == set()
    assert {"llie/experiments/ablations/demo.yaml", "llie/experiments/_base_/default_runtime.yaml",
            "llie/py.typed"} <= names


def test_wheel_record_lists_its_files(wheel):
    record = _read(wheel, f"{_dist_info(wheel)}/RECORD")
    recorded = {row[0] for row in csv.reader(io.StringIO(record)) if row}
    assert recorded == set(_names(wheel))


def test_wheel_entry_points_match_pyproject(wheel):
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # entry-point names are case-sensitive
    parser.read_string(_read(wheel, f"{_dist_info(wheel)}/entry_points.txt"))
    assert dict(parser["console_scripts"]) == project["scripts"]
    assert dict(parser["llie.plugins"]) == project["entry-points"]["llie.plugins"]


# ---- installed outside the checkout ------------------------------------------------------------------------------
def _dependency_dirs(cwd: Path) -> list[str]:
    """The folders a fresh process of this interpreter imports from (its site-packages and whatever their .pth files
    add) — not this test process's sys.path, which holds the test folders pytest inserted."""
    proc = _run([sys.executable, "-c", "import json, sys; print(json.dumps(sys.path))"], cwd=cwd,
                env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    return [p for p in json.loads(proc.stdout) if p and Path(p).is_dir()]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """(venv bin folder, environment, an unrelated working directory) with the wheel installed in the venv."""
    root = tmp_path_factory.mktemp("installed")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    site_dir = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         cwd=root).stdout.strip())
    (site_dir / "_dependencies.pth").write_text("\n".join(_dependency_dirs(root)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["OMP_NUM_THREADS"] = "1"
    # --ignore-installed: the editable llie visible through the .pth line is neither uninstalled nor a reason to skip
    proc = _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed",
                 str(wheel)], cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return bin_dir, env, elsewhere


def test_installed_llie_is_the_wheels(installed):
    bin_dir, env, cwd = installed
    code = ("import json, llie, llie.engine.training, llie.paths as p; "
            "print(json.dumps({'file': llie.__file__, 'experiments': str(p.EXPERIMENTS), 'repo': str(p.REPO_ROOT)}))")
    proc = _run([str(bin_dir / "python"), "-c", code], cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    where = json.loads(proc.stdout.strip().splitlines()[-1])
    venv_dir = bin_dir.parent.resolve()
    assert Path(where["file"]).resolve().is_relative_to(venv_dir)
    assert Path(where["experiments"]).resolve().is_relative_to(venv_dir)
    assert where["repo"] == "None"  # no checkout is consulted


@pytest.mark.parametrize("name", ["framework", "plugins"])
def test_repository_folders_are_not_importable(installed, name):
    bin_dir, env, cwd = installed
    proc = _run([str(bin_dir / "python"), "-c", f"import {name}"], cwd=cwd, env=env)
    assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr


def test_installed_cli_lists_every_plugin(installed):
    bin_dir, env, cwd = installed
    proc = _run([str(bin_dir / "llie"), "plugins"], cwd=cwd, env={**env, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    loaded = next(line for line in proc.stdout.splitlines() if line.startswith("plugins loaded:"))
    assert set(project["entry-points"]["llie.plugins"]) <= {n.strip() for n in loaded.split(":", 1)[1].split(",")}
    assert "failed" not in proc.stdout
    assert "HRNetPrior" in proc.stdout and "SemanticPriorModel" in proc.stdout


def test_installed_cli_finds_the_shipped_demo_sweep(installed):
    bin_dir, env, cwd = installed
    proc = _run([str(bin_dir / "llie"), "sweep", "experiments/ablations/demo.yaml", "--dry-run",
                 "--work-dir", str(cwd / "work_dirs")], cwd=cwd, env={**env, "COLUMNS": "250"})
    assert proc.returncode == 0, proc.stderr
    assert "sweep demo: 19 cells" in proc.stdout and "DeepSPG + ESPNetv2 (VOC)" in proc.stdout
    assert not (cwd / "experiments").exists()  # found inside the installed package, not copied here


def test_installed_cli_help(installed):
    bin_dir, env, cwd = installed
    proc = _run([str(bin_dir / "llie"), "demo", "--help"], cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "usage: llie demo" in proc.stdout


def test_user_config_resolves_its_base_beside_itself(installed):
    """A user's ``experiments/mine/exp.yaml`` (a relative path like the shipped ones) wins over the shipped
    configs, and its ``_base_`` is read from its own folder — by relative and by absolute path."""
    bin_dir, env, cwd = installed
    mine = cwd / "experiments" / "mine"
    mine.mkdir(parents=True)
    (mine / "base.yaml").write_text(
        "_base_: []\nmodel: {enhancer: {type: UNet, base_channels: 4, depth: 1}, losses: [{type: PixelLoss}]}\n"
        "data: {train: {type: SyntheticPairs}, val: {type: SyntheticPairs, split: test}}\n"
        "train: {max_iters: 7}\n")
    (mine / "exp.yaml").write_text("_base_: base.yaml\nexperiment: {name: mine}\ntrain: {max_iters: 3}\n")
    code = ("import sys; from llie.config import load_config; c = load_config(sys.argv[1]); "
            "print(c.experiment.name, c.model.enhancer.type, c.train.max_iters)")
    try:
        for given in ("experiments/mine/exp.yaml", str(mine / "exp.yaml")):
            proc = _run([str(bin_dir / "python"), "-c", code, given], cwd=cwd, env=env)
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.split() == ["mine", "UNet", "3"]
    finally:
        shutil.rmtree(cwd / "experiments")
