"""Hardware node: the robot interface on ROS 2.

Parameters
  config (str): robot.yaml path; default the package's config/robot.yaml
  backend (str): sim | bridge; overrides robot.backend from the config when set
  gui (bool): simulation only, open the PyBullet window
  seed (int): simulation only, -1 keeps the config's seed
  scene (str): simulation only, scene name or path; "" keeps the config's scene
Subscriptions
  command (robomatrix/ArmCommand): arm command at the control rate
  bridge only: <bridge.joint_states_topic> (sensor_msgs/JointState) from the robot's controllers
Publishers
  joint_states (sensor_msgs/JointState): simulation only (a real robot's broadcaster publishes them)
  observation (robomatrix/WorldState): end effector, gripper, objects, safety state
  camera/image_raw (sensor_msgs/Image, rgb8): simulation camera
  /clock (rosgraph_msgs/Clock): simulation time
  bridge only: <bridge.trajectory_topic>, <bridge.gripper_topic> (trajectory_msgs/JointTrajectory) or
  <bridge.twist_topic> (geometry_msgs/TwistStamped)
Services
  estop (std_srvs/SetBool): true engages the latching e-stop, false releases it
  reset (robomatrix/Reset): simulation only, rebuild the scene from a seed

Safety (workspace box, speed caps, non-finite rejection, e-stop) lives in the core
SafetyFilter; the watchdog here holds the arm when commands stop for
safety.watchdog_timeout seconds of robot time, and says so. On SIGINT/SIGTERM (also sent
when the launcher dies) the node ignores commands and holds the arm, its observations say
watchdog_holding true while it drains (about half a second), then it disconnects.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
from builtin_interfaces.msg import Time
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import Image, JointState
from std_srvs.srv import SetBool

from robomatrix.config import StackConfig, load_stack_config
from robomatrix.errors import RobomatrixError
from robomatrix.hardware.interface import Action, Robot
from robomatrix.nodes.common import command_to_action, declare, observation_to_msg, spin_node

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


def build_robot(cfg: StackConfig, gui: bool = False, seed: int | None = None, scene: str | None = None) -> Robot:
    """Robot backend named by the config (the registry of backends is this function's two cases)."""
    if cfg.backend == "sim":
        from robomatrix.hardware.sim import SimConfig, SimRobot

        sim: dict[str, Any] = dict(cfg.sim)
        sim["control_hz"] = cfg.control.rate_hz
        if gui:
            sim["gui"] = True
        if seed is not None:
            sim["seed"] = seed
        if scene:
            sim["scene"] = scene
        return SimRobot(SimConfig.from_dict(sim), cfg.safety)
    from robomatrix.hardware.bridge import BridgeConfig, BridgeRobot

    return BridgeRobot(BridgeConfig.from_dict(cfg.bridge), cfg.safety, control_hz=cfg.control.rate_hz)


class HardwareNode(Node):
    """See the module docstring for the interface."""

    def __init__(self) -> None:
        super().__init__("hardware")
        config = declare(self, "config", "", "robot.yaml path; empty = the package's config/robot.yaml")
        backend = declare(self, "backend", "", "sim | bridge; empty = robot.backend from the config")
        gui = declare(self, "gui", False, "simulation only: open the PyBullet GUI window")
        seed = declare(self, "seed", -1, "simulation only: scene seed, -1 = the config's seed")
        scene = declare(self, "scene", "", "simulation only: scene name or path, empty = the config's scene")
        self.cfg = load_stack_config(config or None, backend=backend or None)
        self.robot = build_robot(self.cfg, gui=bool(gui), seed=None if seed < 0 else int(seed), scene=scene)
        self.robot.connect()
        self.is_sim = self.cfg.backend == "sim"
        rate = self.cfg.control.rate_hz
        self.period = 1.0 / rate
        self.obs_every = max(1, round(rate / self.cfg.control.observation_rate_hz))
        self.cam_every = max(1, round(rate / self.cfg.control.camera_rate_hz))
        self.tick = 0
        self.last_command: Action | None = None
        self.last_command_time = -1.0  # robot time of the last command received
        self.holding_logged = False
        self.commands_received = 0
        self.closing = False  # set by close(): hold from now on, whatever arrives
        self.closing_gripper = 0.0

        self.pub_obs = self.create_publisher(WorldState, "observation", 10)
        self.pub_img = self.create_publisher(Image, "camera/image_raw", QoSProfile(depth=2))
        self.create_subscription(ArmCommand, "command", self._on_command, 10)
        self.create_service(SetBool, "estop", self._on_estop)
        if self.is_sim:
            self.pub_js = self.create_publisher(JointState, "joint_states", 10)
            # reliable: serves both reliable and best-effort /clock subscribers
            self.pub_clock = self.create_publisher(ClockMsg, "/clock", QoSProfile(depth=1))
            self.create_service(Reset, "reset", self._on_reset)
        else:
            self._setup_bridge()
        # The control loop runs on the steady clock: in simulation this node *is* the clock.
        period = self.period / (self.cfg.control.real_time_factor if self.is_sim else 1.0)
        self.timer = self.create_timer(period, self._on_timer, clock=Clock(clock_type=ClockType.STEADY_TIME))
        self.wall_start = time.monotonic()
        self.wall_period = period
        self.get_logger().info(
            f"{self.cfg.backend} robot up: control {rate:g} Hz, observation every {self.obs_every} ticks, "
            f"camera every {self.cam_every} ticks, watchdog {self.cfg.safety.watchdog_timeout:g} s")

    # -- time ---------------------------------------------------------------------------
    def now_s(self) -> float:
        if self.is_sim:
            return float(self.robot.sim_time)  # type: ignore[attr-defined]
        return time.monotonic()

    def stamp_now(self) -> Time:
        if self.is_sim:
            return _stamp(self.now_s())
        return self.get_clock().now().to_msg()

    # -- callbacks ----------------------------------------------------------------------
    def _on_command(self, msg: ArmCommand) -> None:
        if self.closing:
            return
        self.commands_received += 1
        self.last_command = command_to_action(msg)
        self.last_command_time = self.now_s()
        if self.holding_logged:
            self.get_logger().info("arm commands are arriving again: watchdog released")
            self.holding_logged = False

    def _on_estop(self, req: SetBool.Request, res: SetBool.Response) -> SetBool.Response:
        safety = self.robot.safety  # type: ignore[attr-defined]
        if req.data:
            safety.engage_estop()
            res.message = "e-stop engaged: the arm holds until released (call estop with data: false)"
        else:
            safety.release_estop()
            self.last_command = None  # never resume an old command after a release
            res.message = "e-stop released"
        res.success = True
        self.get_logger().warning(res.message)
        return res

    def _on_reset(self, req: Reset.Request, res: Reset.Response) -> Reset.Response:
        try:
            self.robot.reset(seed=int(req.seed), scene=req.scene or None)  # type: ignore[attr-defined]
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
        for _ in range(max(1, due) if self.is_sim else 1):
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
        action = Action.hold(gripper=gripper if np.isfinite(gripper) else 0.0) if holding else self.last_command
        self.watchdog_holding = holding and self.last_command is not None
        if self.closing:
            action, self.watchdog_holding = Action.hold(gripper=self.closing_gripper), True
        if self.is_sim:
            self.robot.send_action(action)
            self.robot.step()  # type: ignore[attr-defined]
            clock = ClockMsg()
            clock.clock = _stamp(self.robot.sim_time)  # type: ignore[attr-defined]
            self.pub_clock.publish(clock)
        else:
            self._bridge_tick(action, now)
        self.tick += 1
        want_img = self.is_sim and self.tick % self.cam_every == 0
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
        stamp = self.stamp_now()
        if self.tick % self.obs_every == 0:
            msg = observation_to_msg(obs, stamp)
            self.pub_obs.publish(msg)
            if self.is_sim:
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

    # -- bridge -------------------------------------------------------------------------
    def _setup_bridge(self) -> None:
        from geometry_msgs.msg import TwistStamped
        from trajectory_msgs.msg import JointTrajectory

        bcfg = self.robot.config  # type: ignore[attr-defined]
        self.create_subscription(JointState, bcfg.joint_states_topic, self._on_joint_state, 10)
        self.pub_traj = self.create_publisher(JointTrajectory, bcfg.trajectory_topic, 10)
        self.pub_grip = self.create_publisher(JointTrajectory, bcfg.gripper_topic, 10)
        self.pub_twist = self.create_publisher(TwistStamped, bcfg.twist_topic, 10)
        self.peer_lost_logged = False

    def _on_joint_state(self, msg: JointState) -> None:
        self.robot.update_joint_state(  # type: ignore[attr-defined]
            list(msg.name), list(msg.position), list(msg.velocity), time.monotonic())

    def _bridge_tick(self, action: Action, now: float) -> None:
        from geometry_msgs.msg import TwistStamped
        from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

        bcfg = self.robot.config  # type: ignore[attr-defined]
        age = self.robot.joint_states_age(now)  # type: ignore[attr-defined]
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
        cmd = self.robot.take_command()  # type: ignore[attr-defined]
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

    def destroy_node(self) -> None:
        self.timer.cancel()
        try:
            self.robot.disconnect()
        finally:
            super().destroy_node()


def main(argv: list[str]) -> int:
    return spin_node(HardwareNode, argv)
