from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from llie.engine.safe_checkpoint import from_weights_only_safe, to_weights_only_safe


def test_round_trip_of_message_hub_state(tmp_path):
    hub = MessageHub.get_instance("llie-test-hub")
    hub.update_scalar("train/loss", 0.5)
    hub.update_scalar("train/loss", 0.25)
    hub.update_info("iter", 7)
    hub.update_info("arr", np.arange(4, dtype=np.int16))
    state = {"message_hub": hub.state_dict(), "meta": {"seed": np.int64(3), "list": [np.float32(1.5)]}}
    path = tmp_path / "ckpt.pth"
    torch.save(to_weights_only_safe(state), path)
    loaded = from_weights_only_safe(torch.load(path, weights_only=True))  # must not raise
    buf = loaded["message_hub"]["log_scalars"]["train/loss"]
    assert isinstance(buf, HistoryBuffer)
    assert buf.data[0].tolist() == [0.5, 0.25] and buf.mean() == 0.375
    assert loaded["message_hub"]["runtime_info"]["iter"] == 7
    arr = loaded["message_hub"]["runtime_info"]["arr"]
    assert arr.dtype == np.int16 and arr.tolist() == [0, 1, 2, 3]
    assert loaded["meta"]["seed"] == 3 and isinstance(loaded["meta"]["seed"], int)


def test_unconverted_state_is_refused_by_weights_only_loading(tmp_path):
    """The reason the hook exists: mmengine's raw state does not load weights-only."""
    buf = HistoryBuffer([1.0], [1])
    path = tmp_path / "raw.pth"
    torch.save({"log_scalars": OrderedDict(loss=buf)}, path)
    try:
        torch.load(path, weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError
        assert "weights_only" in str(exc) or "Unsupported" in str(exc)
    else:
        raise AssertionError("raw HistoryBuffer state loaded weights-only: the hook would be unnecessary")
