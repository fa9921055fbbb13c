"""Model configs shipped inside the mmsegmentation package (``mmseg/.mim/configs``), read without downloading.

The shipped configs describe the published checkpoints exactly (layer widths, head layout), so building from them
keeps state_dict keys identical to mmseg's official ``.pth`` files. Two edits are applied for our use: SyncBN becomes
BN (one process, CPU or single GPU) and every ``pretrained`` / ``init_cfg`` pointing at a URL is removed, so nothing
is ever fetched — weights come only from the prior's local ``pretrained`` file.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llie.compat import ensure_mmcv_ops
from llie.errors import ConfigError


def mmseg_config_dir() -> Path:
    ensure_mmcv_ops()
    import mmseg

    return Path(mmseg.__file__).parent / ".mim" / "configs"


@functools.lru_cache(maxsize=None)
def _model_section(relative: str) -> dict[str, Any]:
    from mmengine import Config

    path = mmseg_config_dir() / relative
    if not path.is_file():
        raise ConfigError(f"mmseg config '{relative}' not found under {mmseg_config_dir()}; "
                          f"is mmsegmentation==1.2.2 installed with its configs?")
    return Config.fromfile(str(path)).model.to_dict()


def _plain_bn(cfg: Any) -> Any:
    """Replace SyncBN with BN everywhere in a (nested) config."""
    if isinstance(cfg, dict):
        out = {k: _plain_bn(v) for k, v in cfg.items()}
        if out.get("type") == "SyncBN":
            out["type"] = "BN"
        return out
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_plain_bn(v) for v in cfg)
    return cfg


def load_model_config(relative: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(backbone_cfg, decode_head_cfg)`` of a shipped mmseg config, with BN and without any remote weights."""
    model = _plain_bn(copy.deepcopy(_model_section(relative)))
    backbone, head = model["backbone"], model["decode_head"]
    backbone.pop("init_cfg", None)
    backbone["pretrained"] = None
    head.pop("init_cfg", None)
    return backbone, head


#: warnings mmseg emits while building that say nothing about a frozen prior: mmcv-lite lacks deformable attention
#: (any use fails with the shim's clear error anyway), and decode heads build a training loss a prior never calls
_IRRELEVANT_WARNINGS = (
    r"Fail to import ``MultiScaleDeformableAttention``",
    r"``build_loss`` would be deprecated",
    r"Default ``avg_non_ignore`` is False",
)


@contextlib.contextmanager
def _optional_timm_hidden() -> Iterator[None]:
    """While mmseg's models register, make its optional ``import timm`` fail (when timm is not loaded yet).

    ``mmseg.models`` imports every backbone, among them ``TIMMBackbone``, whose guarded ``import timm`` pulls in
    timm, torchvision and ``torch._dynamo``: about 170 MB of resident memory that no llie prior uses (measured on
    HRNet-W48 inference). mmseg then keeps ``timm = None`` for that one wrapper; a later ``import timm`` elsewhere
    (e.g. by open_clip) works as usual.
    """
    if "timm" in sys.modules or "mmseg.models" in sys.modules:
        yield
        return
    sys.modules["timm"] = None  # type: ignore[assignment]  # the import system's marker for "not available"
    try:
        yield
    finally:
        if sys.modules.get("timm", 0) is None:
            del sys.modules["timm"]


def build_mmseg_module(cfg: dict[str, Any]) -> Any:
    """Build a backbone or head from mmseg's registry (mmcv ops shim installed first)."""
    ensure_mmcv_ops()
    with warnings.catch_warnings(), _optional_timm_hidden():
        for message in _IRRELEVANT_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        import mmseg.models  # noqa: F401  (registers mmseg's modules)
        from mmengine.registry import DefaultScope
        from mmseg.registry import MODELS

        # inside an mmengine Runner the default scope is 'mmengine', whose registry does not know mmseg's modules
        with DefaultScope.overwrite_default_scope("mmseg"):
            return MODELS.build(copy.deepcopy(cfg))
