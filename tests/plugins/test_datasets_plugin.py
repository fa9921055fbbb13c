"""The 'datasets' plugin: every dataset it registers is built from the registry on a fixture tree and loads items."""
from __future__ import annotations

import pytest
import torch

from llie.data import DATASET_CLASSES
from llie.data.fixtures import write_layout
from llie.plugin_door import ensure_plugins_loaded, provider_of
from llie.registry import DATASETS, build

#: registry name -> (fixture layout or None for file-free datasets, extra config)
RECIPES = {
    "PairedFolder": ("paired_folder", {}),
    "LOLv1": ("lolv1", {}),
    "LOLv2Real": ("lolv2_real", {}),
    "LOLv2Synthetic": ("lolv2_synthetic", {}),
    "SID": ("sid", {}),
    "SMID": ("smid", {}),
    "SyntheticPairs": (None, {"image_size": 32, "variants_per_image": 1}),
    "UnpairedFolder": ("unpaired_folder", {}),
    "MixedSources": (None, {"sources": {"synthetic": {"share": 1.0, "dataset": {
        "type": "SyntheticPairs", "image_size": 32, "variants_per_image": 1, "crop_size": 16}}}}),
}
#: datasets without ground truth (and without splits)
UNPAIRED = {"UnpairedFolder"}
#: datasets without a split option
SPLITLESS = {"PairedFolder", "MixedSources"} | UNPAIRED


def _registered_by_plugin() -> list[str]:
    ensure_plugins_loaded()
    return sorted(name for name in DATASETS.module_dict if provider_of("datasets", name) == "datasets")


def test_plugin_registers_exactly_the_data_layer_classes():
    assert _registered_by_plugin() == sorted(cls.__name__ for cls in DATASET_CLASSES) == sorted(RECIPES)


@pytest.mark.parametrize("name", sorted(RECIPES))
@pytest.mark.parametrize("split", ["train", "test"])
def test_each_registered_dataset_builds_and_loads(tmp_path, name, split):
    layout, extra = RECIPES[name]
    cfg = {"type": name, **extra}
    if layout is not None:
        cfg["root"] = str(write_layout(layout, tmp_path / name))
    if name not in SPLITLESS:
        cfg["split"] = split
    ds = build("datasets", cfg)
    assert isinstance(ds, DATASETS.get(name)) and len(ds) > 0
    item = ds[len(ds) - 1]
    if name in UNPAIRED:
        assert "gt" not in item["data_samples"] and item["inputs"].shape[0] == 3
        assert item["inputs"].dtype == torch.float32 and item["data_samples"]["name"]
        return
    low, gt = item["inputs"], item["data_samples"]["gt"]
    assert low.ndim == 3 and low.shape[0] == 3 and low.shape == gt.shape and low.dtype == torch.float32
    assert 0.0 <= float(low.min()) and float(gt.max()) <= 1.0
    assert float(low.mean()) < float(gt.mean())
    assert isinstance(item["data_samples"]["name"], str) and item["data_samples"]["name"]


def test_unknown_option_is_reported_through_the_registry(tmp_path):
    from llie.errors import RegistryError

    root = write_layout("lolv1", tmp_path / "LOLv1")
    with pytest.raises(RegistryError, match="crop_sise"):
        build("datasets", {"type": "LOLv1", "root": str(root), "crop_sise": 64})
