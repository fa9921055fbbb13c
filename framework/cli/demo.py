"""``llie demo`` — the main job on the embedded default: the demo ablation sweep (DeepSPG-tiny with its priors on and
off, a U-Net, gamma correction and the untouched input) on synthetic pairs, its report in ``reports/demo/``, and the
before/after PSNR/SSIM on the held-out synthetic split and on the real LOL sample pairs when present."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

DEMO_SWEEP = "experiments/ablations/demo.yaml"  # the shipped sweep (found from any folder)
REAL_SAMPLE = "lol_sample"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the demo ablation sweep, write its report, print before/after PSNR/SSIM")
    p.add_argument("--sweep", default=DEMO_SWEEP, help="sweep file (default: experiments/ablations/demo.yaml)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override applied to every cell")
    p.add_argument("--work-dir", default="work_dirs", help="sweep work dirs go to <work-dir>/<sweep name>")
    p.add_argument("--out", default=None, help="report folder (default: reports/<sweep name>)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def real_sample_metrics(run_dir: Path, sample: Path) -> dict:
    """A trained cell's PSNR/SSIM on the real sample pairs (cached in the run dir: DONE cells never change)."""
    from ..config import load_config
    from ..engine.runner import evaluate
    from ..engine.training import last_checkpoint, load_trained_model
    from ..registry import build

    cached = run_dir / f"{REAL_SAMPLE}.json"
    if cached.is_file():
        return json.loads(cached.read_text())
    cfg = load_config(run_dir / "config.yaml")
    model = load_trained_model(cfg, last_checkpoint(run_dir))
    dataset = build("datasets", {"type": "PairedFolder", "root": str(sample)})
    result = evaluate(cfg, model, dataset, run_dir / REAL_SAMPLE, progress=False)
    payload = {"psnr": result.psnr, "ssim": result.ssim, "n_images": result.n_images}
    cached.write_text(json.dumps(payload))
    return payload


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..report.builder import build_report
    from ..sweep.launch import run_sweep
    from ..sweep.plan import make_plan
    from ..sweep.spec import load_sweep
    from ..paths import sample_data_dir
    from ..sweep.store import read_store

    spec = load_sweep(args.sweep)
    plan = make_plan(spec, args.work_dir, extra_overrides=args.overrides)
    result = run_sweep(plan, progress=not args.no_progress)
    for outcome in result.failed:
        print(f"failed: cell {outcome.cell_id}: {outcome.message} (log: {outcome.log_path})")
    report = build_report(plan.sweep_dir, args.out, images=True)

    store = read_store(plan.sweep_dir)
    plain = store[(store["protocol"] == "retinexformer") & (~store["gt_mean"].astype(bool))]
    data_dir = sample_data_dir()
    sample = data_dir / REAL_SAMPLE if data_dir is not None and (data_dir / REAL_SAMPLE).is_dir() else None
    table = Table(title=f"demo: {spec.name} — PSNR / SSIM (protocol retinexformer), higher is better")
    columns = ["method", "synthetic PSNR", "synthetic SSIM"] + (["lol_sample PSNR", "lol_sample SSIM"] if sample else [])
    for col in columns:
        table.add_column(col, justify="left" if col == "method" else "right")
    for planned in plan.cells:
        rows = plain[plain["cell_id"] == planned.cell.cell_id]
        if rows.empty:
            continue
        value = {m: float(rows[rows["metric"] == m]["value"].iloc[0]) for m in ("psnr", "ssim")}
        cells = [planned.cell.method, f"{value['psnr']:.2f}", f"{value['ssim']:.4f}"]
        if sample is not None:
            real = real_sample_metrics(planned.run_dir, sample)
            cells += [f"{real['psnr']:.2f}", f"{real['ssim']:.4f}"]
        table.add_row(*cells)
    if sample is None:
        table.caption = "real LOL sample not found (set LLIE_SAMPLE_DATA to a folder holding lol_sample/)"
    console = Console()
    (console if console.is_terminal else Console(width=120)).print(table)
    print(f"report: {report.index}")
    return 1 if result.failed else 0
