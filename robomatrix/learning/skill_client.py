"""In-process skill client: runs skills against a simulator in the same process (benchmarks, tests).

Offline-learning wing: the scheduler's :class:`~robomatrix.scheduler.runner.TaskRunner` takes
any skill client; the ROS one is in the scheduler node, this one steps a
:class:`~robomatrix.hardware.sim.SimRobot` directly so benchmarks and DAgger collection along
whole tasks run without a ROS graph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from robomatrix.hardware.interface import Action, Observation
from robomatrix.skills.executor import ExecutionConfig, SkillExecution, make_controller
from robomatrix.skills.spec import SkillLibrary
from robomatrix.skills.status import SkillStatus

__all__ = ["SimSkillClient"]


class _SimHandle:
    def __init__(self, client: SimSkillClient, execution: SkillExecution) -> None:
        self._client = client
        self.execution = execution
        self.motion = ""
        self.source = ""

    def status(self) -> SkillStatus:
        return self.execution.status

    def reason(self) -> str:
        return self.execution.reason

    def feedback(self) -> tuple[str, str]:
        return self.motion, self.source

    def cancel(self) -> None:
        if self.execution.status == SkillStatus.RUNNING:
            self.execution.status, self.execution.reason = SkillStatus.FAILED, "canceled"
            self._client.robot.send_action(Action.hold(gripper=self.execution.last_gripper))


class SimSkillClient:
    """Runs skills in-process against a :class:`~robomatrix.hardware.sim.SimRobot` (benchmarks, tests).

    ``advance(dt)`` steps the simulator by ``dt`` seconds of robot time, one skill tick per
    control tick. ``inject_failure(skill, attempt)`` (optional) returns True to make that
    attempt of that skill fail half-way (the arm holds), for recovery benchmarks.
    ``controllers`` (optional) gives some skills a controller object of their own instead of
    one of kind ``controller`` (e.g. a DAgger labeller, :class:`~robomatrix.learning.demos.ChainLabeller`).
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
            if h is not None and h.execution.status == SkillStatus.RUNNING:
                if self._fail_at is not None and self._obs.stamp >= self._fail_at:
                    h.execution.status, h.execution.reason = SkillStatus.FAILED, "injected failure (benchmark)"
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


