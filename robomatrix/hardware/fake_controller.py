"""A stand-in for a real arm's ros2_control stack, at the message level. Core: no rclpy.

Behaves like a ``joint_trajectory_controller`` (follows JointTrajectory points, rejects
trajectories naming unknown joints, a new trajectory replaces the old one), a servo node
(end-effector twist → joint velocities through the Jacobian) and a
``joint_state_broadcaster`` (the node publishes :attr:`positions`). Used to test the
real-robot bridge without a robot; the arm is kinematic (no dynamics).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from robomatrix.hardware.kinematics import Kinematics

log = logging.getLogger(__name__)


class FakeArmController:
    """Kinematic arm that follows trajectories and twists. Joint order: arm then gripper."""

    def __init__(self, kinematics: Kinematics, gripper_joints: Sequence[str],
                 initial: Sequence[float], max_joint_speed: float = 2.0) -> None:
        self.kin = kinematics
        self.arm_joints = tuple(kinematics.joint_names)
        self.gripper_joints = tuple(gripper_joints)
        self.joint_names = self.arm_joints + self.gripper_joints
        self.positions = np.array(list(initial) + [0.04] * len(self.gripper_joints), float)
        self.velocities = np.zeros_like(self.positions)
        self.max_joint_speed = max_joint_speed  # rad/s per joint
        self._segments: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, float, float]] = {}
        self._twist: tuple[np.ndarray, float] | None = None
        self.time = 0.0
        self.rejected = 0
        self.received_trajectories = 0
        self.received_twists = 0

    def accept_trajectory(self, names: Sequence[str], positions: Sequence[float],
                          time_from_start: float) -> bool:
        """One-point trajectory (what the bridge sends). False (and counted) if rejected."""
        names = tuple(names)
        if not names or any(n not in self.joint_names for n in names) or len(positions) != len(names):
            self.rejected += 1
            log.warning("trajectory rejected: joints %s do not match controller joints %s", names, self.joint_names)
            return False
        target = np.asarray(positions, float)
        if not np.all(np.isfinite(target)):
            self.rejected += 1
            log.warning("trajectory rejected: non-finite positions")
            return False
        idx = np.array([self.joint_names.index(n) for n in names])
        start = self.positions[idx].copy()
        duration = max(float(time_from_start), 1e-3)
        self._segments[names] = (idx, np.vstack([start, target]), self.time, duration)
        self.received_trajectories += 1
        return True

    def accept_twist(self, linear: Sequence[float], angular: Sequence[float]) -> None:
        twist = np.concatenate([np.asarray(linear, float), np.asarray(angular, float)])
        if not np.all(np.isfinite(twist)):
            self.rejected += 1
            return
        self._twist = (twist, self.time)
        self.received_twists += 1

    def step(self, dt: float) -> None:
        prev = self.positions.copy()
        self.time += dt
        for idx, (start, target), t0, duration in list(self._segments.values()):
            a = min(1.0, (self.time - t0) / duration)
            self.positions[idx] = start + a * (target - start)
        n_arm = len(self.arm_joints)
        if self._twist is not None:
            twist, t0 = self._twist
            if self.time - t0 > 0.1:  # servo nodes stop when twists stop arriving
                self._twist = None
            else:
                jac = self.kin.jacobian(self.positions[:n_arm])
                qd = np.linalg.pinv(jac, rcond=1e-3) @ twist
                qd = np.clip(qd, -self.max_joint_speed, self.max_joint_speed)
                self.positions[:n_arm] += qd * dt
        self.velocities = (self.positions - prev) / dt
