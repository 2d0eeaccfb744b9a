"""Real-robot bridge core against the fake controller core, no ROS graph."""

from __future__ import annotations

import numpy as np
import pytest

from robomatrix.errors import ConfigError, NotConnectedError, RobomatrixError
from robomatrix.hardware.bridge import BridgeConfig, BridgeRobot
from robomatrix.hardware.fake_controller import FakeArmController
from robomatrix.hardware.interface import Action
from robomatrix.hardware.kinematics import Kinematics
from robomatrix.hardware.safety import SafetyLimits

READY = (0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785)


def _rig(interface: str = "joint_trajectory"):
    cfg = BridgeConfig(command_interface=interface)
    robot = BridgeRobot(cfg, SafetyLimits(), control_hz=60.0)
    robot.connect()
    kin = Kinematics(cfg.urdf, cfg.arm_joints, cfg.ee_link)
    arm = FakeArmController(kin, cfg.gripper_joints, READY)
    return robot, arm


def _loop(robot: BridgeRobot, arm: FakeArmController, action: Action, ticks: int) -> None:
    for _ in range(ticks):
        robot.update_joint_state(list(arm.joint_names), list(arm.positions), list(arm.velocities), arm.time)
        robot.send_action(action)
        cmd = robot.take_command()
        if cmd.kind == "joint_trajectory":
            arm.accept_trajectory(cmd.joint_names, cmd.positions, cmd.time_from_start)
        else:
            arm.accept_twist(cmd.linear, cmd.angular)
        arm.accept_trajectory(cmd.gripper_joint_names, cmd.gripper_positions, cmd.time_from_start or 0.03)
        arm.step(1 / 60)


@pytest.mark.parametrize("interface", ["joint_trajectory", "servo_twist"])
def test_velocity_command_moves_the_real_arm_model(interface: str) -> None:
    robot, arm = _rig(interface)
    _loop(robot, arm, Action.hold(), 5)
    start = robot.get_observation().ee_position
    _loop(robot, arm, Action(linear=np.array([0.0, 0.1, 0.0])), 60)  # 1 s at 0.1 m/s left
    end = robot.get_observation().ee_position
    assert end[1] - start[1] == pytest.approx(0.1, abs=0.03)
    assert abs(end[0] - start[0]) < 0.02 and abs(end[2] - start[2]) < 0.02
    robot.disconnect()


def test_speed_cap_and_gripper_apply_to_the_bridge() -> None:
    robot, arm = _rig()
    _loop(robot, arm, Action.hold(), 3)
    start = robot.get_observation().ee_position
    _loop(robot, arm, Action(linear=np.array([0.0, 0.0, 5.0]), gripper=1.0), 30)  # asks 5 m/s up
    end = robot.get_observation().ee_position
    assert end[2] - start[2] < 0.25 * 0.5 + 0.02  # capped at 0.25 m/s for 0.5 s
    assert robot.get_observation().gripper_width < 0.01


def test_never_commands_blind_and_rejects_nan() -> None:
    robot = BridgeRobot(BridgeConfig(), SafetyLimits())
    with pytest.raises(NotConnectedError):
        robot.send_action(Action.hold())
    robot.connect()
    with pytest.raises(RobomatrixError, match="no joint states"):
        robot.get_observation()
    assert robot.send_action(Action(linear=np.array([0.1, 0, 0]))).mode == "hold"
    assert robot.take_command() is None
    _, arm = _rig()
    robot.update_joint_state(list(arm.joint_names), list(arm.positions), list(arm.velocities), 0.0)
    assert robot.send_action(Action(linear=np.array([np.nan, 0, 0]))).mode == "hold"
    assert robot.safety.rejected == 1


def test_fake_controller_rejects_unknown_joints() -> None:
    _, arm = _rig()
    assert not arm.accept_trajectory(["elbow"], [0.1], 0.1)
    assert arm.rejected == 1


def test_bridge_config_errors() -> None:
    with pytest.raises(ConfigError, match="command_interface"):
        BridgeConfig(command_interface="effort")
    with pytest.raises(ConfigError, match="unknown bridge setting"):
        BridgeConfig.from_dict({"urdf_path": "x"})
    with pytest.raises(ConfigError, match="not found"):
        BridgeRobot(BridgeConfig(urdf="nope/robot.urdf"), SafetyLimits()).connect()
    with pytest.raises(ConfigError, match="not in panda.urdf"):
        BridgeRobot(BridgeConfig(arm_joints=("joint_a",)), SafetyLimits()).connect()
