"""llie — low-light image enhancement guided by semantic priors: a registry-driven core with a pluggy plugin door.

Public API for plugins: ``from llie import hookimpl``, ``from llie.interfaces import ImagePrior, PriorFeatures, …``,
``llie.registry``. Importing ``llie`` itself is cheap (``hookimpl`` needs only pluggy); ``REGISTRIES`` and ``build``
load mmengine on first use, so ``llie --help`` stays fast.
"""
from __future__ import annotations

from typing import Any

from .hookspecs import hookimpl

__all__ = ["hookimpl", "REGISTRIES", "build"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in ("REGISTRIES", "build"):
        from . import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'llie' has no attribute {name!r}")
