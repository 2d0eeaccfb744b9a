"""Train the embedded planner model from generated instruction -> plan pairs.

    python -m robomatrix.scheduler.train_planner --out skills/_planner --seed 0

Seeded and reproducible (same seed, same data, same weights on the same machine); a
progress bar; a few minutes on two CPU cores; uses CUDA when present. Writes
config.json + model.safetensors (transformers GPT-2 layout), tokenizer.json (tokenizers
WordLevel), planner_meta.json (format, skills, data and training figures) into ``--out``.
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

from robomatrix.errors import ConfigError
from robomatrix.scheduler.backends.embedded import (
    FORMAT,
    META_FILE,
    PAD,
    UNK,
    EmbeddedModel,
    Vocabulary,
    decision_masks,
    encode_prefix,
    target_tokens,
)
from robomatrix.scheduler.prompt import world_records
from robomatrix.scheduler.tasks import Example, generate_examples
from robomatrix.skills.spec import COLOUR_SYNONYMS, DIRECTIONS, SkillLibrary, load_skill_library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    examples: int = 40_000  # generated training pairs
    epochs: float = 3.36  # passes over the data (4 200 steps of 32: ~8 min on one CPU thread)
    batch_size: int = 32
    lr: float = 3e-3  # peak AdamW learning rate (linear warm-up, cosine decay)
    n_embd: int = 128  # model width
    n_layer: int = 3
    n_head: int = 4
    n_positions: int = 192  # longest prefix + plan, tokens
    word_dropout: float = 0.1  # probability a non-content task word is replaced by [UNK] (robustness to new words)
    threads: int = 1  # torch CPU threads (kept small: the machine is shared)
    eval_examples: int = 300  # held-out test-split examples scored at the end

    def __post_init__(self) -> None:
        for key in ("examples", "batch_size", "n_embd", "n_layer", "n_head", "n_positions", "threads"):
            value = getattr(self, key)
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"train_planner: {key} must be a positive integer, got {value!r}")
        if self.n_embd % self.n_head:
            raise ConfigError(f"train_planner: n_embd {self.n_embd} must be divisible by n_head {self.n_head}")
        if not 0 < self.epochs <= 100 or not 0 < self.lr < 1 or not 0 <= self.word_dropout < 0.5:
            raise ConfigError("train_planner: epochs in (0, 100], lr in (0, 1), word_dropout in [0, 0.5)")


Pair = tuple[list[str], list[str], list[list[int] | None]]  # prefix, target, allowed ids per target token


def _pairs(examples: Sequence[Example], library: SkillLibrary, vocab: Vocabulary | None = None) -> list[Pair]:
    out: list[Pair] = []
    for ex in examples:
        world = world_records(ex.world)
        target = target_tokens(ex.steps, ex.refusal, world, library)
        masks = decision_masks(target, world, library, vocab) if vocab is not None else []
        out.append((encode_prefix(ex.task, world), target, masks))
    return out


def _content_words() -> set[str]:
    """Task words never dropped by word dropout: they carry the plan's arguments."""
    cats = ("block", "bowl", "bin", "drawer", "object")
    return {*COLOUR_SYNONYMS.values(), *cats, *(c + "s" for c in cats), *DIRECTIONS,
            *(str(k) for k in range(0, 101)), "cm", ",", ":"}  # fmt: skip


def train(out: Path, cfg: TrainConfig, *, quiet: bool = False) -> dict[str, Any]:
    """Train, save into ``out``, score on held-out paraphrases; returns the metadata written.

    The loss covers only the plan's *decisions* (target tokens where the grammar allows
    more than one token), with the softmax restricted to the tokens allowed there: the
    distribution the constrained decoder samples from.
    """
    import torch
    from tqdm import tqdm
    from transformers import GPT2Config, GPT2LMHeadModel

    t_start = time.perf_counter()
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    library = load_skill_library()

    examples = generate_examples(cfg.examples, seed=cfg.seed, split="train", library=library)
    vocab = Vocabulary.build((p for p, _, _ in _pairs(examples, library)), library)
    pairs = _pairs(examples, library, vocab)
    longest = max(len(p) + len(t) for p, t, _ in pairs)
    if longest > cfg.n_positions:
        raise ConfigError(f"train_planner: a sequence has {longest} tokens > n_positions {cfg.n_positions}")
    log.info("%d pairs, vocabulary %d, longest sequence %d tokens", len(pairs), len(vocab), longest)

    model_cfg = GPT2Config(
        vocab_size=len(vocab), n_positions=cfg.n_positions, n_embd=cfg.n_embd, n_layer=cfg.n_layer,
        n_head=cfg.n_head, n_inner=4 * cfg.n_embd, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
        bos_token_id=vocab.id("[BOS]"), eos_token_id=vocab.id("[EOS]"), pad_token_id=vocab.id(PAD),
        tie_word_embeddings=True,
    )  # fmt: skip
    model = GPT2LMHeadModel(model_cfg).to(device)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    steps_per_epoch = (len(pairs) + cfg.batch_size - 1) // cfg.batch_size
    total = int(cfg.epochs * steps_per_epoch)
    warmup = max(1, total // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return cfg.lr * (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(progress * math.pi)))

    rng = random.Random(cfg.seed)
    unk, pad = vocab.id(UNK), vocab.id(PAD)
    keep = {vocab.id(t) for t in _content_words() if t in vocab.index} | {vocab.id("[PLAN]")}
    model.train()
    batches: list[list[int]] = []

    def epoch_batches() -> list[list[int]]:
        """Shuffled batches of similar length (less padding), in shuffled order."""
        idx = list(range(len(pairs)))
        rng.shuffle(idx)
        chunk = cfg.batch_size * 50
        out_: list[list[int]] = []
        for c in range(0, len(idx), chunk):
            part = sorted(idx[c : c + chunk], key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
            out_ += [part[b : b + cfg.batch_size] for b in range(0, len(part), cfg.batch_size)]
        rng.shuffle(out_)
        return out_

    losses: list[float] = []
    bar = tqdm(range(total), desc="train planner", unit="step", disable=quiet)
    for step in bar:
        if not batches:
            batches = epoch_batches()
        batch = [pairs[i] for i in batches.pop()]
        width = max(len(p) + len(t) for p, t, _ in batch) - 1  # the last target token is never an input
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        rows: list[int] = []
        cols: list[int] = []
        labels: list[int] = []
        allowed_rows: list[list[int]] = []
        for i, (prefix, target, masks) in enumerate(batch):
            p_ids = vocab.ids(prefix)
            task_start = prefix.index("[TASK]")
            p_ids = [
                unk if j > task_start and k not in keep and rng.random() < cfg.word_dropout else k
                for j, k in enumerate(p_ids)
            ]
            t_ids = vocab.ids(target)
            seq = (p_ids + t_ids)[:width]
            ids[i, : len(seq)] = torch.tensor(seq)
            mask[i, : len(seq)] = 1
            for j, allowed in enumerate(masks):
                if allowed is not None:  # target token j is predicted at the position before it
                    rows.append(i)
                    cols.append(len(p_ids) + j - 1)
                    labels.append(t_ids[j])
                    allowed_rows.append(allowed)
        restrict = torch.full((len(rows), len(vocab)), float("-inf"))
        for r, allowed in enumerate(allowed_rows):
            restrict[r, allowed] = 0.0
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        hidden = model.transformer(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state
        logits = model.lm_head(hidden[torch.tensor(rows), torch.tensor(cols)]) + restrict.to(device)
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels, device=device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss))
        if step % 20 == 0:
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.4f}")
    train_s = time.perf_counter() - t_start

    out.mkdir(parents=True, exist_ok=True)
    model.to("cpu").eval()
    model.save_pretrained(str(out))
    vocab.save(out)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "kind": "robomatrix embedded planner (GPT-2 decoder, word-level, pointer tokens, grammar-constrained "
        "decoding, loss on decisions only)",
        "skills": list(library.names),
        "parameters": params,
        "vocabulary": len(vocab),
        "train": asdict(cfg),
        "train_seconds": round(train_s, 1),
        "final_loss": round(sum(losses[-50:]) / len(losses[-50:]), 5),
        "device": str(device),
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    if cfg.eval_examples:
        meta["heldout_exact"] = _score(out, library, cfg)
        (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    log.info("trained %d parameters in %.0f s; held-out exact %s", params, train_s, meta.get("heldout_exact"))
    return meta


def _score(folder: Path, library: SkillLibrary, cfg: TrainConfig) -> float:
    """Share of held-out test-split examples whose decoded decisions equal the expected ones."""
    model = EmbeddedModel(folder, threads=cfg.threads)
    tests = generate_examples(cfg.eval_examples, seed=cfg.seed + 1000, split="test", library=library)
    good = 0
    for ex in tests:
        world = world_records(ex.world)
        _, tokens = model.decode(ex.task, world, library)
        good += tokens == target_tokens(ex.steps, ex.refusal, world, library)
    return round(good / len(tests), 4)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m robomatrix.scheduler.train_planner",
        description="Train the embedded planner model. Example: "
        "python -m robomatrix.scheduler.train_planner --out skills/_planner --seed 0",
    )
    parser.add_argument("--out", type=Path, required=True, help="checkpoint folder to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of data, initialisation and batches")
    defaults = TrainConfig()
    for key in ("examples", "epochs", "batch_size", "lr", "n_embd", "n_layer", "word_dropout", "threads",
                "eval_examples"):
        value = getattr(defaults, key)
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value, help=f"default {value}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = TrainConfig(
        seed=args.seed, examples=args.examples, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        n_embd=args.n_embd, n_layer=args.n_layer, word_dropout=args.word_dropout, threads=args.threads,
        eval_examples=args.eval_examples,
    )  # fmt: skip
    meta = train(args.out, cfg)
    logging.getLogger(__name__).info("wrote %s: %s", args.out, json.dumps(meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
