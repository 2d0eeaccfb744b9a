"""Running a task: plan → behaviour tree → tick until done; retry, then replan. Core: no rclpy.

:class:`TaskRunner` is used by the scheduler node (skills over ROS actions) and by the
benchmarks (skills in-process on the simulator, :class:`SimSkillClient`). The planner is
anything with ``plan(task, objects, failure_context=None)`` returning an object with
``steps`` (each with ``skill`` and grounded ``args``) — see :mod:`robomatrix.scheduler.planner`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from py_trees.common import Status
from py_trees.trees import BehaviourTree

from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.resources import packaged_default
from robomatrix.scheduler.tree import (
    NO_WORLD,
    SkillClient,
    ascii_tree,
    build_tree,
    skill_behaviours,
    step_text,
)
from robomatrix.skills.spec import SkillLibrary
from robomatrix.skills.status import ESTOP_REASON, PERCEPTION_STALE

log = logging.getLogger(__name__)


def _default(key: str) -> Any:
    return field(default_factory=packaged_default("robot.yaml", "scheduler", key))


@dataclass(frozen=True)
class SchedulerConfig:
    # Defaults: section scheduler of config/robot.yaml (the one place they are written).
    retries: int = _default("retries")  # extra attempts of a failed skill before replanning
    max_replans: int = _default("max_replans")  # plans made after the first one, from the new world state
    tick_hz: float = _default("tick_hz")  # behaviour-tree ticks per second (of robot time in simulation)
    task_timeout: float = _default("task_timeout")  # s of robot time for the whole task

    def __post_init__(self) -> None:
        for key in ("retries", "max_replans"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ConfigError(f"scheduler.{key} must be an integer >= 0, got {v!r}; set {key} (the node parameter or the "
                                  "scheduler section of robot.yaml) to 0 or more")
        for key in ("tick_hz", "task_timeout"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise ConfigError(f"scheduler.{key} must be a positive number, got {v!r}; set {key} (the node parameter or "
                                  "the scheduler section of robot.yaml) to a finite number above 0")


@dataclass
class TaskFeedback:
    plan: list[str]
    current_step: int  # index into plan, -1 before planning
    current_skill: str
    language_motion: str
    source: str
    tree: str
    goal: str = ""  # the task's goal in words


@dataclass
class TaskResult:
    success: bool
    summary: str
    plans: list[list[str]] = field(default_factory=list)
    replans: int = 0
    skill_failures: int = 0
    elapsed: float = 0.0  # s of robot time
    goal: str = ""  # the goal in words
    goal_atoms: list[str] = field(default_factory=list)  # "in(block_red_0, bowl_green_0)", ...
    goal_holds: list[bool] = field(default_factory=list)  # per atom, on the settled world
    goal_reasons: list[str] = field(default_factory=list)  # per atom: why it does not hold ("" when it does)
    disturbed: list[str] = field(default_factory=list)  # objects the task did not name that moved


class TaskStatus(StrEnum):
    """How one plan's behaviour tree stopped ticking."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"  # a step failed after its retries: replan
    CANCELED = "canceled"
    TIMED_OUT = "timeout"  # the task's time budget ran out
    ESTOPPED = "estopped"  # the e-stop is engaged: no retry, no replan
    PERCEPTION_STALE = "perception_stale"  # the perceived objects went stale: no retry, no replan


SETTLE_S = 1.5  # s of robot time the arm holds still before the goal is checked on the world
ESTOP_SUMMARY = "e-stop engaged: release it with `robomatrix estop --release`, then give the task again"


class _SendFeedback:
    """Post-tick handler: a :class:`TaskFeedback` when the running step or its language motion
    changes, and after the tick that ends the tree."""

    def __init__(self, lines: list[str], root: Any, send: Callable[[TaskFeedback], None], goal: str = "") -> None:
        self.lines = lines
        self.goal = goal
        self.behaviours = skill_behaviours(root)
        self.send = send
        self.last_sent: tuple[int, str, str] | None = None

    def __call__(self, tree: BehaviourTree) -> None:
        current = next((b for b in self.behaviours if b.status == Status.RUNNING), None)
        motion, source = current.handle.feedback() if current and current.handle else ("", "")
        key = (current.index if current else -1, motion, source)
        if key == self.last_sent and tree.root.status == Status.RUNNING:
            return
        self.last_sent = key
        self.send(TaskFeedback(plan=self.lines, current_step=current.index if current else -1,
                               current_skill=current.skill if current else "",
                               language_motion=motion, source=source, tree=ascii_tree(tree.root),
                               goal=self.goal))


class TaskRunner:
    """Plan, build the tree, tick it; on failure replan with the failure as context.

    Each plan's tree runs in a :class:`py_trees.trees.BehaviourTree`: ``setup(client=...)`` once,
    then ``tick_tock`` until the tree ends, with post-tick handlers that send the feedback and
    (the last one) check the e-stop, the time budget and cancellation, then wait one tick with
    ``advance``. An engaged e-stop ends the task at once: a retry or a new plan could only fail
    the same way, and the person who pressed it wants the arm still.
    """

    def __init__(self, planner: Any, client: SkillClient, library: SkillLibrary,
                 config: SchedulerConfig | None = None, advance: Callable[[float], None] | None = None) -> None:
        self.planner = planner
        self.client = client
        self.library = library
        self.config = config or SchedulerConfig()
        self.settle_s = SETTLE_S
        # Waits one tree tick: steps the simulator in-process, or sleeps while ROS threads work.
        self.advance = advance or getattr(client, "advance", None) or (lambda dt: time.sleep(dt))

    def run(self, task: str, on_feedback: Callable[[TaskFeedback], None] | None = None,
            should_cancel: Callable[[], bool] | None = None,
            on_tree: Callable[[BehaviourTree], None] | None = None,
            approve: Callable[[Any], bool] | None = None) -> TaskResult:
        """Plan and run ``task``. ``on_feedback`` gets progress; ``should_cancel`` is polled each tick;
        ``on_tree`` receives each plan's :class:`~py_trees.trees.BehaviourTree`, set up, before its
        first tick (e.g. to add a post-tick handler that writes it as a dot file). ``approve``
        (optional) is asked with each plan before it moves anything; False ends the task with
        nothing moved."""
        from robomatrix.scheduler.planner import PlanRefused  # the planner's typed errors

        result = TaskResult(False, "")
        world = self.client.world()
        if world is None:
            result.summary = NO_WORLD
            return result
        if world.estopped:
            result.summary = f"{ESTOP_SUMMARY}; nothing was planned or moved"
            return result
        if world.perception_stale:
            result.summary = f"failed: {world.perception_stale}; nothing was planned or moved"
            return result
        t_start = world.stamp
        start_world = world
        failure_context: str | None = None
        for attempt in range(self.config.max_replans + 1):
            world = self.client.world() or world
            try:
                plan = self.planner.plan(task, world, failure_context=failure_context)
            except PlanRefused as e:
                result.summary = f"refused: {e}"
                return result
            except RobomatrixError as e:
                result.summary = f"planning failed: {e}"
                return result
            lines = [step_text(s.skill, s.args) for s in plan.steps]
            result.plans.append(lines)
            goal = list(getattr(plan, "goal", ()) or ())
            result.goal = getattr(plan, "goal_text", "") or ""
            result.goal_atoms = [a.to_text() for a in goal]  # known even if the task fails before it is checked
            result.goal_holds, result.goal_reasons = [], []
            if approve is not None and lines and not approve(plan):
                moved = "nothing moved" if attempt == 0 else "the arm holds where the last plan left it"
                result.summary = (f"not approved: the plan ({' -> '.join(lines)}) for the goal '{result.goal}' "
                                  f"was rejected or not approved in time; {moved}")
                return result
            if not lines:
                report = self._check(goal, start_world, result)
                result.success = report.holds and bool(goal)
                result.summary = (f"nothing to do: the goal already holds ({report.summary()})" if result.success
                                  else f"the plan is empty but the goal does not hold ({report.summary()})"
                                  if goal else "the plan is empty and the task names no goal: nothing was done")
                return result
            root = build_tree(plan.steps, self.library, retries=self.config.retries)
            tree = BehaviourTree(root)
            tree.setup(client=self.client)  # skill steps and the parts' goal checks
            if on_feedback is not None:
                tree.add_post_tick_handler(_SendFeedback(lines, root, on_feedback, result.goal))
            if on_tree is not None:
                on_tree(tree)
            status = self._tick_until_done(tree, should_cancel, t_start)
            behaviours = skill_behaviours(root)
            result.skill_failures += sum(max(0, b.attempts - 1) + (1 if b.status == Status.FAILURE else 0)
                                         for b in behaviours)
            now = (self.client.world() or world).stamp
            result.elapsed = now - t_start
            if status == TaskStatus.CANCELED:
                root.stop(Status.INVALID)
                result.summary = "canceled: the running skill was cancelled and the arm holds"
                return result
            if status == TaskStatus.TIMED_OUT:
                root.stop(Status.INVALID)
                result.summary = f"task timeout after {self.config.task_timeout:g} s"
                return result
            if status == TaskStatus.ESTOPPED:
                stopped = next((b for b in behaviours if b.status in (Status.RUNNING, Status.FAILURE)), None)
                root.stop(Status.INVALID)
                result.replans = attempt
                at = f" at step {stopped.index + 1} {step_text(stopped.skill, stopped.args)}" if stopped else ""
                result.summary = f"{ESTOP_SUMMARY}; the task stopped{at}, not retried or replanned; the arm holds"
                return result
            if status == TaskStatus.PERCEPTION_STALE:
                stopped = next((b for b in behaviours if b.status in (Status.RUNNING, Status.FAILURE)), None)
                root.stop(Status.INVALID)
                result.replans = attempt
                at = f" at step {stopped.index + 1} {step_text(stopped.skill, stopped.args)}" if stopped else ""
                result.summary = (f"failed: {self._stale_reason(behaviours)}; the task stopped{at}, not retried or "
                                  "replanned; the arm holds")
                return result
            if status == TaskStatus.SUCCEEDED:
                result.replans = attempt
                # steps under a part whose goal already held never ran; skipped ones ran no skill
                moot = sum(1 for b in behaviours if b.skipped or b.status == Status.INVALID)
                done = (f"done: {len(lines)} steps" + (f", {moot} of them already done" if moot else "")
                        + (f" after {attempt} replan(s)" if attempt else ""))
                self.advance(self.settle_s)  # the arm holds still; the world settles
                report = self._check(goal, start_world, result)
                if report.holds:
                    result.success = True
                    result.summary = f"{done}; goal holds: {report.summary()}"
                    return result
                failure_context = f"the plan ran ({done}) but the goal does not hold: {report.summary()}"
                result.summary = f"failed: {failure_context}"
                log.warning("%s", failure_context)
                if attempt >= self.config.max_replans:
                    break
                continue
            failed = next((b for b in behaviours if b.status == Status.FAILURE), None)
            where = f"step {failed.index + 1} {step_text(failed.skill, failed.args)}" if failed else "a step"
            failure_context = f"{where} failed: {failed.reason if failed else 'unknown reason'}"
            now_world = self.client.world()
            result.replans = attempt
            if now_world is None:  # the robot went silent: a new plan could only fail the same way
                result.summary = f"failed: {failure_context}; not replanning without the robot's state"
                return result
            lost = getattr(self.client, "lost", None)
            if lost is not None and lost():  # the skill server is gone: a new plan could only fail the same way
                result.summary = f"failed: {failure_context}; not retried or replanned: no skill can run"
                return result
            held = now_world.held_object_id  # what the rest of the plan starts from
            failure_context += f"; the gripper now holds {held}" if held else "; the gripper now holds nothing"
            log.warning("plan failed (%s); %s", failure_context,
                        "replanning" if attempt < self.config.max_replans else "no replans left")
        result.summary = f"failed after {self.config.max_replans} replan(s): {failure_context}"
        return result

    def _check(self, goal: list[Any], start: Any, result: TaskResult | None = None) -> Any:
        """The goal on the world as it is now (the caller has let it settle)."""
        from robomatrix.scheduler.goal import check_goal

        report = check_goal(goal, start, self.client.world() or start)
        if result is not None:
            result.goal_atoms = [a.atom.to_text() for a in report.atoms]
            result.goal_holds = [a.holds for a in report.atoms]
            result.goal_reasons = [a.why if not a.holds else "" for a in report.atoms]
            result.disturbed = list(report.disturbed)
        return report

    def _estopped(self, behaviours: list[Any]) -> bool:
        """The hardware reports the e-stop, or a skill ended because of it (its result can arrive
        before the observation that says so)."""
        world = self.client.world()
        return (world is not None and world.estopped) or any(b.reason == ESTOP_REASON for b in behaviours)

    def _stale_reason(self, behaviours: list[Any]) -> str:
        """Why perception is stale ("" when it is not): a skill stopped by it (its reason names the
        camera and for how long), or the world as the scheduler sees it now."""
        stopped = next((b.reason for b in behaviours if b.reason.startswith(PERCEPTION_STALE)), "")
        world = self.client.world()
        return stopped or (world.perception_stale if world is not None else "")

    def _tick_until_done(self, tree: BehaviourTree, should_cancel: Callable[[], bool] | None,
                         t_start: float) -> TaskStatus:
        """Tick ``tree`` (one tick per ``advance(1 / tick_hz)``) until it ends or must stop."""
        dt = 1.0 / self.config.tick_hz
        behaviours = skill_behaviours(tree.root)
        stop: list[TaskStatus] = []

        def pace(tree: BehaviourTree) -> None:  # runs after the tree's own post-tick handlers
            if tree.root.status != Status.RUNNING:
                return  # tick_tock ends by itself
            world = self.client.world()
            if self._estopped(behaviours):
                stop.append(TaskStatus.ESTOPPED)
            elif self._stale_reason(behaviours):
                stop.append(TaskStatus.PERCEPTION_STALE)
            elif world is not None and world.stamp - t_start > self.config.task_timeout:
                stop.append(TaskStatus.TIMED_OUT)
            else:
                self.advance(dt)
                if should_cancel is not None and should_cancel():
                    stop.append(TaskStatus.CANCELED)
            if stop:
                tree.interrupt()

        if should_cancel is not None and should_cancel():
            return TaskStatus.CANCELED
        # period 0: the pace handler's advance() is the wait, in robot time
        tree.tick_tock(period_ms=0, stop_on_terminal_state=True, post_tick_handler=pace)
        if stop:
            return stop[0]
        if tree.root.status == Status.SUCCESS:
            return TaskStatus.SUCCEEDED
        if self._estopped(behaviours):
            return TaskStatus.ESTOPPED
        return TaskStatus.PERCEPTION_STALE if self._stale_reason(behaviours) else TaskStatus.FAILED


def config_from_dict(data: Mapping[str, Any] | None) -> SchedulerConfig:
    data = dict(data or {})
    unknown = set(data) - set(SchedulerConfig.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown scheduler setting(s) {sorted(unknown)}; valid: "
                          f"{sorted(SchedulerConfig.__dataclass_fields__)}")
    return SchedulerConfig(**data)
