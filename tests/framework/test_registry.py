from __future__ import annotations

import pytest
import torch

from llie.errors import RegistryError
from llie.registry import REGISTRIES, build, get_component


def test_every_kind_has_a_registry_in_scope_llie():
    assert set(REGISTRIES) >= {"models", "datasets", "metrics", "decomposers", "image_priors", "text_priors",
                               "enhancers", "losses"}
    assert all(reg.scope == "llie" for reg in REGISTRIES.values())


def test_unknown_name_is_one_line_with_registry_and_closest_names():
    with pytest.raises(RegistryError) as err:
        build("enhancers", {"type": "UNett"})
    message = str(err.value)
    assert "\n" not in message
    assert "'UNett'" in message and "'enhancers' registry" in message and "closest: UNet" in message


def test_build_from_bare_name_and_kwargs():
    net = build("enhancers", {"type": "UNet", "base_channels": 4, "depth": 1})
    assert net(torch.zeros(1, 3, 8, 8)).shape == (1, 3, 8, 8)
    assert type(build("enhancers", "UNet")).__name__ == "UNet"


def test_bad_keyword_names_the_component():
    with pytest.raises(RegistryError, match="cannot build enhancer 'UNet'.*widht"):
        build("enhancers", {"type": "UNet", "widht": 3})


def test_misspelt_argument_names_the_closest_one():
    with pytest.raises(RegistryError) as err:
        build("enhancers", {"type": "UNet", "base_chanels": 3})
    message = str(err.value)
    assert "enhancer 'UNet'" in message and "unknown argument 'base_chanels'" in message
    assert "did you mean 'base_channels'" in message and "\n" not in message


def test_get_component_returns_class():
    assert get_component("models", "SemanticPriorModel").__name__ == "SemanticPriorModel"
