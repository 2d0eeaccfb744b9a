"""The robot interface every backend implements, and the plain data it speaks.

Core module: imports no rclpy. Units: metres, radians, seconds; poses in the world frame
(x forward away from the robot base, y to the robot's left, z up), quaternions (x, y, z, w).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ObjectInfo:
    """One object in the world as a backend reports it."""

    id: str  # unique in the scene, e.g. "block_red_0"
    name: str  # grounding name, e.g. "red block"
    category: str  # block | bowl | bin | drawer | object
    colour: str  # colour word, "" if unknown
    rgba: tuple[float, float, float, float]
    position: np.ndarray  # (3,) metres, world frame
    orientation: np.ndarray  # (4,) quaternion xyzw
    size: np.ndarray  # (3,) axis-aligned extents, metres
    source: str = "simulator"  # simulator (privileged) | perception | mocap
    opening: float | None = None  # articulated objects (drawer): 0.0 closed ... 1.0 fully open; else None


@dataclass(frozen=True)
class Observation:
    """What a robot reports each tick."""

    stamp: float  # seconds of robot time (simulated time in simulation)
    joint_names: tuple[str, ...]
    joint_positions: np.ndarray  # (J,) rad or m
    joint_velocities: np.ndarray  # (J,)
    ee_position: np.ndarray  # (3,)
    ee_orientation: np.ndarray  # (4,) xyzw
    ee_linear_velocity: np.ndarray  # (3,) m/s
    ee_angular_velocity: np.ndarray  # (3,) rad/s
    gripper_width: float  # metres between fingers
    gripper_closed: bool
    held_object_id: str = ""
    objects: tuple[ObjectInfo, ...] = ()
    image: np.ndarray | None = None  # (H, W, 3) uint8 RGB, only when requested
    estopped: bool = False
    watchdog_holding: bool = False
    rejected_commands: int = 0


@dataclass(frozen=True)
class Action:
    """One arm command.

    mode "velocity": follow ``linear`` (m/s) and ``angular`` (rad/s, about world axes).
    mode "target": move towards ``target_position``/``target_orientation`` at capped speed.
    mode "hold": keep the current pose.
    ``gripper``: 0.0 fully open ... 1.0 fully closed.
    """

    mode: str = "velocity"
    linear: np.ndarray = field(default_factory=lambda: np.zeros(3))
    angular: np.ndarray = field(default_factory=lambda: np.zeros(3))
    target_position: np.ndarray | None = None
    target_orientation: np.ndarray | None = None
    gripper: float = 0.0

    @staticmethod
    def hold(gripper: float = 0.0) -> Action:
        return Action(mode="hold", gripper=gripper)


MODES = ("velocity", "target", "hold")


class Robot(abc.ABC):
    """A robot the rest of the stack can drive.

    ``features`` is readable without connecting. ``send_action`` returns the action that
    was actually applied after the safety layer clipped it (or a hold if it was rejected).
    Use as a context manager to connect and always disconnect.
    """

    name: str = "robot"

    @property
    @abc.abstractmethod
    def features(self) -> dict[str, Any]:
        """Static description: joint names, control rate, camera shape, workspace, limits."""

    @property
    @abc.abstractmethod
    def is_connected(self) -> bool: ...

    @abc.abstractmethod
    def connect(self) -> None: ...

    @abc.abstractmethod
    def disconnect(self) -> None: ...

    @abc.abstractmethod
    def get_observation(self, *, with_image: bool = False) -> Observation: ...

    @abc.abstractmethod
    def send_action(self, action: Action) -> Action: ...

    def __enter__(self) -> Robot:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()
