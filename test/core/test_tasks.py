"""Task families (robomatrix.learning.tasks): expected plans per family, the drawer family as a
real plan now that place_over accepts an open drawer, and agreement between the generator and
expected_plan (the benchmark's reference plans)."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import yaml

from robomatrix.learning.tasks import (
    PLANS_FILE,
    WorldObject,
    expand_plan,
    expected_plan,
    generate_examples,
    ground_plan,
    load_plan_patterns,
    world_from_objects,
)
from robomatrix.skills.spec import SkillLibrary, SkillSpecError, load_skill_library

LIB = load_skill_library()


def W(*ids: str) -> list[WorldObject]:  # noqa: N802 - reads like a constructor
    out = []
    for i in ids:
        category, colour, _ = i.split("_")
        out.append(WorldObject(i, f"{colour} {category}", category, colour))
    return out


def skills(steps: list[dict]) -> list[str]:
    return [s["skill"] for s in steps]


PUT = ["move_to", "grasp", "place_over", "release"]


def test_drawer_put_examples_are_plans_into_the_open_drawer() -> None:
    examples = [e for e in generate_examples(400, seed=5, library=LIB, families=["drawer_put"],
                                             negative_fraction=0.0)]
    assert examples and all(e.family == "drawer_put" for e in examples)
    for ex in examples:
        assert ex.refusal is None and ex.steps is not None, ex.task
        assert skills(list(ex.steps)) == ["move_to", "open_drawer", *PUT, "move_to", "close_drawer"]
        drawer = next(o for o in ex.world if o.category == "drawer")
        assert ex.steps[4] == {"skill": "place_over", "args": {"target": drawer.name}}
        assert ex.steps[1]["args"] == {"drawer": drawer.name} and ex.steps[7]["args"] == {"drawer": drawer.name}
        grounded = ground_plan(ex.steps, ex.world, LIB)
        assert grounded[4] == ("place_over", {"target": drawer.id})


def test_expected_plan_per_family() -> None:
    world = W("bin_grey_0", "block_red_0", "block_green_0", "block_red_1", "block_blue_0", "bowl_green_0",
              "bowl_blue_0")
    assert expected_plan("put_in", world, x="block_green_0", y="bowl_blue_0") == [
        {"skill": "move_to", "args": {"object": "green block"}}, {"skill": "grasp", "args": {"object": "green block"}},
        {"skill": "place_over", "args": {"target": "blue bowl"}}, {"skill": "release", "args": {}}]
    # Two red blocks share a name: the plan names them by id.
    colour = expected_plan("put_colour", world, colour="red", y="bowl_green_0")
    assert [s["args"].get("object") for s in colour if s["skill"] == "grasp"] == ["block_red_0", "block_red_1"]
    assert {s["args"]["target"] for s in colour if s["skill"] == "place_over"} == {"green bowl"}
    clear = expected_plan("clear", world)
    assert skills(clear) == PUT * 4
    assert {s["args"]["target"] for s in clear if s["skill"] == "place_over"} == {"grey bin"}
    stack = expected_plan("stack", world, a="block_green_0", b="block_blue_0", c="block_red_1")
    assert [s["args"] for s in stack if s["skill"] in ("grasp", "place_over")] == [
        {"object": "blue block"}, {"target": "block_red_1"}, {"object": "green block"}, {"target": "blue block"}]
    sort = expected_plan("sort", world)  # the red blocks have no red bowl
    assert [(s["args"].get("object"), ) for s in sort if s["skill"] == "grasp"] == [("green block",), ("blue block",)]
    assert [s["args"]["target"] for s in sort if s["skill"] == "place_over"] == ["green bowl", "blue bowl"]
    for family, choice in (("put_in", {"x": "block_green_0", "y": "bowl_blue_0"}),
                           ("put_colour", {"colour": "red", "y": "bowl_green_0"}), ("clear", {}),
                           ("stack", {"a": "block_green_0", "b": "block_blue_0", "c": "block_red_1"}), ("sort", {})):
        assert ground_plan(expected_plan(family, world, **choice), world, LIB)


def test_expected_plan_for_the_drawer_and_its_errors() -> None:
    world = W("drawer_white_0", "block_red_0", "block_blue_0", "bowl_green_0")
    steps = expected_plan("drawer_put", world, x="block_blue_0")
    assert skills(steps) == ["move_to", "open_drawer", *PUT, "move_to", "close_drawer"]
    assert steps[2]["args"] == {"object": "blue block"} and steps[4]["args"] == {"target": "white drawer"}
    assert ground_plan(steps, world, LIB)[4] == ("place_over", {"target": "drawer_white_0"})
    with pytest.raises(ValueError, match="needs x"):
        expected_plan("drawer_put", world)
    with pytest.raises(ValueError, match="not in the world"):
        expected_plan("put_in", world, x="block_pink_0", y="bowl_green_0")
    with pytest.raises(ValueError, match="exactly one bin"):
        expected_plan("clear", world)
    with pytest.raises(ValueError, match="exactly one drawer"):
        expected_plan("drawer_put", W("block_red_0"), x="block_red_0")
    with pytest.raises(ValueError, match="no expected_plan rule"):
        expected_plan("juggle", world)


def _choice_of(family: str, world: list[WorldObject], steps: list[dict]) -> dict[str, str]:
    """The objects a generated example chose, read back from its plan (by id)."""
    by_ref = {o.name: o.id for o in world} | {o.id: o.id for o in world}
    grasped = [by_ref[s["args"]["object"]] for s in steps if s["skill"] == "grasp"]
    targets = [by_ref[s["args"]["target"]] for s in steps if s["skill"] == "place_over"]
    if family == "put_in":
        return {"x": grasped[0], "y": targets[0]}
    if family == "put_colour":
        return {"colour": next(o.colour for o in world if o.id == grasped[0]), "y": targets[0]}
    if family == "drawer_put":
        return {"x": grasped[0]}
    if family == "stack":
        return {"a": grasped[1], "b": grasped[0], "c": targets[0]}
    return {}


@pytest.mark.parametrize("family", ["put_colour", "clear", "sort", "drawer_put", "stack", "put_in"])
def test_generated_examples_follow_expected_plan(family: str) -> None:
    examples = generate_examples(60, seed=11, library=LIB, families=[family], negative_fraction=0.0)
    assert len(examples) == 60
    for ex in examples:
        world = list(ex.world)
        choice = _choice_of(family, world, list(ex.steps))
        assert expected_plan(family, world, **choice) == list(ex.steps), ex.task


def test_world_from_objects_keeps_order_and_fields() -> None:
    class Info:
        def __init__(self, i: str, name: str, category: str, colour: str) -> None:
            self.id, self.name, self.category, self.colour = i, name, category, colour

    objs = [Info("bowl_red_0", "red bowl", "bowl", "red"), {"id": "block_blue_0", "name": "blue block",
                                                            "category": "block", "colour": "blue"}]
    assert world_from_objects(objs) == [WorldObject("bowl_red_0", "red bowl", "bowl", "red"),
                                        WorldObject("block_blue_0", "blue block", "block", "blue")]


def _digest(library) -> str:  # type: ignore[no-untyped-def]
    h = hashlib.sha256()
    for split in ("train", "test"):
        for seed in (0, 1):
            for ex in generate_examples(150, seed=seed, split=split, library=library):
                h.update(json.dumps([ex.task, [[o.id, o.name, o.category, o.colour] for o in ex.world], ex.family,
                                     ex.steps, ex.refusal]).encode())
    return h.hexdigest()


def test_generated_data_is_pinned_for_fixed_seeds() -> None:
    """The plans come from skills/_plans.yaml; the data for a fixed seed is the same as when they
    were written in code (digests recorded then), also with skills missing (-> `impossible`). On
    purpose changes to families, templates or patterns: update the digests."""
    assert _digest(LIB) == "c3c47e7310f33fbea64ea6e185049b1e8a2dda43ea8d946b6286cff8f28786f9"
    small = SkillLibrary([s for s in LIB if s.name not in ("open_drawer", "push")])
    assert _digest(small) == "d3f5630e69ebaf67de0d8c8789fbc88431e89f5ba2d7f5f24455f7d8e84bf04a"


def test_missing_skill_or_pattern_makes_a_family_impossible(tmp_path) -> None:  # type: ignore[no-untyped-def]
    small = SkillLibrary([s for s in LIB if s.name != "place_over"])
    examples = generate_examples(30, seed=2, library=small, families=["put_in", "pick"], negative_fraction=0.0)
    assert {e.family for e in examples} == {"put_in", "pick"}
    for ex in examples:
        assert (ex.refusal == "impossible") == (ex.family == "put_in"), ex
    # A skills folder whose _plans.yaml lacks a family's pattern: that family is impossible too.
    for spec in LIB:
        shutil.copytree(spec.folder, tmp_path / spec.name, ignore=shutil.ignore_patterns("*.pt"))
    patterns = yaml.safe_load((LIB.root / PLANS_FILE).read_text())
    del patterns["pick"]
    (tmp_path / PLANS_FILE).write_text(yaml.safe_dump(patterns))
    examples = generate_examples(30, seed=2, library=load_skill_library(tmp_path), families=["put_in", "pick"],
                                 negative_fraction=0.0)
    for ex in examples:
        assert (ex.refusal == "impossible") == (ex.family == "pick"), ex
    with pytest.raises(ValueError, match="no plan pattern 'pick'"):
        expand_plan([("pick", {"x": "red block"})], load_plan_patterns(tmp_path))


def test_plan_pattern_file_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SkillSpecError, match="there is no _plans.yaml.*fix: add one"):
        load_plan_patterns(tmp_path)
    (tmp_path / PLANS_FILE).write_text("put_in: [[move_to]]\n")
    with pytest.raises(SkillSpecError, match=r"pattern 'put_in' must be .*fix"):
        load_plan_patterns(tmp_path)
    (tmp_path / PLANS_FILE).write_text("put_in: [[move_to, {object: $x}]]\n")
    patterns = load_plan_patterns(tmp_path)
    assert expand_plan([("put_in", {"x": "red block"})], patterns) == [
        {"skill": "move_to", "args": {"object": "red block"}}]
    with pytest.raises(SkillSpecError, match=r"uses \$x but the family fills only \['y'\]"):
        expand_plan([("put_in", {"y": "red block"})], patterns)
    # An empty placeholder leaves its argument out (push without a distance).
    (tmp_path / PLANS_FILE).write_text("p: [[push, {object: $x, distance: $d}]]\n")
    assert expand_plan([("p", {"x": "a", "d": None})], load_plan_patterns(tmp_path)) == [
        {"skill": "push", "args": {"object": "a"}}]
