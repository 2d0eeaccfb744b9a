"""Helpers shared by the nodes: message conversion, spinning, parameter declaration."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import rclpy
from geometry_msgs.msg import Pose, Twist
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from robomatrix.errors import ConfigError, InterfacesNotBuiltError, RobomatrixError
from robomatrix.hardware.interface import Action, Observation

try:
    from robomatrix.msg import ArmCommand, ObjectState, WorldState
except ImportError as e:  # pragma: no cover - only without built interfaces
    raise InterfacesNotBuiltError(
        "robomatrix.msg cannot be imported: the interfaces are not built. Run `make setup` in the checkout "
        "(or `colcon build` in a ROS 2 workspace) and use that environment's python"
    ) from e

_MODES = {ArmCommand.MODE_VELOCITY: "velocity", ArmCommand.MODE_TARGET: "target", ArmCommand.MODE_HOLD: "hold"}


def declare(node: Node, name: str, default: Any, description: str) -> Any:
    """Declare a parameter with a description and return its value.

    A value of the wrong type (``-p tick_hz:=fast``) raises :class:`ConfigError` naming it and the type wanted."""
    from rclpy.exceptions import InvalidParameterTypeException

    try:
        return node.declare_parameter(name, default, ParameterDescriptor(description=description)).value
    except InvalidParameterTypeException as e:
        kind = {bool: "true or false", int: "an integer", float: "a number", str: "text"}.get(type(default), "a value")
        raise ConfigError(f"parameter {name} of node {node.get_name()} must be {kind} ({description}), "
                          f"e.g. {name}:={str(default).lower() if isinstance(default, bool) else default!r}; "
                          f"got another type ({e})") from e


def pose_msg(position: np.ndarray, orientation: np.ndarray) -> Pose:
    p = Pose()
    p.position.x, p.position.y, p.position.z = (float(v) for v in position)
    p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w = (float(v) for v in orientation)
    return p


MAX_COMMAND_MAGNITUDE = 100.0  # m, m/s, rad/s: no arm command is this large; beyond it a value is garbage
COMMAND_FRAMES = ("", "world")  # ArmCommand is in the world frame; "" = not stated


def command_problem(msg: ArmCommand) -> str:
    """Why ``msg`` cannot be executed, with the fix ("" when it can). Checked before the safety
    layer clips anything: a command in another frame, of an unknown mode, with NaN/inf or absurd
    values is refused as a whole, not clipped into a motion nobody asked for."""
    frame = msg.header.frame_id
    if frame not in COMMAND_FRAMES:
        return (f"frame_id {frame[:60]!r} is not supported: ArmCommand is in the world frame; "
                "leave header.frame_id empty or set it to 'world'")
    if msg.mode not in _MODES:
        return (f"unknown mode {msg.mode}; use ArmCommand.MODE_VELOCITY (0), MODE_TARGET (1) or MODE_HOLD (2)")
    t, p = msg.ee_twist, msg.ee_target
    values = {"ee_twist.linear.x": t.linear.x, "ee_twist.linear.y": t.linear.y, "ee_twist.linear.z": t.linear.z,
              "ee_twist.angular.x": t.angular.x, "ee_twist.angular.y": t.angular.y,
              "ee_twist.angular.z": t.angular.z, "gripper": msg.gripper}
    if msg.mode == ArmCommand.MODE_TARGET:
        values.update({"ee_target.position.x": p.position.x, "ee_target.position.y": p.position.y,
                       "ee_target.position.z": p.position.z, "ee_target.orientation.x": p.orientation.x,
                       "ee_target.orientation.y": p.orientation.y, "ee_target.orientation.z": p.orientation.z,
                       "ee_target.orientation.w": p.orientation.w})
    for name, v in values.items():
        if not np.isfinite(v):
            return f"{name} is {v} (not finite); send finite numbers (metres, m/s, rad/s in the world frame)"
    for name, v in values.items():
        if abs(v) > MAX_COMMAND_MAGNITUDE:
            return (f"{name} = {v:g} is beyond any physical range (|value| <= {MAX_COMMAND_MAGNITUDE:g}); "
                    "send metres, m/s and rad/s in the world frame")
    if not 0.0 <= msg.gripper <= 1.0:
        return f"gripper = {msg.gripper:g} is outside [0, 1]; send 0.0 (open) to 1.0 (closed)"
    return ""


def command_to_action(msg: ArmCommand) -> Action:
    """ArmCommand → Action. Unknown modes come through as a mode name the safety layer rejects."""
    mode = _MODES.get(msg.mode, f"unknown({msg.mode})")
    t = msg.ee_twist
    p = msg.ee_target
    return Action(
        mode=mode,
        linear=np.array([t.linear.x, t.linear.y, t.linear.z]),
        angular=np.array([t.angular.x, t.angular.y, t.angular.z]),
        target_position=np.array([p.position.x, p.position.y, p.position.z]) if mode == "target" else None,
        target_orientation=(np.array([p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w])
                            if mode == "target" and any((p.orientation.x, p.orientation.y, p.orientation.z,
                                                         p.orientation.w)) else None),
        gripper=float(msg.gripper),
    )


def action_to_command(action: Action) -> ArmCommand:
    msg = ArmCommand()
    msg.mode = {v: k for k, v in _MODES.items()}[action.mode]
    msg.ee_twist = Twist()
    msg.ee_twist.linear.x, msg.ee_twist.linear.y, msg.ee_twist.linear.z = (float(v) for v in action.linear)
    msg.ee_twist.angular.x, msg.ee_twist.angular.y, msg.ee_twist.angular.z = (float(v) for v in action.angular)
    if action.target_position is not None:
        orn = action.target_orientation if action.target_orientation is not None else np.zeros(4)
        msg.ee_target = pose_msg(action.target_position, orn)
    msg.gripper = float(action.gripper)
    return msg


def observation_to_msg(obs: Observation, stamp: Any, frame_id: str = "world") -> WorldState:
    msg = WorldState()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.ee_pose = pose_msg(obs.ee_position, obs.ee_orientation)
    (msg.ee_twist.linear.x, msg.ee_twist.linear.y, msg.ee_twist.linear.z) = (float(v) for v in obs.ee_linear_velocity)
    (msg.ee_twist.angular.x, msg.ee_twist.angular.y, msg.ee_twist.angular.z) = (
        float(v) for v in obs.ee_angular_velocity)
    msg.gripper_width = float(obs.gripper_width)
    msg.gripper_closed = bool(obs.gripper_closed)
    msg.held_object_id = obs.held_object_id
    for o in obs.objects:
        m = ObjectState()
        m.id, m.name, m.category, m.colour, m.source = o.id, o.name, o.category, o.colour, o.source
        m.rgba.r, m.rgba.g, m.rgba.b, m.rgba.a = (float(v) for v in o.rgba)
        m.pose = pose_msg(o.position, o.orientation)
        m.size.x, m.size.y, m.size.z = (float(v) for v in o.size)
        m.opening = float("nan") if o.opening is None else float(o.opening)
        msg.objects.append(m)
    msg.estopped = bool(obs.estopped)
    msg.watchdog_holding = bool(obs.watchdog_holding)
    msg.rejected_commands = int(obs.rejected_commands)
    msg.perception_stale = str(obs.perception_stale)
    return msg


_STOPPING = threading.Event()  # set by Ctrl-C / SIGTERM: errors from here on are part of shutting down
WAKE_PERIOD_S = 0.1  # the executor wakes at least this often to notice a stop request
SHUTDOWN_GRACE_S = 0.5  # after close(): spin this long so last results and holds reach their peers


REPEAT_SIGNAL_S = 0.25  # s after the first stop signal in which another one is the same request
_FIRST_STOP: list[float] = []  # time.monotonic() of the first stop signal


def _request_stop(*_: object) -> None:
    """First SIGINT/SIGTERM: stop after the running callback. A second one: stop now.

    A signal within :data:`REPEAT_SIGNAL_S` of the first is the same request, not a second
    one: a launcher killed with SIGKILL makes the kernel send its parent-death SIGTERM once per
    launcher thread the node is handed to as those threads die, milliseconds apart (seen with
    strace). Taken as "stop now", that interrupted close() before the arm's hold went out."""
    now = time.monotonic()
    if _STOPPING.is_set():
        if _FIRST_STOP and now - _FIRST_STOP[0] < REPEAT_SIGNAL_S:
            return
        raise KeyboardInterrupt
    _FIRST_STOP[:] = [now]
    _STOPPING.set()


def spin_node(make_node: Callable[[], Node], argv: list[str]) -> int:
    """Init rclpy, build the node, spin until SIGINT/SIGTERM, close it while the context still works.

    rclpy's own signal handlers are not installed: they shut the context down at once, so a
    node could no longer publish its last hold or tell an action client why its goal ended.
    Instead the first signal ends the spin loop (within :data:`WAKE_PERIOD_S`), ``close()``
    runs with a working context and the executor turns for :data:`SHUTDOWN_GRACE_S` to
    deliver what it sent; a second signal interrupts whatever is running. SIGTERM is what a
    node gets when its launcher dies (see :mod:`robomatrix.launcher.runner`).
    """
    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    try:
        rclpy.init(args=["robomatrix", *argv], signal_handler_options=SignalHandlerOptions.NO)
    except Exception as e:  # rclpy's own error types (RCLError, ...): the command line is wrong
        sys.stderr.write(f"robomatrix: cannot start the node: its ROS arguments {argv} were refused ({e}); "
                         "fix them, e.g. --ros-args -r __ns:=/robot1 -p name:=value\n")
        raise SystemExit(2) from e
    node = None
    executor = None
    try:
        try:
            node = make_node()
        except RobomatrixError as e:  # bad config, missing model, ...: say it plainly, no traceback
            rclpy.logging.get_logger("robomatrix").fatal(str(e))
            raise SystemExit(2) from e
        # One thread per node: rclpy's MultiThreadedExecutor busy-loops (a core at 100 %, callbacks
        # stalled for 100-700 ms); nodes that wait on long work use coroutines or their own threads.
        executor = rclpy.executors.SingleThreadedExecutor()
        executor.add_node(node)
        try:
            while not _STOPPING.is_set() and rclpy.ok():
                executor.spin_once(timeout_sec=WAKE_PERIOD_S)
        except Exception:
            # A second Ctrl-C lands inside a callback or a message conversion (pybind reports it
            # as a RuntimeError); such an error is part of a clean shutdown, not a crash.
            if rclpy.ok() and not _STOPPING.is_set():
                raise
    except (KeyboardInterrupt, ExternalShutdownException):
        _STOPPING.set()
    finally:
        _STOPPING.set()
        if node is not None:
            close = getattr(node, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as e:  # e.g. a last hold published after a second Ctrl-C
                    if rclpy.ok():
                        raise
                    rclpy.logging.get_logger("robomatrix").debug(f"during shutdown: {e}")
            _drain(executor, SHUTDOWN_GRACE_S)
            node.destroy_node()
        if rclpy.ok():
            rclpy.try_shutdown()
    return 0


def _drain(executor: Any, seconds: float) -> None:
    """Turn the executor for ``seconds`` (results and last messages go out); a signal ends it early."""
    if executor is None or not rclpy.ok():
        return
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end and rclpy.ok():
            executor.spin_once(timeout_sec=0.02)
    except (KeyboardInterrupt, Exception) as e:  # a second signal, or a callback failing on the way down
        rclpy.logging.get_logger("robomatrix").debug(f"during shutdown: {e!r}")


def is_stopping() -> bool:
    """True once this node process was asked to stop (SIGINT/SIGTERM)."""
    return _STOPPING.is_set()


def publish_safely(publisher: Any, msg: Any) -> None:
    """Publish, except after Ctrl-C invalidated the context (then there is nobody to tell)."""
    try:
        publisher.publish(msg)
    except Exception:
        if rclpy.ok():
            raise


def stamp_seconds(stamp: Any) -> float:
    return float(stamp.sec) + float(stamp.nanosec) * 1e-9


def msg_to_observation(msg: WorldState) -> Observation:
    """WorldState → core Observation (joint data is not carried by WorldState and stays empty)."""
    from robomatrix.hardware.interface import ObjectInfo

    def vec(v: Any) -> np.ndarray:
        return np.array([v.x, v.y, v.z], float)

    def quat(q: Any) -> np.ndarray:
        return np.array([q.x, q.y, q.z, q.w], float)

    objects = tuple(
        ObjectInfo(id=o.id, name=o.name, category=o.category, colour=o.colour,
                   rgba=(o.rgba.r, o.rgba.g, o.rgba.b, o.rgba.a), position=vec(o.pose.position),
                   orientation=quat(o.pose.orientation), size=vec(o.size), source=o.source,
                   opening=None if np.isnan(o.opening) else float(o.opening))
        for o in msg.objects
    )
    return Observation(
        stamp=stamp_seconds(msg.header.stamp), joint_names=(), joint_positions=np.zeros(0),
        joint_velocities=np.zeros(0), ee_position=vec(msg.ee_pose.position),
        ee_orientation=quat(msg.ee_pose.orientation), ee_linear_velocity=vec(msg.ee_twist.linear),
        ee_angular_velocity=vec(msg.ee_twist.angular), gripper_width=float(msg.gripper_width),
        gripper_closed=bool(msg.gripper_closed), held_object_id=msg.held_object_id, objects=objects,
        estopped=bool(msg.estopped), watchdog_holding=bool(msg.watchdog_holding),
        rejected_commands=int(msg.rejected_commands), perception_stale=str(msg.perception_stale),
    )


# -- camera messages (sensor_msgs/Image, sensor_msgs/CameraInfo) --------------------------


def image_msg(array: np.ndarray, stamp: Any, frame_id: str) -> Any:
    """(H, W, 3) uint8 -> Image rgb8; (H, W) float -> Image 32FC1 (metres, NaN = no return)."""
    from sensor_msgs.msg import Image

    a = np.asarray(array)
    msg = Image()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.height, msg.width = int(a.shape[0]), int(a.shape[1])
    if a.ndim == 3:
        msg.encoding, msg.step = "rgb8", msg.width * 3
        msg.data = np.ascontiguousarray(a, dtype=np.uint8).tobytes()
    else:
        msg.encoding, msg.step = "32FC1", msg.width * 4
        msg.data = np.ascontiguousarray(a, dtype="<f4").tobytes()
    msg.is_bigendian = 0
    return msg


def image_to_array(msg: Any) -> np.ndarray:
    """Image rgb8 / bgr8 -> (H, W, 3) uint8 RGB; 32FC1 -> (H, W) float32 m; 16UC1 -> float32 m (mm / 1000, 0 = NaN).
    Raises RobomatrixError naming the encoding when it is none of these."""
    h, w = int(msg.height), int(msg.width)
    raw = bytes(msg.data)
    if msg.encoding in ("rgb8", "bgr8"):
        a = np.frombuffer(raw, np.uint8).reshape(h, int(msg.step))[:, : w * 3].reshape(h, w, 3)
        return a[:, :, ::-1].copy() if msg.encoding == "bgr8" else a.copy()
    if msg.encoding == "32FC1":
        dt = ">f4" if msg.is_bigendian else "<f4"
        return np.frombuffer(raw, dt).reshape(h, int(msg.step) // 4)[:, :w].astype(np.float32)
    if msg.encoding == "16UC1":
        dt = ">u2" if msg.is_bigendian else "<u2"
        mm = np.frombuffer(raw, dt).reshape(h, int(msg.step) // 2)[:, :w].astype(np.float32)
        return np.where(mm > 0, mm / 1000.0, np.nan).astype(np.float32)
    raise RobomatrixError(f"image encoding {msg.encoding!r} is not supported; publish rgb8/bgr8 colour and "
                          "32FC1 (metres) or 16UC1 (millimetres) depth")


def camera_info_msg(k: Any, stamp: Any, frame_id: str) -> Any:
    """CameraInfo of pinhole intrinsics ``k`` (robomatrix.hardware.camera.CameraIntrinsics), no distortion."""
    from sensor_msgs.msg import CameraInfo

    msg = CameraInfo()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.height, msg.width = int(k.height), int(k.width)
    msg.distortion_model = "plumb_bob"
    msg.d = [0.0] * 5
    msg.k = [float(v) for v in k.k.ravel()]
    msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    msg.p = [float(k.fx), 0.0, float(k.cx), 0.0, 0.0, float(k.fy), float(k.cy), 0.0, 0.0, 0.0, 1.0, 0.0]
    return msg
