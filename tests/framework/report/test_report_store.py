"""Reading the results store: parquet first, CSV fallback, one clear error when there is nothing; --rebuild."""
from __future__ import annotations

import sys
import types

import pandas as pd
import pytest
from report_store_factory import make_results, write_store

from llie.cli.main import main
from llie.errors import LLIEError
from llie.report.store import load_results, rebuild_store


def test_parquet_is_preferred_and_csv_is_the_fallback(tmp_path):
    frame = make_results()
    sweep = write_store(tmp_path / "demo", frame, csv=False)
    write_store(sweep, frame.assign(value=1.0), parquet=False)  # a CSV that disagrees
    assert load_results(sweep)["value"].tolist() == pytest.approx(frame["value"].tolist())
    (sweep / "results.parquet").unlink()
    assert (load_results(sweep)["value"] == 1.0).all()
    (sweep / "results.parquet").write_bytes(b"PAR1 truncated")  # damaged parquet: the CSV still serves
    assert (load_results(sweep)["value"] == 1.0).all()


def test_csv_store_values_round_trip(tmp_path):
    frame = make_results()
    loaded = load_results(write_store(tmp_path / "demo", frame, parquet=False))
    assert loaded["value"].to_numpy() == pytest.approx(frame["value"].to_numpy(), rel=0, abs=1e-12)
    assert loaded["gt_mean"].tolist() == frame["gt_mean"].tolist()


@pytest.mark.parametrize("make", ["no_dir", "no_store", "empty_csv"])
def test_missing_or_empty_store_is_one_clear_error(tmp_path, make):
    sweep = tmp_path / "demo"
    if make != "no_dir":
        sweep.mkdir()
    if make == "empty_csv":
        make_results().iloc[:0].to_csv(sweep / "results.csv", index=False)
    with pytest.raises(LLIEError) as info:
        load_results(sweep)
    message = str(info.value)
    assert "\n" not in message and str(sweep) in message and "llie sweep" in message


def test_store_without_required_columns_names_them(tmp_path):
    sweep = write_store(tmp_path / "demo", make_results().drop(columns=["protocol"]))
    with pytest.raises(LLIEError, match="protocol"):
        load_results(sweep)


def test_rebuild_calls_the_sweep_store(tmp_path, monkeypatch):
    calls = []

    def fake_rebuild(sweep_dir):
        calls.append(sweep_dir)
        write_store(sweep_dir, make_results())

    try:
        import llie.sweep.store as store

        monkeypatch.setattr(store, "rebuild", fake_rebuild)
    except ImportError:  # the sweep package is not there: stand in for it
        package, store = types.ModuleType("llie.sweep"), types.ModuleType("llie.sweep.store")
        package.__path__ = []
        package.store, store.rebuild = store, fake_rebuild
        monkeypatch.setitem(sys.modules, "llie.sweep", package)
        monkeypatch.setitem(sys.modules, "llie.sweep.store", store)
    sweep = tmp_path / "demo"
    sweep.mkdir()
    rebuild_store(sweep)
    assert calls == [sweep]
    assert len(load_results(sweep)) == len(make_results())


def test_rebuild_without_the_sweep_package_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "llie.sweep.store", None)  # import fails
    with pytest.raises(LLIEError, match="--rebuild needs llie.sweep.store.rebuild"):
        rebuild_store(tmp_path)


def test_cli_report_writes_everything_and_fails_in_one_line(tmp_path, capsys):
    sweep = write_store(tmp_path / "demo", make_results())
    assert main(["report", str(sweep), "--out", str(tmp_path / "out"), "--no-images",
                 "--reference", "method=U-Net"]) == 0
    ablation = pd.read_csv(tmp_path / "out" / "ablation.csv")
    assert set(ablation.loc[ablation["reference"], "method"]) == {"U-Net"}
    assert "index.html" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "llie sweep" in err
