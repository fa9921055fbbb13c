"""A synthetic results store following the sweep store schema exactly (imported by the report tests)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

#: method label → value of the overridden key ``model.image_prior.type``
METHODS = {"DeepSPG": "HRNetPrior", "Base_50%&co": "NoPrior", "U-Net": "NoPrior"}
DATASETS = ("synthetic", "lolv1")
SEEDS = (0, 1)
#: (protocol, gt_mean) groups; the gt_mean one gets values offset by +5 dB so mixing would show
SETTINGS = (("retinexformer", False), ("basicsr", True))
PARAMS = {"DeepSPG": 2_500_000, "Base_50%&co": 1_000_000, "U-Net": 500_000}
#: DeepSPG's frozen prior holds 2.1 M of its parameters
TRAINABLE = {"DeepSPG": 400_000, "Base_50%&co": 1_000_000, "U-Net": 500_000}
FLOPS = {"DeepSPG": 12.5, "Base_50%&co": 3.0, "U-Net": 1.5}


def cell_id(method: str, dataset: str, seed: int) -> str:
    return hashlib.sha256(f"{method}|{dataset}|{seed}".encode()).hexdigest()[:12]


def make_results(seed: int = 0, flops: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for method, prior in METHODS.items():
        for dataset in DATASETS:
            for s in SEEDS:
                for protocol, gt_mean in SETTINGS:
                    for metric, base, scale in (("psnr", 20.0, 4.0), ("ssim", 0.7, 0.2)):
                        value = base + scale * rng.random() + (5.0 if gt_mean and metric == "psnr" else 0.0)
                        rows.append({
                            "sweep": "demo", "cell_id": cell_id(method, dataset, s), "method": method,
                            "dataset": dataset, "seed": s, "metric": metric, "value": float(value),
                            "protocol": protocol, "gt_mean": gt_mean, "crop_border": 0, "y_channel": False,
                            "n_images": 4, "params": PARAMS[method], "trainable_params": TRAINABLE[method],
                            "flops_g": FLOPS[method] if flops else float("nan"), "train_time_s": 1.0,
                            "eval_time_s": 0.5, "finished_at": f"2025-01-01T00:00:{len(rows) % 60:02d}",
                            "model.image_prior.type": prior,
                        })
    return pd.DataFrame(rows)


def write_store(sweep_dir: Path, frame: pd.DataFrame, parquet: bool = True, csv: bool = True) -> Path:
    sweep_dir.mkdir(parents=True, exist_ok=True)
    if parquet:
        frame.to_parquet(sweep_dir / "results.parquet", index=False)
    if csv:
        frame.to_csv(sweep_dir / "results.csv", index=False)
    return sweep_dir
