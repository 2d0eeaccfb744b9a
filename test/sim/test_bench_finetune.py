"""The fine-tuning benchmark runs end to end at toy size: record home-start demonstrations,
train, evaluate, collect corrections, fine-tune, evaluate again (numbers: README)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sim


def test_finetune_benchmark_toy(tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "finetune.json"
    run = subprocess.run([sys.executable, str(repo_root / "bench" / "bench_finetune.py"), "--episodes", "2",
                          "--rounds", "1", "--home-episodes", "4", "--epochs", "1", "--out", str(out)],
                         capture_output=True, text=True, timeout=600, cwd=repo_root)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(out.read_text())
    for key in ("home_only_before", "home_only_after", "committed_policy"):
        assert result[key]["episodes"] == 2 and 0 <= result[key]["successes"] <= 2
    assert len(result["dagger_rounds"]) == 1 and result["dagger_rounds"][0]["seed"] == 100
