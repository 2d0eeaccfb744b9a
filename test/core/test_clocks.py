"""Durations use monotonic clocks (issue 13, clock jumps): the wall clock is read only for timestamps.

A jump of the host's clock (NTP, a person setting it) cannot be made in a test without root, so
this checks the source: every ``time.time()`` / ``datetime.now()`` in robomatrix/ is a timestamp
on the list below, never a start or end of a duration; timers of the nodes run on the steady
clock (a jump of the ROS clock is tested with real processes in test/ros/test_faults.py).
"""

from __future__ import annotations

import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "robomatrix"
WALL = re.compile(r"\btime\.time\(\)|\bdatetime\.now\(|\bdatetime\.utcnow\(|\btime\.time_ns\(\)")
# file -> the number of wall-clock reads it may have (each one is a timestamp, not a duration)
TIMESTAMPS = {
    "scheduler/backends/openai_compat.py": 1,  # "created" of a chat-completion answer
}


def test_the_wall_clock_is_read_only_for_timestamps() -> None:
    found: dict[str, int] = {}
    for path in PKG.rglob("*.py"):
        n = len(WALL.findall(path.read_text()))
        if n:
            found[str(path.relative_to(PKG))] = n
    assert found == TIMESTAMPS, (
        f"wall-clock reads {found}; a duration must use time.monotonic() (a clock jump would stretch or "
        "cut it), a timestamp goes on TIMESTAMPS here with a comment saying what it stamps")


def test_node_timers_run_on_the_steady_clock() -> None:
    nodes = PKG / "nodes"
    for name in ("hardware_node.py", "skill_server_node.py", "scheduler_node.py"):
        text = (nodes / name).read_text()
        calls = re.findall(r"create_timer\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)", text)
        assert calls, f"{name}: no create_timer call found (has the pattern gone stale?)"
        for call in calls:
            assert "STEADY_TIME" in call, f"{name}: {call}: a timer on the ROS clock stops or races when it jumps"
