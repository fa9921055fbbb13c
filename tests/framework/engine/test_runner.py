from __future__ import annotations

import pytest

from llie.engine.runner import detect_launcher


@pytest.mark.parametrize("env, expected", [
    ({}, "none"),
    ({"WORLD_SIZE": "4", "RANK": "0"}, "pytorch"),
    ({"SLURM_NTASKS": "2", "SLURM_PROCID": "1"}, "slurm"),
    ({"SLURM_NTASKS": "1", "SLURM_PROCID": "0"}, "none"),
])
def test_launcher_follows_how_the_process_was_started(monkeypatch, env, expected):
    for key in ("WORLD_SIZE", "RANK", "SLURM_NTASKS", "SLURM_PROCID"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert detect_launcher() == expected
