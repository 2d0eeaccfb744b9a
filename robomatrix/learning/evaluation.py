"""Evaluating skills in simulation: success per skill, with and without a simulated person.

Core: no rclpy. Episodes are set up by :func:`robomatrix.learning.demos.make_episode_setup`
(seeded scene brought to the skill's preconditions) and run through the same
:class:`~robomatrix.skills.executor.SkillExecution` the skill server uses.

The simulated person (:class:`SimulatedCorrector`) watches a shadow copy of the scripted
oracle on the same observations and, when the policy's language motion points elsewhere
for a while, says the oracle's motion — the RT-H intervention protocol with a scripted
human. Corrected episodes can be recorded as intervention data for fine-tuning.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.interface import Observation
from robomatrix.learning.demos import DemoSetupError, make_episode_setup
from robomatrix.policies.language_motion import STOP, motion_direction
from robomatrix.skills.executor import (
    PERSON,
    RUNNING,
    SUCCEEDED,
    Controller,
    ExecutionConfig,
    OracleController,
    SkillExecution,
)
from robomatrix.skills.spec import SkillLibrary, SkillSpec, load_skill_library

log = logging.getLogger(__name__)

EVAL_SEED_OFFSET = 1_000_000
SETUP_ATTEMPTS = 5  # layouts drawn per episode before it is skipped (counted in setup_failures)  # evaluation episodes never share a seed with training demonstrations


def motions_agree(a: str, b: str) -> bool:
    """True when two language motions point roughly the same way (or agree on the gripper)."""
    da, db = motion_direction(a), motion_direction(b)
    if da.gripper is not None or db.gripper is not None:
        return da.gripper == db.gripper
    if a == STOP or b == STOP:
        return a == b
    if np.linalg.norm(da.linear) > 0 and np.linalg.norm(db.linear) > 0:
        return float(np.dot(da.linear, db.linear)) > 0.3
    return da.yaw == db.yaw


@dataclass
class SimulatedCorrector:
    """A scripted person: corrects when the policy's motion disagrees with the oracle's."""

    patience: int = 6  # ticks of disagreement before speaking (0.1 s at 60 Hz)
    shadow: OracleController = field(default_factory=OracleController)
    corrections: int = 0
    _streak: int = 0

    def reset(self, spec: SkillSpec, args: dict[str, Any], obs: Observation) -> None:
        self.shadow.reset(spec, args, obs)
        self.corrections = 0
        self._streak = 0

    def watch(self, execution: SkillExecution, obs: Observation, policy_motion: str | None) -> None:
        """Before each tick: maybe correct ``execution`` with the oracle's motion."""
        expected = self.shadow.predict_motion(obs)
        if execution.correction is not None or policy_motion is None:
            self._streak = 0
            return
        self._streak = 0 if motions_agree(policy_motion, expected) else self._streak + 1
        if self._streak >= self.patience:
            execution.correct(expected, obs.stamp)
            self.corrections += 1
            self._streak = 0


@dataclass
class EvalResult:
    skill: str
    controller: str
    scene: str
    episodes: int = 0
    successes: int = 0
    corrections: int = 0
    sim_time: float = 0.0  # s, summed over episodes
    wall_time: float = 0.0  # s
    failures: Counter[str] = field(default_factory=Counter)  # reason (shortened) -> count
    setup_failures: int = 0

    @property
    def success_rate(self) -> float:
        return self.successes / self.episodes if self.episodes else 0.0

    @property
    def corrections_per_episode(self) -> float:
        return self.corrections / self.episodes if self.episodes else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"skill": self.skill, "controller": self.controller, "scene": self.scene, "episodes": self.episodes,
                "successes": self.successes, "success_rate": round(self.success_rate, 4),
                "corrections_per_episode": round(self.corrections_per_episode, 3),
                "mean_sim_time_s": round(self.sim_time / self.episodes, 3) if self.episodes else None,
                "wall_time_s": round(self.wall_time, 2), "setup_failures": self.setup_failures,
                "failure_reasons": dict(self.failures.most_common(5))}


def _short(reason: str) -> str:
    return reason.split(";")[0][:90]


def evaluate_skill(
    skill: str,
    make_controller: Callable[[SkillSpec], Controller],
    episodes: int,
    seed: int,
    *,
    robot: Any,
    scene: str | None = None,
    controller_name: str = "policy",
    corrector: SimulatedCorrector | None = None,
    exec_config: ExecutionConfig | None = None,
    library: SkillLibrary | None = None,
    writer: Any | None = None,
    progress: bool = False,
) -> EvalResult:
    """Run ``episodes`` seeded episodes of ``skill`` on a connected simulator ``robot``.

    ``writer`` (an EpisodeWriter) receives corrected episodes as intervention data.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ConfigError(f"episodes must be a positive int, got {episodes!r}")
    lib = library or load_skill_library()
    spec = lib.get(skill)
    config = exec_config or ExecutionConfig(correction_hold=0.4 if corrector else 2.0)
    controller = make_controller(spec)
    result = EvalResult(skill, controller_name, scene or "default")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=episodes, desc=f"eval {skill} ({controller_name})", unit="ep")
    t0 = time.perf_counter()
    try:
        for i in range(episodes):
            rng = np.random.default_rng([int(seed) + EVAL_SEED_OFFSET, i])
            for _attempt in range(SETUP_ATTEMPTS):  # a layout with no clear push path is redrawn
                try:
                    args, start = make_episode_setup(skill, rng, robot, scene, library=lib)
                    break
                except DemoSetupError as e:
                    result.setup_failures += 1
                    log.info("eval %s episode %d: setup failed: %s", skill, i, e)
            else:
                continue
            ok, reason, corrections, records = _run(spec, args, start, controller, robot, config, corrector,
                                                    writer is not None, lib)
            result.episodes += 1
            result.successes += int(ok)
            result.corrections += corrections
            result.sim_time += robot.get_observation().stamp - start.stamp
            if not ok:
                result.failures[_short(reason)] += 1
            if writer is not None and corrections > 0:
                writer.begin_episode({"skill": skill, "args": args, "source": "human", "seed": i,
                                      "corrections": corrections, "controller": controller_name})
                for t, features, vec, motion, source in records:
                    writer.add_step(t, features, vec, motion, source)
                writer.end_episode(success=ok)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(success=f"{result.successes}/{result.episodes}")
    finally:
        if bar is not None:
            bar.close()
    result.wall_time = time.perf_counter() - t0
    return result


def _run(spec: SkillSpec, args: dict[str, Any], start: Observation, controller: Controller, robot: Any,
         config: ExecutionConfig, corrector: SimulatedCorrector | None, record: bool,
         lib: SkillLibrary) -> tuple[bool, str, int, list[tuple[float, np.ndarray, np.ndarray, str, str]]]:
    from robomatrix.policies.features import build_features

    execution = SkillExecution(spec, args, controller, start, config)
    if corrector is not None:
        corrector.reset(spec, args, start)
    obs = start
    last_policy_motion: str | None = None
    records: list[tuple[float, np.ndarray, np.ndarray, str, str]] = []
    names = tuple(lib.names)
    while True:
        if corrector is not None:
            corrector.watch(execution, obs, last_policy_motion)
        tick = execution.tick(obs)
        if tick.status != RUNNING:
            break
        last_policy_motion = tick.motion if tick.source != PERSON else None
        if record:
            try:
                features = build_features(obs, spec.name, args, names, spec.place_arguments)
                a = tick.action
                vec = np.array([*a.linear, a.angular[2], a.gripper], dtype=np.float32)
                records.append((obs.stamp - start.stamp, features, vec, tick.motion, tick.source))
            except RobomatrixError:
                pass
        robot.send_action(tick.action)
        robot.step()
        obs = robot.get_observation()
    robot.send_action(tick.action)  # the final hold
    return tick.status == SUCCEEDED, tick.reason, execution.corrections, records
