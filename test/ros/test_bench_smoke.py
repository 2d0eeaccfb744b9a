"""The hardware benchmark still runs end to end (numbers are not checked here: see README)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros


def test_hardware_benchmark_quick(tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "hardware.json"
    run = subprocess.run([sys.executable, str(repo_root / "bench" / "bench_hardware.py"), "--quick", "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["sim"]["real_time_factor"] > 0
    assert result["ros"]["observation_rate_hz"] > 0 and result["ros"]["camera_rate_hz"] > 0
    assert result["ros"]["latency_trials"] >= 1
    assert result["ros"]["hardware_node_exit_code"] == 0
