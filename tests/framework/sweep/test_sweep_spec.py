"""Sweep files: grid expansion (cartesian, zip, include, exclude) and one-line errors naming the file and key."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from llie.errors import ConfigError
from llie.paths import REPO_ROOT
from llie.sweep.spec import load_sweep, override_text, resolve_base


def _spec(tmp_path: Path, body: dict, check_keys: bool = False):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"sweep": {"base": "experiments/unet/unet_synthetic.yaml", **body}}))
    return load_sweep(path, check_keys=check_keys)


def _pairs(variants: list[dict]) -> set[tuple]:
    return {tuple(sorted(v.items(), key=lambda kv: kv[0])) for v in variants}


def test_grid_is_the_cartesian_product(tmp_path):
    spec = _spec(tmp_path, {"grid": {"a.x": [1, 2], "b.y": ["p", "q", "r"]}})
    variants = spec.variants()
    assert len(variants) == 6
    assert _pairs(variants) == {(("a.x", a), ("b.y", b)) for a in (1, 2) for b in "pqr"}


def test_zip_varies_keys_together_and_crosses_the_grid(tmp_path):
    spec = _spec(tmp_path, {"grid": {"a.x": [1, 2]},
                            "zip": [{"m.type": ["UNet", "Gamma"], "experiment.method": ["U", "G"]}]})
    variants = spec.variants()
    assert len(variants) == 4
    assert all((v["m.type"], v["experiment.method"]) in {("UNet", "U"), ("Gamma", "G")} for v in variants)
    assert {v["a.x"] for v in variants} == {1, 2}


def test_zip_alone_gives_one_cell_per_position(tmp_path):
    spec = _spec(tmp_path, {"zip": [{"a.x": [1, 2, 3], "b.y": [4, 5, 6]}]})
    assert spec.variants() == [{"a.x": 1, "b.y": 4}, {"a.x": 2, "b.y": 5}, {"a.x": 3, "b.y": 6}]


def test_exclude_drops_matching_combinations_and_include_adds_cells(tmp_path):
    spec = _spec(tmp_path, {"grid": {"a.x": [1, 2], "b.y": ["p", "q"]},
                            "exclude": [{"a.x": 2, "b.y": "q"}],
                            "include": [{"c.z": {"type": "Gamma", "auto": True}}, {"a.x": 1, "b.y": "p"}, {}]})
    variants = spec.variants()
    assert {"a.x": 2, "b.y": "q"} not in variants
    assert {"c.z": {"type": "Gamma", "auto": True}} in variants and {} in variants
    assert len(variants) == 3 + 2  # the include duplicating a grid cell is dropped
    assert spec.varied_keys() == ["a.x", "b.y", "c.z"]


def test_an_include_entry_runs_with_its_own_seeds_and_the_others_with_the_sweeps(tmp_path):
    """`seeds:` in an include entry is not a config key: it picks that entry's seeds (e.g. once for a deterministic
    method) while every other cell keeps sweep.seeds."""
    from llie.sweep.cells import build_cells

    spec = _spec(tmp_path, {"grid": {"model.enhancer.depth": [1, 2]}, "seeds": [0, 1, 2],
                            "include": [{"experiment.method": "Gamma", "model.enhancer": {"type": "GammaCorrection"},
                                         "seeds": [0]}]})
    assert spec.include == [{"experiment.method": "Gamma", "model.enhancer": {"type": "GammaCorrection"}}]
    assert [seeds for _, seeds in spec.seeded_variants()] == [[0, 1, 2], [0, 1, 2], [0]]
    cells = build_cells(spec)
    seeds: dict[str, list[int]] = {}
    for cell in cells:
        seeds.setdefault(cell.method, []).append(cell.seed)
    assert seeds == {"depth=1": [0, 1, 2], "depth=2": [0, 1, 2], "Gamma": [0]}
    assert all("seeds" not in cell.config for cell in cells)


def test_exclude_matches_values_whatever_their_key_order(tmp_path):
    spec = _spec(tmp_path, {"grid": {"m.e": [{"type": "A", "w": 1}, {"type": "B"}]},
                            "exclude": [{"m.e": {"w": 1, "type": "A"}}]})
    assert spec.variants() == [{"m.e": {"type": "B"}}]


def test_defaults_and_real_key_check(tmp_path):
    spec = _spec(tmp_path, {"grid": {"model.enhancer.depth": [1, 2], "+model.enhancer.extra": [1]}}, check_keys=True)
    assert spec.name == "s" and spec.datasets == ["synthetic"] and spec.seeds == [0]
    assert spec.executor.type == "local" and spec.executor.workers == 1
    assert spec.base == (REPO_ROOT / "experiments/unet/unet_synthetic.yaml").resolve()


def test_base_resolves_from_the_repo_root_or_the_sweep_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # neither depends on the current directory
    sweep_file = tmp_path / "ablations" / "x.yaml"
    sweep_file.parent.mkdir()
    assert resolve_base("experiments/unet/unet_synthetic.yaml", sweep_file).is_file()
    (sweep_file.parent / "mine.yaml").write_text("model: {enhancer: {type: UNet}}\n")
    assert resolve_base("mine.yaml", sweep_file) == (sweep_file.parent / "mine.yaml").resolve()


@pytest.mark.parametrize("value", [1e-06, 0.5, 3, True, None, "U-Net", "1", "", [1, 2], {"type": "A", "k": [1]}])
def test_override_text_reads_back_as_the_same_value(value):
    from llie.config import parse_override

    assert parse_override(override_text("a.b", value)) == ("a.b", value, False)


BAD = [
    ({"grid": {"model.enhancer.depth": [1]}, "gird": {}}, "unknown key 'sweep.gird'"),
    ({"grid": [1, 2]}, "sweep.grid must be a mapping"),
    ({"grid": {}}, "sweep.grid is empty"),
    ({"grid": {"model.enhancer.depth": []}}, "sweep.grid.model.enhancer.depth must be a non-empty list"),
    ({"grid": {"model.enhancer.dept": [1]}}, "non-existent key 'model.enhancer.dept'"),
    ({"grid": {"seed": [1, 2]}}, "sweep.grid.seed"),
    ({"zip": [{"model.enhancer.depth": [1, 2], "experiment.method": ["a"]}]}, "same length"),
    ({"grid": {"model.enhancer.depth": [1]}, "exclude": [{"train.max_iters": 3}]}, "sweep.exclude[0].train.max_iters"),
    ({"grid": {"model.enhancer.depth": [1]}, "datasets": ["lolv3"]}, "unknown dataset 'lolv3'"),
    ({"grid": {"model.enhancer.depth": [1]}, "seeds": ["0"]}, "sweep.seeds"),
    ({"grid": {"model.enhancer.depth": [1]}, "protocols": [{"protocol": "psnr-y"}]}, "sweep.protocols[0]"),
    ({"grid": {"model.enhancer.depth": [1]}, "executor": {"type": "pbs"}}, "sweep.executor.type"),
    ({"grid": {"model.enhancer.depth": [1]}, "executor": {"type": "local", "partition": "gpu"}},
     "sweep.executor.partition"),
    ({"grid": {"model.enhancer.depth": [1]}, "reference": {"train.max_iters": 3}}, "sweep.reference.train.max_iters"),
    ({"grid": {"model.enhancer.depth": [1]}, "overrides": {"train.max_iter": 3}}, "sweep.overrides"),
    ({"include": [{"model.enhancr": {"type": "GammaCorrection"}}]}, "sweep.include[0]"),
    ({"datasets": ["synthetic"]}, "defines no cells"),
    ({"include": [{"experiment.method": "G", "seeds": 0}]}, "sweep.include[0].seeds"),
    ({"include": [{"experiment.method": "G", "seeds": [1, 1]}]}, "sweep.include[0].seeds"),
    ({"include": [{}], "missing_weights": "ignore"}, "sweep.missing_weights"),
    ({"grid": {"model.enhancer.depth": [1]}, "base": "nowhere.yaml"}, "sweep.base 'nowhere.yaml' not found"),
]


@pytest.mark.parametrize("body,expected", BAD, ids=[b[1][:30] for b in BAD])
def test_problems_are_one_config_error_line_naming_file_and_key(tmp_path, body, expected):
    with pytest.raises(ConfigError) as info:
        _spec(tmp_path, body, check_keys=True)
    message = str(info.value)
    assert expected in message
    assert "s.yaml" in message
    assert "\n" not in message


def test_a_file_without_a_sweep_section_is_refused(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text("model: {}\n")
    with pytest.raises(ConfigError, match="plain.yaml: a sweep file holds one top-level 'sweep:'"):
        load_sweep(path)


def test_dataset_file_resolves_beside_the_sweep_file(tmp_path, monkeypatch):
    """A dataset YAML named by a relative path is found next to the sweep file (as sweep.base is), from any folder."""
    from llie.sweep.cells import build_cells

    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "mine.yaml").write_text(yaml.safe_dump({"data": {
        "train": {"type": "SyntheticPairs", "split": "train", "image_size": 24, "photos": ["astronaut"]},
        "val": {"type": "SyntheticPairs", "split": "test", "image_size": 24, "photos": ["coffee"]}}}))
    (folder / "s.yaml").write_text(yaml.safe_dump({"sweep": {
        "name": "s", "base": "experiments/unet/unet_synthetic.yaml", "datasets": ["mine.yaml"], "include": [{}]}}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    spec = load_sweep(folder / "s.yaml", check_keys=True)
    (cell,) = build_cells(spec)
    assert cell.config["data"]["train"]["image_size"] == 24 and cell.dataset == "mine.yaml"
    with pytest.raises(ConfigError, match=r"dataset file not found: other.yaml \(looked for .*project/other.yaml"):
        _spec(folder, {"datasets": ["other.yaml"], "include": [{}]})
