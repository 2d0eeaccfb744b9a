"""Safe ROS 2 environment defaults for local runs. Imports no rclpy.

Fast DDS otherwise announces itself by multicast on every network interface. Local runs
keep discovery on this machine; a multi-machine deployment sets
``ROS_AUTOMATIC_DISCOVERY_RANGE=SUBNET`` (and usually ``ROS_STATIC_PEERS``) explicitly,
which these defaults never override. (``ROS_LOCALHOST_ONLY`` is ignored by ROS 2 Kilted.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

DEFAULT_DISCOVERY_RANGE = "LOCALHOST"


def apply_ros_defaults(env: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Fill in the project's ROS defaults where the caller has not chosen.

    Call before ``rclpy.init`` (the middleware reads these at init). Returns ``env``
    (``os.environ`` by default) so a child-process environment can be prepared too.
    """
    env = os.environ if env is None else env
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", DEFAULT_DISCOVERY_RANGE)
    env.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    if "ROS_LOG_DIR" not in env:
        home = env.get("HOME")
        base = Path(home) / ".ros" / "log" if home else Path(tempfile.gettempdir()) / "robomatrix-ros-log"
        env["ROS_LOG_DIR"] = str(base)
    return env
