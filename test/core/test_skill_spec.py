"""Skill specs: loading the real skills/ folder, grounding, plan schema, prompt text, errors."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from robomatrix import resources
from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.interface import ObjectInfo
from robomatrix.policies.directions import canonical_direction
from robomatrix.skills.spec import (
    PREDICATES,
    Condition,
    GroundingError,
    SkillArgumentError,
    SkillLibrary,
    SkillSpecError,
    UnknownSkillError,
    canonical_category,
    canonical_colour,
    find_skills_root,
    ground_object,
    load_skill_library,
    load_skill_spec,
    validate_json,
)

REPO_SKILLS = Path(__file__).resolve().parents[2] / "skills"
EXPECTED_SKILLS = {"move_to", "grasp", "place_over", "release", "push", "open_drawer", "close_drawer"}


def obj(id_: str, name: str, category: str, colour: str) -> ObjectInfo:
    return ObjectInfo(
        id=id_,
        name=name,
        category=category,
        colour=colour,
        rgba=(1.0, 0.0, 0.0, 1.0),
        position=np.zeros(3),
        orientation=np.array([0.0, 0.0, 0.0, 1.0]),
        size=np.full(3, 0.04),
    )


WORLD = [
    obj("block_red_0", "red block", "block", "red"),
    obj("block_blue_0", "blue block", "block", "blue"),
    obj("bowl_green_0", "green bowl", "bowl", "green"),
    obj("bin_0", "grey bin", "bin", "grey"),
    obj("drawer_0", "drawer", "drawer", ""),
]


@pytest.fixture(scope="module")
def library() -> SkillLibrary:
    return load_skill_library()


# ---------------------------------------------------------------- the real library


def test_default_root_is_the_repo_skills_folder(monkeypatch):
    monkeypatch.delenv("ROBOMATRIX_SKILLS_DIR", raising=False)
    assert find_skills_root() == REPO_SKILLS


def test_real_library_loads(library):
    assert set(library.names) == EXPECTED_SKILLS
    assert len(library) == 7
    assert list(library.names) == sorted(library.names)
    for spec in library:
        assert spec.folder == REPO_SKILLS / spec.name
        assert spec.policy_path == REPO_SKILLS / spec.name / "policy.pt"
        assert 0 < spec.timeout <= 600
        assert spec.success
        assert spec.description
        assert (REPO_SKILLS / spec.name / "CARD.md").is_file()


def test_real_library_contents(library):
    grasp = library.get("grasp")
    assert grasp.signature == "grasp(object)"
    assert grasp.argument("object").categories == ("block", "object")
    assert Condition("holding", ("none",)) in grasp.preconditions
    assert Condition("holding", ("$object",)) in grasp.success
    push = library["push"]
    assert push.signature == "push(object, direction, distance)"
    assert push.argument("direction").values == ("forward", "backward", "left", "right")
    distance = push.argument("distance")
    assert (distance.range, distance.unit, distance.default, distance.required) == (
        (0.02, 0.2),
        "m",
        0.1,
        False,
    )
    # a partly open drawer can be opened further; an open one is skipped by the tree (its success holds)
    assert library["open_drawer"].preconditions[-1] == Condition("at", ("$drawer",))
    assert library["release"].arguments == ()
    assert "place_over" in library and "fly" not in library


def test_spec_round_trips_through_yaml(library, tmp_path):
    for spec in library:
        folder = tmp_path / spec.name
        folder.mkdir()
        (folder / "spec.yaml").write_text(spec.to_yaml())
        again = load_skill_spec(folder / "spec.yaml")
        assert again.to_dict() == spec.to_dict()
        assert again.arguments == spec.arguments and again.success == spec.success


def test_unknown_skill_lists_valid_names(library):
    with pytest.raises(UnknownSkillError) as info:
        library.get("pick_up")
    assert "'pick_up'" in str(info.value)
    for name in EXPECTED_SKILLS:
        assert name in str(info.value)
    assert issubclass(UnknownSkillError, RobomatrixError)


def test_condition_bind_and_text():
    cond = Condition("on", ("$object", "$target"))
    assert cond.references == ("object", "target")
    assert cond.to_text() == "on($object, $target)"
    assert cond.bind({"object": "block_red_0", "target": "bowl_green_0"}) == Condition(
        "on", ("block_red_0", "bowl_green_0")
    )
    assert Condition("drawer_open", ("$drawer", True)).to_text() == "drawer_open($drawer, true)"
    assert Condition("holding", ("none",)).bind({}) == Condition("holding", ("none",))
    with pytest.raises(SkillArgumentError, match=r"refers to \$target but no value was given for 'target'"):
        cond.bind({"object": "block_red_0"})


# ---------------------------------------------------------------- grounding


def test_synonym_tables():
    assert canonical_colour("Crimson") == "red"
    assert canonical_colour("gray") == "grey"
    assert canonical_colour("table") is None
    assert canonical_category("cube") == "block"
    assert canonical_category("basket") == "bin"
    assert canonical_category("container") == "bin"
    assert canonical_category("dish") == "bowl"
    assert canonical_direction(" Forwards ") == "forward"
    assert canonical_direction("back") == "backward"
    assert canonical_direction("sideways") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("block_red_0", "block_red_0"),  # exact id
        ("BLOCK_RED_0", "block_red_0"),  # id ignoring case
        ("red block", "block_red_0"),  # name
        ("the red block", "block_red_0"),
        ("Block, red", "block_red_0"),  # colour + category, any order
        ("crimson cube", "block_red_0"),  # synonyms
        ("the green dish", "bowl_green_0"),
        ("bowl", "bowl_green_0"),  # category alone, unambiguous
        ("basket", "bin_0"),
        ("container", "bin_0"),
        ("gray bin", "bin_0"),
        ("drawer", "drawer_0"),
        ("blue one", "block_blue_0"),  # colour alone, unambiguous
    ],
)
def test_ground_object(query, expected):
    assert ground_object(query, WORLD).id == expected


def test_ground_object_accepts_mappings():
    world = [{"id": "mug_0", "name": "coffee mug", "category": "object", "colour": "white"}]
    assert ground_object("coffee mug", world)["id"] == "mug_0"
    assert ground_object("white object", world)["id"] == "mug_0"


def test_ground_object_ambiguous_lists_candidates():
    with pytest.raises(GroundingError) as info:
        ground_object("block", WORLD)
    message = str(info.value)
    assert "ambiguous" in message
    assert "block_red_0 (red block)" in message and "block_blue_0 (blue block)" in message
    assert "bowl_green_0" not in message


def test_ground_object_same_name_twice_is_ambiguous():
    world = [obj("block_red_0", "red block", "block", "red"), obj("block_red_1", "red block", "block", "red")]
    with pytest.raises(GroundingError, match="block_red_0 .*block_red_1"):
        ground_object("red block", world)
    assert ground_object("block_red_1", world).id == "block_red_1"


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("yellow block", "no object matches 'yellow block'"),
        ("purple", "no object matches"),
        ("red table", "the word(s) 'table' match no object name, colour or category"),
        ("red blue block", "more than one colour or category"),
        ("block bowl", "more than one colour or category"),
        ("", "must be non-empty text"),
        ("the", "names no object"),
    ],
)
def test_ground_object_failures_list_objects(query, reason):
    with pytest.raises(GroundingError) as info:
        ground_object(query, WORLD)
    assert reason in str(info.value)
    if query.strip():
        assert "objects present: block_red_0 (red block), block_blue_0 (blue block)" in str(info.value)


def test_ground_object_category_restriction():
    assert (
        ground_object("red", WORLD + [obj("bowl_red_0", "red bowl", "bowl", "red")], ["block"]).id
        == "block_red_0"
    )
    with pytest.raises(
        GroundingError, match=r"'green bowl' is bowl_green_0, a bowl, but a block is expected"
    ):
        ground_object("green bowl", WORLD, ["block"])
    with pytest.raises(GroundingError, match="a block | bowl is expected"):
        ground_object("bin_0", WORLD, ["block", "bowl"])


def test_ground_object_in_empty_world():
    with pytest.raises(GroundingError, match="objects present: none"):
        ground_object("red block", [])


# ---------------------------------------------------------------- validate_arguments


def test_validate_arguments_grounds(library):
    assert library["grasp"].validate_arguments({"object": "crimson cube"}, WORLD) == {"object": "block_red_0"}
    assert library["place_over"].validate_arguments({"target": "the basket"}, WORLD) == {"target": "bin_0"}
    assert library["open_drawer"].validate_arguments({"drawer": "drawer"}, WORLD) == {"drawer": "drawer_0"}
    assert library["release"].validate_arguments({}, WORLD) == {}
    assert library["push"].validate_arguments({"object": "blue block", "direction": "Left"}, WORLD) == {
        "object": "block_blue_0",
        "direction": "left",
        "distance": 0.1,
    }
    assert library["push"].validate_arguments(
        {"object": "block_red_0", "direction": "backwards", "distance": 0.05}, WORLD
    ) == {"object": "block_red_0", "direction": "backward", "distance": 0.05}


@pytest.mark.parametrize(
    ("skill", "args", "fragments"),
    [
        (
            "grasp",
            {},
            ["grasp(object) needs argument 'object'", "category block", "objects present: block_red_0"],
        ),
        ("grasp", {"object": "red block", "speed": 1}, ["has no argument(s) ['speed']", "['object']"]),
        ("release", {"object": "x"}, ["release() has no argument(s) ['object']", "its arguments are none"]),
        ("grasp", ["red block"], ["must be a mapping"]),
        (
            "grasp",
            {"object": "green bowl"},
            [
                "argument 'object' = 'green bowl'",
                "a bowl, but a block | object is expected",
                "expected an object in the scene of category block",
                "objects present:",
            ],
        ),
        (
            "grasp",
            {"object": "block"},
            ["argument 'object' = 'block'", "ambiguous", "block_red_0 (red block)"],
        ),
        (
            "grasp",
            {"object": "yellow block"},
            ["'yellow block'", "no object matches", "objects present: block_red_0"],
        ),
        ("grasp", {"object": 3}, ["argument 'object' = 3", "must be text"]),
        (
            "push",
            {"object": "red block", "direction": "up"},
            ["argument 'direction' = 'up'", "one of forward | backward | left | right"],
        ),
        ("push", {"object": "red block", "direction": "sideways"}, ["not an accepted direction"]),
        ("push", {"object": "red block", "direction": 1}, ["argument 'direction' = 1"]),
        (
            "push",
            {"object": "red block", "direction": "left", "distance": 0.5},
            ["'distance' = 0.5", "out of range", "[0.02, 0.2] m"],
        ),
        (
            "push",
            {"object": "red block", "direction": "left", "distance": "far"},
            ["'distance' = 'far'", "finite number"],
        ),
        ("push", {"object": "red block", "direction": "left", "distance": True}, ["finite number"]),
        ("push", {"object": "red block", "direction": "left", "distance": float("nan")}, ["finite number"]),
    ],
)
def test_validate_arguments_errors(library, skill, args, fragments):
    with pytest.raises(SkillArgumentError) as info:
        library[skill].validate_arguments(args, WORLD)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_argument_lookup_error(library):
    with pytest.raises(SkillArgumentError, match="grasp.*no argument 'target'.*\\['object'\\]"):
        library["grasp"].argument("target")


# ---------------------------------------------------------------- plan schema


GOOD_PLAN = {
    "steps": [
        {"skill": "move_to", "args": {"object": "red block"}},
        {"skill": "grasp", "args": {"object": "red block"}},
        {"skill": "place_over", "args": {"target": "green bowl"}},
        {"skill": "release", "args": {}},
        {"skill": "push", "args": {"object": "blue block", "direction": "left"}},
        {"skill": "push", "args": {"object": "blue block", "direction": "forward", "distance": 0.05}},
    ]
}


def test_schema_is_json_and_accepts_a_good_plan(library):
    schema = library.to_json_schema()
    assert json.loads(json.dumps(schema)) == schema
    assert validate_json(GOOD_PLAN, schema) == []
    assert validate_json(json.loads(json.dumps(GOOD_PLAN)), schema) == []
    step_names = [b["properties"]["skill"]["const"] for b in schema["properties"]["steps"]["items"]["oneOf"]]
    assert sorted(step_names) == sorted(EXPECTED_SKILLS)


@pytest.mark.parametrize(
    ("plan", "fragment"),
    [
        ([], "$: expected object, got list"),
        ({}, "$: missing required property 'steps'"),
        ({"steps": []}, "$.steps: needs at least 1 item(s), got 0"),
        ({"steps": [], "why": "x"}, "$.why: unexpected property"),
        ({"steps": [{"skill": "fly", "args": {}}]}, "$.steps[0].skill: 'fly' is not one of ["),
        ({"steps": [{"skill": "grasp"}]}, "$.steps[0]: missing required property 'args'"),
        ({"steps": [{"skill": "grasp", "args": {}}]}, "$.steps[0].args: missing required property 'object'"),
        (
            {"steps": [{"skill": "grasp", "args": {"object": 1}}]},
            "$.steps[0].args.object: expected string, got int 1",
        ),
        (
            {"steps": [{"skill": "grasp", "args": {"object": ""}}]},
            "$.steps[0].args.object: must be at least 1 character",
        ),
        (
            {"steps": [{"skill": "grasp", "args": {"object": "a", "target": "b"}}]},
            "$.steps[0].args.target: unexpected property",
        ),
        ({"steps": [{"skill": "release", "args": {}, "note": 1}]}, "$.steps[0].note: unexpected property"),
        (
            {"steps": [{"skill": "push", "args": {"object": "a", "direction": "up"}}]},
            "$.steps[0].args.direction: 'up' is not one of ['forward'",
        ),
        (
            {"steps": [{"skill": "push", "args": {"object": "a", "direction": "left", "distance": 9}}]},
            "$.steps[0].args.distance: 9 is above the maximum 0.2",
        ),
        (
            {"steps": [{"skill": "push", "args": {"object": "a", "direction": "left", "distance": 0}}]},
            "distance: 0 is below the minimum 0.02",
        ),
        (
            {"steps": [{"skill": "push", "args": {"object": "a", "direction": "left", "distance": True}}]},
            "expected number, got bool",
        ),
        ({"steps": ["grasp"]}, "$.steps[0]: matches none of the 7 alternatives"),
        ({"steps": [{"skill": "release", "args": {}}] * 40}, "at most 32 item(s), got 40"),
    ],
)
def test_schema_rejects_bad_plans(library, plan, fragment):
    errors = validate_json(plan, library.to_json_schema())
    assert errors
    assert any(fragment in e for e in errors), errors


def test_schema_errors_point_at_the_bad_step_only(library):
    plan = {"steps": [GOOD_PLAN["steps"][0], {"skill": "grasp", "args": {}}]}
    errors = validate_json(plan, library.to_json_schema())
    assert errors == ["$.steps[1].args: missing required property 'object'"]


def test_validator_subset():
    assert validate_json(3, {"type": "integer", "minimum": 1}) == []
    assert validate_json(3.5, {"type": "integer"}) == ["$: expected integer, got float 3.5"]
    assert validate_json(None, {"type": "null"}) == []
    assert validate_json("a", {"anyOf": [{"const": "a"}, {"type": "string"}]}) == []
    assert validate_json("a", {"oneOf": [{"const": "a"}, {"type": "string"}]}) == [
        "$: matches 2 alternatives, expected exactly one"
    ]
    with pytest.raises(SkillSpecError, match=r"does not support schema keyword\(s\) \['pattern'\]"):
        validate_json("a", {"type": "string", "pattern": "a+"})


# ---------------------------------------------------------------- prompt text


def test_prompt_text(library):
    text = library["push"].to_prompt_text()
    assert text.splitlines()[0] == "push(object, direction, distance)"
    assert "one of forward | backward | left | right" in text
    assert "a number in [0.02, 0.2] m, default 0.1" in text
    assert "preconditions: holding(none), at($object)" in text
    assert "success: moved($object, $direction)" in text
    assert "timeout: 20 s" in text
    assert "release()" in library["release"].to_prompt_text()
    full = library.to_prompt_text()
    for name in EXPECTED_SKILLS:
        assert f"\n{name}(" in full
    for predicate in PREDICATES.values():
        assert predicate.signature in full
    assert "forward = away from its base" in full


# ---------------------------------------------------------------- malformed specs

GOOD_SPEC = """\
name: demo
description: Do the demo thing with an object.
arguments:
  - name: object
    type: object
    description: the object
    categories: [block]
  - name: direction
    type: direction
    description: which way
    values: [left, right]
  - name: distance
    type: number
    description: how far
    range: [0.0, 1.0]
    unit: m
preconditions:
  - holding: none
effects:
  - moved: [$object, $direction]
success:
  - moved: [$object, left]
timeout: 5
policy: policy.pt
"""


def write_spec(tmp_path: Path, text: str, folder: str = "demo") -> Path:
    path = tmp_path / folder / "spec.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def mutate(changes: dict, drop: tuple[str, ...] = ()) -> str:
    data = yaml.safe_load(GOOD_SPEC)
    for key in drop:
        del data[key]
    data.update(changes)
    return yaml.safe_dump(data, sort_keys=False)


def test_good_spec_loads(tmp_path):
    spec = load_skill_spec(write_spec(tmp_path, GOOD_SPEC))
    assert spec.name == "demo" and spec.timeout == 5.0
    assert spec.success == (Condition("moved", ("$object", "left")),)
    assert spec.argument("distance").required


ARG = {"name": "object", "type": "object", "description": "the object", "categories": ["block"]}


@pytest.mark.parametrize(
    ("text", "field", "fix"),
    [
        (mutate({}, drop=("timeout",)), "'timeout': missing", "add `timeout:`"),
        (mutate({}, drop=("success",)), "'success': missing", "add `success:`"),
        (mutate({}, drop=("description",)), "'description': missing", "add `description:`"),
        (mutate({"colour": "red"}), "'colour': unknown key", "allowed keys are"),
        (mutate({"timeout": -1}), "'timeout': must be seconds in (0, 600], got -1", "timeout: 20.0"),
        (mutate({"timeout": 0}), "'timeout'", "timeout: 20.0"),
        (mutate({"timeout": 1e6}), "'timeout'", "timeout: 20.0"),
        (mutate({"timeout": "20 s"}), "'timeout': must be seconds", "timeout: 20.0"),
        (mutate({"timeout": True}), "'timeout'", "timeout: 20.0"),
        (mutate({"timeout": float("nan")}), "'timeout'", "timeout: 20.0"),
        (mutate({"name": "other"}), "'name': 'other' differs from its folder 'demo'", "rename one"),
        (mutate({"name": "Demo Skill"}), "'name': 'Demo Skill' is not lower_snake_case", "underscores"),
        (mutate({"name": 3}), "'name': must be non-empty text", "name: demo"),
        (mutate({"description": ""}), "'description': must be non-empty text", "description:"),
        (
            mutate({"policy": "/abs/policy.pt"}),
            "'policy': '/abs/policy.pt' must be a .pt path",
            "policy: policy.pt",
        ),
        (mutate({"policy": "../x.pt"}), "'policy'", "policy: policy.pt"),
        (mutate({"policy": "policy.pkl"}), "'policy'", "policy: policy.pt"),
        (mutate({"arguments": {"object": "block"}}), "'arguments': must be a list", "arguments: []"),
        (mutate({"arguments": ["object"]}), "'arguments[0]': must be a mapping", "name: object"),
        (
            mutate({"arguments": [{**ARG, "type": "colour"}]}),
            "'arguments[0].type': 'colour' is not a type",
            "['object', 'direction', 'number']",
        ),
        (
            mutate({"arguments": [{**ARG, "values": ["left"]}]}),
            "'arguments[0].values': unknown key for a object argument",
            "allowed keys",
        ),
        (
            mutate({"arguments": [{k: v for k, v in ARG.items() if k != "categories"}]}),
            "'arguments[0].categories': missing",
            "add `categories:`",
        ),
        (
            mutate({"arguments": [{**ARG, "categories": ["table"]}]}),
            "'arguments[0].categories': ['table'] not allowed",
            "choose from",
        ),
        (
            mutate({"arguments": [{**ARG, "categories": []}]}),
            "'arguments[0].categories': must be a non-empty list",
            "choose from",
        ),
        (mutate({"arguments": [{**ARG, "categories": ["block", "block"]}]}), "repeats a word", "once"),
        (mutate({"arguments": [ARG, ARG]}), "'arguments[1].name': duplicate argument 'object'", "own name"),
        (
            mutate({"arguments": [{**ARG, "name": "The Object"}]}),
            "'arguments[0].name': 'The Object' is not lower_snake_case",
            "name: target",
        ),
        (
            mutate(
                {"arguments": [{"name": "d", "type": "direction", "description": "x", "values": ["north"]}]}
            ),
            "'arguments[0].values': ['north'] not allowed",
            "choose from",
        ),
        (
            mutate(
                {
                    "arguments": [
                        {"name": "n", "type": "number", "description": "x", "range": [1, 0], "unit": "m"}
                    ]
                }
            ),
            "'arguments[0].range': must be [low, high] with low < high",
            "range: [0.02, 0.2]",
        ),
        (
            mutate(
                {
                    "arguments": [
                        {
                            "name": "n",
                            "type": "number",
                            "description": "x",
                            "range": [0, 1],
                            "unit": "m",
                            "default": 2,
                        }
                    ]
                }
            ),
            "'arguments[0].default': 2 is not a number in [0, 1]",
            "inside the range",
        ),
        (
            mutate({"arguments": [{"name": "n", "type": "number", "description": "x", "range": [0, 1]}]}),
            "'arguments[0].unit': missing",
            "add `unit:`",
        ),
        (mutate({"success": []}), "'success': needs at least one condition", "- holding: $object"),
        (
            mutate({"success": {"holding": "none"}}),
            "'success': must be a list of conditions",
            "- holding: none",
        ),
        (
            mutate({"success": ["holding none"]}),
            "'success[0]': must be one `predicate: value` mapping",
            "- holding: $object",
        ),
        (
            mutate({"success": [{"holding": "none", "gripper": "open"}]}),
            "'success[0]': must be one",
            "- holding: $object",
        ),
        (
            mutate({"success": [{"is_red": "$object"}]}),
            "'success[0]': unknown predicate 'is_red'",
            "'drawer_open'",
        ),
        (
            mutate({"effects": [{"on": "$object"}]}),
            "'effects[0]': on takes 2 value(s)",
            "on(object | any, target) in a YAML list",
        ),
        (
            mutate({"effects": [{"holding": "$target"}]}),
            "'effects[0].holding': $target refers to no argument",
            "'$object'",
        ),
        (
            mutate({"effects": [{"holding": "$direction"}]}),
            "$direction is a direction argument, expected a object",
            "holding(none | any | object)",
        ),
        (
            mutate({"effects": [{"holding": "block_red_0"}]}),
            "'block_red_0' is not allowed",
            "['none', 'any', '$object argument']",
        ),
        (
            mutate({"effects": [{"gripper": "shut"}]}),
            "'effects[0].gripper': 'shut' is not allowed",
            "['open', 'closed']",
        ),
        (
            mutate({"effects": [{"drawer_open": ["$object", "yes"]}]}),
            "expects true or false, got 'yes'",
            "drawer_open(drawer, true | false)",
        ),
        (
            mutate({"effects": [{"moved": ["$object", "north"]}]}),
            "'north' is not allowed",
            "$direction argument",
        ),
        (mutate({"preconditions": [{"holding": "os.system('rm -rf /')"}]}), "is not allowed", "holding(none"),
        ("- just\n- a list\n", "a spec must be a YAML mapping", "skills/README.md"),
        ("name: [unclosed\n", "not valid YAML", "correct the syntax"),
    ],
)
def test_malformed_spec_names_file_field_and_fix(tmp_path, text, field, fix):
    path = write_spec(tmp_path, text)
    with pytest.raises(SkillSpecError) as info:
        load_skill_spec(path)
    message = str(info.value)
    assert str(path) in message
    assert field in message, message
    assert fix in message, message
    assert isinstance(info.value, ConfigError)


def test_reference_in_spec_without_arguments(tmp_path):
    text = mutate({"arguments": [], "effects": [], "success": [{"holding": "$object"}]})
    with pytest.raises(SkillSpecError, match="no references"):
        load_skill_spec(write_spec(tmp_path, text))


def test_missing_spec_file(tmp_path):
    with pytest.raises(SkillSpecError, match="cannot read the spec"):
        load_skill_spec(tmp_path / "nope" / "spec.yaml")


def test_library_folder_errors(tmp_path, monkeypatch):
    with pytest.raises(SkillSpecError, match="does not exist"):
        load_skill_library(tmp_path / "missing")
    with pytest.raises(SkillSpecError, match="holds no skills"):
        load_skill_library(tmp_path)
    (tmp_path / "empty_skill").mkdir()
    with pytest.raises(SkillSpecError, match=r"empty_skill: a skill folder without spec.yaml; fix: add"):
        load_skill_library(tmp_path)


def test_library_from_custom_root_and_env(tmp_path, monkeypatch):
    write_spec(tmp_path, GOOD_SPEC)
    (tmp_path / "__pycache__").mkdir()
    assert load_skill_library(tmp_path).names == ("demo",)
    monkeypatch.setenv("ROBOMATRIX_SKILLS_DIR", str(tmp_path))
    assert find_skills_root() == tmp_path
    assert load_skill_library().names == ("demo",)
    monkeypatch.setenv("ROBOMATRIX_SKILLS_DIR", str(tmp_path / "nope"))
    with pytest.raises(SkillSpecError, match="ROBOMATRIX_SKILLS_DIR=.*is not a folder"):
        find_skills_root()


def test_root_not_found_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("ROBOMATRIX_SKILLS_DIR", raising=False)
    monkeypatch.delenv("ROBOMATRIX_SHARE_DIR", raising=False)
    monkeypatch.setattr(resources, "PACKAGE_DIR", tmp_path / "site" / "robomatrix")
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(tmp_path / "no_prefix"))
    with pytest.raises(SkillSpecError) as info:
        find_skills_root()
    message = str(info.value)
    assert str(tmp_path / "site" / "skills") in message
    assert str(tmp_path / "no_prefix" / "share" / "robomatrix" / "skills") in message
    assert "ROBOMATRIX_SKILLS_DIR" in message


def test_root_found_in_ament_share(tmp_path, monkeypatch):
    monkeypatch.delenv("ROBOMATRIX_SKILLS_DIR", raising=False)
    monkeypatch.delenv("ROBOMATRIX_SHARE_DIR", raising=False)
    monkeypatch.setattr(resources, "PACKAGE_DIR", tmp_path / "site" / "robomatrix")
    share = tmp_path / "install" / "share" / "robomatrix"
    for sub in ("skills", "config"):
        (share / sub).mkdir(parents=True)
    (share / "package.xml").write_text("<package/>")
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(tmp_path / "install"))
    assert find_skills_root() == share / "skills"


def test_duplicate_names_in_library(library):
    spec = library["grasp"]
    with pytest.raises(SkillSpecError, match="two specs are named 'grasp'"):
        SkillLibrary([spec, spec])
