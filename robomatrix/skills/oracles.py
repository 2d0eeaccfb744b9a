"""Scripted oracles: one privileged controller per meta-skill, for demonstrations and tests.

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

:data:`ORACLES` maps a skill name to its oracle class; :func:`register_oracle` is the only
way in (one source of truth). :func:`action_for_motion` executes a language motion directly
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
from robomatrix.hardware.interface import Action, ObjectInfo, Observation
from robomatrix.hardware.safety import SafetyLimits
from robomatrix.policies.language_motion import motion_to_velocity
from robomatrix.skills.conditions import (
    DIRECTION_VECTORS,
    object_bottom,
    object_top,
    place_view,
    quaternion_yaw,
)

log = logging.getLogger(__name__)

__all__ = [
    "ORACLES",
    "Oracle",
    "OracleConfig",
    "OracleError",
    "action_for_motion",
    "make_oracle",
    "register_oracle",
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

ORACLES: dict[str, type[Oracle]] = {}
"""Skill name -> oracle class, filled by :func:`register_oracle`."""


def register_oracle(skill: str) -> Callable[[type[Oracle]], type[Oracle]]:
    """Class decorator: register an oracle for ``skill`` (one per skill) and return the class."""

    def deco(cls: type[Oracle]) -> type[Oracle]:
        if skill in ORACLES:
            raise OracleError(f"skill {skill!r} already has the oracle {ORACLES[skill].__name__}")
        cls.skill = skill
        ORACLES[skill] = cls
        return cls

    return deco


def make_oracle(skill: str, config: OracleConfig | None = None, limits: SafetyLimits | None = None) -> Oracle:
    """A fresh oracle for ``skill``; raises :class:`OracleError` naming the known skills."""
    cls = ORACLES.get(skill)
    if cls is None:
        raise OracleError(f"no oracle for skill {skill!r}; oracles exist for {', '.join(sorted(ORACLES))}")
    return cls(config, limits)


def _wrap(angle: float, period: float) -> float:
    """``angle`` wrapped into (-period/2, period/2]."""
    a = math.fmod(angle + 0.5 * period, period)
    if a <= 0:
        a += period
    return a - 0.5 * period


def _cap(v: np.ndarray, cap: float) -> np.ndarray:
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
        v[p] = _cap(cfg.gain * err[p], speed)
        for i in hold:
            v[i] = float(np.clip(cfg.gain * err[i], -cfg.correction_speed, cfg.correction_speed))
        reached = all(abs(err[i]) <= cfg.tolerance for i in primary) and all(
            abs(err[i]) <= 2.0 * cfg.tolerance for i in hold
        )
        return self._velocity(_cap(v, cfg.speed)), reached

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

    def _turn(self, obs: Observation, target_yaw: float, period: float) -> tuple[Action, bool]:
        """Turn the gripper about z towards ``target_yaw`` (modulo ``period``), holding position."""
        cfg = self.config
        err = _wrap(target_yaw - quaternion_yaw(obs.ee_orientation), period)
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
        footprints = _footprints(obs, obj)
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


def _footprints(obs: Observation, obj: ObjectInfo) -> list[tuple[np.ndarray, float, np.ndarray]]:
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


def _half_extent_along(obj: ObjectInfo, direction: np.ndarray) -> float:
    """Half of the object's horizontal extent along the unit ``direction`` (m)."""
    if obj.category == "bowl":
        return 0.25 * (float(obj.size[0]) + float(obj.size[1]))
    yaw = quaternion_yaw(obj.orientation)
    ax = np.array([math.cos(yaw), math.sin(yaw)])
    ay = np.array([-math.sin(yaw), math.cos(yaw)])
    d = np.asarray(direction, dtype=float)[:2]
    return 0.5 * (abs(float(d @ ax)) * float(obj.size[0]) + abs(float(d @ ay)) * float(obj.size[1]))


# --------------------------------------------------------------------------- move_to


def move_to_goal(obj: ObjectInfo, config: OracleConfig) -> np.ndarray:
    """Where move_to puts the end effector for ``obj`` (m, world frame)."""
    if obj.category == "drawer":
        return np.asarray(obj.position, dtype=float) + np.array([0.0, 0.0, config.handle_offset])
    height = config.container_height if obj.category in ("bowl", "bin") else config.approach_height
    return np.array([float(obj.position[0]), float(obj.position[1]), object_top(obj) + height])


@register_oracle("move_to")
class MoveToOracle(Oracle):
    """Reach the ready pose (see ``move_to_goal``) by a rule of the current state alone, so a
    reactive policy can imitate it from wherever the arm starts (no phase is remembered):

    * not yet above the goal (horizontal error > ``funnel``): below the travel height, rise
      straight up; at or above it, travel horizontally at the current height (at most 25 cm
      above the travel height);
    * above the goal: turn the gripper to the object's grasp yaw (blocks, objects, the drawer
      handle) if it is off, else descend with small horizontal corrections; done at the goal.

    The gripper opens on the way if it was closed (a missed grasp leaves it closed on nothing).

    The travel height is ``clearance`` above the goal, and 3 cm above the top of anything
    tall right beside the gripper (a drawer handle just let go of), or the open fingers would
    drag it along.
    """

    first_phase = "reach"
    reactive = True
    object_args = ("object",)
    near_xy: ClassVar[float] = 0.08  # m, objects this close to the gripper (horizontally) are cleared first
    funnel: ClassVar[float] = 0.02  # m, horizontal error within which the gripper turns and descends

    def _goal(self, obs: Observation) -> np.ndarray:
        obj = self._obj(obs, "object")
        if obj is not None:
            self._last_goal = move_to_goal(obj, self.config)
        return self._last_goal

    def _setup(self, obs: Observation) -> None:
        self._last_goal = move_to_goal(self._obj(obs, "object"), self.config)  # type: ignore[arg-type]
        self.gripper_target = 0.0  # it brings an open gripper (grasp needs one); a missed grasp left it closed

    def _travel_z(self, obs: Observation, goal: np.ndarray) -> float:
        ee = np.asarray(obs.ee_position, dtype=float)
        tops = [object_top(o) for o in obs.objects
                if float(np.hypot(*(np.asarray(o.position[:2]) - ee[:2]))) <= self.near_xy
                and object_top(o) > ee[2] - 0.05]
        return max([float(goal[2]) + self.config.clearance] + [t + 0.03 for t in tops])

    def _phase_reach(self, obs: Observation) -> Action | str:
        goal = self._goal(obs)
        ee = np.asarray(obs.ee_position, dtype=float)
        if float(np.hypot(*(goal[:2] - ee[:2]))) > self.funnel:
            return self._rise_or_cross(obs, goal[:2], self._travel_z(obs, goal))
        obj = self._obj(obs, "object")
        if obj is not None and obj.category not in ("bowl", "bin"):
            yaw, period = self._clear_grip_yaw(obs, obj)
            action, aligned = self._turn(obs, yaw, period)
            if not aligned:
                return action
        return self._lower_to(obs, goal)


# --------------------------------------------------------------------------- grasp


@register_oracle("grasp")
class GraspOracle(Oracle):
    """Turn to the grasp yaw if needed, descend around the object, close until it is held
    (retry from above if not), lift."""

    first_phase = "align"
    object_args = ("object",)

    def _grasp_point(self, obs: Observation) -> np.ndarray:
        obj = self._obj(obs, "object")
        if obj is None:
            return np.asarray(obs.ee_position, dtype=float)
        z = max(float(obj.position[2]), object_top(obj) - self.config.grasp_depth, self.config.min_z)
        return np.array([float(obj.position[0]), float(obj.position[1]), z])

    def _setup(self, obs: Observation) -> None:
        self._lift_z = self._grasp_point(obs)[2] + self.config.lift

    def _phase_align(self, obs: Observation) -> Action | str:
        obj = self._obj(obs, "object")
        yaw, period = self._clear_grip_yaw(obs, obj)  # type: ignore[arg-type]
        action, reached = self._turn(obs, yaw, period)
        return "descend" if reached else action

    def _phase_descend(self, obs: Observation) -> Action | str:
        self.gripper_target = 0.0
        action, reached = self._track(obs, self._grasp_point(obs), (2,), (0, 1))
        return "close" if reached else action

    def _phase_close(self, obs: Observation) -> Action | str:
        self.gripper_target = 1.0
        if obs.held_object_id == self.args["object"] and self.phase_ticks >= 3:
            self._lift_z = float(obs.ee_position[2]) + self.config.lift
            return "lift"
        if self.phase_ticks >= self.config.close_ticks:
            return "reopen" if self.attempts < self.config.retries else "done"
        return self._velocity(np.zeros(3))

    def _phase_reopen(self, obs: Observation) -> Action | str:
        self.gripper_target = 0.0
        if self.phase_ticks < self.config.open_ticks:
            return self._velocity(np.zeros(3))
        point = self._grasp_point(obs)
        action, reached = self._track(obs, point + np.array([0.0, 0.0, self.config.approach_height]), (2,), (0, 1))
        if reached:
            self.attempts += 1
            return "align"
        return action

    def _phase_lift(self, obs: Observation) -> Action | str:
        if obs.held_object_id != self.args["object"]:
            return "reopen" if self.attempts < self.config.retries else "done"
        target = np.array([*obs.ee_position[:2], self._lift_z])
        action, reached = self._track(obs, target, (2,))
        return "done" if reached else action


# --------------------------------------------------------------------------- place_over


@register_oracle("place_over")
class PlaceOverOracle(Oracle):
    """Carry the held object over the target by a rule of the current state alone (no phase
    is remembered, so a reactive policy can imitate it from anywhere):

    * far from the target (the held object's centre more than ``near`` away horizontally):
      below the carrying height, rise straight up; at or above it, travel horizontally at the
      current height (at most 25 cm above the carrying height);
    * near it (``funnel`` .. ``near``): move across at the current height, kept at least at
      the final height;
    * above it (within ``funnel``): descend until the held object hangs ``place_height``
      above the target's top (``stack_height`` above a block: the stack's over() allows only
      5 cm), correcting horizontally; done there.

    The carrying height puts the held object's bottom ``carry_clearance`` above the table's
    clutter (``clutter_height``, the bin's rim; a three-block stack is lower) or the target's top
    if that is higher. It depends on nothing the policy cannot see: a height taken from every
    object on the table (blocks piled in the bin, the drawer cabinet) made the policy hover or
    lower early in scenes unlike its demonstrations. For a drawer the target is the middle of its mouth (the inside
    just behind the front panel, :func:`~robomatrix.skills.conditions.place_view`), its top the
    front panel's top edge.
    """

    first_phase = "carry"
    reactive = True
    object_args = ("target",)
    funnel: ClassVar[float] = 0.012  # m, horizontal error within which the held object is lowered
    near: ClassVar[float] = 0.05  # m, horizontal error within which it is moved across without rising

    def _offsets(self, obs: Observation) -> tuple[np.ndarray, float] | None:
        """(held centre - ee in xy, ee z - held bottom) or None when nothing is held."""
        held = next((o for o in obs.objects if o.id == obs.held_object_id), None)
        if held is None:
            return None
        ee = np.asarray(obs.ee_position, dtype=float)
        return np.asarray(held.position[:2], dtype=float) - ee[:2], float(ee[2]) - object_bottom(held)

    def _phase_carry(self, obs: Observation) -> Action | str:
        offsets, target = self._offsets(obs), self._obj(obs, "target")
        if offsets is None or target is None:
            return "done"
        place = place_view(target)
        ee = np.asarray(obs.ee_position, dtype=float)
        top = object_top(place)
        gap = self.config.stack_height if target.category == "block" else self.config.place_height
        goal = np.array([*(np.asarray(place.position[:2], dtype=float) - offsets[0]), top + gap + offsets[1]])
        error = float(np.hypot(*(goal[:2] - ee[:2])))
        if error <= self.funnel:
            return self._lower_to(obs, goal)
        if error <= self.near:
            action, _ = self._track(obs, np.array([goal[0], goal[1], max(float(ee[2]), goal[2])]), (0, 1), (2,))
            return action
        carry_z = max(top, self.config.clutter_height) + self.config.carry_clearance + offsets[1]
        return self._rise_or_cross(obs, goal[:2], carry_z)


# --------------------------------------------------------------------------- release


@register_oracle("release")
class ReleaseOracle(Oracle):
    """Open the gripper, wait until nothing is held, rise clear."""

    first_phase = "open"

    def _phase_open(self, obs: Observation) -> Action | str:
        return self._open_then("rise_clear", obs)

    def _phase_rise_clear(self, obs: Observation) -> Action | str:
        return self._rise_clear(obs)


# --------------------------------------------------------------------------- push


@register_oracle("push")
class PushOracle(Oracle):
    """Rise, go behind the object with a finger on the line through its centre, lower the
    finger beside it, push along the direction until it moved the distance, rise.

    With the gripper open the fingers sit ``finger_offset`` either side of the grasp point
    along the gripper's y axis; the finger ahead (or, pushing across the fingers, either one)
    is put right behind the object so that the push is a single-axis motion.
    """

    first_phase = "rise"
    object_args = ("object",)

    def _setup(self, obs: Observation) -> None:
        direction = self.args.get("direction")
        if direction not in ("forward", "backward", "left", "right"):
            raise OracleError(f"push needs direction forward|backward|left|right, got {direction!r}")
        self._dir = DIRECTION_VECTORS[direction]
        distance = self.args.get("distance", 0.10)
        if isinstance(distance, bool) or not isinstance(distance, int | float) or not 0 < distance <= 0.5:
            raise OracleError(f"push distance must be a number of metres in (0, 0.5], got {distance!r}")
        self._distance = float(distance)
        obj = self._obj(obs, "object")
        if obj is None:  # reset() checked it; keeps type checkers content
            raise OracleError(f"push: {self.args.get('object')!r} is not in the observation")
        self._start_xy = np.asarray(obj.position[:2], dtype=float)
        top = object_top(obj)
        self._safe_z = top + self.config.clearance
        self._push_z = float(np.clip(top - 0.015, self.config.min_z, 0.035))
        # The finger offset in the world: along the gripper's y axis at its current yaw.
        yaw = quaternion_yaw(obs.ee_orientation)
        finger = self.config.finger_offset * np.array([-math.sin(yaw), math.cos(yaw), 0.0])
        along = float(finger @ self._dir)
        if abs(along) > 1e-6:
            finger = finger if along > 0 else -finger  # the finger ahead pushes
        elif (finger[1] > 0) != (float(obj.position[1]) > 0):
            finger = -finger  # across the fingers: the grasp point goes to the side nearer y = 0
        self._finger = finger
        self._pusher_gap = _half_extent_along(obj, self._dir) + self.config.push_standoff
        self._recover_xy = 0.02  # m, an approach or push this far off the line starts over

    def _start_point(self, obs: Observation) -> np.ndarray:
        obj = self._obj(obs, "object")
        centre = np.asarray(obj.position, dtype=float) if obj is not None else np.zeros(3)
        p = centre - self._dir * self._pusher_gap - self._finger
        p = np.array([p[0], p[1], self._push_z])
        return np.clip(p, self.limits.workspace_min, self.limits.workspace_max)

    def _moved(self, obs: Observation) -> float:
        """How far (m) the object has moved along the push direction since reset()."""
        obj = self._obj(obs, "object")
        return 0.0 if obj is None else float((np.asarray(obj.position[:2]) - self._start_xy) @ self._dir[:2])

    def _phase_rise(self, obs: Observation) -> Action | str:
        if self.attempts and self._moved(obs) >= self._distance:
            return "retreat"  # a retry is not needed any more: it slid far enough
        if obs.ee_position[2] >= self._safe_z - self.config.tolerance:
            return "travel"
        action, _ = self._track(obs, np.array([*obs.ee_position[:2], self._safe_z]), (2,))
        return action

    def _phase_travel(self, obs: Observation) -> Action | str:
        start = self._start_point(obs)
        action, reached = self._track(obs, np.array([start[0], start[1], self._safe_z]), (0, 1), (2,))
        return "lower" if reached else action

    def _phase_lower(self, obs: Observation) -> Action | str:
        start = self._start_point(obs)
        if self.phase_ticks > self.config.lower_ticks:
            return "retreat"  # something is in the way of the fingers: give up rather than press on it
        off = float(np.hypot(*(start[:2] - obs.ee_position[:2])))
        if off > self._recover_xy and self.attempts < self.config.retries:
            self.attempts += 1
            return "rise"  # knocked off the approach: going down here could drag the object
        action, reached = self._track(obs, start, (2,), (0, 1))
        if reached:
            self._push_from = np.asarray(obs.ee_position[:2], dtype=float)
            return "push"
        return action

    def _phase_push(self, obs: Observation) -> Action | str:
        obj = self._obj(obs, "object")
        if obj is None:
            return "retreat"
        moved = self._moved(obs)
        travelled = float((np.asarray(obs.ee_position[:2]) - self._push_from) @ self._dir[:2])
        limit = self._distance + self.config.push_standoff + 0.05
        if moved >= self._distance + self.config.push_overshoot or travelled >= limit:
            return "retreat"
        # Keep the finger on the line through the object's centre and at the push height.
        line = np.asarray(obj.position, dtype=float) - self._finger
        lateral = np.array([-self._dir[1], self._dir[0], 0.0])
        cfg = self.config
        err_lat = float((line - np.asarray(obs.ee_position)) @ lateral)
        ahead = float((line - np.asarray(obs.ee_position)) @ self._dir)
        if (abs(err_lat) > self._recover_xy or ahead < 0.0) and self.attempts < cfg.retries:
            self.attempts += 1  # lost the object (knocked aside): approach it again from behind
            return "rise"
        v = self._dir * cfg.push_speed
        v = v + lateral * float(np.clip(cfg.gain * err_lat, -cfg.correction_speed, cfg.correction_speed))
        v[2] = float(np.clip(cfg.gain * (self._push_z - obs.ee_position[2]), -cfg.correction_speed,
                             cfg.correction_speed))
        return self._velocity(v)

    def _phase_retreat(self, obs: Observation) -> Action | str:
        action, reached = self._track(obs, np.array([*obs.ee_position[:2], self._safe_z]), (2,))
        return "done" if reached else action


# --------------------------------------------------------------------------- drawers


class _DrawerOracle(Oracle):
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
        drawer = self._obj(obs, "drawer")
        yaw, period = self._grip_yaw(drawer)  # type: ignore[arg-type]
        action, reached = self._turn(obs, yaw, period)
        return "descend" if reached else action

    def _phase_descend(self, obs: Observation) -> Action | str:
        self.gripper_target = 0.0
        action, reached = self._track(obs, self._handle_goal(obs), (2,), (0, 1))
        return "close" if reached else action

    def _phase_close(self, obs: Observation) -> Action | str:
        self.gripper_target = 1.0
        if obs.held_object_id == self.args["drawer"] and self.phase_ticks >= 3:
            return "slide"
        if self.phase_ticks >= self.config.close_ticks:
            return "reopen" if self.attempts < self.config.retries else "let_go"
        return self._velocity(np.zeros(3))

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


@register_oracle("open_drawer")
class OpenDrawerOracle(_DrawerOracle):
    """Grasp the handle, pull the drawer out until it is (nearly) fully open, let go, rise."""

    slide_sign = -1.0

    def _finished(self, opening: float) -> bool:
        return opening >= self.config.drawer_open_target


@register_oracle("close_drawer")
class CloseDrawerOracle(_DrawerOracle):
    """Grasp the handle, push the drawer in until it is shut, let go, rise."""

    slide_sign = 1.0

    def _finished(self, opening: float) -> bool:
        return opening <= self.config.drawer_closed_target


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
