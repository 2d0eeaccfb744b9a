"""Direction words: the one table that skill specs, conditions, features and language motions read.

Core module: no rclpy, no torch. The robot's own perspective in the world frame of
:mod:`robomatrix.hardware.interface`: ``forward`` = +x (away from the robot base), ``left``
= +y (the robot's left), ``up`` = +z.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "AXES",
    "DIRECTIONS",
    "DIRECTION_SYNONYMS",
    "DIRECTION_VECTORS",
    "HORIZONTAL_DIRECTIONS",
    "canonical_direction",
]

DIRECTIONS: tuple[str, ...] = ("forward", "backward", "left", "right", "up", "down")
"""Every direction word, in axis order (x+, x-, y+, y-, z+, z-)."""

AXES: tuple[tuple[str, str], ...] = tuple(zip(DIRECTIONS[0::2], DIRECTIONS[1::2], strict=True))
"""The three translation axes in order; axis i is world axis i (x, y, z), each entry
(word for the + direction, word for the - direction)."""

HORIZONTAL_DIRECTIONS: tuple[str, ...] = DIRECTIONS[:4]
"""The directions along the table (forward, backward, left, right): what a push can take."""

DIRECTION_VECTORS: dict[str, np.ndarray] = {
    word: np.where(np.arange(3) == axis, sign, 0.0)
    for axis, words in enumerate(AXES)
    for word, sign in zip(words, (1.0, -1.0), strict=True)
}
"""Unit vectors of the direction words, world frame."""

DIRECTION_SYNONYMS: dict[str, str] = {
    **{d: d for d in DIRECTIONS},
    "forwards": "forward", "ahead": "forward", "away": "forward",
    "backwards": "backward", "back": "backward",
    "leftward": "left", "leftwards": "left",
    "rightward": "right", "rightwards": "right",
    "upward": "up", "upwards": "up",
    "downward": "down", "downwards": "down",
}  # fmt: skip
"""Synonym -> canonical direction word; canonical words map to themselves."""


def canonical_direction(word: str) -> str | None:
    """Canonical direction word ("forwards" -> "forward"), None if not a direction."""
    return DIRECTION_SYNONYMS.get(" ".join(word.strip().lower().split()))
