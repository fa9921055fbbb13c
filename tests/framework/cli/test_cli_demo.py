"""``llie demo`` prints what the sweep stored — the extra evaluation set's rows included — and evaluates nothing."""
from __future__ import annotations

from types import SimpleNamespace

import yaml

import llie.engine.runner
import llie.report.builder
import llie.sweep.launch
from llie.cli.main import main
from llie.paths import EXPERIMENTS
from llie.sweep.store import store_cell


def test_demo_table_comes_from_the_results_store(tmp_path, monkeypatch, capsys):
    sweep = tmp_path / "demo.yaml"
    sweep.write_text(yaml.safe_dump({"sweep": {
        "name": "mini", "base": str(EXPERIMENTS / "unet" / "unet_synthetic.yaml"),
        "include": [{"experiment.method": "U-Net"}, {"experiment.method": "Gamma",
                                                     "model.enhancer": {"type": "GammaCorrection"}}],
        "eval_datasets": ["lol_sample"]}}))

    def fake_sweep(plan, **_):
        for i, planned in enumerate(plan.cells):
            cell = planned.cell
            results = [{"dataset": d, "extra_eval": d != cell.dataset, "protocol": "retinexformer", "gt_mean": False,
                        "n_images": 5, "psnr": 10.0 + i + (d != cell.dataset), "ssim": 0.5} for d in
                       (cell.dataset, "lol_sample")]
            store_cell(plan.sweep_dir, {"sweep": "mini", "cell_id": cell.cell_id, "method": cell.method,
                                        "dataset": cell.dataset, "seed": cell.seed, "columns": cell.columns,
                                        "params": 1, "trainable_params": 1, "finished_at": "2026", "results": results})
        return SimpleNamespace(failed=[])

    def no_evaluation(*_, **__):
        raise AssertionError("the demo must read the store, not evaluate")

    monkeypatch.setattr(llie.sweep.launch, "run_sweep", fake_sweep)
    monkeypatch.setattr(llie.report.builder, "build_report", lambda *_, **__: SimpleNamespace(index="index.html"))
    monkeypatch.setattr(llie.engine.runner, "evaluate", no_evaluation)
    assert main(["demo", "--sweep", str(sweep), "--work-dir", str(tmp_path / "wd"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "lol_sample PSNR" in out and "not evaluated" not in out
    unet = next(line for line in out.splitlines() if "U-Net" in line)
    gamma = next(line for line in out.splitlines() if "Gamma" in line)
    assert "10.00" in unet and "11.00" in unet and "11.00" in gamma and "12.00" in gamma
