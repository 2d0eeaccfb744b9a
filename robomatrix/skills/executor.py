"""Running one meta-skill, tick by tick (RT-H inside a RoboMatrix skill). Core: no rclpy.

Each control tick the controller is asked twice: first for a *language motion* (or a
person's correction replaces that answer), then for the action that carries the motion
out. :class:`SkillExecution` adds what every skill needs around that: the spec's success
condition, its timeout, unsafe-state aborts and the correction hold. The same class runs
inside the skill server node (observations and commands over ROS) and in benchmarks and
tests straight against :class:`~robomatrix.hardware.sim.SimRobot`.

Controllers: :class:`PolicyController` (a trained torch policy) and
:class:`OracleController` (the scripted oracle, privileged simulator state; labels its own
actions with the RT-H labeller).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.interface import Action, Observation
from robomatrix.policies.language_motion import RESUME, STOP, parse_motion
from robomatrix.resources import packaged_default
from robomatrix.skills.spec import SkillLibrary, SkillSpec
from robomatrix.skills.status import ESTOP_REASON, PERCEPTION_STALE, MotionSource, SkillStatus

log = logging.getLogger(__name__)

# Short names for the enum members, kept for the modules that import them from here.
RUNNING, SUCCEEDED, FAILED = SkillStatus.RUNNING, SkillStatus.SUCCEEDED, SkillStatus.FAILED
POLICY, PERSON = MotionSource.POLICY, MotionSource.PERSON


class Controller(Protocol):
    """What runs a skill, tick by tick: the one interface of the skill executor, the scripted
    oracle's adapter (:class:`OracleController`), trained policies (:class:`PolicyController`)
    and demonstration recording (:func:`robomatrix.learning.demos.run_episode`, its DAgger driver).

    Each tick :meth:`predict_motion` names the language motion the controller would carry
    out; :meth:`act` returns the action for a motion -- ``None`` for the controller's own
    (the predicted one when :meth:`predict_motion` was asked about ``obs``), or another one,
    a person's correction, that it executes instead.
    """

    def reset(self, spec: SkillSpec, args: Mapping[str, Any], obs: Observation) -> None: ...

    def predict_motion(self, obs: Observation) -> str: ...

    def act(self, obs: Observation, motion: str | None = None) -> Action: ...

    def done(self, obs: Observation) -> bool: ...  # it says it has finished (a policy never does)


def vector_to_action(a: np.ndarray) -> Action:
    """Policy output (5,) = (vx, vy, vz, yaw_rate, gripper) → velocity-mode Action."""
    a = np.asarray(a, dtype=float)
    return Action(mode="velocity", linear=a[:3].copy(), angular=np.array([0.0, 0.0, a[3]]),
                  gripper=float(np.clip(a[4], 0.0, 1.0)))


class PolicyController:
    """A trained policy (see :mod:`robomatrix.policies`) as a controller."""

    def __init__(self, policy: Any, skill_names: tuple[str, ...]) -> None:
        self.policy = policy
        self.skill_names = skill_names
        self._skill = ""
        self._places: frozenset[str] = frozenset()
        self._args: Mapping[str, Any] = {}
        self._predicted: tuple[Observation, str, np.ndarray] | None = None  # this tick's query
        self._feature_cache: tuple[Observation, np.ndarray] | None = None

    def reset(self, spec: SkillSpec, args: Mapping[str, Any], obs: Observation) -> None:
        self._skill, self._args, self._places = spec.name, dict(args), spec.place_arguments
        self._predicted = None
        self.policy.reset()

    def features(self, obs: Observation) -> np.ndarray:
        """The policy's (D,) features of ``obs``, built once per observation (the skill server
        records the same vector the policy read)."""
        from robomatrix.policies.features import build_features

        cached = self._feature_cache
        if cached is not None and cached[0] is obs:
            return cached[1]
        x = build_features(obs, self._skill, self._args, self.skill_names, self._places)
        self._feature_cache = (obs, x)
        return x

    _features = features

    def predict_motion(self, obs: Observation) -> str:
        # One query gives the predicted motion and the action for it (RT-H's two heads).
        motion, vec = self.policy.select_action(self._features(obs))
        self._predicted = (obs, motion or STOP, vec)
        return motion or STOP

    def act(self, obs: Observation, motion: str | None = None) -> Action:
        predicted = self._predicted
        if predicted is not None and predicted[0] is obs and motion in (None, predicted[1]):
            return vector_to_action(predicted[2])
        # Not asked about this observation yet (one query), or a person's motion: the action
        # head executes it (a flat policy refuses).
        _, vec = self.policy.select_action(self._features(obs), motion_override=motion)
        return vector_to_action(vec)

    def done(self, obs: Observation) -> bool:
        return False  # the skill's success condition or its timeout ends a policy's run


class OracleController:
    """The scripted oracle of a skill (:mod:`robomatrix.skills.oracles`) as a controller,
    labelled RT-H style so it also names its motions. ``config``: the oracle's OracleConfig."""

    def __init__(self, window: int = 5, config: Any = None) -> None:
        self.window = window
        self.config = config
        self._oracle: Any = None
        self._recent: deque[Action] = deque(maxlen=window)
        self._action: Action | None = None
        self._pending = False  # predict_motion decided this tick's action; act() has not taken it yet
        self._predicted = STOP

    @property
    def reactive(self) -> bool:
        """Whether the oracle (after :meth:`reset`) decides from the current state alone."""
        return bool(getattr(self._oracle, "reactive", False))

    def reset(self, spec: SkillSpec, args: Mapping[str, Any], obs: Observation) -> None:
        from robomatrix.skills.oracles import make_oracle

        self._oracle = make_oracle(spec, self.config)
        self._oracle.reset(spec.name, dict(args), obs)
        self._recent.clear()
        self._action, self._pending, self._predicted = None, False, STOP

    def _advance(self, obs: Observation) -> Action:
        self._action = self._oracle.act(obs)
        self._recent.append(self._action)
        return self._action

    def predict_motion(self, obs: Observation) -> str:
        from robomatrix.skills.labeller import label_actions

        self._advance(obs)
        self._pending = True
        labels = label_actions(list(self._recent))
        self._predicted = labels[-1] if labels else STOP
        return self._predicted

    def act(self, obs: Observation, motion: str | None = None) -> Action:
        from robomatrix.skills.oracles import action_for_motion

        if motion is None:  # the oracle's own action: the predicted one, or its next tick
            action = self._action if self._pending and self._action is not None else self._advance(obs)
            self._pending = False
            return action
        # The oracle's own action when the motion is the one it was labelled with; a
        # person's different motion is carried out directly.
        if self._action is not None and motion == self._predicted:
            self._pending = False
            return self._action
        return action_for_motion(motion, obs)

    def done(self, obs: Observation) -> bool:
        return self._oracle is not None and bool(self._oracle.done(obs))


@dataclass(frozen=True)
class ExecutionConfig:
    # s a person's motion overrides the policy; 0 = until "resume" (default: config/robot.yaml skill_server)
    correction_hold: float = field(default_factory=packaged_default("robot.yaml", "skill_server", "correction_hold"))
    # Hz, used for the timeout budget in ticks when stamps are missing (default: control.rate_hz)
    control_hz: float = field(default_factory=packaged_default("robot.yaml", "control", "rate_hz"))

    def __post_init__(self) -> None:
        if not (isinstance(self.correction_hold, int | float) and math.isfinite(self.correction_hold)
                and self.correction_hold >= 0):
            raise ConfigError(f"correction_hold must be >= 0 seconds, got {self.correction_hold!r}; set "
                              "skill_server.correction_hold (or the correction_hold parameter) to 0 (until resume) or more")
        if not (isinstance(self.control_hz, int | float) and self.control_hz > 0):
            raise ConfigError(f"control_hz must be positive, got {self.control_hz!r}")


@dataclass(frozen=True)
class Tick:
    """What one control tick decided."""

    action: Action
    motion: str  # the language motion executed this tick
    source: MotionSource
    status: SkillStatus  # running | succeeded | failed
    reason: str = ""  # why it ended
    progress: float = 0.0  # 0..1, share of the time budget used (1.0 on success)


def _stale_text(reason: str) -> str:
    """The perception node's stale reason, starting with PERCEPTION_STALE whoever wrote it."""
    return reason if reason.startswith(PERCEPTION_STALE) else f"{PERCEPTION_STALE}: {reason}"


def _obs_is_finite(obs: Observation) -> bool:
    arrays = [obs.ee_position, obs.ee_orientation, obs.joint_positions]
    arrays += [o.position for o in obs.objects]
    return all(np.all(np.isfinite(np.asarray(a, float))) for a in arrays) and math.isfinite(obs.gripper_width)


class SkillExecution:
    """One run of one skill. Call :meth:`tick` with each new observation until it ends."""

    def __init__(self, spec: SkillSpec, args: Mapping[str, Any], controller: Controller, start: Observation,
                 config: ExecutionConfig | None = None) -> None:
        self.spec = spec
        self.args = dict(args)
        self.controller = controller
        self.start = start
        self.config = config or ExecutionConfig()
        self.correction: str | None = None
        self.correction_until: float | None = None  # robot time; None with a correction = until resume
        self.corrections = 0
        self.ticks = 0
        self.status: SkillStatus = RUNNING
        self.reason = ""
        self.last_gripper = 1.0 if start.gripper_closed else 0.0
        controller.reset(spec, self.args, start)

    # -- corrections -------------------------------------------------------------------
    def correct(self, text: str, now: float) -> str:
        """A person's language motion (free text allowed). Returns the motion applied.

        Raises :class:`~robomatrix.policies.language_motion.UnknownMotionError` listing the
        valid motions when the text cannot be read; "resume" hands control back.
        """
        motion = parse_motion(text)
        if motion == RESUME:
            self.correction, self.correction_until = None, None
            return motion
        self.correction = motion
        hold = self.config.correction_hold
        self.correction_until = now + hold if hold > 0 else None
        self.corrections += 1
        log.info("person corrects %s: %s", self.spec.name, motion)
        return motion

    def _active_correction(self, now: float) -> str | None:
        if self.correction is not None and self.correction_until is not None and now > self.correction_until:
            self.correction, self.correction_until = None, None
        return self.correction

    # -- ticking -----------------------------------------------------------------------
    def _end(self, status: SkillStatus, reason: str) -> Tick:
        self.status, self.reason = status, reason
        return Tick(Action.hold(gripper=self.last_gripper), STOP, POLICY, status, reason,
                    1.0 if status == SUCCEEDED else self.progress_at(None))

    def progress_at(self, obs: Observation | None) -> float:
        if obs is None:
            return 0.0
        return float(min(0.99, max(0.0, (obs.stamp - self.start.stamp) / self.spec.timeout)))

    def tick(self, obs: Observation) -> Tick:
        """Decide this tick's action. After the execution ended, every tick is a hold."""
        from robomatrix.skills.conditions import check_all

        if self.status != RUNNING:
            return Tick(Action.hold(gripper=self.last_gripper), STOP, POLICY, self.status, self.reason, 1.0)
        self.ticks += 1
        if not _obs_is_finite(obs):
            return self._end(FAILED, "unsafe state: the observation has non-finite values; the arm holds")
        if obs.estopped:
            return self._end(FAILED, ESTOP_REASON)
        if obs.perception_stale:
            # The objects are unknown: no motion from stale perception, and no success judged on it.
            return self._end(FAILED, f"{_stale_text(obs.perception_stale)}; the skill stopped and the arm holds")
        ok, _unmet = check_all(self.spec.success, self.args, obs, self.start)
        if ok:
            return self._end(SUCCEEDED, "success condition met: " + ", ".join(c.to_text() for c in self.spec.success))
        elapsed = obs.stamp - self.start.stamp
        if elapsed > self.spec.timeout:
            return self._end(FAILED, f"timeout after {self.spec.timeout:g} s; unmet: {'; '.join(_unmet)}")
        person = self._active_correction(obs.stamp)
        try:
            motion = person if person is not None else self.controller.predict_motion(obs)
            action = self.controller.act(obs, motion)
        except RobomatrixError as e:
            return self._end(FAILED, f"controller error: {e}; the arm holds")
        self.last_gripper = action.gripper
        return Tick(action, motion, PERSON if person is not None else POLICY, RUNNING, "", self.progress_at(obs))


def make_controller(kind: str, spec: SkillSpec, library: SkillLibrary) -> Controller:
    """``kind``: "policy" (the skill's trained checkpoint) or "oracle" (scripted, simulation only)."""
    if kind == "oracle":
        return OracleController()
    if kind == "policy":
        from robomatrix.policies.model import CheckpointError, load_policy

        path = Path(spec.policy_path)
        policy = load_policy(path, skill=spec.name)
        trained_on, here = tuple(policy.config.skill_names), tuple(sorted(library.names))
        if trained_on != here:
            # The skill one-hot in the features follows the library: another library means other inputs.
            raise CheckpointError(
                f"{path} was trained with the skill library {list(trained_on)}, but this library has {list(here)}; "
                f"its skill inputs would mean other skills. Retrain it on this library "
                f"(robomatrix train --skill {spec.name}) or use the library it was trained with"
            )
        return PolicyController(policy, tuple(library.names))
    raise ConfigError(f"unknown controller {kind!r}; use 'policy' (trained) or 'oracle' (scripted, simulation)")
