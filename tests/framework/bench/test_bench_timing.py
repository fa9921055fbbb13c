"""Timing summaries and interleaving."""
from __future__ import annotations

import pytest

from llie.bench.timing import summarize, time_interleaved, time_repeated


def test_summary_is_median_and_quartiles():
    t = summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (t.median, t.q1, t.q3, t.iqr, t.runs) == (3.0, 2.0, 4.0, 2.0, 5)
    assert summarize([0.5]).iqr == 0.0
    with pytest.raises(ValueError):
        summarize([])


def test_warmup_calls_are_not_timed():
    calls = []
    t = time_repeated(lambda: calls.append(1), runs=4, warmup=2)
    assert len(calls) == 6 and t.runs == 4


def test_interleaving_alternates_the_order():
    order = []
    timings = time_interleaved({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, runs=3, warmup=1)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert timings["a"].runs == timings["b"].runs == 3
