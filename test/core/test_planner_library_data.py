"""The scheduler reads skills from the specs and the skills folder's data files, never by name:
plan parts (spec effects), the distance screen (metric number arguments), the prompt's hints and
examples (skills/_prompt_examples.yaml, checked against the library)."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from robomatrix.learning.tasks import WorldObject
from robomatrix.scheduler import PlanRefused
from robomatrix.scheduler.planner import screen_task
from robomatrix.scheduler.prompt import PROMPT_EXAMPLES_FILE, build_prompt, prompt_examples
from robomatrix.scheduler.tree import plan_parts
from robomatrix.skills.spec import Condition, SkillLibrary, SkillSpecError, load_skill_library, validate_json

LIB = load_skill_library()
WORLD = [
    WorldObject("bin_grey_0", "grey bin", "bin", "grey"),
    WorldObject("block_red_0", "red block", "block", "red"),
    WorldObject("bowl_green_0", "green bowl", "bowl", "green"),
]


@dataclass
class Step:
    skill: str
    args: dict[str, Any]


def renamed(library: SkillLibrary, **names: str) -> SkillLibrary:
    """The library with skills renamed (old=new): code that names skills breaks on it."""
    return SkillLibrary([replace(s, name=names.get(s.name, s.name)) for s in library], root=library.root)


def without(library: SkillLibrary, *names: str) -> SkillLibrary:
    return SkillLibrary([s for s in library if s.name not in names], root=library.root)


# --------------------------------------------------------------------------- plan parts


def test_plan_parts_find_the_held_object_and_target_from_the_specs() -> None:
    lib = renamed(LIB, grasp="pick_block", place_over="hover_above", move_to="go_to", release="let_go")
    steps = [Step("go_to", {"object": "block_red_0"}), Step("pick_block", {"object": "block_red_0"}),
             Step("hover_above", {"target": "bowl_green_0"}), Step("let_go", {}),
             Step("go_to", {"object": "bin_grey_0"})]
    parts = plan_parts(steps, lib)
    assert parts == [([0, 1, 2, 3], [Condition("on", ("block_red_0", "bowl_green_0"))]), ([4], [])]
    # A part without a grasp has no on() goal.
    assert plan_parts([Step("go_to", {"object": "block_red_0"}), Step("let_go", {})], lib) == [([0, 1], [])]


def test_plan_parts_of_a_drawer_use_its_success_conditions() -> None:
    steps = [Step("move_to", {"object": "drawer_white_0"}), Step("open_drawer", {"drawer": "drawer_white_0"})]
    assert plan_parts(steps, LIB) == [
        ([0, 1], [Condition("drawer_open", ("drawer_white_0", True))])]


# --------------------------------------------------------------------------- distance screen


def test_distances_are_checked_against_any_metric_argument() -> None:
    shove = renamed(LIB, push="shove")
    with pytest.raises(PlanRefused, match=r"0.5 m is outside what the skills can do \(shove 0.02-0.2 m\)") as info:
        screen_task("shove the red block 50 cm to the left", WORLD, shove)
    assert info.value.kind == "impossible"
    screen_task("shove the red block 5 cm to the left", WORLD, shove)
    # No skill takes a distance: the screen has nothing to check (the planner may still refuse).
    screen_task("move the red block 50 cm to the left", WORLD, without(LIB, "push"))


# --------------------------------------------------------------------------- prompt hints and examples


def test_prompt_holds_the_hints_and_example_of_the_skills_folder() -> None:
    hints, examples = prompt_examples(LIB)
    assert len(hints) >= 2 and examples
    system = build_prompt("put the red block in the green bowl", WORLD, LIB).system
    for hint in hints:
        assert f"- {hint}" in system
    example = examples[0]
    assert f"Task: {example['task']}\n{json.dumps(example['plan'])}" in system
    assert not validate_json(example["plan"], LIB.to_json_schema())


def test_examples_and_hints_naming_missing_skills_are_left_out(caplog: pytest.LogCaptureFixture) -> None:
    small = without(LIB, "place_over", "push")
    with caplog.at_level(logging.DEBUG, logger="robomatrix.scheduler.prompt"):
        hints, examples = prompt_examples(small)
    assert examples == []
    assert hints and all("place_over" not in h and "push(" not in h for h in hints)
    assert "left out" in caplog.text and "'place_over', which the library lacks" in caplog.text
    system = build_prompt("put the red block in the green bowl", WORLD, small).system
    rules = system[system.index("Rules:"):system.index("JSON schema of the answer")]
    assert "Refuse (with" in rules and "place_over" not in rules and "Example" not in system


def test_examples_that_do_not_fit_the_library_are_left_out(tmp_path: Path) -> None:
    for spec in LIB:
        shutil.copytree(spec.folder, tmp_path / spec.name, ignore=shutil.ignore_patterns("*.pt"))
    data = yaml.safe_load((LIB.root / PROMPT_EXAMPLES_FILE).read_text())
    good = data["examples"][0]
    absent = {**good, "world": good["world"][1:]}  # the plan's first object is not in its world
    bad_args = {**good, "plan": {"steps": [{"skill": good["plan"]["steps"][0]["skill"], "args": {"speed": 1}}]}}
    wrong_signature = "Call " + LIB.names[0] + "(nothing) first."
    data = {"hints": [*data["hints"], wrong_signature], "examples": [absent, bad_args, good]}
    (tmp_path / PROMPT_EXAMPLES_FILE).write_text(yaml.safe_dump(data))
    hints, examples = prompt_examples(load_skill_library(tmp_path))
    assert examples == [good] and wrong_signature not in hints
    (tmp_path / PROMPT_EXAMPLES_FILE).write_text("examples: {task: x}\n")
    with pytest.raises(SkillSpecError, match="must be a mapping with lists .*fix"):
        prompt_examples(load_skill_library(tmp_path))
    (tmp_path / PROMPT_EXAMPLES_FILE).unlink()
    system = build_prompt("put the red block in the green bowl", WORLD, load_skill_library(tmp_path)).system
    assert "Example" not in system and "JSON schema of the answer" in system
