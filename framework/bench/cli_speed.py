"""How fast the command line answers: ``llie --help`` against ``python -c "import torch"``.

A command line that imports torch (or mmengine, pandas …) before parsing its arguments makes every ``--help`` and
every typo cost seconds. The goal is ``llie --help`` in at most half the time of a bare ``import torch``. Both run as
fresh processes of the same interpreter, interleaved (A B, B A, …) so that load on a shared machine hits both alike;
``python -c pass`` (interpreter start-up, which both pay) is measured beside them for scale.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import LLIEError
from .timing import Timing, time_interleaved

#: the ratio ``llie --help`` / ``import torch`` the command line is kept under
GOAL_RATIO = 0.5

HELP, TORCH, PYTHON = "llie --help", 'python -c "import torch"', 'python -c "pass"'


def llie_command() -> list[str]:
    """The ``llie`` console script beside this interpreter (what users run), else ``python -m llie.cli.main``."""
    script = Path(sys.executable).with_name("llie")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "llie.cli.main"]


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise LLIEError(f"llie bench cli: '{' '.join(cmd)}' exited with {proc.returncode}: {last}")


@dataclass(frozen=True)
class CliSpeed:
    """Medians of the three process kinds, measured interleaved in one run."""

    help: Timing
    torch_import: Timing
    interpreter: Timing
    command: tuple[str, ...]

    @property
    def ratio(self) -> float:
        """``llie --help`` over ``import torch`` (medians): the figure the goal is stated in."""
        return self.help.median / self.torch_import.median

    @property
    def meets_goal(self) -> bool:
        return self.ratio <= GOAL_RATIO

    def as_dict(self) -> dict:
        return {"llie_help": self.help.as_dict(), "import_torch": self.torch_import.as_dict(),
                "python_start": self.interpreter.as_dict(), "ratio": self.ratio, "goal_ratio": GOAL_RATIO,
                "meets_goal": self.meets_goal, "command": list(self.command), "python": sys.executable}


def measure_cli_speed(runs: int = 10, warmup: int = 1) -> CliSpeed:
    """Median wall time of ``llie --help``, ``import torch`` and a bare interpreter over ``runs`` interleaved rounds
    (``warmup`` untimed rounds first fill the OS file cache)."""
    command = llie_command()
    fns = {
        HELP: lambda: _run([*command, "--help"]),
        TORCH: lambda: _run([sys.executable, "-c", "import torch"]),
        PYTHON: lambda: _run([sys.executable, "-c", "pass"]),
    }
    timings = time_interleaved(fns, runs=runs, warmup=warmup)
    return CliSpeed(timings[HELP], timings[TORCH], timings[PYTHON], tuple(command))
