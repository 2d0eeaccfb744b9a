"""The language-motion vocabulary (RT-H): short phrases that say what the arm does next.

Core module: imports no rclpy.

Frame and perspective
---------------------
Every direction word is in the **robot's own perspective**, the convention RT-H users
expect, and maps onto the world frame of :mod:`robomatrix.hardware.interface`:

==========================  ==========================================================
motion word                 world frame
==========================  ==========================================================
``forward``                 +x, away from the robot base
``backward``                -x, towards the robot base
``left``                    +y, the robot's left
``right``                   -y, the robot's right
``up``                      +z
``down``                    -z
``rotate gripper left``     +yaw: counter-clockwise about +z, seen from above
``rotate gripper right``    -yaw: clockwise about +z, seen from above
``open gripper``            gripper command 0.0 (fully open)
``close gripper``           gripper command 1.0 (fully closed)
==========================  ==========================================================

For **a person standing in front of the robot, facing it** (the usual place to give a
correction): "forward" moves the gripper towards that person, "backward" away from
them, and the robot's "left" is *the person's right* (and vice versa) — like a mirror.
``parse_motion`` therefore reads "towards me" as ``forward`` and "away from me" as
``backward``, and the person-perspective phrases "my left" / "my right" as the robot's
``right`` / ``left``. Plain "left"/"right" always mean the robot's left/right.

Vocabulary
----------
:data:`VOCABULARY` is a fixed tuple whose order is a class index for the language-motion
policies: append only, never reorder. It holds ``stop``, the six single-axis moves, every
two-axis combination of *different* axes written in canonical order (forward/backward
before left/right before up/down, e.g. "move arm backward and down"), the two gripper
rotations, and open/close gripper.

``resume`` (:data:`RESUME`) is a control word, not a motion: a person sends it to end a
correction and hand control back to the policy. :func:`parse_motion` returns it as is;
it has no index.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from robomatrix.errors import RobomatrixError
from robomatrix.policies.directions import AXES, DIRECTION_SYNONYMS

log = logging.getLogger(__name__)

__all__ = [
    "AXES",
    "RESUME",
    "STOP",
    "VOCABULARY",
    "MotionDirection",
    "UnknownMotionError",
    "index_to_motion",
    "motion_direction",
    "motion_to_index",
    "motion_to_velocity",
    "parse_motion",
    "translation_motion",
]


class UnknownMotionError(RobomatrixError):
    """Text or an index that is not a language motion of the vocabulary."""


STOP = "stop"
RESUME = "resume"
MAX_MOTION_CHARS = 200  # a correction is a few words; longer text is not one
OPEN_GRIPPER = "open gripper"
CLOSE_GRIPPER = "close gripper"
ROTATE_LEFT = "rotate gripper left"
ROTATE_RIGHT = "rotate gripper right"

_WORD_TO_AXIS: dict[str, tuple[int, int]] = {
    word: (axis, 1 if k == 0 else -1) for axis, words in enumerate(AXES) for k, word in enumerate(words)
}


def _build_vocabulary() -> tuple[str, ...]:
    singles = [f"move arm {word}" for words in AXES for word in words]
    pairs = [
        f"move arm {first} and {second}"
        for a, b in itertools.combinations(range(3), 2)
        for first in AXES[a]
        for second in AXES[b]
    ]
    return (STOP, *singles, *pairs, ROTATE_LEFT, ROTATE_RIGHT, OPEN_GRIPPER, CLOSE_GRIPPER)


VOCABULARY: tuple[str, ...] = _build_vocabulary()
"""All language motions, in class-index order (23 entries; append only)."""

_INDEX: dict[str, int] = {motion: i for i, motion in enumerate(VOCABULARY)}


def _valid_list() -> str:
    return ", ".join(repr(m) for m in VOCABULARY) + f" (and the control word {RESUME!r})"


def motion_to_index(motion: str) -> int:
    """Class index of a vocabulary motion (exact string, see :data:`VOCABULARY`)."""
    try:
        return _INDEX[motion]
    except (KeyError, TypeError):
        raise UnknownMotionError(
            f"{motion!r} is not a language motion; use one of: {_valid_list()}; "
            "parse_motion() accepts free text"
        ) from None


def index_to_motion(index: int) -> str:
    """Vocabulary motion for a class index in ``[0, len(VOCABULARY))``."""
    if (
        isinstance(index, bool)
        or not isinstance(index, (int, np.integer))
        or not 0 <= index < len(VOCABULARY)
    ):
        raise UnknownMotionError(
            f"language-motion index {index!r} is out of range; valid indices are 0..{len(VOCABULARY) - 1}"
        )
    return VOCABULARY[int(index)]


class MotionDirection(NamedTuple):
    """What a motion asks of the arm, independent of speed."""

    linear: np.ndarray  # (3,) unit vector in the world frame, zeros when the arm does not translate
    yaw: int  # +1 counter-clockwise seen from above, -1 clockwise, 0 none
    gripper: float | None  # target gripper command (0 open ... 1 closed), None = keep as is


def motion_direction(motion: str) -> MotionDirection:
    """Unit linear direction (3,), yaw sign and gripper target of a vocabulary motion."""
    motion_to_index(motion)  # validates
    linear = np.zeros(3)
    yaw = 0
    gripper: float | None = None
    if motion == ROTATE_LEFT:
        yaw = 1
    elif motion == ROTATE_RIGHT:
        yaw = -1
    elif motion == OPEN_GRIPPER:
        gripper = 0.0
    elif motion == CLOSE_GRIPPER:
        gripper = 1.0
    elif motion.startswith("move arm "):
        for word in motion[len("move arm ") :].split(" and "):
            axis, sign = _WORD_TO_AXIS[word]
            linear[axis] = sign
        linear /= np.linalg.norm(linear)
    return MotionDirection(linear, yaw, gripper)


def motion_to_velocity(
    motion: str, *, linear_speed: float, yaw_rate: float, current_gripper: float
) -> tuple[np.ndarray, float, float]:
    """Velocity command that carries out ``motion``.

    Returns ``(linear (3,) m/s, yaw rate rad/s, gripper command 0..1)``: the unit direction
    scaled by ``linear_speed`` (m/s), the yaw sign times ``yaw_rate`` (rad/s), and the
    motion's gripper target or ``current_gripper`` when the motion leaves it alone.
    """
    direction = motion_direction(motion)
    gripper = current_gripper if direction.gripper is None else direction.gripper
    return direction.linear * float(linear_speed), direction.yaw * float(yaw_rate), float(gripper)


def translation_motion(signs: Sequence[int] | np.ndarray) -> str:
    """Motion for per-axis signs (x, y, z) in {-1, 0, 1}; at most two non-zero; all zero -> stop."""
    values = [int(s) for s in np.asarray(signs).reshape(-1)]
    if len(values) != 3 or any(s not in (-1, 0, 1) for s in values):
        raise UnknownMotionError(f"axis signs must be three values in {{-1, 0, 1}}, got {signs!r}")
    words = [AXES[axis][0 if s > 0 else 1] for axis, s in enumerate(values) if s != 0]
    if not words:
        return STOP
    if len(words) > 2:
        raise UnknownMotionError(
            f"axis signs {tuple(values)} move along three axes; the vocabulary combines at most two"
        )
    return "move arm " + " and ".join(words)


# --------------------------------------------------------------------------- free-text parsing

# Multi-word phrases, replaced before splitting into words (longest first).
_PHRASES: tuple[tuple[str, str], ...] = (
    ("counter clockwise", "ccw"),
    ("anti clockwise", "ccw"),
    ("away from me", "backward"),
    ("away from you", "forward"),
    ("towards me", "forward"),
    ("toward me", "forward"),
    ("to me", "forward"),
    ("towards you", "backward"),
    ("toward you", "backward"),
    ("my left", "right"),  # a person facing the robot: their left is the robot's right
    ("my right", "left"),
    ("let go", "release"),
    ("carry on", "resume"),
    ("go on", "resume"),
    ("hold still", "stop"),
    ("stay still", "stop"),
)

# Content words: each maps to a (kind, value) token. The direction words and their synonyms,
# but not "away" (a person facing the robot says "away from me" for backward; the phrases
# above read it), and the verbs of a motion up or down.
_DIRECTIONS = {
    **{w: d for w, d in DIRECTION_SYNONYMS.items() if w != "away"},
    "raise": "up", "lift": "up", "higher": "up", "lower": "down",
}  # fmt: skip
_ROTATE = {"rotate", "turn", "twist", "spin", "yaw", "rotation"}
_SPIN = {"ccw": "left", "counterclockwise": "left", "anticlockwise": "left", "clockwise": "right"}
_OPEN = {"open", "release", "ungrip", "unclamp", "loosen"}
_CLOSE = {"close", "grab", "grip", "grasp", "clamp", "squeeze", "pinch", "shut"}
_STOP = {"stop", "halt", "freeze", "pause", "wait", "stay", "still"}
_RESUME = {"resume", "continue", "proceed"}
# Words that carry no meaning of their own here ("please move the arm up a bit").
_FILLER = {
    "move", "arm", "go", "the", "a", "an", "please", "and", "to", "your", "robot", "gripper",
    "hand", "claw", "end", "effector", "bit", "little", "slightly", "now", "then", "more", "of",
    "ok", "okay", "just", "slowly", "direction", "side", "it", "toward", "towards", "in", "by",
}  # fmt: skip

_KNOWN_SET = frozenset(_DIRECTIONS) | _ROTATE | frozenset(_SPIN) | _OPEN | _CLOSE | _STOP | _RESUME | _FILLER
_KNOWN_WORDS = sorted(_KNOWN_SET)


def _normalise(text: str) -> list[str]:
    text = text.lower().replace("-", " ").replace("_", " ")
    text = re.sub(r"[^a-z ]+", " ", text)
    text = " ".join(text.split())
    for phrase, replacement in _PHRASES:
        text = re.sub(rf"\b{phrase}\b", replacement, text)
    return text.split()


def _one_typo_from(word: str, known: str) -> bool:
    """True when ``word`` is ``known`` with one letter dropped (typed word >= 5 letters) or
    two neighbouring letters swapped (>= 4 letters). Added or substituted letters are not
    forgiven: they turn real words into motions ("closer" -> close, "light" -> right)."""
    if len(word) == len(known) - 1 and len(word) >= 5:
        return any(known[:i] + known[i + 1 :] == word for i in range(len(known)))
    if len(word) == len(known) and len(word) >= 4:
        diff = [i for i in range(len(word)) if word[i] != known[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == known[diff[1]]
            and word[diff[1]] == known[diff[0]]
        )
    return False


def _correct(word: str) -> str | None:
    """The known word ``word`` stands for, forgiving one dropped or swapped letter; None if unknown."""
    if word in _KNOWN_SET:
        return word
    matches = [known for known in _KNOWN_WORDS if _one_typo_from(word, known)]
    if len(matches) == 1:
        log.debug("language motion: read %r as %r", word, matches[0])
        return matches[0]
    return None


def parse_motion(text: str) -> str:
    """Map free text to a vocabulary motion, or to :data:`RESUME`.

    Normalises case, whitespace and punctuation; accepts synonyms ("raise"/"lift" = up,
    "lower" = down, "towards me" = forward, "grab"/"grip" = close gripper, "let go"/
    "release" = open gripper, "halt"/"freeze" = stop, "turn clockwise" = rotate gripper
    right) and any word order ("left and forward" -> "move arm forward and left").

    Every word must be understood: a word outside the known set, conflicting directions
    ("left and right"), three axes, or a mix of kinds ("grab up") raise
    :class:`UnknownMotionError`, whose message lists the valid motions.
    """
    if not isinstance(text, str):
        raise UnknownMotionError(f"a language motion must be text, got {type(text).__name__} {text!r:.80}")
    if len(text) > MAX_MOTION_CHARS:
        raise UnknownMotionError(
            f"a language motion is a few words, got {len(text)} characters ({text[:40]!r}...); "
            f"say one of the valid motions, e.g. 'move arm up' or 'resume'")
    if any(not c.isprintable() and c not in " \t" for c in text):
        raise UnknownMotionError(
            f"{text!r:.80} holds control characters (e.g. NUL); send plain text such as 'move arm up'")
    words = _normalise(text)
    cleaned = " ".join(words)
    if cleaned in _INDEX:
        return cleaned

    def fail(reason: str) -> UnknownMotionError:
        return UnknownMotionError(
            f"cannot read {text!r} as a language motion: {reason}; valid motions: {_valid_list()}"
        )

    directions: list[str] = []
    kinds: set[str] = set()
    unknown: list[str] = []
    for raw in words:
        word = _correct(raw)
        if word is None:
            unknown.append(raw)
        elif word in _DIRECTIONS:
            directions.append(_DIRECTIONS[word])
        elif word in _SPIN:
            kinds.add("rotate")
            directions.append(_SPIN[word])
        elif word in _ROTATE:
            kinds.add("rotate")
        elif word in _OPEN:
            kinds.add("open")
        elif word in _CLOSE:
            kinds.add("close")
        elif word in _STOP:
            kinds.add("stop")
        elif word in _RESUME:
            kinds.add("resume")
    if unknown:
        raise fail(f"unknown word(s) {', '.join(repr(w) for w in unknown)}")
    if not directions and not kinds:
        raise fail("it names no motion")
    if directions and kinds - {"rotate"}:
        raise fail(f"it mixes a direction with {' and '.join(sorted(kinds - {'rotate'}))}; give one motion")
    if len(kinds) > 1:
        raise fail(f"it mixes {' and '.join(sorted(kinds))}; give one motion")
    (kind,) = kinds or {"move"}
    if kind == "resume":
        return RESUME
    if kind == "stop":
        return STOP
    if kind == "open":
        return OPEN_GRIPPER
    if kind == "close":
        return CLOSE_GRIPPER
    unique = sorted(set(directions))
    if kind == "rotate":
        if unique == ["left"]:
            return ROTATE_LEFT
        if unique == ["right"]:
            return ROTATE_RIGHT
        raise fail("a rotation needs exactly one of left/right (or clockwise/counter-clockwise)")
    signs = [0, 0, 0]
    for word in unique:
        axis, sign = _WORD_TO_AXIS[word]
        if signs[axis] != 0:
            raise fail(f"it names both {AXES[axis][0]!r} and {AXES[axis][1]!r}")
        signs[axis] = sign
    if sum(1 for s in signs if s) > 2:
        raise fail("it moves along three axes; combine at most two")
    return translation_motion(tuple(signs))
