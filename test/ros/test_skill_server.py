"""Skill server and hardware node as separate processes: goals, cancel, corrections, bad goals."""

from __future__ import annotations

import numpy as np
import pytest
from rclpy.action import ActionClient

from robomatrix.action import ExecuteSkill
from robomatrix.learning.dataset import load_demonstrations
from robomatrix.msg import ArmCommand, LanguageMotion, SkillArgument, WorldState
from robomatrix.srv import ListSkills

pytestmark = pytest.mark.ros


def _goal(skill: str, **args: object) -> ExecuteSkill.Goal:
    goal = ExecuteSkill.Goal(skill=skill)
    for k, v in args.items():
        if isinstance(v, float):
            goal.arguments.append(SkillArgument(name=k, type="number", number=v))
        else:
            goal.arguments.append(SkillArgument(name=k, type="object", value=str(v)))
    return goal


@pytest.fixture
def stack(start_node, ros, tmp_path):
    start_node("hardware")
    server = start_node("skill_server", controller="oracle", intervention_dir=str(tmp_path / "interventions"),
                        correction_hold=1.0)
    obs = ros.latest(WorldState, "observation")
    motions = ros.latest(LanguageMotion, "language_motion")
    commands = ros.latest(ArmCommand, "command")
    client = ActionClient(ros.node, ExecuteSkill, "execute_skill")
    ros.wait_until(lambda: len(obs) > 0, 30.0, "observations")
    assert ros.wait_ready(client, 30.0), server.output()
    ros.wait_publishers("/command")
    return {"server": server, "obs": obs, "motions": motions, "commands": commands, "client": client,
            "dir": tmp_path / "interventions"}


def _send(ros, client, goal, feedback=None):
    return ros.send_goal(client, goal, feedback, timeout=15.0)


def _result(ros, handle, timeout=40.0):
    fut = handle.get_result_async()
    ros.wait_until(fut.done, timeout, "skill result")
    return fut.result().result


def test_list_skills(stack, ros) -> None:
    client = ros.node.create_client(ListSkills, "list_skills")
    assert ros.wait_ready(client, 10.0)
    res = ros.call(client, ListSkills.Request(), 10.0, "list_skills")
    assert {"move_to", "grasp", "place_over", "release", "push", "open_drawer", "close_drawer"} <= set(res.names)
    assert all(d for d in res.descriptions) and "arguments" in res.specs_yaml[res.names.index("push")]


def test_goal_succeeds_with_feedback(stack, ros) -> None:
    feedback: list = []
    handle = _send(ros, stack["client"], _goal("move_to", object="red block"), feedback.append)
    assert handle.accepted
    result = _result(ros, handle)
    assert result.success, result.reason
    assert feedback and all(f.feedback.source == "policy" for f in feedback)
    assert {f.feedback.language_motion for f in feedback} - {"stop"}
    assert any(m.skill == "move_to" for m in stack["motions"])


@pytest.mark.parametrize(
    ("goal", "needle"),
    [
        (_goal("fly", object="red block"), "unknown skill"),
        (_goal("move_to", object="purple unicorn"), "purple unicorn"),
        (_goal("push", object="red block", direction="sideways"), "direction"),
        (_goal("grasp"), "object"),
    ],
)
def test_bad_goal_is_refused_with_reason(stack, ros, goal, needle: str) -> None:
    before = len(stack["commands"])
    result = _result(ros, _send(ros, stack["client"], goal))
    assert not result.success and needle in result.reason, result.reason
    ros.spin_for(0.3)
    assert len(stack["commands"]) == before, "a refused goal must not move the arm"


def test_cancel_holds_the_arm(stack, ros) -> None:
    # Cancel once the skill is seen running (its first feedback), not after a fixed wall time: on a loaded
    # machine a move_to had reached its block before a cancel sent 0.5 s in was served (CI). A goal that
    # still ended before the cancel reached it is tried once more, towards another block.
    for target in ("red block", "blue block"):
        feedback: list = []
        handle = _send(ros, stack["client"], _goal("move_to", object=target), feedback.append)
        ros.wait_until(lambda seen=feedback: seen, 10.0, "the skill running (feedback)")
        cancel = handle.cancel_goal_async()
        ros.wait_until(cancel.done, 5.0, "cancel response")
        result = _result(ros, handle)
        if not (result.success and cancel.result().return_code != 0):  # 0: the cancel was accepted
            break
    assert not result.success and "cancel" in result.reason
    commands = stack["commands"]
    ros.wait_until(lambda: commands[-1].mode == ArmCommand.MODE_HOLD, 5.0, "a hold command")
    # Observations, not wall time: on a loaded machine the simulation runs slower than real
    # time, so "0.5 s later" is measured in observations (60 Hz of simulated time).
    # The hardware node may apply the hold a few observations after this test sees it (another
    # process, a loaded machine): first wait for the arm to stop, then check that it stays.
    obs = stack["obs"]
    n = len(obs)

    def stopped() -> bool:
        v = obs[-1].ee_twist.linear
        return len(obs) >= n + 6 and float(np.linalg.norm([v.x, v.y, v.z])) < 0.01

    ros.wait_until(stopped, 10.0, "the arm stopping after the hold")
    p0 = np.array([obs[-1].ee_pose.position.x, obs[-1].ee_pose.position.y])
    n = len(obs)
    ros.wait_until(lambda: len(obs) >= n + 30, 10.0, "half a second of simulated time")
    p1 = np.array([obs[-1].ee_pose.position.x, obs[-1].ee_pose.position.y])
    assert np.linalg.norm(p1 - p0) < 0.01, "the arm holds after cancel"


def test_correction_changes_motion_and_is_logged(stack, ros) -> None:
    pub = ros.node.create_publisher(LanguageMotion, "correction", 10)
    ros.wait_until(lambda: pub.get_subscription_count() > 0, 10.0, "skill server subscribed to correction")
    handle = _send(ros, stack["client"], _goal("move_to", object="red block"))
    # A correction counts only while the skill runs (one that comes earlier is ignored, see the next
    # test): wait for the skill's own first language motion. A fixed 0.3 s was too short under load
    # (the first goal loads the skill's controller), and failed once in a fresh-clone run.
    ros.wait_until(lambda: any(m.source != "person" for m in stack["motions"]), 10.0, "the skill running")
    obs = stack["obs"]
    z0 = obs[-1].ee_pose.position.z
    pub.publish(LanguageMotion(motion="raise the arm", source="person"))
    ros.wait_until(lambda: any(m.source == "person" for m in stack["motions"]), 5.0, "a person-sourced motion")
    person = [m for m in stack["motions"] if m.source == "person"]
    assert person[0].motion == "move arm up"
    # within the 2 s hold (simulated time) the arm rises; waited for in observations, so a
    # simulation slower than real time on a loaded machine does not fail the test
    ros.wait_until(lambda: obs[-1].ee_pose.position.z > z0 + 0.03, 15.0, "the arm going up as the person said")
    result = _result(ros, handle)
    assert result.success, result.reason  # the policy resumes after the hold and finishes
    ros.wait_until(lambda: any(stack["dir"].glob("*.mcap")), 5.0, "the intervention recording")
    data = load_demonstrations(sorted(stack["dir"].glob("*.mcap")))
    assert "person" in set(data.source) and "policy" in set(data.source)


def test_correction_outside_a_skill_is_ignored(stack, ros) -> None:
    pub = ros.node.create_publisher(LanguageMotion, "correction", 10)
    ros.wait_until(lambda: pub.get_subscription_count() > 0, 10.0, "subscription")
    before = len(stack["commands"])
    pub.publish(LanguageMotion(motion="move arm up", source="person"))
    pub.publish(LanguageMotion(motion="dance wildly", source="person"))
    ros.wait_until(lambda: "ignored: no skill is running" in stack["server"].output(), 5.0, "the warning")
    assert len(stack["commands"]) == before


def test_the_harness_survives_a_lost_goal_request_and_a_lost_acceptance(stack, ros) -> None:
    """``RosHarness.send_goal`` (used by every ROS test): a goal request lost on the way is sent
    again; a goal whose acceptance reply is lost is followed by its id to its result."""
    from rclpy.task import Future

    client, sent = stack["client"], []
    real_send = client.send_goal_async

    def lossy_send(goal, feedback_callback=None, goal_uuid=None):  # type: ignore[no-untyped-def]
        sent.append(goal_uuid)
        if len(sent) == 1:
            return Future()  # the request never reaches the server
        if len(sent) == 2:
            real_send(goal, feedback_callback=feedback_callback, goal_uuid=goal_uuid)
            return Future()  # it runs, but its acceptance never comes back
        return real_send(goal, feedback_callback=feedback_callback, goal_uuid=goal_uuid)

    client.send_goal_async = lossy_send
    feedback: list = []
    handle = _send(ros, client, _goal("move_to", object="red block"), feedback.append)
    assert len(sent) == 2 and handle.accepted and bytes(handle.goal_id.uuid) == bytes(sent[1].uuid)
    result = _result(ros, handle)
    assert result.success, result.reason
    assert feedback, "the followed goal's feedback did not reach the callback"
