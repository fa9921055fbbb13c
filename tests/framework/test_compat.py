"""The mmcv-lite shim: mmseg imports, point_sample is mmcv's own, other ops fail with one clear message."""
from __future__ import annotations

import importlib
import sys

import pytest
import torch
import torch.nn.functional as F

from llie.compat import mmcv_ops
from llie.compat.mmcv_ops import ensure_mmcv_ops

pytestmark = pytest.mark.skipif(mmcv_ops.has_compiled_ops(), reason="full mmcv installed: the shim is not used")


def test_mmseg_models_import_after_shim():
    assert ensure_mmcv_ops() is True
    mmseg_models = importlib.import_module("mmseg.models")
    assert hasattr(mmseg_models, "EncoderDecoder")
    from mmseg.models.backbones import HRNet, MixVisionTransformer  # noqa: F401


def test_shim_is_idempotent():
    ensure_mmcv_ops()
    first = sys.modules["mmcv.ops"]
    assert ensure_mmcv_ops() is True
    assert sys.modules["mmcv.ops"] is first
    import mmcv

    assert mmcv.ops is first


def test_point_sample_matches_grid_sample_semantics():
    ensure_mmcv_ops()
    from mmcv.ops import point_sample

    torch.manual_seed(0)
    feats = torch.randn(2, 3, 5, 7)
    points = torch.rand(2, 11, 2)  # (x, y) in [0, 1]
    expected = F.grid_sample(feats, (points * 2 - 1).unsqueeze(2), align_corners=False).squeeze(3)
    assert torch.allclose(point_sample(feats, points), expected)
    # mmcv's own source file was loaded, not a reimplementation
    assert point_sample.__module__ == "mmcv.ops.point_sample"
    assert sys.modules["mmcv.ops.point_sample"].__file__.endswith("mmcv/ops/point_sample.py")


def test_other_ops_raise_clear_import_error():
    ensure_mmcv_ops()
    with pytest.raises(ImportError, match=r"mmcv op 'roi_align' needs full mmcv \(compiled\); install mmcv==2\.1\.0"):
        from mmcv.ops import roi_align  # noqa: F401
    with pytest.raises(ImportError):
        importlib.import_module("mmcv.ops.nms")


def test_deferred_op_imports_but_fails_when_called():
    ensure_mmcv_ops()
    from mmcv.ops import sigmoid_focal_loss

    with pytest.raises(ImportError, match="sigmoid_focal_loss"):
        sigmoid_focal_loss(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long))


def test_dunder_probes_are_plain_attribute_misses():
    ensure_mmcv_ops()
    import mmcv

    assert getattr(mmcv.ops, "__wrapped__", None) is None


def test_nothing_installed_when_compiled_ops_exist(monkeypatch):
    monkeypatch.delitem(sys.modules, "mmcv.ops")
    monkeypatch.setattr(mmcv_ops, "has_compiled_ops", lambda: True)
    assert mmcv_ops.ensure_mmcv_ops() is False
    assert "mmcv.ops" not in sys.modules
