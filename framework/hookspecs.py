"""The plugin door's hook specifications (pluggy project ``llie``).

A plugin is any module or object exposed through the entry-point group ``llie.plugins`` that implements one or more
of these hooks, marked with :data:`hookimpl`::

    # my_package/llie_plugin.py
    from llie import hookimpl

    @hookimpl
    def llie_register(registries):
        registries.image_priors.register_module(module=MyPrior)

    # my_package's pyproject.toml
    [project.entry-points."llie.plugins"]
    my_prior = "my_package.llie_plugin"
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .plugin_door import Registries

PROJECT = "llie"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def llie_register(registries: "Registries") -> None:
    """Register components: ``registries.<kind>.register_module(module=Cls)`` for each kind in
    :data:`llie.registry.REGISTRIES` (models, datasets, metrics, decomposers, illumination_adjusters,
    image_priors, text_priors, enhancers, losses)."""
