"""Every sweep file shipped under experiments/ parses and expands into cells whose configs validate; the unpaired
study and the cache-mode study vary what their names promise."""
from __future__ import annotations

import pytest
import yaml

from llie.config import validate
from llie.paths import EXPERIMENTS
from llie.sweep.cells import build_cells
from llie.sweep.spec import load_sweep

SWEEPS = sorted(p for p in EXPERIMENTS.rglob("*.yaml") if "sweep" in (yaml.safe_load(p.read_text()) or {}))


def test_the_studies_are_shipped():
    names = {p.relative_to(EXPERIMENTS).as_posix() for p in SWEEPS}
    assert {"ablations/demo.yaml", "ablations/prior_weighting.yaml", "ablations/prior_cache_mode.yaml",
            "unpaired/claim.yaml"} <= names


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.relative_to(EXPERIMENTS).as_posix())
def test_shipped_sweep_expands_into_valid_cells(path):
    cells = build_cells(load_sweep(path))
    assert cells and len({c.cell_id for c in cells}) == len(cells)
    for cell in cells:
        validate(cell.config, str(path))


def test_the_unpaired_study_adds_real_photos_only_to_its_mixed_arms():
    cells = build_cells(load_sweep(EXPERIMENTS / "unpaired" / "claim.yaml"))
    by_method = {}
    for cell in cells:
        train = cell.config["data"]["train"]
        losses = [loss["type"] for loss in cell.config["model"]["losses"]]
        by_method.setdefault(cell.method, set()).add((train["type"], tuple(losses)))
        assert cell.dataset == "synthetic_clean" and cell.config["train"]["max_iters"] == 1200
    assert by_method["synthetic only"] == {("SyntheticPairs", ("PixelLoss",))}
    for method in ("synthetic + real (consistency, degrade enhancement)",
                   "synthetic + real (consistency, degrade input)"):
        assert by_method[method] == {("MixedSources", ("PixelLoss", "SyntheticToRealConsistencyLoss"))}


def test_the_cache_mode_study_differs_only_in_the_cache_mode():
    cells = build_cells(load_sweep(EXPERIMENTS / "ablations" / "prior_cache_mode.yaml"))
    modes = {(c.config["prior_cache"]["mode"], c.seed) for c in cells}
    assert modes == {("exact", 0), ("exact", 1), ("window", 0), ("window", 1)}
    models = {yaml.safe_dump(c.config["model"]) for c in cells}
    assert len(models) == 1 and cells[0].config["model"]["image_prior"]["pretrained"] == "espnetv2_voc"
