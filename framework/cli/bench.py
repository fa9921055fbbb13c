"""``llie bench model | train-step | eval | data | prior-cache | cli`` — what things cost, as figures and same-run
ratios.

On a shared CPU give ``--threads 1``: multi-threaded kernels slow down badly when other processes hold the cores.

- ``model CONFIG [CONFIG ...]``: params (total / trainable / frozen prior), GFLOPs, latency (wall and CPU time),
  peak memory per config, of the model ``llie enhance`` runs; ``--baseline NAME`` adds ratios vs that row;
- ``train-step CONFIG``: the mmengine Runner's training iteration vs. a bare torch loop (overhead ratio);
- ``eval --pairs LOW HIGH | --synthetic N``: vectorised PSNR/SSIM vs. a scikit-image loop (speed ratio, max |Δ|);
- ``data CONFIG``: training-pipeline images/s vs. the model's step rate;
- ``prior-cache``: sweep cells trained without vs. with the prior-feature cache (:mod:`llie.cache.bench`);
- ``cli``: ``llie --help`` vs. ``python -c "import torch"`` in fresh processes (ratio; goal ≤ 0.5).
"""
from __future__ import annotations

import argparse
import inspect
from pathlib import Path
from typing import Any

from ..errors import ConfigError, LLIEError


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def _add_common(p: argparse.ArgumentParser, *, config: bool = True, runs: int | None = None,
                warmup: int | None = None) -> None:
    if config:
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config value (repeatable), e.g. --set model.image_prior.pretrained=null")
    if runs is not None:
        p.add_argument("--runs", type=_positive, default=runs, help=f"timed repetitions (default {runs})")
    if warmup is not None:
        p.add_argument("--warmup", type=_non_negative, default=warmup, help=f"untimed warm-up runs (default {warmup})")
    p.add_argument("--threads", type=_positive, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="also write the figures as JSON")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmarks: model cost, training overhead, eval speed, data loading, "
                                     "prior cache, CLI start-up",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench = p.add_subparsers(dest="bench_command", required=True, metavar="BENCHMARK")

    m = bench.add_parser("model", help="params, FLOPs, latency and peak memory of one or more configs")
    m.add_argument("configs", nargs="+", metavar="CONFIG", help="experiment YAML files (one table row each)")
    m.add_argument("--size", default="600x400", help="input WIDTHxHEIGHT (default 600x400)")
    m.add_argument("--batch", type=_positive, default=1, help="images per forward (default 1)")
    m.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    m.add_argument("--amp", choices=["off", "bf16", "fp16"], default="off", help="autocast dtype (default off)")
    m.add_argument("--memory-format", choices=["auto", "channels_last", "contiguous"], default="auto",
                   help="tensor layout (default auto: channels_last on CPU, as llie enhance runs)")
    m.add_argument("--channels-last", dest="memory_format", action="store_const", const="channels_last",
                   help="same as --memory-format channels_last")
    m.add_argument("--baseline", metavar="NAME",
                   help="add latency ratios vs this row (its method, e.g. Retinexformer, or its config file name)")
    m.add_argument("--compile", action="store_true", help="torch.compile the enhancer (warm-up pays compilation)")
    m.add_argument("--random-init", action="store_true",
                   help="set every model.*.pretrained to null (no weight files needed; costs are the same)")
    m.add_argument("--in-process", action="store_true",
                   help="measure in this process (faster; peak-memory figures then include earlier configs)")
    _add_common(m, runs=5, warmup=1)
    m.set_defaults(func=run_model)

    t = bench.add_parser("train-step", help="one training iteration: mmengine Runner vs. a bare torch loop")
    t.add_argument("config", metavar="CONFIG")
    t.add_argument("--batch", type=_positive, help="batch size (default: the config's data.batch_size)")
    t.add_argument("--crop", type=_positive, help="training crop (default: the config's data.train.crop_size)")
    _add_common(t, runs=20, warmup=3)
    t.set_defaults(func=run_train_step)

    e = bench.add_parser("eval", help="vectorised PSNR/SSIM vs. a scikit-image per-image loop")
    source = e.add_mutually_exclusive_group(required=True)
    source.add_argument("--pairs", nargs=2, metavar=("LOW_DIR", "HIGH_DIR"), help="score LOW against HIGH")
    source.add_argument("--synthetic", type=_positive, metavar="N", help="N random image pairs of --size")
    e.add_argument("--size", default="600x400", help="WIDTHxHEIGHT of the synthetic pairs (default 600x400)")
    e.add_argument("--protocol", choices=["retinexformer", "basicsr"], default="retinexformer")
    e.add_argument("--batch", type=_positive, default=1,
                   help="images per vectorised call (default 1, as the evaluation loop; larger batches pay off on GPUs)")
    _add_common(e, config=False, runs=3, warmup=1)
    e.set_defaults(func=run_eval)

    d = bench.add_parser("data", help="training data pipeline images/s vs. the model's training-step rate")
    d.add_argument("config", metavar="CONFIG")
    d.add_argument("--workers", type=_non_negative, help="DataLoader workers (default: the config's data.num_workers)")
    d.add_argument("--iters", type=_positive, default=20, help="timed batches (default 20)")
    d.add_argument("--step-runs", type=_positive, default=5, help="timed training steps for the model side")
    d.add_argument("--no-model", action="store_true", help="skip the model step (loader figures only)")
    _add_common(d)
    d.set_defaults(func=run_data)

    c = bench.add_parser("prior-cache", help="sweep cells trained without vs. with the prior-feature cache")
    c.add_argument("config", nargs="?", metavar="CONFIG",
                   help="experiment YAML whose cells are trained (default: the cache benchmark's own tiny config)")
    c.add_argument("--cells", type=_positive, help="cells (seeds) per arm")
    c.add_argument("--iters", type=_positive, help="training iterations per cell")
    c.add_argument("--work-dir", help="keep runs and cache here (default: a temporary folder)")
    _add_common(c)
    c.set_defaults(func=run_prior_cache)

    s = bench.add_parser("cli", help="llie --help vs. python -c 'import torch' in fresh processes (ratio)")
    s.add_argument("--runs", type=_positive, default=10, help="timed rounds (default 10)")
    s.add_argument("--warmup", type=_non_negative, default=1, help="untimed rounds first (default 1)")
    s.add_argument("--json", dest="json_out", metavar="OUT", help="also write the figures as JSON")
    s.set_defaults(func=run_cli)


# ---- helpers -----------------------------------------------------------------------------------------------------
def _print(renderable: Any) -> None:
    import sys

    from rich.console import Console

    # wide when piped (rich assumes 80 columns without a terminal, which cuts the model table's cells)
    Console(width=None if sys.stdout.isatty() else 200).print(renderable)


def _set_threads(args: argparse.Namespace) -> None:
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)


def _maybe_json(args: argparse.Namespace, payload: Any) -> None:
    if getattr(args, "json_out", None):
        from ..bench.tables import write_json

        print(f"wrote {write_json(payload, args.json_out)}")


# ---- commands ----------------------------------------------------------------------------------------------------
def run_model(args: argparse.Namespace) -> int:
    from ..bench.model_cost import add_ratios, bench_models, check_baseline, parse_size
    from ..bench.tables import model_table

    size = parse_size(args.size)
    for config in args.configs:  # fail before spending minutes on the first configs
        if not Path(config).is_file():
            raise ConfigError(f"config file not found: {config}")
    if args.baseline:
        check_baseline(args.configs, args.baseline, args.overrides)
    rows = bench_models(args.configs, overrides=args.overrides, size=size, runs=args.runs, warmup=args.warmup,
                        device=args.device, amp=None if args.amp == "off" else args.amp,
                        memory_format=args.memory_format, compile=args.compile, threads=args.threads,
                        batch=args.batch, random_init=args.random_init, in_process=args.in_process)
    if args.baseline:
        try:
            add_ratios(rows, args.baseline)
        except ConfigError as exc:  # the baseline's own measurement failed: its error row says why
            print(f"llie bench model: no ratios: {exc}")
    _print(model_table(rows))
    _maybe_json(args, rows)
    return 1 if any("error" in r for r in rows) else 0


def run_train_step(args: argparse.Namespace) -> int:
    from ..bench.tables import train_step_table
    from ..bench.train_step import measure_train_step
    from ..config import load_config

    _set_threads(args)
    cfg = load_config(args.config, args.overrides)
    result = measure_train_step(cfg, runs=args.runs, warmup=args.warmup, batch=args.batch, crop=args.crop)
    _print(train_step_table(result))
    _maybe_json(args, result.as_dict())
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from ..bench.eval_speed import load_pairs, measure_eval_speed, synthetic_pairs
    from ..bench.model_cost import parse_size
    from ..bench.tables import eval_table

    if args.pairs:
        pairs = load_pairs(*args.pairs)
    else:
        h, w = parse_size(args.size)
        pairs = synthetic_pairs(args.synthetic, h, w)
    result = measure_eval_speed(pairs, args.protocol, runs=args.runs, warmup=args.warmup, batch=args.batch,
                                threads=args.threads or 1)
    _print(eval_table(result))
    _maybe_json(args, result.as_dict())
    return 0


def run_data(args: argparse.Namespace) -> int:
    from ..bench.data_speed import measure_data_speed
    from ..bench.tables import data_table
    from ..config import load_config

    _set_threads(args)
    cfg = load_config(args.config, args.overrides)
    result = measure_data_speed(cfg, workers=args.workers, iters=args.iters, step_runs=args.step_runs,
                                measure_model=not args.no_model)
    _print(data_table(result))
    _maybe_json(args, result.as_dict())
    return 0


def _call_with_known(fn: Any, candidates: dict[str, Any]) -> Any:
    """Call ``fn`` with the candidate keyword arguments its signature names (others are left out)."""
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in candidates.items() if v is not None and (takes_any or k in params)}
    missing = [n for n, p in params.items() if p.default is inspect.Parameter.empty and n not in kwargs
               and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    if missing:
        raise ConfigError(f"llie bench prior-cache: llie.cache.bench.{fn.__name__} needs {missing}, which "
                          "this command does not provide")
    return fn(**kwargs)


def run_prior_cache(args: argparse.Namespace) -> int:
    try:
        from ..cache import bench as cache_bench
    except ImportError as exc:
        raise LLIEError("llie bench prior-cache: the prior-feature cache (llie.cache.bench) is not available "
                        f"in this installation ({exc})") from None
    for name in ("compare", "format_table"):
        if not hasattr(cache_bench, name):
            raise LLIEError(f"llie bench prior-cache: llie.cache.bench has no '{name}'")
    _set_threads(args)
    cfg = None
    if args.config:
        from ..config import load_config

        cfg = load_config(args.config, args.overrides)
    elif args.overrides:
        raise ConfigError("llie bench prior-cache: --set needs a CONFIG to apply to")
    candidates = {"cfg": cfg, "cells": args.cells, "iters": args.iters, "work_dir": args.work_dir}
    result = _call_with_known(cache_bench.compare, candidates)
    table = cache_bench.format_table(result)
    if isinstance(table, str):
        print(table)
    else:
        _print(table)
    payload = result.as_dict() if hasattr(result, "as_dict") else result
    _maybe_json(args, payload)
    return 0


def run_cli(args: argparse.Namespace) -> int:
    from ..bench.cli_speed import measure_cli_speed
    from ..bench.tables import cli_table

    result = measure_cli_speed(runs=args.runs, warmup=args.warmup)
    _print(cli_table(result))
    _maybe_json(args, result.as_dict())
    return 0
