"""Hardware node: the robot interface on ROS 2.

Parameters
  config (str): robot.yaml path; default the package's config/robot.yaml
  backend (str): a registered backend (sim | bridge); overrides robot.backend from the config when set
  gui (bool): simulation only, open the PyBullet window
  seed (int): simulation only, -1 keeps the config's seed
  scene (str): simulation only, scene name or path (the operator's choice); "" keeps the config's scene
Subscriptions
  command (robomatrix/ArmCommand): arm command at the control rate; one whose header.frame_id is not
    empty or "world", whose mode is unknown, with a NaN/inf or absurd value (|v| > 100 m, m/s, rad/s) or a
    gripper outside [0, 1] is refused whole: the arm holds, the refusal is logged with its fix and counted
    in observation.rejected_commands
  bridge only: <bridge.joint_states_topic> (sensor_msgs/JointState) from the robot's controllers
Publishers
  joint_states (sensor_msgs/JointState): simulation only (a real robot's broadcaster publishes them)
  observation (robomatrix/WorldState): end effector, gripper, objects, safety state
  camera/image_raw (sensor_msgs/Image, rgb8): simulation camera (the small policy camera, sim section)
  camera/color/image_raw (sensor_msgs/Image, rgb8), camera/depth/image_raw (sensor_msgs/Image, 32FC1
  metres, NaN = no return, aligned to colour), camera/color/camera_info, camera/depth/camera_info
  (sensor_msgs/CameraInfo): the calibrated scene camera of the camera section, rendered on its own
  timer at camera.rate_hz (simulation only, when camera.enabled or the rgbd parameter says so;
  frame_id camera_color_optical_frame). Setting ``rgbd`` at run time (``ros2 param set /hardware
  rgbd false``) pauses the camera and ``true`` resumes it: a camera that stops, on purpose
  /clock (rosgraph_msgs/Clock): simulation time
  bridge only: <bridge.trajectory_topic>, <bridge.gripper_topic> (trajectory_msgs/JointTrajectory) or
  <bridge.twist_topic> (geometry_msgs/TwistStamped)
Services
  estop (std_srvs/SetBool): true engages the latching e-stop, false releases it
  reset (robomatrix/Reset): simulation only, rebuild the scene from a seed; its scene is a name from
  config/scenes (letters, digits, _ and -), never a path

The robot comes from the backend registry (``make_robot_from_config``) and is driven only
through the Robot interface: a backend that ``owns_clock`` is stepped here and its time
published on /clock; one that is ``ControllerDriven`` gets its joint states and
controller commands carried here; the reset service exists when it ``supports_reset``.

Safety (workspace box, speed caps, non-finite rejection, e-stop) lives in the core
SafetyFilter; the watchdog here holds the arm when commands stop for
safety.watchdog_timeout seconds of robot time, and says so. On SIGINT/SIGTERM (also sent
when the launcher dies) the node ignores commands and holds the arm, its observations say
watchdog_holding true while it drains (about half a second), then it disconnects.
"""

from __future__ import annotations

import time
from dataclasses import fields, replace
from typing import Any

import numpy as np
from builtin_interfaces.msg import Time
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import CameraInfo, Image, JointState
from std_srvs.srv import SetBool

from robomatrix.config import StackConfig, load_stack_config
from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.interface import Action, ControllerDriven, Robot
from robomatrix.hardware.registry import backend_config_class, make_robot_from_config
from robomatrix.nodes.common import (
    camera_info_msg,
    command_problem,
    command_to_action,
    declare,
    image_msg,
    observation_to_msg,
    spin_node,
)

try:
    from robomatrix.msg import ArmCommand, WorldState
    from robomatrix.srv import Reset
except ImportError:  # pragma: no cover - common.py already raised a clear error
    raise


MAX_CATCH_UP = 6  # control ticks run in one timer callback at most before ticks are dropped


def _stamp(seconds: float) -> Time:
    t = Time()
    t.sec = int(seconds)
    t.nanosec = int(round((seconds - int(seconds)) * 1e9)) % 1_000_000_000
    return t


def backend_overrides(cfg: StackConfig, **given: Any) -> tuple[dict[str, Any], list[str]]:
    """Split node parameters that were set into overrides the backend's config has and names it lacks."""
    known = {f.name for f in fields(backend_config_class(cfg.backend))}
    overrides = {k: v for k, v in given.items() if k in known}
    return overrides, sorted(set(given) - known)


class HardwareNode(Node):
    """See the module docstring for the interface."""

    def __init__(self) -> None:
        super().__init__("hardware")
        config = declare(self, "config", "", "robot.yaml path; empty = the package's config/robot.yaml")
        backend = declare(self, "backend", "", "sim | bridge; empty = robot.backend from the config")
        gui = declare(self, "gui", False, "simulation only: open the PyBullet GUI window")
        seed = declare(self, "seed", -1, "simulation only: scene seed, -1 = the config's seed")
        scene = declare(self, "scene", "", "simulation only: scene name or path, empty = the config's scene")
        if not isinstance(seed, int) or seed < -1 or seed >= 2**32:
            raise ConfigError(f"parameter seed = {seed!r}: give a scene seed 0 <= seed < 2**32, or -1 for the config's")
        self.cfg = load_stack_config(config or None, backend=backend or None)
        given: dict[str, Any] = {}
        if gui:
            given["gui"] = True
        if seed >= 0:
            given["seed"] = int(seed)
        if scene:
            given["scene"] = scene
        overrides, ignored = backend_overrides(self.cfg, **given)
        if ignored:
            self.get_logger().warning(
                f"parameter(s) {ignored} do not apply to the {self.cfg.backend} backend and are ignored")
        self.robot: Robot = make_robot_from_config(self.cfg.robot_config(**overrides), self.cfg.safety)
        self.robot.connect()
        # Real-time backends driven through external controllers get their messages carried here.
        self.link: ControllerDriven | None = self.robot if isinstance(self.robot, ControllerDriven) else None
        self.has_camera = self.robot.features.get("camera_shape") is not None
        rate = self.cfg.control.rate_hz
        self.period = 1.0 / rate
        self.obs_every = max(1, round(rate / self.cfg.control.observation_rate_hz))
        self.cam_every = max(1, round(rate / self.cfg.control.camera_rate_hz))
        self.tick = 0
        self.last_command: Action | None = None
        self.last_command_time = -1.0  # robot time of the last command received
        self.holding_logged = False
        self.commands_received = 0
        self.commands_refused = 0  # refused here (frame, mode, NaN/inf, absurd values), before the safety layer
        self._last_refusal = ("", 0.0)  # (reason, wall time) of the last refusal logged
        self.closing = False  # set by close(): hold from now on, whatever arrives
        self.closing_gripper = 0.0

        self.pub_obs = self.create_publisher(WorldState, "observation", 10)
        self.pub_img = self.create_publisher(Image, "camera/image_raw", QoSProfile(depth=2))
        self.create_subscription(ArmCommand, "command", self._on_command, 10)
        self.create_service(SetBool, "estop", self._on_estop)
        if self.link is None:  # nobody else publishes this robot's joint states
            self.pub_js = self.create_publisher(JointState, "joint_states", 10)
        else:
            self._setup_bridge(self.link)
        if self.robot.owns_clock:
            # reliable: serves both reliable and best-effort /clock subscribers
            self.pub_clock = self.create_publisher(ClockMsg, "/clock", QoSProfile(depth=1))
        if self.robot.supports_reset:
            self.create_service(Reset, "reset", self._on_reset)
        # The control loop runs on the steady clock: with a robot that owns its clock this node *is* the clock.
        period = self.period / (self.cfg.control.real_time_factor if self.robot.owns_clock else 1.0)
        self.timer = self.create_timer(period, self._on_timer, clock=Clock(clock_type=ClockType.STEADY_TIME))
        self.wall_start = time.monotonic()
        self.wall_period = period
        self.rgbd_frames = 0
        rgbd = bool(declare(self, "rgbd", bool(self.cfg.camera.enabled),
                            "publish the RGB-D scene camera (default: camera.enabled of the config; the launch "
                            "file sets it with perception:=)"))
        self.rgbd_timer = None
        if rgbd and self.robot.supports_rgbd:
            self._setup_rgbd()
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.get_logger().info(
            f"{self.cfg.backend} robot up: control {rate:g} Hz, observation every {self.obs_every} ticks, "
            f"camera every {self.cam_every} ticks, watchdog {self.cfg.safety.watchdog_timeout:g} s")

    # -- time ---------------------------------------------------------------------------
    def now_s(self) -> float:
        return float(self.robot.now())

    def stamp_now(self) -> Time:
        if self.robot.owns_clock:
            return _stamp(self.now_s())
        return self.get_clock().now().to_msg()

    # -- callbacks ----------------------------------------------------------------------
    def _on_command(self, msg: ArmCommand) -> None:
        if self.closing:
            return
        self.commands_received += 1
        problem = command_problem(msg)
        if problem:
            # The arm holds (keeping its grip: a bad command must not drop what it holds) and
            # the refusal is counted in observation.rejected_commands.
            self.commands_refused += 1
            last = self.last_command
            grip = last.gripper if last is not None and np.isfinite(last.gripper) else 0.0
            self.last_command = Action.hold(gripper=grip)
            self.last_command_time = self.now_s()
            reason, when = self._last_refusal
            if problem != reason or time.monotonic() - when > 5.0:
                self.get_logger().error(f"command refused, the arm holds: {problem}")
                self._last_refusal = (problem, time.monotonic())
            return
        self.last_command = command_to_action(msg)
        self.last_command_time = self.now_s()
        if self.holding_logged:
            self.get_logger().info("arm commands are arriving again: watchdog released")
            self.holding_logged = False

    def _on_estop(self, req: SetBool.Request, res: SetBool.Response) -> SetBool.Response:
        if req.data:
            self.robot.engage_estop()
            res.message = "e-stop engaged: the arm holds until released (call estop with data: false)"
        else:
            self.robot.release_estop()
            self.last_command = None  # never resume an old command after a release
            res.message = "e-stop released"
        res.success = True
        self.get_logger().warning(res.message)
        return res

    def _on_reset(self, req: Reset.Request, res: Reset.Response) -> Reset.Response:
        try:
            # The scene is a name the backend checks (never a path): this value comes from outside.
            self.robot.reset(seed=int(req.seed), scene=req.scene or None)
        except RobomatrixError as e:
            res.success = False
            res.message = str(e)
            self.get_logger().error(f"reset refused: {e}")
            return res
        self.last_command = None
        res.success = True
        res.message = f"scene reset with seed {req.seed}"
        return res

    def _on_timer(self) -> None:
        """Run every control tick that is due by the wall clock.

        A timer callback that overruns (a camera frame takes ~25 ms to render) makes rclpy
        skip periods; catching up keeps simulated time in step with wall time and the
        publish rates on target. Far behind (a stalled machine), it drops ticks and says so.
        """
        due = int((time.monotonic() - self.wall_start) / self.wall_period) + 1 - self.tick
        if due > MAX_CATCH_UP:
            self.get_logger().warning(
                f"control loop {due} ticks behind real time: dropping {due - 1} (machine overloaded?)",
                throttle_duration_sec=5.0)
            self.wall_start += (due - 1) * self.wall_period
            due = 1
        for _ in range(max(1, due) if self.robot.owns_clock else 1):
            self._on_tick()

    def _on_tick(self) -> None:
        now = self.now_s()
        stale = now - self.last_command_time > self.cfg.safety.watchdog_timeout
        holding = self.last_command is None or stale
        if holding and self.last_command is not None and not self.holding_logged:
            self.get_logger().warning(
                f"no arm command for more than {self.cfg.safety.watchdog_timeout:g} s: watchdog holds the arm")
            self.holding_logged = True
        gripper = self.last_command.gripper if self.last_command is not None else 0.0
        action = (Action.hold(gripper=gripper if np.isfinite(gripper) else 0.0)
                  if holding or self.last_command is None else self.last_command)
        self.watchdog_holding = holding and self.last_command is not None
        if self.closing:
            action, self.watchdog_holding = Action.hold(gripper=self.closing_gripper), True
        if self.link is not None:
            self._bridge_tick(self.link, action, now)
        else:
            self.robot.send_action(action)
        if self.robot.owns_clock:
            self.robot.step()
            clock = ClockMsg()
            clock.clock = _stamp(self.robot.now())
            self.pub_clock.publish(clock)
        self.tick += 1
        want_img = self.has_camera and self.tick % self.cam_every == 0
        if self.tick % self.obs_every == 0 or want_img:
            self._publish_observation(want_img)

    def _publish_observation(self, with_image: bool) -> None:
        try:
            obs = self.robot.get_observation(with_image=with_image)
        except RobomatrixError as e:
            self.get_logger().warning(str(e), throttle_duration_sec=5.0)
            return
        if self.watchdog_holding and not obs.watchdog_holding:
            obs = replace(obs, watchdog_holding=True)
        if self.commands_refused:
            obs = replace(obs, rejected_commands=obs.rejected_commands + self.commands_refused)
        stamp = self.stamp_now()
        if self.tick % self.obs_every == 0:
            msg = observation_to_msg(obs, stamp)
            self.pub_obs.publish(msg)
            if self.link is None:
                js = JointState()
                js.header.stamp = stamp
                js.name = list(obs.joint_names)
                js.position = [float(v) for v in obs.joint_positions]
                js.velocity = [float(v) for v in obs.joint_velocities]
                self.pub_js.publish(js)
        if with_image and obs.image is not None:
            img = Image()
            img.header.stamp = stamp
            img.header.frame_id = "camera"
            img.height, img.width = int(obs.image.shape[0]), int(obs.image.shape[1])
            img.encoding = "rgb8"
            img.step = img.width * 3
            img.data = np.ascontiguousarray(obs.image, dtype=np.uint8).tobytes()
            self.pub_img.publish(img)

    # -- RGB-D scene camera -----------------------------------------------------------------
    def _setup_rgbd(self) -> None:
        cam = self.cfg.camera
        qos = QoSProfile(depth=2)
        self.pub_color = self.create_publisher(Image, "camera/color/image_raw", qos)
        self.pub_depth = self.create_publisher(Image, "camera/depth/image_raw", qos)
        self.pub_color_info = self.create_publisher(CameraInfo, "camera/color/camera_info", qos)
        self.pub_depth_info = self.create_publisher(CameraInfo, "camera/depth/camera_info", qos)
        self.depth_rng = np.random.default_rng(cam.seed)
        # Its own timer (steady clock, camera rate): the control loop catches up on the ticks a frame's
        # render delays (see _on_timer), so simulated time and the control rate stay on target.
        self.rgbd_timer = self.create_timer(1.0 / cam.rate_hz, self._on_rgbd,
                                            clock=Clock(clock_type=ClockType.STEADY_TIME))
        self.get_logger().info(
            f"scene camera: {cam.width}x{cam.height} px at {cam.rate_hz:g} Hz on camera/color and camera/depth")

    def _on_set_parameters(self, params: list[Any]) -> Any:
        """``rgbd`` at run time pauses (false) or resumes (true) the RGB-D camera; other parameters
        only take effect at start."""
        from rcl_interfaces.msg import SetParametersResult

        for p in params:
            if p.name != "rgbd":
                continue
            if not isinstance(p.value, bool):
                return SetParametersResult(successful=False, reason="rgbd must be true or false")
            if p.value and not self.robot.supports_rgbd:
                return SetParametersResult(
                    successful=False, reason=f"the {self.cfg.backend} backend renders no RGB-D camera; "
                    "run the camera's own driver")
            if p.value and self.rgbd_timer is None:
                self._setup_rgbd()
            elif p.value:
                self.rgbd_timer.reset()
                self.get_logger().info("scene camera resumed")
            elif self.rgbd_timer is not None and not self.rgbd_timer.is_canceled():
                self.rgbd_timer.cancel()
                self.get_logger().warning("scene camera paused (rgbd:=false): no camera frames until rgbd:=true")
        return SetParametersResult(successful=True)

    def _on_rgbd(self) -> None:
        try:
            rgb, depth = self.robot.render_rgbd(self.cfg.camera, self.depth_rng)
        except RobomatrixError as e:
            self.get_logger().warning(f"scene camera: {e}", throttle_duration_sec=5.0)
            return
        stamp = self.stamp_now()
        frame = "camera_color_optical_frame"
        k = self.cfg.camera.intrinsics
        self.pub_color.publish(image_msg(rgb, stamp, frame))
        self.pub_depth.publish(image_msg(depth, stamp, frame))
        self.pub_color_info.publish(camera_info_msg(k, stamp, frame))
        self.pub_depth_info.publish(camera_info_msg(k, stamp, frame))
        self.rgbd_frames += 1

    # -- bridge -------------------------------------------------------------------------
    def _setup_bridge(self, link: ControllerDriven) -> None:
        from geometry_msgs.msg import TwistStamped
        from trajectory_msgs.msg import JointTrajectory

        topics = link.controller_link
        self.create_subscription(JointState, topics.joint_states_topic, self._on_joint_state, 10)
        self.pub_traj = self.create_publisher(JointTrajectory, topics.trajectory_topic, 10)
        self.pub_grip = self.create_publisher(JointTrajectory, topics.gripper_topic, 10)
        self.pub_twist = self.create_publisher(TwistStamped, topics.twist_topic, 10)
        self.peer_lost_logged = False

    def _on_joint_state(self, msg: JointState) -> None:
        if self.link is not None:
            self.link.update_joint_state(list(msg.name), list(msg.position), list(msg.velocity), self.now_s())

    def _bridge_tick(self, link: ControllerDriven, action: Action, now: float) -> None:
        from geometry_msgs.msg import TwistStamped
        from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

        bcfg = link.controller_link
        age = link.joint_states_age(now)
        if age > bcfg.joint_state_timeout:
            if not self.peer_lost_logged:
                self.get_logger().warning(
                    f"no joint states on {bcfg.joint_states_topic} for {age:.1f} s: not commanding the arm "
                    "until they return (is the controller running?)")
                self.peer_lost_logged = True
            return
        if self.peer_lost_logged:
            self.get_logger().info("joint states are back")
            self.peer_lost_logged = False
        self.robot.send_action(action)
        cmd = link.take_command()
        if cmd is None:
            return
        stamp = self.get_clock().now().to_msg()

        def traj(names: tuple[str, ...], positions: np.ndarray, t: float) -> JointTrajectory:
            msg = JointTrajectory()
            msg.header.stamp = stamp
            msg.joint_names = list(names)
            pt = JointTrajectoryPoint()
            pt.positions = [float(v) for v in positions]
            pt.time_from_start.sec = int(t)
            pt.time_from_start.nanosec = int((t - int(t)) * 1e9)
            msg.points = [pt]
            return msg

        if cmd.kind == "joint_trajectory" and cmd.positions is not None:
            self.pub_traj.publish(traj(cmd.joint_names, cmd.positions, cmd.time_from_start))
        elif cmd.kind == "servo_twist":
            tw = TwistStamped()
            tw.header.stamp = stamp
            tw.header.frame_id = bcfg.twist_frame
            tw.twist.linear.x, tw.twist.linear.y, tw.twist.linear.z = (float(v) for v in cmd.linear)
            tw.twist.angular.x, tw.twist.angular.y, tw.twist.angular.z = (float(v) for v in cmd.angular)
            self.pub_twist.publish(tw)
        if cmd.gripper_positions is not None and cmd.gripper_joint_names:
            self.pub_grip.publish(traj(cmd.gripper_joint_names, cmd.gripper_positions, 2 * self.period))

    def close(self) -> None:
        """On shutdown: hold the arm from this tick on and say so in every observation.

        The control loop keeps running while spin_node drains (the hold reaches a real
        controller, the observations reach their subscribers); destroy_node disconnects.
        """
        gripper = self.last_command.gripper if self.last_command is not None else 0.0
        self.closing_gripper = gripper if np.isfinite(gripper) else 0.0
        self.closing = True
        self.last_command = None
        self.get_logger().info("shutting down: the arm holds")
        self._on_tick()  # at once, not at the next timer tick
        self._publish_observation(False)  # and say so now: the process may be gone before the next one

    def destroy_node(self) -> None:
        # Also called by rclpy's context clean-up on a node whose constructor failed (bad config):
        # only what was built is stopped.
        timer = getattr(self, "timer", None)
        if timer is not None:
            timer.cancel()
        try:
            robot = getattr(self, "robot", None)
            if robot is not None:
                robot.disconnect()
        finally:
            super().destroy_node()


def main(argv: list[str]) -> int:
    return spin_node(HardwareNode, argv)
