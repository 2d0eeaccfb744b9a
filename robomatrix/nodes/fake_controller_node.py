"""Fake controller node: a real arm's controllers at the message level, for tests and demos.

Parameters
  config (str): robot.yaml whose bridge section names the URDF, joints and topics
  rate_hz (float): joint_states publish / integration rate (default 100)
Subscriptions
  <bridge.trajectory_topic>, <bridge.gripper_topic> (trajectory_msgs/JointTrajectory)
  <bridge.twist_topic> (geometry_msgs/TwistStamped)
Publishers
  <bridge.joint_states_topic> (sensor_msgs/JointState)
"""

from __future__ import annotations

import numpy as np
from geometry_msgs.msg import TwistStamped
from rclpy.node import Node
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

from robomatrix.config import load_stack_config
from robomatrix.hardware.bridge import BridgeConfig
from robomatrix.hardware.fake_controller import FakeArmController
from robomatrix.hardware.kinematics import Kinematics
from robomatrix.nodes.common import declare, spin_node

# A comfortable ready pose of the Panda (rad): gripper above the table, pointing down.
READY = (0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785)


class FakeControllerNode(Node):
    def __init__(self) -> None:
        super().__init__("fake_controller")
        config = declare(self, "config", "", "robot.yaml whose bridge section names URDF, joints and topics")
        rate = float(declare(self, "rate_hz", 100.0, "joint_states publish and integration rate, Hz"))
        self.bcfg = BridgeConfig.from_dict(load_stack_config(config or None).bridge)
        kin = Kinematics(self.bcfg.urdf, self.bcfg.arm_joints, self.bcfg.ee_link, self.bcfg.base_position)
        self.arm = FakeArmController(kin, self.bcfg.gripper_joints, READY[: len(self.bcfg.arm_joints)])
        self.dt = 1.0 / rate
        self.pub = self.create_publisher(JointState, self.bcfg.joint_states_topic, 10)
        self.create_subscription(JointTrajectory, self.bcfg.trajectory_topic, self._on_traj, 10)
        self.create_subscription(JointTrajectory, self.bcfg.gripper_topic, self._on_traj, 10)
        self.create_subscription(TwistStamped, self.bcfg.twist_topic, self._on_twist, 10)
        self.create_timer(self.dt, self._on_tick)
        self.get_logger().info(f"fake controller for {len(self.arm.joint_names)} joints at {rate:g} Hz")

    def _on_traj(self, msg: JointTrajectory) -> None:
        if not msg.points:
            self.get_logger().warning("empty trajectory rejected")
            return
        pt = msg.points[-1]
        t = pt.time_from_start.sec + pt.time_from_start.nanosec * 1e-9
        if not self.arm.accept_trajectory(list(msg.joint_names), list(pt.positions), t):
            self.get_logger().warning(f"trajectory for joints {list(msg.joint_names)} rejected",
                                      throttle_duration_sec=2.0)

    def _on_twist(self, msg: TwistStamped) -> None:
        lin, ang = msg.twist.linear, msg.twist.angular
        self.arm.accept_twist([lin.x, lin.y, lin.z], [ang.x, ang.y, ang.z])

    def _on_tick(self) -> None:
        self.arm.step(self.dt)
        js = JointState()
        js.header.stamp = self.get_clock().now().to_msg()
        js.name = list(self.arm.joint_names)
        js.position = [float(v) for v in self.arm.positions]
        js.velocity = [float(v) for v in np.nan_to_num(self.arm.velocities)]
        self.pub.publish(js)

    def close(self) -> None:
        self.arm.kin.close()


def main(argv: list[str]) -> int:
    return spin_node(FakeControllerNode, argv)
