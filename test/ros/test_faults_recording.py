"""Faults of the intervention recording (issue 13): the folder cannot be written or the disk is full.

A person's corrected episode must not be lost silently: the skill runs on, its result says the
recording failed and where the episode is (kept in memory, written with the next save that
can be), and a finished recording appears in the folder atomically (no half-written .mcap).

"Unwritable" here: the folder's path runs through a regular file, so it cannot be created
(chmod 0555 would not stop these tests when they run as root). "Full": the skill server runs
with RLIMIT_FSIZE (Python ignores SIGXFSZ, so a write past the limit fails with EFBIG, as a
full disk fails with ENOSPC); no root, no loop device needed.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rclpy.action import ActionClient

from robomatrix.action import ExecuteSkill
from robomatrix.learning.dataset import load_demonstrations
from robomatrix.msg import LanguageMotion, SkillArgument, WorldState

pytestmark = pytest.mark.ros


def _skill_server(log: Path, intervention_dir: Path, fsize: int | None = None) -> subprocess.Popen[bytes]:
    def limit() -> None:  # in the child, before exec
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    argv = [sys.executable, "-m", "robomatrix.nodes", "skill_server", "--ros-args", "-p", "controller:=oracle",
            "-p", f"intervention_dir:={intervention_dir}", "-p", "correction_hold:=0.5"]
    return subprocess.Popen(argv, stdout=log.open("w"), stderr=subprocess.STDOUT, preexec_fn=limit)


def _corrected_skill(ros, client, pub, ticks: int = 10) -> str:  # type: ignore[no-untyped-def]
    """A move_to a person corrects once, then cancels; the result's reason."""
    goal = ExecuteSkill.Goal(skill="move_to")
    goal.arguments.append(SkillArgument(name="object", type="object", value="red block"))
    feedback: list = []
    handle = ros.send_goal(client, goal, feedback.append)
    assert handle.accepted
    ros.wait_until(lambda: len(feedback) >= 3, 10.0, "the skill running")
    pub.publish(LanguageMotion(motion="move arm up", source="person"))
    ros.wait_until(lambda: any(f.feedback.source == "person" for f in feedback), 10.0, "the correction executed")
    n = len(feedback)
    ros.wait_until(lambda: len(feedback) >= n + ticks, 10.0, "a few more ticks")
    handle.cancel_goal_async()
    res = handle.get_result_async()
    ros.wait_until(res.done, 10.0, "the result")
    return res.result().result.reason


def _start(start_node, ros, tmp_path: Path, idir: Path, fsize: int | None = None):  # type: ignore[no-untyped-def]
    start_node("hardware")
    server = _skill_server(tmp_path / "skill_server.log", idir, fsize)
    obs = ros.latest(WorldState, "observation")
    client = ActionClient(ros.node, ExecuteSkill, "execute_skill")
    pub = ros.node.create_publisher(LanguageMotion, "correction", 10)
    ros.wait_until(lambda: len(obs) > 0, 30.0, "observations")
    assert ros.wait_ready(client, 30.0), (tmp_path / "skill_server.log").read_text()
    ros.wait_until(lambda: pub.get_subscription_count() > 0, 10.0, "the skill server subscribed to correction")
    return server, client, pub


def _stop(server: subprocess.Popen[bytes]) -> int:
    server.send_signal(signal.SIGINT)
    return server.wait(15)


def test_unwritable_intervention_folder_keeps_the_episode_and_says_so(start_node, ros, tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the folder's parent should be\n")
    idir = blocker / "interventions"
    server, client, pub = _start(start_node, ros, tmp_path, idir)
    try:
        reason = _corrected_skill(ros, client, pub)
        assert "could not be recorded" in reason and "1 episode(s) kept in memory" in reason, reason
        assert "make the folder writable" in reason
        # The folder becomes writable: the next corrected skill writes both episodes.
        blocker.unlink()
        idir.mkdir(parents=True)
        reason = _corrected_skill(ros, client, pub)
        assert "could not be recorded" not in reason, reason
        assert server.poll() is None, "the skill server keeps running"
    finally:
        assert _stop(server) == 0
    files = sorted(idir.glob("*.mcap"))
    assert len(files) == 2 and not list(idir.glob(".*.partial")), sorted(idir.iterdir())
    data = load_demonstrations(files)
    assert "person" in set(data.source)


def test_full_disk_reports_the_episode_kept_and_leaves_no_partial_file(start_node, ros, tmp_path: Path) -> None:
    idir = tmp_path / "interventions"
    server, client, pub = _start(start_node, ros, tmp_path, idir, fsize=8 * 1024)  # the MCAP header fits, not the steps
    try:
        reason = _corrected_skill(ros, client, pub, ticks=90)  # ~150 B a tick: past the limit
        assert "could not be recorded" in reason and "kept in memory" in reason, reason
        assert "File too large" in reason or "No space" in reason, reason
        assert server.poll() is None, "the skill server keeps running"
    finally:
        rc = _stop(server)
    log = (tmp_path / "skill_server.log").read_text()
    assert rc == 0, log[-3000:]
    assert not list(idir.glob("*.mcap")) and not list(idir.glob(".*.partial")), sorted(idir.iterdir())
    assert "intervention episode(s) are lost" in log  # said at shutdown: it could never be written
