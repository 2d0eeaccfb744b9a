"""The per-skill perception benchmark runs at toy size, and its judge is the simulator's world:
one oracle move_to episode on unseen objects, on the truth and through the camera (numbers: README)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sim


def test_skills_perception_benchmark_toy(tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "skills_perception.json"
    run = subprocess.run([sys.executable, str(repo_root / "bench" / "bench_skills_perception.py"), "--episodes", "1",
                          "--skills", "move_to", "--controllers", "oracle", "--out", str(out)],
                         capture_output=True, text=True, timeout=600, cwd=repo_root)
    assert run.returncode == 0, run.stderr[-3000:]
    cell = json.loads(out.read_text())["results"]["oracle"]["move_to"]
    for world in ("truth", "perception"):
        (episode,) = cell[world]["episodes"]
        assert episode["args"]["object"] and cell[world]["success"]["n"] == 1
        # a reported success the simulator's world denies is counted, never hidden
        assert cell[world]["false_successes"] == int(episode["reported"] and not episode["success"])
    assert cell["truth"]["success"]["k"] == 1, cell["truth"]["episodes"]
