"""Gate-vs-brightness plot from hand-made per_image.csv files: gated cells plotted, ungated ones skipped."""
from __future__ import annotations

import pandas as pd
from PIL import Image

from llie.report.gates import FIGURE, collect_gates, read_gates, write_gate_plot

CELLS = pd.DataFrame({"cell_id": ["c_static", "c_dynamic", "c_none"], "row": ["static", "dynamic", "none"],
                      "dataset": ["synthetic"] * 3, "seed": [0, 0, 0]})


def write_cell(sweep_dir, cell_id, gated):
    rows = []
    for protocol in ("retinexformer", "basicsr"):  # every image appears once per protocol
        for i, brightness in enumerate((0.02, 0.08, 0.3)):
            row = {"name": f"img{i}", "psnr": 20.0, "ssim": 0.7, "protocol": protocol, "gt_mean": False}
            if gated:
                row.update(gate_s1=0.5 + brightness, gate_s2=0.9, input_brightness=brightness, input_noise=0.01,
                           prior_confidence=0.9)
            rows.append(row)
    (sweep_dir / cell_id).mkdir(parents=True)
    pd.DataFrame(rows).to_csv(sweep_dir / cell_id / "per_image.csv", index=False)


def test_gate_plot_is_written_from_per_image_tables(tmp_path):
    sweep = tmp_path / "sweep"
    for cell_id, gated in (("c_static", True), ("c_dynamic", True), ("c_none", False)):
        write_cell(sweep, cell_id, gated)
    gates = collect_gates(sweep, CELLS)
    assert set(gates["row"]) == {"static", "dynamic"}
    assert len(gates) == 2 * 3 * 2  # methods × images (first protocol only) × scales
    one = gates[(gates["row"] == "static") & (gates["scale"] == 1)].sort_values("input_brightness")
    assert one["gate"].tolist() == [0.52, 0.58, 0.8]
    files = write_gate_plot(sweep, CELLS, tmp_path)
    assert files == [tmp_path / FIGURE]
    with Image.open(files[0]) as image:
        assert image.format == "PNG" and image.width > 400 and image.height > 300


def test_no_gates_means_no_plot(tmp_path):
    sweep = tmp_path / "sweep"
    write_cell(sweep, "c_none", gated=False)
    assert read_gates(sweep / "c_none" / "per_image.csv").empty
    assert read_gates(sweep / "missing" / "per_image.csv").empty
    assert write_gate_plot(sweep, CELLS, tmp_path) == []
    assert not (tmp_path / FIGURE).exists()
