"""Training loops: behaviour cloning of a skill policy, and RT-H's learning from corrections.

Core module: imports no rclpy.

The data are small (tens of thousands of (D,) vectors), so everything lives in tensors on
the training device and batches are index slices of a seeded permutation: no DataLoader,
no worker processes. On CPU a run is reproducible bit for bit for a given seed and thread
count (``deterministic=True`` switches on ``torch.use_deterministic_algorithms`` for the
duration of the run).
"""

from __future__ import annotations

import contextlib
import logging
import math
import shlex
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from robomatrix.errors import ConfigError
from robomatrix.learning.dataset import Dataset
from robomatrix.policies.features import (
    augment,
    episode_context,
    feature_dim,
    parse_context,
)
from robomatrix.policies.language_motion import VOCABULARY, motion_direction
from robomatrix.policies.model import POLICY_KINDS, LanguageMotionPolicy, PolicyBase, PolicyConfig
from robomatrix.skills.recording import DatasetError

log = logging.getLogger(__name__)

__all__ = [
    "TrainConfig",
    "canonical_actions",
    "finetune_motion_head",
    "intervention_weights",
    "policy_inputs",
    "resolve_device",
    "train_policy",
]


def policy_inputs(dataset: Dataset, context: Sequence[str] = ()) -> np.ndarray:
    """What a policy with ``context`` reads for each recorded tick: (N, D + C) float32, the
    features followed by the episode context (:func:`robomatrix.policies.features.episode_context`,
    from the executed motions and actions of the episode's earlier ticks)."""
    parts = parse_context(context)
    if not parts:
        return np.ascontiguousarray(dataset.X, dtype=np.float32)
    ctx = episode_context(dataset.X, dataset.episode, parts)
    return np.ascontiguousarray(np.concatenate([dataset.X, ctx], axis=1), dtype=np.float32)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of :func:`train_policy` (the keyword arguments, validated)."""

    kind: str = "rt-h"  # rt-h (language motion + action) | flat (RT-H's ablation)
    seed: int = 0
    epochs: int = 30  # passes over the data
    batch_size: int = 256  # samples per step
    lr: float = 1e-3  # Adam learning rate
    weight_decay: float = 0.0  # AdamW decay
    noise_std: float = 0.0  # m; Gaussian noise on the position features each epoch (features.augment)
    # rt-h only: fraction of samples whose action head is shown a random other motion with that
    # motion's canonical velocity as target, so the head follows the motion it is given even in
    # states where the demonstrations never did that (what a person's correction needs)
    counterfactual_fraction: float = 0.2
    hidden: int = 256  # policy width (PolicyConfig.hidden)
    trunk_layers: int = 2
    num_threads: int | None = None  # torch CPU threads during training; None leaves the setting alone

    def __post_init__(self) -> None:
        if self.kind not in POLICY_KINDS:
            raise ConfigError(f"policy kind {self.kind!r} is unknown; use one of {sorted(POLICY_KINDS)}")
        for name in ("epochs", "batch_size", "hidden", "trunk_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed must be an integer, got {self.seed!r}")
        for name in ("lr", "weight_decay", "noise_std", "counterfactual_fraction"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.counterfactual_fraction > 1 or self.counterfactual_fraction < 0:
            raise ConfigError(f"counterfactual_fraction must be in [0, 1], got {self.counterfactual_fraction!r}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be > 0, got {self.lr!r}")
        if self.num_threads is not None and (not isinstance(self.num_threads, int) or self.num_threads < 1):
            raise ConfigError(f"num_threads must be None or an integer >= 1, got {self.num_threads!r}")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` -> cuda when available, else cpu; anything else is passed to torch.device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ConfigError(f"device {device!r} is not a torch device (use auto, cpu or cuda)") from e
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for but CUDA is not available; use device='auto' or 'cpu'")
    return dev


@contextlib.contextmanager
def _reproducible(seed: int, deterministic: bool, num_threads: int | None) -> Iterator[None]:
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(seed)
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det)


def _progress(iterable: Sequence[int], enabled: bool, desc: str) -> Any:
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, unit="epoch", leave=False)


def _skill_names_for(dataset: Dataset) -> tuple[str, ...]:
    """The skill vocabulary the dataset's features were built with: what its episodes recorded
    (``skill_names`` in the episode metadata), else the installed library when the sizes agree."""
    d = dataset.feature_dim
    recorded = {tuple(e.meta["skill_names"]) for e in dataset.episodes if e.meta.get("skill_names")}
    if len(recorded) > 1:
        raise DatasetError(f"the dataset mixes features built over different skill libraries: {sorted(recorded)}")
    if recorded:
        names = tuple(sorted(recorded.pop()))
    else:
        from robomatrix.skills.spec import load_skill_library

        names = tuple(load_skill_library().names)
    if feature_dim(names) != d:
        raise DatasetError(
            f"feature vectors of size {d} do not fit the skill library {names} (size {feature_dim(names)}); "
            "fix: pass skill_names= the library the data was recorded with"
        )
    return names


def canonical_actions(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Per-motion canonical velocity (M, 4) and gripper target (M,) (NaN = keep the sample's).

    The speeds are the data's typical ones: the median linear speed and median yaw rate of
    the moving steps (5 cm/s and 0.5 rad/s when the data have none).
    """
    lin = np.linalg.norm(dataset.A[:, :3], axis=1)
    yaw = np.abs(dataset.A[:, 3])
    speed = float(np.median(lin[lin > 1e-3])) if np.any(lin > 1e-3) else 0.05
    yaw_rate = float(np.median(yaw[yaw > 1e-3])) if np.any(yaw > 1e-3) else 0.5
    vel = np.zeros((len(VOCABULARY), 4), np.float32)
    grip = np.full(len(VOCABULARY), np.nan, np.float32)
    for i, motion in enumerate(VOCABULARY):
        d = motion_direction(motion)
        vel[i, :3] = d.linear * speed
        vel[i, 3] = d.yaw * yaw_rate
        if d.gripper is not None:
            grip[i] = d.gripper
    return vel, grip


def gripper_targets(dataset: Dataset) -> np.ndarray:
    """Actions (N, 5) with the gripper command of open/close-gripper steps set to its goal (0 or 1).

    Oracles ramp the gripper command over a few ticks while the observation barely changes
    (the fingers are blocked by the object), so the ramp's intermediate values are not a
    function of the state: a reactive policy regresses to their mean (~0.5) and can sit at
    that fixed point for ever. The labelled motion says where the ramp goes; train on that.
    """
    actions = np.array(dataset.A, dtype=np.float32, copy=True)
    _, grip = canonical_actions(dataset)
    goal = grip[dataset.M]
    has_goal = ~np.isnan(goal)
    actions[has_goal, 4] = goal[has_goal]
    return np.ascontiguousarray(actions)


def train_policy(
    dataset: Dataset,
    kind: str = "rt-h",
    *,
    seed: int = 0,
    epochs: int = 30,
    batch_size: int = 256,
    lr: float = 1e-3,
    device: str | torch.device = "auto",
    noise_std: float = 0.0,
    progress: bool = True,
    counterfactual_fraction: float = 0.2,
    hidden: int = 256,
    trunk_layers: int = 2,
    weight_decay: float = 0.0,
    num_threads: int | None = None,
    deterministic: bool = True,
    skill_names: Sequence[str] | None = None,
    data_files: Sequence[str] | None = None,
    context: Sequence[str] | str = (),
) -> tuple[PolicyBase, dict[str, Any]]:
    """Behaviour cloning of a ``kind`` policy on ``dataset``.

    ``skill_names``: the library the features were built with (sorted; default the seven
    library skills when the feature size matches). ``context``: episode-context parts the
    policy also reads (:data:`robomatrix.policies.features.CONTEXT_PARTS`; default none). Returns ``(policy in eval mode on the
    CPU, metrics)``; metrics hold per-epoch ``loss`` (list), the last epoch's mean of every
    loss term, ``samples_per_s`` and ``seconds``. The policy's ``metadata`` records seed,
    epochs, data files and the command line, and goes into the checkpoint.
    """
    cfg = TrainConfig(
        kind=kind, seed=seed, epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
        noise_std=noise_std, hidden=hidden, trunk_layers=trunk_layers, num_threads=num_threads,
        counterfactual_fraction=counterfactual_fraction,
    )  # fmt: skip
    n = len(dataset)
    if n == 0:
        raise DatasetError("the dataset is empty; record demonstrations first (or check the skill filter)")
    if np.any((dataset.M < 0) | (dataset.M >= len(VOCABULARY))):
        raise DatasetError(f"motion indices outside 0..{len(VOCABULARY) - 1}; the data use another vocabulary")
    names = tuple(sorted(skill_names)) if skill_names is not None else _skill_names_for(dataset)
    dev = resolve_device(device)
    with _reproducible(cfg.seed, deterministic, cfg.num_threads):
        pconf = PolicyConfig(
            feature_dim=dataset.feature_dim, hidden=cfg.hidden, trunk_layers=cfg.trunk_layers, skill_names=names,
            context=tuple(parse_context(context)),
        )
        policy = POLICY_KINDS.get(cfg.kind)(pconf)
        inputs = policy_inputs(dataset, pconf.context)
        policy.set_normalization(inputs, dataset.A)
        policy.to(dev).train()
        x_all = torch.from_numpy(inputs).to(dev)
        a_all = torch.from_numpy(gripper_targets(dataset)).to(dev)
        m_all = torch.from_numpy(np.ascontiguousarray(dataset.M)).to(dev)
        use_cf = cfg.kind == "rt-h" and cfg.counterfactual_fraction > 0
        cf_vel, cf_grip = (torch.from_numpy(t).to(dev) for t in canonical_actions(dataset))
        opt = torch.optim.AdamW(policy.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        gen = torch.Generator().manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        history: list[float] = []
        last: dict[str, float] = {}
        start = time.perf_counter()
        for _epoch in _progress(range(cfg.epochs), progress, f"train {cfg.kind}"):
            x_epoch = x_all
            if cfg.noise_std > 0:
                x_epoch = torch.from_numpy(augment(inputs, rng, cfg.noise_std)).to(dev)
            order = torch.randperm(n, generator=gen).to(dev)
            sums: dict[str, float] = {}
            steps = 0
            for lo in range(0, n, cfg.batch_size):
                idx = order[lo : lo + cfg.batch_size]
                batch = {"features": x_epoch[idx], "action": a_all[idx], "motion": m_all[idx]}
                if use_cf:
                    batch.update(_counterfactual(batch, cf_vel, cf_grip, cfg.counterfactual_fraction, gen))
                loss, metrics = policy.compute_loss(batch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                for k, v in metrics.items():
                    sums[k] = sums.get(k, 0.0) + v
                steps += 1
            last = {k: v / steps for k, v in sums.items()}
            history.append(last["loss"])
        seconds = time.perf_counter() - start
    policy.to("cpu").eval()
    policy.metadata = {
        "seed": cfg.seed,
        "epochs": cfg.epochs,
        "batch_size": cfg.batch_size,
        "lr": cfg.lr,
        "noise_std": cfg.noise_std,
        "counterfactual_fraction": cfg.counterfactual_fraction if cfg.kind == "rt-h" else 0.0,
        "samples": n,
        "context": list(pconf.context),
        "data_files": list(data_files if data_files is not None else dataset.files),
        "command_line": shlex.join(sys.argv),
        "torch_version": str(torch.__version__),
        "device": str(dev),
        "final_loss": history[-1],
    }
    metrics: dict[str, Any] = {
        "loss": history,
        **{f"final_{k}": v for k, v in last.items()},
        "seconds": seconds,
        "samples_per_s": n * cfg.epochs / max(seconds, 1e-9),
        "device": str(dev),
    }
    log.info(
        "trained %s policy: %d samples x %d epochs in %.1f s (%.0f samples/s), final loss %.4f",
        cfg.kind, n, cfg.epochs, seconds, metrics["samples_per_s"], history[-1],
    )  # fmt: skip
    return policy, metrics


def _counterfactual(
    batch: dict[str, torch.Tensor], vel: torch.Tensor, grip: torch.Tensor, fraction: float, gen: torch.Generator
) -> dict[str, torch.Tensor]:
    """``action_motion`` (B,) and ``action`` (B, 5): a random other motion and its canonical action
    for about ``fraction`` of the batch, the sample's own elsewhere."""
    m, a = batch["motion"], batch["action"]
    b = m.shape[0]
    pick = (torch.rand(b, generator=gen) < fraction).to(m.device)
    other = torch.randint(0, vel.shape[0], (b,), generator=gen).to(m.device)
    pick &= other != m
    g = grip[other]
    target = torch.cat([vel[other], torch.where(torch.isnan(g), a[:, 4], g).unsqueeze(1)], dim=1)
    return {
        "action_motion": torch.where(pick, other, m),
        "action": torch.where(pick.unsqueeze(1), target, a),
    }


def intervention_weights(dataset: Dataset, person_weight: float, drop_before: int) -> np.ndarray:
    """Per-step weights (N,) float32 for learning from interventions: ``person_weight`` on the
    person's steps, 0 on the ``drop_before`` policy steps of the same episode just before
    each correction starts, 1 elsewhere."""
    if isinstance(drop_before, bool) or not isinstance(drop_before, int) or drop_before < 0:
        raise ConfigError(f"drop_before must be an integer >= 0 (ticks), got {drop_before!r}")
    person = np.asarray(dataset.source) == "person"
    weights = np.where(person, person_weight, 1.0).astype(np.float32)
    if drop_before == 0 or not person.any():
        return weights
    ep = np.asarray(dataset.episode)
    starts = np.flatnonzero(person & ~np.concatenate([[False], person[:-1] & (ep[1:] == ep[:-1])]))
    for s in starts:
        lo = s
        while lo > 0 and s - lo < drop_before and ep[lo - 1] == ep[s] and not person[lo - 1]:
            lo -= 1
        weights[lo:s] = 0.0
    return weights


def finetune_motion_head(
    policy: LanguageMotionPolicy,
    dataset: Dataset,
    *,
    epochs: int = 20,
    batch_size: int = 256,
    lr: float = 5e-4,
    person_weight: float = 5.0,
    drop_before: int = 0,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = True,
    num_threads: int | None = None,
    deterministic: bool = True,
) -> dict[str, Any]:
    """RT-H's learning from language interventions: train only the language-motion head.

    ``dataset``: steps of intervention episodes, each labelled with the motion that was
    executed (the person's where they corrected, ``source == "person"``, else the
    policy's). Cross-entropy weighted ``person_weight`` on person-labelled steps and 1 on
    the others, except the ``drop_before`` policy steps right before each correction
    (weight 0): the person spoke because those motions were wrong, so they are not
    learnt as right (:func:`intervention_weights`). The trunk, the motion embedding and the action head stay frozen, so the
    actions the policy produces for a given motion do not change. Updates ``policy`` in
    place (returned to the CPU, eval mode); returns metrics (per-epoch ``loss``, accuracy on
    person steps before and after).
    """
    if not isinstance(policy, LanguageMotionPolicy):
        raise ConfigError(f"finetune_motion_head needs an rt-h policy, got {type(policy).__name__}")
    if not math.isfinite(person_weight) or person_weight <= 0:
        raise ConfigError(f"person_weight must be a finite number > 0, got {person_weight!r}")
    TrainConfig(seed=seed, epochs=epochs, batch_size=batch_size, lr=lr, num_threads=num_threads)
    n = len(dataset)
    if n == 0:
        raise DatasetError("no intervention steps to learn from; record corrections first")
    if dataset.feature_dim != policy.config.feature_dim:
        raise DatasetError(
            f"intervention features have size {dataset.feature_dim}, the policy expects {policy.config.feature_dim}"
        )
    dev = resolve_device(device)
    person = dataset.source == "person"
    weights = intervention_weights(dataset, person_weight, drop_before)
    with _reproducible(seed, deterministic, num_threads):
        policy.to(dev)
        x_all = torch.from_numpy(policy_inputs(dataset, policy.config.context)).to(dev)
        m_all = torch.from_numpy(np.ascontiguousarray(dataset.M)).to(dev)
        w_all = torch.from_numpy(weights).to(dev)
        mask_person = torch.from_numpy(person).to(dev)

        def person_accuracy() -> float | None:
            if not bool(mask_person.any()):
                return None
            with torch.no_grad():
                pred = policy.predict_motion(x_all).argmax(dim=1)
            return float((pred[mask_person] == m_all[mask_person]).float().mean())

        policy.eval()
        before = person_accuracy()
        frozen = [p for name, p in policy.named_parameters() if not name.startswith("motion_head.")]
        saved_flags = [p.requires_grad for p in frozen]
        for p in frozen:
            p.requires_grad_(False)
        head_params = list(policy.motion_head.parameters())
        opt = torch.optim.AdamW(head_params, lr=lr)
        gen = torch.Generator().manual_seed(seed)
        history: list[float] = []
        try:
            policy.motion_head.train()
            for _epoch in _progress(range(epochs), progress, "finetune motion head"):
                order = torch.randperm(n, generator=gen).to(dev)
                total, steps = 0.0, 0
                for lo in range(0, n, batch_size):
                    idx = order[lo : lo + batch_size]
                    with torch.no_grad():
                        h = policy.trunk(policy.normalize_features(x_all[idx]))
                    ce = torch.nn.functional.cross_entropy(policy.motion_logits(h), m_all[idx], reduction="none")
                    w = w_all[idx]
                    loss = (ce * w).sum() / w.sum().clamp_min(1e-8)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += float(loss.detach())
                    steps += 1
                history.append(total / steps)
        finally:
            for p, flag in zip(frozen, saved_flags, strict=True):
                p.requires_grad_(flag)
            policy.eval()
        after = person_accuracy()
    policy.to("cpu")
    policy.metadata = {
        **policy.metadata,
        "finetuned_motion_head": {
            "epochs": epochs,
            "seed": seed,
            "person_weight": person_weight,
            "drop_before": drop_before,
            "samples": n,
            "person_samples": int(person.sum()),
            "data_files": list(dataset.files),
        },
    }
    log.info("fine-tuned motion head on %d steps (%d person): person-step accuracy %s -> %s",
             n, int(person.sum()), before, after)  # fmt: skip
    return {"loss": history, "person_accuracy_before": before, "person_accuracy_after": after}
