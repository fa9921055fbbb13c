"""Extra evaluation sets and saved sample images: a tiny cell also evaluated on a paired folder of its own, a set whose
data is missing skipped with one logged line, rows stored with the set's name, and the report showing them."""
from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from llie.errors import ConfigError
from llie.report import build_report
from llie.sweep.launch import run_sweep
from llie.sweep.plan import make_plan
from llie.sweep.spec import load_sweep
from llie.sweep.store import read_store
from sweep_helpers import sweep_text


def paired_folder(root, names=("a", "b", "c"), size=24):
    rng = np.random.default_rng(0)
    for role, scale in (("low", 0.2), ("high", 1.0)):
        (root / role).mkdir(parents=True)
        for name in names:
            pixels = (rng.random((size, size + 8, 3)) * 255 * scale).astype(np.uint8)
            Image.fromarray(pixels).save(root / role / f"{name}.png")
    return root


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("evalsets")
    folder = paired_folder(root / "pairs")
    set_file = root / "my_pairs.yaml"
    set_file.write_text(yaml.safe_dump({"data": {"val": {"type": "PairedFolder", "root": str(folder)}}}))
    (root / "empty").mkdir()
    path = root / "sweep.yaml"
    path.write_text(sweep_text("extra", include=[{}],
                               eval_datasets=[str(set_file), "lol_sample"], report={"samples": 2}))
    mp = pytest.MonkeyPatch()
    mp.setenv("LLIE_SAMPLE_DATA", str(root / "empty"))  # a sample data folder without lol_sample/
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("llie.sweep.eval_sets").addHandler(handler)
    try:
        result = run_sweep(make_plan(load_sweep(path), root / "wd"), progress=False)
    finally:
        logging.getLogger("llie.sweep.eval_sets").removeHandler(handler)
        mp.undo()
    assert result.ok, [o.message for o in result.failed]
    return root / "wd" / "extra", result, records


def test_extra_sets_are_stored_as_rows_of_their_own(swept):
    sweep_dir, result, _ = swept
    store = read_store(sweep_dir)
    assert set(store["dataset"]) == {"synthetic", "my_pairs"}  # lol_sample's data is missing: no rows
    extra = store[store["dataset"] == "my_pairs"]
    own = store[store["dataset"] == "synthetic"]
    assert extra["extra_eval"].all() and not own["extra_eval"].any()
    assert (store["train_dataset"] == "synthetic").all()
    assert (extra["n_images"] == 3).all() and set(extra["metric"]) == {"psnr", "ssim"}
    assert store["higher_is_better"].all()
    per_image = pd.read_csv(result.outcomes[0].run_dir / "per_image.csv")
    assert set(per_image.loc[per_image["dataset"] == "my_pairs", "name"]) == {"a", "b", "c"}


def test_a_set_without_data_is_skipped_with_one_logged_line(swept):
    _, _, records = swept
    lines = [r.getMessage() for r in records]
    assert len(lines) == 1 and "lol_sample skipped" in lines[0] and "does not exist" in lines[0]


def test_sample_images_are_saved_per_evaluation_set(swept):
    _, result, _ = swept
    run_dir = result.outcomes[0].run_dir
    for dataset, names in (("synthetic", ["coffee_v0", "rocket_v0"]), ("my_pairs", ["a", "b"])):
        manifest = json.loads((run_dir / "samples" / dataset / "samples.json").read_text())
        assert [i["name"] for i in manifest["images"]] == names  # report.samples: 2, names sorted
        for kind in ("input", "output", "gt"):
            assert sorted(p.stem for p in (run_dir / "samples" / dataset / kind).glob("*.png")) == names
    with Image.open(run_dir / "samples" / "my_pairs" / "output" / "a.png") as out:
        assert out.size == (32, 24)  # any size: enhanced at the input's own size
    assert not (run_dir / "samples" / "lol_sample").exists()


def test_the_report_has_columns_and_a_grid_for_the_extra_set(swept, tmp_path):
    sweep_dir, _, _ = swept
    report = build_report(sweep_dir, tmp_path / "out", images=True)
    table = pd.read_csv(report.out_dir / "comparison.csv")
    assert {"synthetic/psnr_mean", "my_pairs@synthetic/psnr_mean"} <= set(table.columns)
    assert "my_pairs (extra)" in (report.out_dir / "comparison.md").read_text()
    assert (report.out_dir / "grid_my_pairs_synthetic.png").is_file()


@pytest.mark.parametrize("value, message", [
    ("lol_sample", "must be a list"),
    (["nope"], "unknown dataset 'nope'"),
    (["lol_sample", "lol_sample"], "names a dataset twice"),
])
def test_bad_eval_datasets_are_one_line_errors(write_sweep, value, message):
    path = write_sweep(include=[{}], eval_datasets=value)
    with pytest.raises(ConfigError, match=message) as info:
        load_sweep(path, check_keys=False)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_report_and_baselines_fields_are_checked(write_sweep):
    with pytest.raises(ConfigError, match="sweep.report.samples must be >= 0"):
        load_sweep(write_sweep(include=[{}], report={"samples": -1}), check_keys=False)
    with pytest.raises(ConfigError, match="unknown key 'sweep.report.images'"):
        load_sweep(write_sweep(include=[{}], report={"images": 2}), check_keys=False)
    with pytest.raises(ConfigError, match="sweep.baselines must be a list of method labels"):
        load_sweep(write_sweep(include=[{}], baselines=[1]), check_keys=False)
    spec = load_sweep(write_sweep(include=[{}], baselines=["Gamma"], report={"samples": 0}), check_keys=False)
    assert spec.summary()["baselines"] == ["Gamma"] and spec.samples == 0
