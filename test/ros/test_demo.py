"""The README's main command, end to end: the whole stack, a plain-language task, one correction."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def test_main_command_runs_a_task_end_to_end(tmp_path: Path) -> None:
    """``robomatrix demo``: the whole stack on perceived objects, a plain-language task, one correction."""
    out = tmp_path / "demo"
    run = subprocess.run([sys.executable, "-m", "robomatrix.cli", "demo", "--out", str(out), "--seed", "0"],
                         capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] and summary["result"]["success"] and summary["goal_reached"]
    assert summary["corrections"] and any(f["source"] == "person" for f in summary["feedback"])
    assert summary["nodes_exit_code"] == 0
    assert (out / "camera.gif").stat().st_size > 10_000
    assert "person corrects: move arm up" in run.stdout and "step 4/4: release()" in run.stdout
    # the main command sees through the camera: the perception node's objects, the goal checked on the simulator
    assert summary["objects_from"] == "perception" and "started perception" in run.stdout + run.stderr


def test_main_command_on_the_simulator_s_truth(tmp_path: Path) -> None:
    """``robomatrix demo --truth``: the planner and the skills see the simulator's objects (the default, since
    the trained skills with perception succeed as often as on truth, is the perception node's)."""
    out = tmp_path / "demo"
    run = subprocess.run([sys.executable, "-m", "robomatrix.cli", "demo", "--out", str(out), "--seed", "0",
                          "--truth"], capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objects_from"] == "simulator"
    assert summary["ok"] and summary["result"]["success"] and summary["goal_reached"]
    assert "started perception" not in run.stdout + run.stderr
