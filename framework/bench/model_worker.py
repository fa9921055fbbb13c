"""``python -m framework.bench.model_worker SPEC_JSON`` — measure one config in this fresh process.

Prints one line ``LLIE_BENCH_RESULT {json}`` on stdout (the row, or ``{"config", "error"}`` for an expected failure);
everything else the model logs goes to stderr. Used by :func:`framework.bench.model_cost.bench_models`.
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    from ..errors import LLIEError
    from .model_cost import RESULT_MARKER, measure_model

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m framework.bench.model_worker SPEC_JSON", file=sys.stderr)
        return 2
    spec = json.loads(argv[0])
    spec["size"] = tuple(spec["size"])
    try:
        row = measure_model(**spec)
    except LLIEError as exc:
        row = {"config": spec["config"], "error": str(exc)}
    sys.stdout.flush()
    print(RESULT_MARKER + json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
