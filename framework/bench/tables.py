"""Rich tables for the benchmark results, and atomic JSON output."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from rich.table import Table

MODEL_COLUMNS = ("config", "params (M)", "trainable (M)", "frozen prior (M)", "GFLOPs", "latency (s)", "IQR (s)",
                 "CPU (s)", "peak RSS (MiB)", "Δ RSS (MiB)")


def write_json(payload: Any, path: str | Path) -> Path:
    """Write ``payload`` as JSON atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        json.dump(payload, f, indent=2, default=str)
    os.replace(tmp, path)
    return path


def _num(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format(value, fmt)


def _millions(value: Any) -> str:
    return _num(None if value is None else value / 1e6, ".2f")


def model_table(rows: list[dict]) -> Table:
    first = next((r for r in rows if "error" not in r), {})
    where = f"{first.get('device', 'cpu')}, {first.get('threads', '?')} threads, batch {first.get('batch', 1)}"
    if first.get("amp", "off") != "off":
        where += f", autocast {first['amp']}"
    if first.get("memory_format", "channels_last" if first.get("channels_last") else "contiguous") != "contiguous":
        where += ", channels_last"
    if first.get("prior_precision", "fp32") != "fp32":
        where += f", prior {first['prior_precision']}"
    if first.get("compile"):
        where += ", compiled enhancer"
    table = Table(title=f"llie bench model — {first.get('size', '?')} input ({where})")
    columns = list(MODEL_COLUMNS)
    cuda = any(r.get("cuda_peak_mib") is not None for r in rows)
    if cuda:
        columns.append("CUDA peak (MiB)")
    baseline = next((r["baseline"] for r in rows if "baseline" in r), None)
    if baseline is not None:
        columns += [f"× {baseline} (CPU)", "range", "× (wall)"]
    for col in columns:
        table.add_column(col, justify="left" if col == "config" else "right")
    for r in rows:
        if "error" in r:
            table.add_row(str(r["config"]), f"[red]error: {r['error']}[/red]", *[""] * (len(columns) - 2))
            continue
        cells = [str(r.get("method") or r["config"]) + f"\n[dim]{r['config']}[/dim]", _millions(r["params"]),
                 _millions(r["trainable_params"]), _millions(r["frozen_prior_params"]), _num(r["gflops"], ".1f"),
                 _num(r["latency_median_s"], ".3f"), _num(r["latency_iqr_s"], ".3f"),
                 _num(r.get("cpu_median_s"), ".3f"), _num(r["peak_rss_mib"], ".0f"), _num(r["rss_delta_mib"], ".0f")]
        if cuda:
            cells.append(_num(r.get("cuda_peak_mib"), ".0f"))
        if baseline is not None:
            cells += [_num(r.get("cpu_ratio"), ".3f"),
                      f"{_num(r.get('cpu_ratio_min'), '.3f')}–{_num(r.get('cpu_ratio_max'), '.3f')}",
                      _num(r.get("latency_ratio"), ".3f")]
        table.add_row(*cells)
    ratio = (f"× {baseline}: median of the per-round ratios of interleaved forwards (range: min–max); "
             if baseline is not None else "")
    table.caption = (f"median of {first.get('runs', '?')} forward passes after {first.get('warmup', '?')} warm-up "
                     "(the inference model of `llie enhance`, torch.inference_mode; costs do not depend on weight "
                     "values); CPU = process CPU time per forward (steady on a shared machine at 1 thread); "
                     + ratio + "GFLOPs = 2 × multiply-adds of convs/matmuls (FlopCounterMode); "
                     + ("each config in a fresh process, forwards of all configs interleaved"
                        if first.get("fresh_process", True) else "all configs in this process, one after the other"))
    return table


def train_step_table(result: Any) -> Table:
    t = result.timings
    table = Table(title=f"llie bench train-step — {result.config} (batch {result.batch_size}, "
                        f"crop {result.crop[0]}×{result.crop[1]}, {result.options.get('optim_wrapper', '')})")
    for col in ("variant", "median (ms)", "IQR (ms)", "× bare"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    labels = {"runner": "mmengine Runner iteration (hooks included)", "train_step": "model.train_step (no hooks)",
              "bare": "bare torch loop"}
    bare = t["bare"].median
    for name in ("runner", "train_step", "bare"):
        table.add_row(labels[name], f"{t[name].median * 1e3:.2f}", f"{t[name].iqr * 1e3:.2f}",
                      f"{t[name].median / bare:.3f}")
    table.caption = (f"overhead ratio {result.overhead:.3f} (median of {t['bare'].runs} interleaved runs "
                     f"after warm-up, same model, batch and optimiser)")
    return table


def eval_table(result: Any) -> Table:
    table = Table(title=f"llie bench eval — {result.n_images} pairs of {result.size}, protocol {result.protocol}, "
                        f"{result.threads} torch thread(s)")
    for col in ("implementation", "median (s)", "IQR (s)", "ms / image"):
        table.add_column(col, justify="left" if col == "implementation" else "right")
    for label, timing in (("llie.metrics (vectorised torch)", result.ours),
                          ("scikit-image loop", result.skimage)):
        table.add_row(label, f"{timing.median:.3f}", f"{timing.iqr:.3f}",
                      f"{timing.median / result.n_images * 1e3:.1f}")
    table.caption = (f"speed ratio (scikit-image / ours) {result.speedup:.2f}×; max |Δ| PSNR "
                     f"{result.max_abs_diff_psnr:.2e} dB, SSIM {result.max_abs_diff_ssim:.2e}")
    return table


def data_table(result: Any) -> Table:
    table = Table(title=f"llie bench data — {result.config} ({result.workers} workers, batch {result.batch_size})")
    for col in ("stage", "median per batch (ms)", "images/s"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    table.add_row("data loader (decode + crop + augment + collate)", f"{result.batch_times.median * 1e3:.2f}",
                  f"{result.loader_images_per_s:.1f}")
    if result.model_step is not None:
        table.add_row("model training step (Runner iteration)", f"{result.model_step.median * 1e3:.2f}",
                      f"{result.model_images_per_s:.1f}")
    table.caption = f"first batch {result.first_batch_s:.2f} s (start-up); {result.verdict}"
    return table


def cli_table(result: Any) -> Table:
    from .cli_speed import GOAL_RATIO

    table = Table(title=f"llie bench cli — fresh processes, {result.help.runs} interleaved runs each")
    for col in ("process", "median (s)", "IQR (s)", "× import torch"):
        table.add_column(col, justify="left" if col == "process" else "right")
    torch_median = result.torch_import.median
    for label, timing in (("llie --help", result.help), ('python -c "import torch"', result.torch_import),
                          ('python -c "pass" (interpreter start)', result.interpreter)):
        table.add_row(label, f"{timing.median:.3f}", f"{timing.iqr:.3f}", f"{timing.median / torch_median:.3f}")
    verdict = "meets" if result.meets_goal else "MISSES"
    table.caption = f"ratio llie --help / import torch = {result.ratio:.3f} ({verdict} the goal ≤ {GOAL_RATIO})"
    return table
