"""A tiny model trained once per test session for the eval/enhance failure tests."""
from __future__ import annotations

import pytest

from cli_inputs import write_config
from llie.cli.main import main


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """(config path, checkpoint path) of a 2-iteration U-Net."""
    root = tmp_path_factory.mktemp("tiny_run")
    config = write_config(root / "tiny.yaml")
    assert main(["train", str(config), "--work-dir", str(root / "work"), "--no-progress"]) == 0
    return config, (root / "work" / "last_checkpoint").read_text().strip()
