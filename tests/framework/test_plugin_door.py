"""The plugin door: entry-point discovery, isolation of broken plugins, provenance — and a real third-party package."""
from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from llie.config import load_config
from llie.errors import RegistryError
from llie.plugin_door import load_plugins, provider_of
from llie.registry import build

BUILTIN = ["baselines", "clip_prior", "core", "datasets", "deepspg", "espnet_prior", "losses", "metrics",
           "mmseg_priors", "retinex", "sam_prior", "unet"]


def test_builtin_plugins_load_through_entry_points():
    state = load_plugins()
    assert state.failed == {}
    assert set(BUILTIN) <= set(state.loaded)
    assert provider_of("enhancers", "UNet") == "unet"
    assert provider_of("models", "SemanticPriorModel") == "core"
    assert provider_of("image_priors", "ESPNetv2Prior") == "espnet_prior"


def _make_dist(site: Path, name: str, module_source: str) -> None:
    """A minimal installed distribution (dist-info with entry_points.txt) exposing ``module_source`` as a plugin."""
    (site / f"{name}.py").write_text(textwrap.dedent(module_source))
    info = site / f"{name}-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(f"[llie.plugins]\n{name} = {name}\n")


@pytest.fixture
def extra_site(tmp_path):
    """A folder on sys.path for throwaway plugin packages; the plugin state is restored afterwards."""
    site = tmp_path / "site"
    site.mkdir()
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    yield site
    sys.path.remove(str(site))
    for mod in [m for m in sys.modules if m.startswith("llie_tp_")]:
        del sys.modules[mod]
    importlib.invalidate_caches()
    load_plugins(reload=True)


def test_broken_plugin_warns_and_others_still_load(extra_site):
    _make_dist(extra_site, "llie_tp_broken", "raise ImportError('missing dependency xyz')\n")
    with pytest.warns(RuntimeWarning, match=r"llie plugin 'llie_tp_broken' was not loaded .*missing dependency xyz"):
        state = load_plugins(reload=True)
    assert "llie_tp_broken" in state.failed
    assert set(BUILTIN) <= set(state.loaded)
    # a config that needs a name nobody registered mentions the failed plugin
    with pytest.raises(RegistryError, match="llie_tp_broken"):
        build("image_priors", {"type": "BrokenPrior"})


def test_plugin_whose_hook_raises_leaves_nothing_registered(extra_site):
    _make_dist(extra_site, "llie_tp_halfway", """
        from llie import hookimpl
        from torch import nn

        class Halfway(nn.Module):
            pass

        @hookimpl
        def llie_register(registries):
            registries.enhancers.register_module(module=Halfway)
            raise RuntimeError("boom")
        """)
    with pytest.warns(RuntimeWarning, match="llie_tp_halfway.*boom"):
        load_plugins(reload=True)
    with pytest.raises(RegistryError):
        build("enhancers", "Halfway")


THIRD_PARTY_PRIOR = '''
"""A third party's image prior, shipped in its own package."""
import torch
from torch import nn

from llie import hookimpl
from llie.interfaces import ImagePrior, PriorFeatures


class EdgeMapPrior(ImagePrior):
    strides = (2,)
    channels = (4,)

    def __init__(self, width: int = 4):
        super().__init__()
        self.channels = (width,)
        self.conv = nn.Conv2d(3, width, 3, stride=2, padding=1)
        self.calls = 0
        self.freeze()

    def forward(self, x):
        self.calls += 1
        return PriorFeatures(levels=[(2, torch.relu(self.conv(x)))])


@hookimpl
def llie_register(registries):
    registries.image_priors.register_module(module=EdgeMapPrior)
'''


def test_third_party_package_prior_trains_without_edits(tmp_path, extra_site):
    """pip-install a throwaway package with its own pyproject + entry point, then train one step on its prior."""
    pkg = tmp_path / "pkg"
    (pkg / "llie_tp_edges").mkdir(parents=True)
    (pkg / "llie_tp_edges" / "__init__.py").write_text(THIRD_PARTY_PRIOR)
    (pkg / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "llie-tp-edges"
        version = "0.1.0"

        [project.entry-points."llie.plugins"]
        edges = "llie_tp_edges"
        """))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(extra_site), str(pkg)], check=True, capture_output=True)
    importlib.invalidate_caches()
    state = load_plugins(reload=True)
    assert "edges" in state.loaded
    assert provider_of("image_priors", "EdgeMapPrior") == "edges"

    config = tmp_path / "tp.yaml"
    config.write_text(textwrap.dedent("""
        seed: 0
        model:
          image_prior: {type: EdgeMapPrior, width: 4}
          enhancer: {type: SemanticAwareEnhancer, base_channels: 8, levels: 1, sem_scales: [1, 2]}
          losses: [{type: PixelLoss}]
        data:
          batch_size: 2
          train: {type: SyntheticPairs, split: train, image_size: 32, variants_per_image: 1, crop_size: 16}
          val: {type: SyntheticPairs, split: test, image_size: 32, variants_per_image: 1}
        train: {max_iters: 1, val_interval: 1}
        """))
    from llie.engine.training import train

    cfg = load_config(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = train(cfg, tmp_path / "work", progress=False)
    assert result.checkpoint.is_file()
    assert {"psnr", "ssim"} <= set(result.metrics)
