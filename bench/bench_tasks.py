"""End-to-end task benchmark (issue 4): the long-horizon task families of the tabletop world,
run as behaviour trees on the simulator, the goal checked on the settled world.

Families (each in seeded layouts of a scene from ``config/scenes`` and with several phrasings):

* ``put_in``      put one block in a bowl                       (tabletop)
* ``put_colour``  put all blocks of a colour in a bowl          (tabletop_pairs: one colour twice)
* ``clear``       clear the table into the bin                  (tabletop)
* ``stack``       stack three blocks in a given order           (tabletop)
* ``sort``        sort blocks into the bowls of matching colour (tabletop_sort)
* ``drawer_put``  open the drawer, put a block in it, close it  (tabletop_drawer)

Configurations: ``oracle`` (scripted oracle skills: isolates the planner), ``trained`` (the
trained RT-H skill policies), ``recovery`` (oracle skills; the first place_over fails half-way
and drops the block, so the tree must retry and replan). Each is run twice: **with the
embedded planner** (the configured backend, ``config/planner.yaml``) and **with the reference
plan** — the expected plan from :func:`robomatrix.learning.tasks.expected_plan`, fed straight to
the behaviour tree (on a replan the same plan again: the tree goes past the parts whose goal
already holds, whatever the planner). The difference separates planner errors from execution errors.

Success is the family's goal evaluated on the simulator's settled world (``on`` and
``drawer_open`` conditions after 1.5 s without commands), not the runner's own flag; both are
recorded, and so is whether the planner's first plan equalled the reference plan.

The simulator is deterministic (same seed and same commands → the same trajectory), so when the
embedded planner's plan equals the reference plan and the reference run needed no replan,
the embedded run would repeat the reference run tick for tick; ``--reuse`` (default on) then
copies that result instead of running it again and marks the case ``"reused_reference_run"``.

    .venv/bin/python bench/bench_tasks.py                                # everything, 20 layouts per family
    .venv/bin/python bench/bench_tasks.py --configs oracle --layouts 5   # a quick look
    .venv/bin/python bench/bench_tasks.py --configs trained --merge      # add to bench/results/tasks.json

``--collect DIR`` records DAgger data along whole tasks instead of scoring them: the trained
skills run the reference plans of layouts drawn from ``--base-seed`` on (keep it away from the
evaluation seeds, 5000-10999), and for move_to and place_over the reactive oracle labels every
state reached (:class:`robomatrix.learning.demos.ChainLabeller`), written as
``DIR/<skill>_chains_NNN.mcap`` for ``robomatrix train``.

Rerun it after the planner checkpoint changes; the JSON records the checkpoint's hash.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from bench_hardware import machine  # noqa: E402 - the script's own folder is on sys.path
from stats import annotate_results  # noqa: E402 - the script's own folder is on sys.path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETTLE_S = 1.5  # s of robot time without commands before the goal is checked
INJECTED_SKILL = "place_over"  # recovery: its first attempt fails 0.4 s in, dropping the block

# A goal is a list of conditions (predicate, args) over object ids.
Goal = list[tuple[str, tuple[Any, ...]]]
Choice = tuple[dict[str, str], dict[str, str], Goal]  # expected_plan choice, phrasing fields, goal


@dataclass(frozen=True)
class Family:
    scene: str
    phrasings: tuple[str, ...]
    choose: Callable[[np.random.Generator, list[Any]], Choice | None]


def _of(world: Sequence[Any], category: str) -> list[Any]:
    return [o for o in world if o.category == category]


def _unique(world: Sequence[Any], category: str) -> list[Any]:
    return [o for o in _of(world, category) if sum(1 for p in world if p.name == o.name) == 1]


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def _choose_put_in(rng: np.random.Generator, world: list[Any]) -> Choice | None:
    blocks, bowls = _unique(world, "block"), _unique(world, "bowl")
    if not blocks or not bowls:
        return None
    x, y = _pick(rng, blocks), _pick(rng, bowls)
    return {"x": x.id, "y": y.id}, {"x": x.name, "y": y.name}, [("on", (x.id, y.id))]


def _choose_put_colour(rng: np.random.Generator, world: list[Any]) -> Choice | None:
    colours = sorted({b.colour for b in _of(world, "block")
                      if sum(1 for o in _of(world, "block") if o.colour == b.colour) >= 2})
    bowls = _unique(world, "bowl")
    if not colours or not bowls:
        return None
    colour, y = _pick(rng, colours), _pick(rng, bowls)
    goal: Goal = [("on", (b.id, y.id)) for b in _of(world, "block") if b.colour == colour]
    return {"colour": colour, "y": y.id}, {"c": colour, "y": y.name}, goal


def _choose_clear(rng: np.random.Generator, world: list[Any]) -> Choice | None:
    bins = _of(world, "bin")
    if len(bins) != 1 or not _of(world, "block"):
        return None
    return {}, {}, [("on", (b.id, bins[0].id)) for b in _of(world, "block")]


def _choose_stack(rng: np.random.Generator, world: list[Any]) -> Choice | None:
    blocks = _unique(world, "block")
    if len(blocks) < 3:
        return None
    a, b, c = (blocks[int(i)] for i in rng.permutation(len(blocks))[:3])
    return ({"a": a.id, "b": b.id, "c": c.id}, {"a": a.name, "b": b.name, "c": c.name},
            [("on", (b.id, c.id)), ("on", (a.id, b.id))])


def _choose_sort(rng: np.random.Generator, world: list[Any]) -> Choice | None:
    bowls = {o.colour: o for o in _unique(world, "bowl")}
    pairs = [(b, bowls[b.colour]) for b in _unique(world, "block") if b.colour in bowls]
    if len(pairs) < 2:
        return None
    return {}, {}, [("on", (b.id, bowl.id)) for b, bowl in pairs]


def _choose_drawer_put(rng: np.random.Generator, world: list[Any]) -> Choice | None:
    drawers, blocks = _of(world, "drawer"), _unique(world, "block")
    if len(drawers) != 1 or not blocks:
        return None
    d, x = drawers[0], _pick(rng, blocks)
    return {"x": x.id}, {"x": x.name}, [("on", (x.id, d.id)), ("drawer_open", (d.id, False))]


FAMILIES: dict[str, Family] = {
    "put_in": Family("tabletop", ("put the {x} in the {y}", "place the {x} into the {y}",
                                  "could you drop the {x} in the {y}"), _choose_put_in),
    "put_colour": Family("tabletop_pairs", ("put all the {c} blocks in the {y}", "move every {c} block into the {y}",
                                            "gather the {c} blocks in the {y}"), _choose_put_colour),
    "clear": Family("tabletop", ("clear the table into the bin", "put all the blocks in the bin",
                                 "tidy up: every block into the bin"), _choose_clear),
    "stack": Family("tabletop", ("stack the {a} on the {b} on the {c}",
                                 "put the {b} on the {c}, then put the {a} on the {b}",
                                 "build a tower with the {c} at the bottom, the {b} in the middle and the {a} on top"),
                    _choose_stack),
    "sort": Family("tabletop_sort", ("sort the blocks into the bowls of matching colour",
                                     "put each block in the bowl of the same colour",
                                     "match the blocks to the bowls by colour"), _choose_sort),
    "drawer_put": Family("tabletop_drawer", ("open the drawer, put the {x} in it, then close it",
                                             "put the {x} in the drawer: open it first and close it after",
                                             "store the {x} in the drawer and close it again"), _choose_drawer_put),
}
CONFIGS: dict[str, tuple[str, bool]] = {"oracle": ("oracle", False), "trained": ("policy", False),
                                        "recovery": ("oracle", True)}
MODES = ("reference", "embedded")  # reference first: an identical embedded run can reuse it


@dataclass(frozen=True)
class Layout:
    family: str
    seed: int
    task: str
    choice: dict[str, str]
    goal: Goal
    steps: list[dict[str, Any]]  # the expected plan (tasks.expected_plan), objects by reference


def select_layouts(robot: Any, family: str, n: int, base_seed: int) -> list[Layout]:
    """``n`` seeded layouts of ``family`` in its scene (seeds from ``base_seed`` on; a layout the
    family cannot use is skipped), phrasings in turn."""
    from robomatrix.learning.tasks import expected_plan, world_from_objects

    fam = FAMILIES[family]
    out: list[Layout] = []
    seed = base_seed
    while len(out) < n:
        if seed > base_seed + 20 * n + 100:
            raise RuntimeError(f"{family}: only {len(out)} usable layouts in scene {fam.scene}")
        obs = robot.reset(seed=seed, scene=fam.scene)
        world = world_from_objects(obs.objects)
        made = fam.choose(np.random.default_rng(seed), world)
        if made is not None:
            choice, fields, goal = made
            task = fam.phrasings[len(out) % len(fam.phrasings)].format(**fields)
            out.append(Layout(family, seed, task, choice, goal, expected_plan(family, world, **choice)))
        seed += 1
    return out


class ReferencePlanner:
    """Answers with the expected plan, first time and on every replan: going past the parts of
    it already done is the behaviour tree's work (``scheduler.tree.plan_parts``), as for any
    planner."""

    backend_name = "reference"

    def __init__(self, steps: list[dict[str, Any]], library: Any) -> None:
        self.steps, self.library = steps, library

    def plan(self, task: str, world: Any, failure_context: str | None = None) -> Any:
        from robomatrix.learning.tasks import ground_plan
        from robomatrix.scheduler.goal import describe_goal, goal_from_plan
        from robomatrix.scheduler.planner import Plan, PlanStep
        from robomatrix.scheduler.symbolic import SymbolicWorld

        objects = list(getattr(world, "objects", world))
        grounded = ground_plan(self.steps, objects, self.library)
        steps = tuple(PlanStep(skill, args, dict(args)) for skill, args in grounded)
        before = SymbolicWorld.from_observation(world) if hasattr(world, "objects") else SymbolicWorld.from_objects(objects)
        goal = goal_from_plan(before, before, steps, self.library)  # the goal the reference plan's parts guard
        return Plan(steps, raw_text=json.dumps([[s, a] for s, a in grounded]), backend="reference", latency_s=0.0,
                    task=task, goal=tuple(goal), goal_text=describe_goal(goal, objects), goal_given=False)


def unmet_goal(goal: Goal, world: Any) -> list[str]:
    from robomatrix.skills.conditions import explain
    from robomatrix.skills.spec import Condition

    out = []
    for pred, args in goal:
        ok, why = explain(Condition(pred, tuple(args)), {}, world)
        if not ok:
            out.append(f"{pred}({', '.join(str(a) for a in args)}): {why}")
    return out


def run_case(robot: Any, lib: Any, layout: Layout, planner: Any | None, controller: str, inject: bool,
             controllers: dict[str, Any] | None = None, perception: bool = False) -> dict:
    """One task from a fresh reset of the layout's seed; ``planner`` None = the reference plan.
    ``controllers``: skills run by these controller objects instead (see SimSkillClient).
    ``perception``: the planner, the skills and the scheduler see the objects perceived from the
    rendered RGB-D scene camera (config camera section, a fresh tracker per task) instead of the
    simulator's; the goal is still checked on the simulator's settled world."""
    from robomatrix.learning.skill_client import SimSkillClient
    from robomatrix.learning.tasks import ground_plan
    from robomatrix.scheduler.runner import SchedulerConfig, TaskRunner
    from robomatrix.scheduler.tree import step_text

    obs = robot.reset(seed=layout.seed, scene=FAMILIES[layout.family].scene)
    expected = [step_text(s, a) for s, a in ground_plan(layout.steps, list(obs.objects), lib)]
    seeing: dict[str, Any] = {}
    if perception:
        from robomatrix.config import load_stack_config
        from robomatrix.perception.pipeline import Perception, PerceptionConfig

        cfg = load_stack_config()
        seeing = {"perception": Perception(PerceptionConfig.from_sections(cfg.camera, cfg.perception)),
                  "camera": cfg.camera, "camera_seed": layout.seed}
    client = SimSkillClient(robot, lib, controller=controller,
                            inject_failure=(lambda skill, n: skill == INJECTED_SKILL and n == 1) if inject else None,
                            controllers=controllers, **seeing)
    active = planner if planner is not None else ReferencePlanner(layout.steps, lib)
    t0 = time.perf_counter()
    result = TaskRunner(active, client, lib, SchedulerConfig(retries=1, max_replans=2)).run(layout.task)
    client.advance(SETTLE_S)
    world = client.truth()  # the simulator's own world, whatever the skills saw
    unmet = unmet_goal(layout.goal, world)
    return {"family": layout.family, "seed": layout.seed, "task": layout.task, "goal": not unmet,
            "unmet": unmet, "runner_success": result.success, "plan_correct": bool(result.plans)
            and result.plans[0] == expected, "replans": result.replans, "skill_failures": result.skill_failures,
            "summary": result.summary, "plans": result.plans, "expected_plan": expected,
            "sim_s": round(world.stamp - obs.stamp, 1), "wall_s": round(time.perf_counter() - t0, 2),
            **({"camera_frames": client.frames} if perception else {})}


def summarise(cases: list[dict]) -> dict[str, Any]:
    n = len(cases)

    def rate(key: str) -> float | None:
        return round(sum(bool(c[key]) for c in cases) / n, 3) if n else None

    return {"tasks": n, "goal_rate": rate("goal"), "runner_success_rate": rate("runner_success"),
            "plan_correct_rate": rate("plan_correct"), "cases": cases}


def checkpoint_hash(lib: Any) -> str:
    path = ROOT / "skills" / "_planner" / "model.safetensors"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "none"


def markdown(out: dict[str, Any]) -> str:
    """The README table: goal rate per family and configuration, both plan sources."""
    cols = [(c, m) for c in CONFIGS for m in ("embedded", "reference") if m in out["results"].get(c, {})]
    head = "| family | " + " | ".join(f"{c}, {'embedded planner' if m == 'embedded' else 'reference plan'}"
                                       for c, m in cols) + " |"
    lines = [head, "|---" * (len(cols) + 1) + "|"]
    for fam in FAMILIES:
        cells = []
        for c, m in cols:
            r = out["results"][c][m].get(fam)
            if r is None:
                cells.append("–")
                continue
            k = sum(x["goal"] for x in r["cases"])
            cells.append(f"{r['goal_rate']:.0%} ({k}/{r['tasks']})")
        lines.append(f"| {fam} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layouts", type=int, default=20, help="seeded layouts per family")
    ap.add_argument("--first", type=int, default=0,
                    help="run layouts first..layouts-1 only (split a long run over processes; --combine joins them)")
    ap.add_argument("--families", default=",".join(FAMILIES), help="comma list of families")
    ap.add_argument("--configs", default=",".join(CONFIGS), help="comma list of oracle, trained, recovery")
    ap.add_argument("--modes", default=",".join(MODES), help="comma list of reference, embedded")
    ap.add_argument("--no-reuse", dest="reuse", action="store_false",
                    help="run the embedded planner's cases even when they would repeat the reference run")
    ap.add_argument("--merge", action="store_true", help="update the results already in --out instead of replacing them")
    ap.add_argument("--out", default=str(HERE / "results" / "tasks.json"))
    ap.add_argument("--table", action="store_true", help="print the README table of --out and exit")
    ap.add_argument("--combine", nargs="+", default=[], metavar="JSON",
                    help="merge the results of these files (e.g. runs in parallel processes) into --out and exit")
    ap.add_argument("--collect", default="", metavar="DIR",
                    help="record chain DAgger data for move_to and place_over into DIR instead of scoring")
    ap.add_argument("--base-seed", type=int, default=5000,
                    help="first layout seed (family i starts at base + 1000 i); evaluation uses 5000")
    ap.add_argument("--driver-share", type=float, default=0.7,
                    help="--collect: share of ticks in which the policy's action is executed (else the oracle's)")
    args = ap.parse_args(argv)
    if args.combine:
        path = Path(args.out)
        merged: dict[str, Any] = json.loads(path.read_text()) if args.merge and path.is_file() else {"results": {}}
        for name in args.combine:
            part = json.loads(Path(name).read_text())
            for config, modes in part.pop("results", {}).items():
                for mode, fams in modes.items():
                    into = merged["results"].setdefault(config, {}).setdefault(mode, {})
                    for fam, res in fams.items():  # cases of the same family join, one per seed
                        cases = {c["seed"]: c for c in into.get(fam, {}).get("cases", []) + res["cases"]}
                        into[fam] = summarise(sorted(cases.values(), key=lambda c: c["seed"]))
            merged.update(part)
        path.write_text(json.dumps(annotate_results(merged), indent=1))
        sys.stdout.write(markdown(merged) + "\n")
        return 0
    if args.table:
        sys.stdout.write(markdown(json.loads(Path(args.out).read_text())) + "\n")
        return 0
    import torch

    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.scheduler.planner import Planner
    from robomatrix.skills.spec import load_skill_library

    torch.set_num_threads(1)
    families = [f for f in args.families.split(",") if f]
    configs = [c for c in args.configs.split(",") if c]
    modes = [m for m in args.modes.split(",") if m]
    for name, known in ((families, FAMILIES), (configs, CONFIGS), (modes, MODES)):
        bad = [x for x in name if x not in known]
        if bad:
            ap.error(f"unknown {bad}; choose from {list(known)}")
    lib = load_skill_library()
    planner = Planner.from_config(library=lib) if "embedded" in modes else None
    path = Path(args.out)
    out: dict[str, Any] = json.loads(path.read_text()) if args.merge and path.is_file() else {}
    if "results" not in out:
        out = {"results": {}}
    out.update({"benchmark": "tasks", "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                **({"planner": planner.backend_name, "planner_checkpoint_sha256_16": checkpoint_hash(lib)}
                   if planner is not None else {}),
                "injected_failure": f"{INJECTED_SKILL}, first attempt, 0.4 s in, gripper opened (recovery only)",
                "settle_s": SETTLE_S,
                "families": {f: {"scene": FAMILIES[f].scene, "phrasings": list(FAMILIES[f].phrasings)}
                             for f in FAMILIES}})
    with SimRobot(SimConfig()) as robot:
        layouts = {f: select_layouts(robot, f, args.layouts, args.base_seed + 1000 * i)[args.first:]
                   for i, f in enumerate(FAMILIES) if f in families}
        if args.collect:
            return collect_chains(robot, lib, layouts, Path(args.collect), args.driver_share)
        for config in configs:
            controller, inject = CONFIGS[config]
            for fam in families:
                ref_cases: dict[int, dict] = {}
                for mode in sorted(modes, key=MODES.index):
                    cases = []
                    for layout in layouts[fam]:
                        ref = ref_cases.get(layout.seed)
                        if mode == "embedded" and args.reuse and ref is not None and ref["replans"] == 0:
                            first = _first_plan(planner, robot, layout, lib)
                            if first == ref["expected_plan"]:
                                cases.append({**ref, "plans": [first] + ref["plans"][1:], "plan_correct": True,
                                              "reused_reference_run": True})
                                continue
                        case = run_case(robot, lib, layout, planner if mode == "embedded" else None, controller,
                                        inject)
                        cases.append(case)
                        if mode == "reference":
                            ref_cases[layout.seed] = case
                    res = summarise(cases)
                    out["results"].setdefault(config, {}).setdefault(mode, {})[fam] = res
                    sys.stdout.write(f"{config:9s} {mode:9s} {fam:11s} goal {res['goal_rate']:.0%} of {res['tasks']}"
                                     f" (plan correct {res['plan_correct_rate']:.0%})\n")
                    sys.stdout.flush()
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(json.dumps(annotate_results(out), indent=1))
    sys.stdout.write(markdown(out) + "\n")
    return 0


def collect_chains(robot: Any, lib: Any, layouts: dict[str, list[Layout]], folder: Path, share: float) -> int:
    """Run every layout's reference plan with the trained skills, move_to and place_over as
    ChainLabellers, and write the labelled episodes per skill (see the module docstring)."""
    from robomatrix.learning.demos import ChainLabeller, write_episode
    from robomatrix.policies.model import load_policy
    from robomatrix.skills.recording import EpisodeWriter, next_free_path

    skills = ("move_to", "place_over")
    policies = {s: load_policy(lib.get(s).policy_path, skill=s) for s in skills}
    folder.mkdir(parents=True, exist_ok=True)
    writers = {s: EpisodeWriter(next_free_path(folder, f"{s}_chains")) for s in skills}
    counts = {s: 0 for s in skills}  # episodes
    try:
        for fam, items in layouts.items():
            goals = 0
            for layout in items:
                rng = np.random.default_rng([layout.seed, 7])
                labellers = {s: ChainLabeller(policies[s], lib, s, share, rng, seed=layout.seed,
                                              scene=FAMILIES[fam].scene) for s in skills}
                case = run_case(robot, lib, layout, None, "policy", False, controllers=dict(labellers))
                goals += int(case["goal"])
                for s, labeller in labellers.items():
                    for episode in labeller.episodes():
                        write_episode(writers[s], episode, lib)
                        counts[s] += 1
            sys.stdout.write(f"collect {fam:11s} {len(items)} tasks, goal reached in {goals}; episodes so far "
                             + ", ".join(f"{s} {n}" for s, n in counts.items()) + "\n")
            sys.stdout.flush()
    finally:
        for w in writers.values():
            w.close()
    return 0


def _first_plan(planner: Any, robot: Any, layout: Layout, lib: Any) -> list[str] | None:
    """The embedded planner's plan for the layout's first world (before anything moves), as step lines."""
    from robomatrix.errors import RobomatrixError
    from robomatrix.scheduler.tree import step_text

    obs = robot.reset(seed=layout.seed, scene=FAMILIES[layout.family].scene)
    try:
        plan = planner.plan(layout.task, list(obs.objects))
    except RobomatrixError:
        return None
    return [step_text(s.skill, s.args) for s in plan.steps]


if __name__ == "__main__":
    sys.exit(main())
