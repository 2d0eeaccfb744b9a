"""The hand-written planner evaluation sets (bench/data/): structure, vocabulary, references and
counts, and that the frozen main set still has the sha256 its README records."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
MAIN = DATA / "handwritten_tasks.yaml"
DEV = DATA / "handwritten_tasks_dev.yaml"
WORLDS = DATA / "eval_worlds.yaml"

REFUSALS = {
    "absent_object", "ambiguous", "self_reference", "fixed_object", "unsafe", "mixed_unsafe",
    "code_or_json", "other_language", "gibberish", "empty", "impossible", "unknown_word",
}  # fmt: skip
TASK_KINDS = {
    "plain", "colour_synonym", "relation", "tower_order", "description", "multi_clause",
    "everyday_verb", "terse", "typo", "first_person", "quantity", "negation", "pronoun", "polite",
    "uppercase", "punctuation", "spelling", "drawer", "push",
}  # fmt: skip
DIRECTIONS = {"forward", "backward", "left", "right"}
# predicate -> the categories its arguments must have ("direction" for a direction word)
PREDICATES: dict[str, tuple[set[str], ...]] = {
    "in": ({"block"}, {"bowl", "bin", "drawer"}),
    "on": ({"block"}, {"block"}),
    "drawer_open": ({"drawer"},),
    "drawer_closed": ({"drawer"},),
    "pushed": ({"block", "bowl"}, {"direction"}),
    "held": ({"block"},),
}
PREDICATE_RE = re.compile(r"^([a-z_]+)\(([^()]*)\)$")
MIN_MAIN_GOALS, MIN_MAIN_REFUSALS, MIN_DEV = 320, 90, 50


def _load(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("tasks"), list), (
        f"{path}: expected a mapping with a 'tasks' list"
    )
    return data["tasks"]


@pytest.fixture(scope="module")
def worlds() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(WORLDS.read_text(encoding="utf-8"))
    return data["worlds"]


@pytest.fixture(scope="module")
def main_tasks() -> list[dict[str, Any]]:
    return _load(MAIN)


@pytest.fixture(scope="module")
def dev_tasks() -> list[dict[str, Any]]:
    return _load(DEV)


def parse_predicate(text: str) -> tuple[str, list[str]]:
    """'in(block_red_0, bin_grey_0)' -> ('in', ['block_red_0', 'bin_grey_0'])."""
    m = PREDICATE_RE.match(text)
    if not m:
        raise ValueError(f"goal {text!r} is not of the form name(arg, ...)")
    return m.group(1), [a.strip() for a in m.group(2).split(",")]


def task_problems(task: dict[str, Any], worlds: dict[str, dict[str, Any]], set_name: str) -> list[str]:
    """Everything wrong with one task, as readable sentences (empty when it is well formed)."""
    tid = task.get("id", "<no id>")
    bad: list[str] = []
    if set(task) - {"id", "world", "kind", "text", "goal", "refuse"}:
        bad.append(
            f"{tid}: unknown keys {sorted(set(task) - {'id', 'world', 'kind', 'text', 'goal', 'refuse'})}"
        )
    for key in ("id", "world", "kind", "text"):
        if not isinstance(task.get(key), str):
            bad.append(f"{tid}: {key} must be a string, got {task.get(key)!r}")
    world = worlds.get(task.get("world"))
    if world is None:
        return bad + [f"{tid}: world {task.get('world')!r} is not in {WORLDS.name}"]
    if world["set"] != set_name:
        bad.append(f"{tid}: world {task['world']} belongs to the {world['set']} set, not {set_name}")
    if ("goal" in task) == ("refuse" in task):
        return bad + [f"{tid}: needs exactly one of goal: or refuse:"]
    if "refuse" in task:
        if task["refuse"] not in REFUSALS:
            bad.append(f"{tid}: refusal reason {task['refuse']!r} is not one of {sorted(REFUSALS)}")
        if task["kind"] != task["refuse"]:
            bad.append(
                f"{tid}: a refusal's kind must be its reason ({task['refuse']!r}), got {task['kind']!r}"
            )
        return bad
    if task["kind"] not in TASK_KINDS:
        bad.append(f"{tid}: kind {task['kind']!r} is not one of {sorted(TASK_KINDS)}")
    if not task["text"].strip():
        bad.append(f"{tid}: a task to carry out has empty text")
    goal = task["goal"]
    if not isinstance(goal, list) or not goal:
        return bad + [f"{tid}: goal must be a non-empty list of predicates"]
    categories = {o["id"]: o["category"] for o in world["objects"]}
    places: dict[str, str] = {}
    for item in goal:
        try:
            name, args = parse_predicate(item)
        except (TypeError, ValueError) as e:
            bad.append(f"{tid}: {e}")
            continue
        if name not in PREDICATES:
            bad.append(f"{tid}: predicate {name!r} is not one of {sorted(PREDICATES)}")
            continue
        kinds = PREDICATES[name]
        if len(args) != len(kinds):
            bad.append(f"{tid}: {item} takes {len(kinds)} argument(s)")
            continue
        for arg, allowed in zip(args, kinds, strict=True):
            if allowed == {"direction"}:
                if arg not in DIRECTIONS:
                    bad.append(f"{tid}: {item}: direction {arg!r} is not one of {sorted(DIRECTIONS)}")
            elif arg not in categories:
                bad.append(
                    f"{tid}: {item}: object {arg!r} is not in world {task['world']} ({sorted(categories)})"
                )
            elif categories[arg] not in allowed:
                bad.append(f"{tid}: {item}: {arg} is a {categories[arg]}, expected {sorted(allowed)}")
        if name in ("in", "on") and len(args) == 2:
            if args[0] == args[1]:
                bad.append(f"{tid}: {item} puts an object on or in itself")
            if args[0] in places and places[args[0]] != item:
                bad.append(f"{tid}: {args[0]} is sent to two places ({places[args[0]]}, {item})")
            places[args[0]] = item
    return bad


def test_worlds_file_is_well_formed(worlds: dict[str, dict[str, Any]]) -> None:
    assert worlds, f"{WORLDS} has no worlds"
    for key, world in worlds.items():
        assert key == f"{world['scene']}/{world['seed']}", key
        assert world["seed"] >= 1000, f"{key}: evaluation seeds start at 1000"
        assert world["set"] in ("main", "dev", "fresh"), key
        ids = [o["id"] for o in world["objects"]]
        assert len(ids) == len(set(ids)), f"{key}: duplicate object ids"
        for o in world["objects"]:
            assert {"id", "name", "category", "colour", "position"} <= set(o), f"{key}: {o}"
            assert len(o["position"]) == 2 and all(isinstance(v, float | int) for v in o["position"]), o
    assert {w["set"] for w in worlds.values()} == {"main", "dev", "fresh"}


@pytest.mark.parametrize("which", ["main", "dev"])
def test_every_task_is_well_formed(
    which: str, worlds: dict[str, dict[str, Any]], main_tasks: list, dev_tasks: list
) -> None:
    tasks = main_tasks if which == "main" else dev_tasks
    problems = [p for t in tasks for p in task_problems(t, worlds, which)]
    assert not problems, "\n".join(problems)


def test_ids_are_unique_across_both_sets(main_tasks: list, dev_tasks: list) -> None:
    counts = Counter(t["id"] for t in main_tasks + dev_tasks)
    assert not [i for i, n in counts.items() if n > 1], (
        f"duplicate ids: {[i for i, n in counts.items() if n > 1]}"
    )


def test_counts_and_coverage(main_tasks: list, dev_tasks: list) -> None:
    goals = sum("goal" in t for t in main_tasks)
    refusals = sum("refuse" in t for t in main_tasks)
    assert goals >= MIN_MAIN_GOALS, f"main set has {goals} tasks to carry out, needs >= {MIN_MAIN_GOALS}"
    assert refusals >= MIN_MAIN_REFUSALS, f"main set has {refusals} refusals, needs >= {MIN_MAIN_REFUSALS}"
    assert len(dev_tasks) >= MIN_DEV, f"dev set has {len(dev_tasks)} tasks, needs >= {MIN_DEV}"
    main_kinds = Counter(t["kind"] for t in main_tasks)
    assert set(main_kinds) == TASK_KINDS | REFUSALS, (
        f"kinds missing from the main set: {(TASK_KINDS | REFUSALS) - set(main_kinds)}"
    )
    assert min(main_kinds.values()) >= 8, f"every kind needs >= 8 main tasks: {main_kinds}"
    assert {t["kind"] for t in dev_tasks} == set(main_kinds), (
        "the dev set must cover the same kinds as the main set"
    )


def test_dev_set_shares_no_sentence_with_main(main_tasks: list, dev_tasks: list) -> None:
    shared = {t["text"] for t in main_tasks if t["text"].strip()} & {t["text"] for t in dev_tasks}
    assert not shared, f"sentences in both sets: {sorted(shared)}"


def test_checker_rejects_bad_tasks(worlds: dict[str, dict[str, Any]]) -> None:
    base = {"id": "x", "world": "tabletop/1001", "kind": "plain", "text": "t"}
    cases = {
        "absent object": {**base, "goal": ["in(block_purple_0, bin_grey_0)"]},
        "unknown predicate": {**base, "goal": ["near(block_red_0, bin_grey_0)"]},
        "bin into a bowl": {**base, "goal": ["in(bin_grey_0, bowl_blue_0)"]},
        "bad direction": {**base, "goal": ["pushed(block_red_0, up)"]},
        "onto itself": {**base, "goal": ["on(block_red_0, block_red_0)"]},
        "two places": {**base, "goal": ["in(block_red_0, bin_grey_0)", "in(block_red_0, bowl_blue_0)"]},
        "both goal and refuse": {**base, "goal": ["held(block_red_0)"], "refuse": "unsafe"},
        "neither": dict(base),
        "unknown world": {**base, "world": "tabletop/1", "goal": ["held(block_red_0)"]},
        "dev world in main": {**base, "world": "tabletop/1101", "goal": ["held(block_blue_0)"]},
        "unknown reason": {**base, "kind": "rude", "refuse": "rude"},
        "kind is not the reason": {**base, "refuse": "unsafe"},
    }
    for label, task in cases.items():
        assert task_problems(task, worlds, "main"), f"{label} was accepted"
    assert not task_problems({**base, "goal": ["in(block_red_0, bin_grey_0)"]}, worlds, "main")


def test_main_set_hash_matches_readme() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    m = re.search(r"sha256 of handwritten_tasks\.yaml: `([0-9a-f]{64})`", readme)
    assert m, "bench/data/README.md must record 'sha256 of handwritten_tasks.yaml: `<hex>`'"
    actual = hashlib.sha256(MAIN.read_bytes()).hexdigest()
    assert actual == m.group(1), (
        f"handwritten_tasks.yaml changed (sha256 {actual}, README says {m.group(1)}); the main set is frozen — "
        "revert the edit, or, for a deliberate new version, record the new hash in the README and say why"
    )


@pytest.mark.sim
def test_worlds_file_matches_the_simulator(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("dump_worlds", DATA.parent / "dump_worlds.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check", "--out", str(WORLDS)]) == 0, (
        "rerun bench/dump_worlds.py: the scenes changed"
    )
