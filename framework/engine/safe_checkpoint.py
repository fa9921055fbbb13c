"""Make mmengine checkpoints loadable with torch's weights-only unpickler.

mmengine 0.10.7 stores its ``MessageHub`` state (``HistoryBuffer`` objects holding numpy arrays) and sometimes numpy
scalars in checkpoints; unpickling those needs arbitrary globals, which weights-only loading rightly refuses. Rather
than weakening the loader, :class:`WeightsOnlySafeCheckpointHook` rewrites that state into tensors and plain types
just before saving and rebuilds it right after loading (mmengine calls ``after_load_checkpoint`` before it restores
the message hub).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer


_HISTORY = "__llie_history_buffer__"
_NDARRAY = "__llie_ndarray__"


def to_weights_only_safe(obj: Any) -> Any:
    """Recursively replace HistoryBuffers, numpy arrays and numpy scalars by tensors / Python scalars."""
    if isinstance(obj, HistoryBuffer):
        logs, counts = obj.data
        return {_HISTORY: True, "log": torch.as_tensor(np.asarray(logs, dtype=np.float64)),
                "count": torch.as_tensor(np.asarray(counts, dtype=np.float64)), "max_length": int(obj.max_length)}
    if isinstance(obj, np.ndarray):
        return {_NDARRAY: True, "data": torch.from_numpy(np.ascontiguousarray(obj)), "dtype": str(obj.dtype)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return type(obj)((k, to_weights_only_safe(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_weights_only_safe(v) for v in obj)
    return obj


def from_weights_only_safe(obj: Any) -> Any:
    """Inverse of :func:`to_weights_only_safe`."""
    if isinstance(obj, dict):
        if obj.get(_HISTORY) is True:
            return HistoryBuffer(obj["log"].numpy().tolist(), obj["count"].numpy().tolist(), obj["max_length"])
        if obj.get(_NDARRAY) is True:
            return obj["data"].numpy().astype(obj["dtype"], copy=False)
        return type(obj)((k, from_weights_only_safe(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(from_weights_only_safe(v) for v in obj)
    return obj


class WeightsOnlySafeCheckpointHook(Hook):
    """Rewrite the non-tensor parts of every checkpoint mmengine saves, and restore them on load."""

    priority = "VERY_LOW"  # run after any hook that adds state to the checkpoint

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        for key in list(checkpoint):
            if key != "state_dict":
                checkpoint[key] = to_weights_only_safe(checkpoint[key])

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        for key in list(checkpoint):
            if key != "state_dict":
                checkpoint[key] = from_weights_only_safe(checkpoint[key])
