"""Fixtures for the sweep tests (the tiny sweep files are described in sweep_helpers.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from sweep_helpers import sweep_text


@pytest.fixture
def write_sweep(tmp_path: Path) -> Callable[..., Path]:
    """``write_sweep(name, grid=..., include=..., ...)`` → path of a sweep file on the tiny base (in tmp_path)."""

    def write(name: str = "tiny", filename: str | None = None, **fields: Any) -> Path:
        path = tmp_path / (filename or f"{name}.yaml")
        path.write_text(sweep_text(name, **fields))
        return path

    return write
