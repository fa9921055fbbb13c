"""What a configured model costs: parameters (total / trainable / frozen prior), FLOPs of one forward, latency and
peak memory.

Memory is only honest in a fresh process (a process's peak RSS never goes down, and allocators keep freed memory), so
:func:`bench_models` measures each config in its own ``python -m framework.bench.model_worker`` subprocess, which
calls :func:`measure_model` and prints one JSON line. ``peak_rss_mib`` is the process's high-water mark
(``getrusage``), ``rss_delta_mib`` its growth over the baseline taken after imports and plugin loading, i.e. what
building and running the model added; on CUDA ``cuda_peak_mib`` is ``torch.cuda.max_memory_allocated``.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode``: matrix products and convolutions counted as 2 FLOPs
per multiply-add (so GFLOPs = 2 × the GMACs papers often quote); element-wise work is not counted.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..errors import ConfigError
from .timing import time_repeated

RESULT_MARKER = "LLIE_BENCH_RESULT "
MIB = 1024 * 1024


@dataclass(frozen=True)
class ParamCounts:
    total: int
    trainable: int
    frozen_prior: int

    def as_dict(self) -> dict:
        return {"params": self.total, "trainable_params": self.trainable, "frozen_prior_params": self.frozen_prior}


def count_params(model: torch.nn.Module) -> ParamCounts:
    """Parameters of ``model``; ``frozen_prior`` counts the frozen weights of its image and text priors."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen_prior = 0
    seen: set[int] = set()
    for part in ("image_prior", "text_prior"):
        module = getattr(model, part, None)
        if isinstance(module, torch.nn.Module):
            for p in module.parameters():
                if not p.requires_grad and id(p) not in seen:
                    seen.add(id(p))
                    frozen_prior += p.numel()
    return ParamCounts(total, trainable, frozen_prior)


def forward_fn(model: Any) -> Any:
    """The inference call of a model: ``SemanticPriorModel``'s tensor mode, or a plain module call."""
    if hasattr(model, "enhance") and hasattr(model, "data_preprocessor"):
        return lambda x: model(x, mode="tensor")
    return model


def count_flops(model: Any, x: torch.Tensor) -> float:
    """FLOPs of one inference forward of ``model`` on ``x`` (NaN if the counter cannot trace it)."""
    from torch.utils.flop_counter import FlopCounterMode

    fn = forward_fn(model)
    try:
        with torch.inference_mode(), FlopCounterMode(display=False) as counter:
            fn(x)
    except Exception:  # some custom ops have no FLOP formula or refuse the tracing mode
        return float("nan")
    return float(counter.get_total_flops())


def parse_size(text: str) -> tuple[int, int]:
    """``'600x400'`` (width × height, as image sizes are written) -> ``(height, width)``."""
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise ConfigError(f"--size must look like WIDTHxHEIGHT, e.g. 600x400; got {text!r}") from None
    if w < 1 or h < 1:
        raise ConfigError(f"--size must be positive, got {text!r}")
    return h, w


def current_peak_rss_mib() -> float:
    """The process's peak resident set size so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / MIB


def _autocast(device: str, amp: str | None) -> Any:
    if not amp or amp == "off":
        return torch.autocast(device_type=device, enabled=False)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[amp]
    return torch.autocast(device_type=device, dtype=dtype)


def measure_model(config: str, overrides: list[str] = (), size: tuple[int, int] = (400, 600), runs: int = 5,
                  warmup: int = 1, device: str = "cpu", amp: str | None = None, channels_last: bool = False,
                  compile: bool = False, threads: int | None = None, batch: int = 1) -> dict:
    """Every figure of one config's row (run it in a fresh process for the memory figures to mean anything)."""
    from ..config import load_config
    from ..engine.builders import build_model
    from ..engine.perf import apply_channels_last, compile_enhancer
    from ..plugin_door import ensure_plugins_loaded

    if threads:
        torch.set_num_threads(int(threads))
    ensure_plugins_loaded()
    cfg = load_config(config, list(overrides))
    baseline_rss = current_peak_rss_mib()
    model = build_model(cfg).to(device).eval()
    counts = count_params(model)
    if channels_last:
        model = apply_channels_last(model)
    if compile:
        compile_enhancer(model)
    h, w = size
    x = torch.rand(batch, 3, h, w, device=device)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
        sync = torch.cuda.synchronize
    else:
        def sync() -> None:
            return None
    fn = forward_fn(model)

    def forward() -> None:
        with torch.inference_mode(), _autocast(device.split(":")[0], amp):
            fn(x)

    start = time.perf_counter()
    timing = time_repeated(forward, runs=runs, warmup=warmup, sync=sync)
    wall = time.perf_counter() - start
    peak = current_peak_rss_mib()
    cuda_peak = torch.cuda.max_memory_allocated() / MIB if device.startswith("cuda") else None
    flops = count_flops(model, x[:1])
    experiment = cfg.get("experiment") or {}
    return {
        "config": str(config),
        "method": experiment.get("method") or Path(config).stem,
        **counts.as_dict(),
        "gflops": flops / 1e9,
        "size": f"{w}x{h}",
        "batch": batch,
        "device": device,
        "amp": amp or "off",
        "channels_last": channels_last,
        "compile": compile,
        "threads": torch.get_num_threads(),
        "latency_median_s": timing.median,
        "latency_iqr_s": timing.iqr,
        "runs": timing.runs,
        "warmup": warmup,
        "peak_rss_mib": peak,
        "rss_delta_mib": peak - baseline_rss,
        "cuda_peak_mib": cuda_peak,
        "wall_s": wall,
    }


def worker_command(spec: dict) -> list[str]:
    return [sys.executable, "-m", "framework.bench.model_worker", json.dumps(spec)]


def run_worker(spec: dict, timeout: float | None = None) -> dict:
    """Measure one config in a fresh subprocess; a failure becomes a row with an ``error``."""
    env = dict(os.environ)
    if spec.get("threads"):
        env["OMP_NUM_THREADS"] = str(spec["threads"])
    repo_root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo_root), env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(worker_command(spec), capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"config": spec["config"], "error": f"timed out after {timeout} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"config": spec["config"], "error": f"worker exited with status {proc.returncode}: {tail}"}


def bench_models(configs: list[str], *, overrides: list[str] = (), size: tuple[int, int] = (400, 600),
                 runs: int = 5, warmup: int = 1, device: str = "cpu", amp: str | None = None,
                 channels_last: bool = False, compile: bool = False, threads: int | None = None, batch: int = 1,
                 in_process: bool = False) -> list[dict]:
    """One row per config. ``in_process`` skips the subprocess (faster, but memory figures then accumulate)."""
    rows = []
    for config in configs:
        spec = dict(config=str(Path(config).resolve()), overrides=list(overrides), size=list(size), runs=runs,
                    warmup=warmup, device=device, amp=amp, channels_last=channels_last, compile=compile,
                    threads=threads, batch=batch)
        if in_process:
            row = measure_model(**{**spec, "size": tuple(size)})
        else:
            row = run_worker(spec)
        row["config"] = str(config)
        rows.append(row)
    return rows
