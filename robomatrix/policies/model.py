"""Skill policies: RT-H's language-motion policy and its flat ablation.

Core module: imports no rclpy.

:class:`LanguageMotionPolicy` is queried twice per control tick, as in RT-H: first the
*language-motion head* picks a motion of :data:`VOCABULARY` from the features, then the
*action head* turns features + motion into an action. A person's correction replaces the
first query (``select_action(..., motion_override="move arm up")``), so the arm does what
was said while the rest of the policy is unchanged.

Shapes: B batch, D features (:mod:`.features`), M = ``len(VOCABULARY)`` motions, 5 action
components ``(vx, vy, vz, yaw_rate, gripper)``: world-frame m/s, rad/s about +z, gripper
command 0 open ... 1 closed.

Normalisation lives in the model as buffers (saved in the checkpoint): features are
standardised with ``feature_mean``/``feature_std``; the four velocity components are
predicted in standardised units and de-normalised with ``action_mean``/``action_std``; the
gripper is a sigmoid in [0, 1] and is not normalised. Every public method takes and
returns **physical** units.

Checkpoint format (``torch.save`` of plain data, loads with ``weights_only=True``)::

    {"format": "robomatrix-policy", "format_version": 1, "kind": "rt-h" | "flat",
     "config": {...PolicyConfig fields...}, "state_dict": {...}, "norm_stats": {...},
     "vocabulary": [...], "skill_names": [...], "feature_dim": D, "metadata": {...}}
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.policies.features import (
    ContextTracker,
    PolicyInputError,
    context_dim,
    feature_dim,
    parse_context,
)
from robomatrix.policies.language_motion import (
    RESUME,
    VOCABULARY,
    index_to_motion,
    motion_to_index,
    parse_motion,
)
from robomatrix.registry import Registry

log = logging.getLogger(__name__)

__all__ = [
    "ACTION_DIM",
    "CHECKPOINT_FORMAT",
    "POLICY_KINDS",
    "CheckpointError",
    "FlatPolicy",
    "LanguageMotionPolicy",
    "PolicyBase",
    "PolicyConfig",
    "load_policy",
    "register_policy",
]

ACTION_DIM = 5  # vx, vy, vz (m/s), yaw_rate (rad/s), gripper (0 open ... 1 closed)
VELOCITY_DIM = 4
CHECKPOINT_FORMAT = "robomatrix-policy"
CHECKPOINT_VERSION = 1


class CheckpointError(RobomatrixError):
    """A policy checkpoint is missing, corrupt, of another format, or does not match this code."""


@dataclass(frozen=True)
class PolicyConfig:
    """Architecture of a skill policy (both kinds)."""

    skill_names: tuple[str, ...] = ()  # sorted library names the one-hot is built from (required; in the checkpoint)
    feature_dim: int = 0  # D = 33 + number of skills (features.py); 0 = derived from skill_names
    hidden: int = 256  # width of every hidden layer; 256 keeps batch-1 CPU inference well under 1 ms
    trunk_layers: int = 2  # Linear+ReLU layers of the shared trunk
    motion_embed_dim: int = 32  # RT-H: size of the language-motion embedding fed to the action head
    # episode context appended to the features (features.CONTEXT_PARTS); () = a reactive policy
    context: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        def positive_int(name: str, value: object) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"PolicyConfig.{name} must be an integer >= 1, got {value!r}")

        names = tuple(self.skill_names)
        if not names:
            raise ConfigError(
                "PolicyConfig.skill_names is required: the skill vocabulary of the one-hot comes from the "
                "skill library; pass skill_names=load_skill_library().names"
            )
        if self.feature_dim == 0:
            object.__setattr__(self, "feature_dim", feature_dim(names))
        positive_int("feature_dim", self.feature_dim)
        positive_int("hidden", self.hidden)
        positive_int("trunk_layers", self.trunk_layers)
        positive_int("motion_embed_dim", self.motion_embed_dim)
        if list(names) != sorted(set(names)):
            raise ConfigError(
                f"PolicyConfig.skill_names must be sorted, unique and non-empty, got {self.skill_names!r}; "
                "pass tuple(sorted(load_skill_library().names))"
            )
        object.__setattr__(self, "skill_names", names)
        try:
            object.__setattr__(self, "context", parse_context(self.context))
        except PolicyInputError as e:
            raise ConfigError(f"PolicyConfig.context: {e}") from e
        if self.feature_dim != feature_dim(names):
            raise ConfigError(
                f"PolicyConfig.feature_dim={self.feature_dim} does not match {len(names)} skills "
                f"(expected {feature_dim(names)}, see robomatrix.policies.features)"
            )

    @property
    def input_dim(self) -> int:
        """D + C: the features plus the context block the network reads."""
        return self.feature_dim + context_dim(self.context)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["skill_names"] = list(self.skill_names)
        data["context"] = list(self.context)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyConfig:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - fields
        if unknown:
            raise ConfigError(f"PolicyConfig has no field(s) {sorted(unknown)}")
        kwargs = dict(data)
        if "skill_names" in kwargs:
            kwargs["skill_names"] = tuple(kwargs["skill_names"])
        if "context" in kwargs:
            kwargs["context"] = tuple(kwargs["context"])
        return cls(**kwargs)


POLICY_KINDS: Registry[type[PolicyBase]] = Registry(
    "policy kind", on_register=lambda kind, cls: setattr(cls, "kind", kind)
)
"""Policy kind -> class, filled by :func:`register_policy`."""


def register_policy(kind: str) -> Callable[[type[PolicyBase]], type[PolicyBase]]:
    """Class decorator: make ``kind`` loadable from checkpoints and trainable by name."""
    return POLICY_KINDS.register(kind)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _plain(value: Any, where: str = "metadata") -> Any:
    """``value`` as plain data that ``torch.load(weights_only=True)`` accepts (numpy scalars and
    arrays become numbers and lists, tuples and paths become lists and text)."""
    if value is None:
        return None
    for kind in (bool, int, float, str):  # subclasses (TorchVersion, IntEnum) become the plain type
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ConfigError(
        f"checkpoint {where} = {value!r} ({type(value).__name__}) is not plain data; "
        "use numbers, text, lists and dicts"
    )


def _fix_hint(path: Path, skill: str | None) -> str:
    name = skill or (path.parent.name if path.parent.name else "<skill>")
    return f"run `robomatrix train --skill {name}` to create it"


class PolicyBase(nn.Module):
    """What both policy kinds share: normalisation buffers, the trunk, the interface and I/O."""

    kind: ClassVar[str] = ""

    def __init__(self, config: PolicyConfig) -> None:
        super().__init__()
        self.config = config
        d = config.input_dim
        self.register_buffer("feature_mean", torch.zeros(d))
        self.register_buffer("feature_std", torch.ones(d))
        self.register_buffer("action_mean", torch.zeros(VELOCITY_DIM))
        self.register_buffer("action_std", torch.ones(VELOCITY_DIM))
        self.trunk = nn.Sequential(
            _mlp([d] + [config.hidden] * config.trunk_layers), nn.ReLU()
        )  # (B, D + C) -> (B, H)
        self.metadata: dict[str, Any] = {}
        self.context_tracker = ContextTracker(config.context)
        self._tick: tuple[bytes, np.ndarray] | None = None  # this tick's features and their context

    # ------------------------------------------------------------------ normalisation

    def set_normalization(self, features: np.ndarray | torch.Tensor, actions: np.ndarray | torch.Tensor) -> None:
        """Fit the stats on training data: inputs (N, D + C), actions (N, 5) in physical units.

        A feature with (near) zero spread (a one-hot that never changes) keeps std 1.
        """
        x = torch.as_tensor(np.asarray(features), dtype=torch.float32)
        a = torch.as_tensor(np.asarray(actions), dtype=torch.float32)
        if x.ndim != 2 or x.shape[1] != self.config.input_dim or x.shape[0] < 1:
            raise PolicyInputError(f"inputs must be (N, {self.config.input_dim}), got {tuple(x.shape)}")
        if a.shape != (x.shape[0], ACTION_DIM):
            raise PolicyInputError(f"actions must be (N, {ACTION_DIM}) = ({x.shape[0]}, 5), got {tuple(a.shape)}")
        if not (torch.isfinite(x).all() and torch.isfinite(a).all()):
            raise PolicyInputError("training data contains non-finite values; clean the dataset")
        fstd = x.std(dim=0, unbiased=False)
        vstd = a[:, :VELOCITY_DIM].std(dim=0, unbiased=False)
        dev = self.feature_mean.device
        self.feature_mean.copy_(x.mean(dim=0).to(dev))
        self.feature_std.copy_(torch.where(fstd < 1e-6, torch.ones_like(fstd), fstd).to(dev))
        self.action_mean.copy_(a[:, :VELOCITY_DIM].mean(dim=0).to(dev))
        self.action_std.copy_(torch.where(vstd < 1e-6, torch.ones_like(vstd), vstd).to(dev))

    def normalize_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D) physical -> (B, D) standardised."""
        return (x - self.feature_mean) / self.feature_std

    def normalize_action(self, action: torch.Tensor) -> torch.Tensor:
        """(B, 5) physical -> (B, 5): velocities standardised, gripper unchanged."""
        vel = (action[:, :VELOCITY_DIM] - self.action_mean) / self.action_std
        return torch.cat([vel, action[:, VELOCITY_DIM:]], dim=1)

    def denormalize_action(self, action: torch.Tensor) -> torch.Tensor:
        """(B, 5) normalised (gripper already in [0, 1]) -> (B, 5) physical."""
        vel = action[:, :VELOCITY_DIM] * self.action_std + self.action_mean
        return torch.cat([vel, action[:, VELOCITY_DIM:]], dim=1)

    def norm_stats(self) -> dict[str, torch.Tensor]:
        return {
            name: getattr(self, name).detach().cpu().clone()
            for name in ("feature_mean", "feature_std", "action_mean", "action_std")
        }

    # ------------------------------------------------------------------ interface

    @property
    def device(self) -> torch.device:
        return self.feature_mean.device

    def reset(self) -> None:
        """Start of an episode: forget the context (a reactive policy has none)."""
        self.context_tracker.reset()
        self._tick = None

    def _check_batch(self, x: torch.Tensor) -> None:
        if x.ndim != 2 or x.shape[1] != self.config.input_dim:
            raise PolicyInputError(
                f"inputs must have shape (B, {self.config.input_dim}) (features {self.config.feature_dim} + "
                f"context {self.config.input_dim - self.config.feature_dim}), got {tuple(x.shape)}"
            )

    def _features_tensor(self, features: np.ndarray) -> torch.Tensor:
        x = np.asarray(features, dtype=np.float32)
        if x.shape != (self.config.feature_dim,):
            raise PolicyInputError(
                f"features must have shape ({self.config.feature_dim},) (see robomatrix.policies.features), "
                f"got {x.shape}"
            )
        if not np.all(np.isfinite(x)):
            bad = np.flatnonzero(~np.isfinite(x)).tolist()
            raise PolicyInputError(f"features contain non-finite values at indices {bad}; hold the arm")
        if self.config.context:
            # A second query of the same tick (a person's motion after the prediction) reuses
            # the tick's context instead of computing it again.
            key = x.tobytes()
            if self._tick is None or self._tick[0] != key:
                self._tick = (key, self.context_tracker.context(x))
            x = np.concatenate([x, self._tick[1]])
        return torch.from_numpy(x).to(self.device).unsqueeze(0)

    def select_action(self, features: np.ndarray, motion_override: str | None = None) -> tuple[str, np.ndarray]:
        """One control tick: features (D,) -> (motion, action (5,) float32, physical units)."""
        raise NotImplementedError

    def compute_loss(self, batch: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss of a batch: ``features`` (B, D), ``action`` (B, 5), ``motion`` (B,) long,
        optional ``weight`` (B,). Returns (scalar loss, metrics of floats)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ checkpoints

    def save(self, path: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None) -> Path:
        """Write the checkpoint atomically (temp file + rename); returns the path."""
        path = Path(path)
        meta = dict(self.metadata)
        meta.update(metadata or {})
        meta = _plain(meta)
        ckpt = {
            "format": CHECKPOINT_FORMAT,
            "format_version": CHECKPOINT_VERSION,
            "kind": self.kind,
            "config": self.config.to_dict(),
            "state_dict": {k: v.detach().cpu() for k, v in self.state_dict().items()},
            "norm_stats": self.norm_stats(),
            "vocabulary": list(VOCABULARY),
            "skill_names": list(self.config.skill_names),
            "feature_dim": self.config.feature_dim,
            "metadata": meta,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            torch.save(ckpt, tmp)
            os.replace(tmp, path)
        except Exception:
            tmp.unlink(missing_ok=True)
            raise
        log.info("saved %s policy to %s", self.kind, path)
        return path

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, map_location: str | torch.device = "cpu", skill: str | None = None
    ) -> PolicyBase:
        """Load a checkpoint written by :meth:`save` (``weights_only=True``).

        ``PolicyBase.load`` returns whichever kind the file holds; a subclass's ``load``
        also checks the kind. Raises :class:`CheckpointError` naming the path and the fix.
        """
        path = Path(path)
        hint = _fix_hint(path, skill)
        if not path.is_file():
            raise CheckpointError(f"policy checkpoint {path} does not exist; {hint}")
        try:
            ckpt = torch.load(path, map_location=map_location, weights_only=True)
        except (RuntimeError, EOFError, OSError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError) as e:
            text = str(e)
            if "Weights only load failed" in text:
                reason = "torch's weights-only loader refused it: not a torch file, or it holds more than plain data"
            else:
                reason = (text.splitlines() or [type(e).__name__])[0][:200]
            raise CheckpointError(f"policy checkpoint {path} is corrupt or not a torch file ({reason}); {hint}") from e
        if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path} is not a robomatrix policy checkpoint (no format tag); {hint}")
        if ckpt.get("format_version") != CHECKPOINT_VERSION:
            raise CheckpointError(
                f"{path} has checkpoint format version {ckpt.get('format_version')!r}, this code reads "
                f"{CHECKPOINT_VERSION}; {hint}"
            )
        vocab = ckpt.get("vocabulary")
        if list(vocab or []) != list(VOCABULARY):
            raise CheckpointError(
                f"{path} was trained with a different language-motion vocabulary "
                f"({len(vocab or [])} motions, this code has {len(VOCABULARY)}); its motion indices would "
                f"mean other motions. {hint[0].upper() + hint[1:]} again"
            )
        kind = ckpt.get("kind")
        if kind not in POLICY_KINDS:
            raise CheckpointError(f"{path} holds unknown policy kind {kind!r}; known: {', '.join(POLICY_KINDS)}")
        target = POLICY_KINDS.get(kind)
        if cls is not PolicyBase and not issubclass(target, cls):
            raise CheckpointError(f"{path} holds a {kind!r} policy, not a {cls.kind!r} one")
        try:
            config = PolicyConfig.from_dict(ckpt["config"])
            policy = target(config)
            policy.load_state_dict(ckpt["state_dict"])
        except (KeyError, TypeError, RuntimeError, ConfigError) as e:
            raise CheckpointError(f"{path} does not match this code's {kind!r} policy ({e}); {hint}") from e
        if ckpt.get("feature_dim") != config.feature_dim or list(ckpt.get("skill_names", [])) != list(
            config.skill_names
        ):
            raise CheckpointError(f"{path} is inconsistent (feature_dim/skill_names disagree with its config); {hint}")
        policy.metadata = dict(ckpt.get("metadata") or {})
        trained_for = policy.metadata.get("skill")
        if skill is not None and isinstance(trained_for, str) and trained_for not in (skill, "all"):
            raise CheckpointError(
                f"{path} is a checkpoint of skill {trained_for!r}, not of {skill!r}; put {skill}'s own checkpoint "
                f"there (skills/{skill}/policy.pt) or {hint}"
            )
        policy.to(map_location)
        policy.eval()
        return policy


@register_policy("rt-h")
class LanguageMotionPolicy(PolicyBase):
    """RT-H: features -> language motion -> action conditioned on that motion.

    The motion is fed to the action head as a learned embedding concatenated to the trunk
    output. ``predict_motion`` and ``predict_action`` take features in physical units.
    """

    def __init__(self, config: PolicyConfig) -> None:
        super().__init__(config)
        h, m = config.hidden, len(VOCABULARY)
        self.motion_head = _mlp([h, h, m])  # (B, H) -> (B, M) logits
        self.motion_embedding = nn.Embedding(m, config.motion_embed_dim)
        self.action_head = _mlp([h + config.motion_embed_dim, h, ACTION_DIM])  # -> (B, 5) normalised

    def motion_logits(self, h: torch.Tensor) -> torch.Tensor:
        return self.motion_head(h)

    def _action_raw(self, h: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        """(B, H), (B,) -> (B, 5): normalised velocities, gripper logit."""
        return self.action_head(torch.cat([h, self.motion_embedding(motion)], dim=1))

    def predict_motion(self, x: torch.Tensor) -> torch.Tensor:
        """Features (B, D) -> motion logits (B, M)."""
        self._check_batch(x)
        return self.motion_logits(self.trunk(self.normalize_features(x)))

    def predict_action(self, x: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        """Features (B, D), motion indices (B,) long -> action (B, 5), physical units, gripper in [0, 1]."""
        self._check_batch(x)
        if motion.shape != (x.shape[0],):
            raise PolicyInputError(f"motion must have shape (B,) = ({x.shape[0]},), got {tuple(motion.shape)}")
        raw = self._action_raw(self.trunk(self.normalize_features(x)), motion.long())
        out = torch.cat([raw[:, :VELOCITY_DIM], torch.sigmoid(raw[:, VELOCITY_DIM:])], dim=1)
        return self.denormalize_action(out)

    @torch.no_grad()
    def select_action(self, features: np.ndarray, motion_override: str | None = None) -> tuple[str, np.ndarray]:
        """Features (D,) -> (motion, action (5,)). With ``motion_override`` (a person's
        correction: a vocabulary motion or free text) the action head executes that motion
        instead of the predicted one; ``"resume"`` counts as no override. Text that is no
        motion raises :class:`~robomatrix.policies.language_motion.UnknownMotionError`."""
        if self.training:
            self.eval()
        override_index: int | None = None
        if motion_override is not None:
            text = motion_override if motion_override in VOCABULARY else parse_motion(motion_override)
            if text != RESUME:
                override_index = motion_to_index(text)
        x = self._features_tensor(features)
        h = self.trunk(self.normalize_features(x))
        if override_index is None:
            index = int(self.motion_logits(h).argmax(dim=1).item())
        else:
            index = override_index
        motion = torch.tensor([index], device=self.device)
        raw = self._action_raw(h, motion)
        out = torch.cat([raw[:, :VELOCITY_DIM], torch.sigmoid(raw[:, VELOCITY_DIM:])], dim=1)
        action = self.denormalize_action(out)[0].cpu().numpy().astype(np.float32)
        return index_to_motion(index), action

    def compute_loss(
        self,
        batch: Mapping[str, torch.Tensor],
        *,
        motion_weight: float = 1.0,
        action_weight: float = 1.0,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Cross-entropy on the motion + MSE on the action given the *true* motion (teacher forcing).

        The action MSE is over the 4 standardised velocities and the gripper in [0, 1].
        ``weight`` (B,) in the batch weights samples of both terms. ``action_motion`` (B,),
        when present, is the motion the action head is conditioned on (and ``action`` its
        target) instead of ``motion``: the trainer's counterfactual samples use it.
        """
        x, a, m = batch["features"], batch["action"], batch["motion"].long()
        self._check_batch(x)
        w = batch.get("weight")
        action_motion = batch.get("action_motion")
        h = self.trunk(self.normalize_features(x))
        logits = self.motion_logits(h)
        ce = F.cross_entropy(logits, m, reduction="none")  # (B,)
        raw = self._action_raw(h, m if action_motion is None else action_motion.long())
        pred = torch.cat([raw[:, :VELOCITY_DIM], torch.sigmoid(raw[:, VELOCITY_DIM:])], dim=1)
        mse = ((pred - self.normalize_action(a)) ** 2).mean(dim=1)  # (B,)
        if w is None:
            ce_mean, mse_mean = ce.mean(), mse.mean()
        else:
            total = w.sum().clamp_min(1e-8)
            ce_mean, mse_mean = (ce * w).sum() / total, (mse * w).sum() / total
        loss = motion_weight * ce_mean + action_weight * mse_mean
        acc = (logits.argmax(dim=1) == m).float().mean()
        return loss, {
            "loss": float(loss.detach()),
            "motion_ce": float(ce_mean.detach()),
            "action_mse": float(mse_mean.detach()),
            "motion_acc": float(acc),
        }


@register_policy("flat")
class FlatPolicy(PolicyBase):
    """RT-H's ablation: features -> action, no language motion (same trunk)."""

    def __init__(self, config: PolicyConfig) -> None:
        super().__init__(config)
        h = config.hidden
        self.action_head = _mlp([h, h, ACTION_DIM])

    def predict_action(self, x: torch.Tensor) -> torch.Tensor:
        """Features (B, D) -> action (B, 5), physical units, gripper in [0, 1]."""
        self._check_batch(x)
        raw = self.action_head(self.trunk(self.normalize_features(x)))
        out = torch.cat([raw[:, :VELOCITY_DIM], torch.sigmoid(raw[:, VELOCITY_DIM:])], dim=1)
        return self.denormalize_action(out)

    @torch.no_grad()
    def select_action(self, features: np.ndarray, motion_override: str | None = None) -> tuple[str, np.ndarray]:
        """Features (D,) -> ("", action (5,)). The flat policy has no motion: it returns "" and
        refuses a correction (:class:`PolicyInputError`)."""
        if motion_override is not None and motion_override != RESUME:
            raise PolicyInputError(
                f"the flat policy has no language-motion head and cannot execute {motion_override!r}; "
                "corrections need an rt-h policy (robomatrix train --kind rt-h)"
            )
        if self.training:
            self.eval()
        action = self.predict_action(self._features_tensor(features))[0].cpu().numpy().astype(np.float32)
        return "", action

    def compute_loss(self, batch: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        """MSE on the action only (standardised velocities, gripper in [0, 1])."""
        x, a = batch["features"], batch["action"]
        raw = self.action_head(self.trunk(self.normalize_features(x)))
        pred = torch.cat([raw[:, :VELOCITY_DIM], torch.sigmoid(raw[:, VELOCITY_DIM:])], dim=1)
        mse = ((pred - self.normalize_action(a)) ** 2).mean(dim=1)
        w = batch.get("weight")
        loss = mse.mean() if w is None else (mse * w).sum() / w.sum().clamp_min(1e-8)
        return loss, {"loss": float(loss.detach()), "action_mse": float(loss.detach())}


def load_policy(path: str | os.PathLike[str], *, map_location: str = "cpu", skill: str | None = None) -> PolicyBase:
    """Load any policy kind from a checkpoint (see :meth:`PolicyBase.load`)."""
    return PolicyBase.load(path, map_location=map_location, skill=skill)
