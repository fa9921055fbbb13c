"""What a ``prior_cache`` setting means for results: its options, their defaults, and whether they change what the
model sees.

The defaults (``mode: exact``, ``dtype: float32``) serve every input to the enhancer exactly as the prior computes it:
training crops are computed per crop, whole images are stored without rounding. A run with them is the same
experiment as a run without the cache, so they share a sweep cell. The other settings trade fidelity for speed and
are opt-in:

* ``mode: window`` cuts training crops out of cached full-image features; away from the crop's border and at a
  stride-aligned offset they are close to the per-crop features, but at an arbitrary offset they differ by 50–70 %
  in relative L2 (:mod:`llie.cache.windows`);
* ``dtype: float16`` rounds stored features (relative error ≤ 2⁻¹¹).

Such a setting is part of a cell's identity (:func:`identity`, used by the sweep's cell ids) and is recorded on every
result row as ``prior_cache_mode`` (:func:`fidelity_label`), so a report can say which features a number was trained
and evaluated on. Kept free of torch so the sweep planner can import it cheaply.
"""
from __future__ import annotations

from typing import Any

from ..errors import ConfigError

CONFIG_KEY = "prior_cache"
OPTIONS = ("root", "max_gb", "mode", "dtype", "memory_mb", "precompute_batch")
MODES = ("exact", "window")
DTYPES = ("float32", "float16")
DEFAULT_MODE, DEFAULT_DTYPE = MODES[0], DTYPES[0]
#: :func:`fidelity_label` of a run without the cache
OFF = "off"


def enabled(value: Any) -> bool:
    """Whether a ``prior_cache`` config value switches the cache on (a mapping or ``true``; null/false/absent: off)."""
    return value is True or isinstance(value, dict)


def result_settings(value: Any) -> dict[str, str] | None:
    """``{'mode', 'dtype'}`` of an enabled cache with the defaults filled in; None when the cache is off.

    An unknown mode or dtype is a ConfigError naming the key.
    """
    if not enabled(value):
        return None
    options = value if isinstance(value, dict) else {}
    mode, dtype = options.get("mode", DEFAULT_MODE), options.get("dtype", DEFAULT_DTYPE)
    if mode not in MODES:
        raise ConfigError(f"{CONFIG_KEY}.mode: unknown mode '{mode}'; use one of {list(MODES)}")
    if dtype not in DTYPES:
        raise ConfigError(f"{CONFIG_KEY}.dtype: unknown dtype '{dtype}'; use one of {list(DTYPES)}")
    return {"mode": mode, "dtype": dtype}


def identity(value: Any) -> dict[str, str] | None:
    """The settings that can change results (part of a cell's identity), or None when a run with ``value`` sees the
    same features as a run without the cache."""
    settings = result_settings(value)
    if settings is None or settings == {"mode": DEFAULT_MODE, "dtype": DEFAULT_DTYPE}:
        return None
    return settings


def fidelity_label(value: Any) -> str:
    """``off``, ``exact`` or ``window``, with ``+float16`` when stored features are rounded: the results-table value."""
    settings = result_settings(value)
    if settings is None:
        return OFF
    return settings["mode"] + ("" if settings["dtype"] == DEFAULT_DTYPE else f"+{settings['dtype']}")
