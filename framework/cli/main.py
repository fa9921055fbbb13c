"""``llie`` — the command line; one module of :mod:`llie.cli` per command (see :data:`COMMANDS`).

Every expected failure is an :class:`~llie.errors.LLIEError`; it is printed as one line and the exit status is
2. Anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from ..errors import LLIEError, user_message

Command = Callable[[argparse.Namespace], int]


#: command modules in the order ``llie --help`` lists them; each has ``add_parser(sub)`` and imports nothing heavy
#: at module level (heavy imports happen inside the command's ``run``), so ``llie --help`` stays fast
COMMANDS = (
    "train",
    "evaluate",
    "enhance",
    "export",
    "prior",
    "sweep",
    "report",
    "bench",
    "plugins",
    "new_plugin",
    "weights",
    "demo",
)


def _add_commands(sub: argparse._SubParsersAction) -> None:
    import importlib

    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").add_parser(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llie", description="Low-light image enhancement guided by semantic priors.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # pretrained weights come from local files only
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LLIEError as exc:
        print(f"llie {args.command}: error: {user_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"llie {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
