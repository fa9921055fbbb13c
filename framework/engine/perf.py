"""Training performance options (all off by default): mixed precision, channels_last, ``torch.compile`` of the
enhancer, gradient accumulation, and frozen priors run in reduced precision without autograd bookkeeping.

Config keys (``train.*``) and what they do:

- ``amp``: ``false`` (default) | ``true`` | ``'bf16'`` | ``'fp16'``. Forward and loss run under ``torch.autocast``.
  On CUDA, mmengine's ``AmpOptimWrapper`` (with a loss scaler, which fp16 needs); on CPU only bf16 exists (mmengine's
  AmpOptimWrapper refuses CPUs), so :class:`AutocastOptimWrapper` adds bf16 autocast to the plain wrapper — bf16 keeps
  fp32's exponent range, so no loss scaling is needed. ``true`` means bf16 where the device supports it, else fp16.
- ``channels_last``: convert the model's 4-D weights to NHWC; convolution outputs follow, which is faster on recent
  GPUs (tensor cores) and with oneDNN on CPU for some layers.
- ``compile``: ``torch.compile`` of ``model.enhancer`` only, in place (``nn.Module.compile``), so checkpoint keys do
  not change; priors and losses stay eager. The first iterations pay the compilation.
- ``accumulate_grad``: mmengine's ``accumulative_counts`` — step the optimiser every k iterations with the loss
  divided by k (an effective batch k× larger at the same memory).
- With ``amp`` on, a frozen image prior computing features of the training input runs under
  ``torch.inference_mode`` and autocast in the reduced dtype (:class:`ReducedPrecisionPriorHook`); its features are
  handed back as ordinary float32 tensors. Only that path: a semantic loss that needs gradients through the prior
  on the output is untouched, and validation keeps full precision.

DataLoader workers, pinned memory and persistent workers are ``data.num_workers`` / ``data.pin_memory`` /
``data.persistent_workers`` (see :func:`llie.engine.builders.train_loader_cfg`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper
from torch import Tensor

from ..errors import ConfigError
from ..interfaces import PriorFeatures
from .precision import (PRECISIONS, default_device_type, detach_features, frozen_prior_context,  # noqa: F401
                        lower_precision_weights)

AMP_DTYPES: dict[str, torch.dtype] = {"bf16": torch.bfloat16, "fp16": torch.float16}
DEFAULT_OPTIMIZER = {"type": "AdamW", "lr": 2e-4, "betas": (0.9, 0.999), "weight_decay": 0.0}

PriorFeatureFn = Callable[[Any, Tensor, "list[str] | None"], PriorFeatures]


def amp_dtype(train_cfg: dict, device_type: str | None = None) -> torch.dtype | None:
    """The autocast dtype ``train.amp`` asks for on ``device_type`` (None: AMP off).

    Raises :class:`ConfigError` for unknown values and for fp16 on CPU (mmengine's CPU autocast is bf16-only).
    """
    device_type = device_type or default_device_type()
    value = train_cfg.get("amp", False)
    if value is None or value is False:
        return None
    if value is True:
        if device_type == "cuda" and not torch.cuda.is_bf16_supported():
            return torch.float16
        return torch.bfloat16
    key = str(value).lower()
    if key not in AMP_DTYPES:
        raise ConfigError(f"train.amp: unknown value {value!r}; use false, true, 'bf16' or 'fp16'")
    if device_type == "cpu" and key == "fp16":
        raise ConfigError("train.amp: 'fp16' needs a CUDA GPU; on CPU use train.amp=bf16")
    return AMP_DTYPES[key]


class AutocastOptimWrapper(OptimWrapper):
    """mmengine's plain ``OptimWrapper`` plus ``torch.autocast`` around forward and loss (no loss scaler).

    For bf16 on any device, including CPU where mmengine's ``AmpOptimWrapper`` cannot be built.
    """

    def __init__(self, dtype: torch.dtype | str = torch.bfloat16, device_type: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        self.device_type = device_type or default_device_type()

    @contextmanager
    def optim_context(self, model: torch.nn.Module) -> Iterator[None]:
        with super().optim_context(model), torch.autocast(device_type=self.device_type, dtype=self.cast_dtype):
            yield


def optim_wrapper_cfg(train_cfg: dict, device_type: str | None = None) -> dict:
    """The Runner's ``optim_wrapper`` for ``train_cfg``: optimiser, gradient clipping, accumulation and AMP."""
    device_type = device_type or default_device_type()
    cfg: dict[str, Any] = {"type": "OptimWrapper", "optimizer": dict(train_cfg.get("optimizer") or DEFAULT_OPTIMIZER)}
    if train_cfg.get("grad_clip"):
        cfg["clip_grad"] = dict(train_cfg["grad_clip"])
    counts = int(train_cfg.get("accumulate_grad", 1))
    if counts < 1:
        raise ConfigError(f"train.accumulate_grad must be at least 1, got {counts}")
    if counts > 1:
        cfg["accumulative_counts"] = counts
    dtype = amp_dtype(train_cfg, device_type)
    if dtype is not None:
        if device_type == "cuda":
            cfg.update(type="AmpOptimWrapper", dtype=str(dtype).removeprefix("torch."))
        else:
            cfg.update(type=AutocastOptimWrapper, dtype=dtype, device_type=device_type)
    return cfg


# ---- frozen priors in reduced precision -----------------------------------------------------------------------
def reduced_precision_prior_fn(dtype: torch.dtype | None, device_type: str | None = None,
                               inner: PriorFeatureFn | None = None,
                               active: Callable[[], bool] | None = None) -> PriorFeatureFn:
    """A ``SemanticPriorModel.prior_feature_fn`` running a frozen prior (or ``inner``, e.g. a feature cache) under
    :func:`frozen_prior_context`, while ``active()`` says so (e.g. only while the model trains). A prior with
    trainable weights, or an inactive call, runs as the model would run it without this function."""

    def run(prior: Any, low: Tensor, names: list[str] | None) -> PriorFeatures:
        if not getattr(prior, "frozen", False) or (active is not None and not active()):
            if inner is not None:
                return inner(prior, low, names)
            if getattr(prior, "frozen", False):
                with torch.no_grad():
                    return prior(low)
            return prior(low)
        with frozen_prior_context(dtype, device_type or low.device.type):
            features = inner(prior, low, names) if inner is not None else prior(low)
        return detach_features(features)

    run.reduced_precision = True  # type: ignore[attr-defined]
    run.inner = inner  # type: ignore[attr-defined]
    return run


def install_reduced_precision_prior(model: Any, dtype: torch.dtype | None, device_type: str | None = None,
                                    training_only: bool = True) -> bool:
    """Route ``model``'s frozen image prior through :func:`reduced_precision_prior_fn` (only while the model trains,
    unless ``training_only`` is False), keeping any feature function already installed (a cache) inside. Returns
    whether anything was installed."""
    if getattr(model, "image_prior", None) is None or not hasattr(model, "prior_feature_fn"):
        return False
    current = model.prior_feature_fn
    if getattr(current, "reduced_precision", False):
        return False
    active = (lambda: bool(model.training)) if training_only else None
    model.prior_feature_fn = reduced_precision_prior_fn(dtype, device_type, inner=current, active=active)
    return True


def uninstall_reduced_precision_prior(model: Any) -> bool:
    """Undo :func:`install_reduced_precision_prior`, putting back the function it wrapped."""
    current = getattr(model, "prior_feature_fn", None)
    if not getattr(current, "reduced_precision", False):
        return False
    model.prior_feature_fn = current.inner
    return True


class ReducedPrecisionPriorHook(Hook):
    """Installs the reduced-precision frozen prior for a training run and removes it afterwards.

    A hook rather than a one-off call because the prior-feature cache's hook (priority VERY_HIGH) attaches its own
    ``prior_feature_fn`` in ``before_train``; running later (LOW), this hook wraps whatever is attached then, and
    unwraps in ``after_train``, before the cache detaches in ``after_run``. Validation keeps full precision.
    """

    priority = "LOW"

    def __init__(self, dtype: torch.dtype, device_type: str | None = None) -> None:
        self.dtype, self.device_type = dtype, device_type
        self.installed = False

    def before_train(self, runner: Any) -> None:
        model = getattr(runner.model, "module", runner.model)
        self.installed = install_reduced_precision_prior(model, self.dtype, self.device_type)

    def after_train(self, runner: Any) -> None:
        if self.installed:
            uninstall_reduced_precision_prior(getattr(runner.model, "module", runner.model))
            self.installed = False


def performance_hooks(train_cfg: dict, device_type: str | None = None) -> list[Hook]:
    """The hooks the training Runner needs for ``train_cfg``'s options (the reduced-precision prior with AMP)."""
    dtype = amp_dtype(train_cfg, device_type)
    return [ReducedPrecisionPriorHook(dtype, device_type)] if dtype is not None else []


# ---- model-side options --------------------------------------------------------------------------------------
def apply_channels_last(model: torch.nn.Module) -> torch.nn.Module:
    return model.to(memory_format=torch.channels_last)


def compile_enhancer(model: Any, **compile_kwargs: Any) -> Any:
    """``torch.compile`` the enhancer in place (state-dict keys unchanged); ``compile_kwargs`` go to torch.compile."""
    enhancer = getattr(model, "enhancer", None)
    if enhancer is None:
        raise ConfigError("train.compile: the model has no 'enhancer' to compile")
    enhancer.compile(**compile_kwargs)
    return model


def apply_model_options(model: Any, train_cfg: dict, device_type: str | None = None,
                        compile_kwargs: dict | None = None) -> Any:
    """Apply ``train.channels_last`` and ``train.compile`` to ``model``; returns the model.

    Call it after the model is built and moved to its device, before the Runner is built. The AMP parts go to the
    Runner: :func:`optim_wrapper_cfg` and :func:`performance_hooks`.
    """
    if train_cfg.get("channels_last", False):
        model = apply_channels_last(model)
    if train_cfg.get("compile", False):
        model = compile_enhancer(model, **(compile_kwargs or {}))
    return model


def enabled_options(train_cfg: dict, data_cfg: dict | None = None) -> dict[str, Any]:
    """The performance options a config turns on, for logs and benchmark tables."""
    data_cfg = data_cfg or {}
    out = {"amp": train_cfg.get("amp", False) or False, "channels_last": bool(train_cfg.get("channels_last", False)),
           "compile": bool(train_cfg.get("compile", False)),
           "accumulate_grad": int(train_cfg.get("accumulate_grad", 1)),
           "num_workers": int(data_cfg.get("num_workers", 0)), "pin_memory": bool(data_cfg.get("pin_memory", False)),
           "persistent_workers": bool(data_cfg.get("persistent_workers", False))}
    return out
