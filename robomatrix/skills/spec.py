"""Skill specs: the skill library as data, loaded from ``skills/<name>/spec.yaml``.

Core module: imports no rclpy. This is the single source of truth that the skill server's
registry, the LLM prompt, the plan schema and the behaviour-tree builder all read.

A spec file (every key required unless marked optional; no other keys allowed)::

    name: grasp                       # must equal the folder name
    description: >                    # written for an LLM planner: what, when, what it needs
      Close the gripper on an object the gripper is already positioned at.
    arguments:                        # optional, default []
      - name: object
        type: object                  # object | direction | number
        description: the block to grasp
        categories: [block]           # object only: categories it accepts
      # direction: `values: [forward, backward, left, right]`
      # number:    `range: [0.02, 0.20]`, `unit: m`, optional `default: 0.1`
    preconditions:                    # optional, default []
      - holding: none
      - at: $object
    effects:                          # optional, default []
      - holding: $object
    success:                          # required, at least one condition
      - holding: $object
    timeout: 15.0                     # s, > 0 and <= 600
    policy: policy.pt                 # checkpoint, relative to the skill's folder (may not exist yet)

Conditions are **data, never code** (nothing is evaluated): each is a one-key mapping
``predicate: value`` (or ``predicate: [value, value]``) from :data:`PREDICATES`. A value
is a reference ``$arg`` to one of the skill's arguments, or one of the predicate's
constants (``none``, ``any``, ``open``, ``closed``, ``true``/``false``, a direction word).

Object grounding (:func:`ground_object`) and the category synonyms (:data:`CATEGORY_SYNONYMS`)
live here, in one place, for the planner as well; colour words come from :mod:`robomatrix.skills.colours`
(the XKCD/CSS colour tables by colour distance, the one colour lookup of the package); the direction
words (:data:`DIRECTIONS`, :data:`DIRECTION_SYNONYMS`) come from :mod:`robomatrix.policies.directions`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from robomatrix import resources
from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.policies.directions import DIRECTIONS, canonical_direction
from robomatrix.skills.colours import BASIC_COLOURS, canonical_colour

log = logging.getLogger(__name__)

__all__ = [
    "ARGUMENT_TYPES",
    "CATEGORIES",
    "CATEGORY_SYNONYMS",
    "PREDICATES",
    "ArgumentSpec",
    "Condition",
    "GroundingError",
    "PredicateSpec",
    "SkillArgumentError",
    "SkillLibrary",
    "SkillSpec",
    "SkillSpecError",
    "UnknownSkillError",
    "canonical_category",
    "canonical_colour",
    "find_skills_root",
    "ground_object",
    "load_skill_library",
    "load_skill_spec",
    "object_field",
    "read_library_data",
    "validate_json",
]


class SkillSpecError(ConfigError):
    """A spec file (or a whole skills folder) is missing, malformed or inconsistent."""


class UnknownSkillError(RobomatrixError):
    """A skill name that is not in the library."""


class GroundingError(RobomatrixError):
    """An object name that matches no object, or more than one, in the current world."""


class SkillArgumentError(RobomatrixError):
    """Arguments for a skill that are missing, unknown, of the wrong type, or cannot be grounded."""


# --------------------------------------------------------------------------- vocabulary tables

CATEGORIES: tuple[str, ...] = ("block", "bowl", "bin", "drawer", "object")
"""Object categories the hardware layer reports (ObjectInfo.category)."""

ARGUMENT_TYPES: tuple[str, ...] = ("object", "direction", "number")

# Synonym -> canonical word. Canonical words map to themselves.
CATEGORY_SYNONYMS: dict[str, str] = {
    **{c: c for c in CATEGORIES},
    "blocks": "block", "cube": "block", "cubes": "block", "brick": "block",
    "bowls": "bowl", "dish": "bowl", "plate": "bowl",
    "bins": "bin", "container": "bin", "basket": "bin", "tub": "bin", "box": "bin",
    "drawers": "drawer",
    "thing": "object", "item": "object", "objects": "object",
}  # fmt: skip

# Words ignored when grounding a name ("the red block", "a blue one").
_ARTICLES = frozenset({"the", "a", "an", "one", "that", "this"})


def _words(text: str) -> list[str]:
    text = re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("_", " ").replace("-", " "))
    return [w for w in text.split() if w not in _ARTICLES]


def canonical_category(word: str) -> str | None:
    """Canonical category for a category word or synonym ("cube" -> "block"), None if unknown."""
    return CATEGORY_SYNONYMS.get(word.strip().lower())


# --------------------------------------------------------------------------- conditions

# Kinds of predicate parameters. A reference is written "$arg" and must name an argument
# of the right type; the other kinds are constants.
_OBJECT_REF = "object"  # $arg of type object
_HELD = "held"  # none | any | $object
_ANY_OBJECT = "any_object"  # any | $object
_GRIPPER_STATE = "gripper_state"  # open | closed
_BOOL = "bool"  # true | false
_DIRECTION = "direction"  # $arg of type direction, or a direction word


@dataclass(frozen=True)
class PredicateSpec:
    """One predicate of the world-state vocabulary."""

    name: str
    params: tuple[str, ...]  # parameter kinds, see _OBJECT_REF ... _DIRECTION
    signature: str  # for people and prompts, e.g. "on(object | any, target)"
    meaning: str


PREDICATES: dict[str, PredicateSpec] = {
    p.name: p
    for p in (
        PredicateSpec("holding", (_HELD,), "holding(none | any | object)", "what the gripper holds"),
        PredicateSpec("gripper", (_GRIPPER_STATE,), "gripper(open | closed)", "the gripper's state"),
        PredicateSpec(
            "at",
            (_OBJECT_REF,),
            "at(object)",
            "the gripper is positioned at the object, ready to grasp or push it",
        ),
        PredicateSpec(
            "over", (_OBJECT_REF,), "over(target)", "the gripper, with what it holds, is above the target"
        ),
        PredicateSpec(
            "on",
            (_ANY_OBJECT, _OBJECT_REF),
            "on(object | any, target)",
            "the object rests on or in the target",
        ),
        PredicateSpec(
            "reachable", (_OBJECT_REF,), "reachable(object)", "the object lies inside the arm's workspace"
        ),
        PredicateSpec(
            "accessible",
            (_OBJECT_REF,),
            "accessible(target)",
            "something can be put on or into the target from above (a drawer only while it is open)",
        ),
        PredicateSpec(
            "drawer_open", (_OBJECT_REF, _BOOL), "drawer_open(drawer, true | false)", "the drawer is open"
        ),
        PredicateSpec(
            "moved",
            (_OBJECT_REF, _DIRECTION),
            "moved(object, direction)",
            "the object moved in the direction since the skill started",
        ),
    )
}
"""The world-state vocabulary of preconditions, effects and success conditions."""


@dataclass(frozen=True)
class Condition:
    """``predicate(args...)``; an argument is a ``$reference``, a constant word or a bool."""

    predicate: str
    args: tuple[str | bool, ...]

    @property
    def references(self) -> tuple[str, ...]:
        """Names of the skill arguments this condition refers to (without ``$``)."""
        return tuple(a[1:] for a in self.args if isinstance(a, str) and a.startswith("$"))

    def resolve(self, bindings: Mapping[str, Any]) -> tuple[Any, ...]:
        """The argument values with every ``$arg`` replaced by ``bindings[arg]`` as given."""
        out: list[Any] = []
        for a in self.args:
            if isinstance(a, str) and a.startswith("$"):
                if a[1:] not in bindings:
                    raise SkillArgumentError(
                        f"condition {self.to_text()} refers to {a} but no value was given for {a[1:]!r}; "
                        f"given: {sorted(bindings)}"
                    )
                out.append(bindings[a[1:]])
            else:
                out.append(a)
        return tuple(out)

    def bind(self, bindings: Mapping[str, Any]) -> Condition:
        """The condition with every ``$arg`` replaced by ``str(bindings[arg])`` (a grounded id)."""
        return Condition(self.predicate, tuple(
            str(v) if isinstance(a, str) and a.startswith("$") else a
            for a, v in zip(self.args, self.resolve(bindings), strict=True)))

    def to_text(self) -> str:
        """``holding($object)``, ``drawer_open($drawer, false)``."""
        rendered = (("true" if a else "false") if isinstance(a, bool) else a for a in self.args)
        return f"{self.predicate}({', '.join(rendered)})"

    def to_data(self) -> dict[str, Any]:
        """The YAML form: ``{predicate: value}`` or ``{predicate: [values]}``."""
        return {self.predicate: self.args[0] if len(self.args) == 1 else list(self.args)}


# --------------------------------------------------------------------------- arguments


@dataclass(frozen=True)
class ArgumentSpec:
    """One typed argument of a skill."""

    name: str
    type: str  # object | direction | number
    description: str
    categories: tuple[str, ...] = ()  # object: accepted categories
    values: tuple[str, ...] = ()  # direction: accepted direction words
    range: tuple[float, float] | None = None  # number: inclusive [low, high] in `unit`
    unit: str = ""  # number: unit of the value, e.g. "m"
    default: float | None = None  # number: value used when the argument is omitted

    @property
    def required(self) -> bool:
        return self.default is None

    def expected_text(self) -> str:
        """What a valid value looks like, for error messages and prompts."""
        if self.type == "object":
            return f"an object in the scene of category {' | '.join(self.categories)} (id or name)"
        if self.type == "direction":
            return f"one of {' | '.join(self.values)}"
        low, high = self.range or (-math.inf, math.inf)
        text = f"a number in [{low:g}, {high:g}] {self.unit}".rstrip()
        if self.default is not None:
            text += f", default {self.default:g}"
        return text

    def json_schema(self) -> dict[str, Any]:
        if self.type == "object":
            return {
                "type": "string",
                "minLength": 1,
                "description": f"{self.description}; {self.expected_text()}",
            }
        if self.type == "direction":
            return {"type": "string", "enum": list(self.values), "description": self.description}
        low, high = self.range or (-math.inf, math.inf)
        return {
            "type": "number",
            "minimum": low,
            "maximum": high,
            "description": f"{self.description} ({self.unit})",
        }


# --------------------------------------------------------------------------- grounding


def object_field(obj: Any, key: str) -> str:
    """``obj``'s ``key`` as text, for an ObjectInfo (attribute) or a mapping (key) alike;
    "" when it has none (or it is None)."""
    value = obj.get(key, "") if isinstance(obj, Mapping) else getattr(obj, key, "")
    return "" if value is None else str(value)


def _describe(objects: Sequence[Any]) -> str:
    if not objects:
        return "none"
    return ", ".join(f"{object_field(o, 'id')} ({object_field(o, 'name') or object_field(o, 'category')})" for o in objects)


def _object_category(obj: Any) -> str:
    return canonical_category(object_field(obj, "category")) or object_field(obj, "category").lower()


def ground_object(query: str, objects: Iterable[Any], categories: Sequence[str] | None = None) -> Any:
    """The one object ``query`` names among ``objects`` (ObjectInfo or mappings with id,
    name, category, colour).

    Tried in order: exact id (then id ignoring case); the object's name ("red block");
    colour and/or category words in any order with synonyms ("block red", "crimson cube",
    "the basket") — a category alone or a colour alone only when it names one object.
    ``categories`` restricts the accepted categories. Raises :class:`GroundingError`
    naming the query, the reason and the candidates or the objects present.
    """
    objs = list(objects)
    allowed = tuple(categories) if categories else ()

    def accepted(candidates: list[Any]) -> Any:
        if len(candidates) > 1:
            raise GroundingError(
                f"{query!r} is ambiguous: it matches {_describe(candidates)}; name one by id or add its colour"
            )
        obj = candidates[0]
        if allowed and _object_category(obj) not in allowed:
            raise GroundingError(
                f"{query!r} is {object_field(obj, 'id')}, a {object_field(obj, 'category')}, but a "
                f"{' | '.join(allowed)} is expected; objects present: {_describe(objs)}"
            )
        return obj

    if not isinstance(query, str) or not query.strip():
        raise GroundingError(
            f"an object name must be non-empty text, got {query!r}; objects present: {_describe(objs)}"
        )
    if len(query) > 200:
        raise GroundingError(
            f"an object name is a few words, got {len(query)} characters ({query[:40]!r}...); "
            f"name one of the objects present: {_describe(objs)}"
        )
    for exact in (True, False):
        hits = [
            o
            for o in objs
            if (object_field(o, "id") == query if exact else object_field(o, "id").lower() == query.lower())
        ]
        if hits:
            return accepted(hits)

    present = {(object_field(o, "colour") or "").lower() for o in objs} - {""}

    def canonical(text: str) -> list[str]:
        ws = _words(text)
        return [canonical_colour(w, present, before_noun=k + 1 < len(ws) and canonical_category(ws[k + 1]) is not None)
                or canonical_category(w) or w for k, w in enumerate(ws)]

    wanted = canonical(query)
    if not wanted:
        raise GroundingError(f"{query!r} names no object; objects present: {_describe(objs)}")
    hits = [o for o in objs if canonical(object_field(o, "name")) == wanted]
    if hits:
        return accepted(hits)

    colours = {w for w in wanted if w in BASIC_COLOURS}
    kinds = {w for w in wanted if w in CATEGORY_SYNONYMS.values()} - {"object"}
    unknown = [w for w in wanted if w not in colours and w not in kinds and w != "object"]
    if unknown or len(colours) > 1 or len(kinds) > 1:
        why = (
            f"the word(s) {', '.join(repr(w) for w in unknown)} match no object name, colour or category"
            if unknown
            else "it names more than one colour or category"
        )
        raise GroundingError(f"cannot ground {query!r}: {why}; objects present: {_describe(objs)}")
    hits = [
        o
        for o in objs
        if (not colours or (canonical_colour(object_field(o, "colour")) or "") in colours)
        and (not kinds or _object_category(o) in kinds)
    ]
    if allowed and len(hits) > 1:
        hits = [o for o in hits if _object_category(o) in allowed] or hits
    if not hits:
        raise GroundingError(f"no object matches {query!r}; objects present: {_describe(objs)}")
    return accepted(hits)


# --------------------------------------------------------------------------- skill spec


@dataclass(frozen=True)
class SkillSpec:
    """One meta-skill, as loaded from its spec.yaml."""

    name: str
    description: str  # for an LLM planner
    arguments: tuple[ArgumentSpec, ...]
    preconditions: tuple[Condition, ...]
    effects: tuple[Condition, ...]
    success: tuple[Condition, ...]
    timeout: float  # s; the skill server aborts the skill after this long
    policy: str  # checkpoint path relative to the skill's folder
    folder: Path | None = None  # the skill's folder, None for specs built in code

    @property
    def policy_path(self) -> Path:
        """Absolute checkpoint path (the file may not exist before training)."""
        return (self.folder or Path(".")) / self.policy

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(a.name for a in self.arguments)})"

    @property
    def place_arguments(self) -> frozenset[str]:
        """Object arguments the skill puts something over (``over($arg)`` among its effects or
        success conditions): places, which the policy sees as where the held object goes."""
        return frozenset(r for c in (*self.effects, *self.success) if c.predicate == "over" for r in c.references)

    @property
    def grasped_arguments(self) -> frozenset[str]:
        """Object arguments the skill ends up holding (``holding($arg)`` among its effects)."""
        return frozenset(r for c in self.effects if c.predicate == "holding" for r in c.references)

    def plugin(self, kind: str) -> ModuleType | None:
        """The skill folder's own Python file ``<kind>.py`` (``oracle``, ``episode``), imported once.

        A skill is its folder: its scripted oracle and the episode setup of its
        demonstrations live beside its spec, not in the package. None when the folder has no
        such file (or the spec was built in code)."""
        if self.folder is None:
            return None
        return load_plugin(self.folder / f"{kind}.py")

    def argument(self, name: str) -> ArgumentSpec:
        for arg in self.arguments:
            if arg.name == name:
                return arg
        raise SkillArgumentError(
            f"skill {self.name!r} has no argument {name!r}; its arguments are {[a.name for a in self.arguments]}"
        )

    def validate_arguments(
        self, args: Mapping[str, Any], world_objects: Iterable[Any] = ()
    ) -> dict[str, Any]:
        """Checked, grounded arguments: object ids (str), direction words (str), numbers (float).

        ``world_objects``: ObjectInfo-like items (id, name, category, colour). Missing
        numbers take their default. Raises :class:`SkillArgumentError` naming the skill,
        the argument, the value, what was expected and the objects present.
        """
        objs = list(world_objects)
        if not isinstance(args, Mapping):
            raise SkillArgumentError(
                f"arguments for skill {self.signature} must be a mapping of name to value, got {args!r}"
            )
        names = [a.name for a in self.arguments]
        extra = [k for k in args if k not in names]
        if extra:
            raise SkillArgumentError(
                f"skill {self.signature} has no argument(s) {extra}; its arguments are {names or 'none'}"
            )
        grounded: dict[str, Any] = {}
        for arg in self.arguments:
            if arg.name not in args:
                if arg.default is not None:
                    grounded[arg.name] = arg.default
                    continue
                raise SkillArgumentError(
                    f"skill {self.signature} needs argument {arg.name!r}: {arg.expected_text()}; "
                    f"objects present: {_describe(objs)}"
                )
            grounded[arg.name] = self._ground(arg, args[arg.name], objs)
        return grounded

    def _ground(self, arg: ArgumentSpec, value: Any, objs: list[Any]) -> Any:
        def fail(reason: str) -> SkillArgumentError:
            return SkillArgumentError(
                f"skill {self.name!r}, argument {arg.name!r} = {value!r:.80}: {reason}; expected {arg.expected_text()}; "
                f"objects present: {_describe(objs)}"
            )

        if arg.type == "object":
            if not isinstance(value, str):
                raise fail(f"must be text, got {type(value).__name__}")
            try:
                return object_field(ground_object(value, objs, arg.categories), "id")
            except GroundingError as e:
                raise fail(str(e)) from e
        if arg.type == "direction":
            word = canonical_direction(value) if isinstance(value, str) else None
            if word is None or word not in arg.values:
                raise fail("not an accepted direction")
            return word
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise fail("must be a finite number")
        low, high = arg.range or (-math.inf, math.inf)
        if not low <= value <= high:
            raise fail("out of range")
        return float(value)

    def step_json_schema(self) -> dict[str, Any]:
        """JSON schema of one plan step ``{"skill": name, "args": {...}}`` calling this skill."""
        return {
            "type": "object",
            "description": self.description.strip(),
            "properties": {
                "skill": {"const": self.name},
                "args": {
                    "type": "object",
                    "properties": {a.name: a.json_schema() for a in self.arguments},
                    "required": [a.name for a in self.arguments if a.required],
                    "additionalProperties": False,
                },
            },
            "required": ["skill", "args"],
            "additionalProperties": False,
        }

    def to_prompt_text(self) -> str:
        """A few lines describing the skill for an LLM prompt."""

        def conds(items: tuple[Condition, ...]) -> str:
            return ", ".join(c.to_text() for c in items) or "(none)"

        lines = [f"{self.signature}", f"  {' '.join(self.description.split())}"]
        for arg in self.arguments:
            lines.append(f"  - {arg.name}: {arg.description}; {arg.expected_text()}")
        lines += [
            f"  preconditions: {conds(self.preconditions)}",
            f"  effects: {conds(self.effects)}",
            f"  success: {conds(self.success)}",
            f"  timeout: {self.timeout:g} s",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The spec in its YAML form (what spec.yaml holds)."""
        args = []
        for a in self.arguments:
            entry: dict[str, Any] = {"name": a.name, "type": a.type, "description": a.description}
            if a.type == "object":
                entry["categories"] = list(a.categories)
            elif a.type == "direction":
                entry["values"] = list(a.values)
            else:
                entry["range"] = list(a.range or ())
                entry["unit"] = a.unit
                if a.default is not None:
                    entry["default"] = a.default
            args.append(entry)
        return {
            "name": self.name,
            "description": self.description,
            "arguments": args,
            "preconditions": [c.to_data() for c in self.preconditions],
            "effects": [c.to_data() for c in self.effects],
            "success": [c.to_data() for c in self.success],
            "timeout": self.timeout,
            "policy": self.policy,
        }

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


# --------------------------------------------------------------------------- parsing spec files

_SPEC_KEYS = {"name", "description", "arguments", "preconditions", "effects", "success", "timeout", "policy"}
_SPEC_REQUIRED = ("name", "description", "success", "timeout", "policy")
_ARG_KEYS = {
    "object": ({"name", "type", "description", "categories"}, set()),
    "direction": ({"name", "type", "description", "values"}, set()),
    "number": ({"name", "type", "description", "range", "unit"}, {"default"}),
}
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_TIMEOUT = 600.0  # s; longer skills should be split into smaller ones


class _SpecParser:
    def __init__(self, file: Path) -> None:
        self.file = file

    def error(self, field: str, problem: str, fix: str) -> SkillSpecError:
        return SkillSpecError(f"{self.file}: field {field!r}: {problem}; fix: {fix}")

    def text(self, data: Mapping[str, Any], key: str, field: str, example: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(
                field, f"must be non-empty text, got {value!r}", f"write e.g. `{key}: {example}`"
            )
        return value.strip()

    def parse(self, data: Any, folder_name: str | None) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise SkillSpecError(
                f"{self.file}: a spec must be a YAML mapping of {sorted(_SPEC_KEYS)}, got {type(data).__name__}; "
                "fix: see skills/README.md for the format"
            )
        unknown = sorted(str(k) for k in data if k not in _SPEC_KEYS)
        if unknown:
            raise self.error(unknown[0], "unknown key", f"remove it; allowed keys are {sorted(_SPEC_KEYS)}")
        for key in _SPEC_REQUIRED:
            if key not in data:
                raise self.error(key, "missing", f"add `{key}:` (see skills/README.md)")
        name = self.text(data, "name", "name", folder_name or "my_skill")
        if not _IDENT.match(name):
            raise self.error(
                "name", f"{name!r} is not lower_snake_case", "use letters, digits and underscores"
            )
        if folder_name is not None and name != folder_name:
            raise self.error(
                "name",
                f"{name!r} differs from its folder {folder_name!r}",
                f"rename one so both read {folder_name!r}",
            )
        description = self.text(data, "description", "description", "Close the gripper on ...")
        timeout = data["timeout"]
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or not 0 < timeout <= MAX_TIMEOUT
        ):
            raise self.error(
                "timeout",
                f"must be seconds in (0, {MAX_TIMEOUT:g}], got {timeout!r}",
                "write e.g. `timeout: 20.0`",
            )
        policy = self.text(data, "policy", "policy", "policy.pt")
        if Path(policy).is_absolute() or ".." in Path(policy).parts or not policy.endswith(".pt"):
            raise self.error(
                "policy",
                f"{policy!r} must be a .pt path inside the skill's folder",
                "write `policy: policy.pt`",
            )
        arguments = self.arguments(data.get("arguments", []))
        by_name = {a.name: a for a in arguments}
        conditions = {
            key: self.conditions(data.get(key, []), key, by_name)
            for key in ("preconditions", "effects", "success")
        }
        if not conditions["success"]:
            raise self.error("success", "needs at least one condition", "list e.g. `- holding: $object`")
        return {
            "name": name,
            "description": description,
            "arguments": arguments,
            "timeout": float(timeout),
            "policy": policy,
            **conditions,
        }

    def arguments(self, raw: Any) -> tuple[ArgumentSpec, ...]:
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise self.error(
                "arguments", f"must be a list, got {type(raw).__name__}", "write `arguments: []` or a list"
            )
        out: list[ArgumentSpec] = []
        for i, item in enumerate(raw):
            field = f"arguments[{i}]"
            if not isinstance(item, dict):
                raise self.error(
                    field, f"must be a mapping, got {item!r}", "write `- name: object` with type, description"
                )
            kind = item.get("type")
            if kind not in ARGUMENT_TYPES:
                raise self.error(
                    f"{field}.type", f"{kind!r} is not a type", f"use one of {list(ARGUMENT_TYPES)}"
                )
            required, optional = _ARG_KEYS[kind]
            unknown = sorted(str(k) for k in item if k not in required | optional)
            if unknown:
                raise self.error(
                    f"{field}.{unknown[0]}",
                    f"unknown key for a {kind} argument",
                    f"remove it; allowed keys are {sorted(required | optional)}",
                )
            for key in sorted(required):
                if key not in item:
                    raise self.error(f"{field}.{key}", "missing", f"add `{key}:` to the {kind} argument")
            name = self.text(item, "name", f"{field}.name", "object")
            if not _IDENT.match(name):
                raise self.error(
                    f"{field}.name", f"{name!r} is not lower_snake_case", "use e.g. `name: target`"
                )
            if any(a.name == name for a in out):
                raise self.error(
                    f"{field}.name", f"duplicate argument {name!r}", "give each argument its own name"
                )
            description = self.text(item, "description", f"{field}.description", "the block to grasp")
            if kind == "object":
                cats = self.word_list(item["categories"], f"{field}.categories", CATEGORIES)
                out.append(ArgumentSpec(name, kind, description, categories=cats))
            elif kind == "direction":
                values = self.word_list(item["values"], f"{field}.values", DIRECTIONS)
                out.append(ArgumentSpec(name, kind, description, values=values))
            else:
                out.append(self.number(item, field, name, description))
        return tuple(out)

    def word_list(self, raw: Any, field: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw or not all(isinstance(w, str) for w in raw):
            raise self.error(
                field, f"must be a non-empty list of words, got {raw!r}", f"choose from {list(allowed)}"
            )
        bad = [w for w in raw if w not in allowed]
        if bad:
            raise self.error(field, f"{bad} not allowed", f"choose from {list(allowed)}")
        if len(set(raw)) != len(raw):
            raise self.error(field, f"repeats a word in {raw}", "list each word once")
        return tuple(raw)

    def number(self, item: Mapping[str, Any], field: str, name: str, description: str) -> ArgumentSpec:
        rng = item["range"]

        def is_num(v: Any) -> bool:
            return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)

        if not isinstance(rng, list) or len(rng) != 2 or not all(is_num(v) for v in rng) or rng[0] >= rng[1]:
            raise self.error(
                f"{field}.range",
                f"must be [low, high] with low < high, got {rng!r}",
                "write e.g. `range: [0.02, 0.2]`",
            )
        unit = self.text(item, "unit", f"{field}.unit", "m")
        default = item.get("default")
        if default is not None and (not is_num(default) or not rng[0] <= default <= rng[1]):
            raise self.error(
                f"{field}.default", f"{default!r} is not a number in {rng}", "pick a value inside the range"
            )
        return ArgumentSpec(
            name,
            "number",
            description,
            range=(float(rng[0]), float(rng[1])),
            unit=unit,
            default=None if default is None else float(default),
        )

    def conditions(self, raw: Any, key: str, args: Mapping[str, ArgumentSpec]) -> tuple[Condition, ...]:
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise self.error(
                key,
                f"must be a list of conditions, got {type(raw).__name__}",
                f"write `{key}:` then `- holding: none`",
            )
        out = []
        for i, item in enumerate(raw):
            field = f"{key}[{i}]"
            if not isinstance(item, dict) or len(item) != 1:
                raise self.error(
                    field,
                    f"must be one `predicate: value` mapping, got {item!r}",
                    "write e.g. `- holding: $object`",
                )
            ((predicate, value),) = item.items()
            spec = PREDICATES.get(predicate)
            if spec is None:
                raise self.error(
                    field, f"unknown predicate {predicate!r}", f"use one of {sorted(PREDICATES)}"
                )
            values = value if isinstance(value, list) else [value]
            if len(values) != len(spec.params):
                raise self.error(
                    field,
                    f"{predicate} takes {len(spec.params)} value(s), got {value!r}",
                    f"write it as {spec.signature}"
                    + (" in a YAML list [a, b]" if len(spec.params) > 1 else ""),
                )
            checked = tuple(
                self.condition_value(v, kind, f"{field}.{predicate}", spec, args)
                for v, kind in zip(values, spec.params, strict=True)
            )
            out.append(Condition(predicate, checked))
        return tuple(out)

    def condition_value(
        self, value: Any, kind: str, field: str, spec: PredicateSpec, args: Mapping[str, ArgumentSpec]
    ) -> str | bool:
        constants = {
            _HELD: ("none", "any"),
            _ANY_OBJECT: ("any",),
            _GRIPPER_STATE: ("open", "closed"),
            _DIRECTION: DIRECTIONS,
            _OBJECT_REF: (),
            _BOOL: (),
        }[kind]
        ref_type = {
            _HELD: "object",
            _ANY_OBJECT: "object",
            _OBJECT_REF: "object",
            _DIRECTION: "direction",
        }.get(kind)
        if kind == _BOOL:
            if isinstance(value, bool):
                return value
            raise self.error(field, f"expects true or false, got {value!r}", f"write it as {spec.signature}")
        if isinstance(value, str) and value.startswith("$") and ref_type:
            arg = args.get(value[1:])
            if arg is None:
                raise self.error(
                    field,
                    f"{value} refers to no argument",
                    f"use one of {['$' + n for n in args] or 'no references (the skill has no arguments)'} "
                    "or declare the argument",
                )
            if arg.type != ref_type:
                raise self.error(
                    field,
                    f"{value} is a {arg.type} argument, expected a {ref_type}",
                    f"write it as {spec.signature}",
                )
            return value
        if isinstance(value, str) and value in constants:
            return value
        options = [*constants, *([f"${ref_type} argument"] if ref_type else [])]
        raise self.error(field, f"{value!r} is not allowed", f"use one of {options} ({spec.signature})")


def load_skill_spec(path: Path | str) -> SkillSpec:
    """Load one ``spec.yaml``; the folder it lives in must carry the skill's name."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        raise SkillSpecError(f"{file}: cannot read the spec ({e.strerror}); fix: check the path") from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SkillSpecError(
            f"{file}: not valid YAML ({e}); fix: correct the syntax at the position shown"
        ) from e
    fields = _SpecParser(file).parse(data, file.parent.name)
    return SkillSpec(folder=file.parent.resolve(), **fields)


_PLUGINS: dict[Path, ModuleType] = {}


def load_plugin(file: Path) -> ModuleType | None:
    """Import a skill folder's Python file by path (cached by its resolved path); None if absent.

    The module gets a name of its own (``robomatrix_skill_<folder>_<stem>``) so two libraries
    with a skill of the same name do not collide in ``sys.modules``."""
    path = Path(file).resolve()
    if path in _PLUGINS:
        return _PLUGINS[path]
    if not path.is_file():
        return None
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    name = f"robomatrix_skill_{path.parent.name}_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SkillSpecError(f"{path}: cannot be imported as Python; fix: check the file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules[name]
        raise SkillSpecError(f"{path}: importing it failed ({type(e).__name__}: {e}); fix: the file") from e
    _PLUGINS[path] = module
    return module


# --------------------------------------------------------------------------- the library


class SkillLibrary:
    """All skills of a skills folder, by name (iteration in name order)."""

    def __init__(self, specs: Iterable[SkillSpec], root: Path | None = None) -> None:
        self.root = root
        self._specs: dict[str, SkillSpec] = {}
        for spec in sorted(specs, key=lambda s: s.name):
            if spec.name in self._specs:
                raise SkillSpecError(f"two specs are named {spec.name!r}; fix: rename one")
            self._specs[spec.name] = spec

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def get(self, name: str) -> SkillSpec:
        try:
            return self._specs[name]
        except (KeyError, TypeError):
            raise UnknownSkillError(
                f"unknown skill {name!r:.80}; valid skills: {', '.join(self.names)}"
            ) from None

    def __getitem__(self, name: str) -> SkillSpec:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[SkillSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def to_json_schema(self, max_steps: int = 32) -> dict[str, Any]:
        """JSON schema of a plan: ``{"steps": [{"skill": name, "args": {...}}, ...]}``.

        Each step must match exactly one skill's step schema (argument names, types,
        direction values and number ranges). Object arguments are strings here and are
        grounded afterwards with :meth:`SkillSpec.validate_arguments`.
        """
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "robomatrix plan",
            "description": "An ordered list of meta-skill calls that carries out the task.",
            "type": "object",
            "properties": {
                "steps": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": max_steps,
                    "items": {"oneOf": [spec.step_json_schema() for spec in self]},
                }
            },
            "required": ["steps"],
            "additionalProperties": False,
        }

    def to_prompt_text(self) -> str:
        """Every skill and the condition vocabulary, for an LLM prompt."""
        predicates = "\n".join(f"  {p.signature}: {p.meaning}" for p in PREDICATES.values())
        skills = "\n\n".join(spec.to_prompt_text() for spec in self)
        return (
            "Directions are the robot's own: forward = away from its base, left = the robot's left, up = up.\n"
            f"World-state conditions:\n{predicates}\n\nSkills:\n{skills}"
        )


def find_skills_root() -> Path:
    """The skills folder: $ROBOMATRIX_SKILLS_DIR if set, else skills/ of the checkout or of the
    installed share/robomatrix (see :mod:`robomatrix.resources`)."""
    try:
        return resources.resource_dir("skills")
    except resources.ResourceNotFoundError as e:
        raise SkillSpecError(f"{e} (or pass root=)") from e


def load_skill_library(root: Path | str | None = None) -> SkillLibrary:
    """Load every ``<root>/<name>/spec.yaml`` (root: see :func:`find_skills_root`)."""
    folder = Path(root) if root is not None else find_skills_root()
    if not folder.is_dir():
        raise SkillSpecError(f"skills folder {folder} does not exist; fix: pass the path of a skills/ folder")
    specs = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        file = sub / "spec.yaml"
        if not file.is_file():
            raise SkillSpecError(
                f"{sub}: a skill folder without spec.yaml; fix: add {file} or remove the folder"
            )
        specs.append(load_skill_spec(file))
    if not specs:
        raise SkillSpecError(
            f"{folder} holds no skills; fix: add <name>/spec.yaml folders (see skills/README.md)"
        )
    log.debug("loaded %d skills from %s", len(specs), folder)
    return SkillLibrary(specs, root=folder)


def read_library_data(file_name: str, root: Path | str | None = None) -> Any | None:
    """The YAML file ``file_name`` beside the skill folders in ``root`` (a library's ``root``;
    None: :func:`find_skills_root`), parsed; None when there is no such file.

    Such files (``_plans.yaml``, ``_prompt_examples.yaml``) start with ``_`` so that the loader
    does not take them for skills; they hold knowledge about several skills as data, so that no
    skill name needs to be written in code outside its folder."""
    path = Path(root if root is not None else find_skills_root()) / file_name
    if not path.is_file():
        log.debug("no %s in the skills folder %s", file_name, path.parent)
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise SkillSpecError(f"{path}: cannot read it as YAML ({e}); fix: correct the file's syntax") from e


# --------------------------------------------------------------------------- tiny JSON-schema validator

_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, (list, tuple)),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ANNOTATIONS = {"$schema", "title", "description", "default", "examples"}
_KEYWORDS = _ANNOTATIONS | {
    "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
    "enum", "const", "minimum", "maximum", "minLength", "oneOf", "anyOf",
}  # fmt: skip


def validate_json(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    """Errors of ``instance`` against ``schema`` (empty list: valid), each ``"$.path: problem"``.

    Supports the subset of JSON Schema the plan schema uses: type, properties, required,
    additionalProperties (bool), items, min/maxItems, enum, const, minimum, maximum,
    minLength, oneOf, anyOf. Other keywords raise :class:`SkillSpecError`.
    """
    return [f"{path}: {message}" for path, message, _ in _validate(instance, schema, "$")]


def _validate(value: Any, schema: Mapping[str, Any], path: str) -> list[tuple[str, str, bool]]:
    """(path, message, is_discriminator_mismatch) triples."""
    unsupported = set(schema) - _KEYWORDS
    if unsupported:
        raise SkillSpecError(
            f"validate_json does not support schema keyword(s) {sorted(unsupported)} at {path}"
        )
    errors: list[tuple[str, str, bool]] = []
    if "type" in schema and not _TYPES[schema["type"]](value):
        return [(path, f"expected {schema['type']}, got {type(value).__name__} {value!r}", False)]
    if "const" in schema and value != schema["const"]:
        errors.append((path, f"expected {schema['const']!r}, got {value!r}", True))
    if "enum" in schema and value not in schema["enum"]:
        errors.append((path, f"{value!r} is not one of {schema['enum']}", False))
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        errors.append((path, f"must be at least {schema['minLength']} character(s), got {value!r}", False))
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append((path, f"{value!r} is below the minimum {schema['minimum']!r}", False))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append((path, f"{value!r} is above the maximum {schema['maximum']!r}", False))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append((path, f"missing required property {key!r}", False))
        if schema.get("additionalProperties", True) is False:
            for key in value:
                if key not in props:
                    errors.append((f"{path}.{key}", f"unexpected property; allowed: {sorted(props)}", False))
        for key, sub in props.items():
            if key in value:
                errors += _validate(value[key], sub, f"{path}.{key}")
    if isinstance(value, (list, tuple)):
        if len(value) < schema.get("minItems", 0):
            errors.append((path, f"needs at least {schema['minItems']} item(s), got {len(value)}", False))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append((path, f"allows at most {schema['maxItems']} item(s), got {len(value)}", False))
        if "items" in schema:
            for i, item in enumerate(value):
                errors += _validate(item, schema["items"], f"{path}[{i}]")
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            errors += _alternatives(value, schema[keyword], path, exactly_one=keyword == "oneOf")
    return errors


def _alternatives(
    value: Any, branches: list[Mapping[str, Any]], path: str, *, exactly_one: bool
) -> list[tuple[str, str, bool]]:
    results = [_validate(value, branch, path) for branch in branches]
    matched = sum(1 for r in results if not r)
    if matched == 1 or (matched > 1 and not exactly_one):
        return []
    if matched > 1:
        return [(path, f"matches {matched} alternatives, expected exactly one", False)]
    # Nothing matched. When every branch is told apart by a const under one key (a plan
    # step's "skill"), report the branch whose const matched, or the allowed consts.
    consts = [_branch_const(branch) for branch in branches]
    keys = {c[0] for c in consts if c is not None}
    if isinstance(value, dict) and None not in consts and len(keys) == 1:
        (key,) = keys
        values = [c[1] for c in consts if c is not None]
        same = [r for r, v in zip(results, values, strict=True) if key in value and value[key] == v]
        if same:
            return min(same, key=len)
        if key in value:
            return [(f"{path}.{key}", f"{value[key]!r} is not one of {values}", False)]
    best = min(results, key=lambda r: (sum(1 for e in r if e[2]), len(r)))
    return [(path, f"matches none of the {len(branches)} alternatives; closest one says:", False), *best]


def _branch_const(branch: Mapping[str, Any]) -> tuple[str, Any] | None:
    for key, sub in branch.get("properties", {}).items():
        if isinstance(sub, Mapping) and "const" in sub:
            return key, sub["const"]
    return None
