"""Plans → py_trees behaviour trees. Core: no rclpy.

A validated plan compiles to ``Sequence(memory) → Retry → SkillBehaviour`` per step.
:class:`SkillBehaviour` follows the py_trees contract: ``__init__`` touches no middleware
(a tree can be built and rendered offline), ``setup(client=...)`` receives the skill
client, ``initialise()`` checks the spec's preconditions against the live world and sends
the goal, ``update()`` only polls, ``terminate()`` cancels a running skill when the
behaviour is interrupted.

Postcondition first (the PPA pattern of behaviour-tree planning): a step whose spec success
condition already holds in the live world succeeds without running its skill -- the drawer a
replanned "open the drawer, put the block in, close it" starts with is already open, the arm a
``move_to`` is asked for is already there. Conditions measured from the skill's start (push's
``moved``) are evaluated against the world now as the start, so they never count as met.
One step of lookahead: a step whose preconditions fail is skipped when the next step's goal
already holds -- a replan after a failed place_over starts with move_to and grasp of the block
the gripper still holds; grasp's goal holds, so move_to is moot and grasp is skipped too.
Only a next step with object arguments counts: release()'s goal (nothing held, gripper open)
also holds when place_over's block was dropped, and skipping place_over then would end the
task with the block on the table.

Parts: the steps up to one that leaves the gripper empty (release, open_drawer, close_drawer:
``holding: none`` among its effects) form a part, and a part with a goal about objects is
guarded by it -- ``Selector(memory)[goal holds?, Sequence(steps)]``. A pick-and-place part's
goal is ``on(grasped block, place_over target)``, a drawer part's the drawer skill's success
(``drawer_open``). So a plan that starts again from the top after a failure -- any planner's
replan, not just one that knows what is finished -- goes past the blocks already stacked and
the drawer already open, and with the lookahead above resumes with the block it holds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import py_trees
from py_trees.common import Status

from robomatrix.hardware.interface import Observation
from robomatrix.skills.spec import SkillLibrary
from robomatrix.skills.status import SkillStatus

if TYPE_CHECKING:  # the plan module depends on the tree's cut of a plan (via symbolic); types only here
    from robomatrix.scheduler.plan import PlanStep

log = logging.getLogger(__name__)

NO_WORLD = "no world state from the robot: is the hardware node running?"
PRECONDITION_SLACK = 0.01  # m, at() band widening for the preconditions checked before a skill starts


class SkillHandle(Protocol):
    """A running skill, as the tree sees it."""

    def status(self) -> SkillStatus: ...  # running | succeeded | failed

    def reason(self) -> str: ...  # why it ended ("" while running)

    def feedback(self) -> tuple[str, str]: ...  # (language motion, source)

    def cancel(self) -> None: ...


class SkillClient(Protocol):
    """Starts skills and reports the world (ROS action client or in-process simulation)."""

    def world(self) -> Observation | None: ...

    def start(self, skill: str, args: Mapping[str, Any]) -> SkillHandle: ...


def step_text(skill: str, args: Mapping[str, Any]) -> str:
    inner = ", ".join(f"{k}={v}" for k, v in args.items())
    return f"{skill}({inner})"


class SkillBehaviour(py_trees.behaviour.Behaviour):
    """Runs one plan step through a :class:`SkillClient` without blocking."""

    def __init__(self, index: int, skill: str, args: Mapping[str, Any], library: SkillLibrary,
                 then: PlanStep | None = None) -> None:
        super().__init__(name=f"{index + 1}. {step_text(skill, args)}")
        self.index = index
        self.skill = skill
        self.args = dict(args)
        self.spec = library.get(skill)
        # the plan's next step: a step whose preconditions fail is moot when the next step's goal
        # already holds (move_to before a grasp of the block the gripper already holds)
        self.then = (library.get(then.skill), dict(then.args)) if then is not None else None
        self.client: SkillClient | None = None
        self.handle: SkillHandle | None = None
        self.reason = ""
        self.attempts = 0
        self.skipped = False  # the step's success condition held before it started

    def setup(self, **kwargs: Any) -> None:
        client = kwargs.get("client")
        if client is None:
            raise ValueError(f"{self.name}: setup() needs client=<SkillClient>")
        self.client = client

    def initialise(self) -> None:
        from robomatrix.skills.conditions import ConditionThresholds, check_all

        self.handle, self.reason, self.skipped = None, "", False
        self.attempts += 1
        if self.client is None:
            self.reason = "the tree was not set up with a skill client"
            return
        world = self.client.world()
        if world is None:
            self.reason = NO_WORLD
            return
        if world.estopped:  # the arm holds whatever it is sent: the skill could only fail
            self.reason = "e-stop engaged: the skill was not started"
            return
        if world.perception_stale:  # the objects are unknown: nothing to act on
            self.reason = f"{world.perception_stale}; the skill was not started"
            return
        done, _ = check_all(self.spec.success, self.args, world, world)
        if done:
            self.skipped = True
            self.reason = "already done: its success condition holds"
            log.info("%s: %s", self.name, self.reason)
            return
        # The skill before stopped the tick its success first held, at the edge of at()'s band:
        # 1 cm of slack keeps the arm settling afterwards from failing this precondition.
        ok, unmet = check_all(self.spec.preconditions, self.args, world, None,
                              ConditionThresholds().loosened(PRECONDITION_SLACK))
        if not ok:
            # Only a goal about an object says the world is past this step: release()'s goal (holding
            # nothing, gripper open) also holds after a dropped block, when place_over is not moot.
            if self.then is not None and self.then[1] and check_all(self.then[0].success, self.then[1], world, world)[0]:
                self.skipped = True
                self.reason = "not needed: the next step's goal already holds"
                log.info("%s: %s", self.name, self.reason)
                return
            self.reason = "preconditions unmet: " + "; ".join(unmet)
            return
        self.handle = self.client.start(self.skill, self.args)

    def update(self) -> Status:
        if self.skipped:
            self.feedback_message = self.reason
            return Status.SUCCESS
        if self.handle is None:
            self.feedback_message = self.reason
            return Status.FAILURE
        state = self.handle.status()
        if state == SkillStatus.RUNNING:
            motion, source = self.handle.feedback()
            self.feedback_message = f"{motion} ({source})" if motion else ""
            return Status.RUNNING
        self.reason = self.handle.reason()
        self.feedback_message = self.reason
        return Status.SUCCESS if state == SkillStatus.SUCCEEDED else Status.FAILURE

    def terminate(self, new_status: Status) -> None:
        if new_status == Status.INVALID and self.handle is not None and self.handle.status() == SkillStatus.RUNNING:
            log.info("%s interrupted: cancelling the skill", self.name)
            self.handle.cancel()


class GoalHolds(py_trees.behaviour.Behaviour):
    """SUCCESS when all of ``goal`` (bound conditions) hold in the live world, else FAILURE."""

    def __init__(self, goal: Sequence[Any]) -> None:
        super().__init__(name=" and ".join(c.to_text() for c in goal) + "?")
        self.goal = tuple(goal)
        self.client: SkillClient | None = None

    def setup(self, **kwargs: Any) -> None:
        self.client = kwargs.get("client")

    def update(self) -> Status:
        from robomatrix.skills.conditions import check_all

        world = self.client.world() if self.client is not None else None
        if world is None or not check_all(self.goal, {}, world, world)[0]:
            return Status.FAILURE
        self.feedback_message = "already done: the part's goal holds"
        log.info("%s %s", self.name, self.feedback_message)
        return Status.SUCCESS


def plan_parts(steps: Sequence[PlanStep], library: SkillLibrary) -> list[tuple[list[int], list[Any]]]:
    """The plan cut into parts, each ``(step indices, goal)``: a part ends at a step with
    ``holding: none`` among its effects. Read from the specs, never from skill names: the goal
    of a part that ends with an argument-less step (a release) is ``on(held, target)``, held the
    last object a step of the part grasped (its spec's ``holding($arg)`` effect) and target the
    last place a step put it over (``over($arg)``); else it is the ending skill's success
    conditions about its arguments (``drawer_open(drawer, ...)``); ``[]`` when there is none
    (a trailing move_to, a push)."""
    from robomatrix.skills.spec import Condition

    parts: list[tuple[list[int], list[Any]]] = []
    current: list[int] = []
    for i, step in enumerate(steps):
        current.append(i)
        spec = library.get(step.skill)
        if not any(c.predicate == "holding" and c.args == ("none",) for c in spec.effects):
            continue
        goal: list[Any] = []
        if step.args:
            goal = [Condition(c.predicate, c.resolve(step.args)) for c in spec.success
                    if c.references and c.predicate != "moved"]
        else:
            held = _argument_values(steps, current, library, "grasped_arguments")
            target = _argument_values(steps, current, library, "place_arguments")
            if held and target:
                goal = [Condition("on", (held[-1], target[-1]))]
        parts.append((current, goal))
        current = []
    if current:
        parts.append((current, []))
    return parts


def _argument_values(steps: Sequence[PlanStep], indices: Sequence[int], library: SkillLibrary,
                     kind: str) -> list[Any]:
    """Values, in step order, of the arguments named by ``getattr(spec, kind)`` (a set of
    argument names such as ``grasped_arguments``) among ``steps[indices]``."""
    out: list[Any] = []
    for j in indices:
        names = getattr(library.get(steps[j].skill), kind)
        out += [value for name, value in steps[j].args.items() if name in names and value is not None]
    return out


def build_tree(steps: Sequence[PlanStep], library: SkillLibrary, retries: int = 1) -> py_trees.behaviour.Behaviour:
    """The plan as ``Sequence(memory=True)`` of ``Retry(num_failures=retries + 1)(SkillBehaviour)``,
    each part with a goal wrapped in ``Selector(memory=True)[GoalHolds, Sequence(part)]``."""
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    root = py_trees.composites.Sequence(name="task", memory=True)
    for k, (indices, goal) in enumerate(plan_parts(steps, library)):
        parent = root
        if goal:
            part = py_trees.composites.Selector(name=f"part {k + 1}", memory=True)
            parent = py_trees.composites.Sequence(name=f"part {k + 1} steps", memory=True)
            part.add_children([GoalHolds(goal), parent])
            root.add_child(part)
        for i in indices:
            behaviour = SkillBehaviour(i, steps[i].skill, steps[i].args, library,
                                       steps[i + 1] if i + 1 < len(steps) else None)
            parent.add_child(py_trees.decorators.Retry(name=f"retry x{retries}", child=behaviour,
                                                       num_failures=retries + 1))
    return root


def skill_behaviours(root: py_trees.behaviour.Behaviour) -> list[SkillBehaviour]:
    return [b for b in root.iterate() if isinstance(b, SkillBehaviour)]


def ascii_tree(root: py_trees.behaviour.Behaviour) -> str:
    """The tree with each node's status, for feedback and logs."""
    return py_trees.display.ascii_tree(root, show_status=True)


def write_dot(root: py_trees.behaviour.Behaviour, path: str) -> str:
    """Write the tree as a Graphviz dot file (no rendering: needs no graphviz binary)."""
    graph = py_trees.display.dot_tree(root)
    text = graph.to_string()
    with open(path, "w") as f:
        f.write(text)
    return path
