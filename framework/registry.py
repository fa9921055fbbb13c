"""The catalogue: one mmengine ``Registry`` per component kind, all in scope ``llie``.

Components enter only through plugins (see :mod:`llie.plugin_door`); the framework itself registers nothing,
so a built-in component and a third party's are found the same way.

>>> from llie.registry import REGISTRIES
>>> sorted(REGISTRIES)[:3]
['datasets', 'decomposers', 'enhancers']
"""
from __future__ import annotations

from typing import Any

import mmengine.registry as mm
from mmengine.registry import Registry

import inspect

from .errors import RegistryError, closest, did_you_mean

SCOPE = "llie"

# Children of mmengine's roots where mmengine itself builds from them (models, datasets, metrics), so a config that
# relies on mmengine's own scoping still finds ours; the others are plain registries in our scope.
MODELS = Registry("model", parent=mm.MODELS, scope=SCOPE)
DATASETS = Registry("dataset", parent=mm.DATASETS, scope=SCOPE)
METRICS = Registry("metric", parent=mm.METRICS, scope=SCOPE)
DECOMPOSERS = Registry("decomposer", scope=SCOPE)
ILLUMINATION_ADJUSTERS = Registry("illumination_adjuster", scope=SCOPE)
IMAGE_PRIORS = Registry("image_prior", scope=SCOPE)
TEXT_PRIORS = Registry("text_prior", scope=SCOPE)
ENHANCERS = Registry("enhancer", scope=SCOPE)
LOSSES = Registry("loss", scope=SCOPE)

#: Every registry by its plural kind name, the name plugins and ``llie plugins`` use.
REGISTRIES: dict[str, Registry] = {
    "models": MODELS,
    "datasets": DATASETS,
    "metrics": METRICS,
    "decomposers": DECOMPOSERS,
    "illumination_adjusters": ILLUMINATION_ADJUSTERS,
    "image_priors": IMAGE_PRIORS,
    "text_priors": TEXT_PRIORS,
    "enhancers": ENHANCERS,
    "losses": LOSSES,
}


def known_names(registry: Registry) -> list[str]:
    """Names registered directly in ``registry`` (not its parent's)."""
    return sorted(registry.module_dict)


def get_component(kind: str, name: str) -> type:
    """The class registered as ``name`` in registry ``kind``; a :class:`RegistryError` naming the closest otherwise."""
    from .plugin_door import ensure_plugins_loaded, failed_plugins_hint

    ensure_plugins_loaded()
    registry = REGISTRIES[kind]
    cls = registry.module_dict.get(name)
    if cls is None:
        near = closest(name, registry.module_dict)
        hint = f"; closest: {', '.join(near)}" if near else f"; known: {', '.join(known_names(registry)) or 'none'}"
        raise RegistryError(f"unknown {registry.name} '{name}' in the llie '{kind}' registry{hint}"
                            f"{failed_plugins_hint()}")
    return cls


def _check_arguments(kind: str, name: Any, cls: Any, kwargs: dict[str, Any]) -> None:
    """A config key the component does not take fails naming it and the closest argument it does take."""
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):  # no introspectable signature: let the call itself complain
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    accepted = [n for n, p in params.items()
                if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    unknown = [k for k in kwargs if k not in accepted]
    if unknown:
        raise RegistryError(f"cannot build {REGISTRIES[kind].name} '{name}': unknown argument '{unknown[0]}'"
                            f"{did_you_mean(unknown[0], accepted)}; it takes: {', '.join(accepted) or 'nothing'}")


def build(kind: str, cfg: Any, **defaults: Any) -> Any:
    """Build a component of ``kind`` from ``{'type': Name, **kwargs}`` (or a bare name string).

    ``defaults`` fill keyword arguments the config does not set. Unknown names fail with one line (registry, name,
    closest known names); a bad keyword argument fails naming the component and the argument.
    """
    if isinstance(cfg, str):
        cfg = {"type": cfg}
    cfg = dict(cfg)
    if "type" not in cfg:
        raise RegistryError(f"a {REGISTRIES[kind].name} config needs a 'type' key; got keys {sorted(cfg)}")
    name = cfg.pop("type")
    if not isinstance(name, str):  # already a class
        cls = name
    else:
        cls = get_component(kind, name)
    kwargs = {**defaults, **cfg}
    _check_arguments(kind, name, cls, kwargs)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        if ("argument" in str(exc) and cls.__name__ in str(exc)) or "__init__()" in str(exc):
            raise RegistryError(f"cannot build {REGISTRIES[kind].name} '{name}': {exc}") from exc
        raise
