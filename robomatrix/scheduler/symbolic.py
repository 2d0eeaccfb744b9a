"""Symbolic execution of plans against the skill specs, and plans made from goals.

Core module: imports no rclpy. A :class:`SymbolicWorld` is what the scheduler knows of the
world before anything moves: what the gripper holds, where it is (at / over an object), what
rests on what, which drawers are open, what was pushed. A plan step is *applicable* when the
skill spec's preconditions hold in it; applying it sets the spec's effects plus three rules of
the physical world that no single spec states:

* letting go (an effect ``holding: none`` while something was held) puts the held object on
  whatever the gripper was over (the table when it was over nothing);
* picking an object up (an effect ``holding: $x``) lifts it off its support; an object with
  something on it, or one no skill can lift (furniture), cannot be picked up;
* moving the gripper (``at``/``over``) forgets where it was; any other step leaves it nowhere.

:func:`verify_plan` runs a plan step by step and names the first impossible step and why (a
plan from any backend: the embedded parser, an OpenAI-compatible endpoint, a local model).
:func:`plan_for_goal` searches, per goal atom and in a safe order, the shortest sequence of
skill calls that makes it true without undoing the atoms already reached; no skill name is
written here, everything comes from the specs.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from robomatrix.errors import RobomatrixError
from robomatrix.skills.spec import Condition, SkillLibrary, SkillSpec

__all__ = [
    "GoalAtom",
    "PlanImpossible",
    "SymbolicWorld",
    "parse_atom",
    "plan_for_goal",
    "verify_plan",
]

TABLE = "table"
GOAL_PREDICATES = ("in", "on", "held", "drawer_open", "drawer_closed", "pushed", "at")
SEARCH_NODES = 40_000  # states expanded at most per goal atom
SEARCH_DEPTH = 8  # skill calls at most per goal atom


class PlanImpossible(RobomatrixError):
    """A plan step cannot run in the world the steps before it leave, or no plan reaches a goal."""

    def __init__(self, reason: str, step: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.step = step  # 0-based index of the impossible step, None for a goal without a plan


# --------------------------------------------------------------------------- goal atoms


@dataclass(frozen=True)
class GoalAtom:
    """One predicate of a task's goal: ``in(x, c)``, ``on(x, b)``, ``held(x)``,
    ``drawer_open(d)``, ``drawer_closed(d)``, ``pushed(x, direction)``, ``at(x)``."""

    predicate: str
    args: tuple[str, ...]
    distance: float | None = None  # pushed: metres asked for (None: the skill's default)

    def __post_init__(self) -> None:
        arity = {"in": 2, "on": 2, "pushed": 2}.get(self.predicate, 1)
        if self.predicate not in GOAL_PREDICATES:
            raise ValueError(f"unknown goal predicate {self.predicate!r}; use one of {', '.join(GOAL_PREDICATES)}")
        if len(self.args) != arity:
            raise ValueError(f"{self.predicate} takes {arity} argument(s), got {self.args!r}")

    @property
    def objects(self) -> tuple[str, ...]:
        return self.args[:1] if self.predicate == "pushed" else self.args

    def to_text(self) -> str:
        return f"{self.predicate}({', '.join(self.args)})"

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """In words, with object names (``names``: id -> name)."""
        n = [(names or {}).get(a, a) for a in self.args]
        return {
            "in": lambda: f"the {n[0]} is in the {n[1]}",
            "on": lambda: f"the {n[0]} is on the {n[1]}",
            "held": lambda: f"the gripper holds the {n[0]}",
            "drawer_open": lambda: f"the {n[0]} is open",
            "drawer_closed": lambda: f"the {n[0]} is closed",
            "pushed": lambda: f"the {n[0]} was pushed {n[1]}",
            "at": lambda: f"the gripper is at the {n[0]}",
        }[self.predicate]()


def parse_atom(text: str) -> GoalAtom:
    """``"in(block_red_0, bowl_blue_0)"`` -> GoalAtom; ValueError naming the problem."""
    s = str(text).strip()
    if "(" not in s or not s.endswith(")"):
        raise ValueError(f"goal atom {text!r} must look like predicate(arg, ...)")
    name, rest = s.split("(", 1)
    args = tuple(a.strip() for a in rest[:-1].split(",") if a.strip())
    return GoalAtom(name.strip(), args)


# --------------------------------------------------------------------------- the symbolic world


def _get(obj: Any, key: str, default: Any = None) -> Any:
    return obj.get(key, default) if isinstance(obj, Mapping) else getattr(obj, key, default)


@dataclass(frozen=True)
class _Object:
    id: str
    category: str
    position: tuple[float, ...] | None


@dataclass(frozen=True)
class SymbolicWorld:
    """What the scheduler knows of the world, as facts (hashable: search states)."""

    holding: str | None
    gripper_open: bool
    at: str | None
    over: str | None
    support: tuple[tuple[str, str], ...]  # (object, what it rests on: an object id or "table"), sorted
    drawers: tuple[tuple[str, bool], ...]  # (drawer, open), sorted
    pushed: frozenset[tuple[str, str]] = frozenset()
    objects: tuple[_Object, ...] = field(default=(), compare=False, hash=False)

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_objects(cls, objects: Sequence[Any], held: str | None = None, gripper_open: bool | None = None,
                     open_min: float = 0.8) -> SymbolicWorld:
        """From world objects (ObjectInfo or mappings with id, category, position, size, opening)."""
        objs = []
        for o in objects:
            pos = _get(o, "position")
            objs.append(_Object(str(_get(o, "id")), str(_get(o, "category") or "object"),
                                tuple(float(v) for v in pos) if pos is not None else None))
        support: dict[str, str] = {}
        for o in objects:
            oid = str(_get(o, "id"))
            if oid == held:
                continue
            support[oid] = _support_of(o, objects, held)
        drawers = {str(_get(o, "id")): float(_get(o, "opening") or 0.0) >= open_min
                   for o in objects if _get(o, "category") == "drawer"}
        return cls(held, gripper_open if gripper_open is not None else held is None, None, None,
                   tuple(sorted(support.items())), tuple(sorted(drawers.items())), frozenset(), tuple(objs))

    @classmethod
    def from_observation(cls, obs: Any) -> SymbolicWorld:
        held = _get(obs, "held_object_id") or None
        closed = _get(obs, "gripper_closed")
        return cls.from_objects(list(_get(obs, "objects") or []), held,
                                None if closed is None else not bool(closed))

    # ----------------------------------------------------------------- queries
    def category(self, oid: str) -> str:
        for o in self.objects:
            if o.id == oid:
                return o.category
        return "object"

    def has(self, oid: str) -> bool:
        return any(o.id == oid for o in self.objects)

    def support_of(self, oid: str) -> str | None:
        return dict(self.support).get(oid)

    def resting_on(self, oid: str) -> list[str]:
        return [o for o, s in self.support if s == oid]

    def drawer_is_open(self, did: str) -> bool:
        return dict(self.drawers).get(did, False)

    def holds(self, atom: GoalAtom) -> bool:
        p, a = atom.predicate, atom.args
        if p in ("in", "on"):
            return self.support_of(a[0]) == a[1]
        if p == "held":
            return self.holding == a[0]
        if p == "drawer_open":
            return self.drawer_is_open(a[0])
        if p == "drawer_closed":
            return not self.drawer_is_open(a[0])
        if p == "pushed":
            return (a[0], a[1]) in self.pushed
        return self.at == a[0]  # at

    # ----------------------------------------------------------------- conditions of the specs
    def condition(self, cond: Condition, bindings: Mapping[str, Any], movable: frozenset[str]) -> tuple[bool, str]:
        """Does a spec condition hold symbolically? (holds, why not)."""
        args = cond.resolve(bindings)
        p = cond.predicate
        if p == "holding":
            want = args[0]
            if want == "none":
                return self.holding is None, f"the gripper holds {self.holding}"
            if want == "any":
                return self.holding is not None, "the gripper holds nothing"
            return self.holding == want, f"the gripper holds {self.holding or 'nothing'}, not {want}"
        if p == "gripper":
            ok = self.gripper_open == (args[0] == "open")
            return ok, f"the gripper is {'open' if self.gripper_open else 'closed'}"
        if p == "at":
            return self.at == args[0], f"the gripper is not at {args[0]}"
        if p == "over":
            return self.over == args[0], f"the gripper is not over {args[0]}"
        if p == "on":
            what, target = args
            if what == "any":
                return bool(self.resting_on(target)), f"nothing rests on {target}"
            return self.support_of(what) == target, f"{what} does not rest on {target}"
        if p == "reachable":
            return self._reachable(args[0])
        if p == "accessible":
            return self._accessible(args[0])
        if p == "drawer_open":
            want = _as_bool(args[1])
            ok = self.drawer_is_open(args[0]) == want
            return ok, f"{args[0]} is {'open' if self.drawer_is_open(args[0]) else 'closed'}"
        if p == "moved":
            return (args[0], args[1]) in self.pushed, f"{args[0]} was not pushed {args[1]}"
        return True, ""  # predicates this model does not track are left to the skill's own check

    def _reachable(self, oid: str) -> tuple[bool, str]:
        if not self.has(oid):
            return False, f"there is no {oid} in the world"
        inside = self._inside_closed_drawer(oid)
        if inside:
            return False, f"{oid} is inside the closed {inside}"
        return True, ""

    def _inside_closed_drawer(self, oid: str) -> str | None:
        seen: set[str] = set()
        s = self.support_of(oid)
        while s and s != TABLE and s not in seen:
            seen.add(s)
            if self.category(s) == "drawer" and not self.drawer_is_open(s):
                return s
            s = self.support_of(s)
        return None

    def _accessible(self, tid: str) -> tuple[bool, str]:
        if not self.has(tid):
            return False, f"there is no {tid} in the world"
        if tid == self.holding:
            return False, f"{tid} is the object in the gripper: nothing can be put on what is being carried"
        cat = self.category(tid)
        if cat == "drawer" and not self.drawer_is_open(tid):
            return False, f"{tid} is closed: open it first"
        if cat in ("block", "object") and self.resting_on(tid):
            return False, f"{', '.join(self.resting_on(tid))} already rests on {tid}"
        inside = self._inside_closed_drawer(tid)
        if inside:
            return False, f"{tid} is inside the closed {inside}"
        return True, ""

    # ----------------------------------------------------------------- applying a step
    def apply(self, spec: SkillSpec, bindings: Mapping[str, Any], movable: frozenset[str]) -> SymbolicWorld:
        """The world after ``spec`` ran with ``bindings``; PlanImpossible when a precondition or a
        physical rule does not hold (the message says which and why)."""
        for cond in spec.preconditions:
            ok, why = self.condition(cond, bindings, movable)
            if not ok:
                raise PlanImpossible(f"{spec.name} needs {cond.bind(bindings).to_text()}: {why}")
        holding, gripper_open = self.holding, self.gripper_open
        at = over = None
        support = dict(self.support)
        drawers = dict(self.drawers)
        pushed = set(self.pushed)
        for eff in spec.effects:
            args = eff.resolve(bindings)
            p = eff.predicate
            if p == "holding":
                if args[0] == "none":
                    if holding is not None:
                        support[holding] = self.over or TABLE
                    holding = None
                elif args[0] != "any":
                    x = str(args[0])
                    if x not in movable:
                        raise PlanImpossible(f"{x} is a {self.category(x)}: it is fixed and cannot be picked up")
                    on_top = self.resting_on(x)
                    if on_top:
                        raise PlanImpossible(f"{', '.join(on_top)} rests on {x}: it cannot be picked up from under it")
                    support.pop(x, None)
                    holding = x
            elif p == "gripper":
                gripper_open = args[0] == "open"
            elif p == "at":
                at = str(args[0])
            elif p == "over":
                over = str(args[0])
                if over == self.holding:
                    raise PlanImpossible(f"{over} is the object in the gripper: it cannot be carried over itself")
            elif p == "drawer_open":
                drawers[str(args[0])] = _as_bool(args[1])
            elif p == "moved":
                if str(args[0]) not in movable and self.category(str(args[0])) not in ("bowl",):
                    raise PlanImpossible(f"{args[0]} is a {self.category(str(args[0]))}: it cannot be pushed")
                pushed.add((str(args[0]), str(args[1])))
        return replace(self, holding=holding, gripper_open=gripper_open, at=at,
                       over=over if holding is not None else None,
                       support=tuple(sorted(support.items())), drawers=tuple(sorted(drawers.items())),
                       pushed=frozenset(pushed))


def _as_bool(v: Any) -> bool:
    return v if isinstance(v, bool) else str(v).lower() in ("true", "yes", "1")


def _support_of(obj: Any, objects: Sequence[Any], held: str | None = None) -> str:
    """What ``obj`` rests on or in: the object for which the skills' own ``on`` predicate holds
    (:mod:`robomatrix.skills.conditions`), the table when none does or the geometry is unknown."""
    pos, size = _get(obj, "position"), _get(obj, "size")
    if pos is None or size is None or len(pos) < 3:
        return TABLE
    from types import SimpleNamespace

    from robomatrix.skills.conditions import explain

    world = SimpleNamespace(objects=list(objects), held_object_id=held or "")
    oid = str(_get(obj, "id"))
    for o in objects:
        tid = str(_get(o, "id"))
        if tid == oid or _get(o, "size") is None or _get(o, "position") is None:
            continue
        try:
            if explain(Condition("on", (oid, tid)), {}, world)[0]:  # type: ignore[arg-type]
                return tid
        except Exception:  # noqa: BLE001 - an object the predicate cannot judge rests on nothing known
            continue
    return TABLE


# --------------------------------------------------------------------------- plans


def movable_objects(world: SymbolicWorld, library: SkillLibrary) -> frozenset[str]:
    """Objects some skill can pick up: their category is accepted by an argument that a skill's
    effects hold (``holding: $arg``)."""
    cats: set[str] = set()
    for spec in library:
        for name in spec.grasped_arguments:
            cats |= set(spec.argument(name).categories or ())
    return frozenset(o.id for o in world.objects if o.category in cats)


def verify_plan(steps: Sequence[Any], world: SymbolicWorld, library: SkillLibrary) -> SymbolicWorld:
    """Run ``steps`` (each with ``skill`` and grounded ``args``) symbolically; the final world,
    or PlanImpossible naming the first step that cannot run and why.

    As the behaviour tree does, a step whose success conditions already hold is passed over, and
    a step that cannot start is passed over when the next step's success already holds (a plan
    that begins with move_to while the gripper already holds that block)."""
    from robomatrix.scheduler.tree import plan_parts  # the tree's own cut of a plan into guarded parts

    movable = movable_objects(world, library)
    state = world
    skip_next = False
    part_of = {i: (idx, goal) for idx, goal in plan_parts(steps, library) for i in idx}
    skipped: set[int] = set()
    for i, step in enumerate(steps):
        idx, part_goal = part_of.get(i, ([i], []))
        if i == idx[0] and part_goal and all(state.condition(c, {}, movable)[0] for c in part_goal):
            skipped |= set(idx)  # the part's goal already holds: the tree goes past it
        if i in skipped:
            continue
        if skip_next:
            skip_next = False
            continue
        spec = library.get(step.skill)
        bindings = _bindings(spec, step.args)
        if spec.success and all(state.condition(c, bindings, movable)[0] for c in spec.success):
            continue
        try:
            state = state.apply(spec, bindings, movable)
        except PlanImpossible as e:
            if i + 1 < len(steps):
                nxt = library.get(steps[i + 1].skill)
                nb = _bindings(nxt, steps[i + 1].args)
                if nxt.success and all(state.condition(c, nb, movable)[0] for c in nxt.success):
                    skip_next = True
                    continue
            raise PlanImpossible(f"step {i + 1} {step.skill}({_args_text(step.args)}) cannot run: {e.reason}", i) from e
    return state


def _bindings(spec: SkillSpec, args: Mapping[str, Any]) -> dict[str, Any]:
    return {**{a.name: a.default for a in spec.arguments if a.default is not None}, **dict(args)}


def _args_text(args: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in args.items())


@dataclass(frozen=True)
class _Call:
    skill: str
    args: Mapping[str, Any]


def _calls(library: SkillLibrary, world: SymbolicWorld, relevant: Iterable[str], atom: GoalAtom) -> list[_Call]:
    """Every grounded call of every skill over the ``relevant`` objects (direction and number
    arguments from the atom: only a push-like goal gives them)."""
    rel = [o for o in relevant if world.has(o)]
    out: list[_Call] = []
    for spec in library:
        choices: list[list[tuple[str, Any]]] = []
        ok = True
        for arg in spec.arguments:
            if arg.type == "object":
                cats = set(arg.categories or ())
                opts = [(arg.name, o) for o in rel if not cats or world.category(o) in cats]
            elif arg.type == "direction":
                opts = [(arg.name, atom.args[1])] if atom.predicate == "pushed" and atom.args[1] in arg.values else []
            elif arg.default is not None or atom.distance is None:
                value = atom.distance if atom.distance is not None else arg.default
                opts = [(arg.name, value)] if value is not None else []
            else:
                opts = [(arg.name, atom.distance)]
            if not opts:
                ok = False
                break
            choices.append(opts)
        if ok:
            for combo in itertools.product(*choices):
                out.append(_Call(spec.name, dict(combo)))
    return out


def _search(world: SymbolicWorld, atom: GoalAtom, keep: Sequence[GoalAtom], library: SkillLibrary,
            movable: frozenset[str], relevant: set[str]) -> tuple[list[_Call], SymbolicWorld]:
    """Breadth-first: the shortest call sequence after which ``atom`` and every ``keep`` atom hold."""
    calls = _calls(library, world, sorted(relevant), atom)
    specs = {c.skill: library.get(c.skill) for c in calls}
    frontier: deque[tuple[SymbolicWorld, list[_Call]]] = deque([(world, [])])
    seen = {world}
    expanded = 0
    while frontier and expanded < SEARCH_NODES:
        state, path = frontier.popleft()
        expanded += 1
        if len(path) >= SEARCH_DEPTH:
            continue
        for call in calls:
            try:
                nxt = state.apply(specs[call.skill], call.args, movable)
            except PlanImpossible:
                continue
            if nxt in seen:
                continue
            seen.add(nxt)
            if nxt.holds(atom) and all(nxt.holds(k) for k in keep):
                return [*path, call], nxt
            frontier.append((nxt, [*path, call]))
    raise PlanImpossible(f"no sequence of skills makes {atom.to_text()} true from here "
                         f"(within {SEARCH_DEPTH} steps, keeping {', '.join(k.to_text() for k in keep) or 'nothing'})")


def _order(atoms: Sequence[GoalAtom]) -> list[GoalAtom]:
    """A safe order: pushes first, then what rests on the table before what rests on it
    (towers bottom-up), drawer states after what goes into the drawer, holding last."""
    def depth(a: GoalAtom) -> int:
        if a.predicate not in ("in", "on"):
            return 0
        d, s, seen = 0, a.args[1], set()
        below = {x.args[0]: x.args[1] for x in atoms if x.predicate in ("in", "on")}
        while s in below and s not in seen:
            seen.add(s)
            d, s = d + 1, below[s]
        return d

    rank = {"pushed": 0, "drawer_open": 1, "in": 2, "on": 2, "at": 3, "drawer_closed": 4, "held": 5}
    return sorted(atoms, key=lambda a: (rank[a.predicate], depth(a)))


def plan_for_goal(atoms: Sequence[GoalAtom], world: SymbolicWorld,
                  library: SkillLibrary) -> tuple[list[tuple[str, dict[str, Any]]], SymbolicWorld]:
    """Skill calls ``[(skill, grounded args), ...]`` that make every atom true, and the world
    they leave; PlanImpossible naming the atom no sequence of skills reaches."""
    for atom in atoms:
        for oid in atom.objects:
            if not world.has(oid):
                raise PlanImpossible(f"{atom.to_text()} names {oid}, which is not in the world")
    movable = movable_objects(world, library)
    state = world
    done: list[GoalAtom] = []
    steps: list[tuple[str, dict[str, Any]]] = []
    drawers = {o.id for o in world.objects if o.category == "drawer"}
    for atom in _order(atoms):
        if state.holds(atom):
            done.append(atom)
            continue
        relevant = set(atom.objects) | ({state.holding} if state.holding else set())
        relevant |= {d for d in drawers if d in atom.objects}
        for oid in list(relevant):  # a drawer that holds a relevant object may need opening
            s = state.support_of(oid)
            if s in drawers:
                relevant.add(s)
        path, state = _search(state, atom, done, library, movable, relevant)
        steps += [(c.skill, dict(c.args)) for c in path]
        done.append(atom)
    return steps, state
