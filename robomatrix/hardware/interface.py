"""The robot interface every backend implements, and the plain data it speaks.

Core module: imports no rclpy. Units: metres, radians, seconds; poses in the world frame
(x forward away from the robot base, y to the robot's left, z up), quaternions (x, y, z, w).
"""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from robomatrix.errors import CapabilityError, ResetNotSupportedError

if TYPE_CHECKING:  # safety.py imports this module
    from robomatrix.hardware.safety import SafetyFilter


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
    # Why the objects are not to be trusted: perception went stale (camera silent, frames rejected);
    # "" when they are fresh or come from the simulator. A running skill stops on it (no motion
    # from stale perception) and the scheduler ends the task with it.
    perception_stale: str = ""


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


@dataclass(frozen=True)
class ControllerCommand:
    """What a controller-driven robot wants sent to its controllers for one control tick."""

    kind: str  # joint_trajectory | servo_twist
    joint_names: tuple[str, ...] = ()
    positions: np.ndarray | None = None  # (J,) joint targets for the trajectory controller
    time_from_start: float = 0.0  # s, when the trajectory point should be reached
    linear: np.ndarray = field(default_factory=lambda: np.zeros(3))  # m/s, servo twist
    angular: np.ndarray = field(default_factory=lambda: np.zeros(3))  # rad/s, servo twist
    gripper_joint_names: tuple[str, ...] = ()
    gripper_positions: np.ndarray | None = None  # (G,) finger targets


@dataclass(frozen=True)
class ControllerLink:
    """Where a controller-driven robot's messages go: the names the hardware node wires up."""

    joint_states_topic: str  # sensor_msgs/JointState in, from the robot's joint_state_broadcaster
    trajectory_topic: str  # trajectory_msgs/JointTrajectory out, arm (kind joint_trajectory)
    gripper_topic: str  # trajectory_msgs/JointTrajectory out, gripper fingers
    twist_topic: str  # geometry_msgs/TwistStamped out (kind servo_twist)
    twist_frame: str  # frame_id of the twist
    joint_state_timeout: float  # s of robot time without joint states before nothing is commanded


class Robot(abc.ABC):
    """A robot the rest of the stack can drive.

    ``features`` is readable without connecting. ``send_action`` returns the action that
    was actually applied after the safety layer clipped it (or a hold if it was rejected).
    Use as a context manager to connect and always disconnect.

    Time: :meth:`now` is robot time, the clock observations are stamped with and the
    watchdog measures. A backend with ``owns_clock`` (a simulator) advances it only through
    :meth:`step`, once per control tick, and its driver publishes it as the ROS clock; any
    other backend runs in real time on the host's monotonic clock and has no ``step``.

    Optional capabilities answer with a typed error when a backend lacks them:
    :meth:`step` raises CapabilityError, :meth:`reset` raises ResetNotSupportedError
    (check ``supports_reset`` first). A backend whose arm moves through external
    controllers also implements :class:`ControllerDriven`.
    """

    name: str = "robot"
    owns_clock: bool = False  # True: robot time advances only through step() (simulation)

    @property
    @abc.abstractmethod
    def features(self) -> dict[str, Any]:
        """Static description: joint names, control rate, camera shape, workspace, limits."""

    @property
    @abc.abstractmethod
    def safety(self) -> SafetyFilter:
        """The backend's safety filter: every command passes it; it holds the e-stop and the counters."""

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

    def now(self) -> float:
        """Robot time in seconds. Default: the host's monotonic clock (a backend that runs in real time)."""
        return time.monotonic()

    def step(self) -> None:
        """Advance robot time by one control period, applying the last action (``owns_clock`` backends)."""
        raise CapabilityError(
            f"the {self.name!r} backend runs in real time and has no step(); only a backend with "
            "owns_clock (a simulator) advances its own time, so check robot.owns_clock before stepping"
        )

    def reset(self, seed: int | None = None, scene: str | None = None) -> Observation:
        """Rebuild the world from ``seed`` and return the first observation.

        ``scene`` is a scene *name* the backend knows (letters, digits, _ and -), never a
        path; None keeps the current scene. Backends that cannot rebuild their world keep
        this default, which raises ResetNotSupportedError.
        """
        raise ResetNotSupportedError(
            f"the {self.name!r} backend cannot reset its world (seed {seed!r}, scene {scene!r}): a real arm's "
            "scene is not rebuilt by software; reset is offered by simulation backends such as 'sim'"
        )

    def render_rgbd(self, camera: Any, rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """One aligned (rgb (H, W, 3) uint8, depth (H, W) float32 m, NaN = no return) frame of the
        calibrated scene ``camera`` (robomatrix.hardware.camera.CameraConfig); ``rng`` adds its
        depth noise. Backends that cannot render keep this default (a real camera publishes its
        own topics), which raises CapabilityError; check ``supports_rgbd`` first."""
        raise CapabilityError(
            f"the {self.name!r} backend does not render camera frames: a real robot's RGB-D camera publishes "
            "camera/color/image_raw and camera/depth/image_raw through its own driver"
        )

    @property
    def supports_rgbd(self) -> bool:
        """True when this backend overrides :meth:`render_rgbd`."""
        return type(self).render_rgbd is not Robot.render_rgbd

    @property
    def supports_reset(self) -> bool:
        """True when this backend overrides :meth:`reset`."""
        return type(self).reset is not Robot.reset

    def engage_estop(self) -> None:
        """Latch the e-stop: every later action becomes a hold until :meth:`release_estop`."""
        self.safety.engage_estop()

    def release_estop(self) -> None:
        self.safety.release_estop()

    def __enter__(self) -> Robot:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()


class ControllerDriven(abc.ABC):
    """A robot whose arm moves through external controllers; its driver carries the messages.

    The driver (the hardware node) subscribes ``controller_link.joint_states_topic`` and
    hands every message to :meth:`update_joint_state`. Each control tick it checks
    :meth:`joint_states_age`: older than ``controller_link.joint_state_timeout`` means the
    controller is gone and nothing is commanded; otherwise it calls ``send_action`` and
    publishes what :meth:`take_command` returns. Core classes only: no ROS types here.
    """

    @property
    @abc.abstractmethod
    def controller_link(self) -> ControllerLink:
        """Topic names and timeout the driver wires up."""

    @abc.abstractmethod
    def update_joint_state(self, names: list[str], positions: list[float], velocities: list[float],
                           stamp: float) -> None:
        """Feed one joint-state message (``stamp`` in robot time, see ``Robot.now``)."""

    @abc.abstractmethod
    def joint_states_age(self, now: float) -> float:
        """Seconds of robot time since the last joint state; inf before the first one."""

    @abc.abstractmethod
    def take_command(self) -> ControllerCommand | None:
        """The command the last ``send_action`` produced, once; None when there is nothing to send."""
