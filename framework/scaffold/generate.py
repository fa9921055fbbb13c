"""``llie new-plugin NAME``: write a ready third-party plugin package — component, hook, entry point, tests and a
sweep — into a new folder, all at once.

The package is written into a temporary folder beside the target and renamed into place, so an interrupted run
leaves no half-written plugin behind. A bad name or an occupied folder is one clear line before anything is written.
"""
from __future__ import annotations

import importlib.metadata as md
import importlib.util
import keyword
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..errors import LLIEError
from . import checks, project
from .kinds import KINDS, Kind

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class ScaffoldError(LLIEError):
    """The plugin cannot be written as asked (bad name, occupied folder); the message says what to change."""


def class_name(name: str, kind: Kind) -> str:
    """``depth`` → ``DepthPrior``; ``depth_prior`` → ``DepthPrior`` (the suffix is not doubled)."""
    camel = "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)
    return camel if camel.endswith(kind.suffix) else camel + kind.suffix


def check_name(name: str) -> None:
    """The plugin name is its import package and entry-point name: a free Python identifier."""
    if not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"plugin name '{name}' is not a Python identifier: use a letter, then letters, digits or "
                            "underscores (e.g. depth_prior)")
    used = [ep for ep in md.entry_points(group="llie.plugins") if ep.name == name]
    if used:
        dist = getattr(used[0].dist, "name", None) or "another package"
        raise ScaffoldError(f"plugin name '{name}' is taken: {dist} already provides an llie plugin of that name; "
                            "choose another NAME")
    spec = importlib.util.find_spec(name)
    if spec is not None:
        where = spec.origin or ", ".join(spec.submodule_search_locations or []) or "built in"
        raise ScaffoldError(f"plugin name '{name}' is taken: a module of that name is already importable ({where}); "
                            "choose another NAME")


def check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} exists and is a file; give --dir a new or empty folder")
    if target.is_dir() and any(target.iterdir()):
        raise ScaffoldError(f"{target} exists and is not empty; give --dir a new or empty folder")


def render(name: str, kind_name: str) -> dict[str, str]:
    """Relative path → text of every file of the package."""
    kind = KINDS[kind_name]
    files = {
        "pyproject.toml": project.PYPROJECT,
        "README.md": project.README,
        f"src/{name}/__init__.py": project.HOOK,
        f"src/{name}/{kind.module}.py": kind.component,
        f"tests/test_{name}.py": checks.HEAD + kind.checks,
        f"sweeps/{name}_vs_deepspg.yaml": project.SWEEP.replace("__ROWS__", kind.rows),
    }
    if kind_name == "dataset":
        files[f"sweeps/{name}_data.yaml"] = project.DATA_CONFIG
    values = {"__DATASETS__": kind.datasets, "__USAGE__": kind.usage, "__CLASS__": class_name(name, kind),
              "__DIST__": name.replace("_", "-"), "__MODULE__": kind.module, "__REGISTRY__": kind.registry,
              "__LABEL__": kind.label, "__ENV__": f"{name.upper()}_DATA", "__NAME__": name}
    rendered = {}
    for path, text in files.items():
        for placeholder, value in values.items():  # __DATASETS__ and __USAGE__ hold other placeholders: first
            text = text.replace(placeholder, value)
        rendered[path] = text
    return rendered


def new_plugin(name: str, kind: str = "image_prior", directory: str | os.PathLike[str] | None = None) -> Path:
    """Write the plugin package for ``name`` into ``directory`` (default ``./<name>``); returns the folder."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown plugin kind '{kind}'; use one of {', '.join(KINDS)}")
    check_name(name)
    target = Path(directory if directory is not None else name).expanduser().absolute()
    check_target(target)
    files = render(name, kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        staging.chmod(0o777 & ~_umask())
        if target.is_dir():
            target.rmdir()  # empty (checked above): replaced by the finished package
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
