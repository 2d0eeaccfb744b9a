"""Skill server node: runs meta-skills (RT-H language-motion policies) against the hardware node.

Parameters
  config (str): robot.yaml (control rate); default the package's config/robot.yaml
  controller (str): policy (trained checkpoints in skills/<name>/policy.pt) | oracle (scripted,
    simulation only: uses the simulator's privileged object poses)
  skills_dir (str): skill library folder; empty = the package's skills/
  correction_hold (float): s a person's language motion overrides the policy; 0 = until "resume"
    (default: skill_server.correction_hold of the config)
  intervention_dir (str): where corrected episodes are recorded (MCAP); empty = ~/.robomatrix/interventions.
    Each file is written under a hidden .partial name in that folder, fsynced, then linked to its
    name; an episode that cannot be written (folder unwritable, disk full) is kept in memory (up to
    20), written with the next save that can be, and the skill's result.reason says so
  observation_timeout (float): s without an observation before a running skill aborts
    (default: skill_server.observation_timeout of the config)
  camera_record_hz (float): rate at which RGB-D frames are kept for intervention recordings while a
    skill runs (default 5 Hz: decimated from the camera's 15; 0 = no images)
Subscriptions
  observation (robomatrix/WorldState): the world, one control tick per message
  correction (robomatrix/LanguageMotion): a person's language motion, e.g. "move arm up", or "resume"
  scheduler_alive (std_msgs/String): the scheduler's heartbeat naming its running skill goals; once
    one names the running goal, 1.5 s without one ends the skill and holds the arm (its client
    was killed or froze). A client that sends none (a test, a script) is not watched
  camera/color/image_raw, camera/depth/image_raw (sensor_msgs/Image), camera/depth/camera_info
    (sensor_msgs/CameraInfo): when the RGB-D camera is on (perception:=true), its frames during a
    run go into the intervention recording with the steps (MCAP, robomatrix/skills/recording.py)
Publishers
  command (robomatrix/ArmCommand): one per observation while a skill runs; a hold when it ends
  skill_server_alive (std_msgs/String): heartbeat, 5 Hz of steady time: the running goal's id
    (hex; "" when none). The scheduler fails a task at once when it stops mid-skill
  language_motion (robomatrix/LanguageMotion): the motion executed each tick and who chose it
Actions
  execute_skill (robomatrix/ExecuteSkill): a goal naming an unknown skill, ill-typed or ungrounded
    arguments, or arriving while another skill runs ends ABORTED at once with the reason in
    result.reason (ROS 2 goal responses carry no text)
Services
  list_skills (robomatrix/ListSkills)

Threading: one thread. The control tick runs in the observation callback and the
execute_skill callback only awaits the run's end, so a correction, a cancel and the next
observation are handled as they arrive. (rclpy's MultiThreadedExecutor, used before, kept
a core busy rebuilding wait sets and stalled the command stream for 100-700 ms.)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rclpy
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.task import Future
from std_msgs.msg import String

from robomatrix.config import load_stack_config
from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.interface import Action, Observation
from robomatrix.nodes.common import (
    action_to_command,
    declare,
    image_to_array,
    msg_to_observation,
    publish_safely,
    spin_node,
    stamp_seconds,
)
from robomatrix.policies.language_motion import UnknownMotionError, parse_motion
from robomatrix.skills.executor import ExecutionConfig, SkillExecution, Tick, make_controller
from robomatrix.skills.spec import SkillLibrary, load_skill_library
from robomatrix.skills.status import SkillStatus

try:
    from robomatrix.action import ExecuteSkill
    from robomatrix.msg import ArmCommand, LanguageMotion, WorldState
    from robomatrix.srv import ListSkills
except ImportError:  # pragma: no cover - common.py already raised a clear error
    raise


CONTROLLERS = ("policy", "oracle")
FIRST_OBSERVATION_WAIT_S = 5.0  # s a goal waits for the first observation after start-up
STALE_GRACE_S = 1.0  # s a goal waits for fresh perception before it is refused as stale (queued messages)
WATCH_PERIOD_S = 0.1  # s between checks for a silent hardware node (steady clock)
MAX_PENDING_EPISODES = 20  # corrected episodes kept in memory while the intervention folder cannot be written
MAX_PENDING_WITH_IMAGES = 2  # of those, how many keep their camera frames (about 50 MB each at 5 Hz)
HEARTBEAT_PERIOD_S = 0.2  # s between skill_server_alive messages (steady clock)
WATCH_STALL_S = 1.0  # s between two _watch calls that mean this process itself stalled
CLIENT_SILENT_S = 1.5  # s without the scheduler's heartbeat naming the running goal before the arm holds


ARGUMENT_TYPES = ("object", "direction", "number", "string")  # SkillArgument.type


def _goal_hex(goal_handle: Any) -> str:
    return bytes(goal_handle.goal_id.uuid).hex()


def arguments_from_goal(goal: Any) -> dict[str, Any]:
    """SkillArgument[] → {name: value}; numbers as float, the rest as text.

    Raises :class:`SkillArgumentError` for an argument of unknown type, or one given twice."""
    from robomatrix.skills.spec import SkillArgumentError

    out: dict[str, Any] = {}
    for a in goal.arguments:
        if a.type not in ARGUMENT_TYPES:
            raise SkillArgumentError(
                f"argument {a.name[:60]!r} has type {a.type[:60]!r}; SkillArgument.type must be one of "
                f"{', '.join(ARGUMENT_TYPES)} (a number goes in .number with type 'number', the rest in .value)")
        if a.name in out:
            raise SkillArgumentError(f"argument {a.name[:60]!r} is given twice; give each argument once")
        out[a.name] = float(a.number) if a.type == "number" else a.value
    return out


@dataclass
class _Run:
    """The goal being executed: ticked by each observation until ``done`` holds (SkillStatus, reason)."""

    execution: SkillExecution
    goal_handle: Any
    done: Future = field(default_factory=Future)
    last_obs_wall: float = field(default_factory=time.monotonic)
    # time.monotonic() of the last scheduler_alive naming this goal; None = its client sends none
    # (a test, the learning wing's client): then only a cancel or the skill's end stops it
    client_beat: float | None = None
    records: list[tuple[float, np.ndarray | None, np.ndarray, str, str]] = field(default_factory=list)
    frames: list[tuple[float, np.ndarray, np.ndarray, Any]] = field(default_factory=list)  # (t, rgb, depth, K)


class SkillServerNode(Node):
    """See the module docstring for the interface."""

    def __init__(self) -> None:
        super().__init__("skill_server")
        config = declare(self, "config", "", "robot.yaml path; empty = the package's config/robot.yaml")
        self.controller_kind = declare(self, "controller", "policy", "policy | oracle (scripted, simulation)")
        skills_dir = declare(self, "skills_dir", "", "skill library folder; empty = the package's skills/")
        if self.controller_kind not in CONTROLLERS:
            raise ConfigError(f"controller {self.controller_kind!r} is not one of {', '.join(CONTROLLERS)}; "
                              "set controller:=policy (trained checkpoints) or controller:=oracle (scripted)")
        cfg = load_stack_config(config or None)
        # The config file's skill_server section is each parameter's default; a set parameter wins.
        section = cfg.settings("skill_server")
        try:
            defaults = {k: float(section[k]) for k in ("correction_hold", "observation_timeout")}
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{cfg.source}: skill_server correction_hold and observation_timeout must be "
                              f"numbers of seconds, got {section}") from e
        hold = declare(self, "correction_hold", defaults["correction_hold"],
                       "s a person's motion overrides the policy; 0 = until resume")
        idir = declare(self, "intervention_dir", "", "folder for corrected episodes (MCAP)")
        self.obs_timeout = float(declare(self, "observation_timeout", defaults["observation_timeout"],
                                         "s without an observation before a running skill aborts"))
        if not (math.isfinite(self.obs_timeout) and self.obs_timeout > 0):
            raise ConfigError(f"observation_timeout must be a positive number of seconds, got {self.obs_timeout}; "
                              "set observation_timeout:=2.0 (or skill_server.observation_timeout in robot.yaml)")
        self.camera_record_hz = float(declare(self, "camera_record_hz", 5.0,
                                              "Hz of RGB-D frames kept for intervention recordings; 0 = none"))
        if not (math.isfinite(self.camera_record_hz) and self.camera_record_hz >= 0):
            raise ConfigError(f"camera_record_hz must be a number >= 0 (Hz), got {self.camera_record_hz}; "
                              "set camera_record_hz:=5.0, or 0 to record no images")
        self.exec_config = ExecutionConfig(correction_hold=float(hold), control_hz=cfg.control.rate_hz)
        self.library: SkillLibrary = load_skill_library(Path(skills_dir) if skills_dir else None)
        self.intervention_dir = Path(idir) if idir else Path.home() / ".robomatrix" / "interventions"
        self._controllers: dict[str, Any] = {}
        self._world: Observation | None = None
        self._world_waiters: list[Future] = []
        self._run: _Run | None = None
        self._pending: list[tuple[dict[str, Any], list[Any], bool, list[Any]]] = []  # episodes not yet written
        self._beats: dict[str, float] = {}  # goal id (hex) -> last scheduler_alive naming it
        self._latest_beat_ids: set[str] = set()  # the goal ids the last scheduler_alive named
        self._last_watch = time.monotonic()
        self.pub_cmd = self.create_publisher(ArmCommand, "command", 10)
        self.pub_motion = self.create_publisher(LanguageMotion, "language_motion", 10)
        self.create_subscription(WorldState, "observation", self._on_world, 10)
        self.create_subscription(LanguageMotion, "correction", self._on_correction, 10)
        self.create_subscription(String, "scheduler_alive", self._on_client_beat, 10)
        # Its own heartbeat: the running goal's id (hex; "" when none), so the scheduler can tell a
        # dead or frozen skill server from a result that is late.
        self.pub_alive = self.create_publisher(String, "skill_server_alive", 10)
        self.create_timer(HEARTBEAT_PERIOD_S, self._beat, clock=Clock(clock_type=ClockType.STEADY_TIME))
        self._colour: tuple[float, Any] | None = None  # (stamp, Image) waiting for its depth image
        self._depth: tuple[float, Any] | None = None  # (stamp, Image) waiting for its colour image
        self._camera_info: Any = None
        if self.camera_record_hz > 0:
            from rclpy.qos import QoSProfile
            from sensor_msgs.msg import CameraInfo, Image

            qos = QoSProfile(depth=2)
            self.create_subscription(Image, "camera/color/image_raw", self._on_colour, qos)
            self.create_subscription(Image, "camera/depth/image_raw", self._on_depth, qos)
            self.create_subscription(CameraInfo, "camera/depth/camera_info", self._on_camera_info, qos)
        self._preload_controllers()
        self.create_service(ListSkills, "list_skills", self._on_list)
        self._server = ActionServer(
            self, ExecuteSkill, "execute_skill", execute_callback=self._execute,
            goal_callback=lambda _goal: GoalResponse.ACCEPT, cancel_callback=self._on_cancel)
        # Wall time, not robot time: this notices a hardware node (the robot clock) that went quiet.
        self.create_timer(WATCH_PERIOD_S, self._watch, clock=Clock(clock_type=ClockType.STEADY_TIME))
        self.get_logger().info(
            f"skill server up: {len(self.library.names)} skills ({', '.join(self.library.names)}), "
            f"controller={self.controller_kind}, correction hold {self.exec_config.correction_hold:g} s")

    # -- inputs -------------------------------------------------------------------------
    def _on_world(self, msg: WorldState) -> None:
        try:
            obs = msg_to_observation(msg)
        except Exception as e:  # a malformed message must not kill the node
            self.get_logger().error(f"observation ignored: {e}")
            return
        self._world = obs
        waiters, self._world_waiters = self._world_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(obs)
        if self._run is not None and not self._run.done.done():
            self._step(self._run, obs)

    def _beat(self) -> None:
        run = self._run
        running = run is not None and not run.done.done()
        self.pub_alive.publish(String(data=_goal_hex(run.goal_handle) if running else ""))

    def _on_client_beat(self, msg: String) -> None:
        now = time.monotonic()
        self._latest_beat_ids = {goal_id[:64] for goal_id in msg.data.split()[:16]}
        for goal_id in msg.data.split()[:16]:
            self._beats[goal_id[:64]] = now
        if len(self._beats) > 64:  # ids of goals long ended
            self._beats = {k: t for k, t in self._beats.items() if now - t < 10.0}
        run = self._run
        if run is not None and not run.done.done() and _goal_hex(run.goal_handle) in self._beats:
            run.client_beat = self._beats[_goal_hex(run.goal_handle)]

    def _on_colour(self, msg: Any) -> None:
        if self._run is not None and not self._run.done.done():
            self._colour = (stamp_seconds(msg.header.stamp), msg)
            self._pair_frame()

    def _on_camera_info(self, msg: Any) -> None:
        self._camera_info = msg

    def _on_depth(self, msg: Any) -> None:
        if self._run is not None and not self._run.done.done():
            self._depth = (stamp_seconds(msg.header.stamp), msg)
            self._pair_frame()

    def _pair_frame(self) -> None:
        """Keep the run's RGB-D frames at camera_record_hz (decimated by stamp) for its recording:
        a colour and a depth image of the same stamp, whichever arrived first."""
        run, colour, depth = self._run, self._colour, self._depth
        if run is None or colour is None or depth is None or colour[0] != depth[0]:
            return
        if self._camera_info is None:  # a frame without its intrinsics cannot be back-projected: not kept
            self.get_logger().warning("camera frame not recorded: no CameraInfo on camera/depth/camera_info yet",
                                      throttle_duration_sec=10.0)
            return
        self._colour = self._depth = None
        t = colour[0] - run.execution.start.stamp
        if t < 0 or (run.frames and t - run.frames[-1][0] < 1.0 / self.camera_record_hz - 1e-6):
            return
        try:
            rgb, dep = image_to_array(colour[1]), image_to_array(depth[1])
        except RobomatrixError as e:
            self.get_logger().warning(f"camera frame not recorded: {e}", throttle_duration_sec=10.0)
            return
        k = None
        info = self._camera_info
        if info is not None:
            from robomatrix.hardware.camera import CameraIntrinsics

            try:
                k = CameraIntrinsics.from_k(info.width, info.height, info.k)
            except RobomatrixError:
                k = None
        if rgb.ndim == 3 and dep.shape == rgb.shape[:2]:
            run.frames.append((t, rgb, dep, k))

    def _on_list(self, _req: ListSkills.Request, res: ListSkills.Response) -> ListSkills.Response:
        for name in self.library.names:
            spec = self.library.get(name)
            res.names.append(name)
            res.descriptions.append(" ".join(spec.description.split()))
            res.specs_yaml.append(spec.to_yaml())
        return res

    def _on_correction(self, msg: LanguageMotion) -> None:
        try:  # read it first: a person typing nonsense hears so even when no skill runs
            parse_motion(msg.motion)
        except UnknownMotionError as e:
            self.get_logger().warning(f"correction rejected: {e}")
            return
        run = self._run
        if run is None or run.done.done() or run.execution.status != SkillStatus.RUNNING:
            self.get_logger().warning(f"correction {msg.motion!r} ignored: no skill is running; "
                                      "send it while a skill runs (robomatrix task ...)")
            return
        execution = run.execution
        try:
            motion = execution.correct(msg.motion, self._world.stamp if self._world is not None else 0.0)
        except UnknownMotionError as e:
            self.get_logger().warning(f"correction rejected: {e}")
            return
        # Act on it now rather than at the next observation: the arm changes course within
        # the time it takes a message to cross, not a control period later.
        if execution.correction is not None and self._world is not None:
            try:
                action = execution.controller.act(self._world, execution.correction)
            except RobomatrixError as e:
                self.get_logger().warning(f"cannot execute the correction yet: {e}")
            else:
                self.pub_cmd.publish(action_to_command(action))
        self.get_logger().info(f"person: {motion!r} during {execution.spec.name}")

    def _on_cancel(self, _goal: Any) -> CancelResponse:
        # Hold right away; the next observation ends the run.
        run = self._run
        self._hold(run.execution if run is not None else None)
        return CancelResponse.ACCEPT

    # -- execution ----------------------------------------------------------------------
    def _preload_controllers(self) -> None:
        """Load every skill's controller (its policy checkpoint, torch) before serving goals: loaded on
        the first goal instead, the load blocked this node's executor for seconds on a loaded machine,
        no heartbeat went out, and the scheduler took the silent server for a dead one (the first task
        of a fresh stack failed). A checkpoint that does not load is left to its goal, which then
        fails with the reason."""
        t0 = time.monotonic()
        for name in self.library.names:
            try:
                self._controller(name)
            except Exception as e:  # reported per goal, with the fix
                self.get_logger().warning(f"skill {name!r}: controller not loaded ({e}); its goals will fail")
        self.get_logger().info(f"controllers loaded in {time.monotonic() - t0:.1f} s")

    def _controller(self, name: str) -> Any:
        if name not in self._controllers:
            self._controllers[name] = make_controller(self.controller_kind, self.library.get(name), self.library)
        return self._controllers[name]

    async def _next_world(self, timeout: float) -> Observation | None:
        """The next observation to arrive, or None after ``timeout`` s (steady clock)."""
        fut: Future = Future()
        self._world_waiters.append(fut)
        timer = self.create_timer(timeout, lambda: fut.done() or fut.set_result(None),
                                  clock=Clock(clock_type=ClockType.STEADY_TIME))
        try:
            return await fut
        finally:
            self.destroy_timer(timer)

    async def _first_world(self) -> Observation | None:
        """The latest observation; right after start-up, wait for the first (discovery takes a moment)."""
        if self._world is not None:
            return self._world
        return await self._next_world(FIRST_OBSERVATION_WAIT_S)

    async def _fresh_world(self, world: Observation) -> Observation:
        """``world``, or a newer observation if perception is stale in it and turns fresh within
        STALE_GRACE_S: under load the queue may still hold observations from before the camera's
        first frame while newer ones, already fresh, are on their way."""
        deadline = time.monotonic() + STALE_GRACE_S
        while world.perception_stale and (left := deadline - time.monotonic()) > 0:
            newer = await self._next_world(left)
            if newer is None:
                break
            world = newer
        return world

    def _busy(self, new_goal: Any = None) -> str:
        """Why a new goal cannot start now ("" when it can).

        A running goal its scheduler has given up on is superseded by the scheduler's next goal: the
        scheduler's heartbeat names the new goal and no longer the running one (it gave up while this
        node was frozen or starved, and its cancel can lag seconds behind: DDS repairs a request lost
        to a full socket buffer only on the writer's next heartbeat). The running one then ends, the
        arm holding, instead of refusing the scheduler's replan as "still running"."""
        run = self._run
        if run is None or run.done.done():
            return ""
        if new_goal is not None and self._latest_beat_ids and run.client_beat is not None:
            new_id, old_id = _goal_hex(new_goal), _goal_hex(run.goal_handle)
            if new_id in self._latest_beat_ids and old_id not in self._latest_beat_ids:
                self._finish(run, SkillStatus.FAILED, "superseded: the scheduler gave up on this goal and sent "
                             "another; the arm was told to hold", hold=True)
                return ""
        return f"skill {run.execution.spec.name!r} is still running; cancel it or wait for it to finish"

    def _refuse(self, goal_handle: Any, reason: str) -> Any:
        self.get_logger().warning(f"execute_skill aborted: {reason}")
        goal_handle.abort()
        return ExecuteSkill.Result(success=False, reason=reason)

    async def _execute(self, goal_handle: Any) -> Any:
        goal = goal_handle.request
        if busy := self._busy(goal_handle):
            return self._refuse(goal_handle, busy)
        world = await self._first_world()
        if world is None:
            return self._refuse(goal_handle, f"no observation from the hardware node within "
                                f"{FIRST_OBSERVATION_WAIT_S:g} s; is it running in this ROS domain and namespace?")
        if busy := self._busy(goal_handle):  # another goal started while this one waited
            return self._refuse(goal_handle, busy)
        world = await self._fresh_world(world)
        if busy := self._busy(goal_handle):
            return self._refuse(goal_handle, busy)
        if world.perception_stale:  # the objects are unknown: nothing can be grounded or moved on them
            return self._refuse(goal_handle, f"{world.perception_stale}; the skill was not started")
        try:
            spec = self.library.get(goal.skill)
            args = spec.validate_arguments(arguments_from_goal(goal), list(world.objects))
            controller = self._controller(spec.name)
        except RobomatrixError as e:
            return self._refuse(goal_handle, str(e))
        run = _Run(SkillExecution(spec, args, controller, world, self.exec_config), goal_handle)
        # the scheduler names a goal in its heartbeat before sending it: watched from the start
        run.client_beat = self._beats.get(_goal_hex(goal_handle))
        self._run = run
        self.get_logger().info(f"executing {spec.name}({args}) with the {self.controller_kind}")
        status, reason = await run.done
        if not rclpy.ok(context=self.context):  # shutting down: the goal can no longer be answered
            return ExecuteSkill.Result(success=False, reason=reason)
        if status == SkillStatus.SUCCEEDED:
            goal_handle.succeed()
        elif status == SkillStatus.CANCELED:
            goal_handle.canceled()
        else:
            self.get_logger().warning(f"execute_skill aborted: {reason}")
            goal_handle.abort()
        return ExecuteSkill.Result(success=status == SkillStatus.SUCCEEDED, reason=reason)

    def _step(self, run: _Run, obs: Observation) -> None:
        """One control tick of the running skill, on a new observation."""
        run.last_obs_wall = time.monotonic()
        execution = run.execution
        if run.goal_handle.is_cancel_requested:
            self._finish(run, SkillStatus.CANCELED, "canceled: the arm holds", hold=True)
            return
        tick = execution.tick(obs)
        self.pub_cmd.publish(action_to_command(tick.action))
        self._publish_motion(tick, execution.spec.name)
        if tick.status != SkillStatus.RUNNING:
            # A skill that ends, however, leaves the arm holding: its last command may be a velocity,
            # which the hardware would otherwise keep applying until its watchdog (the arm sinking
            # below the pose the skill reached while the scheduler checks the task's goal).
            self._finish(run, tick.status, tick.reason, hold=True)
            return
        self._record(run, obs, tick)
        run.goal_handle.publish_feedback(ExecuteSkill.Feedback(
            language_motion=tick.motion, source=tick.source, progress=float(tick.progress)))

    def _watch(self) -> None:
        """End a run whose hardware node went quiet (no observation for observation_timeout s), or
        whose client (the scheduler) stopped its heartbeat: nobody would be told its end."""
        now = time.monotonic()
        stalled = now - self._last_watch > WATCH_STALL_S
        self._last_watch = now
        run = self._run
        if run is None or run.done.done():
            return
        if stalled and run.client_beat is not None:
            # This process was frozen or starved: heartbeats may wait in the queue behind this
            # timer. Judge the scheduler on what arrives from now on.
            run.client_beat = now
        if run.client_beat is not None and now - run.client_beat > CLIENT_SILENT_S:
            self._finish(run, SkillStatus.FAILED, f"the scheduler that sent this goal fell silent (no scheduler_alive "
                         f"for {CLIENT_SILENT_S:g} s: killed or frozen); the arm was told to hold", hold=True)
            return
        if now - run.last_obs_wall <= self.obs_timeout:
            return
        self._finish(run, SkillStatus.FAILED, f"no observation for {self.obs_timeout:g} s: the hardware node stopped "
                                  "or is unreachable; the arm was told to hold", hold=True)

    def _finish(self, run: _Run, status: SkillStatus, reason: str, hold: bool = False) -> None:
        """End the run (``hold``: first tell the arm to hold): keep what a person corrected, then
        let _execute answer the goal."""
        if hold:
            self._hold(run.execution)
        if run.execution.status == SkillStatus.RUNNING:
            run.execution.status = SkillStatus.FAILED
        note = self._save_interventions(run)
        run.done.set_result((status, f"{reason}; {note}" if note and reason else note or reason))

    def _hold(self, execution: SkillExecution | None) -> None:
        gripper = execution.last_gripper if execution is not None else 0.0
        publish_safely(self.pub_cmd, action_to_command(Action.hold(gripper=gripper)))

    def _publish_motion(self, tick: Tick, skill: str) -> None:
        msg = LanguageMotion(motion=tick.motion, source=tick.source, skill=skill)
        msg.header.stamp = self.get_clock().now().to_msg()
        self.pub_motion.publish(msg)

    def _record(self, run: _Run, obs: Observation, tick: Tick) -> None:
        features = None
        execution = run.execution
        try:
            own = getattr(execution.controller, "features", None)  # a policy's: already built this tick
            if own is not None:
                features = own(obs)
            else:
                from robomatrix.policies.features import build_features

                features = build_features(obs, execution.spec.name, execution.args, tuple(self.library.names),
                                          execution.spec.place_arguments)
        except RobomatrixError:
            pass
        a = tick.action
        vec = np.array([*a.linear, a.angular[2], a.gripper], dtype=np.float32)
        run.records.append((max(0.0, obs.stamp - execution.start.stamp), features, vec, tick.motion, tick.source))

    def _save_interventions(self, run: _Run) -> str:
        """Record an episode a person corrected (RT-H intervention data), in MCAP; "" or a note
        for the skill's result when it could not be written.

        The file is written to a hidden ``.partial`` name in the same folder, fsynced, then
        linked to its name (:class:`~robomatrix.skills.recording.EpisodeWriter`). An episode
        that cannot be written (folder unwritable, disk full) is kept in memory (the last
        MAX_PENDING_EPISODES) and written with the next one that can be; the result says so.
        """
        execution = run.execution
        if execution.corrections == 0 or not run.records:
            return ""
        meta = {"skill": execution.spec.name, "args": execution.args, "source": "human",
                "corrections": execution.corrections, "controller": self.controller_kind}
        self._pending.append((meta, list(run.records), execution.status == SkillStatus.SUCCEEDED, list(run.frames)))
        for i in range(len(self._pending) - MAX_PENDING_WITH_IMAGES):  # images are large: keep the steps
            if self._pending[i][3]:
                self._pending[i] = (*self._pending[i][:3], [])
                self.get_logger().error("camera images of an unsaved intervention episode dropped (its steps are "
                                        f"kept): more than {MAX_PENDING_WITH_IMAGES} episodes are waiting")
        dropped = len(self._pending) - MAX_PENDING_EPISODES
        if dropped > 0:
            del self._pending[:dropped]
            self.get_logger().error(f"{dropped} unsaved intervention episode(s) dropped: more than "
                                    f"{MAX_PENDING_EPISODES} are waiting for {self.intervention_dir} to be writable")
        return self._flush_pending()

    def _flush_pending(self) -> str:
        from robomatrix.skills.recording import EpisodeWriter, next_free_path

        while self._pending:
            meta, records, success, frames = self._pending[0]
            path = None
            try:
                path = next_free_path(self.intervention_dir, f"{meta['skill']}-intervention")
                with EpisodeWriter(path) as writer:  # on an error it closes the file, keeping the .partial
                    writer.begin_episode(meta)
                    frames = list(frames)  # those after the last step are left out
                    for t, features, vec, motion, source in records:
                        if features is None:
                            continue
                        while frames and frames[0][0] <= t:  # each frame before the step at or after it
                            writer.add_camera(*frames.pop(0))
                        writer.add_step(t, features, vec, motion, source)
                    writer.end_episode(success=success)
            except (RobomatrixError, OSError) as e:
                if path is not None and not path.exists():  # incomplete: the episode stays in memory
                    try:
                        path.with_name(f".{path.name}.partial").unlink(missing_ok=True)
                    except OSError:
                        pass
                note = (f"the person's corrections could not be recorded to {self.intervention_dir} ({e}); "
                        f"{len(self._pending)} episode(s) kept in memory and written with the next save; fix: make "
                        "the folder writable or free space (intervention_dir:=<folder>), or they are lost at shutdown")
                self.get_logger().error(note)
                return note
            self._pending.pop(0)
            self.get_logger().info(f"intervention episode ({meta['corrections']} corrections) saved to {path}")
        return ""

    def close(self) -> None:
        """On shutdown: hold the arm and keep a corrected episode that was still running."""
        run = self._run
        if run is not None and not run.done.done():
            self._finish(run, SkillStatus.FAILED, "the skill server shut down; the arm was told to hold", hold=True)
        if self._pending and self._flush_pending():
            self.get_logger().error(f"{len(self._pending)} intervention episode(s) are lost: {self.intervention_dir} "
                                    "could not be written until shutdown")


def main(argv: list[str]) -> int:
    return spin_node(SkillServerNode, argv)
