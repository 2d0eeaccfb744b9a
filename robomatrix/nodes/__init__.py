"""Thin rclpy adapters over the core. Each node module has a ``main(argv)``.

Run one with ``python -m robomatrix.nodes <name> --ros-args ...`` or, in an installed
workspace, ``ros2 run robomatrix <name>``.
"""

from __future__ import annotations

import importlib
import sys

NODES = {
    "hardware": "robomatrix.nodes.hardware_node",
    "fake_controller": "robomatrix.nodes.fake_controller_node",
    "skill_server": "robomatrix.nodes.skill_server_node",
    "scheduler": "robomatrix.nodes.scheduler_node",
    "perception": "robomatrix.nodes.perception_node",
}


def main_entry(name: str, argv: list[str] | None = None) -> int:
    """Start node ``name`` with ROS arguments ``argv`` (default: sys.argv[1:])."""
    from robomatrix.rosenv import apply_ros_defaults

    apply_ros_defaults()
    if name not in NODES:
        sys.stderr.write(f"unknown node {name!r}; available: {', '.join(sorted(NODES))}\n")
        return 2
    try:
        module = importlib.import_module(NODES[name])
    except ModuleNotFoundError as e:
        sys.stderr.write(f"node {name!r} is not available in this version ({e})\n")
        return 2
    return int(module.main(sys.argv[1:] if argv is None else argv) or 0)
