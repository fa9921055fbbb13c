"""Shared fixtures: plugins loaded once, one torch thread (the machine has 2 cores), offline hub and model zoo (the
zoo's download tests serve files from 127.0.0.1 and lift LLIE_OFFLINE themselves)."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LLIE_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="session", autouse=True)
def _plugins_loaded():
    from llie.plugin_door import load_plugins

    return load_plugins()
