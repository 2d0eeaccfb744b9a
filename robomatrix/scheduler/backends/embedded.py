"""The embedded planner: a small GPT-2-style model trained by the project, with decoding
constrained by a grammar built from the skill specs and the current world.

Core module: imports no rclpy; torch/transformers/tokenizers are imported when a model is
loaded. Works offline, no API key. Train it with
``python -m robomatrix.scheduler.train_planner --out skills/_planner --seed 0``.

How it reads a task. The input is word tokens; every world object gets a pointer token
``@i`` (its index in the world list)::

    [WORLD] @0 grey bin ; @1 red block ; @2 green bowl ; [TASK] put @1 in @2 [PLAN]

Task words are canonicalised before the model (:func:`task_words`): lower case, synonyms to
canonical colours/categories/directions with the tables of :mod:`robomatrix.skills.spec`
(via :func:`robomatrix.scheduler.prompt.normalise_words`), distances to ``N cm``,
politeness and filler words dropped, ``into``/``onto`` folded to ``in``/``on``; then each
phrase naming exactly one world object becomes that object's pointer (:func:`link_objects`,
entity linking with the grounding's colour/category match). The model then writes only the *decisions* of a plan — ``S:move_to @1 S:grasp @1
S:place_over @2 S:release [EOS]`` — while :class:`PlanGrammar`, a state machine over the
plan's JSON grammar, supplies everything else and masks every decision to what is valid there:

* a step starts with a skill of the library (or, first, a refusal ``R:<kind>``);
* argument names and their order come from that skill's spec (never generated);
* an object argument is a pointer ``@i`` to an object *present in the world* whose
  category the argument accepts (a choice among the world list, never a generated name;
  the first :data:`MAX_OBJECTS` objects can be pointed at);
* a direction is one of the spec's values; a number one of the spec's range in 1 cm steps
  or ``D:default``.

Training (:mod:`robomatrix.scheduler.train_planner`) scores only these decisions, with the
softmax restricted to what the grammar allows at each (:func:`decision_masks`).

The answer is JSON text (``{"steps": [...]}`` or ``{"refuse": ...}``) that the planner
parses and validates like any other backend's.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robomatrix.scheduler.prompt import Prompt, normalise_words
from robomatrix.skills.spec import COLOUR_SYNONYMS, DIRECTIONS, SkillLibrary, canonical_category

log = logging.getLogger(__name__)

__all__ = [
    "META_FILE",
    "MODEL_REFUSALS",
    "EmbeddedModel",
    "PlanGrammar",
    "Vocabulary",
    "decision_masks",
    "decision_tokens",
    "encode_prefix",
    "link_objects",
    "target_tokens",
    "task_words",
]

META_FILE = "planner_meta.json"
FORMAT = 2  # 2: pointer tokens @i for objects, canonicalised task words

PAD, UNK, BOS, EOS, WORLD, TASK, PLAN, SEP = "[PAD]", "[UNK]", "[BOS]", "[EOS]", "[WORLD]", "[TASK]", "[PLAN]", ";"
SPECIALS = (PAD, UNK, BOS, EOS, WORLD, TASK, PLAN, SEP)

MODEL_REFUSALS: dict[str, str] = {
    "absent_object": "the task names an object that is not in the scene",
    "impossible": "the task needs a skill or an argument the robot does not have",
    "unsafe": "the task is unsafe or asks to ignore the planner's rules",
    "unclear": "the task is not understandable English",
}
"""Refusal kinds the embedded model can write (R:<kind>) and the reason it gives."""

MAX_OBJECTS = 16  # pointer tokens @0..@15: world objects a plan can name (the first 16)
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


class Vocabulary:
    """Word-level vocabulary (stored as a ``tokenizers`` WordLevel tokenizer.json)."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise ValueError("vocabulary tokens must be unique")
        for s in SPECIALS:
            if s not in self.index:
                raise ValueError(f"vocabulary lacks the special token {s!r}")

    def __len__(self) -> int:
        return len(self.tokens)

    def id(self, token: str) -> int:
        return self.index.get(token, self.index[UNK])

    def ids(self, tokens: Iterable[str]) -> list[int]:
        return [self.id(t) for t in tokens]

    def known(self, word: str) -> str:
        """``word``, or for an out-of-vocabulary word its first in-vocabulary stem (pushing ->
        push, closed -> close, placed -> place, stores -> store), else ``word`` (-> [UNK])."""
        if word in self.index:
            return word
        stems = []
        if word.endswith("ing"):
            stems += [word[:-3], word[:-3] + "e"]
        if word.endswith("ed"):
            stems += [word[:-2], word[:-1]]
        if word.endswith("s"):
            stems += [word[:-1]]
        return next((s for s in stems if len(s) > 2 and s in self.index), word)

    @classmethod
    def build(cls, texts: Iterable[list[str]], library: SkillLibrary, min_count: int = 2) -> Vocabulary:
        counts: dict[str, int] = {}
        for words in texts:
            for w in words:
                counts[w] = counts.get(w, 0) + 1
        fixed = [*SPECIALS, *decision_tokens(library), *sorted(set(COLOUR_SYNONYMS.values())),
                 *CATEGORY_WORDS, *(c + "s" for c in CATEGORY_WORDS), *DIRECTIONS,
                 *(str(k) for k in range(0, 101)), "cm"]  # fmt: skip
        seen = set(fixed)
        words = sorted(w for w, c in counts.items() if c >= min_count and w not in seen)
        return cls(list(dict.fromkeys(fixed)) + words)

    def save(self, folder: Path) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import WordLevel
        from tokenizers.pre_tokenizers import WhitespaceSplit

        tok = Tokenizer(WordLevel(vocab=self.index, unk_token=UNK))
        tok.pre_tokenizer = WhitespaceSplit()
        tok.save(str(folder / "tokenizer.json"))

    @classmethod
    def load(cls, folder: Path) -> Vocabulary:
        data = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        vocab: dict[str, int] = data["model"]["vocab"]
        return cls([t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])])


# --------------------------------------------------------------------------- encoding


def _colour_word(obj: dict[str, str]) -> str:
    return COLOUR_SYNONYMS.get(obj.get("colour", "").lower(), UNK)


def _category(obj: dict[str, str]) -> str:
    return canonical_category(obj.get("category", "")) or UNK


def task_words(task: str) -> list[str]:
    """The canonicalised task words the model reads.

    ``"Would you kindly place the crimson cube onto the navy brick, thanks!"`` ->
    ``["place", "red", "block", "on", "blue", "block", ","]``.
    """
    words = [FOLD_WORDS.get(w, w) for w in normalise_words(task)]
    words = [w for w in words if w not in FILLER_WORDS]
    while words and words[0] in (",", ":", ";", "to"):  # left over from "robot, ..." / "i would like you to ..."
        words = words[1:]
    return words


def link_objects(words: Sequence[str], world: Sequence[dict[str, str]]) -> list[str]:
    """Replace each phrase of canonical task words that names exactly one world object by that
    object's pointer ``@i`` (entity linking, as the specs' grounding matches names):
    ``colour category`` (``colour object`` for any category), or a bare singular category
    present once in the world ("bin"). Phrases matching several objects ("red blocks" among
    two red blocks) or none stay words; the model reads those against the world list.
    """
    objs = [(f"@{i}", _colour_word(o), _category(o)) for i, o in enumerate(world[:MAX_OBJECTS])]
    colours = set(COLOUR_SYNONYMS.values())
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in colours and nxt in CATEGORY_WORDS:
            hits = [p for p, c, k in objs if c == w and (k == nxt or nxt == "object")]
            if len(hits) == 1:
                out.append(hits[0])
                i += 2
                continue
        elif w in CATEGORY_WORDS and w != "object":
            hits = [p for p, _, k in objs if k == w]
            if len(hits) == 1:
                out.append(hits[0])
                i += 1
                continue
        out.append(w)
        i += 1
    return out


_SET_WORDS = frozenset({"all", "every", "each", "everything", "table", "them", "it", "others", "rest"})


def named_objects(task: str, world: Sequence[dict[str, str]]) -> set[str]:
    """Pointers of the objects a task names, or an empty set when it also refers to objects
    it does not name one by one ("all red blocks", "the table", an ambiguous "the block")."""
    linked = link_objects(task_words(task), world)
    for w in linked:
        if w.startswith("@"):
            continue
        if w in CATEGORY_WORDS or w.rstrip("s") in CATEGORY_WORDS or w.endswith("es") and w[:-2] in CATEGORY_WORDS \
                or w in _SET_WORDS:
            return set()
    return {w for w in linked if w.startswith("@")}


def encode_prefix(task: str, world: Sequence[dict[str, str]]) -> list[str]:
    """Input tokens: world objects with their pointers, then the canonicalised task with the
    objects it names linked to their pointers (:func:`link_objects`), ending with [PLAN]."""
    toks = [BOS, WORLD]
    for i, obj in enumerate(world[:MAX_OBJECTS]):
        toks += [f"@{i}", _colour_word(obj), _category(obj), SEP]
    return toks + [TASK, *link_objects(task_words(task), world), PLAN]


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
                   vocab: Vocabulary, max_steps: int = 32) -> list[list[int] | None]:
    """For each target token: the vocabulary ids the grammar allows there, or None where the
    grammar forces the token (no decision; training does not score it). Raises ValueError
    when the target is not a plan the grammar can produce."""
    walk = PlanGrammar(library, world, vocab, max_steps=max_steps).walk()
    allowed = next(walk)
    out: list[list[int] | None] = []
    for i, tok in enumerate(target):
        if tok not in allowed:
            raise ValueError(f"target token {tok!r} at {i} is not allowed by the grammar ({sorted(allowed)})")
        out.append(sorted(vocab.index[t] for t in allowed if t in vocab.index) if len(allowed) > 1 else None)
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

    def __init__(self, library: SkillLibrary, world: Sequence[dict[str, str]], vocab: Vocabulary,
                 max_steps: int = 32, named: Iterable[str] | None = None) -> None:
        self.library = library
        self.world = list(world)
        self.max_steps = max_steps
        # Pointers of the objects the task names, when it names every object it refers to
        # (see named_objects): an object argument then chooses among those only.
        self.named = set(named or ())
        self.skills = {f"S:{s.name}": s for s in library if f"S:{s.name}" in vocab.index}
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
    """The trained checkpoint folder (config.json, model.safetensors, tokenizer.json, planner_meta.json)."""

    def __init__(self, folder: Path | str, *, threads: int = 1) -> None:
        self.folder = Path(folder)
        meta_file = self.folder / META_FILE
        if not meta_file.is_file():
            raise FileNotFoundError(
                f"{self.folder} is not an embedded planner checkpoint ({META_FILE} missing); fix: run "
                f"`python -m robomatrix.scheduler.train_planner --out {self.folder} --seed 0`"
            )
        self.meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if self.meta.get("format") != FORMAT:
            raise ValueError(
                f"{meta_file}: format {self.meta.get('format')!r}, this code reads {FORMAT}; fix: retrain"
            )
        try:
            import torch
            from transformers import GPT2LMHeadModel
        except ImportError as e:
            raise ImportError(
                f"the embedded planner needs torch and transformers ({e}); fix: "
                "pip install transformers==5.24.0 tokenizers==0.23.3 torch==2.13.0"
            ) from e
        _torch_threads(threads)
        self.vocab = Vocabulary.load(self.folder)
        self.model = GPT2LMHeadModel.from_pretrained(str(self.folder))
        self.model.eval()
        self._torch = torch
        self._lock = threading.Lock()  # one decode at a time per model (the KV cache is per call)
        self.max_positions = int(self.model.config.n_positions)

    def decode(self, task: str, world: Sequence[dict[str, str]], library: SkillLibrary,
               max_steps: int = 32) -> tuple[_Decoded, list[str]]:
        """Greedy, grammar-constrained decoding. Returns the plan and the decision tokens."""
        torch = self._torch
        prefix = encode_prefix(task, world)
        grammar = PlanGrammar(library, world, self.vocab, max_steps=max_steps, named=named_objects(task, world))
        walk = grammar.walk()
        allowed = next(walk)
        pending = self.vocab.ids(self.vocab.known(t) for t in prefix)
        length = len(pending)
        past = None
        chosen: list[str] = []
        with self._lock, torch.inference_mode():
            while True:
                if len(allowed) == 1:
                    (tok,) = allowed
                else:
                    if length > self.max_positions:
                        raise ValueError(f"plan longer than the model's {self.max_positions} positions")
                    out = self.model(input_ids=torch.tensor([pending]), cache=past, use_cache=True)
                    past = out.cache
                    pending = []
                    logits = out.logits[0, -1]
                    ids = [self.vocab.index[t] for t in allowed if t in self.vocab.index]
                    if not ids:
                        raise ValueError(f"no allowed token {sorted(allowed)} is in the model's vocabulary")
                    best = ids[int(torch.argmax(logits[ids]))]
                    tok = self.vocab.tokens[best]
                chosen.append(tok)
                pending.append(self.vocab.id(tok))
                length += 1
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
    """``$ROBOMATRIX_PLANNER_DIR`` or the checkpoint committed in the source tree (skills/_planner)."""
    env = os.environ.get("ROBOMATRIX_PLANNER_DIR")
    if env:
        return Path(env)
    from robomatrix.skills.spec import find_skills_root

    return find_skills_root() / "_planner"


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
