"""Tests that need real sample data or shared weights find them as the CLI does, and under CI they cannot skip."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text()
INNER_TESTS = """
import pytest

def test_uses_the_data(sample_data):
    pytest.skip("pretend the files were not found")

def test_uses_the_weights(shared_weights):
    pytest.skip("pretend the weights were not found")

@pytest.mark.needs_sample_data
def test_marked_only():
    pytest.skip("pretend")

def test_unrelated_skip():
    pytest.skip("no CUDA")
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=INNER_TESTS)
    data, weights = tmp_path / "data", tmp_path / "weights"
    data.mkdir()
    weights.mkdir()
    monkeypatch.setenv("LLIE_SAMPLE_DATA", str(data))
    monkeypatch.setenv("LLIE_WEIGHTS", str(weights))
    return pytester


def test_sample_data_fixture_finds_the_folder_the_cli_finds(sample_data):
    from llie.paths import sample_data_dir

    assert sample_data == sample_data_dir()


def test_without_ci_a_missing_file_is_a_skip(inner, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    inner.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(skipped=4)


def test_under_ci_a_skip_of_a_test_needing_existing_data_or_weights_fails(inner, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = inner.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3, skipped=1)  # only the unrelated skip stays a skip
    result.stdout.fnmatch_lines(["*test_uses_the_data skipped under CI although the sample data*exists at*"])


def test_under_ci_a_skip_is_allowed_when_the_folder_really_is_absent(inner, monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("LLIE_SAMPLE_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("LLIE_WEIGHTS", str(tmp_path / "nowhere"))
    import llie.paths

    monkeypatch.setattr(llie.paths, "_beside_checkout", lambda name: [])  # no ../shared either
    inner.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(skipped=4)
