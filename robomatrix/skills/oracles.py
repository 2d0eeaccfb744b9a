"""Scripted oracles: the toolkit each skill folder's ``oracle.py`` builds its oracle from.

Core module: imports no rclpy and no simulator. An oracle reads object poses from the
:class:`~robomatrix.hardware.interface.Observation` (privileged simulator state) and
returns velocity :class:`~robomatrix.hardware.interface.Action`\\ s (world frame, linear
speed <= ``OracleConfig.speed`` <= 0.2 m/s, yaw rate about +z, gripper 0 open .. 1 closed).

Each oracle is a small deterministic state machine of phases. Every phase moves along one
or two world axes (plus small proportional corrections), turns the gripper about z, or
changes the gripper, so the RT-H labeller (:mod:`robomatrix.skills.labeller`) can name
each stretch with a language motion ("move arm forward and left", "move arm down",
"rotate gripper left", "close gripper", "stop").

::

    oracle = make_oracle("grasp")
    oracle.reset("grasp", {"object": "block_red_0"}, obs)
    while not oracle.done(obs):
        robot.send_action(oracle.act(obs)); robot.step(); obs = robot.get_observation()

A skill's oracle lives in its folder (``skills/<name>/oracle.py``, a class decorated with
:func:`register_oracle`); :func:`make_oracle` loads it from there. :func:`action_for_motion` executes a language motion directly
(a person's correction, or a fallback).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.drawer import HANDLE_STANDOFF
from robomatrix.hardware.geometry import object_top, quaternion_yaw
from robomatrix.hardware.interface import Action, ObjectInfo, Observation
from robomatrix.hardware.safety import SafetyLimits
from robomatrix.policies.language_motion import motion_to_velocity
from robomatrix.registry import Registry
from robomatrix.skills.spec import SkillLibrary, SkillSpec, load_skill_library

log = logging.getLogger(__name__)

__all__ = [
    "MAX_CRUISE_ABOVE",
    "ORACLES",
    "DrawerOracle",
    "Oracle",
    "OracleConfig",
    "OracleError",
    "action_for_motion",
    "cap_norm",
    "footprints_near",
    "half_extent_along",
    "hand_clearance",
    "make_oracle",
    "move_to_goal",
    "oracle_class",
    "register_oracle",
    "wrap_angle",
]


class OracleError(RobomatrixError):
    """An oracle asked for a skill it does not know, or given arguments it cannot act on."""


@dataclass(frozen=True)
class OracleConfig:
    """Speeds, gains and distances of the scripted oracles. Validated on construction."""

    speed: float = 0.15  # m/s, cruise speed of the end effector (<= 0.2)
    push_speed: float = 0.08  # m/s, speed while pushing an object or a drawer
    correction_speed: float = 0.05  # m/s, cap on corrections along the axes a phase holds
    gain: float = 4.0  # 1/s, proportional gain from position error (m) to velocity (m/s)
    tolerance: float = 0.006  # m, position error at which a phase counts as reached
    yaw_rate: float = 0.8  # rad/s, cap on gripper turns
    yaw_gain: float = 3.0  # 1/s, proportional gain from yaw error (rad) to yaw rate (rad/s)
    yaw_tolerance: float = 0.06  # rad, yaw error at which an alignment counts as reached
    approach_height: float = 0.03  # m, gripper height above a block's top when move_to ends
    container_height: float = 0.05  # m, gripper height above a bowl's or bin's rim when move_to ends
    handle_offset: float = 0.01  # m, grasp height above the drawer handle's centre
    clearance: float = 0.07  # m, travel height above a move_to goal
    grasp_depth: float = 0.025  # m, how far below an object's top the fingertips close (tall objects)
    lift: float = 0.06  # m, lift after a grasp / rise after letting go
    place_height: float = 0.04  # m, gap between the held object's bottom and the target's top
    stack_height: float = 0.02  # m, the same gap over a block target (over() accepts <= 5 cm: room for a policy's error)
    carry_clearance: float = 0.07  # m, gap between the held object's bottom and the table's clutter while carrying
    clutter_height: float = 0.06  # m, the table's clutter place_over carries over: the bin's rim, above a pile in it
    push_standoff: float = 0.02  # m, gap between the pushing finger and the object before a push
    push_overshoot: float = 0.01  # m, push this much beyond the requested distance
    finger_offset: float = 0.04  # m, a finger's distance from the grasp point (open gripper)
    gripper_step: float = 0.125  # gripper command change per tick (0..1 in 8 ticks): a visible open/close
    close_ticks: int = 25  # ticks to wait for the grasp after starting to close (60 Hz: 0.4 s)
    open_ticks: int = 15  # ticks to wait after starting to open the gripper
    retries: int = 2  # grasp attempts after the first fails
    lower_ticks: int = 120  # ticks the push oracle may take to lower its finger (60 Hz: 2 s)
    slide_ticks: int = 360  # ticks a drawer slide may last before the oracle gives up (60 Hz: 6 s)
    drawer_open_target: float = 0.95  # 1, opening at which a pull stops
    drawer_closed_target: float = 0.02  # 1, opening at which a push stops
    min_z: float = 0.022  # m, lowest end-effector height an oracle asks for (fingertips ~1 cm lower)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ConfigError(f"OracleConfig.{f.name} must be a finite number, got {value!r}")
            if value < 0:
                raise ConfigError(f"OracleConfig.{f.name} must be >= 0, got {value!r}")
        for name in ("speed", "push_speed", "gain", "gripper_step", "tolerance", "yaw_rate", "yaw_gain", "yaw_tolerance"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"OracleConfig.{name} must be > 0, got {getattr(self, name)!r}")
        if self.speed > 0.2 or self.push_speed > 0.2:
            raise ConfigError(
                f"OracleConfig speeds must be <= 0.2 m/s (demonstrations stay slow), got speed {self.speed} "
                f"and push_speed {self.push_speed}"
            )
        for name in ("close_ticks", "open_ticks", "retries", "lower_ticks", "slide_ticks"):
            if not isinstance(getattr(self, name), int):
                raise ConfigError(f"OracleConfig.{name} must be an int, got {getattr(self, name)!r}")


MAX_CRUISE_ABOVE = 0.25  # m, highest a reactive oracle travels above its safe height (higher: it comes down)

def _other_library(old: type[Oracle], new: type[Oracle]) -> bool:
    # Two skill libraries may each have a skill of a name (checkout and installed share):
    # the oracle loaded last takes the name. Two classes in one oracle.py may not.
    return old.__module__ != new.__module__ or old.__qualname__ == new.__qualname__


ORACLES: Registry[type[Oracle]] = Registry(
    "oracle of skill", error=OracleError, may_replace=_other_library,
    on_register=lambda skill, cls: setattr(cls, "skill", skill),
)
"""Skill name -> oracle class, filled by :func:`register_oracle` as skill folders' ``oracle.py`` load."""


def register_oracle(skill: str) -> Callable[[type[Oracle]], type[Oracle]]:
    """Class decorator for a skill folder's ``oracle.py``: the class is ``skill``'s oracle."""
    return ORACLES.register(skill)


def oracle_class(spec: SkillSpec) -> type[Oracle]:
    """The oracle class in ``spec``'s folder (``oracle.py``); :class:`OracleError` when it has none."""
    module = spec.plugin("oracle")
    found = [
        v for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, Oracle) and getattr(v, "skill", None) == spec.name
    ] if module is not None else []
    if not found:
        where = spec.folder / "oracle.py" if spec.folder is not None else "its folder"
        raise OracleError(
            f"skill {spec.name!r} has no oracle; fix: add {where} with a class decorated "
            f"@register_oracle({spec.name!r}) (see skills/README.md)"
        )
    return found[-1]


def make_oracle(
    skill: str | SkillSpec,
    config: OracleConfig | None = None,
    limits: SafetyLimits | None = None,
    library: SkillLibrary | None = None,
) -> Oracle:
    """A fresh oracle for ``skill`` (a spec, or a name looked up in ``library``, default the
    installed skill library); raises :class:`OracleError` naming the skills that have one."""
    if isinstance(skill, SkillSpec):
        return oracle_class(skill)(config, limits)
    lib = library if library is not None else load_skill_library()
    if skill not in lib:
        have = [s.name for s in lib if s.folder is not None and (s.folder / "oracle.py").is_file()]
        raise OracleError(f"no oracle for skill {skill!r}; oracles exist for {', '.join(have)}")
    return oracle_class(lib.get(skill))(config, limits)


def wrap_angle(angle: float, period: float) -> float:
    """``angle`` wrapped into (-period/2, period/2]."""
    a = math.fmod(angle + 0.5 * period, period)
    if a <= 0:
        a += period
    return a - 0.5 * period


def cap_norm(v: np.ndarray, cap: float) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v * (cap / n) if n > cap else v


_Phase = Callable[[Observation], "Action | str"]


class Oracle:
    """Base of the scripted oracles: phases, proportional tracking, gripper bookkeeping.

    Subclasses set ``first_phase``, implement ``_setup`` (read the arguments) and one
    method ``_phase_<name>(obs) -> Action | str`` per phase; returning a string switches to
    that phase and evaluates it in the same tick. The phase ``done`` holds still.
    """

    skill: ClassVar[str] = ""
    reactive: ClassVar[bool] = False  # acts on the current state alone: may label states a policy reached (DAgger)
    first_phase: ClassVar[str] = "done"
    object_args: ClassVar[tuple[str, ...]] = ()  # arguments that must name an object in the observation

    def __init__(self, config: OracleConfig | None = None, limits: SafetyLimits | None = None) -> None:
        self.config = config if config is not None else OracleConfig()
        self.limits = limits if limits is not None else SafetyLimits()
        self.args: dict[str, Any] = {}
        self.phase = "done"
        self.phase_ticks = 0
        self.gripper = 0.0  # gripper command sent last (0 open .. 1 closed)
        self.gripper_target = 0.0  # where the phases want it; act() ramps towards it
        self.attempts = 0

    # -- public interface ----------------------------------------------------------------------
    def reset(self, skill: str, args: Mapping[str, Any], obs: Observation) -> None:
        """Start the skill with grounded ``args`` (object ids, direction words, numbers)."""
        if skill != self.skill:
            raise OracleError(f"{type(self).__name__} runs {self.skill!r}, not {skill!r}; use make_oracle({skill!r})")
        self.args = dict(args)
        for name in self.object_args:
            if name not in self.args:
                raise OracleError(f"oracle {self.skill!r} needs argument {name!r}; got {sorted(self.args)}")
            if self._obj(obs, name) is None:
                raise OracleError(
                    f"oracle {self.skill!r}: {name}={self.args[name]!r} is not in the observation "
                    f"(objects: {', '.join(o.id for o in obs.objects)})"
                )
        self.gripper = self.gripper_target = 1.0 if obs.gripper_closed else 0.0
        self.attempts = 0
        self._setup(obs)
        self._enter(self.first_phase)

    def act(self, obs: Observation) -> Action:
        """The action for this tick (velocity mode). The gripper command ramps towards the
        phase's target by ``gripper_step`` per tick."""
        step = self.config.gripper_step
        self.gripper = float(np.clip(self.gripper_target, self.gripper - step, self.gripper + step))
        for _ in range(16):
            result = self._phases()[self.phase](obs)
            if isinstance(result, Action):
                self.phase_ticks += 1
                return result
            self._enter(result)
        raise OracleError(f"oracle {self.skill!r} switched phases 16 times in one tick (now {self.phase!r})")

    def done(self, obs: Observation) -> bool:
        """True once the script has finished (whether or not the skill succeeded)."""
        return self.phase == "done"

    # -- for subclasses --------------------------------------------------------------------------
    def _setup(self, obs: Observation) -> None:
        """Read the arguments; called by reset() before the first phase."""

    def _phases(self) -> dict[str, _Phase]:
        return {
            name[len("_phase_") :]: getattr(self, name) for name in dir(self) if name.startswith("_phase_")
        }

    def _enter(self, phase: str) -> None:
        if phase not in self._phases():
            raise OracleError(f"oracle {self.skill!r} has no phase {phase!r}")
        log.debug("oracle %s: %s -> %s", self.skill, self.phase, phase)
        self.phase = phase
        self.phase_ticks = 0

    def _phase_done(self, obs: Observation) -> Action | str:
        return self._velocity(np.zeros(3))

    def _obj(self, obs: Observation, arg: str) -> ObjectInfo | None:
        oid = self.args.get(arg)
        return next((o for o in obs.objects if o.id == oid), None)

    def _open_then(self, next_phase: str, obs: Observation) -> Action | str:
        """Open the gripper and wait (arm still) until nothing is held, then go to ``next_phase``."""
        self.gripper_target = 0.0
        if self.phase_ticks >= self.config.open_ticks and not obs.held_object_id:
            self._rise_z = float(obs.ee_position[2]) + self.config.lift
            return next_phase
        return self._velocity(np.zeros(3))

    def _rise_clear(self, obs: Observation) -> Action | str:
        """Rise straight up by ``config.lift`` from where the gripper let go, then done."""
        action, reached = self._track(obs, np.array([*obs.ee_position[:2], self._rise_z]), (2,))
        return "done" if reached else action

    def _velocity(self, linear: np.ndarray, yaw_rate: float = 0.0) -> Action:
        return Action(
            mode="velocity",
            linear=np.asarray(linear, dtype=float).copy(),
            angular=np.array([0.0, 0.0, float(yaw_rate)]),
            gripper=float(self.gripper),
        )

    def _track(
        self,
        obs: Observation,
        goal: np.ndarray,
        primary: tuple[int, ...],
        hold: tuple[int, ...] = (),
        speed: float | None = None,
    ) -> tuple[Action, bool]:
        """Move along the ``primary`` axes towards ``goal`` (straight line, capped at ``speed``)
        while correcting the ``hold`` axes gently. Returns the action and whether all those
        axes are within tolerance."""
        cfg = self.config
        speed = cfg.speed if speed is None else speed
        goal = np.clip(np.asarray(goal, dtype=float), self.limits.workspace_min, self.limits.workspace_max)
        err = goal - np.asarray(obs.ee_position, dtype=float)
        v = np.zeros(3)
        p = list(primary)
        v[p] = cap_norm(cfg.gain * err[p], speed)
        for i in hold:
            v[i] = float(np.clip(cfg.gain * err[i], -cfg.correction_speed, cfg.correction_speed))
        reached = all(abs(err[i]) <= cfg.tolerance for i in primary) and all(
            abs(err[i]) <= 2.0 * cfg.tolerance for i in hold
        )
        return self._velocity(cap_norm(v, cfg.speed)), reached

    def _rise_or_cross(self, obs: Observation, goal_xy: np.ndarray, safe_z: float) -> Action:
        """The far-from-the-goal rule of the reactive oracles: below ``safe_z`` rise straight up;
        at or above it travel across towards ``goal_xy`` at the current height (at most
        ``MAX_CRUISE_ABOVE`` above ``safe_z``)."""
        ee = np.asarray(obs.ee_position, dtype=float)
        if ee[2] < safe_z - self.config.tolerance:
            action, _ = self._track(obs, np.array([ee[0], ee[1], safe_z]), (2,))
            return action
        cruise_z = min(float(ee[2]), safe_z + MAX_CRUISE_ABOVE)
        action, _ = self._track(obs, np.array([goal_xy[0], goal_xy[1], cruise_z]), (0, 1), (2,))
        return action

    def _lower_to(self, obs: Observation, goal: np.ndarray) -> Action | str:
        """Descend to ``goal`` correcting horizontally; ``"done"`` once there."""
        action, reached = self._track(obs, goal, (2,), (0, 1))
        return "done" if reached else action

    def _grasp_point(self, obs: Observation, arg: str = "object") -> np.ndarray:
        """Where the fingertips close on argument ``arg``'s object: its centre, or ``grasp_depth``
        below the top of a tall one, never below ``min_z`` (the gripper when the object is gone)."""
        obj = self._obj(obs, arg)
        if obj is None:
            return np.asarray(obs.ee_position, dtype=float)
        z = max(float(obj.position[2]), object_top(obj) - self.config.grasp_depth, self.config.min_z)
        return np.array([float(obj.position[0]), float(obj.position[1]), z])

    def _align_then(self, obs: Observation, yaw_period: tuple[float, float], next_phase: str) -> Action | str:
        """Turn the gripper to ``yaw_period`` (yaw, period) holding position, then ``next_phase``."""
        action, reached = self._turn(obs, *yaw_period)
        return next_phase if reached else action

    def _descend_open(self, obs: Observation, goal: np.ndarray, next_phase: str) -> Action | str:
        """Open the gripper and descend to ``goal`` correcting horizontally, then ``next_phase``."""
        self.gripper_target = 0.0
        action, reached = self._track(obs, goal, (2,), (0, 1))
        return next_phase if reached else action

    def _close_on(self, obs: Observation, arg: str, held: str, failed: str) -> Action | str:
        """Close the gripper on argument ``arg``'s object: ``held`` once it is held, "reopen" (a
        retry) when it is not after ``close_ticks``, ``failed`` when the retries are spent."""
        self.gripper_target = 1.0
        if obs.held_object_id == self.args[arg] and self.phase_ticks >= 3:
            return held
        if self.phase_ticks >= self.config.close_ticks:
            return "reopen" if self.attempts < self.config.retries else failed
        return self._velocity(np.zeros(3))

    def _turn(self, obs: Observation, target_yaw: float, period: float) -> tuple[Action, bool]:
        """Turn the gripper about z towards ``target_yaw`` (modulo ``period``), holding position."""
        cfg = self.config
        err = wrap_angle(target_yaw - quaternion_yaw(obs.ee_orientation), period)
        rate = float(np.clip(cfg.yaw_gain * err, -cfg.yaw_rate, cfg.yaw_rate))
        return self._velocity(np.zeros(3), rate), abs(err) <= cfg.yaw_tolerance

    def _clear_grip_yaw(self, obs: Observation, obj: ObjectInfo) -> tuple[float, float]:
        """:meth:`_grip_yaw`, but for an object that may be gripped either way (a cube: period
        90°) beside something taller (the drawer's cabinet, a stack), the one of its two yaws
        that keeps the hand's width clear of it, held to period 180° so the turn keeps to it.
        Turned the other way the hand hits the neighbour and cannot descend to the object."""
        yaw, period = self._grip_yaw(obj)
        if period > 0.5 * math.pi + 1e-6:
            return yaw, period
        footprints = footprints_near(obs, obj)
        if not footprints:
            return yaw, period
        gaps = [hand_clearance(obj, y, footprints) for y in (yaw, yaw + 0.5 * math.pi)]
        if min(gaps) >= 0.02:  # both clear: keep the nearer turn
            return yaw, period
        return (yaw if gaps[0] >= gaps[1] else yaw + 0.5 * math.pi), math.pi

    @staticmethod
    def _grip_yaw(obj: ObjectInfo) -> tuple[float, float]:
        """(gripper yaw, period) that makes the fingers close across the object's narrower side.

        The fingers close along the gripper's y axis, which is world y at yaw 0. A drawer's
        handle is a vertical bar grasped with the fingers along the cabinet's y axis.
        """
        yaw = quaternion_yaw(obj.orientation)
        if obj.category == "drawer":
            return yaw, math.pi
        sx, sy = float(obj.size[0]), float(obj.size[1])
        if abs(sx - sy) < 0.005:
            return yaw, 0.5 * math.pi
        # closing along local y (gripper yaw = object yaw) when y is the narrower side
        return (yaw if sy <= sx else yaw + 0.5 * math.pi), math.pi


HAND_HALF_WIDTH = 0.105  # m, half the hand's width along the fingers' closing axis (a Panda hand is ~21 cm)
HAND_RISE = 0.03  # m, objects this much taller than the grasped one are in the hand's way
HAND_NEAR = 0.3  # m, objects farther than this (centre to centre) are not considered
DRAWER_TRAVEL = 0.165  # m, a drawer's longest slide out of its cabinet (the scenes' drawers: 0.15 m) and 1.5 cm more


def footprints_near(obs: Observation, obj: ObjectInfo) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """Footprints ``(centre xy, yaw, half extents xy)`` of the objects near ``obj`` that stand
    ``HAND_RISE`` above its top. A drawer reports its handle: its footprint runs from there into
    the cabinet by the cabinet's depth plus a full opening (the drawer box and the cabinet)."""
    out = []
    for o in obs.objects:
        if o.id == obj.id or o.id == obs.held_object_id or object_top(o) < object_top(obj) + HAND_RISE:
            continue
        yaw = quaternion_yaw(o.orientation)
        centre, half = np.asarray(o.position[:2], dtype=float), 0.5 * np.asarray(o.size[:2], dtype=float)
        if o.category == "drawer":
            depth = HANDLE_STANDOFF + float(o.size[0]) + DRAWER_TRAVEL  # handle to the cabinet's back, fully open
            centre = centre + 0.5 * depth * np.array([math.cos(yaw), math.sin(yaw)])
            half = np.array([0.5 * depth, half[1]])
        if float(np.linalg.norm(centre - np.asarray(obj.position[:2]))) <= HAND_NEAR + float(np.max(half)):
            out.append((centre, yaw, half))
    return out


def hand_clearance(obj: ObjectInfo, yaw: float, footprints: list[tuple[np.ndarray, float, np.ndarray]]) -> float:
    """Smallest horizontal gap (m, < 0 inside) between the hand over ``obj`` at gripper ``yaw``
    (its width along the closing axis, world (-sin, cos) of the yaw) and the footprints."""
    axis = np.array([-math.sin(yaw), math.cos(yaw)])
    points = np.asarray(obj.position[:2], dtype=float) + np.outer(np.linspace(-1, 1, 11) * HAND_HALF_WIDTH, axis)
    gap = math.inf
    for centre, fyaw, half in footprints:
        c, sn = math.cos(fyaw), math.sin(fyaw)
        local = (points - centre) @ np.array([[c, -sn], [sn, c]])  # into the footprint's frame
        outside = np.abs(local) - half
        d = np.where(np.all(outside <= 0, axis=1), outside.max(axis=1),
                     np.linalg.norm(np.maximum(outside, 0.0), axis=1))
        gap = min(gap, float(d.min()))
    return gap


def half_extent_along(obj: ObjectInfo, direction: np.ndarray) -> float:
    """Half of the object's horizontal extent along the unit ``direction`` (m)."""
    if obj.category == "bowl":
        return 0.25 * (float(obj.size[0]) + float(obj.size[1]))
    yaw = quaternion_yaw(obj.orientation)
    ax = np.array([math.cos(yaw), math.sin(yaw)])
    ay = np.array([-math.sin(yaw), math.cos(yaw)])
    d = np.asarray(direction, dtype=float)[:2]
    return 0.5 * (abs(float(d @ ax)) * float(obj.size[0]) + abs(float(d @ ay)) * float(obj.size[1]))


def move_to_goal(obj: ObjectInfo, config: OracleConfig) -> np.ndarray:
    """Where move_to puts the end effector for ``obj`` (m, world frame)."""
    if obj.category == "drawer":
        return np.asarray(obj.position, dtype=float) + np.array([0.0, 0.0, config.handle_offset])
    height = config.container_height if obj.category in ("bowl", "bin") else config.approach_height
    return np.array([float(obj.position[0]), float(obj.position[1]), object_top(obj) + height])


# --------------------------------------------------------------------------- drawers


class DrawerOracle(Oracle):
    """Shared script: align with the handle, descend, grasp the handle, slide the drawer,
    let go, rise. Subclasses say which way and when to stop."""

    first_phase = "align"
    object_args = ("drawer",)
    slide_sign: ClassVar[float] = -1.0  # -1 pulls (opens) along the cabinet's -x, +1 pushes (closes)

    def _setup(self, obs: Observation) -> None:
        drawer = self._obj(obs, "drawer")
        if drawer is None or drawer.opening is None:
            raise OracleError(f"{self.skill}: {self.args.get('drawer')!r} is not a drawer (it reports no opening)")
        yaw = quaternion_yaw(drawer.orientation)
        self._slide = self.slide_sign * np.array([math.cos(yaw), math.sin(yaw), 0.0])

    def _finished(self, opening: float) -> bool:
        raise NotImplementedError

    def _handle_goal(self, obs: Observation) -> np.ndarray:
        drawer = self._obj(obs, "drawer")
        return np.asarray(drawer.position, dtype=float) + np.array([0.0, 0.0, self.config.handle_offset])  # type: ignore[union-attr]

    def _phase_align(self, obs: Observation) -> Action | str:
        return self._align_then(obs, self._grip_yaw(self._obj(obs, "drawer")), "descend")  # type: ignore[arg-type]

    def _phase_descend(self, obs: Observation) -> Action | str:
        return self._descend_open(obs, self._handle_goal(obs), "close")

    def _phase_close(self, obs: Observation) -> Action | str:
        return self._close_on(obs, "drawer", "slide", "let_go")

    def _phase_reopen(self, obs: Observation) -> Action | str:
        self.gripper_target = 0.0
        if self.phase_ticks < self.config.open_ticks:
            return self._velocity(np.zeros(3))
        self.attempts += 1
        return "align"

    def _phase_slide(self, obs: Observation) -> Action | str:
        drawer = self._obj(obs, "drawer")
        if drawer is None or self._finished(float(drawer.opening or 0.0)):
            return "let_go"
        if obs.held_object_id != self.args["drawer"]:
            return "reopen" if self.attempts < self.config.retries else "let_go"
        if self.phase_ticks > self.config.slide_ticks:  # stuck
            return "let_go"
        return self._velocity(self._slide * self.config.push_speed)

    def _phase_let_go(self, obs: Observation) -> Action | str:
        return self._open_then("rise_clear", obs)

    def _phase_rise_clear(self, obs: Observation) -> Action | str:
        return self._rise_clear(obs)


# --------------------------------------------------------------------------- language motions


def action_for_motion(
    motion: str,
    obs: Observation,
    speed: float = 0.1,
    yaw_rate: float = 0.5,
    current_gripper: float | None = None,
) -> Action:
    """Velocity action that carries out a vocabulary ``motion`` for one tick.

    ``speed`` m/s along the motion's direction, ``yaw_rate`` rad/s for rotations; the
    gripper keeps ``current_gripper`` (default: 1.0 when ``obs`` reports it closed, else
    0.0) unless the motion opens or closes it. Raises UnknownMotionError for a motion
    outside the vocabulary.
    """
    if not (isinstance(speed, int | float) and math.isfinite(speed) and 0 <= speed <= 0.25):
        raise OracleError(f"speed must be in [0, 0.25] m/s, got {speed!r}")
    if not (isinstance(yaw_rate, int | float) and math.isfinite(yaw_rate) and 0 <= yaw_rate <= 1.5):
        raise OracleError(f"yaw_rate must be in [0, 1.5] rad/s, got {yaw_rate!r}")
    grip = current_gripper if current_gripper is not None else (1.0 if obs.gripper_closed else 0.0)
    linear, yaw, gripper = motion_to_velocity(motion, linear_speed=speed, yaw_rate=yaw_rate, current_gripper=grip)
    return Action(mode="velocity", linear=linear, angular=np.array([0.0, 0.0, yaw]), gripper=gripper)
