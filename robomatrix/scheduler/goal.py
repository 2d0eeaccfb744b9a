"""A task's goal, checked on the settled world: SUCCESS only when it is true of the world.

Core module: imports no rclpy. :func:`check_goal` evaluates every goal atom on the world after
the arm has held still (the runner waits ``settle_s`` first) with the skills' own geometric
predicates (:mod:`robomatrix.skills.conditions`), and checks that every object the goal does
not name is where it was when the task began. :func:`goal_from_plan` gives a plan written by a
language model without a goal the goal its steps imply (their symbolic end state), so such a
plan is judged by what it was meant to achieve, not by having run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from robomatrix.scheduler.symbolic import TABLE, GoalAtom, SymbolicWorld
from robomatrix.skills.conditions import ConditionThresholds, explain
from robomatrix.skills.spec import Condition

__all__ = ["GoalReport", "check_goal", "describe_goal", "goal_from_plan", "settled_thresholds"]

UNCHANGED_TOLERANCE = 0.03  # m: an object the task does not name that moved farther than this was disturbed
SETTLED_SLACK = 0.01  # m, at() band widening on the settled world: move_to stops the tick at() first holds
# (the band's edge) and the arm settles by a millimetre or two afterwards (+0.061 m vs 0.060 seen in CI)


@dataclass
class AtomResult:
    atom: GoalAtom
    words: str
    holds: bool
    why: str = ""

    def line(self) -> str:
        return f"{self.atom.to_text()}: {'holds' if self.holds else 'does not hold (' + self.why + ')'}"


@dataclass
class GoalReport:
    atoms: list[AtomResult] = field(default_factory=list)
    disturbed: list[str] = field(default_factory=list)  # "the green block moved 5 cm", objects not in the goal

    @property
    def holds(self) -> bool:
        return all(a.holds for a in self.atoms) and not self.disturbed

    def summary(self) -> str:
        parts = [f"{a.words} ({'yes' if a.holds else 'no: ' + a.why})" for a in self.atoms]
        if self.disturbed:
            parts.append("not asked for: " + "; ".join(self.disturbed))
        return "; ".join(parts) if parts else "no goal"


def _names(obs: Any) -> dict[str, str]:
    return {o.id: o.name or o.id for o in getattr(obs, "objects", [])}


def describe_goal(atoms: Sequence[GoalAtom], objects: Sequence[Any] = ()) -> str:
    """The goal in words: "the red block is in the green bowl and the drawer is closed"."""
    from robomatrix.scheduler.symbolic import _get

    names = {str(_get(o, "id", "")): str(_get(o, "name", "") or _get(o, "id", "")) for o in objects}
    return " and ".join(a.describe(names) for a in atoms) or "nothing to change"


def _condition(atom: GoalAtom) -> tuple[Condition, dict[str, Any]]:
    p, a = atom.predicate, atom.args
    if p in ("in", "on"):
        return Condition("on", (a[0], a[1])), {}
    if p == "held":
        return Condition("holding", (a[0],)), {}
    if p == "drawer_open":
        return Condition("drawer_open", (a[0], True)), {}
    if p == "drawer_closed":
        return Condition("drawer_open", (a[0], False)), {}
    if p == "pushed":
        return Condition("moved", (a[0], a[1])), ({"distance": atom.distance} if atom.distance is not None else {})
    return Condition("at", (a[0],)), {}


def settled_thresholds() -> ConditionThresholds:
    """The tolerances a goal is checked with on the settled world: the skills' own, the at() band
    ``SETTLED_SLACK`` wider."""
    return ConditionThresholds().loosened(SETTLED_SLACK)


def check_goal(atoms: Sequence[GoalAtom], start: Any, settled: Any,
               thresholds: ConditionThresholds | None = None) -> GoalReport:
    """Each atom on the ``settled`` observation (``start``: the world when the task began, for
    pushes and for the objects that must not have moved)."""
    names = _names(settled)
    if thresholds is None:
        thresholds = settled_thresholds()
    report = GoalReport()
    for atom in atoms:
        cond, bindings = _condition(atom)
        ok, why = explain(cond, bindings, settled, start, thresholds)
        report.atoms.append(AtomResult(atom, atom.describe(names), bool(ok), why))
    named = {o for a in atoms for o in a.objects}
    before = {o.id: o for o in getattr(start, "objects", [])}
    for o in getattr(settled, "objects", []):
        if o.id in named or o.id not in before:
            continue
        d = math.dist(tuple(float(v) for v in o.position[:3]), tuple(float(v) for v in before[o.id].position[:3]))
        opening_changed = abs(float(o.opening or 0.0) - float(before[o.id].opening or 0.0)) > 0.2
        if d > UNCHANGED_TOLERANCE or opening_changed:
            what = f"moved {d * 100:.0f} cm" if d > UNCHANGED_TOLERANCE else "was opened or closed"
            report.disturbed.append(f"the {o.name or o.id} {what}")
    return report


def goal_from_plan(before: SymbolicWorld, after: SymbolicWorld, steps: Sequence[Any],
                   library: Any | None = None) -> list[GoalAtom]:
    """The goal a plan's steps imply: each part's goal as the behaviour tree guards it (a block
    put in or on something, a drawer opened or closed), each push, what is held at the end, and
    else where the gripper ends up."""
    atoms: list[GoalAtom] = []
    if library is not None:
        from robomatrix.scheduler.tree import plan_parts

        for _, part_goal in plan_parts(steps, library):
            for c in part_goal:
                if c.predicate == "on":
                    obj, target = str(c.args[0]), str(c.args[1])
                    kind = "in" if after.category(target) in ("bowl", "bin", "drawer") else "on"
                    atoms.append(GoalAtom(kind, (obj, target)))
                elif c.predicate == "drawer_open":
                    is_open = c.args[1] is True or str(c.args[1]).lower() == "true"
                    atoms.append(GoalAtom("drawer_open" if is_open else "drawer_closed", (str(c.args[0]),)))
    else:
        start_support = dict(before.support)
        for obj, support in after.support:
            if support != start_support.get(obj) and support != TABLE:
                kind = "in" if after.category(support) in ("bowl", "bin", "drawer") else "on"
                atoms.append(GoalAtom(kind, (obj, support)))
    distances: dict[str, float] = {}
    for s in steps:
        args = dict(getattr(s, "args", {}) or {})
        numbers = [float(v) for v in args.values() if isinstance(v, int | float) and not isinstance(v, bool)]
        for w in args.values():
            if isinstance(w, str) and numbers:
                distances[w] = numbers[0]
    for obj, direction in sorted(after.pushed - before.pushed):
        atoms.append(GoalAtom("pushed", (obj, direction), distances.get(obj)))
    if after.holding and after.holding != before.holding:
        atoms.append(GoalAtom("held", (after.holding,)))
    if not atoms and after.at:
        atoms.append(GoalAtom("at", (after.at,)))
    # what a later part leaves wins: a drawer opened, filled and closed again ends closed
    last: dict[tuple[str, str], GoalAtom] = {}
    for a in atoms:
        kind = "drawer" if a.predicate in ("drawer_open", "drawer_closed") else a.predicate
        key = (kind, a.args[0]) if kind in ("drawer", "in", "on") else (a.predicate, a.to_text())
        last.pop(key, None)
        last[key] = a
    return list(last.values())


def atoms_from_data(data: Any, known: Mapping[str, Any]) -> list[GoalAtom]:
    """A model's ``"goal"`` list (``["in(red block, green bowl)", ...]``) with names grounded to ids."""
    from robomatrix.scheduler.symbolic import parse_atom

    out = []
    for item in data or []:
        atom = parse_atom(str(item))
        args = tuple(str(known.get(a, a)) if atom.predicate != "pushed" or i == 0 else a
                     for i, a in enumerate(atom.args))
        out.append(GoalAtom(atom.predicate, args, atom.distance))
    return out
