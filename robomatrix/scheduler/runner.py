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
from typing import Any

from py_trees.common import Status

from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.interface import Action, Observation
from robomatrix.resources import packaged_default
from robomatrix.scheduler.tree import (
    NO_WORLD,
    SkillClient,
    ascii_tree,
    build_tree,
    skill_behaviours,
    step_text,
)
from robomatrix.skills.executor import FAILED, RUNNING, ExecutionConfig, SkillExecution, make_controller
from robomatrix.skills.spec import SkillLibrary

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
                raise ConfigError(f"scheduler.{key} must be an integer >= 0, got {v!r}")
        for key in ("tick_hz", "task_timeout"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise ConfigError(f"scheduler.{key} must be a positive number, got {v!r}")


@dataclass
class TaskFeedback:
    plan: list[str]
    current_step: int  # index into plan, -1 before planning
    current_skill: str
    language_motion: str
    source: str
    tree: str


@dataclass
class TaskResult:
    success: bool
    summary: str
    plans: list[list[str]] = field(default_factory=list)
    replans: int = 0
    skill_failures: int = 0
    elapsed: float = 0.0  # s of robot time


class TaskRunner:
    """Plan, build the tree, tick it; on failure replan with the failure as context."""

    def __init__(self, planner: Any, client: SkillClient, library: SkillLibrary,
                 config: SchedulerConfig | None = None, advance: Callable[[float], None] | None = None) -> None:
        self.planner = planner
        self.client = client
        self.library = library
        self.config = config or SchedulerConfig()
        # Waits one tree tick: steps the simulator in-process, or sleeps while ROS threads work.
        self.advance = advance or getattr(client, "advance", None) or (lambda dt: time.sleep(dt))

    def run(self, task: str, on_feedback: Callable[[TaskFeedback], None] | None = None,
            should_cancel: Callable[[], bool] | None = None,
            on_tree: Callable[[Any], None] | None = None) -> TaskResult:
        """Plan and run ``task``. ``on_feedback`` gets progress; ``should_cancel`` is polled each tick;
        ``on_tree`` receives each plan's behaviour tree before it runs (e.g. to write a dot file)."""
        from robomatrix.scheduler.planner import PlanRefused  # the planner's typed errors

        result = TaskResult(False, "")
        world = self.client.world()
        if world is None:
            result.summary = NO_WORLD
            return result
        t_start = world.stamp
        failure_context: str | None = None
        for attempt in range(self.config.max_replans + 1):
            world = self.client.world() or world
            try:
                plan = self.planner.plan(task, list(world.objects), failure_context=failure_context)
            except PlanRefused as e:
                result.summary = f"refused: {e}"
                return result
            except RobomatrixError as e:
                result.summary = f"planning failed: {e}"
                return result
            lines = [step_text(s.skill, s.args) for s in plan.steps]
            result.plans.append(lines)
            if not lines:
                result.summary = "the plan is empty: nothing to do"
                result.success = True
                return result
            root = build_tree(plan.steps, self.library, retries=self.config.retries)
            for behaviour in root.iterate():  # skill steps and the parts' goal checks
                behaviour.setup(client=self.client)
            if on_tree is not None:
                on_tree(root)
            status = self._tick_until_done(root, lines, on_feedback, should_cancel, t_start)
            behaviours = skill_behaviours(root)
            result.skill_failures += sum(max(0, b.attempts - 1) + (1 if b.status == Status.FAILURE else 0)
                                         for b in behaviours)
            now = (self.client.world() or world).stamp
            result.elapsed = now - t_start
            if status == "canceled":
                root.stop(Status.INVALID)
                result.summary = "canceled: the running skill was cancelled and the arm holds"
                return result
            if status == "timeout":
                root.stop(Status.INVALID)
                result.summary = f"task timeout after {self.config.task_timeout:g} s"
                return result
            if status == Status.SUCCESS:
                result.success = True
                result.replans = attempt
                # steps under a part whose goal already held never ran; skipped ones ran no skill
                moot = sum(1 for b in behaviours if b.skipped or b.status == Status.INVALID)
                result.summary = (f"done: {len(lines)} steps" + (f", {moot} of them already done" if moot else "")
                                  + (f" after {attempt} replan(s)" if attempt else ""))
                return result
            failed = next((b for b in behaviours if b.status == Status.FAILURE), None)
            where = f"step {failed.index + 1} {step_text(failed.skill, failed.args)}" if failed else "a step"
            failure_context = f"{where} failed: {failed.reason if failed else 'unknown reason'}"
            now_world = self.client.world()
            result.replans = attempt
            if now_world is None:  # the robot went silent: a new plan could only fail the same way
                result.summary = f"failed: {failure_context}; not replanning without the robot's state"
                return result
            held = now_world.held_object_id  # what the rest of the plan starts from
            failure_context += f"; the gripper now holds {held}" if held else "; the gripper now holds nothing"
            log.warning("plan failed (%s); %s", failure_context,
                        "replanning" if attempt < self.config.max_replans else "no replans left")
        result.summary = f"failed after {self.config.max_replans} replan(s): {failure_context}"
        return result

    def _tick_until_done(self, root: Any, lines: list[str], on_feedback: Callable[[TaskFeedback], None] | None,
                         should_cancel: Callable[[], bool] | None, t_start: float) -> Any:
        dt = 1.0 / self.config.tick_hz
        behaviours = skill_behaviours(root)
        last_sent: tuple[int, str, str] | None = None
        while True:
            if should_cancel is not None and should_cancel():
                return "canceled"
            root.tick_once()
            if on_feedback is not None:
                current = next((b for b in behaviours if b.status == Status.RUNNING), None)
                motion, source = current.handle.feedback() if current and current.handle else ("", "")
                key = (current.index if current else -1, motion, source)
                if key != last_sent or root.status != Status.RUNNING:
                    last_sent = key
                    on_feedback(TaskFeedback(plan=lines, current_step=current.index if current else -1,
                                             current_skill=current.skill if current else "",
                                             language_motion=motion, source=source, tree=ascii_tree(root)))
            if root.status in (Status.SUCCESS, Status.FAILURE):
                return root.status
            world = self.client.world()
            if world is not None and world.stamp - t_start > self.config.task_timeout:
                return "timeout"
            self.advance(dt)


# --------------------------------------------------------------------------- in-process client
class _SimHandle:
    def __init__(self, client: SimSkillClient, execution: SkillExecution) -> None:
        self._client = client
        self.execution = execution
        self.motion = ""
        self.source = ""

    def status(self) -> str:
        return self.execution.status

    def reason(self) -> str:
        return self.execution.reason

    def feedback(self) -> tuple[str, str]:
        return self.motion, self.source

    def cancel(self) -> None:
        if self.execution.status == RUNNING:
            self.execution.status, self.execution.reason = FAILED, "canceled"
            self._client.robot.send_action(Action.hold(gripper=self.execution.last_gripper))


class SimSkillClient:
    """Runs skills in-process against a :class:`~robomatrix.hardware.sim.SimRobot` (benchmarks, tests).

    ``advance(dt)`` steps the simulator by ``dt`` seconds of robot time, one skill tick per
    control tick. ``inject_failure(skill, attempt)`` (optional) returns True to make that
    attempt of that skill fail half-way (the arm holds), for recovery benchmarks.
    ``controllers`` (optional) gives some skills a controller object of their own instead of
    one of kind ``controller`` (e.g. a DAgger labeller, :class:`~robomatrix.skills.demos.ChainLabeller`).
    """

    def __init__(self, robot: Any, library: SkillLibrary, controller: str = "oracle",
                 exec_config: ExecutionConfig | None = None,
                 inject_failure: Callable[[str, int], bool] | None = None,
                 controllers: Mapping[str, Any] | None = None) -> None:
        self.robot = robot
        self.library = library
        self.controller_kind = controller
        self.exec_config = exec_config or ExecutionConfig()
        self.inject_failure = inject_failure
        self._controllers: dict[str, Any] = dict(controllers or {})
        self._obs: Observation = robot.get_observation()
        self._handle: _SimHandle | None = None
        self._attempts: dict[str, int] = {}
        self._fail_at: float | None = None
        self.last_gripper = 0.0

    def world(self) -> Observation:
        return self._obs

    def start(self, skill: str, args: Mapping[str, Any]) -> _SimHandle:
        spec = self.library.get(skill)
        if skill not in self._controllers:
            self._controllers[skill] = make_controller(self.controller_kind, spec, self.library)
        execution = SkillExecution(spec, args, self._controllers[skill], self._obs, self.exec_config)
        self._handle = _SimHandle(self, execution)
        n = self._attempts[skill] = self._attempts.get(skill, 0) + 1
        self._fail_at = None
        if self.inject_failure is not None and self.inject_failure(skill, n):
            self._fail_at = self._obs.stamp + 0.4  # fail 0.4 s into the skill
        return self._handle

    def advance(self, dt: float) -> None:
        ticks = max(1, round(dt * self.exec_config.control_hz))
        for _ in range(ticks):
            h = self._handle
            if h is not None and h.execution.status == RUNNING:
                if self._fail_at is not None and self._obs.stamp >= self._fail_at:
                    h.execution.status, h.execution.reason = FAILED, "injected failure (benchmark)"
                    action = Action.hold(gripper=0.0)  # a fault that also drops what is held
                    self._fail_at = None
                else:
                    tick = h.execution.tick(self._obs)
                    h.motion, h.source = tick.motion, tick.source
                    action = tick.action
                self.last_gripper = action.gripper
            else:
                action = Action.hold(gripper=self.last_gripper)
            self.robot.send_action(action)
            self.robot.step()
            self._obs = self.robot.get_observation()


def config_from_dict(data: Mapping[str, Any] | None) -> SchedulerConfig:
    data = dict(data or {})
    unknown = set(data) - set(SchedulerConfig.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown scheduler setting(s) {sorted(unknown)}; valid: "
                          f"{sorted(SchedulerConfig.__dataclass_fields__)}")
    return SchedulerConfig(**data)
