"""A tiny gated DeepSPG cell writes its per-image gate values and trust statistics into per_image.csv."""
from __future__ import annotations

import json

import pandas as pd

from llie.sweep.launch import run_sweep
from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep
from sweep_helpers import sweep_text

GATED_MODEL = {"type": "SemanticPriorModel",
               "image_prior": {"type": "HRNetPrior", "variant": "tiny", "num_classes": 4, "pretrained": None},
               "enhancer": {"type": "SemanticAwareEnhancer", "base_channels": 4, "levels": 1, "block_type": "conv",
                            "sem_scales": [1, 2]},
               "losses": [{"type": "PixelLoss"}]}


def test_per_image_csv_has_gate_and_statistics_columns_for_gated_models_only(tmp_path):
    path = tmp_path / "gates.yaml"
    path.write_text(sweep_text("gates", zip=[{"experiment.method": ["static", "dynamic", "none"],
                                              "+model.enhancer.gate": ["static", "dynamic", "none"]}],
                               overrides={"model": GATED_MODEL, "train.max_iters": 1}))
    result = run_sweep(make_plan(load_sweep(path), tmp_path / "wd"), progress=False)
    assert result.ok, [o.message for o in result.failed]
    columns = {"gate_s1", "gate_s2", "input_brightness", "input_noise", "prior_confidence"}
    for outcome in result.outcomes:
        table = pd.read_csv(outcome.run_dir / "per_image.csv")
        method = json.loads((outcome.run_dir / "metrics.json").read_text())["method"]
        assert len(table) == 2
        if method == "none":
            assert not columns & set(table.columns)
            continue
        assert columns <= set(table.columns), method
        gates = table[["gate_s1", "gate_s2"]].to_numpy()
        assert ((gates > 0) & (gates < 1)).all()
        assert (table["input_brightness"] < 0.5).all() and (table["prior_confidence"] > 0.25).all()
