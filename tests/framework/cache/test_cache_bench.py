"""The cached-vs-uncached benchmark on a minimal grid: forward counts add up and the table prints them."""
from __future__ import annotations

from prior_cache_fixtures import run_config

from llie.cache.bench import compare, format_table


def test_compare_counts_prior_forwards_of_both_arms(tmp_path):
    result = compare(run_config(None), cells=2, iters=2, work_dir=tmp_path)
    uncached, cached = result["uncached"], result["cached"]
    # uncached: every cell pays 2 iterations × 2 crops + 1 validation image
    assert uncached["per_cell_feature_images"] == [5, 5] and uncached["feature_images"] == 10
    # cached: the first cell fills 2 training images + 1 validation image, the second pays nothing
    assert cached["per_cell_feature_images"] == [3, 0] and cached["cache"]["windows"] == 8
    assert result["feature_forward_ratio"] == 10 / 3
    assert result["wall_ratio"] > 0 and len(uncached["per_cell_wall_s"]) == 2
    table = format_table(result)
    assert "| no cache |" in table and "3.3× (features)" in table
