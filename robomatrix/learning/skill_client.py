"""In-process skill client: runs skills against a simulator in the same process (benchmarks, tests).

Offline-learning wing: the scheduler's :class:`~robomatrix.scheduler.runner.TaskRunner` takes
any skill client; the ROS one is in the scheduler node, this one steps a
:class:`~robomatrix.hardware.sim.SimRobot` directly so benchmarks and DAgger collection along
whole tasks run without a ROS graph.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from robomatrix.errors import RobomatrixError
from robomatrix.hardware.interface import Action, Observation
from robomatrix.skills.executor import ExecutionConfig, SkillExecution, make_controller
from robomatrix.skills.spec import SkillLibrary
from robomatrix.skills.status import SkillStatus

__all__ = ["SimSkillClient"]

log = logging.getLogger(__name__)


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

    ``perception`` (optional, a :class:`~robomatrix.perception.pipeline.Perception`): the world
    the skills and the scheduler see is then perceived, as with ``perception:=true`` on ROS:
    the simulator's scene camera (``camera``, a CameraConfig) is rendered every 1/camera.rate_hz
    s of robot time (with its depth noise, seeded by ``camera_seed``) and each observation's
    objects are the perceived ones. ``camera_on = False`` stops the camera (perception then goes
    stale); :meth:`truth` is always the simulator's own observation.
    """

    def __init__(self, robot: Any, library: SkillLibrary, controller: str = "oracle",
                 exec_config: ExecutionConfig | None = None,
                 inject_failure: Callable[[str, int], bool] | None = None,
                 controllers: Mapping[str, Any] | None = None, perception: Any = None, camera: Any = None,
                 camera_seed: int = 0) -> None:
        self.robot = robot
        self.library = library
        self.controller_kind = controller
        self.exec_config = exec_config or ExecutionConfig()
        self.inject_failure = inject_failure
        self._controllers: dict[str, Any] = dict(controllers or {})
        self.perception = perception
        self.camera = camera
        self.camera_on = True
        self.frames = 0
        self._camera_rng = np.random.default_rng(camera_seed)
        self._next_frame = -np.inf
        if perception is not None and camera is None:
            raise ValueError("SimSkillClient(perception=...) needs the camera (CameraConfig) to render")
        self._truth: Observation = robot.get_observation()
        self._obs: Observation = self._perceive(self._truth)
        self._handle: _SimHandle | None = None
        self._attempts: dict[str, int] = {}
        self._fail_at: float | None = None
        self.last_gripper = 0.0

    def world(self) -> Observation:
        return self._obs

    def truth(self) -> Observation:
        """The simulator's observation (its objects are the truth, whatever the skills see)."""
        return self._truth

    def _perceive(self, obs: Observation) -> Observation:
        """``obs`` as the skills see it: unchanged, or with perceived objects (rendering a camera
        frame when one is due)."""
        if self.perception is None:
            return obs
        if self.camera_on and obs.stamp >= self._next_frame:
            rgb, depth = self.robot.render_rgbd(self.camera, self._camera_rng)
            try:
                self.perception.on_frame(rgb, depth, self.camera.intrinsics, obs.stamp, obs.ee_position)
            except RobomatrixError as e:
                log.warning("camera frame not used: %s", e)
            self.frames += 1
            period = 1.0 / self.camera.rate_hz
            self._next_frame = obs.stamp + period if self._next_frame == -np.inf else max(
                self._next_frame + period, obs.stamp)
        return self.perception.world(obs)

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
            self._truth = self.robot.get_observation()
            self._obs = self._perceive(self._truth)


