"""``python -m llie.bench.model_worker SPEC_JSON`` — one config's model measured in this fresh process.

Protocol (one line per answer on stdout; the model's own logs go to stderr): after building the model and its
warm-up forwards the worker prints ``READY``; then it reads commands from stdin: ``time`` runs one timed forward and
answers ``TIME <wall seconds>``; ``done`` answers ``LLIE_BENCH_RESULT {json row}`` (latency summarised over the timed
forwards, peak memory, FLOPs) and exits. An expected failure (a config error) is answered at any point with
``LLIE_BENCH_RESULT {"config", "error"}``. Driven by :func:`llie.bench.model_cost.run_workers`.
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _answer(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None, commands=None) -> int:
    from ..errors import LLIEError
    from .model_cost import RESULT_MARKER, ModelBench

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m llie.bench.model_worker SPEC_JSON", file=sys.stderr)
        return 2
    spec = json.loads(argv[0])
    spec["size"] = tuple(spec["size"])
    try:
        bench = ModelBench(**spec)
    except LLIEError as exc:
        _answer(RESULT_MARKER + json.dumps({"config": spec["config"], "error": str(exc)}))
        return 0
    _answer("READY")
    for line in (sys.stdin if commands is None else commands):
        command = line.strip()
        if command == "time":
            _answer(f"TIME {bench.time_forward()!r}")
        elif command == "done":
            _answer(RESULT_MARKER + json.dumps(bench.row()))
            return 0
        elif command:
            print(f"model_worker: unknown command {command!r}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
