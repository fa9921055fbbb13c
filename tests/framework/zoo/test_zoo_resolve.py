"""From ``pretrained:`` values to local files: explicit paths, then $LLIE_WEIGHTS, ../shared/weights, the cache."""
from __future__ import annotations

import logging

import pytest

from llie.errors import ConfigError
from llie.zoo import cache_dir, find_local, local_copies, resolve_weights, weights_dirs


def _place(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def test_null_is_random_init():
    assert resolve_weights(None, what="x") is None
    assert resolve_weights("", what="x") is None


def test_llie_weights_wins_over_shared_over_cache(entry, body, zoo_env, monkeypatch):
    monkeypatch.setenv("LLIE_WEIGHTS", str(zoo_env["weights"]))
    in_cache = _place(cache_dir(), entry.file, body)
    assert resolve_weights(entry.name, what="x") == in_cache
    in_shared = _place(zoo_env["shared"], entry.file, body)
    assert resolve_weights(entry.name, what="x") == in_shared
    in_weights = _place(zoo_env["weights"], entry.file, body)
    assert resolve_weights(entry.name, what="x") == in_weights
    assert weights_dirs() == [zoo_env["weights"], zoo_env["shared"], cache_dir()]
    assert local_copies(entry) == [in_weights, in_shared, in_cache]


def test_an_alias_is_found_after_the_file_name_in_the_same_folder(entry, body, zoo_env):
    alias = _place(zoo_env["shared"], entry.aliases[0], body)
    assert find_local(entry) == alias
    own = _place(zoo_env["shared"], entry.file, body)
    assert find_local(entry) == own


def test_an_existing_explicit_path_is_used_as_given(entry, body, tmp_path):
    mine = _place(tmp_path / "mine", entry.file, b"my own weights")
    _place(cache_dir(), entry.file, body)
    assert resolve_weights(str(mine), what="x") == mine


def test_a_missing_path_to_a_zoo_file_resolves_through_the_zoo(entry, body, zoo_env, monkeypatch):
    """Older configs wrote '{{$LLIE_WEIGHTS:weights}}/<file>': such paths keep working."""
    monkeypatch.chdir(zoo_env["shared"].parent)
    found = _place(zoo_env["shared"], entry.aliases[0], body)
    assert resolve_weights(f"weights/{entry.aliases[0]}", what="x") == found
    assert resolve_weights(f"/nowhere/{entry.file}", what="x") == found


def test_a_missing_path_that_is_no_zoo_file_is_left_to_the_loader(tmp_path):
    missing = tmp_path / "nothing.pth"
    assert resolve_weights(str(missing), what="x") == missing


def test_an_unknown_name_suggests_the_closest():
    with pytest.raises(ConfigError, match=r"unknown zoo weights 'sci_eassy' \(did you mean 'sci_easy'"):
        resolve_weights("sci_eassy", what="x")


def test_a_local_copy_with_another_hash_is_used_with_a_warning(entry, zoo_env, caplog):
    other = _place(zoo_env["shared"], entry.file, b"not the published bytes")
    with caplog.at_level(logging.WARNING, logger="llie.zoo.resolve"):
        assert resolve_weights(entry.name, what="Linear.pretrained") == other
    assert "is not the published test_linear" in caplog.text and "llie weights verify" in caplog.text


def test_a_good_local_copy_is_used_silently(entry, body, zoo_env, caplog):
    _place(zoo_env["shared"], entry.file, body)
    with caplog.at_level(logging.WARNING, logger="llie.zoo.resolve"):
        resolve_weights(entry.name, what="x")
    assert caplog.text == ""
