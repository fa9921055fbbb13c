"""Discovery of plugins through the entry-point group ``llie.plugins`` and registration through pluggy.

Each entry point is loaded on its own: one that fails to import (or whose hook raises) is named in a warning and the
others still load; if a config later asks for a name nobody registered, the error mentions the failed plugins.
Which plugin registered which component is recorded for ``llie plugins``.
"""
from __future__ import annotations

import importlib.metadata as md
import logging
import traceback
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import pluggy

from . import hookspecs
from .registry import REGISTRIES

ENTRY_POINT_GROUP = "llie.plugins"
log = logging.getLogger(__name__)


class Registries(SimpleNamespace):
    """What ``llie_register`` receives: one attribute per registry kind (``registries.enhancers`` …)."""


@dataclass
class PluginState:
    manager: pluggy.PluginManager
    loaded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # plugin name -> one-line reason
    provider: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, component) -> plugin name


_state: PluginState | None = None


def _snapshot() -> set[tuple[str, str]]:
    return {(kind, name) for kind, reg in REGISTRIES.items() for name in reg.module_dict}


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")


def _register_entry_point(state: PluginState, ep: md.EntryPoint, registries: Registries) -> None:
    try:
        plugin = ep.load()
    except Exception as exc:  # a broken plugin must not take the others down
        state.failed[ep.name] = f"import of '{ep.value}' failed: {_one_line(exc)}"
        log.debug("plugin %s failed:\n%s", ep.name, traceback.format_exc())
        return
    if state.manager.is_registered(plugin) or state.manager.has_plugin(ep.name):
        return
    state.manager.register(plugin, name=ep.name)
    before = _snapshot()
    others = [p for p in state.manager.get_plugins() if p is not plugin]
    try:
        state.manager.subset_hook_caller("llie_register", remove_plugins=others)(registries=registries)
    except Exception as exc:
        state.failed[ep.name] = f"llie_register raised {_one_line(exc)}"
        state.manager.unregister(plugin)
        for kind, name in _snapshot() - before:  # leave nothing half-registered
            REGISTRIES[kind].module_dict.pop(name, None)
        return
    for key in _snapshot() - before:
        state.provider[key] = ep.name
    state.loaded.append(ep.name)


def load_plugins(reload: bool = False) -> PluginState:
    """Load every ``llie.plugins`` entry point once (``reload=True`` clears the registries and starts over)."""
    global _state
    if _state is not None and not reload:
        return _state
    if reload:
        for reg in REGISTRIES.values():
            reg.module_dict.clear()
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    state = PluginState(manager)
    _state = state  # set first: a plugin importing framework code must not trigger a second load
    registries = Registries(**REGISTRIES)
    entry_points = sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    seen: set[str] = set()
    for ep in entry_points:
        if ep.name in seen:  # the same distribution visible twice on sys.path
            continue
        seen.add(ep.name)
        _register_entry_point(state, ep, registries)
    for name, reason in state.failed.items():
        warnings.warn(f"llie plugin '{name}' was not loaded ({reason}); the other plugins are available",
                      RuntimeWarning, stacklevel=2)
    return state


def ensure_plugins_loaded() -> PluginState:
    return load_plugins(reload=False)


def failed_plugins_hint() -> str:
    """Suffix for 'unknown component' errors: the plugins that failed and might have provided it."""
    if _state is None or not _state.failed:
        return ""
    parts = [f"'{n}' ({r})" for n, r in sorted(_state.failed.items())]
    return "; these plugins failed to load and may provide it: " + "; ".join(parts)


def provider_of(kind: str, name: str) -> str:
    """The plugin that registered component ``name`` of ``kind`` ('?' when registered by hand)."""
    return ensure_plugins_loaded().provider.get((kind, name), "?")
