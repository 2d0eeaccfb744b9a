"""A short-lived rclpy node for CLI verbs: wait for a message, call a service, publish."""

from __future__ import annotations

import os
import time
from typing import Any

from robomatrix.errors import RobomatrixError
from robomatrix.rosenv import apply_ros_defaults


class StackNotRunningError(RobomatrixError):
    """The stack (or the node a verb talks to) does not answer."""


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
            self.node.destroy_node()
        rclpy.try_shutdown()

    def topic(self, name: str) -> str:
        return _ns(self.namespace, name)

    def spin_once(self, timeout: float = 0.05) -> None:
        import rclpy

        rclpy.spin_once(self.node, timeout_sec=timeout)

    def wait_for_message(self, msg_type: type, topic: str, timeout: float = 5.0) -> Any:
        got: list[Any] = []
        sub = self.node.create_subscription(msg_type, self.topic(topic), got.append, 10)
        deadline = time.monotonic() + timeout
        try:
            while not got and time.monotonic() < deadline:
                self.spin_once(0.05)
        finally:
            self.node.destroy_subscription(sub)
        if not got:
            raise StackNotRunningError(
                f"no message on {self.topic(topic)} within {timeout:g} s; is the stack running "
                "(`robomatrix launch`) in this ROS_DOMAIN_ID and namespace?"
            )
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
