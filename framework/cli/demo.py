"""``llie demo`` — the question the framework exists for, on one machine in minutes: does a real semantic prior help?

It runs the demo sweep (``experiments/ablations/demo.yaml``: DeepSPG at CPU scale with the real ESPNetv2 VOC prior,
with the same prior randomly initialised and with no prior, three seeds each, beside a U-Net, published methods with
their authors' weights, gamma correction and the untouched input), then:

- training data: ``synthetic_clean`` (the sample data's clean photos, darkened) when that folder exists, else the
  sweep file's own datasets — the embedded default, which needs no files (``--dataset`` chooses);
- rows whose zoo weights are absent and cannot be downloaded (offline) are left out with one line each naming the
  file that would enable them (the sweep's ``missing_weights: skip``);
- the views of each segmentation prior on the real LOL sample pairs (class maps of each low-light image and its
  ground truth, their label agreement) are written into the sweep dir for the report (:mod:`llie.sweep.prior_views`);
- the report goes to ``reports/<sweep name>/`` and the table printed — mean ± standard deviation over seeds of PSNR
  and SSIM on the held-out synthetic split and on the extra evaluation set (the LOL sample pairs) — is read from the
  sweep's results store; the wall and CPU time of the whole run close it.
"""
from __future__ import annotations

import argparse

from .sweep import add_missing_weights_arg

DEMO_SWEEP = "experiments/ablations/demo.yaml"  # the shipped sweep (found from any folder)
#: trained on when the sample data's clean photos are there (far more varied scenes than the embedded default)
RICH_DATASET = "synthetic_clean"
#: the extra evaluation set whose pairs the priors' views are drawn on
PAIRS_SET = "lol_sample"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="does a real semantic prior help? run the demo sweep, write its report, print "
                                    "PSNR/SSIM ± seed std")
    p.add_argument("--sweep", default=DEMO_SWEEP, help="sweep file (default: experiments/ablations/demo.yaml)")
    p.add_argument("--dataset", default=None, metavar="NAME",
                   help=f"training dataset (default: {RICH_DATASET} when the sample data's clean photos exist, else "
                        f"the sweep file's datasets: the embedded default)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override applied to every cell")
    p.add_argument("--work-dir", default="work_dirs", help="sweep work dirs go to <work-dir>/<sweep name>")
    p.add_argument("--out", default=None, help="report folder (default: reports/<sweep name>)")
    add_missing_weights_arg(p)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def choose_datasets(spec_datasets: list[str], requested: str | None) -> list[str]:
    """``[requested]``; else ``[synthetic_clean]`` when its photos are on this machine; else the sweep's own."""
    if requested:
        return [requested]
    from ..sweep.datasets import data_section
    from ..sweep.eval_sets import missing_data

    train = data_section(RICH_DATASET, "llie demo").get("train") or {}
    return [RICH_DATASET] if missing_data(train) is None else list(spec_datasets)


def seed_table(store, plan, datasets: list[str]):
    """A rich table: method, seeds, then per dataset PSNR and SSIM as ``mean ± std`` over seeds (retinexformer)."""
    from rich.table import Table

    plain = store[(store["protocol"] == "retinexformer") & (~store["gt_mean"].astype(bool))]
    plain = plain[plain["cell_id"].isin({p.cell.cell_id for p in plan.cells})]
    table = Table(title=f"demo: {plan.spec.name} — PSNR / SSIM (protocol retinexformer), mean ± std over seeds")
    table.add_column("method", justify="left")
    table.add_column("seeds", justify="right")
    for dataset in datasets:
        table.add_column(f"{dataset} PSNR", justify="right")
        table.add_column(f"{dataset} SSIM", justify="right")
    for method in dict.fromkeys(p.cell.method for p in plan.cells):
        rows = plain[plain["method"] == method]
        if rows.empty:
            continue
        cells = [method, str(rows["seed"].nunique())]
        for dataset in datasets:
            for metric, digits in (("psnr", 2), ("ssim", 3)):
                values = rows[(rows["dataset"] == dataset) & (rows["metric"] == metric)]["value"].astype(float)
                cells.append(_mean_std(values.tolist(), digits))
        table.add_row(*cells)
    return table


def _mean_std(values: list[float], digits: int) -> str:
    if not values:
        return "–"
    mean = sum(values) / len(values)
    if len(values) < 2:
        return f"{mean:.{digits}f}"
    std = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def write_views(plan, spec) -> list[str]:
    """The priors' views on the extra evaluation set's pairs (when it is a pair folder present here); notes."""
    from ..sweep.eval_sets import eval_split, missing_data
    from ..sweep.prior_views import write_prior_views
    from ..paths import resolve_data_path

    eval_set = next((s for s in spec.eval_sets if s.name == PAIRS_SET), None)
    if eval_set is None:
        return []
    section = eval_split(eval_set)
    if missing_data(section) is not None or "root" not in section:
        return [f"prior views: {PAIRS_SET} not found, none drawn"]
    root = resolve_data_path(section["root"], what=PAIRS_SET)
    written = write_prior_views(plan, root / "low", root / "high")
    return [f"prior views: {len(written)} prior(s) on the {PAIRS_SET} pairs"]


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:04.1f} s"


def run(args: argparse.Namespace) -> int:
    import resource
    import time

    from rich.console import Console

    from ..report.builder import build_report
    from ..sweep.launch import run_sweep
    from ..sweep.plan import make_plan
    from ..sweep.spec import load_sweep
    from ..sweep.store import read_store
    from .sweep import skip_cells_without_weights

    start = time.perf_counter()
    spec = load_sweep(args.sweep)
    spec.datasets = choose_datasets(spec.datasets, args.dataset)
    plan = make_plan(spec, args.work_dir, extra_overrides=args.overrides)
    print(f"demo: {len(plan.cells)} cells, training on {', '.join(spec.datasets)}")
    for line in skip_cells_without_weights(plan, args.missing_weights):
        print(line)
    result = run_sweep(plan, progress=not args.no_progress)
    for outcome in result.failed:
        print(f"failed: cell {outcome.cell_id}: {outcome.message} (log: {outcome.log_path})")
    for line in write_views(plan, spec):
        print(line)
    report = build_report(plan.sweep_dir, args.out, images=True)

    store = read_store(plan.sweep_dir)
    present = set(store["dataset"])
    datasets = list(spec.datasets) + [s.name for s in spec.eval_sets if s.name in present]
    table = seed_table(store, plan, datasets)
    absent = [s.name for s in spec.eval_sets if s.name not in present]
    if absent:
        table.caption = (f"not evaluated: {', '.join(absent)} (data not found; for lol_sample set LLIE_SAMPLE_DATA "
                         f"to a folder holding lol_sample/)")
    console = Console()
    (console if console.is_terminal else Console(width=140)).print(table)
    print(f"report: {report.index}")
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    print(f"time: wall {_clock(time.perf_counter() - start)}, CPU {_clock(cpu)} (user + sys, with the sweep's workers)")
    return 1 if result.failed else 0
