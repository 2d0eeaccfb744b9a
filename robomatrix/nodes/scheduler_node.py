"""Scheduler node: plain-language tasks → plans → behaviour trees → skill goals.

Parameters
  config (str): robot.yaml whose scheduler section gives the defaults of the four settings
    below; empty = the package's config/robot.yaml
  planner_config (str): planner.yaml (backend embedded | openai | local); empty = config/planner.yaml
  skills_dir (str): skill library folder; empty = the package's skills/
  retries (int): extra attempts of a failed skill before replanning (default: scheduler.retries)
  max_replans (int): replans from the new world state after a failed plan (scheduler.max_replans)
  tick_hz (float): behaviour-tree ticks per second of robot time (scheduler.tick_hz)
  task_timeout (float): s of robot time a whole task may take (scheduler.task_timeout)
  dot_dir (str): when set, each plan's behaviour tree is written there as a Graphviz .dot file
  approval_timeout (float): s a plan of a goal with confirm=true waits for approval (default 120)
Subscriptions
  task (std_msgs/String): plain text; starts a task when none is running
  task_approval (std_msgs/Bool): true approves the plan a confirm=true goal shows, false rejects it
  observation (robomatrix/WorldState): the world the planner grounds against
Publishers
  task_status (std_msgs/String): one line per plan, step change, correction and result
  scheduler_alive (std_msgs/String): heartbeat, 5 Hz of steady time: the running skill goals' ids
    (hex, space-separated; "" when none). The skill server holds the arm when it stops;
    ``robomatrix task`` exits 3 when it stops for 3 s
Actions
  execute_task (robomatrix/ExecuteTask): feedback carries the plan, the goal in words, the
    current step and skill, the language motion and who chose it, and the tree as ASCII. The
    result says success only when every goal predicate holds on the settled world, and lists
    them. ``confirm`` waits for approval before any motion; ``plan_only`` plans and moves nothing. A second task while
    one runs ends ABORTED at once with the reason in result.summary (no queue: a robot
    should not start yesterday's request by surprise).
Uses
  execute_skill (robomatrix/ExecuteSkill) and skill_server_alive (std_msgs/String) of the skill
    server. A skill server that vanishes mid-task (no heartbeat or feedback for 1.5 s; no answer
    to a goal in 3 s; gone from the graph for 1.5 s) fails the task at once, without retries or
    replans, with the fix (start it, or respawn:=true). After a kill -9 DDS lists the dead server
    for ~20 s (its lease), so the graph alone is too slow. A scheduler that was itself frozen
    (1 s between two checks) restarts these clocks rather than blame the server. With
    respawn:=true the task fails the same way rather than wait: the new server starts from
    scratch (2 s respawn delay, then start-up) in a world that may have changed meanwhile, and a
    person should decide to give the task again.

Threading: ROS callbacks run on one thread; a task (planning, then ticking its behaviour
tree) runs on a worker thread of its own, so a slow planner never delays feedback, cancels
or skill results. (rclpy's MultiThreadedExecutor kept a core busy while a task ran.)
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import rclpy
from py_trees.trees import BehaviourTree
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.task import Future
from std_msgs.msg import Bool, String
from unique_identifier_msgs.msg import UUID

from robomatrix.config import load_stack_config
from robomatrix.errors import RobomatrixError
from robomatrix.hardware.interface import Observation
from robomatrix.nodes.common import declare, is_stopping, msg_to_observation, spin_node
from robomatrix.scheduler.runner import (
    SchedulerConfig,
    TaskFeedback,
    TaskResult,
    TaskRunner,
    config_from_dict,
)
from robomatrix.scheduler.tree import NO_WORLD, step_text, write_dot
from robomatrix.skills.spec import load_skill_library
from robomatrix.skills.status import SkillStatus

try:
    from robomatrix.action import ExecuteSkill, ExecuteTask
    from robomatrix.msg import SkillArgument, WorldState
except ImportError:  # pragma: no cover - common.py already raised a clear error
    raise

WORLD_STALE_S = 2.0  # s without an observation before the world counts as unknown
FIRST_WORLD_WAIT_S = 5.0  # s a task waits for a world state before it fails
SERVER_LOST_S = 1.5  # s the graph says no skill server before a running skill counts as failed
GOAL_ANSWER_S = 3.0  # s the skill server has to accept or reject a goal
FIRST_FEEDBACK_S = 10.0  # s from acceptance to the first feedback (a policy checkpoint may load first)
SERVER_SILENT_S = 1.5  # s without the skill server's heartbeat or feedback mid-skill before it counts as gone
RESULT_LATE_S = 6.0  # s the result of a goal the (living) server no longer runs may take
FEEDBACK_SILENT_S = 1.5  # s without feedback (while the robot keeps publishing) before the server counts as gone
SELF_STALL_S = 1.0  # s between two status() checks of a skill that mean the scheduler itself stalled
HEARTBEAT_PERIOD_S = 0.2  # s between scheduler_alive messages (the skill server and the CLI watch them)
SKILL_SERVER_FIX = ("start the skill server again (robomatrix launch ...), or launch with respawn:=true so it "
                    "restarts by itself, then give the task again")


def skill_goal(skill: str, args: Mapping[str, Any]) -> Any:
    goal = ExecuteSkill.Goal(skill=skill)
    for name, value in args.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            goal.arguments.append(SkillArgument(name=name, type="number", number=float(value)))
        else:
            goal.arguments.append(SkillArgument(name=name, type="string", value=str(value)))
    return goal


class RosSkillHandle:
    """A skill goal in flight, polled by the behaviour tree (never blocks)."""

    def __init__(self, client: RosSkillClient, skill: str, args: Mapping[str, Any]) -> None:
        self._client = client
        self._goal_handle: Any = None
        self._result: Any = None
        self._state = SkillStatus.RUNNING
        self._reason = ""
        self.motion, self.source = "", ""
        self._lost_since: float | None = None
        self._accepted = 0.0
        self._id = b""  # the goal's UUID once sent
        self._orphan_since: float | None = None
        self._checked = time.monotonic()  # the last status(): a long gap means this process stalled
        self._sent = time.monotonic()
        self._last_feedback: float | None = None  # None until the first feedback
        if client.lost_reason:  # the server vanished earlier in this task: no goal into the void
            self._state, self._reason = SkillStatus.FAILED, client.lost_reason
            return
        self._unsent: Any = skill_goal(skill, args)  # sent once the server is discovered
        self._send()

    def _send(self) -> None:
        if self._unsent is None or not self._client.action.server_is_ready():
            return  # right after start-up discovery may still be under way: status() tries again
        # The goal's id is named in the heartbeat before the goal goes out: a scheduler that dies
        # right after sending still leaves the skill server a heartbeat to miss.
        self._id = uuid.uuid4().bytes
        self._client.goal_ids.add(self._id.hex())
        self._client.node.beat()
        future = self._client.action.send_goal_async(self._unsent, feedback_callback=self._on_feedback,
                                                     goal_uuid=UUID(uuid=list(self._id)))
        self._unsent = None
        self._sent = time.monotonic()
        future.add_done_callback(self._on_goal)

    def _on_feedback(self, msg: Any) -> None:
        self.motion, self.source = msg.feedback.language_motion, msg.feedback.source
        self._last_feedback = time.monotonic()
        self._client.on_motion(self.motion, self.source)

    def _on_goal(self, future: Any) -> None:
        goal_handle = future.result()
        if self._goal_handle is not None:  # adopted already (its answer was late): nothing new
            return
        if self._state != SkillStatus.RUNNING:  # given up on already (no answer in time): withdraw it
            if goal_handle.accepted:
                goal_handle.cancel_goal_async()
            return
        self._goal_handle = goal_handle
        self._accepted = time.monotonic()
        if not goal_handle.accepted:
            self._client.goal_ids.discard(self._id.hex())
            self._state, self._reason = SkillStatus.FAILED, "the skill server rejected the goal"
            return
        goal_handle.get_result_async().add_done_callback(self._on_result)

    def _adopt(self) -> None:
        """The server's heartbeat names this goal as running, but its answer to the goal request
        never came (DDS drops a reply whose reader it has not matched yet: a freshly started
        stack on a loaded machine). The goal was accepted: follow it by its id for the result."""
        from rclpy.action.client import ClientGoalHandle

        response = ExecuteSkill.Impl.SendGoalService.Response(accepted=True)
        self._goal_handle = ClientGoalHandle(self._client.action, UUID(uuid=list(self._id)), response)
        self._accepted = time.monotonic()
        self._client.node.get_logger().warning(
            "the skill server runs this goal but its acceptance never arrived: following it by its id")
        self._goal_handle.get_result_async().add_done_callback(self._on_result)

    def _on_result(self, future: Any) -> None:
        self._client.goal_ids.discard(self._id.hex())
        if self._state != SkillStatus.RUNNING:
            return
        result = future.result().result
        self._state = SkillStatus.SUCCEEDED if result.success else SkillStatus.FAILED
        self._reason = result.reason

    def _give_up(self, reason: str) -> None:
        """The skill server is gone (or frozen): fail this skill and every later one of the task."""
        self._state, self._reason = SkillStatus.FAILED, self._client.gone(reason)
        if self._goal_handle is not None:
            self._goal_handle.cancel_goal_async()  # in case it only froze: it holds when it wakes
        if self._id:
            self._client.goal_ids.discard(self._id.hex())

    def status(self) -> SkillStatus:
        if self._state != SkillStatus.RUNNING:
            return self._state
        now = time.monotonic()
        stalled = now - self._checked > SELF_STALL_S
        self._checked = now
        if stalled:
            # This process was frozen or starved (SIGSTOP, a swapping machine): what it has not
            # heard yet says nothing about the server. Start the clocks again; the result the
            # server sent meanwhile (if any) is on its way.
            self._lost_since = None
            self._sent = now
            if self._last_feedback is not None:
                self._last_feedback = now
            else:
                self._accepted = now
            return self._state
        if self._unsent is not None:
            self._send()
            if self._unsent is not None:
                if now - self._sent > GOAL_ANSWER_S:
                    self._give_up(f"the skill server is not running (no execute_skill server for {GOAL_ANSWER_S:g} s)")
                return self._state
        # The graph says the server left (a clean exit; after a kill -9 DDS keeps it listed
        # until its lease runs out, ~20 s, hence the heartbeat watch below). Graph information
        # can lag under load: a recent heartbeat or feedback also proves the server lives.
        heard = max(self._client.node.server_beat, self._last_feedback or 0.0)
        if self._client.action.server_is_ready() or now - heard < SERVER_LOST_S:
            self._lost_since = None
        else:
            self._lost_since = self._lost_since or now
            if now - self._lost_since > SERVER_LOST_S:
                self._give_up(f"the skill server left the ROS graph mid-skill (no execute_skill server for "
                              f"{SERVER_LOST_S:g} s)")
                return self._state
        if self._goal_handle is None:
            if self._id and self._id.hex() in self._client.node.server_goals:
                self._adopt()
                return self._state
            if now - self._sent > GOAL_ANSWER_S:
                self._give_up(f"the skill server did not answer the goal within {GOAL_ANSWER_S:g} s "
                              "(it is listed but does not respond: killed or frozen)")
            return self._state
        node = self._client.node
        last_fb = self._last_feedback if self._last_feedback is not None else self._accepted
        if node.server_beat > 0.0:
            # The server's heartbeat (5 Hz) or feedback (every control tick) proves it lives.
            last = max(node.server_beat, last_fb)
            if now - last > SERVER_SILENT_S:
                self._give_up(f"the skill server stopped answering mid-skill (no heartbeat or feedback for "
                              f"{now - last:.1f} s: killed or frozen)")
            elif node.server_beat > self._accepted + 1.0 and self._id.hex() not in node.server_goals:
                # It lives but runs another goal or none: this one ended, its result is late
                # (DDS repairs a lost sample within a few seconds) or lost.
                self._orphan_since = self._orphan_since or now
                if now - self._orphan_since > RESULT_LATE_S:
                    self._give_up(f"the skill server no longer runs this goal and its result did not arrive "
                                  f"within {RESULT_LATE_S:g} s")
            else:
                self._orphan_since = None
            return self._state
        # A skill server without a heartbeat (an older one): feedback comes every control tick
        # (one per observation). Silence while the robot's observations keep coming means the
        # server died or froze; a silent robot is the hardware's fault, which the server reports.
        allowed = FEEDBACK_SILENT_S if self._last_feedback is not None else FIRST_FEEDBACK_S
        robot_after = node.world_time() - last_fb
        if now - last_fb > allowed and robot_after > 1.0:
            self._give_up(f"the skill server stopped answering mid-skill (no feedback for {now - last_fb:.1f} s "
                          "while the robot's observations kept coming: killed or frozen)")
        return self._state

    def reason(self) -> str:
        return self._reason

    def feedback(self) -> tuple[str, str]:
        return self.motion, self.source

    def cancel(self) -> None:
        if self._goal_handle is not None and self._state == SkillStatus.RUNNING:
            self._goal_handle.cancel_goal_async()
            self._state, self._reason = SkillStatus.FAILED, "canceled"


class RosSkillClient:
    """Skill client over the skill server's execute_skill action."""

    def __init__(self, node: SchedulerNode) -> None:
        self.node = node
        self.action: Any = ActionClient(node, ExecuteSkill, "execute_skill")
        self.lost_reason = ""  # set when the skill server vanished mid-task; cleared per task
        self.goal_ids: set[str] = set()  # running skill goals, named in the scheduler_alive heartbeat

    def gone(self, what: str) -> str:
        """Remember that the skill server is gone for the rest of this task; the reason with the fix."""
        self.lost_reason = f"{what}; {SKILL_SERVER_FIX}"
        return self.lost_reason

    def lost(self) -> str:
        """Why no skill can run now ("" when they can): the runner then neither retries nor replans."""
        return self.lost_reason

    def world(self) -> Observation | None:
        return self.node.fresh_world()

    def start(self, skill: str, args: Mapping[str, Any]) -> RosSkillHandle:
        return RosSkillHandle(self, skill, args)

    def on_motion(self, motion: str, source: str) -> None:
        self.node.last_motion = (motion, source)


class SchedulerNode(Node):
    """See the module docstring for the interface."""

    def __init__(self) -> None:
        super().__init__("scheduler")
        from robomatrix.scheduler.planner import Planner, load_planner_config

        config = declare(self, "config", "", "robot.yaml (its scheduler section); empty = the package's config")
        # The config file's scheduler section is each parameter's default; a parameter set on the
        # command line or in the launch file wins.
        file_cfg = config_from_dict(load_stack_config(config or None).settings("scheduler"))
        planner_cfg = declare(self, "planner_config", "", "planner.yaml; empty = the package's config/planner.yaml")
        skills_dir = declare(self, "skills_dir", "", "skill library folder; empty = the package's skills/")
        retries = int(declare(self, "retries", file_cfg.retries, "extra attempts of a failed skill before replanning"))
        replans = int(declare(self, "max_replans", file_cfg.max_replans, "replans from the new world after a failed plan"))
        tick_hz = float(declare(self, "tick_hz", float(file_cfg.tick_hz), "behaviour-tree ticks per s of robot time"))
        timeout = float(declare(self, "task_timeout", float(file_cfg.task_timeout), "s of robot time a task may take"))
        self.dot_dir = declare(self, "dot_dir", "", "write each plan's behaviour tree as .dot here")
        self.approval_timeout = float(declare(self, "approval_timeout", 120.0,
                                              "s a confirm=true plan waits for approval on task_approval"))
        self._approval: list[bool] = []
        self._approval_event = threading.Event()
        self.config = SchedulerConfig(retries=retries, max_replans=replans, tick_hz=tick_hz, task_timeout=timeout)
        self.library = load_skill_library(Path(skills_dir) if skills_dir else None)
        self.planner = Planner.from_config(load_planner_config(planner_cfg or None), self.library)
        self._world: Observation | None = None
        self._world_wall = 0.0
        self._busy = threading.Lock()
        self._active: Future | None = None  # outcome of the running task, for close()
        self.last_motion = ("", "")
        self.client = RosSkillClient(self)
        self.pub_status = self.create_publisher(String, "task_status", 10)
        # Heartbeat: the running skill goals' ids (hex, space-separated; "" when none). The skill
        # server holds the arm when the scheduler whose goal it runs falls silent; the CLI ends
        # `robomatrix task` when the scheduler it waits on does. Steady clock: a jump of the
        # system or ROS clock must not stop it.
        self.pub_alive = self.create_publisher(String, "scheduler_alive", 10)
        self.create_timer(HEARTBEAT_PERIOD_S, self.beat, clock=Clock(clock_type=ClockType.STEADY_TIME))
        self.create_subscription(WorldState, "observation", self._on_world, 10)
        self.server_beat = 0.0  # time.monotonic() of the last skill_server_alive (0: none yet)
        self.server_goals: set[str] = set()  # the goal ids it said it runs
        self.create_subscription(String, "skill_server_alive", self._on_server_beat, 10)
        self.create_subscription(String, "task", self._on_task_text, 10)
        self.create_subscription(Bool, "task_approval", self._on_approval, 10)
        self._server = ActionServer(self, ExecuteTask, "execute_task", execute_callback=self._execute,
                                    goal_callback=lambda _g: GoalResponse.ACCEPT,
                                    cancel_callback=lambda _g: CancelResponse.ACCEPT)
        # A task's worker thread triggers this when it ends, so the waiting execute_task resumes.
        self._wake = self.create_guard_condition(lambda: None)
        self.get_logger().info(f"scheduler up: planner backend {self.planner.backend_name}, retries {retries}, "
                               f"max replans {replans}, tick {tick_hz:g} Hz, task timeout {timeout:g} s")

    def _on_approval(self, msg: Bool) -> None:
        self._approval.append(bool(msg.data))
        self._approval_event.set()

    def wait_for_approval(self, should_cancel: Any) -> bool:
        """True when task_approval says true before approval_timeout (False on false, a cancel or the timeout)."""
        deadline = time.monotonic() + self.approval_timeout
        while time.monotonic() < deadline:
            if self._approval:
                return self._approval.pop(0)
            if should_cancel is not None and should_cancel():
                return False
            self._approval_event.wait(0.05)
            self._approval_event.clear()
        return False

    def _on_world(self, msg: WorldState) -> None:
        self._world = msg_to_observation(msg)
        self._world_wall = time.monotonic()

    def beat(self) -> None:
        self.pub_alive.publish(String(data=" ".join(sorted(self.client.goal_ids))))

    def _on_server_beat(self, msg: String) -> None:
        self.server_goals = set(msg.data.split()[:4])
        self.server_beat = time.monotonic()

    def world_time(self) -> float:
        """time.monotonic() of the latest observation (0 before the first)."""
        return self._world_wall

    def fresh_world(self) -> Observation | None:
        if self._world is None or time.monotonic() - self._world_wall > WORLD_STALE_S:
            return None
        return self._world

    def status(self, text: str) -> None:
        self.get_logger().info(text)
        self.pub_status.publish(String(data=text))

    def run_task(self, text: str, publish: Any = None, should_cancel: Any = None, confirm: bool = False) -> TaskResult:
        """Plan and run ``text``; returns the TaskResult. Caller holds self._busy."""
        runner = TaskRunner(self.planner, self.client, self.library, self.config)
        self.client.lost_reason = ""  # a server lost in the last task may be back (respawn)
        self.status(f"task: {text!r}")
        deadline = time.monotonic() + FIRST_WORLD_WAIT_S  # right after start-up the world may be on its way
        while self.fresh_world() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        last_plan: list[str] = []

        def feedback(fb: TaskFeedback) -> None:
            nonlocal last_plan
            if fb.plan != last_plan:
                last_plan = fb.plan
                self.status("plan: " + " -> ".join(fb.plan))
                self.get_logger().info("\n" + fb.tree)
            if publish is not None:
                publish(fb)

        plans = 0

        def write_tree(tree: BehaviourTree) -> None:  # post-tick handler: each plan's tree, once
            if tree.count == 0:
                Path(self.dot_dir).mkdir(parents=True, exist_ok=True)
                name = f"plan-{time.strftime('%Y%m%d-%H%M%S')}-{plans}.dot"  # a replan can come within the second
                path = write_dot(tree.root, str(Path(self.dot_dir) / name))
                self.get_logger().info(f"behaviour tree written to {path}")

        def on_tree(tree: BehaviourTree) -> None:
            nonlocal plans
            plans += 1
            if self.dot_dir:
                tree.add_post_tick_handler(write_tree)

        def approve(plan: Any) -> bool:
            lines = [step_text(s.skill, s.args) for s in plan.steps]
            self._approval.clear()
            self.status(f"awaiting approval (task_approval): goal: {plan.goal_text}; plan: {' -> '.join(lines)}")
            if publish is not None:
                publish(TaskFeedback(plan=lines, current_step=-1, current_skill="", language_motion="", source="",
                                     tree="", goal=plan.goal_text), awaiting=True)
            ok = self.wait_for_approval(should_cancel)
            self.status("plan approved" if ok else "plan not approved")
            return ok

        try:
            result = runner.run(text, feedback, should_cancel, on_tree=on_tree, approve=approve if confirm else None)
        except RobomatrixError as e:
            self.status(f"task failed: {e}")
            return TaskResult(False, str(e))
        self.status(("task succeeded: " if result.success else "task failed: ") + result.summary)
        return result

    def preview(self, text: str) -> TaskResult:
        """The plan and goal for ``text`` in the current world; nothing is sent to the skill server."""
        from robomatrix.scheduler.planner import PlannerError

        world = self.fresh_world()
        if world is None:
            return TaskResult(False, NO_WORLD)
        try:
            plan = self.planner.plan(text, world)
        except PlannerError as e:
            return TaskResult(False, f"refused: {e}" if type(e).__name__ == "PlanRefused" else f"planning failed: {e}")
        lines = [step_text(s.skill, s.args) for s in plan.steps]
        out = TaskResult(True, f"plan only, nothing moved: {len(lines)} steps for the goal: {plan.goal_text}",
                         plans=[lines], goal=plan.goal_text)
        out.goal_atoms = [a.to_text() for a in plan.goal]
        return out

    def _start_worker(self, text: str, publish: Any, should_cancel: Any, confirm: bool = False,
                      plan_only: bool = False) -> Future:
        """Run the task on a thread of its own; the returned future gets its TaskResult.

        The caller holds self._busy; the worker releases it when the task ends.
        """
        done: Future = Future()

        def work() -> None:
            try:
                outcome = self.preview(text) if plan_only else self.run_task(text, publish, should_cancel, confirm)
            except Exception as e:  # a bug must end the task with a reason, not leave it hanging
                self.get_logger().error(f"task {text!r} crashed: {e!r}")
                outcome = TaskResult(False, f"internal error: {e!r}")
            finally:
                self._busy.release()
            if not done.done():  # close() may have ended it first
                done.set_result(outcome)
            try:
                self._wake.trigger()
            except Exception:  # shutting down: nobody waits any more
                pass

        self._active = done
        threading.Thread(target=work, name="task", daemon=True).start()
        return done

    def _on_task_text(self, msg: String) -> None:
        if not self._busy.acquire(blocking=False):
            self.get_logger().warning(f"task {msg.data!r} ignored: another task is running")
            return
        self._start_worker(msg.data, None, lambda: is_stopping() or not rclpy.ok())

    async def _execute(self, goal_handle: Any) -> Any:
        text = goal_handle.request.task
        if not self._busy.acquire(blocking=False):
            goal_handle.abort()
            return ExecuteTask.Result(success=False, summary="another task is running; cancel it or wait")

        def publish(fb: TaskFeedback, awaiting: bool = False) -> None:
            goal_handle.publish_feedback(ExecuteTask.Feedback(
                plan=fb.plan, current_step=fb.current_step, current_skill=fb.current_skill,
                language_motion=fb.language_motion, source=fb.source, tree=fb.tree, goal=fb.goal,
                awaiting_approval=awaiting))

        request = goal_handle.request
        outcome = await self._start_worker(text, publish,
                                           lambda: goal_handle.is_cancel_requested or is_stopping() or not rclpy.ok(),
                                           confirm=bool(request.confirm), plan_only=bool(request.plan_only))
        if outcome is None:
            outcome = TaskResult(False, "the task ended without a result")
        if is_stopping() and not outcome.success:
            outcome.summary = f"the scheduler shut down (SIGINT/SIGTERM, or its launcher died): {outcome.summary}"
        result = ExecuteTask.Result(
            success=outcome.success, summary=outcome.summary, goal=outcome.goal,
            goal_predicates=list(outcome.goal_atoms), goal_holds=[bool(h) for h in outcome.goal_holds],
            goal_reasons=list(outcome.goal_reasons), disturbed=list(outcome.disturbed),
            plan=list(outcome.plans[-1]) if outcome.plans else [])
        if not rclpy.ok(context=self.context):
            return result
        if goal_handle.is_cancel_requested:
            goal_handle.canceled()
        elif outcome.success:
            goal_handle.succeed()
        else:
            goal_handle.abort()
        return result


    def close(self) -> None:
        """On shutdown: end the running task's goal now (its worker stops on its own), so the
        client is told while the node can still answer."""
        active = self._active
        if active is not None and not active.done():
            active.set_result(TaskResult(False, "the task was stopped while it ran (its running skill is cancelled)"))
            self._wake.trigger()


def main(argv: list[str]) -> int:
    return spin_node(SchedulerNode, argv)
