"""Where the framework finds its own experiment configs and the optional real sample data."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = REPO_ROOT / "experiments"


def sample_data_dir() -> Path | None:
    """``$LLIE_SAMPLE_DATA`` or ``../shared/data`` beside the repository, when it exists."""
    candidates = [os.environ.get("LLIE_SAMPLE_DATA"), REPO_ROOT.parent / "shared" / "data"]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return None
