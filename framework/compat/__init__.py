"""Shims that let third-party packages import in the environment this project pins (see each module)."""
from .mmcv_ops import ensure_mmcv_ops

__all__ = ["ensure_mmcv_ops"]
