"""Real-robot bridge backend: drives an arm through standard ROS 2 controller interfaces.

The core here decides; the hardware node moves messages through the
:class:`~robomatrix.hardware.interface.ControllerDriven` interface. Joint states come in
(from the robot's joint_state_broadcaster) through :meth:`BridgeRobot.update_joint_state`;
each :meth:`BridgeRobot.send_action` leaves one :class:`ControllerCommand` for the node to
publish: a ``trajectory_msgs/JointTrajectory`` for a joint trajectory controller
(``command_interface: joint_trajectory``; IK from the URDF) or a
``geometry_msgs/TwistStamped`` for a servo node (``command_interface: servo_twist``),
plus a gripper trajectory. The same :class:`SafetyFilter` as the simulation clips every
command first. Core module: no rclpy.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robomatrix.errors import ConfigError, NotConnectedError, RobomatrixError
from robomatrix.hardware.interface import (
    Action,
    ControllerCommand,
    ControllerDriven,
    ControllerLink,
    Observation,
    Robot,
)
from robomatrix.hardware.kinematics import Kinematics
from robomatrix.hardware.registry import register_backend
from robomatrix.hardware.safety import SafetyFilter, SafetyLimits
from robomatrix.resources import packaged_default

__all__ = ["COMMAND_INTERFACES", "BridgeConfig", "BridgeRobot", "ControllerCommand"]

log = logging.getLogger(__name__)

COMMAND_INTERFACES = ("joint_trajectory", "servo_twist")


def _bridge_default(key: str) -> Any:
    return field(default_factory=packaged_default("robot.yaml", "bridge", key))


@register_backend("bridge")
@dataclass(frozen=True)
class BridgeConfig:
    """The real-robot bridge. Defaults: section bridge of config/robot.yaml (written only there)."""

    urdf: str = _bridge_default("urdf")  # kinematic model, path or relative to pybullet_data
    base_position: tuple[float, float, float] = _bridge_default("base_position")  # m, base in the world frame
    arm_joints: tuple[str, ...] = _bridge_default("arm_joints")
    ee_link: str = _bridge_default("ee_link")
    gripper_joints: tuple[str, ...] = _bridge_default("gripper_joints")
    gripper_open_position: float = _bridge_default("gripper_open_position")  # m per finger when fully open
    command_interface: str = _bridge_default("command_interface")  # joint_trajectory | servo_twist
    trajectory_topic: str = _bridge_default("trajectory_topic")
    gripper_topic: str = _bridge_default("gripper_topic")
    twist_topic: str = _bridge_default("twist_topic")
    twist_frame: str = _bridge_default("twist_frame")
    joint_states_topic: str = _bridge_default("joint_states_topic")
    joint_state_timeout: float = _bridge_default("joint_state_timeout")  # s without joint states before holding
    # Hz, control ticks: control.rate_hz of robot.yaml (the stack config fills it in)
    control_hz: float = field(default_factory=packaged_default("robot.yaml", "control", "rate_hz"))

    def __post_init__(self) -> None:
        if self.command_interface not in COMMAND_INTERFACES:
            raise ConfigError(
                f"bridge.command_interface {self.command_interface!r} is not supported; "
                f"use one of {COMMAND_INTERFACES}"
            )
        if not self.arm_joints:
            raise ConfigError("bridge.arm_joints is empty; list the arm's joint names in order")
        for key in ("gripper_open_position", "joint_state_timeout", "control_hz"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise ConfigError(f"bridge.{key} must be a positive number, got {v!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> BridgeConfig:
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown bridge setting(s) {sorted(unknown)}; valid: {sorted(cls.__dataclass_fields__)}")
        for key in ("base_position", "arm_joints", "gripper_joints"):
            if key in data:
                if not isinstance(data[key], list | tuple):
                    raise ConfigError(f"bridge.{key} must be a list, got {data[key]!r}")
                data[key] = tuple(data[key])
        return cls(**data)

    def make_robot(self, limits: SafetyLimits | None = None) -> BridgeRobot:
        return BridgeRobot(self, limits if limits is not None else SafetyLimits())


class BridgeRobot(Robot, ControllerDriven):
    """Robot interface over real controllers (see module docstring). Runs in real time: no step, no reset."""

    name = "bridge"

    def __init__(self, config: BridgeConfig, limits: SafetyLimits, control_hz: float | None = None) -> None:
        self.config = config
        self.limits = limits
        self.control_hz = float(config.control_hz if control_hz is None else control_hz)
        self._safety = SafetyFilter(limits=limits, control_period=1.0 / self.control_hz)
        self._kin: Kinematics | None = None
        self._q: np.ndarray | None = None  # (J,) latest arm joint positions
        self._qd: np.ndarray | None = None
        self._gripper_q: np.ndarray | None = None
        self._stamp: float | None = None
        self._prev_ee: tuple[float, np.ndarray] | None = None
        self._ee_vel = np.zeros(3)
        self._target_pos: np.ndarray | None = None
        self._target_orn: np.ndarray | None = None
        self._gripper_cmd = 0.0
        self._pending: ControllerCommand | None = None

    # -- Robot API --------------------------------------------------------------------
    @property
    def features(self) -> dict[str, Any]:
        return {
            "backend": "bridge",
            "joint_names": self.config.arm_joints + self.config.gripper_joints,
            "control_hz": self.control_hz,
            "command_interface": self.config.command_interface,
            "camera_shape": None,
            "workspace": (self.limits.workspace_min, self.limits.workspace_max),
            "max_linear_speed": self.limits.max_linear_speed,
        }

    @property
    def safety(self) -> SafetyFilter:
        return self._safety

    @property
    def controller_link(self) -> ControllerLink:
        c = self.config
        return ControllerLink(
            joint_states_topic=c.joint_states_topic, trajectory_topic=c.trajectory_topic,
            gripper_topic=c.gripper_topic, twist_topic=c.twist_topic, twist_frame=c.twist_frame,
            joint_state_timeout=c.joint_state_timeout)

    @property
    def is_connected(self) -> bool:
        return self._kin is not None

    def connect(self) -> None:
        if self._kin is None:
            self._kin = Kinematics(self.config.urdf, self.config.arm_joints, self.config.ee_link,
                                   self.config.base_position)

    def disconnect(self) -> None:
        if self._kin is not None:
            self._kin.close()
            self._kin = None

    def _require(self) -> Kinematics:
        if self._kin is None:
            raise NotConnectedError("bridge robot is not connected; call connect() first")
        return self._kin

    def update_joint_state(self, names: list[str], positions: list[float], velocities: list[float],
                           stamp: float) -> None:
        """Feed one sensor_msgs/JointState. Joints of other devices are ignored."""
        kin = self._require()
        index = {n: i for i, n in enumerate(names)}
        missing = [n for n in self.config.arm_joints if n not in index]
        if missing:
            log.warning("joint state without arm joint(s) %s ignored", missing)
            return
        q = np.array([positions[index[n]] for n in self.config.arm_joints], float)
        if not np.all(np.isfinite(q)):
            log.warning("joint state with non-finite positions ignored")
            return
        qd = np.array([velocities[index[n]] if index[n] < len(velocities) else 0.0
                       for n in self.config.arm_joints], float)
        g = [positions[index[n]] for n in self.config.gripper_joints if n in index]
        self._q, self._qd, self._stamp = q, qd, float(stamp)
        if g:
            self._gripper_q = np.array(g, float)
        pos, _ = kin.fk(q)
        if self._prev_ee is not None and stamp > self._prev_ee[0]:
            self._ee_vel = (pos - self._prev_ee[1]) / (stamp - self._prev_ee[0])
        self._prev_ee = (float(stamp), pos)

    def joint_states_age(self, now: float) -> float:
        return math.inf if self._stamp is None else now - self._stamp

    def get_observation(self, *, with_image: bool = False) -> Observation:
        kin = self._require()
        if self._q is None:
            raise RobomatrixError(
                f"no joint states received yet on {self.config.joint_states_topic}; is the robot's "
                "joint_state_broadcaster running and the topic name right (bridge.joint_states_topic)?"
            )
        pos, orn = kin.fk(self._q)
        width = float(np.sum(self._gripper_q)) if self._gripper_q is not None else 0.0
        return Observation(
            stamp=self._stamp or 0.0,
            joint_names=self.config.arm_joints,
            joint_positions=self._q.copy(),
            joint_velocities=self._qd.copy() if self._qd is not None else np.zeros_like(self._q),
            ee_position=pos,
            ee_orientation=orn,
            ee_linear_velocity=self._ee_vel.copy(),
            ee_angular_velocity=np.zeros(3),
            gripper_width=width,
            gripper_closed=self._gripper_cmd > 0.5,
            objects=(),  # a real arm has no privileged object poses; perception adds them
            estopped=self.safety.estopped,
            rejected_commands=self.safety.rejected,
        )

    def send_action(self, action: Action) -> Action:
        kin = self._require()
        if self._q is None:
            # Nothing is known about the arm: never command it blind.
            self._pending = None
            return Action.hold(gripper=self._gripper_cmd)
        pos, orn = kin.fk(self._q)
        applied = self.safety.filter(action, pos, last_gripper=self._gripper_cmd)
        dt = 1.0 / self.control_hz
        if self._target_pos is None or applied.mode == "hold" and self._last_mode != "hold":
            self._target_pos, self._target_orn = pos.copy(), orn.copy()
        if applied.mode == "velocity":
            self._target_pos = self._target_pos + applied.linear * dt
            self._target_orn = _integrate_quat(self._target_orn, applied.angular, dt)
        elif applied.mode == "target":
            step = np.asarray(applied.target_position) - self._target_pos
            n = float(np.linalg.norm(step))
            cap = self.limits.max_linear_speed * dt
            self._target_pos = self._target_pos + (step * (cap / n) if n > cap else step)
            if applied.target_orientation is not None:
                self._target_orn = np.asarray(applied.target_orientation, float)
        self._target_pos = np.clip(self._target_pos, self.limits.workspace_min, self.limits.workspace_max)
        self._last_mode = applied.mode
        self._gripper_cmd = float(applied.gripper)
        fingers = np.full(len(self.config.gripper_joints),
                          self.config.gripper_open_position * (1.0 - self._gripper_cmd))
        if self.config.command_interface == "joint_trajectory":
            q = kin.ik(self._target_pos, self._target_orn, self._q)
            self._pending = ControllerCommand(
                kind="joint_trajectory", joint_names=self.config.arm_joints, positions=q,
                time_from_start=2.0 * dt, gripper_joint_names=self.config.gripper_joints,
                gripper_positions=fingers)
        else:
            lin = applied.linear if applied.mode == "velocity" else np.zeros(3)
            ang = applied.angular if applied.mode == "velocity" else np.zeros(3)
            if applied.mode == "target":
                lin = (self._target_pos - pos) / dt
            self._pending = ControllerCommand(
                kind="servo_twist", linear=np.asarray(lin, float), angular=np.asarray(ang, float),
                gripper_joint_names=self.config.gripper_joints, gripper_positions=fingers)
        return applied

    _last_mode: str = "hold"

    def take_command(self) -> ControllerCommand | None:
        """The command produced by the last send_action, once."""
        cmd, self._pending = self._pending, None
        return cmd


def _integrate_quat(q: np.ndarray, omega: np.ndarray, dt: float) -> np.ndarray:
    """Rotate quaternion xyzw by world-frame angular velocity ``omega`` (rad/s) for ``dt`` s."""
    angle = float(np.linalg.norm(omega)) * dt
    if angle < 1e-12:
        return q
    axis = np.asarray(omega, float) / float(np.linalg.norm(omega))
    s = math.sin(angle / 2)
    dq = np.array([axis[0] * s, axis[1] * s, axis[2] * s, math.cos(angle / 2)])
    x1, y1, z1, w1 = dq
    x2, y2, z2, w2 = q
    out = np.array([
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
    ])
    return out / np.linalg.norm(out)
