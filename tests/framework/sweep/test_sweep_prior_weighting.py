"""The shipped prior-weighting sweep: gate none / static / dynamic on the real ESPNetv2 prior, plus a no-prior floor."""
from __future__ import annotations

from llie.config import validate
from llie.paths import EXPERIMENTS
from llie.sweep.cells import build_cells
from llie.sweep.spec import load_sweep

SWEEP = EXPERIMENTS / "ablations" / "prior_weighting.yaml"


def test_the_sweep_compares_the_three_gates_on_espnet_and_a_no_prior_row_over_two_seeds():
    spec = load_sweep(SWEEP)
    cells = build_cells(spec)
    assert len(cells) == 8 and {c.seed for c in cells} == {0, 1} and {c.dataset for c in cells} == {"synthetic_clean"}
    assert [s.name for s in spec.eval_sets] == ["lol_sample"]
    gates = {}
    for cell in cells:
        validate(cell.config, str(SWEEP))
        model = cell.config["model"]
        gates.setdefault(cell.method, set()).add((model["enhancer"]["gate"], model["image_prior"]["type"]))
    assert gates == {"ESPNetv2 (no gate)": {("none", "ESPNetv2Prior")},
                     "ESPNetv2 + static gate": {("static", "ESPNetv2Prior")},
                     "ESPNetv2 + dynamic gate": {("dynamic", "ESPNetv2Prior")},
                     "w/o image prior": {("none", "NoPrior")}}
    assert {c.config["model"]["text_prior"]["type"] for c in cells} == {"NoTextPrior"}
    stages = cells[0].config["train"]["stages"]
    assert [s["iters"] for s in stages] == [50, 150, 80] and cells[0].config["train"]["max_iters"] == 280
