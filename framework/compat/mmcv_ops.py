"""Make ``import mmseg.models`` work with mmcv-lite, which ships ``mmcv/ops`` sources but no compiled ``mmcv._ext``.

mmseg imports a few ops at module level (``point_sample`` in several places, ``sigmoid_focal_loss`` in its focal
loss). Importing the real ``mmcv.ops`` package fails on the first op that loads ``_ext``, so when — and only when —
``mmcv._ext`` is missing, :func:`ensure_mmcv_ops` installs a stand-in ``mmcv.ops`` module holding:

* ``point_sample`` (and the other pure-torch helpers of ``mmcv/ops/point_sample.py``), loaded from mmcv's own file;
* ``sigmoid_focal_loss`` as a placeholder that raises the clear error below when *called* (mmseg calls it only on
  CUDA; its pure-torch focal loss covers the CPU);
* for every other name, a :class:`ModuleNotFoundError` (an ``ImportError``, so mmseg's own ``try/except`` fallbacks
  keep working) saying that the op needs the compiled mmcv.

With full mmcv installed nothing is touched.
"""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any, Callable, NoReturn

#: attribute marking the stand-in module, so a second call recognises it
_MARKER = "__llie_mmcv_ops_shim__"

#: ops that mmseg imports unconditionally at module level but calls only on paths we never take on CPU
_DEFERRED_OPS = frozenset({"sigmoid_focal_loss"})


def missing_op_message(name: str) -> str:
    """The one-line explanation for an op that exists only in compiled mmcv."""
    return (f"mmcv op '{name}' needs full mmcv (compiled); install mmcv==2.1.0 built from source "
            f"or use a model that does not need it")


def has_compiled_ops() -> bool:
    """Whether mmcv's compiled extension is importable (then the real ``mmcv.ops`` works)."""
    try:
        return importlib.util.find_spec("mmcv._ext") is not None
    except (ImportError, ValueError):
        return False


def _unavailable(name: str) -> Callable[..., NoReturn]:
    def op(*args: Any, **kwargs: Any) -> NoReturn:
        raise ImportError(missing_op_message(name))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Placeholder: {missing_op_message(name)}."
    return op


def _load_point_sample_module(ops_dir: Path) -> types.ModuleType:
    """mmcv's ``ops/point_sample.py`` imports only torch, so it loads on its own, bypassing ``ops/__init__``."""
    name = "mmcv.ops.point_sample"
    spec = importlib.util.spec_from_file_location(name, ops_dir / "point_sample.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {ops_dir / 'point_sample.py'} from the installed mmcv")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _build_shim(ops_dir: Path) -> types.ModuleType:
    shim = types.ModuleType("mmcv.ops", "Stand-in for mmcv.ops without compiled ops (see llie.compat).")
    setattr(shim, _MARKER, True)
    shim.__path__ = []  # a package with no importable submodules besides the one registered below
    point_sample_module = _load_point_sample_module(ops_dir)
    for attr in ("point_sample", "bilinear_grid_sample", "SimpleRoIAlign", "rel_roi_point_to_rel_img_point"):
        setattr(shim, attr, getattr(point_sample_module, attr))  # like mmcv: the function shadows the submodule

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _DEFERRED_OPS:
            return _unavailable(name)
        raise ModuleNotFoundError(missing_op_message(name), name=f"mmcv.ops.{name}")

    shim.__getattr__ = __getattr__  # type: ignore[attr-defined]
    return shim


def ensure_mmcv_ops() -> bool:
    """Install the stand-in ``mmcv.ops`` if mmcv has no compiled ops; idempotent.

    Returns True when the stand-in is in place (now or from an earlier call), False when the real ops are used.
    Call it before anything imports ``mmseg``.
    """
    current = sys.modules.get("mmcv.ops")
    if current is not None and getattr(current, _MARKER, False):
        return True
    if has_compiled_ops():
        return False
    import mmcv

    if current is not None:  # a real, working mmcv.ops was imported somehow: leave it alone
        return False
    ops_dir = Path(mmcv.__file__).parent / "ops"
    shim = _build_shim(ops_dir)
    sys.modules["mmcv.ops"] = shim
    mmcv.ops = shim  # type: ignore[attr-defined]
    return True
