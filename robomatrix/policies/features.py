"""The observation vector a skill policy sees.

Core module: imports no rclpy and no torch.

Layout of :func:`build_features` (all float32; frame = the world frame of
:mod:`robomatrix.hardware.interface`: x forward, y left, z up; metres, radians)::

    offset  size  part
    ------  ----  ----------------------------------------------------------------------
         0     3  end-effector position (x, y, z), m
         3     2  end-effector yaw as (sin, cos)
         5     1  gripper width, m (distance between the fingers)
         6     1  gripper closed flag (1.0 closed, 0.0 open)
         7     1  holding-anything flag (1.0 when an object is held)
         8    10  object slot 0 \\
        18    10  object slot 1 /  each: position relative to the end effector
                                     (object - ee, world axes, m) (3), object yaw (sin, cos)
                                     (2), size (3, m), opening (1: 0 closed ... 1 open for a
                                     drawer, 0 otherwise), present flag (1)
        28     S  skill one-hot over the sorted skill names (S = len(skill_names))
      28+S     4  direction one-hot over HORIZONTAL_DIRECTIONS = (forward, backward, left, right)
      32+S     1  numeric argument (push distance, m; 0 when the skill has none)

so ``D = 33 + S`` (:func:`feature_dim`). The skill names come from the skill library and are
stored in every checkpoint (``PolicyConfig.skill_names``): with the seven skills of the library
``D = 40``.

Object slots are filled in this order: the skill's object arguments (string values of
``grounded_args`` that are not direction words, in the mapping's order), then — if a
slot is still free — the object the gripper holds (so ``place_over`` sees both its target
and the carried block, ``release`` sees the carried block). An object id that the
observation does not list (occluded, lost) gives an all-zero slot with present = 0.

A drawer given as a place argument (``place_args``, e.g. ``place_over``'s target) fills its slot as
the place the held object goes, not as its handle (:func:`~robomatrix.skills.conditions.place_view`:
the mouth of its inside seen as a box whose top is the front panel's top edge). A drawer target then looks to the policy like a bowl at the
point to aim at (its opening and yaw stay those of the drawer), so one behaviour serves both;
every other skill (move_to, open_drawer, ...) sees the handle.

Relative positions use world axes (not the gripper frame) because actions are world-frame
velocities: the sign of ``rel_x`` is directly the sign of the ``vx`` to reach the object.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from robomatrix.errors import RobomatrixError
from robomatrix.hardware.geometry import place_view, quaternion_yaw
from robomatrix.hardware.interface import ObjectInfo, Observation
from robomatrix.policies.directions import DIRECTIONS, HORIZONTAL_DIRECTIONS

log = logging.getLogger(__name__)

__all__ = [
    "CONTEXT_PARTS",
    "MAX_OBJECT_SLOTS",
    "PROPRIO_DIM",
    "SLOT_DIM",
    "FeatureLayout",
    "PolicyInputError",
    "ContextTracker",
    "augment",
    "build_features",
    "context_dim",
    "episode_context",
    "feature_dim",
    "parse_context",
]


class PolicyInputError(RobomatrixError):
    """Inputs a policy cannot act on (non-finite, wrong shape, unknown skill); hold the arm."""


MAX_OBJECT_SLOTS = 2
PROPRIO_DIM = 8  # ee position 3, yaw sin/cos 2, gripper width 1, closed 1, holding 1
SLOT_DIM = 10  # rel position 3, yaw sin/cos 2, size 3, opening 1, present 1
_SLOTS_START = PROPRIO_DIM
_SKILL_START = PROPRIO_DIM + MAX_OBJECT_SLOTS * SLOT_DIM  # 28
_ARGS_DIM = len(HORIZONTAL_DIRECTIONS) + 1  # direction one-hot, number


def feature_dim(skill_names: Sequence[str]) -> int:
    """D for a skill library of ``len(skill_names)`` skills (33 + S)."""
    return _SKILL_START + len(skill_names) + _ARGS_DIM




@dataclass(frozen=True)
class FeatureLayout:
    """Named slices of the feature vector for a given (sorted) skill list."""

    skill_names: tuple[str, ...]

    def __post_init__(self) -> None:
        names = tuple(self.skill_names)
        if not names or any(not isinstance(n, str) or not n for n in names):
            raise PolicyInputError(f"skill_names must be a non-empty tuple of names, got {self.skill_names!r}")
        if len(set(names)) != len(names):
            raise PolicyInputError(f"skill_names has duplicates: {self.skill_names!r}")
        object.__setattr__(self, "skill_names", tuple(sorted(names)))

    @property
    def dim(self) -> int:
        return feature_dim(self.skill_names)

    @property
    def ee_position(self) -> slice:
        return slice(0, 3)

    @property
    def ee_yaw(self) -> slice:
        return slice(3, 5)

    def slot(self, k: int) -> slice:
        """Slice of object slot ``k`` (0 or 1)."""
        if not 0 <= k < MAX_OBJECT_SLOTS:
            raise PolicyInputError(f"object slot {k} out of range 0..{MAX_OBJECT_SLOTS - 1}")
        start = _SLOTS_START + k * SLOT_DIM
        return slice(start, start + SLOT_DIM)

    def slot_rel_position(self, k: int) -> slice:
        start = self.slot(k).start
        return slice(start, start + 3)

    def slot_present(self, k: int) -> int:
        return self.slot(k).stop - 1

    @property
    def skill_one_hot(self) -> slice:
        return slice(_SKILL_START, _SKILL_START + len(self.skill_names))

    @property
    def direction_one_hot(self) -> slice:
        start = self.skill_one_hot.stop
        return slice(start, start + len(HORIZONTAL_DIRECTIONS))

    @property
    def number(self) -> int:
        return self.direction_one_hot.stop


def _finite(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as e:
        raise PolicyInputError(f"{name} must be numeric with shape {shape}, got {value!r}") from e
    if arr.shape != shape:
        try:
            arr = arr.reshape(shape)
        except ValueError:
            raise PolicyInputError(f"{name} must have shape {shape}, got {arr.shape}") from None
    if not np.all(np.isfinite(arr)):
        raise PolicyInputError(
            f"{name} is not finite ({arr.tolist()}); the observation is unusable, hold the arm "
            "and check the robot's state estimate or perception"
        )
    return arr


def _slot_values(obj: ObjectInfo, ee: np.ndarray) -> np.ndarray:
    pos = _finite(f"object {obj.id!r} position", obj.position, (3,))
    quat = _finite(f"object {obj.id!r} orientation", obj.orientation, (4,))
    size = _finite(f"object {obj.id!r} size", obj.size, (3,))
    opening = 0.0 if obj.opening is None else float(obj.opening)
    if not math.isfinite(opening):
        raise PolicyInputError(f"object {obj.id!r} opening is not finite ({obj.opening!r}); hold the arm")
    yaw = quaternion_yaw(quat)
    return np.array([*(pos - ee), math.sin(yaw), math.cos(yaw), *size, opening, 1.0])


def build_features(
    obs: Observation,
    skill: str,
    grounded_args: Mapping[str, object],
    skill_names: Sequence[str],
    place_args: Collection[str] = (),
) -> np.ndarray:
    """Feature vector (D,) float32 of ``obs`` for ``skill`` with its grounded arguments.

    ``place_args``: the object arguments that are places the held object goes
    (:attr:`SkillSpec.place_arguments`); their slot shows :func:`place_view` (a drawer's mouth).

    ``grounded_args`` as :meth:`SkillSpec.validate_arguments` returns them: object ids
    (str), direction words (str, one of :data:`HORIZONTAL_DIRECTIONS`), numbers (float).
    ``skill_names``: the library's skill names (sorted here). See the module docstring for
    the layout. Raises :class:`PolicyInputError` on an unknown skill, more than two object
    arguments, more than one direction or number, or any non-finite input.
    """
    layout = FeatureLayout(tuple(skill_names))
    if skill not in layout.skill_names:
        raise PolicyInputError(f"unknown skill {skill!r}; the policy knows {', '.join(layout.skill_names)}")
    if not isinstance(grounded_args, Mapping):
        raise PolicyInputError(f"grounded_args must be a mapping of argument name to value, got {grounded_args!r}")

    object_ids: list[str] = []
    object_args: list[str] = []
    direction: str | None = None
    number: float | None = None
    for name, value in grounded_args.items():
        if isinstance(value, str):
            if value in DIRECTIONS:
                if value not in HORIZONTAL_DIRECTIONS:
                    raise PolicyInputError(
                        f"skill {skill!r}: direction {value!r} has no slot in the feature vector (its one-hot "
                        f"covers {', '.join(HORIZONTAL_DIRECTIONS)}); give the skill a horizontal direction"
                    )
                if direction is not None:
                    raise PolicyInputError(f"skill {skill!r}: two direction arguments ({direction!r}, {value!r})")
                direction = value
            else:
                object_ids.append(value)
                object_args.append(str(name))
        elif isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
            if number is not None:
                raise PolicyInputError(f"skill {skill!r}: more than one numeric argument ({name!r})")
            number = float(value)
            if not math.isfinite(number):
                raise PolicyInputError(f"skill {skill!r}: argument {name!r} = {value!r} is not finite; hold the arm")
        else:
            raise PolicyInputError(
                f"skill {skill!r}: argument {name!r} = {value!r} is not an object id, direction word or number"
            )
    if len(object_ids) > MAX_OBJECT_SLOTS:
        raise PolicyInputError(
            f"skill {skill!r} has {len(object_ids)} object arguments; the feature vector has {MAX_OBJECT_SLOTS} slots"
        )
    if obs.held_object_id and len(object_ids) < MAX_OBJECT_SLOTS and obs.held_object_id not in object_ids:
        object_ids.append(obs.held_object_id)

    ee = _finite("end-effector position", obs.ee_position, (3,))
    quat = _finite("end-effector orientation", obs.ee_orientation, (4,))
    width = float(_finite("gripper width", obs.gripper_width, ()))
    yaw = quaternion_yaw(quat)

    out = np.zeros(layout.dim, dtype=np.float64)
    out[0:3] = ee
    out[3:5] = (math.sin(yaw), math.cos(yaw))
    out[5] = width
    out[6] = 1.0 if obs.gripper_closed else 0.0
    out[7] = 1.0 if obs.held_object_id else 0.0
    by_id = {o.id: o for o in obs.objects}
    for k, oid in enumerate(object_ids):
        obj = by_id.get(oid)
        if obj is None:
            log.debug("object %r is not in the observation; slot %d marked absent", oid, k)
            continue
        if k < len(object_args) and object_args[k] in place_args:
            obj = place_view(obj)
        out[layout.slot(k)] = _slot_values(obj, ee)
    out[layout.skill_one_hot.start + layout.skill_names.index(skill)] = 1.0
    if direction is not None:
        out[layout.direction_one_hot.start + HORIZONTAL_DIRECTIONS.index(direction)] = 1.0
    if number is not None:
        out[layout.number] = number
    return out.astype(np.float32)


def _pose_noise_mask(dim: int) -> np.ndarray:
    mask = np.zeros(dim, dtype=bool)
    mask[0:3] = True
    for k in range(MAX_OBJECT_SLOTS):
        start = _SLOTS_START + k * SLOT_DIM
        mask[start : start + 3] = True
    return mask


def augment(features: np.ndarray, rng: np.random.Generator, std: float) -> np.ndarray:
    """Copy of ``features`` (D,) or (N, D) with Gaussian noise (``std`` m) on the positions.

    Noise goes on the end-effector position and on the relative position of every
    *present* object slot; flags, one-hots, yaw, sizes and arguments are left exact.
    """
    if not math.isfinite(std) or std < 0:
        raise PolicyInputError(f"augment std must be a finite number >= 0 (metres), got {std!r}")
    x = np.array(features, dtype=np.float32, copy=True)
    if x.ndim not in (1, 2) or x.shape[-1] < _SKILL_START:
        raise PolicyInputError(f"features must have shape (D,) or (N, D) with D >= {_SKILL_START}, got {x.shape}")
    if std == 0:
        return x
    batch = x.reshape(-1, x.shape[-1])
    mask = _pose_noise_mask(batch.shape[1])
    noise = rng.normal(0.0, std, size=batch.shape).astype(np.float32) * mask
    for k in range(MAX_OBJECT_SLOTS):
        start = _SLOTS_START + k * SLOT_DIM
        absent = batch[:, start + SLOT_DIM - 1] < 0.5
        noise[absent, start : start + 3] = 0.0
    batch += noise
    return batch.reshape(x.shape)


# --------------------------------------------------------------------------- episode context
#
# A reactive policy sees one observation. Some skills are not a function of it alone: push
# goes *behind* its object and then pushes it, and half-way through a push the gripper is
# where it also stands during the approach. RT-H conditions on context; a skill policy here
# may append a small *context* block to the features above, built from the episode so far:
#
#     part          size  what
#     ------------  ----  ---------------------------------------------------------------
#     displacement     6  per object slot (0, 1): the object's position now minus where it
#                         was at the first tick of the skill (world axes, m); 0 when absent
#     slot_offset      3  slot 0's position minus slot 1's (world axes, m): for place_over
#                         where the target's place is from the held object, the error its
#                         oracle closes; 0 when either slot is absent. Not history: it is
#                         the same tick's features, made explicit so that standardisation
#                         gives the centimetres that decide a stack their own scale
#
# The parts a policy uses are in its checkpoint (``PolicyConfig.context``), in the order of
# :data:`CONTEXT_PARTS`. Training computes them from each recorded episode's tick sequence
# (:func:`episode_context`); at run time :class:`ContextTracker` computes the same thing tick
# by tick. Recordings keep only the (D,) features above, so adding context needs no new data.
# (The previous motion or action as context, RT-H-style history, was tried and not taken: the
# policy copied its last motion and stalled, push 16 %; see the README.)

CONTEXT_PARTS: tuple[str, ...] = ("displacement", "slot_offset")
DISPLACEMENT_DIM = 3 * MAX_OBJECT_SLOTS
_CONTEXT_SIZES = {"displacement": DISPLACEMENT_DIM, "slot_offset": 3}


def parse_context(parts: str | Sequence[str] | None) -> tuple[str, ...]:
    """Context parts from a comma list or a sequence, validated and put in canonical order."""
    if parts is None:
        return ()
    items = [p.strip() for p in parts.split(",")] if isinstance(parts, str) else [str(p).strip() for p in parts]
    items = [p for p in items if p and p != "none"]
    unknown = sorted(set(items) - set(CONTEXT_PARTS))
    if unknown:
        raise PolicyInputError(f"unknown context part(s) {unknown}; use any of {', '.join(CONTEXT_PARTS)}")
    return tuple(p for p in CONTEXT_PARTS if p in items)


def context_dim(parts: Sequence[str]) -> int:
    """Size C of the context block for ``parts`` (0 for none)."""
    return sum(_CONTEXT_SIZES[p] for p in parse_context(parts))


def _object_positions(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., D) features -> absolute slot positions (..., 2, 3) and present flags (..., 2)."""
    ee = features[..., 0:3]
    pos, present = [], []
    for k in range(MAX_OBJECT_SLOTS):
        start = _SLOTS_START + k * SLOT_DIM
        pos.append(ee + features[..., start : start + 3])
        present.append(features[..., start + SLOT_DIM - 1] > 0.5)
    return np.stack(pos, axis=-2), np.stack(present, axis=-1)


def _displacement(features: np.ndarray, first: np.ndarray) -> np.ndarray:
    pos, present = _object_positions(features)
    pos0, present0 = _object_positions(first)
    both = (present & present0)[..., None]
    disp = np.where(both, pos - pos0, 0.0)
    return disp.reshape(*features.shape[:-1], DISPLACEMENT_DIM)


def _slot_offset(features: np.ndarray) -> np.ndarray:
    pos, present = _object_positions(features)
    both = (present[..., 0] & present[..., 1])[..., None]
    return np.where(both, pos[..., 0, :] - pos[..., 1, :], 0.0)


def episode_context(features: np.ndarray, episode: np.ndarray, parts: Sequence[str]) -> np.ndarray:
    """Context block (N, C) float32 of recorded ticks: features (N, D), episode ids (N,), ticks
    of an episode in order (as
    :func:`robomatrix.learning.dataset.load_demonstrations` returns them)."""
    parts = parse_context(parts)
    x = np.asarray(features, dtype=np.float64)
    n = x.shape[0]
    if not parts:
        return np.zeros((n, 0), np.float32)
    ep = np.asarray(episode)
    first_of_episode = np.ones(n, dtype=bool)
    first_of_episode[1:] = ep[1:] != ep[:-1]
    first_index = np.maximum.accumulate(np.where(first_of_episode, np.arange(n), 0))
    blocks: list[np.ndarray] = []
    for part in parts:
        if part == "displacement":
            blocks.append(_displacement(x, x[first_index]))
        else:  # slot_offset
            blocks.append(_slot_offset(x))
    return np.concatenate(blocks, axis=1).astype(np.float32)


class ContextTracker:
    """The context block tick by tick at run time (same meaning as :func:`episode_context`).

    Per tick: :meth:`context` with the tick's (D,) features; :meth:`reset` at the start of
    each skill run.
    """

    def __init__(self, parts: Sequence[str]) -> None:
        self.parts = parse_context(parts)
        self.dim = context_dim(self.parts)
        self.reset()

    def reset(self) -> None:
        self._first: np.ndarray | None = None

    def context(self, features: np.ndarray) -> np.ndarray:
        """(C,) float32 for this tick's features (D,); the first call after reset fixes the start."""
        x = np.asarray(features, dtype=np.float64)
        if self._first is None:
            self._first = x.copy()
        blocks: list[np.ndarray] = []
        for part in self.parts:
            if part == "displacement":
                blocks.append(_displacement(x, self._first))
            else:  # slot_offset
                blocks.append(_slot_offset(x))
        return (np.concatenate(blocks) if blocks else np.zeros(0)).astype(np.float32)
