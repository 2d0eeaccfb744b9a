"""Run ROS 2 XML launch files: through ``ros2 launch`` when installed, locally otherwise.

:mod:`.xml_launch` evaluates a launch file into plain dataclasses (no rclpy);
:mod:`.runner` starts, watches and stops the node processes.
"""

from __future__ import annotations

from robomatrix.launcher.runner import (
    LaunchRunner,
    NodeExit,
    build_node_command,
    build_node_env,
    delegate_to_ros2_launch,
    describe_arguments,
    launch,
    parse_launch_args,
    resolve_launch_file,
    ros2_launch_available,
    run_launch_file,
)
from robomatrix.launcher.xml_launch import (
    LaunchArgument,
    LaunchDescription,
    NodeSpec,
    Param,
    ParamFile,
    declared_arguments,
    default_package_shares,
    parse_launch_file,
)

__all__ = [
    "LaunchArgument",
    "LaunchDescription",
    "LaunchRunner",
    "NodeExit",
    "NodeSpec",
    "Param",
    "ParamFile",
    "build_node_command",
    "build_node_env",
    "delegate_to_ros2_launch",
    "describe_arguments",
    "launch",
    "parse_launch_args",
    "resolve_launch_file",
    "ros2_launch_available",
    "run_launch_file",
    "declared_arguments",
    "default_package_shares",
    "parse_launch_file",
]
