"""Datasets built from a config: evaluation splits under ``skip_bad_pairs`` leave bad pairs out up front."""
from __future__ import annotations

import numpy as np

from llie.data import write_image
from llie.engine.builders import build_dataset


def test_eval_splits_drop_bad_pairs_and_train_keeps_falling_through(tmp_path):
    for i in range(3):
        write_image(tmp_path / "low" / f"{i}.png", np.full((8, 8, 3), 0.1))
        write_image(tmp_path / "high" / f"{i}.png", np.full((8, 8, 3), 0.5))
    (tmp_path / "high" / "1.png").write_bytes(b"")
    folder = {"type": "PairedFolder", "root": str(tmp_path), "skip_bad_pairs": True}
    cfg = {"data": {"train": folder, "val": folder}}
    val = build_dataset(cfg, "val")
    assert [val[i]["data_samples"]["name"] for i in range(len(val))] == ["0", "2"]
    assert build_dataset(cfg, "test").dropped_pairs[0].name == "1"  # test falls back to val
    train = build_dataset(cfg, "train")
    assert len(train) == 3 and train[1]["data_samples"]["name"] == "2"  # training: the next pair stands in
