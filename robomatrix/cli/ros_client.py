"""A short-lived rclpy node for CLI verbs: wait for a message, call a service, publish."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from robomatrix.errors import RobomatrixError
from robomatrix.rosenv import apply_ros_defaults


class StackNotRunningError(RobomatrixError):
    """The stack (or the node a verb talks to) does not answer."""


GOAL_ANSWER_S = 3.0  # s without an answer to a goal request before it is taken as lost
PROBE_ANSWER_S = 1.5  # s for the result probe of a goal the server does not know to come back


def send_goal(client: Any, goal: Any, spin_once: Callable[[float], None],
              feedback: Callable[[Any], None] | None = None, timeout: float = 30.0,
              while_waiting: Callable[[], None] | None = None) -> Any:
    """Send an action goal and return its goal handle, surviving a lost request or acceptance reply.

    Fast DDS drops a service reply whose reader the server has not matched yet (it waits 100 ms),
    and a request sent before the server's reader matched this client's writer is lost too: right
    after start-up, on a loaded machine, either can happen however long the client waited for the
    server. With no answer after ``GOAL_ANSWER_S`` the server is asked for the goal's result by its
    id: a goal it does not know is answered at once with STATUS_UNKNOWN (the request was lost: it is
    sent again under a new id); a goal it knows (accepted, its reply lost) is followed by its id, as
    the scheduler follows skill goals. ``spin_once(seconds)`` spins the client's node;
    ``while_waiting()`` runs after each spin (the goal may already be running meanwhile).
    Raises :class:`StackNotRunningError` when nothing answers within ``timeout``."""
    import uuid

    from action_msgs.msg import GoalStatus
    from rclpy.action.client import ClientGoalHandle
    from unique_identifier_msgs.msg import UUID

    def spin(seconds: float) -> None:
        spin_once(seconds)
        if while_waiting is not None:
            while_waiting()

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        goal_id = UUID(uuid=list(uuid.uuid4().bytes))
        fut = client.send_goal_async(goal, feedback_callback=feedback, goal_uuid=goal_id)
        answer_by = min(end, time.monotonic() + GOAL_ANSWER_S)
        while time.monotonic() < answer_by and not fut.done():
            spin(0.02)
        if fut.done():
            return fut.result()
        accepted = client._action_type.Impl.SendGoalService.Response(accepted=True)
        handle = ClientGoalHandle(client, goal_id, accepted)
        probe = handle.get_result_async()
        probe_by = time.monotonic() + PROBE_ANSWER_S
        while time.monotonic() < probe_by and not probe.done() and not fut.done():
            spin(0.02)
        if fut.done():  # the reply was only late
            return fut.result()
        if probe.done() and probe.result().status == GoalStatus.STATUS_UNKNOWN:
            continue  # the server never got the goal: send it again
        return handle  # the server runs (or ran) it
    raise StackNotRunningError(f"the action server did not answer a goal within {timeout:g} s; is the stack running "
                               "(`robomatrix launch`) in this ROS_DOMAIN_ID and namespace?")


def destroy_waitables(node: Any) -> None:
    """Destroy the action clients and servers made on ``node``: rclpy's ``destroy_node`` leaves them to the garbage
    collector, which may free their handles after the context is shut down (a segfault in a later callback)."""
    for waitable in list(node.waitables):
        destroy = getattr(waitable, "destroy", None)
        if destroy is not None:
            try:
                destroy()
            except Exception:  # noqa: BLE001 - already destroyed by its owner: nothing left to free
                pass


def _ns(namespace: str, name: str) -> str:
    if name.startswith("/") or not namespace:
        return name
    return "/" + namespace.strip("/") + "/" + name


class RosClient:
    """``with RosClient(namespace) as c: c.wait_for_message(...)``."""

    def __init__(self, namespace: str = "", name: str = "robomatrix_cli") -> None:
        self.namespace = namespace
        self.name = f"{name}_{os.getpid()}"
        self.node: Any = None

    def __enter__(self) -> RosClient:
        apply_ros_defaults()
        import rclpy

        rclpy.init()
        self.node = rclpy.create_node(self.name)
        return self

    def __exit__(self, *exc: object) -> None:
        import rclpy

        if self.node is not None:
            destroy_waitables(self.node)
            self.node.destroy_node()
        rclpy.try_shutdown()

    def topic(self, name: str) -> str:
        return _ns(self.namespace, name)

    def spin_once(self, timeout: float = 0.05) -> None:
        import rclpy

        rclpy.spin_once(self.node, timeout_sec=timeout)

    def send_goal(self, client: Any, goal: Any, feedback: Callable[[Any], None] | None = None,
                  timeout: float = 30.0, while_waiting: Callable[[], None] | None = None) -> Any:
        """:func:`send_goal` on this node."""
        return send_goal(client, goal, self.spin_once, feedback, timeout, while_waiting)

    def wait_for_message(self, msg_type: type, topic: str, timeout: float = 5.0,
                         until: Callable[[Any], bool] | None = None) -> Any:
        """The latest message on ``topic``; with ``until``, the first one for which it is true (None if none
        came within ``timeout`` while messages did)."""
        got: list[Any] = []
        ok: list[Any] = []

        def on_msg(m: Any) -> None:
            got.append(m)
            if until is not None and not ok and until(m):
                ok.append(m)

        sub = self.node.create_subscription(msg_type, self.topic(topic), on_msg, 10)
        deadline = time.monotonic() + timeout
        try:
            while (not got if until is None else not ok) and time.monotonic() < deadline:
                self.spin_once(0.05)
        finally:
            self.node.destroy_subscription(sub)
        if not got:
            raise StackNotRunningError(
                f"no message on {self.topic(topic)} within {timeout:g} s; is the stack running "
                "(`robomatrix launch`) in this ROS_DOMAIN_ID and namespace?"
            )
        if until is not None:
            return ok[0] if ok else None
        return got[-1]

    def call(self, srv_type: type, name: str, request: Any, timeout: float = 5.0) -> Any:
        import rclpy

        client = self.node.create_client(srv_type, self.topic(name))
        try:
            if not client.wait_for_service(timeout_sec=timeout):
                raise StackNotRunningError(
                    f"service {self.topic(name)} not available within {timeout:g} s; is the stack running "
                    "(`robomatrix launch`) in this ROS_DOMAIN_ID and namespace?"
                )
            future = client.call_async(request)
            rclpy.spin_until_future_complete(self.node, future, timeout_sec=timeout)
            if not future.done():
                raise StackNotRunningError(f"service {self.topic(name)} did not answer within {timeout:g} s")
            return future.result()
        finally:
            self.node.destroy_client(client)
