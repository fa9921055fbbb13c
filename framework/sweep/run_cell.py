"""Run one prepared cell: train → load the trained model → evaluate the test split, then each extra evaluation set
(``eval_datasets``), under each protocol (sets without ground truth: once, with the sweep's no-reference metrics),
saving sample images of each (``samples/<dataset>/``) → ``per_image.csv``
and ``metrics.json`` → rows into the results store → ``DONE``, written last.

Everything a cell needs is in its run directory (``config.yaml`` + ``cell.json``, written by the sweep), so the same
entry point serves every executor: in-process (:func:`run_cell`), one process per cell
(``python -m llie.sweep.run_cell RUN_DIR``) and submitit jobs (:func:`run_cell_job`).

Crash safety, step by step: training resumes from the run dir's last checkpoint (a checkpoint cut short by a kill is
detected and the pointer moved to the newest intact one); ``metrics.json`` is written atomically and, once there, is
not recomputed; storing a cell replaces its rows, so a kill between storing and ``DONE`` leaves no duplicate; a cell
with ``DONE`` is never run again. ``train_time_s`` is the wall time of the last training attempt (a resumed cell counts
only the part after resuming); ``eval_time_s`` is per protocol; ``peak_rss_mib`` and ``run_dir_bytes`` are the cell's
cost (see :mod:`llie.sweep.costs`).

While a cell runs, it holds ``<run_dir>/.cell.lock``; a second runner of the same cell (an orphaned worker, a Slurm job
still running after its sweep process was stopped) is refused and reported as ``busy``.

Distributed training inside a cell: run the cell under ``torchrun --nproc_per_node N -m llie.sweep.run_cell
RUN_DIR`` (or a Slurm executor with ``tasks_per_node: N``); only rank 0 (``RANK``/``SLURM_PROCID``) evaluates, stores
and marks ``DONE``, the others only train. The engine must hand mmengine's Runner a ``launcher`` ('pytorch' under
torchrun, 'slurm' under srun) for the ranks to join one process group.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import socket
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..cache.settings import CONFIG_KEY as CACHE_KEY
from ..cache.settings import fidelity_label
from ..engine.resume import last_checkpoint, repair_checkpoint_pointers
from .cells import (CELL_LOCK, DONE, METRICS_FILE, PER_IMAGE_FILE, read_cell, write_atomic)
from .costs import PeakRSS, run_dir_bytes
from .locks import LockBusyError, exclusive

ERROR_LOG = "error.log"
ATTEMPTS = "attempts.jsonl"
EXIT_BUSY = 75  # EX_TEMPFAIL: someone else is running the cell; try later
FLOPS_INPUT = (1, 3, 256, 256)


@dataclass
class CellOutcome:
    """What happened to one cell: ``done``, ``skipped`` (already DONE), ``busy`` (run elsewhere) or ``failed``."""

    cell_id: str
    run_dir: Path
    status: str
    message: str = ""
    log_path: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("done", "skipped")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ---- mmengine global state -------------------------------------------------------------------------------------
@contextmanager
def isolated_mmengine_state() -> Iterator[None]:
    """Forget the loggers, visualizers and message hubs mmengine creates while a cell runs.

    mmengine keeps every one of them in process-wide dicts for the life of the process, each logger with its log
    file open; a long in-process sweep would pile them up (and, should two runs ever get the same experiment name,
    the later one would reuse the earlier one's log folder). Dropping the new instances after each cell keeps cells
    apart.
    """
    from mmengine.logging import MessageHub, MMLogger
    from mmengine.visualization import Visualizer

    classes = (MMLogger, MessageHub, Visualizer)
    before = {cls: set(cls._instance_dict) for cls in classes}
    try:
        yield
    finally:
        for cls in classes:
            for name in set(cls._instance_dict) - before[cls]:
                instance = cls._instance_dict.pop(name)
                if isinstance(instance, MMLogger):
                    for handler in list(instance.handlers):
                        handler.close()
                        instance.removeHandler(handler)


# ---- measurements ------------------------------------------------------------------------------------------------
def count_params(model: Any) -> tuple[int, int]:
    """(total, trainable) parameter counts."""
    params = list(model.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def count_gflops(model: Any, shape: tuple[int, ...] = FLOPS_INPUT) -> float:
    """GFLOPs of one forward on a ``shape`` input, counted by ``torch.utils.flop_counter`` (NaN when it fails).

    torch counts a multiply-add as two FLOPs (halve for the MACs some papers quote); elementwise ops are not counted.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    try:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        x = torch.rand(*shape, device=device)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x, mode="tensor")
        return counter.get_total_flops() / 1e9
    except Exception:  # any op the counter cannot trace: the row still gets its metrics
        return math.nan


def _rank() -> int:
    for var in ("RANK", "SLURM_PROCID"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 0


def _record_attempt(run_dir: Path) -> None:
    resumed = last_checkpoint(run_dir)
    line = {"started_at": now_iso(), "host": socket.gethostname(), "pid": os.getpid(),
            "resumed_from": str(resumed) if resumed else None}
    with open(run_dir / ATTEMPTS, "a") as f:
        f.write(json.dumps(line) + "\n")


PER_IMAGE_COLUMNS = ["name", "psnr", "ssim", "protocol", "gt_mean", "crop_border", "y_channel", "dataset"]


def _per_image_csv(rows: list[dict]) -> str:
    """One line per (image, dataset, protocol): the fixed columns, then every other column in order of appearance —
    extra metrics (ΔE, NIQE) and per-image values the model reported (e.g. ``gate_s1``). Columns a row lacks (NIQE of a
    paired set, PSNR of an unpaired one) are empty."""
    extras = list(dict.fromkeys(key for row in rows for key in row if key not in PER_IMAGE_COLUMNS))
    out = io.StringIO()
    writer = csv.DictWriter(out, PER_IMAGE_COLUMNS + extras)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _read_metrics(run_dir: Path, cell_id: str) -> dict | None:
    try:
        metrics = json.loads((run_dir / METRICS_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return metrics if metrics.get("cell_id") == cell_id else None


def _json_number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else value


# ---- the cell --------------------------------------------------------------------------------------------------
def _config(info: dict, plain: dict, run_dir: Path):
    from mmengine.config import Config

    from ..config import validate

    validate(plain, str(run_dir / "config.yaml"))
    # mmengine dumps the config into the work dir under the file name given here: keep it off our config.yaml
    return Config(plain, filename=info.get("base") or str(run_dir / "cell_config.yaml"))


def _costs(run_dir: Path, rss: PeakRSS) -> dict:
    """The cell's cost columns (see :mod:`llie.sweep.costs`): peak memory of its last attempt, bytes of its run dir."""
    return {"peak_rss_mib": rss.mib, "run_dir_bytes": run_dir_bytes(run_dir)}


def evaluate_sets(cfg: Any, model: Any, info: dict, run_dir: Path, *, progress: bool = True
                  ) -> tuple[list[dict], list[dict]]:
    """(results, per-image rows) of the cell's test split and then each available extra evaluation set: paired sets
    under every protocol, sets without ground truth once with the no-reference metrics
    (``info['no_reference_metrics']``, default NIQE); the first ``info['samples']`` images of each set are saved
    for reports (:mod:`llie.sweep.samples`)."""
    from ..engine.builders import build_dataset
    from .eval_sets import open_eval_sets
    from .samples import DEFAULT_SAMPLES, sample_dir, write_samples

    own = info["dataset"]
    sets = [(own, False, build_dataset(cfg, "test"))]
    sets += [(name, True, dataset) for name, dataset in open_eval_sets(info.get("eval_datasets") or [], own)]
    results, per_image = [], []
    for name, extra, dataset in sets:
        if getattr(dataset, "has_ground_truth", True):
            done = _evaluate_paired(cfg, model, dataset, info, run_dir, progress)
        else:
            done = _evaluate_unpaired(cfg, model, dataset, info, run_dir, progress)
        for result, rows in done:
            results.append({"dataset": name, "extra_eval": extra, **result})
            per_image += [{**row, "dataset": name} for row in rows]
        write_samples(model, dataset, sample_dir(run_dir, name), int(info.get("samples", DEFAULT_SAMPLES)),
                      dataset_name=name)
    return results, per_image


def _evaluate_paired(cfg: Any, model: Any, dataset: Any, info: dict, run_dir: Path,
                     progress: bool) -> list[tuple[dict, list[dict]]]:
    """(result, per-image rows) under each of the sweep's protocols."""
    from ..engine.runner import evaluate

    out = []
    for protocol in info.get("protocols") or [{}]:
        start = time.perf_counter()
        res = evaluate(cfg, model, dataset, run_dir / "eval", progress=progress, **protocol)
        settings = {"protocol": res.protocol, "gt_mean": res.gt_mean,
                    "crop_border": res.crop_border, "y_channel": res.y_channel}
        scores = {"psnr": res.psnr, "ssim": res.ssim, **res.extras}
        out.append(({**settings, "n_images": res.n_images, **scores, "eval_time_s": time.perf_counter() - start},
                    [{**row, **settings} for row in res.per_image]))
    return out


def _evaluate_unpaired(cfg: Any, model: Any, dataset: Any, info: dict, run_dir: Path,
                       progress: bool) -> list[tuple[dict, list[dict]]]:
    """One result with the no-reference metrics, protocol ``no-reference`` (their computation is fixed)."""
    from ..engine.no_reference_eval import PROTOCOL, evaluate_no_reference
    from .spec import DEFAULT_NO_REFERENCE_METRICS

    start = time.perf_counter()
    res = evaluate_no_reference(cfg, model, dataset, run_dir / "eval",
                                list(info.get("no_reference_metrics") or DEFAULT_NO_REFERENCE_METRICS),
                                progress=progress)
    settings = {"protocol": PROTOCOL, "gt_mean": False, "crop_border": 0, "y_channel": False}
    direction = {m: m not in res.lower_is_better for m in res.means}
    return [({**settings, "n_images": res.n_images, **res.means, "higher_is_better": direction,
              "eval_time_s": time.perf_counter() - start},
             [{**row, **settings} for row in res.per_image])]


def compute_cell(run_dir: Path, info: dict, plain: dict, *, progress: bool = True) -> dict:
    """Train and evaluate one cell; writes ``per_image.csv`` and ``metrics.json`` and returns the metrics."""
    from ..engine.training import load_trained_model, train
    from ..plugin_door import ensure_plugins_loaded

    ensure_plugins_loaded()
    cfg = _config(info, plain, run_dir)
    repair_checkpoint_pointers(run_dir)
    _record_attempt(run_dir)
    with isolated_mmengine_state(), PeakRSS() as rss:
        start = time.perf_counter()
        trained = train(cfg, run_dir, resume=True, progress=progress)
        train_time = time.perf_counter() - start
        if _rank() != 0:
            return {}
        model = load_trained_model(cfg, trained.checkpoint)
        params, trainable = count_params(model)
        flops = count_gflops(model)
        results, per_image = evaluate_sets(cfg, model, info, run_dir, progress=progress)
    write_atomic(run_dir / PER_IMAGE_FILE, _per_image_csv(per_image))
    metrics = {key: info[key] for key in ("sweep", "cell_id", "method", "dataset", "seed", "overrides", "columns")}
    metrics.update(params=params, trainable_params=trainable, flops_g=_json_number(flops), train_time_s=train_time,
                   val=trained.metrics, checkpoint=str(trained.checkpoint), results=results, finished_at=now_iso(),
                   **_costs(run_dir, rss))
    # which prior features the cell trained and evaluated on (off / exact / window …), for the results table
    metrics["prior_cache_mode"] = fidelity_label(plain.get(CACHE_KEY))
    write_atomic(run_dir / METRICS_FILE, json.dumps(metrics, indent=2, default=str))
    return metrics


def run_cell(run_dir: str | Path, *, progress: bool = True) -> CellOutcome:
    """Run one prepared cell to ``DONE`` (skips a DONE cell; ``busy`` when another process runs it).

    Failures raise; :func:`run_cell_safely` turns them into a ``failed`` outcome with a log.
    """
    from .store import store_cell

    run_dir = Path(run_dir)
    start = time.perf_counter()
    info, plain = read_cell(run_dir)
    cell_id = info["cell_id"]
    if (run_dir / DONE).is_file():
        return CellOutcome(cell_id, run_dir, "skipped", "already DONE")
    if _rank() != 0:  # the other ranks of a distributed cell only train
        compute_cell(run_dir, info, plain, progress=False)
        return CellOutcome(cell_id, run_dir, "done", f"rank {_rank()} trained")
    try:
        with exclusive(run_dir / CELL_LOCK, what=f"cell {cell_id}", hint="it is being run by another process"):
            if (run_dir / DONE).is_file():
                return CellOutcome(cell_id, run_dir, "skipped", "already DONE")
            metrics = _read_metrics(run_dir, cell_id) or compute_cell(run_dir, info, plain, progress=progress)
            store_cell(run_dir.parent, metrics)
            write_atomic(run_dir / DONE, metrics["finished_at"] + "\n")
    except LockBusyError as exc:
        return CellOutcome(cell_id, run_dir, "busy", str(exc))
    return CellOutcome(cell_id, run_dir, "done", seconds=time.perf_counter() - start)


def run_cell_safely(run_dir: str | Path, *, progress: bool = True) -> CellOutcome:
    """:func:`run_cell`, with any failure written to ``<run_dir>/error.log`` and returned as a ``failed`` outcome."""
    run_dir = Path(run_dir)
    error_log = run_dir / ERROR_LOG
    error_log.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        return run_cell(run_dir, progress=progress)
    except Exception as exc:  # one cell's failure must not stop the sweep
        error_log.write_text(f"{now_iso()} cell {run_dir.name} failed\n{traceback.format_exc()}")
        line = str(exc).splitlines()[0] if str(exc) else ""
        return CellOutcome(run_dir.name, run_dir, "failed", f"{type(exc).__name__}: {line}", error_log,
                           time.perf_counter() - start)


def run_cell_job(run_dir: str) -> CellOutcome:
    """Entry point of a submitit job (it must not raise: submitit's debug executor would open a debugger)."""
    return run_cell_safely(run_dir, progress=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llie.sweep.run_cell", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a run directory prepared by 'llie sweep' (holds config.yaml and cell.json)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    outcome = run_cell_safely(args.run_dir, progress=not args.no_progress)
    print(f"cell {outcome.cell_id}: {outcome.status}" + (f": {outcome.message}" if outcome.message else ""),
          file=sys.stderr)
    return {"done": 0, "skipped": 0, "busy": EXIT_BUSY}.get(outcome.status, 1)


if __name__ == "__main__":
    sys.exit(main())
