"""Comparison and ablation tables: values against statistics computed here, marks, protocol separation, LaTeX
structure, CSV round trip, reference choice."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from report_store_factory import DATASETS, METHODS, SETTINGS, make_results, write_store

from llie.errors import ConfigError, LLIEError
from llie.report import build_report
from llie.report.aggregate import summarise
from llie.report.formats import latex_escape
from llie.report.reference import choose_reference, parse_reference, sweep_reference
from llie.report.store import load_results
from llie.report.tables import ablation_table, comparison_table

DECIMALS = {"psnr": 2, "ssim": 3}


def expected_stats(frame: pd.DataFrame) -> dict[tuple, tuple[float, float]]:
    """(protocol, gt_mean, method, dataset, metric) → (mean, sample std) computed with numpy."""
    out = {}
    for key, part in frame.groupby(["protocol", "gt_mean", "method", "dataset", "metric"]):
        values = part["value"].to_numpy(dtype=float)
        out[key] = (float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else float("nan"))
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    frame = make_results()
    sweep = write_store(root / "demo", frame)
    out = build_report(sweep, root / "out", images=False)
    return frame, out


def md_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """(caption, body rows split into cells) of each Markdown table (a bold caption line, then the table)."""
    tables, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("**") and i + 2 < len(lines) and lines[i + 2].startswith("|"):
            block = []
            for row in lines[i + 4:]:
                if not row.startswith("|"):
                    break
                block.append([c.strip() for c in row.strip().strip("|").split(" | ")])
            tables.append((line, block))
    return tables


def test_comparison_csv_values_equal_independent_means_and_stds(report):
    frame, out = report
    table = pd.read_csv(out.out_dir / "comparison.csv")
    expected = expected_stats(frame)
    assert len(table) == len(METHODS) * len(SETTINGS)
    checked = 0
    for _, line in table.iterrows():
        for dataset in DATASETS:
            for metric in ("psnr", "ssim"):
                mean, std = expected[(line["protocol"], line["gt_mean"], line["method"], dataset, metric)]
                assert line[f"{dataset}/{metric}_mean"] == pytest.approx(mean, rel=1e-12)
                assert line[f"{dataset}/{metric}_std"] == pytest.approx(std, rel=1e-12)
                assert line[f"{dataset}/{metric}_seeds"] == 2
                checked += 1
    assert checked == len(table) * len(DATASETS) * 2
    assert table["gt_mean"].dtype == bool  # round trip keeps the flag a boolean


def test_markdown_cells_show_mean_std_and_marks_best_and_second_per_column(report):
    frame, out = report
    expected = expected_stats(frame)
    tables = md_tables((out.out_dir / "comparison.md").read_text())
    assert len(tables) == len(SETTINGS)
    for (protocol, gt_mean), (caption, rows) in zip(SETTINGS, tables):
        assert f"protocol {protocol}" in caption and ("GT-mean" in caption) == gt_mean
        methods = [r[0] for r in rows]
        # no sweep.json: the reference (the row with the most priors on) first, then by label
        assert methods == ["DeepSPG", "Base_50%&co", "U-Net"]
        column = 1
        for dataset in sorted(DATASETS, key=lambda d: ["lolv1", "synthetic"].index(d)):
            for metric in ("psnr", "ssim"):
                means = {m: round(expected[(protocol, gt_mean, m, dataset, metric)][0], DECIMALS[metric])
                         for m in methods}
                ranked = sorted(set(means.values()), reverse=True)
                for method, row in zip(methods, rows):
                    cell = row[column]
                    mean, std = expected[(protocol, gt_mean, method, dataset, metric)]
                    plain = cell.replace("**", "").replace("<u>", "").replace("</u>", "")
                    assert plain == f"{mean:.{DECIMALS[metric]}f} ± {std:.{DECIMALS[metric]}f}"
                    assert cell.startswith("**") == (means[method] == ranked[0])
                    assert cell.startswith("<u>") == (means[method] == ranked[1])
                column += 1


def test_protocols_are_never_mixed(tmp_path):
    frame = make_results()
    # a method measured only under basicsr must not appear in the retinexformer table
    extra = frame[(frame["method"] == "U-Net") & (frame["protocol"] == "basicsr")].assign(method="OnlyBasicSR")
    summaries = summarise(pd.concat([frame, extra], ignore_index=True), "demo")
    assert [(s.settings.protocol, s.settings.gt_mean) for s in summaries] == list(SETTINGS)
    retinexformer, basicsr = summaries
    assert "OnlyBasicSR" not in retinexformer.rows and "OnlyBasicSR" in basicsr.rows
    # basicsr/gt_mean PSNRs are offset by +5 dB in the fixture: any mixing would pull the means together
    assert retinexformer.stats.xs("psnr", level="metric")["mean"].max() < 24.0 + 1e-9
    assert basicsr.stats.xs("psnr", level="metric")["mean"].min() > 25.0 - 1e-9
    assert (retinexformer.stats["n"] == 2).all() and (basicsr.stats["n"] == 2).all()


def _strip_escaped(text: str) -> str:
    return re.sub(r"\\[{}&%_$#]", "", text)


def test_latex_is_structurally_sound_and_escapes_names(report):
    _, out = report
    tex = (out.out_dir / "comparison.tex").read_text()
    bare = _strip_escaped(tex)
    assert bare.count("{") == bare.count("}")
    depth = 0
    for ch in bare:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    tables = tex.split(r"\begin{table}")[1:]
    assert len(tables) == len(SETTINGS)
    for body in tables:
        positions = [body.index(r"\toprule"), body.index(r"\midrule"), body.index(r"\bottomrule"),
                     body.index(r"\end{tabular}")]
        assert positions == sorted(positions)
        assert r"\begin{tabular}{lccccrrr}" in body  # 2 datasets × PSNR/SSIM, trainable, frozen, FLOPs
        rows = body[body.index(r"\midrule") + len(r"\midrule"):body.index(r"\bottomrule")].strip().splitlines()
        assert len(rows) == len(METHODS)
        for row in rows:
            assert row.endswith(r"\\")
            assert len(re.findall(r"(?<!\\)&", row)) == 7  # 8 columns
        assert r"Base\_50\%\&co" in body
        assert body.count(r"\textbf{") >= 4 and body.count(r"\underline{") >= 4
    assert "±" not in tex and r"$\pm$" in tex


@pytest.mark.parametrize("text, escaped", [("a_b", r"a\_b"), ("50%", r"50\%"), ("x&y", r"x\&y"),
                                           ("{#}", r"\{\#\}"), ("a\\b", r"a\textbackslash{}b")])
def test_latex_escape(text, escaped):
    assert latex_escape(text) == escaped


def test_ablation_deltas_against_default_reference(report):
    frame, out = report
    expected = expected_stats(frame)
    ablation = pd.read_csv(out.out_dir / "ablation.csv")
    # default reference: the row with the most priors on (only DeepSPG has an image prior)
    assert set(ablation.loc[ablation["reference"], "method"]) == {"DeepSPG"}
    for _, line in ablation.iterrows():
        for dataset in DATASETS:
            for metric in ("psnr", "ssim"):
                key = (line["protocol"], line["gt_mean"])
                delta = expected[(*key, line["method"], dataset, metric)][0] - expected[(*key, "DeepSPG", dataset,
                                                                                          metric)][0]
                assert line[f"{dataset}/{metric}_delta"] == pytest.approx(delta, abs=1e-12)
    md = md_tables((out.out_dir / "ablation.md").read_text())
    for (protocol, gt_mean), (_, rows) in zip(SETTINGS, md):
        unet = next(r for r in rows if r[0] == "U-Net")
        delta = expected[(protocol, gt_mean, "U-Net", "lolv1", "psnr")][0] - \
            expected[(protocol, gt_mean, "DeepSPG", "lolv1", "psnr")][0]
        assert unet[1] == f"{delta:+.2f}"
        assert any(r[0] == "DeepSPG (reference)" for r in rows)


def test_reference_from_flag_then_sweep_file_then_default(tmp_path):
    summary = summarise(make_results(), "demo")[0]
    assert choose_reference(summary, parse_reference(["method=U-Net"]), {"method": "DeepSPG"})[0] == "U-Net"
    assert choose_reference(summary, {}, {"method": "Base_50%&co"})[0] == "Base_50%&co"
    assert choose_reference(summary, {}, {"model.image_prior.type": "noprior"})[0] == "Base_50%&co"  # first tie
    assert choose_reference(summary, {}, None)[0] == "DeepSPG"
    # an unmatched sweep-file reference falls back to the default instead of failing
    row, why = choose_reference(summary, {}, {"method": "Missing"})
    assert row == "DeepSPG" and "matches no row" in why
    with pytest.raises(LLIEError, match="matches no row"):
        choose_reference(summary, {"method": "Missing"}, None)
    with pytest.raises(LLIEError, match="unknown key"):
        choose_reference(summary, {"model.nope": "x"}, None)
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_reference(["no-equals-sign"])


def test_sweep_json_written_by_the_runner_wins_over_a_sweep_yaml(tmp_path):
    (tmp_path / "sweep.yaml").write_text("sweep:\n  reference: {method: U-Net}\n")
    (tmp_path / "sweep.json").write_text('{"name": "demo", "reference": {"+model.image_prior.type": "NoPrior"}}')
    assert sweep_reference(tmp_path) == {"model.image_prior.type": "NoPrior"}


def test_priors_read_from_json_component_values():
    frame = make_results()
    frame["model.image_prior.type"] = frame["method"].map(
        {"DeepSPG": '{"type":"NoPrior"}', "Base_50%&co": '{"type":"SegFormerPrior","variant":"b0"}', "U-Net": "null"})
    summary = summarise(frame, "demo")[0]
    assert choose_reference(summary, {}, None)[0] == "Base_50%&co"
    assert choose_reference(summary, {"model.image_prior.type": {"type": "NoPrior"}}, None)[0] == "DeepSPG"


def test_sweep_yaml_reference_is_read_from_the_sweep_dir(tmp_path):
    assert sweep_reference(tmp_path) is None
    (tmp_path / "sweep.yaml").write_text("sweep:\n  name: demo\n  reference: {method: U-Net}\n")
    wanted = sweep_reference(tmp_path)
    assert wanted == {"method": "U-Net"}
    summary = summarise(make_results(), "demo")[0]
    reference, why = choose_reference(summary, {}, wanted)
    assert reference == "U-Net" and "sweep" in why
    deltas = ablation_table(summary, reference).data
    assert (deltas.loc[deltas["method"] == "U-Net", "lolv1/psnr_delta"] == 0).all()


def test_single_seed_shows_the_mean_alone():
    frame = make_results()
    summary = summarise(frame[frame["seed"] == 0], "demo")[0]
    table = comparison_table(summary)
    cell = table.rows[0][1]
    assert np.isnan(cell.spread)
    from llie.report.formats import markdown
    text = markdown(table)
    assert "±" not in text.split("\n", 1)[1].replace("mean ± std", "")


def test_repeated_measurement_keeps_the_latest_and_says_so():
    frame = make_results()
    again = frame[(frame["method"] == "U-Net") & (frame["seed"] == 0)].assign(
        value=99.0, cell_id="changed00000", finished_at="2030-01-01T00:00:00")
    summary = summarise(pd.concat([frame, again], ignore_index=True), "demo")[0]
    assert summary.mean("U-Net", "lolv1", "psnr") == pytest.approx(
        (99.0 + frame.query("method == 'U-Net' and seed == 1 and dataset == 'lolv1' and metric == 'psnr' "
                            "and protocol == 'retinexformer'")["value"].item()) / 2)
    assert any("duplicate" in note for note in summary.notes)


def test_one_method_label_with_different_overrides_becomes_two_rows():
    frame = make_results()
    base = frame["method"] == "Base_50%&co"
    frame.loc[base, "model.image_prior.type"] = "SegFormerPrior"
    frame.loc[base, "method"] = "U-Net"  # one label, two override combinations
    summary = summarise(frame, "demo")[0]
    assert summary.rows == ["DeepSPG", "U-Net (model.image_prior.type=NoPrior)",
                            "U-Net (model.image_prior.type=SegFormerPrior)"]
    assert not summary.notes  # not mistaken for repeated measurements


def test_params_are_split_into_trainable_and_frozen_and_flops_shown_only_when_measured():
    summary = summarise(make_results(flops=False), "demo")[0]
    table = comparison_table(summary)
    assert "Trainable (M)" in table.columns and "Frozen (M)" in table.columns
    assert "Params (M)" not in table.columns and "FLOPs (G)" not in table.columns
    deepspg = table.data[table.data["method"] == "DeepSPG"]
    assert deepspg["trainable_m"].item() == pytest.approx(0.4) and deepspg["frozen_m"].item() == pytest.approx(2.1)
    unet = table.data[table.data["method"] == "U-Net"]
    assert unet["trainable_m"].item() == pytest.approx(0.5) and unet["frozen_m"].item() == 0
    from llie.report.formats import markdown
    deepspg_line = next(line for line in markdown(table).splitlines() if line.startswith("| DeepSPG"))
    assert deepspg_line.endswith("| 0.40 | 2.10 |")
    assert "Trainable (M)" not in ablation_table(summary, "DeepSPG").columns


def test_a_store_without_trainable_counts_shows_total_params():
    summary = summarise(make_results().drop(columns="trainable_params"), "demo")[0]
    table = comparison_table(summary)
    assert "Params (M)" in table.columns and "Trainable (M)" not in table.columns
    assert table.data.loc[table.data["method"] == "DeepSPG", "params_m"].item() == pytest.approx(2.5)


def test_loaded_store_keeps_override_columns_as_text(tmp_path):
    sweep = write_store(tmp_path / "demo", make_results(), parquet=False)
    frame = load_results(sweep)
    assert frame["model.image_prior.type"].map(type).eq(str).all()
    assert frame["gt_mean"].dtype == bool and frame["seed"].dtype.kind == "i"


@pytest.mark.parametrize("smallest, decimals", [(2.5, 2), (0.5, 2), (0.05, 3), (0.012, 3), (0.001, 4), (1e-6, 4)])
def test_cost_columns_keep_small_models_readable(smallest, decimals):
    from llie.report.tables import cost_decimals

    assert cost_decimals(pd.Series([smallest, 10.0, float("nan")])) == decimals
