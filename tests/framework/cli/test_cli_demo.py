"""``llie demo``: the shipped demo sweep plans the real-vs-random-vs-no-prior question; the command prints what the
sweep stored (mean ± seed std, the extra evaluation set included) and evaluates nothing itself; on a bare offline
machine the rows whose weights are missing are left out with one line each and the rest runs."""
from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import pytest
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


# ---- the shipped demo sweep ------------------------------------------------------------------------------------
DEMO = EXPERIMENTS / "ablations" / "demo.yaml"
ARMS = ("DeepSPG + ESPNetv2 (VOC)", "DeepSPG + ESPNetv2 (random init)", "DeepSPG w/o prior")
PUBLISHED = {"SCI (easy)": "sci_easy", "SCI (medium)": "sci_medium", "SCI (difficult)": "sci_difficult",
             "Zero-DCE": "zero_dce", "Zero-DCE++": "zero_dce_pp"}


def _without(config: dict, *keys: str) -> dict:
    out = copy.deepcopy(config)
    for key in keys:
        *parents, last = key.split(".")
        node = out
        for part in parents:
            node = node[part]
        node.pop(last)
    return out


def test_the_demo_sweep_plans_real_vs_random_vs_no_prior_with_seeds_and_the_comparison_rows(tmp_path):
    """The question the demo asks, as planned cells: the three prior arms differ ONLY in the image prior (same model
    otherwise, no text prior in any, same stages and iterations), each over the same seeds; a U-Net with those seeds;
    the published methods (zoo weights), gamma and the input once each (they are deterministic)."""
    from llie.sweep.plan import make_plan
    from llie.sweep.spec import load_sweep

    spec = load_sweep(DEMO)
    plan = make_plan(spec, tmp_path)
    seeds: dict[str, list[int]] = {}
    configs: dict[str, list[dict]] = {}
    for planned in plan.cells:
        seeds.setdefault(planned.cell.method, []).append(planned.cell.seed)
        configs.setdefault(planned.cell.method, []).append(planned.cell.config)
    assert list(seeds) == [*ARMS, "U-Net", *PUBLISHED, "Gamma (auto)", "Input (no enhancement)"]
    assert len(spec.seeds) >= 3
    for method in (*ARMS, "U-Net"):
        assert seeds[method] == spec.seeds
    for method in (*PUBLISHED, "Gamma (auto)", "Input (no enhancement)"):
        assert seeds[method] == [spec.seeds[0]]

    priors = [configs[arm][0]["model"]["image_prior"] for arm in ARMS]
    assert priors == [{"type": "ESPNetv2Prior", "dataset": "voc", "pretrained": "espnetv2_voc"},
                      {"type": "ESPNetv2Prior", "dataset": "voc", "pretrained": None}, {"type": "NoPrior"}]
    same = [_without(configs[arm][0], "model.image_prior", "experiment.method") for arm in ARMS]
    assert same[0] == same[1] == same[2]
    assert same[0]["model"]["text_prior"] == {"type": "NoTextPrior"}
    stages = same[0]["train"]["stages"]
    assert sum(s["iters"] for s in stages) == same[0]["train"]["max_iters"]
    assert configs["U-Net"][0]["train"]["max_iters"] == same[0]["train"]["max_iters"]  # the same budget
    for method, zoo_name in PUBLISHED.items():
        assert configs[method][0]["model"]["enhancer"]["pretrained"] == zoo_name
        assert configs[method][0]["train"]["stages"] is None

    assert [s.name for s in spec.eval_sets] == ["lol_sample"]
    assert spec.reference == {"experiment.method": ARMS[0]} and spec.missing_weights == "skip"
    assert spec.datasets == ["synthetic"]  # the embedded default: no files needed


def test_demo_dry_run_lists_the_cells(tmp_path, capsys):
    assert main(["sweep", "experiments/ablations/demo.yaml", "--dry-run", "--work-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "sweep demo: 19 cells (19 pending)" in out and "ESPNetv2 (random init)" in out


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Offline, with $LLIE_WEIGHTS and $LLIE_SAMPLE_DATA empty folders, no user cache and no ../shared/weights."""
    for name in ("weights", "data"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("LLIE_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("LLIE_SAMPLE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("LLIE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LLIE_OFFLINE", "1")
    monkeypatch.setattr("llie.zoo.resolve.shared_weights_dir", lambda: None)
    return tmp_path


def _fake_sweep(ran: list):
    """A run_sweep stand-in: records the cells it was handed and stores one result per cell and dataset."""

    def fake(plan, **_):
        for planned in plan.cells:
            cell = planned.cell
            ran.append((cell.method, cell.dataset, cell.seed))
            results = [{"dataset": cell.dataset, "extra_eval": False, "protocol": "retinexformer", "gt_mean": False,
                        "n_images": 4, "psnr": 10.0 + cell.seed, "ssim": 0.5}]
            store_cell(plan.sweep_dir, {"sweep": plan.spec.name, "cell_id": cell.cell_id, "method": cell.method,
                                        "dataset": cell.dataset, "seed": cell.seed, "columns": cell.columns,
                                        "params": 1, "trainable_params": 1, "finished_at": "2026",
                                        "results": results})
        return SimpleNamespace(failed=[])

    return fake


def test_demo_on_a_bare_offline_machine_leaves_out_the_rows_without_weights_and_runs_the_rest(
        bare_machine, monkeypatch, capsys):
    ran: list = []
    monkeypatch.setattr(llie.sweep.launch, "run_sweep", _fake_sweep(ran))
    monkeypatch.setattr(llie.report.builder, "build_report", lambda *_, **__: SimpleNamespace(index="index.html"))
    assert main(["demo", "--work-dir", str(bare_machine / "wd"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "training on synthetic\n" in out  # no sample data: the embedded default
    left_out = [line for line in out.splitlines() if line.startswith("left out: ")]
    assert len(left_out) == 1 + len(PUBLISHED)
    assert any(line.startswith(f"left out: {ARMS[0]} (3 cells): weights 'espnetv2_voc' "
                               f"(espnetv2_s2.0_pascal_voc_384.pth) are not on this machine") for line in left_out)
    for method, zoo_name in PUBLISHED.items():
        line = next(line for line in left_out if line.startswith(f"left out: {method} (1 cell)"))
        assert f"weights '{zoo_name}'" in line and f"`llie weights fetch {zoo_name}`" in line
        assert str(bare_machine / "weights") in line
    assert {m for m, _, _ in ran} == {*ARMS[1:], "U-Net", "Gamma (auto)", "Input (no enhancement)"}
    assert len(ran) == 2 * 3 + 3 + 2 and {d for _, d, _ in ran} == {"synthetic"}
    assert "not evaluated: lol_sample" in out and "failed" not in out
    table_line = next(line for line in out.splitlines() if ARMS[1] in line and "±" in line)
    assert "11.00 ± 1.00" in table_line  # seeds 0, 1, 2 stored 10, 11, 12: mean ± sample std


def test_demo_trains_on_the_sample_datas_clean_photos_when_they_are_there(bare_machine):
    from llie.cli.demo import choose_datasets

    assert choose_datasets(["synthetic"], None) == ["synthetic"]
    (bare_machine / "data" / "clean").mkdir()
    assert choose_datasets(["synthetic"], None) == ["synthetic_clean"]
    assert choose_datasets(["synthetic"], "lolv1") == ["lolv1"]
