"""The task planner: task text + world + skill library -> a validated, grounded plan.

Core module: imports no rclpy. Flow of :meth:`Planner.plan`:

1. screen the task in code (:func:`screen_task`): empty, gibberish, not English, unsafe
   or prompt injection, impossible (no skill for it), objects absent from the world
   -> :class:`PlanRefused` before any model runs;
2. build the prompt per call from the skill specs and the world (:mod:`.prompt`);
3. the backend completes it (embedded model, OpenAI-compatible endpoint, local model);
   endpoint problems -> :class:`PlannerBackendError`;
4. the answer is *data*: parse JSON (a fenced block is tolerated; never evaluated),
   validate against the plan schema, ground every object argument with the specs'
   grounding; ``{"refuse": reason}`` -> :class:`PlanRefused`;
5. on any error, ask once more with the error appended; a second error ->
   :class:`PlanInvalid` carrying both.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from robomatrix.scheduler.goal import atoms_from_data, describe_goal, goal_from_plan
from robomatrix.scheduler.plan import (
    Plan,
    PlanInvalid,
    PlannerBackend,
    PlannerBackendError,
    PlannerError,
    PlanRefused,
    PlanStep,
)
from robomatrix.scheduler.planner_config import (
    BACKENDS,
    EmbeddedConfig,
    LocalConfig,
    OpenAIConfig,
    PlannerConfig,
    load_planner_config,
)
from robomatrix.scheduler.prompt import Prompt, build_prompt, normalise_words, response_schema
from robomatrix.scheduler.symbolic import GoalAtom, PlanImpossible, SymbolicWorld, plan_for_goal, verify_plan
from robomatrix.skills.colours import is_colour_word
from robomatrix.skills.spec import (
    SkillArgumentError,
    SkillLibrary,
    UnknownSkillError,
    canonical_category,
    canonical_colour,
    load_skill_library,
    object_field,
    validate_json,
)

log = logging.getLogger(__name__)

__all__ = [
    "BACKENDS",
    "EmbeddedConfig",
    "LocalConfig",
    "OpenAIConfig",
    "Plan",
    "PlanInvalid",
    "PlanRefused",
    "PlanStep",
    "Planner",
    "PlannerBackend",
    "PlannerBackendError",
    "PlannerConfig",
    "PlannerError",
    "extract_json",
    "load_planner_config",
    "make_backend",
    "register_backend",
    "screen_task",
]


# --------------------------------------------------------------------------- backends


def register_backend(name: str) -> Callable[[Callable[..., PlannerBackend]], Callable[..., PlannerBackend]]:
    """Decorator: register a factory ``(library, config) -> backend`` under ``name``."""
    return BACKENDS.register(name)


class GroundedBackend:
    """The offline default: the task's goal from the semantic parser
    (:mod:`robomatrix.scheduler.understand`), the plan searched from the goal over the skill
    specs (:func:`~robomatrix.scheduler.symbolic.plan_for_goal`). Deterministic, no model file."""

    name = "grounded"

    def interpret(self, task: str, objects: Sequence[Any]) -> list[GoalAtom]:
        from robomatrix.scheduler.understand import Refusal, interpret

        try:
            return interpret(task, objects)
        except Refusal as e:
            raise PlanRefused(e.reason, e.kind) from e

    def complete(self, prompt: Prompt) -> str:  # pragma: no cover - the planner calls interpret()
        raise PlannerBackendError("the grounded backend interprets tasks; it does not complete prompts")


@register_backend("grounded")
def _grounded(library: SkillLibrary, config: PlannerConfig) -> PlannerBackend:
    return GroundedBackend()


@register_backend("embedded")
def _embedded(library: SkillLibrary, config: PlannerConfig) -> PlannerBackend:
    from robomatrix.scheduler.backends.embedded import EmbeddedBackend

    try:
        return EmbeddedBackend(
            library, config.embedded.model_dir or None, threads=config.embedded.threads, max_steps=config.max_steps
        )
    except (FileNotFoundError, ImportError, ValueError) as e:
        raise PlannerBackendError(str(e)) from e


@register_backend("openai")
def _openai(library: SkillLibrary, config: PlannerConfig) -> PlannerBackend:
    from robomatrix.scheduler.backends.openai_compat import OpenAICompatBackend

    return OpenAICompatBackend(config.openai)


@register_backend("local")
def _local(library: SkillLibrary, config: PlannerConfig) -> PlannerBackend:
    from robomatrix.scheduler.backends.local import make_local_backend

    return make_local_backend(config.local, library, max_steps=config.max_steps)


def make_backend(config: PlannerConfig, library: SkillLibrary) -> PlannerBackend:
    return BACKENDS.get(config.backend)(library, config)


# --------------------------------------------------------------------------- screening (in code)

_UNSAFE_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(rules?|instructions?|prompts?|limits?|safety|guidelines?|restrictions?|constraints?)\b",
    r"\b(full|max|maximum|top|highest|unlimited)\s+speed\b",
    r"\bas fast as (you can|possible)\b",
    r"\bmove (very )?fast\b",
    r"\b(disable|bypass|override|turn off|switch off|deactivate|remove|skip)\b.{0,30}\b(safety|limits?|e-?stop|emergency stop|watchdog|checks?|restrictions?|workspace)\b",
    r"\b(system prompt|developer mode|jailbreak|no restrictions|no rules|you are now|pretend (that )?you)\b",
    r"\b(print|reveal|show|repeat)\b.{0,20}\b(your )?(prompt|instructions)\b",
    r"\b(hit|smash|strike|attack|hurt|punch|stab|injure|kill|break|shatter|fling|hurl)\b",
    # throwing something away (into the bin) is tidying; throwing it at someone, or throwing it, is not
    r"\b(throw|throwing|toss|chuck|lob|launch)\b(?![^.;]*\b(away|out|in|into|inside|bin|trash|rubbish)\b)",
    r"\b(throw|throwing|toss|chuck|lob|launch)\b[^.;]*\bat\s+(me|you|him|her|them|us|someone|somebody|people|"
    r"the\s+(person|people|human|man|woman|child|kid|user|operator|camera|window|wall|face|head))\b",
]
_UNSAFE = [re.compile(p) for p in _UNSAFE_PATTERNS]

IMPOSSIBLE_WORDS = frozenset(
    """fly flying moon mars paint painting cook cooking dinner cut knife sing song dance weld melt burn
    pour water coffee tea laundry fold wash dishes clean-up drive shop jump teleport eat drink write draw
    print call phone email vacuum sweep iron sew""".split()
)
"""Words that name actions no meta-skill can do (checked in code; the model may also refuse)."""

_COMMON = """a an the this that these those it its them they he she we you your i me my our us to of in into
onto on at by for with from up down over under above below off out inside top bottom middle side and or
then after before first next last again now please could can would will should kindly thanks thank
robot hey hi just also all every each both some any one two three other same matching colour color
colors colours its their his her is are be been being was were do does did done has have had let go
goes going get gets got put puts place places placed move moves moved moving take takes took bring
carry grab grasp grip pick picks lift hold release drop set leave open close shut opened closed push
pushes pushed nudge slide shove pull stack stacks stacked build make tower pile sort sorts organise
organize match group gather collect clear clean tidy empty store transfer load unload reach want like
need hand gripper arm table tabletop block bowl bin drawer object thing item items things way end
up by cm mm m left right forward backward back ahead far bit little slightly more less near next to
same as than so very there here where what which who how too end should could ok okay yes no not
mine kind kindly sure would like love cabinet container box basket tub dish plate cube brick
""".split()
_FOREIGN_MARKERS = frozenset(
    "el la los las en por favor pon coloca le les dans mettez sur du des une un der die das und ein eine "
    "bitte schale il nella ciotola metti na tigela coloque o bloco s'il te plaît ouvre öffne".split()
)


def _known_words(library: SkillLibrary) -> frozenset[str]:
    words = set(_COMMON) | IMPOSSIBLE_WORDS
    for spec in library:
        words |= set(spec.name.split("_"))
        words |= set(re.findall(r"[a-z]+", spec.description.lower()))
        for arg in spec.arguments:
            words |= set(arg.values) | {arg.name}
    words |= {w + "s" for w in list(words)}
    return frozenset(words)


def _present(objects: Sequence[Any]) -> str:
    return ", ".join(n for n in (object_field(o, "name") for o in objects) if n) or "none"


# Text no spoken task contains: brackets and braces (JSON, code), shell and SQL punctuation, calls.
# (Not '<', '>' or '=': "red block -> bowl" and "=>" are how people write a terse task.)
_CODE = re.compile(r"[{}\[\]$`|\\]|;\s*--|&&|\b\w+\(.*\)|^\s*(import|sudo|rm|curl)\s")


def screen_task(task: Any, objects: Sequence[Any], library: SkillLibrary, *, lexical: bool = True) -> None:
    """Refuse in code what no plan should be made for. Raises :class:`PlanRefused`.

    ``lexical`` False leaves the word-level checks (unknown words, absent objects) to a backend
    that accounts for every word itself (the grounded parser), keeping the safety screens."""
    if not isinstance(task, str) or not re.search(r"[^\W\d_]", task or ""):
        raise PlanRefused("the task is empty; say what the robot should do, e.g. 'put the red block in the bowl'",
                          "empty")
    if len(task) > 1000:
        raise PlanRefused(f"the task is {len(task)} characters long; keep it under 1000", "unclear")
    if any(not c.isprintable() and c not in " \t\n\r" for c in task):
        raise PlanRefused("the task holds control or invisible characters (e.g. NUL); send plain text, "
                          "e.g. 'put the red block in the bowl'", "gibberish")
    code = _CODE.search(task)
    if code:
        raise PlanRefused(
            f"the task looks like code, a command line or a plan ({code.group(0)!r}), not a sentence; say what "
            "the robot should do in words, e.g. 'put the red block in the bowl' (the planner writes the plan)",
            "code_or_json")
    letters = re.findall(r"[^\W\d_]", task)
    non_ascii = sum(1 for c in letters if not c.isascii())
    if non_ascii / len(letters) > 0.2:
        raise PlanRefused("the task is not in English; this planner understands English tasks only: say it in English, e.g. "
                              "'put the red block in the bowl'",
                          "non_english")
    low = " ".join(task.lower().split())
    for pattern in _UNSAFE:
        m = pattern.search(low)
        if m:
            raise PlanRefused(
                f"unsafe request or an attempt to change the planner's rules ({m.group(0)!r}); safety limits "
                "are fixed in the hardware layer and cannot be changed from a task",
                "unsafe",
            )
    from robomatrix.scheduler.understand import looks_like_code

    code = looks_like_code(task)
    if code:
        raise PlanRefused(f"the task contains code or markup ({code!r}); a task is plain words, never a plan, "
                          "a command line or a program", "code_or_json")
    words = normalise_words(task, {object_field(o, "colour") for o in objects} - {""})
    alpha = [w for w in words if re.fullmatch(r"[^\W\d_]+(['-][^\W\d_]+)*", w)]
    if not lexical:
        _screen_distances(words, library)
        return
    impossible = sorted({w for w in alpha if w in IMPOSSIBLE_WORDS})
    if impossible:
        raise PlanRefused(
            f"no skill can do {', '.join(repr(w) for w in impossible)}; the robot's skills are "
            f"{', '.join(s.signature for s in library)}",
            "impossible",
        )
    known = _known_words(library)
    if alpha and sum(1 for w in alpha if w in known or is_colour_word(w)) / len(alpha) < 0.5:
        if any(w in _FOREIGN_MARKERS for w in alpha):
            raise PlanRefused("the task is not in English; this planner understands English tasks only: say it in English, e.g. "
                              "'put the red block in the bowl'",
                              "non_english")
        raise PlanRefused(f"cannot read the task {task!r:.120}: most of its words are not English; say what the "
                          "robot should do in English, e.g. 'put the red block in the bowl'", "gibberish")
    _screen_distances(words, library)
    _screen_objects(words, objects)


def _screen_distances(words: list[str], library: SkillLibrary) -> None:
    """A distance in the task (``N cm`` after :func:`normalise_words`) must fit the range of
    some skill's number argument in metres; no such argument: nothing to check."""
    ranges = [(spec.name, arg.range) for spec in library for arg in spec.arguments
              if arg.type == "number" and arg.unit == "m" and arg.range is not None]
    if not ranges:
        return
    for i, w in enumerate(words[:-1]):
        if words[i + 1] == "cm" and re.fullmatch(r"\d+(\.\d+)?", w):
            metres = float(w) / 100
            if not any(low - 1e-9 <= metres <= high + 1e-9 for _, (low, high) in ranges):
                can = ", ".join(f"{name} {low:g}-{high:g} m" for name, (low, high) in ranges)
                raise PlanRefused(f"a distance of {metres:g} m is outside what the skills can do ({can})",
                                  "impossible")


def _screen_objects(words: list[str], objects: Sequence[Any]) -> None:
    """Every 'colour category' phrase, and every bare category, must name something present."""
    present = {object_field(o, "colour").lower() for o in objects} - {""}
    world = [(canonical_colour(object_field(o, "colour")) or object_field(o, "colour").lower(),
              canonical_category(object_field(o, "category")) or object_field(o, "category").lower()) for o in objects]  # fmt: skip
    for i, w in enumerate(words):
        category = canonical_category(w)
        if category is None or w in ("thing", "item", "items", "things"):
            continue
        colour = canonical_colour(words[i - 1], present, before_noun=True) if i > 0 else None
        if colour is not None:
            if (colour, category) not in world and not (category == "object" and any(c == colour for c, _ in world)):
                raise PlanRefused(
                    f"there is no {colour} {category} in the scene; objects present: {_present(objects)}",
                    "absent_object",
                )
        elif category != "object" and not any(c == category for _, c in world):
            raise PlanRefused(
                f"there is no {category} in the scene; objects present: {_present(objects)}", "absent_object"
            )


# --------------------------------------------------------------------------- parsing


class _AnswerError(Exception):
    """An answer that is not a valid plan (message says why); triggers the re-ask."""


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)


def extract_json(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, a fenced block, or the outermost
    {...}. Parsed with json.loads only (NaN/Infinity rejected); never evaluated."""
    if not isinstance(text, str) or not text.strip():
        raise _AnswerError("the answer was empty; answer with one JSON object")

    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    candidates = [text.strip()]
    candidates += [m.strip() for m in _FENCE.findall(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    last: Exception | None = None
    for c in candidates:
        try:
            return json.loads(c, parse_constant=reject_constant)
        except (ValueError, RecursionError) as e:
            last = e
    raise _AnswerError(f"the answer is not valid JSON ({last}); answer with one JSON object, no prose")


def _world_objects(world: Any) -> list[Any]:
    if hasattr(world, "objects") and not isinstance(world, Mapping | list | tuple):
        world = world.objects
    if isinstance(world, Mapping) and "objects" in world:
        world = world["objects"]
    if not isinstance(world, list | tuple):
        raise TypeError(f"world must be a list of ObjectInfo-like objects or have .objects, got {type(world).__name__}")
    for o in world:
        if not object_field(o, "id"):
            raise TypeError(f"world object {o!r} has no id; objects need id, name, category, colour")
    return list(world)


# --------------------------------------------------------------------------- planner


class Planner:
    """Plans with one backend; screening, validation, grounding and the re-ask are here."""

    def __init__(self, backend: PlannerBackend, library: SkillLibrary | None = None, *, max_steps: int = 32) -> None:
        self.backend = backend
        self.library = library or load_skill_library()
        self.max_steps = max_steps
        self.schema = response_schema(self.library, max_steps=max_steps)

    @classmethod
    def from_config(cls, config: PlannerConfig | None = None, library: SkillLibrary | None = None) -> Planner:
        cfg = config or load_planner_config()
        lib = library or load_skill_library()
        return cls(make_backend(cfg, lib), lib, max_steps=cfg.max_steps)

    @property
    def backend_name(self) -> str:
        return str(getattr(self.backend, "name", type(self.backend).__name__))

    def plan(self, task: str, world: Any, *, failure_context: str | None = None) -> Plan:
        """A validated, verified plan with grounded ids and the task's goal for ``task`` in
        ``world`` (an observation, a list of ObjectInfo-like objects, or anything with
        ``.objects``). Raises PlanRefused, PlanInvalid, PlannerBackendError."""
        t0 = time.perf_counter()
        objects = _world_objects(world)
        symbolic = _symbolic(world, objects)
        interpreting = hasattr(self.backend, "interpret")
        screen_task(task, objects, self.library, lexical=not interpreting)
        if interpreting:
            try:
                goal = list(self.backend.interpret(task, objects))  # type: ignore[attr-defined]
            except PlanRefused as e:
                if e.kind in ("unknown_word", "absent_object", "unknown"):
                    # The word-level screen names the broader reason when there is one (the task is
                    # not English, gibberish, asks for an impossible action, names an absent object).
                    screen_task(task, objects, self.library, lexical=True)
                raise
            try:
                calls, _ = plan_for_goal(goal, symbolic, self.library)
            except PlanImpossible as e:
                raise PlanRefused(f"no plan reaches the goal ({describe_goal(goal, objects)}): {e.reason}",
                                  "impossible") from e
            steps = [PlanStep(name, args, dict(args)) for name, args in calls]
            text = json.dumps({"goal": [a.to_text() for a in goal], "steps": [s.to_data() for s in steps]})
            latency = time.perf_counter() - t0
            log.info("planned %d steps for %d goal atoms in %.0f ms", len(steps), len(goal), latency * 1e3)
            return Plan(tuple(steps), text, self.backend_name, latency, 1, task, tuple(goal),
                        describe_goal(goal, objects), True)
        prompt = build_prompt(task, objects, self.library, failure_context=failure_context, max_steps=self.max_steps,
                              schema=self.schema)
        errors: list[str] = []
        answers: list[str] = []
        for attempt in (1, 2):
            text = self.backend.complete(prompt)
            answers.append(text)
            try:
                steps, goal, given = self._steps(text, objects, symbolic)
            except _AnswerError as e:
                log.info("planner answer rejected (attempt %d): %s", attempt, e)
                errors.append(str(e))
                prompt = prompt.with_reask(text, str(e))
                continue
            latency = time.perf_counter() - t0
            log.info("planned %d steps with %s in %.0f ms", len(steps), self.backend_name, latency * 1e3)
            return Plan(tuple(steps), text, self.backend_name, latency, attempt, task, tuple(goal),
                        describe_goal(goal, objects), given)
        if any("cannot run" in e for e in errors):
            raise PlanRefused(f"the plan is impossible in this world: {errors[-1]}", "impossible")
        url = getattr(self.backend, "url", "")  # an LLM endpoint: name it, the fault may be the server's
        raise PlanInvalid(errors, answers, f"LLM endpoint {url}" if url else "")

    def _steps(self, text: str, objects: Sequence[Any],
               symbolic: SymbolicWorld) -> tuple[list[PlanStep], list[GoalAtom], bool]:
        data = extract_json(text)
        if isinstance(data, dict) and set(data) == {"refuse"}:
            reason = data["refuse"]
            if not isinstance(reason, str) or not reason.strip():
                raise _AnswerError('"refuse" must hold the reason as text')
            raise PlanRefused(reason.strip()[:500], "model")
        goal_data = data.pop("goal", None) if isinstance(data, dict) else None
        problems = validate_json(data, self.schema)
        if problems:
            raise _AnswerError("the JSON does not match the plan schema: " + "; ".join(problems[:6]))
        steps = []
        for i, step in enumerate(data["steps"]):
            try:
                spec = self.library.get(step["skill"])
                grounded = spec.validate_arguments(step["args"], objects)
            except (UnknownSkillError, SkillArgumentError) as e:
                raise _AnswerError(f"step {i + 1} ({step.get('skill')!r}): {e}") from e
            steps.append(PlanStep(spec.name, grounded, dict(step["args"])))
        try:  # executed symbolically before anything moves
            end = verify_plan(steps, symbolic, self.library)
        except PlanImpossible as e:
            raise _AnswerError(e.reason) from e
        if goal_data:
            known = {object_field(o, "name"): object_field(o, "id") for o in objects}
            try:
                return steps, atoms_from_data(goal_data, known), True
            except ValueError as e:
                raise _AnswerError(f"the goal is not a list of predicates: {e}") from e
        return steps, goal_from_plan(symbolic, end, steps, self.library), False


def _symbolic(world: Any, objects: Sequence[Any]) -> SymbolicWorld:
    """The symbolic world of an observation (what the gripper holds too) or of bare objects."""
    if hasattr(world, "held_object_id"):
        return SymbolicWorld.from_observation(world)
    return SymbolicWorld.from_objects(objects)
