"""Experiment tracking: the ``vis_backends`` a config may name, checked before any work, and the visualiser the
training Runner gets from them.

mmengine's ``LoggerHook`` hands every logged scalar — the loss terms (``loss``, ``loss_<name>``), the learning rate
and the validation metrics (``psnr``, ``ssim``) — to the Runner's visualiser, whose backends write them out.
``LocalVisBackend`` (JSON under ``<work_dir>/<timestamp>/vis_data``) is the default; the others are mmengine's own,
by the same names, and need their package::

    vis_backends:
      - {type: LocalVisBackend}
      - {type: TensorboardVisBackend}                       # pip install 'llie[tb]'
      - {type: WandbVisBackend, init_kwargs: {project: llie}}  # pip install wandb
      - {type: MLflowVisBackend, exp_name: llie}            # pip install mlflow

A bare name (``vis_backends: [TensorboardVisBackend]``) is short for ``{type: Name}``. Tracking is not part of a sweep
cell's identity: adding TensorBoard to a finished sweep reruns nothing.
"""
from __future__ import annotations

import importlib.util
import inspect
from typing import Any

from ..errors import ConfigError, did_you_mean

#: backend type → (the module it imports, how to install it); None: nothing beyond mmengine
BACKENDS: dict[str, tuple[str | None, str]] = {
    "LocalVisBackend": (None, ""),
    "TensorboardVisBackend": ("tensorboard", "pip install 'llie[tb]'"),
    "WandbVisBackend": ("wandb", "pip install wandb"),
    "MLflowVisBackend": ("mlflow", "pip install mlflow"),
    "ClearMLVisBackend": ("clearml", "pip install clearml"),
    "NeptuneVisBackend": ("neptune", "pip install neptune"),
    "DVCLiveVisBackend": ("dvclive", "pip install dvclive pygit2"),
    "AimVisBackend": ("aim", "pip install aim"),
}
DEFAULT_BACKENDS: list[dict[str, Any]] = [{"type": "LocalVisBackend"}]


def normalise_backends(value: Any, source: str = "<config>") -> list[dict[str, Any]]:
    """``vis_backends`` as a list of ``{type: Name, **kwargs}``; a one-line :class:`ConfigError` for a malformed entry
    or an unknown backend type."""
    if value is None:
        return [dict(b) for b in DEFAULT_BACKENDS]
    if not isinstance(value, list):
        raise ConfigError(f"{source}: key 'vis_backends' must be a list of backends, e.g. "
                          f"[{{type: LocalVisBackend}}, {{type: TensorboardVisBackend}}]; got {type(value).__name__}")
    backends = []
    for i, entry in enumerate(value):
        entry = {"type": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise ConfigError(f"{source}: vis_backends[{i}] must be a backend name or a mapping with a 'type', "
                              f"got {entry!r}")
        name = entry["type"]
        if name not in BACKENDS:
            raise ConfigError(f"{source}: vis_backends[{i}]: unknown backend type '{name}'"
                              f"{did_you_mean(name, BACKENDS)}; known: {', '.join(BACKENDS)}")
        backends.append(dict(entry))
    return backends


def check_installed(backends: list[dict[str, Any]], source: str = "<config>") -> None:
    """A one-line :class:`ConfigError` naming the package to install for the first backend whose package is
    missing — before training starts, not at its first logged scalar."""
    for i, entry in enumerate(backends):
        module, hint = BACKENDS[entry["type"]]
        if module is not None and importlib.util.find_spec(module) is None:
            raise ConfigError(f"{source}: vis_backends[{i}] {entry['type']} needs the '{module}' package, which is "
                              f"not installed: {hint} (or remove it from vis_backends)")


def _check_arguments(backends: list[dict[str, Any]], source: str) -> None:
    import mmengine.visualization  # noqa: F401 — registers the backends in VISBACKENDS
    from mmengine.registry import VISBACKENDS

    for i, entry in enumerate(backends):
        params = inspect.signature(VISBACKENDS.get(entry["type"])).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            continue
        unknown = [k for k in entry if k != "type" and k not in params]
        if unknown:
            raise ConfigError(f"{source}: vis_backends[{i}] {entry['type']}: unknown argument '{unknown[0]}'"
                              f"{did_you_mean(unknown[0], params)}; it takes: {', '.join(params)}")


def visualizer_cfg(cfg: Any) -> dict[str, Any]:
    """The ``visualizer`` dict for mmengine's Runner (its name and save_dir are set by the Runner)."""
    source = str(getattr(cfg, "filename", None) or "<config>")
    backends = normalise_backends(cfg.get("vis_backends"), source)
    check_installed(backends, source)
    _check_arguments(backends, source)
    return {"type": "Visualizer", "vis_backends": backends}
