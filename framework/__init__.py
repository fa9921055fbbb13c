"""Low-light image enhancement guided by semantic priors: a registry-driven core with a pluggy plugin door."""
from .hookspecs import hookimpl
from .registry import REGISTRIES, build

__all__ = ["hookimpl", "REGISTRIES", "build"]
__version__ = "0.1.0"
