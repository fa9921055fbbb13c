"""``llie demo`` — the main job on the embedded default: the demo ablation sweep (DeepSPG-tiny with its priors on and
off, a U-Net, gamma correction and the untouched input) on synthetic pairs, its report in ``reports/demo/``, and the
before/after PSNR/SSIM on the held-out synthetic split and on the sweep's extra evaluation set (the real LOL sample
pairs, when present), read from the sweep's results store."""
from __future__ import annotations

import argparse

DEMO_SWEEP = "experiments/ablations/demo.yaml"  # the shipped sweep (found from any folder)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the demo ablation sweep, write its report, print before/after PSNR/SSIM")
    p.add_argument("--sweep", default=DEMO_SWEEP, help="sweep file (default: experiments/ablations/demo.yaml)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override applied to every cell")
    p.add_argument("--work-dir", default="work_dirs", help="sweep work dirs go to <work-dir>/<sweep name>")
    p.add_argument("--out", default=None, help="report folder (default: reports/<sweep name>)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..report.builder import build_report
    from ..sweep.launch import run_sweep
    from ..sweep.plan import make_plan
    from ..sweep.spec import load_sweep
    from ..sweep.store import read_store

    spec = load_sweep(args.sweep)
    plan = make_plan(spec, args.work_dir, extra_overrides=args.overrides)
    result = run_sweep(plan, progress=not args.no_progress)
    for outcome in result.failed:
        print(f"failed: cell {outcome.cell_id}: {outcome.message} (log: {outcome.log_path})")
    report = build_report(plan.sweep_dir, args.out, images=True)

    store = read_store(plan.sweep_dir)
    plain = store[(store["protocol"] == "retinexformer") & (~store["gt_mean"].astype(bool))]
    datasets = list(spec.datasets) + [s.name for s in spec.eval_sets if s.name in set(plain["dataset"])]
    table = Table(title=f"demo: {spec.name} — PSNR / SSIM (protocol retinexformer), higher is better")
    table.add_column("method", justify="left")
    for dataset in datasets:
        table.add_column(f"{dataset} PSNR", justify="right")
        table.add_column(f"{dataset} SSIM", justify="right")
    for planned in plan.cells:
        rows = plain[plain["cell_id"] == planned.cell.cell_id]
        if rows.empty:
            continue
        cells = [planned.cell.method]
        for dataset in datasets:
            for metric, digits in (("psnr", 2), ("ssim", 4)):
                value = rows[(rows["dataset"] == dataset) & (rows["metric"] == metric)]["value"]
                cells.append(f"{float(value.iloc[0]):.{digits}f}" if len(value) else "–")
        table.add_row(*cells)
    absent = [s.name for s in spec.eval_sets if s.name not in datasets]
    if absent:
        table.caption = (f"not evaluated: {', '.join(absent)} (data not found; for lol_sample set LLIE_SAMPLE_DATA "
                         f"to a folder holding lol_sample/)")
    console = Console()
    (console if console.is_terminal else Console(width=120)).print(table)
    print(f"report: {report.index}")
    return 1 if result.failed else 0
