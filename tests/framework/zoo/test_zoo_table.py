"""Every zoo entry is well-formed, and the shipped configs name only zoo weights."""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import urlparse

import pytest
import yaml

from llie.paths import CONFIG_ROOT, EXPERIMENTS
from llie.zoo import ZOO, entry_for_file, get_entry
from llie.zoo.resolve import looks_like_name

ENTRIES = list(ZOO.values())


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry_is_well_formed(entry):
    assert looks_like_name(entry.name) and entry.name == entry.name.lower()
    url = urlparse(entry.url)
    assert url.scheme == "https" and url.netloc and url.path
    assert re.fullmatch(r"[0-9a-f]{64}|[0-9a-f]{6,16}", entry.sha256), "a full sha256 or a published prefix"
    assert entry.size is None or entry.size > 0
    for text in (entry.licence, entry.citation, entry.component):
        assert text.strip()
    for name in entry.local_names:
        assert PurePosixPath(name).name == name and PurePosixPath(name).suffix in (".pth", ".pt", ".safetensors")
    if entry.config:
        assert (CONFIG_ROOT / entry.config).is_file()


@pytest.mark.parametrize("entry", [e for e in ENTRIES if not e.full_hash], ids=lambda e: e.name)
def test_a_hash_prefix_is_the_one_in_the_published_file_name(entry):
    """mmseg publishes only the first 8 hex digits of a file's sha256, in its name (`…-<sha256[:8]>.pth`)."""
    assert PurePosixPath(urlparse(entry.url).path).stem.endswith(f"-{entry.sha256}")


def test_names_and_file_names_are_unique():
    files = [name for e in ENTRIES for name in e.local_names]
    assert len(files) == len(set(files))
    assert all(entry_for_file(f) is get_entry(e.name) for e in ENTRIES for f in e.local_names)


def _pretrained_values(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pretrained" and value is not None:
                yield value
            else:
                yield from _pretrained_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from _pretrained_values(item)


def test_shipped_configs_name_zoo_weights():
    named = {v for path in EXPERIMENTS.rglob("*.yaml") for v in _pretrained_values(yaml.safe_load(path.read_text()))}
    assert named, "the shipped configs name no pretrained weights"
    assert named <= set(ZOO), f"not zoo names: {sorted(named - set(ZOO))}"
