"""World-state conditions: evaluate a skill's preconditions, effects and success conditions.

Core module: imports no rclpy and no simulator. A :class:`~robomatrix.skills.spec.Condition`
is data (``predicate(args...)``, see :data:`robomatrix.skills.spec.PREDICATES`); this
module decides whether it holds in an :class:`~robomatrix.hardware.interface.Observation`.

Geometry (world frame: x forward, y left, z up, table top at z = 0; metres). An object's
*top* is ``position.z + size.z / 2`` (positions are geometric centres, the drawer reports
its handle). The thresholds live in :class:`ConditionThresholds`:

``at(object)`` — the gripper is ready to grasp or push the object:
    * block / object / bowl / bin: the end effector is within ``at_xy`` horizontally of the
      object's centre and between ``at_z_min`` and ``at_z_max`` above the object's top;
    * drawer: within ``at_xy`` horizontally of the handle and between ``at_handle_z_min``
      and ``at_handle_z_max`` of the handle's height (the fingers straddle the bar).
``over(target)`` — the held object (the end effector when nothing is held) is inside the
    target's footprint shrunk by ``over_margin`` (bowl: a disc of the bowl's radius;
    bin, block: the rotated rectangle of its extents; never smaller than
    ``min_footprint``) and its bottom is between ``over_z_min`` and ``over_z_max`` above
    the target's top (``over_block_z_max`` for a block target: a stacked block must be
    let go low, or the stack topples). For a **drawer** the footprint is the *mouth*: the first
    ``drawer_mouth`` metres of the drawer's inside behind its front panel (the part that
    is out of the cabinet when the drawer is open), the "top" is the front panel's top
    edge, and the drawer must be open (opening >= ``drawer_open_min``).
``on(object | any, target)`` — the object (not held) has its centre inside the target's
    footprint (margin ``on_margin``) and its bottom no higher than ``on_z_max`` above the
    target's top (it rests on or in it). For a drawer: inside the drawer box (its whole
    inner rectangle, open or closed) with its bottom within ``on_z_max`` of the drawer's
    floor.
``accessible(target)`` — something can be put on or into the target from above: a drawer
    must be open (opening >= ``drawer_open_min``); a bowl, bin, block or object always is.
``moved(object, direction)`` — since ``start``, the object moved along the direction by at
    least ``moved_fraction`` of the requested distance (the binding ``distance``, else
    ``moved_default_distance``).
``drawer_open(drawer, true | false)`` — opening >= ``drawer_open_min`` / <= ``drawer_closed_max``.
``reachable(object)`` — the object's centre lies inside the workspace box of ``limits``
    horizontally and its top below the box's ceiling (objects rest on the table, below
    the box's floor, which bounds the gripper, not the objects).
``holding(none | any | object)`` — from ``Observation.held_object_id``.
``gripper(open | closed)`` — from ``Observation.gripper_closed``.

:func:`evaluate` answers yes/no; :func:`explain` also says why; :func:`check_all` checks a
list and names every unmet condition in words, e.g.
``"holding(block_red_0) is false: the gripper holds nothing"``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.geometry import (
    DRAWER_MOUTH,
    DrawerInside,
    drawer_inside,
    footprint_contains,
    object_bottom,
    object_top,
    place_view,
    quaternion_yaw,
)
from robomatrix.hardware.interface import ObjectInfo, Observation
from robomatrix.hardware.safety import SafetyLimits
from robomatrix.policies.directions import DIRECTION_VECTORS
from robomatrix.registry import Registry
from robomatrix.skills.spec import PREDICATES, Condition

log = logging.getLogger(__name__)

__all__ = [
    "ConditionError",
    "ConditionThresholds",
    "DrawerInside",
    "check_all",
    "drawer_inside",
    "evaluate",
    "explain",
    "footprint_contains",
    "object_top",
    "place_view",
    "quaternion_yaw",
]


class ConditionError(RobomatrixError):
    """A condition that cannot be evaluated (unknown predicate, wrong number of values)."""


@dataclass(frozen=True)
class ConditionThresholds:
    """Geometric tolerances of the predicates (metres unless noted). Validated on construction."""

    at_xy: float = 0.03  # m, max horizontal distance gripper - object centre (handle for a drawer)
    at_z_min: float = 0.0  # m, min height of the gripper above the object's top
    at_z_max: float = 0.06  # m, max height of the gripper above the object's top (move_to ends at the first tick
    # at() holds; grasp is taught from +3 cm and missed blocks from +8 cm)
    at_handle_z_min: float = -0.02  # m, min gripper height relative to the drawer handle's centre
    at_handle_z_max: float = 0.035  # m, max gripper height relative to the handle centre (open/close_drawer are taught from +1 cm; from +5 cm the fingers slipped off the bar)
    over_margin: float = 0.02  # m, the footprint is shrunk by this much for over()
    over_z_min: float = -0.005  # m, min height of the held object's bottom above the target's top
    over_z_max: float = 0.20  # m, max height of the held object's bottom above the target's top
    over_block_z_max: float = 0.05  # m, the same for a block target: a block let go higher topples the stack
    min_footprint: float = 0.015  # m, smallest half extent (radius) a shrunk footprint keeps
    on_margin: float = 0.0  # m, the footprint is shrunk by this much for on()
    on_z_max: float = 0.015  # m, max height of a resting object's bottom above the target's top
    moved_fraction: float = 0.5  # 1, fraction of the requested distance that counts as moved
    moved_default_distance: float = 0.04  # m, requested distance when the bindings give none
    perceived_margin: float = 0.01  # m, more a perceived object must have moved (camera position error, p95 6.5 mm)
    drawer_open_min: float = 0.8  # 1 (0 closed .. 1 open), opening that counts as open
    drawer_closed_max: float = 0.1  # 1, opening that counts as closed
    open_width_min: float = 0.06  # m, measured finger gap for gripper(open): commanded open is not enough
    drawer_mouth: float = DRAWER_MOUTH  # m, depth of a drawer's inside (behind the front panel) that over() aims at
    limits: SafetyLimits = field(default_factory=SafetyLimits)  # workspace box for reachable()

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name == "limits":
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ConfigError(f"ConditionThresholds.{f.name} must be a finite number, got {value!r}")
        for name in ("at_xy", "over_z_max", "over_block_z_max", "min_footprint", "moved_fraction", "moved_default_distance",
                     "drawer_mouth"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"ConditionThresholds.{name} must be > 0, got {getattr(self, name)!r}")
        for lo, hi in (("at_z_min", "at_z_max"), ("at_handle_z_min", "at_handle_z_max"),
                       ("over_z_min", "over_z_max")):
            if getattr(self, lo) >= getattr(self, hi):
                raise ConfigError(
                    f"ConditionThresholds.{lo} ({getattr(self, lo)}) must be below {hi} ({getattr(self, hi)})"
                )
        if not 0.0 <= self.drawer_closed_max < self.drawer_open_min <= 1.0:
            raise ConfigError(
                "ConditionThresholds needs 0 <= drawer_closed_max < drawer_open_min <= 1, got "
                f"{self.drawer_closed_max} and {self.drawer_open_min}"
            )
        if self.over_margin < 0 or self.on_margin < 0 or self.perceived_margin < 0:
            raise ConfigError("ConditionThresholds.over_margin, on_margin and perceived_margin must be >= 0 (m)")
        if not isinstance(self.limits, SafetyLimits):
            raise ConfigError(f"ConditionThresholds.limits must be SafetyLimits, got {type(self.limits).__name__}")

    def loosened(self, by: float) -> ConditionThresholds:
        """These thresholds with the at() band widened by ``by`` m on every side.

        For preconditions checked right after the skill before ended: a skill stops the tick
        its success condition first holds (at the band's edge), and the arm settling by a
        millimetre must not make the next skill's precondition fail.
        """
        from dataclasses import replace

        return replace(self, at_xy=self.at_xy + by, at_z_min=self.at_z_min - by, at_z_max=self.at_z_max + by,
                       at_handle_z_min=self.at_handle_z_min - by, at_handle_z_max=self.at_handle_z_max + by)


def _drawer_is_open(drawer: ObjectInfo, th: ConditionThresholds) -> tuple[bool, str]:
    opening = float(drawer.opening or 0.0)
    if opening >= th.drawer_open_min:
        return True, ""
    return False, f"{drawer.id} is not open (opening {opening:.2f}, open at >= {th.drawer_open_min:.2f})"


# --------------------------------------------------------------------------- predicates

_Args = tuple[Any, ...]  # the condition's values, references resolved
_Bindings = Mapping[str, Any]  # argument name -> object id, direction word or number
_Start = Observation | None  # the observation when the skill began
_Th = ConditionThresholds
_Result = tuple[bool, str]  # (holds, why not)
_Check = Callable[[_Args, _Bindings, Observation, _Start, _Th], _Result]
_CHECKS: Registry[_Check] = Registry("predicate check", error=ConditionError)


def _predicate(name: str) -> Callable[[_Check], _Check]:
    """Register the check of one predicate (one source of truth: spec.PREDICATES names them)."""
    if name not in PREDICATES:
        raise ConditionError(f"no predicate {name!r} in spec.PREDICATES; add it there first")
    return _CHECKS.register(name)


def _find(obs: Observation, object_id: str) -> ObjectInfo | None:
    return next((o for o in obs.objects if o.id == object_id), None)


class _MissingObject(Exception):
    """A predicate's object is not in the observation: the condition does not hold (explain() says why)."""


def _require(obs: Observation, object_id: str) -> ObjectInfo:
    obj = _find(obs, object_id)
    if obj is None:
        present = ", ".join(o.id for o in obs.objects) or "none"
        raise _MissingObject(f"object {object_id} is not in the observation (objects: {present})")
    return obj


@_predicate("holding")
def _holding(args: _Args, bindings: _Bindings, obs: Observation, start: _Start, th: _Th) -> _Result:
    (what,) = args
    held = obs.held_object_id
    if what == "none":
        return (not held), f"the gripper holds {held}"
    if what == "any":
        return bool(held), "the gripper holds nothing"
    if held == what:
        return True, ""
    return False, f"the gripper holds {held}" if held else "the gripper holds nothing"


@_predicate("gripper")
def _gripper(args: _Args, bindings: _Bindings, obs: Observation, start: _Start, th: _Th) -> _Result:
    (state,) = args
    if state not in ("open", "closed"):
        raise ConditionError(f"gripper() takes open or closed, got {state!r}")
    now = "closed" if obs.gripper_closed else "open"
    if state == "open" and now == "open" and obs.gripper_width < th.open_width_min:
        # Commanded open but the fingers have not opened (still ramping, or pinching something).
        return False, f"the gripper is commanded open but only {obs.gripper_width:.3f} m wide"
    return now == state, f"the gripper is {now} (width {obs.gripper_width:.3f} m)"


@_predicate("at")
def _at(args: _Args, bindings: _Bindings, obs: Observation, start: _Start, th: _Th) -> _Result:
    (oid,) = args
    obj = _require(obs, oid)
    ee = np.asarray(obs.ee_position, dtype=float)
    horizontal = float(np.hypot(*(ee[:2] - obj.position[:2])))
    if horizontal > th.at_xy:
        return False, f"the gripper is {horizontal:.3f} m from it horizontally (needs <= {th.at_xy:.3f} m)"
    if obj.category == "drawer":
        dz, lo, hi, what = ee[2] - float(obj.position[2]), th.at_handle_z_min, th.at_handle_z_max, "its handle"
    else:
        dz, lo, hi, what = ee[2] - object_top(obj), th.at_z_min, th.at_z_max, "its top"
    if not lo <= dz <= hi:
        return False, f"the gripper is {dz:+.3f} m above {what} (needs {lo:+.3f} .. {hi:+.3f} m)"
    return True, ""


def _over_margin(target: ObjectInfo, held: ObjectInfo | None, th: ConditionThresholds) -> float:
    """How far inside a target's footprint the carried point must be. Over a container (bowl,
    bin) the whole held object must be above its inside: let go with an edge above the wall,
    a block lands on the rim or on what is already inside and can bounce out."""
    if held is not None and target.category in ("bowl", "bin"):
        return th.over_margin + 0.5 * float(max(held.size[0], held.size[1]))
    return th.over_margin


@_predicate("over")
def _over(args: _Args, bindings: _Bindings, obs: Observation, start: _Start, th: _Th) -> _Result:
    (tid,) = args
    target = _require(obs, tid)
    held = _find(obs, obs.held_object_id) if obs.held_object_id else None
    if held is not None:
        point, bottom, what = held.position, object_bottom(held), f"the held {held.id}"
    else:
        point, bottom, what = obs.ee_position, float(obs.ee_position[2]), "the gripper"
    if target.category == "drawer":
        is_open, why = _drawer_is_open(target, th)
        if not is_open:
            return False, why
        mouth = drawer_inside(target, th.drawer_mouth)
        if not mouth.contains(point, th.over_margin, th.min_footprint):
            return False, (f"{what} is not above the open drawer's inside (centre {_xy(point)}, inside centred at "
                           f"{_xy(mouth.centre)})")
        top = mouth.rim
    elif not footprint_contains(target, point, _over_margin(target, held, th), th.min_footprint):
        return False, f"{what} is not above its footprint (centre {_xy(point)}, target at {_xy(target.position)})"
    else:
        top = object_top(target)
    dz = bottom - top
    z_max = th.over_block_z_max if target.category == "block" else th.over_z_max
    if not th.over_z_min <= dz <= z_max:
        return False, (f"{what} is {dz:+.3f} m above its top (needs {th.over_z_min:+.3f} .. "
                       f"{z_max:+.3f} m)")
    return True, ""


@_predicate("on")
def _on(args: _Args, bindings: _Bindings, obs: Observation, start: _Start, th: _Th) -> _Result:
    what, tid = args
    target = _require(obs, tid)
    if what == "any":
        candidates = [o for o in obs.objects if o.id != tid]
        if any(_rests_on(o, target, obs, th)[0] for o in candidates):
            return True, ""
        return False, f"nothing rests on {tid}"
    obj = _require(obs, what)
    return _rests_on(obj, target, obs, th)


def _rests_on(obj: ObjectInfo, target: ObjectInfo, obs: Observation, th: ConditionThresholds,
              depth: int = 0) -> tuple[bool, str]:
    if obj.id == obs.held_object_id:
        return False, f"{obj.id} is still held"
    if target.category == "drawer":
        inside = drawer_inside(target)
        if not inside.contains(obj.position, th.on_margin):
            return False, f"{obj.id} at {_xy(obj.position)} is not inside {target.id}"
        dz = object_bottom(obj) - inside.floor
        if dz > th.on_z_max:
            return False, f"{obj.id} is {dz:.3f} m above the floor of {target.id} (rests when <= {th.on_z_max:.3f} m)"
        return True, ""
    if not footprint_contains(target, obj.position, th.on_margin, th.min_footprint):
        return False, f"{obj.id} at {_xy(obj.position)} is outside the footprint of {target.id} at {_xy(target.position)}"
    dz = object_bottom(obj) - object_top(target)
    if dz > th.on_z_max:
        if target.category in ("bowl", "bin") and _on_pile_in(obj, target, obs, th, depth):
            return True, ""
        return False, f"{obj.id} is {dz:.3f} m above the top of {target.id} (rests when <= {th.on_z_max:.3f} m)"
    return True, ""


def _on_pile_in(obj: ObjectInfo, container: ObjectInfo, obs: Observation, th: ConditionThresholds,
                depth: int) -> bool:
    """True when ``obj`` rests on another object that is itself in ``container``: a block on
    a pile inside a bin is in the bin, even with its bottom above the rim."""
    if depth >= 3:
        return False
    bottom = object_bottom(obj)
    for other in obs.objects:
        if other.id in (obj.id, container.id) or other.category not in ("block", "object"):
            continue
        reach = 0.5 * (max(obj.size[:2]) + max(other.size[:2]))
        touching = float(np.hypot(*(np.asarray(obj.position[:2]) - np.asarray(other.position[:2])))) <= reach
        if touching and abs(bottom - object_top(other)) <= th.on_z_max \
                and _rests_on(other, container, obs, th, depth + 1)[0]:
            return True
    return False


@_predicate("reachable")
def _reachable(args: _Args, bindings: _Bindings, obs: Observation, start: _Start, th: _Th) -> _Result:
    (oid,) = args
    obj = _require(obs, oid)
    lo = np.asarray(th.limits.workspace_min, dtype=float)
    hi = np.asarray(th.limits.workspace_max, dtype=float)
    p = np.asarray(obj.position, dtype=float)
    if np.any(p[:2] < lo[:2]) or np.any(p[:2] > hi[:2]):
        return False, (f"it is at {_xy(p)}, outside the workspace x {lo[0]:.2f}..{hi[0]:.2f}, "
                       f"y {lo[1]:.2f}..{hi[1]:.2f} m")
    if object_top(obj) > hi[2]:
        return False, f"its top at z {object_top(obj):.3f} m is above the workspace ceiling {hi[2]:.2f} m"
    return True, ""


@_predicate("accessible")
def _accessible(args: _Args, bindings: _Bindings, obs: Observation, start: _Start, th: _Th) -> _Result:
    (oid,) = args
    obj = _require(obs, oid)
    if obj.category == "drawer":
        return _drawer_is_open(obj, th)
    return True, ""


@_predicate("drawer_open")
def _drawer_open(args: _Args, bindings: _Bindings, obs: Observation, start: _Start, th: _Th) -> _Result:
    oid, want = args
    want_open = _as_bool(want)
    obj = _require(obs, oid)
    if obj.opening is None:
        return False, f"{oid} is a {obj.category}, which reports no opening"
    opening = float(obj.opening)
    if want_open:
        return opening >= th.drawer_open_min, f"its opening is {opening:.2f} (open at >= {th.drawer_open_min:.2f})"
    return opening <= th.drawer_closed_max, f"its opening is {opening:.2f} (closed at <= {th.drawer_closed_max:.2f})"


@_predicate("moved")
def _moved(args: _Args, bindings: _Bindings, obs: Observation, start: _Start, th: _Th) -> _Result:
    oid, direction = args
    if direction not in DIRECTION_VECTORS:
        raise ConditionError(f"moved() needs a direction word {tuple(DIRECTION_VECTORS)}, got {direction!r}")
    if start is None:
        return False, "no start observation to measure the motion from"
    before, now = _require(start, oid), _require(obs, oid)
    requested = bindings.get("distance", th.moved_default_distance)
    try:
        requested = float(requested)
    except (TypeError, ValueError) as e:
        raise ConditionError(f"moved(): the binding distance must be a number (m), got {requested!r}") from e
    need = th.moved_fraction * abs(requested)
    if "perception" in (before.source, now.source):
        # Measured from camera frames: a few millimetres off either way (position p95 6.5 mm), so
        # a push claimed from a perceived world must clear the bar by that much.
        need += th.perceived_margin
    along = float(np.dot(np.asarray(now.position) - np.asarray(before.position), DIRECTION_VECTORS[direction]))
    return along >= need, f"it moved {along:.3f} m {direction} (needs >= {need:.3f} m)"


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConditionError(f"expected true or false, got {value!r}")


def _xy(p: Any) -> str:
    return f"({float(p[0]):.3f}, {float(p[1]):.3f})"


# --------------------------------------------------------------------------- public API


def _resolve(condition: Condition, bindings: Mapping[str, Any]) -> tuple[Any, ...]:
    if not isinstance(condition, Condition):
        raise ConditionError(f"expected a Condition, got {condition!r}")
    spec = PREDICATES.get(condition.predicate)
    if spec is None or condition.predicate not in _CHECKS:
        raise ConditionError(
            f"unknown predicate {condition.predicate!r}; known: {', '.join(sorted(PREDICATES))}"
        )
    if len(condition.args) != len(spec.params):
        raise ConditionError(
            f"{condition.to_text()} has {len(condition.args)} value(s); write it as {spec.signature}"
        )
    return condition.resolve(bindings)


def explain(
    condition: Condition,
    bindings: Mapping[str, Any],
    obs: Observation,
    start: Observation | None = None,
    thresholds: ConditionThresholds | None = None,
) -> tuple[bool, str]:
    """``(holds, reason)``; the reason says in words why it does not hold ("" when it does).

    ``condition`` may still hold ``$arg`` references (resolved from ``bindings``: argument
    name -> object id, direction word or number) or be already bound. ``start`` is the
    observation when the skill began (needed by ``moved``). Raises
    :class:`ConditionError` for an unknown predicate and SkillArgumentError for a
    reference without a binding.
    """
    th = thresholds if thresholds is not None else ConditionThresholds()
    args = _resolve(condition, bindings)
    try:
        ok, why = _CHECKS.get(condition.predicate)(args, bindings, obs, start, th)
    except _MissingObject as e:
        ok, why = False, str(e)
    return bool(ok), ("" if ok else why)


def evaluate(condition: Condition, bindings: Mapping[str, Any], obs: Observation,
             start: Observation | None = None, thresholds: ConditionThresholds | None = None) -> bool:
    """True when ``condition`` holds in ``obs`` (see :func:`explain` for the arguments)."""
    return explain(condition, bindings, obs, start, thresholds)[0]


def check_all(
    conditions: Iterable[Condition],
    bindings: Mapping[str, Any],
    obs: Observation,
    start: Observation | None = None,
    thresholds: ConditionThresholds | None = None,
) -> tuple[bool, list[str]]:
    """``(all hold, unmet)``: each unmet condition as ``"<bound condition> is false: <reason>"``."""
    unmet: list[str] = []
    for condition in conditions:
        ok, why = explain(condition, bindings, obs, start, thresholds)
        if not ok:
            bound = Condition(condition.predicate, _resolve(condition, bindings))
            text = Condition(bound.predicate, tuple(a if isinstance(a, bool) else str(a) for a in bound.args))
            unmet.append(f"{text.to_text()} is false: {why}")
    return not unmet, unmet
