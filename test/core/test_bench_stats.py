"""bench/stats.py: the Wilson interval and the annotation of benchmark results."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("bench_stats", Path(__file__).resolve().parents[2] / "bench" / "stats.py")
stats = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(stats)


def test_wilson_known_values() -> None:
    assert stats.wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert stats.wilson(10, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    lo, hi = stats.wilson(49, 50)
    assert lo == pytest.approx(0.8950, abs=1e-4) and hi == pytest.approx(0.9965, abs=1e-4)
    assert stats.wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="successes <= n"):
        stats.wilson(11, 10)


def test_annotate_puts_n_and_interval_next_to_each_countable_rate() -> None:
    data = {"a": {"episodes": 50, "successes": 49, "success_rate": 0.98, "wall_s": 3.0},
            "planner": {"tasks": 600, "positives": 528, "negatives": 72, "valid_rate": 0.9981,
                        "refusal_accuracy": 0.9444},
            "odd": {"episodes": 50, "success_rate": 0.987}}  # 0.987 of 50 is no count: left alone
    stats.annotate_rates(data)
    assert list(data["a"]) == ["episodes", "successes", "success_rate", "success_rate_n", "success_rate_ci95", "wall_s"]
    assert data["a"]["success_rate_n"] == 50 and data["a"]["success_rate_ci95"] == [0.895, 0.9965]
    assert data["planner"]["valid_rate_n"] == 528 and data["planner"]["refusal_accuracy_n"] == 72
    assert "success_rate_ci95" not in data["odd"]
    again = {k: dict(v) for k, v in data.items()}
    assert stats.annotate_rates(again) == data  # idempotent
