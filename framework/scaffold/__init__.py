"""``llie new-plugin``: a ready third-party plugin package for one component (image prior, text prior, enhancer,
loss or dataset) — the component, its ``llie_register`` hook and entry point, a pytest file that trains it one step,
and a sweep against the DeepSPG reference. Templates are Python strings (:mod:`.components`, :mod:`.checks`,
:mod:`.project`), so they ship in the wheel with the code.
"""
from .generate import ScaffoldError, class_name, new_plugin, render
from .kinds import KINDS

__all__ = ["KINDS", "ScaffoldError", "class_name", "new_plugin", "render"]
