"""Where llie finds its shipped experiment configs and the optional real sample data.

The configs live in the repository's top-level ``experiments/`` folder; a wheel ships the same files as package data
inside ``llie/experiments``. :data:`CONFIG_ROOT` is the folder that holds ``experiments/`` in either case, so a path
such as ``experiments/deepspg/deepspg_tiny.yaml`` in a sweep file resolves the same way in a checkout, an editable
install and a wheel installed anywhere.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: the source checkout (``framework/``'s parent) when running from one; None in an installed wheel
REPO_ROOT: Path | None = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "experiments").is_dir() \
    and (PACKAGE_DIR.parent / "pyproject.toml").is_file() else None


def _config_root() -> Path:
    shipped = Path(str(resources.files("llie") / "experiments"))
    if shipped.is_dir():  # a wheel or a regular install: package data
        return shipped.parent
    if REPO_ROOT is not None:  # a checkout or an editable install: the repository's own folder
        return REPO_ROOT
    raise RuntimeError("llie is installed without its experiments/ configs; reinstall the package")


CONFIG_ROOT = _config_root()
EXPERIMENTS = CONFIG_ROOT / "experiments"


def shipped_config(path: str | os.PathLike[str]) -> Path:
    """``path`` as given when it exists; else, for a path starting with ``experiments/``, the shipped copy.

    So ``llie train experiments/unet/unet_synthetic.yaml`` works from any folder, and a user's own file of the same
    relative name, when present, wins.
    """
    given = Path(path)
    if given.exists() or given.is_absolute():
        return given
    parts = given.parts
    if parts and parts[0] == "experiments" and (CONFIG_ROOT / given).exists():
        return CONFIG_ROOT / given
    return given


def _beside_checkout(name: str) -> list[Path]:
    """``../shared/<name>`` beside the checkout (when running from one) and beside the working directory."""
    roots = ([REPO_ROOT.parent] if REPO_ROOT is not None else []) + [Path.cwd().parent]
    return [root / "shared" / name for root in roots]


def sample_data_dir() -> Path | None:
    """``$LLIE_SAMPLE_DATA``, else ``../shared/data`` beside the checkout (or the working directory), if it exists."""
    env = os.environ.get("LLIE_SAMPLE_DATA")
    for c in ([Path(env)] if env else []) + _beside_checkout("data"):
        if c.is_dir():
            return c
    return None


def shared_weights_dir() -> Path | None:
    """``../shared/weights`` beside the checkout (or the working directory), if it exists (``$LLIE_WEIGHTS`` is read
    by the model zoo before this)."""
    return next((c for c in _beside_checkout("weights") if c.is_dir()), None)


#: prefix of a data path inside the sample data folder (``sample:lol_sample`` → ``<sample data>/lol_sample``)
SAMPLE_PREFIX = "sample:"


def resolve_data_path(value: str | os.PathLike[str], *, what: str) -> Path:
    """A dataset path from a config; ``sample:<relative>`` names a folder inside :func:`sample_data_dir`.

    So shipped configs find the real sample data the way the CLI does (``$LLIE_SAMPLE_DATA``, then
    ``../shared/data``); a missing sample folder fails in one line naming ``what`` and how to point at it.
    """
    from .errors import DataError

    text = str(value)
    if not text.startswith(SAMPLE_PREFIX):
        return Path(text).expanduser()
    root = sample_data_dir()
    if root is None:
        raise DataError(f"{what}: '{text}' is in the sample data folder, which was not found; set $LLIE_SAMPLE_DATA "
                        f"to the folder holding it (default: ../shared/data beside the checkout)")
    return root / text[len(SAMPLE_PREFIX):]

