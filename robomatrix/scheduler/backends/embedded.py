"""The embedded planner: a small GPT-2-style model trained by the project, with decoding
constrained by a grammar built from the skill specs and the current world.

Core module: imports no rclpy; torch/transformers/tokenizers are imported when a model is
loaded. Works offline, no API key. Train it with
``python -m robomatrix.scheduler.train_planner --out skills/_planner --seed 0``.

How it reads a task. The input is word tokens::

    [WORLD] grey bin ; red block ; blue block ; green bowl ; [TASK] put the red block in the green bowl [PLAN]

(task words normalised by :func:`robomatrix.scheduler.prompt.normalise_words`: synonyms
to canonical colours/categories, distances to ``N cm``). The model then writes only the
*decisions* of a plan — ``S:move_to red block S:grasp red block S:place_over green bowl
S:release [EOS]`` — while :class:`PlanGrammar`, a state machine over the plan's JSON
grammar, supplies everything else and masks every decision to what is valid there:

* a step starts with a skill of the library (or, first, a refusal ``R:<kind>``);
* argument names and their order come from that skill's spec (never generated);
* an object argument is a colour then a category, restricted to objects *present in the
  world* whose category the argument accepts, plus ``#k`` when several share a name;
* a direction is one of the spec's values; a number one of the spec's range in 1 cm steps
  or ``D:default``.

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
    "decision_tokens",
    "encode_prefix",
]

META_FILE = "planner_meta.json"
FORMAT = 1

PAD, UNK, BOS, EOS, WORLD, TASK, PLAN, SEP = "[PAD]", "[UNK]", "[BOS]", "[EOS]", "[WORLD]", "[TASK]", "[PLAN]", ";"
SPECIALS = (PAD, UNK, BOS, EOS, WORLD, TASK, PLAN, SEP)

MODEL_REFUSALS: dict[str, str] = {
    "absent_object": "the task names an object that is not in the scene",
    "impossible": "the task needs a skill or an argument the robot does not have",
    "unsafe": "the task is unsafe or asks to ignore the planner's rules",
    "unclear": "the task is not understandable English",
}
"""Refusal kinds the embedded model can write (R:<kind>) and the reason it gives."""

MAX_INSTANCES = 4  # "#0".."#3": objects sharing one name that a plan can tell apart
CATEGORY_WORDS = ("block", "bowl", "bin", "drawer", "object")


def _number_token(value: float) -> str:
    return f"D:{value:.2f}"


def _number_values(low: float, high: float) -> list[float]:
    """Values of a number argument the model can write: 1 cm (0.01) steps inside [low, high]."""
    start, stop = math.ceil(low * 100 - 1e-6), math.floor(high * 100 + 1e-6)
    return [k / 100 for k in range(start, stop + 1)]


def decision_tokens(library: SkillLibrary) -> list[str]:
    """Output tokens a plan for ``library`` can use (skills, refusals, instances, numbers)."""
    toks = [f"S:{s.name}" for s in library] + [f"R:{k}" for k in MODEL_REFUSALS]
    toks += [f"#{k}" for k in range(MAX_INSTANCES)] + ["D:default"]
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


def _instances(world: Sequence[dict[str, str]]) -> list[int | None]:
    """Index of each object among objects sharing its name, None when its name is unique."""
    names = [o.get("name", "") for o in world]
    out: list[int | None] = []
    for i, n in enumerate(names):
        out.append(names[:i].count(n) if names.count(n) > 1 else None)
    return out


def encode_prefix(task: str, world: Sequence[dict[str, str]]) -> list[str]:
    """Input tokens: world objects then the normalised task, ending with [PLAN]."""
    toks = [BOS, WORLD]
    for obj, k in zip(world, _instances(world), strict=True):
        toks += [_colour_word(obj), _category(obj)] + ([f"#{k}"] if k is not None else []) + [SEP]
    return toks + [TASK, *normalise_words(task), PLAN]


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
    by_ref = {reference(o, world): o for o in world}
    inst = dict(zip((o["id"] for o in world), _instances(world), strict=True))
    out: list[str] = []
    for step in steps:
        spec = library.get(step["skill"])
        out.append(f"S:{spec.name}")
        for arg in spec.arguments:
            value = step["args"].get(arg.name)
            if arg.type == "object":
                obj = by_ref[value]
                out += [_colour_word(obj), _category(obj)]
                if inst[obj["id"]] is not None:
                    out.append(f"#{inst[obj['id']]}")
            elif arg.type == "direction":
                out.append(value)
            else:
                out.append("D:default" if value is None else _number_token(float(value)))
    return out + [EOS]


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
                 max_steps: int = 32) -> None:
        self.library = library
        self.world = list(world)
        self.max_steps = max_steps
        self.skills = {f"S:{s.name}": s for s in library if f"S:{s.name}" in vocab.index}
        self.refusals = {f"R:{k}" for k in MODEL_REFUSALS}
        self._inst = _instances(self.world)

    def _object(self, categories: Sequence[str]) -> Generator[set[str], str, dict[str, str] | None]:
        cands = [(o, k) for o, k in zip(self.world, self._inst, strict=True) if _category(o) in categories]
        if not cands:
            return None
        colour = yield {_colour_word(o) for o, _ in cands}
        cands = [(o, k) for o, k in cands if _colour_word(o) == colour]
        cat = yield {_category(o) for o, _ in cands}
        cands = [(o, k) for o, k in cands if _category(o) == cat]
        if len(cands) > 1:
            allowed = {f"#{k}" for _, k in cands if k is not None and k < MAX_INSTANCES}
            inst = yield allowed
            cands = [(o, k) for o, k in cands if f"#{k}" == inst]
        return cands[0][0]

    def _usable(self, spec: Any) -> bool:
        for arg in spec.arguments:
            if arg.type == "object" and not any(_category(o) in arg.categories for o in self.world):
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
        grammar = PlanGrammar(library, world, self.vocab, max_steps=max_steps)
        walk = grammar.walk()
        allowed = next(walk)
        pending = self.vocab.ids(prefix)
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
