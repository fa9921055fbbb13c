"""Shared fixtures: plugins loaded once, one torch thread (the machine has 2 cores), offline hub and model zoo (the
zoo's download tests serve files from 127.0.0.1 and lift LLIE_OFFLINE themselves); real sample data and
shared weights found as the CLI finds them, and never silently skipped under CI.

Tests that read real data take the ``sample_data`` (or ``lol_sample``) fixture; tests that read real weights take
``shared_weights``. Each returns the folder, or skips with a reason when it is absent. Such tests (and any test marked
``needs_sample_data`` / ``needs_shared_weights``) must run under CI: when ``$CI`` is set and the folder exists, their
skip is reported as a failure (see :func:`pytest_runtest_makereport`), so a broken lookup cannot pass unnoticed.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LLIE_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


def shared_weights_folder() -> Path | None:
    """``$LLIE_WEIGHTS`` when it is a folder, else ``../shared/weights`` (the model zoo's order)."""
    from llie.paths import shared_weights_dir

    env = os.environ.get("LLIE_WEIGHTS")
    if env and Path(env).expanduser().is_dir():
        return Path(env).expanduser()
    return shared_weights_dir()


def sample_data_folder() -> Path | None:
    from llie.paths import sample_data_dir

    return sample_data_dir()


#: marker -> (fixtures that imply it, how to find its folder, what it is called in messages)
NEEDS: dict[str, tuple[tuple[str, ...], Callable[[], Path | None], str]] = {
    "needs_sample_data": (("sample_data", "lol_sample"), sample_data_folder,
                          "the sample data ($LLIE_SAMPLE_DATA or ../shared/data)"),
    "needs_shared_weights": (("shared_weights",), shared_weights_folder,
                             "the shared weights ($LLIE_WEIGHTS or ../shared/weights)"),
}


def pytest_configure(config: pytest.Config) -> None:
    for marker, (_, _, what) in NEEDS.items():
        config.addinivalue_line("markers", f"{marker}: reads {what}; must run (not skip) under CI when it exists")


@pytest.fixture(scope="session", autouse=True)
def _plugins_loaded():
    from llie.plugin_door import load_plugins

    return load_plugins()


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """The real sample-data folder (``llie.paths.sample_data_dir()``); skips when there is none."""
    folder = sample_data_folder()
    if folder is None:
        pytest.skip("no sample data: set $LLIE_SAMPLE_DATA or put the shared data folder at ../shared/data")
    return folder


@pytest.fixture(scope="session")
def lol_sample(sample_data: Path) -> Path:
    """``<sample data>/lol_sample`` (5 real LOL pairs in ``low/`` and ``high/``); skips when it is missing."""
    folder = sample_data / "lol_sample"
    if not any((folder / "low").glob("*.png")):
        pytest.skip(f"no LOL sample pairs under {folder}/low")
    return folder


@pytest.fixture(scope="session")
def shared_weights() -> Path:
    """The real-weights folder (``$LLIE_WEIGHTS``, else ``llie.paths.shared_weights_dir()``); skips when absent."""
    folder = shared_weights_folder()
    if folder is None:
        pytest.skip("no shared weights: set $LLIE_WEIGHTS or put the shared weights folder at ../shared/weights")
    return folder


def needs_of(item: pytest.Item) -> list[str]:
    """The ``needs_*`` markers that apply to ``item``: set on it, or implied by the fixtures it uses."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return [marker for marker, (implied, _, _) in NEEDS.items()
            if item.get_closest_marker(marker) is not None or fixtures & set(implied)]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Under ``$CI``, a skip of a test that needs existing sample data or weights becomes a failure."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not os.environ.get("CI") or hasattr(report, "wasxfail"):
        return
    for marker in needs_of(item):
        _, find, what = NEEDS[marker]
        folder = find()
        if folder is not None:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            report.outcome = "failed"
            report.longrepr = (f"{item.nodeid} skipped under CI although {what} exists at {folder}: {reason}. "
                               f"Tests that need it must find it through llie.paths and run.")
            return
