"""What a configured model costs: parameters (total / trainable / frozen prior), FLOPs of one forward, latency and
peak memory.

Memory is only honest in a fresh process (a process's peak RSS never goes down, and allocators keep freed memory), so
:func:`bench_models` measures each config in its own ``python -m llie.bench.model_worker`` subprocess, which
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
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..errors import ConfigError
from .timing import summarize, time_once

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


def pretrained_keys(section: Any, prefix: str = "model") -> list[str]:
    """Dotted paths of every ``pretrained`` key under ``section`` (a plain model config)."""
    keys = []
    if isinstance(section, dict):
        for key, value in section.items():
            if key == "pretrained":
                keys.append(f"{prefix}.pretrained")
            else:
                keys.extend(pretrained_keys(value, f"{prefix}.{key}"))
    elif isinstance(section, list):
        for i, value in enumerate(section):
            keys.extend(pretrained_keys(value, f"{prefix}.{i}"))
    return keys


def load_bench_config(config: str, overrides: list[str] = (), random_init: bool = False) -> Any:
    """The config with ``overrides``; ``random_init`` sets every ``pretrained`` path under ``model`` to null."""
    from ..config import load_config, to_plain

    cfg = load_config(config, list(overrides))
    if random_init:
        nulls = [f"{key}=null" for key in pretrained_keys(to_plain(cfg.get("model") or {}))]
        if nulls:
            cfg = load_config(config, list(overrides) + nulls)
    return cfg


class ModelBench:
    """One config's model, built for inference and warmed up, ready to time forwards one at a time and then report
    its row.

    The model is what ``llie enhance`` runs (:func:`llie.engine.inference.build_inference_model`): no text prior, no
    losses, prior outputs nobody reads skipped, ``model.prior_precision`` applied, ``memory_format`` (default
    ``auto``: channels-last on CPU) and ``precision`` (autocast of the whole forward). Each forward is timed in wall
    time and in process CPU time: with one thread, CPU time is the compute itself and barely moves when other
    processes share the cores, so it is the steadier figure on a busy machine.

    Split in steps so that several configs, each in its own process, can be timed in alternation
    (:func:`bench_models`): on a shared machine, sequential runs see different loads.
    """

    def __init__(self, config: str, overrides: list[str] = (), size: tuple[int, int] = (400, 600), warmup: int = 1,
                 device: str = "cpu", amp: str | None = None, memory_format: str = "auto", compile: bool = False,
                 threads: int | None = None, batch: int = 1, random_init: bool = False) -> None:
        from ..engine.inference import build_inference_model
        from ..plugin_door import ensure_plugins_loaded

        if threads:
            torch.set_num_threads(int(threads))
        ensure_plugins_loaded()
        self.config, self.device, self.warmup = str(config), device, warmup
        self.cfg = load_bench_config(config, overrides, random_init)
        self.baseline_rss = current_peak_rss_mib()
        self.runner = build_inference_model(self.cfg, device=device, precision=amp or "fp32",
                                            memory_format=memory_format, compile=compile)
        self.model = self.runner.model
        self.counts = count_params(self.model)
        self.settings = {"batch": batch, "device": device, "amp": amp or "off", **self.runner.settings,
                         "channels_last": self.runner.settings["memory_format"] == "channels_last",
                         "compile": compile, "random_init": random_init}
        h, w = size
        self.size = f"{w}x{h}"
        self.x = torch.rand(batch, 3, h, w, device=device)
        self.cuda = device.startswith("cuda")
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
        self.wall_samples: list[float] = []
        self.cpu_samples: list[float] = []
        for _ in range(max(0, warmup)):
            self.forward()

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def forward(self) -> None:
        self.runner(self.x)

    def time_forward(self) -> float:
        """Time one forward; returns its wall time (its CPU time is kept for :meth:`row`)."""
        cpu_start = time.process_time()
        wall = time_once(self.forward, self.sync)
        self.wall_samples.append(wall)
        self.cpu_samples.append(time.process_time() - cpu_start)
        return wall

    def row(self) -> dict:
        """The config's figures over the timed forwards so far; FLOPs are counted last (one more forward)."""
        if not self.wall_samples:
            self.time_forward()
        timing, cpu = summarize(self.wall_samples), summarize(self.cpu_samples)
        peak = current_peak_rss_mib()
        cuda_peak = torch.cuda.max_memory_allocated() / MIB if self.cuda else None
        with self.runner.context():
            flops = count_flops(self.model, self.x[:1].contiguous(memory_format=self.runner.memory_format))
        experiment = self.cfg.get("experiment") or {}
        return {
            "config": self.config,
            "method": experiment.get("method") or Path(self.config).stem,
            **self.counts.as_dict(),
            "gflops": flops / 1e9,
            "size": self.size,
            **self.settings,
            "threads": torch.get_num_threads(),
            "latency_median_s": timing.median,
            "latency_iqr_s": timing.iqr,
            "cpu_median_s": cpu.median,
            "cpu_iqr_s": cpu.iqr,
            "latency_samples_s": list(self.wall_samples),
            "cpu_samples_s": list(self.cpu_samples),
            "runs": timing.runs,
            "warmup": self.warmup,
            "peak_rss_mib": peak,
            "rss_delta_mib": peak - self.baseline_rss,
            "cuda_peak_mib": cuda_peak,
        }


def measure_model(config: str, overrides: list[str] = (), size: tuple[int, int] = (400, 600), runs: int = 5,
                  warmup: int = 1, **options: Any) -> dict:
    """Every figure of one config's row (run it in a fresh process for the memory figures to mean anything)."""
    bench = ModelBench(config, overrides, size, warmup, **options)
    for _ in range(runs):
        bench.time_forward()
    return bench.row()


def _worker_env(threads: int | None) -> dict:
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    repo_root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo_root), env.get("PYTHONPATH")]))
    return env


class _Worker:
    """A ``python -m llie.bench.model_worker`` process answering one line per command."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "llie.bench.model_worker", json.dumps(spec)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     env=_worker_env(spec.get("threads")))
        self.error: str | None = None

    def _reply(self) -> str:
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                self.stderr.seek(0)
                tail = (self.stderr.read().strip().splitlines() or ["(no output)"])[-1]
                raise RuntimeError(f"worker exited with status {self.proc.returncode}: {tail}")
            if line.startswith(RESULT_MARKER) or line.startswith(("READY", "TIME ")):
                return line.rstrip("\n")

    def ask(self, command: str | None = None) -> str:
        """Send ``command`` (if any) and return the worker's answer; a row with an error ends the worker."""
        if self.error is not None:
            raise RuntimeError(self.error)
        try:
            if command is not None:
                self.proc.stdin.write(command + "\n")
                self.proc.stdin.flush()
            answer = self._reply()
        except (RuntimeError, BrokenPipeError, OSError) as exc:
            self.error = str(exc)
            raise RuntimeError(self.error) from None
        if answer.startswith(RESULT_MARKER) and command != "done":  # e.g. a config error while building
            self.error = json.loads(answer[len(RESULT_MARKER):]).get("error", "worker stopped")
            raise RuntimeError(self.error)
        return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def run_workers(specs: list[dict], runs: int) -> list[dict]:
    """Measure each spec in its own fresh process, timing one forward at a time in alternating order.

    Only one worker computes at any moment, so the configs do not slow each other down, and each timed round sees
    the same background load; a failing config becomes a row with an ``error`` and the others carry on.
    """
    workers = [_Worker(spec) for spec in specs]
    try:
        for w in workers:  # building + warm-up
            try:
                w.ask()
            except RuntimeError:
                pass
        for r in range(runs):
            for w in (workers if r % 2 == 0 else workers[::-1]):
                if w.error is None:
                    try:
                        w.ask("time")
                    except RuntimeError:
                        pass
        rows = []
        for w in workers:
            if w.error is None:
                try:
                    answer = w.ask("done")
                    rows.append(json.loads(answer[len(RESULT_MARKER):]))
                    continue
                except RuntimeError:
                    pass
            rows.append({"config": w.spec["config"], "error": w.error})
        return rows
    finally:
        for w in workers:
            w.close()


def bench_models(configs: list[str], *, overrides: list[str] = (), size: tuple[int, int] = (400, 600),
                 runs: int = 5, warmup: int = 1, device: str = "cpu", amp: str | None = None,
                 memory_format: str = "auto", compile: bool = False, threads: int | None = None, batch: int = 1,
                 random_init: bool = False, in_process: bool = False) -> list[dict]:
    """One row per config, each measured in a fresh process with the forwards of all configs interleaved.

    ``in_process`` measures here instead, one config after the other (faster to start, but memory figures then
    accumulate and load drifts are not cancelled).
    """
    specs = [dict(config=str(Path(c).resolve()), overrides=list(overrides), size=list(size), warmup=warmup,
                  device=device, amp=amp, memory_format=memory_format, compile=compile, threads=threads,
                  batch=batch, random_init=random_init) for c in configs]
    if in_process:
        rows = [measure_model(runs=runs, **{**spec, "size": tuple(size)}) for spec in specs]
    else:
        rows = run_workers(specs, runs)
    for row, config in zip(rows, configs):
        row["config"] = str(config)
        row["fresh_process"] = not in_process
    return rows


def _matches(row: dict, name: str) -> bool:
    key = name.lower()
    config = str(row.get("config", ""))
    return key in {str(row.get("method", "")).lower(), Path(config).stem.lower(), config.lower()}


def check_baseline(configs: list[str], baseline: str, overrides: list[str] = ()) -> None:
    """Fail before measuring when ``baseline`` names none of ``configs`` (by method, file stem or path)."""
    rows = []
    for config in configs:
        experiment = load_bench_config(config, overrides).get("experiment") or {}
        rows.append({"config": str(config), "method": experiment.get("method") or Path(config).stem})
    if not any(_matches(r, baseline) for r in rows):
        raise ConfigError(f"--baseline {baseline!r} names none of the configs; use one of "
                          f"{[r['method'] for r in rows]}")


def add_ratios(rows: list[dict], baseline: str) -> dict:
    """Latency of every row relative to the row named ``baseline`` (its method, config stem or config path).

    The forwards were interleaved, so round *r* of every config ran under about the same load: the ratio is the
    median of the per-round ratios (``cpu_ratio`` from CPU times, ``latency_ratio`` from wall times), and
    ``cpu_ratio_min`` / ``cpu_ratio_max`` give their spread. Returns the baseline row.
    """
    found = [r for r in rows if "error" not in r and _matches(r, baseline)]
    if not found:
        names = [str(r.get("method") or Path(str(r.get("config"))).stem) for r in rows if "error" not in r]
        raise ConfigError(f"--baseline {baseline!r} names no measured row; use one of {names}")
    base = found[0]
    for row in rows:
        if "error" in row:
            continue
        row["baseline"] = base.get("method") or base["config"]
        for kind in ("cpu", "latency"):
            pairs = list(zip(row[f"{kind}_samples_s"], base[f"{kind}_samples_s"]))
            ratios = sorted(a / b for a, b in pairs if b > 0) or [float("nan")]
            row[f"{kind}_ratio"] = summarize(ratios).median
            if kind == "cpu":
                row["cpu_ratio_min"], row["cpu_ratio_max"] = ratios[0], ratios[-1]
    return base
