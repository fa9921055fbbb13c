"""The command line stays fast: building the parser and ``--help`` of every command (sub-commands included) import
none of the heavy libraries — those load only when a command runs. Checked in a fresh interpreter's ``sys.modules``.
"""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "mmengine", "mmseg", "mmcv", "open_clip", "pandas", "seaborn", "matplotlib", "segment_anything")

SCRIPT = r"""
import argparse, contextlib, io, json, sys

HEAVY = %r

def heavy():
    return sorted(m for m in HEAVY if m in sys.modules)

report = {}
import llie.cli.main as cli
report["import llie.cli.main"] = heavy()
parser = cli.build_parser()
report["build_parser()"] = heavy()

def commands(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + (name,)
                yield from commands(sub, prefix + (name,))

for cmd in [()] + list(commands(parser)):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            cli.main([*cmd, "--help"])
        except SystemExit:
            pass
    report[" ".join(("llie",) + cmd + ("--help",))] = heavy()
print(json.dumps(report))
"""


def test_help_of_every_command_imports_nothing_heavy():
    proc = subprocess.run([sys.executable, "-c", SCRIPT % (HEAVY,)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    # the walk reached the nested commands (so an empty result means something)
    assert {"llie train --help", "llie bench cli --help", "llie bench model --help"} <= set(report)
    offenders = {step: mods for step, mods in report.items() if mods}
    assert not offenders, f"first step that imported a heavy module: {next(iter(offenders.items()))}"
