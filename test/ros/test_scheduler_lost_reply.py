"""A skill goal whose acceptance reply is lost still runs to its result (issue 13 follow-up).

Fast DDS drops a service reply whose reader the server has not matched yet; right after start-up
on a loaded machine the scheduler's goal can be accepted and run by the skill server while the
answer never arrives. The scheduler then follows the goal by its id (the skill server's
heartbeat names it) instead of reporting "did not answer" while the arm moves."""

from __future__ import annotations

import time

import pytest

from robomatrix.msg import WorldState
from robomatrix.skills.status import SkillStatus

pytestmark = pytest.mark.ros


def test_a_lost_acceptance_is_adopted_from_the_heartbeat(start_node, ros, tmp_path) -> None:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.task import Future

    from robomatrix.nodes.scheduler_node import SchedulerNode

    start_node("hardware")
    start_node("skill_server", controller="oracle", intervention_dir=str(tmp_path / "iv"))
    obs = ros.latest(WorldState, "observation")
    ros.wait_until(lambda: len(obs) > 0, 30.0, "observations")
    block = next(o.id for o in obs[-1].objects if o.category == "block")

    rclpy.init()
    try:
        node = SchedulerNode()
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        action = node.client.action
        assert action.wait_for_server(timeout_sec=30.0)
        deadline = time.monotonic() + 10.0
        while node.server_beat == 0.0 and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
        assert node.server_beat > 0.0, "no skill_server_alive heartbeat"

        real_send = action.send_goal_async

        def send_and_lose_the_reply(*args, **kwargs):  # type: ignore[no-untyped-def]
            real_send(*args, **kwargs)  # the goal goes out and is accepted ...
            return Future()  # ... but its answer never comes back

        action.send_goal_async = send_and_lose_the_reply
        handle = node.client.start("move_to", {"object": block})
        deadline = time.monotonic() + 40.0
        while handle.status() == SkillStatus.RUNNING and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.02)
        assert handle.status() == SkillStatus.SUCCEEDED, handle.reason()
        executor.remove_node(node)
        node.destroy_node()
    finally:
        rclpy.shutdown()
