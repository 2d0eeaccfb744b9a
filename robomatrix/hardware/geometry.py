"""Object geometry in the world frame (x forward, y left, z up, table top z = 0; metres).

Shared by the layers above: the skills' conditions and oracles, the policies' features and
the planner. Positions are geometric centres; a drawer reports its handle.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from robomatrix.hardware.drawer import inside_from_handle
from robomatrix.hardware.interface import ObjectInfo

__all__ = [
    "DRAWER_MOUTH",
    "DrawerInside",
    "drawer_inside",
    "footprint_contains",
    "object_bottom",
    "object_top",
    "place_view",
    "quaternion_yaw",
]

DRAWER_MOUTH = 0.11  # m, depth of a drawer's inside (behind the front panel) that a carried object aims at;
# keep it below travel * drawer_open_min (0.15 m * 0.8 in the scenes) so it lies out of the cabinet




def quaternion_yaw(q: Any) -> float:
    """Yaw (rad, about +z) of a quaternion (x, y, z, w)."""
    x, y, z, w = (float(v) for v in np.asarray(q, dtype=float).reshape(4))
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def object_top(obj: ObjectInfo) -> float:
    """Height (m) of the object's top: centre z + half its z extent."""
    return float(obj.position[2]) + 0.5 * float(obj.size[2])


def object_bottom(obj: ObjectInfo) -> float:
    """Height (m) of the object's bottom: centre z - half its z extent."""
    return float(obj.position[2]) - 0.5 * float(obj.size[2])


def footprint_contains(target: ObjectInfo, xy: Any, margin: float = 0.0, min_half: float = 0.0) -> bool:
    """True when the point ``xy`` (m) lies inside the target's footprint shrunk by ``margin``.

    A bowl's footprint is a disc of its radius; any other object's is the rectangle of its
    x/y extents turned by its yaw. A shrunk half extent (radius) never goes below ``min_half``.
    """
    d = np.asarray(xy, dtype=float)[:2] - np.asarray(target.position, dtype=float)[:2]
    if target.category == "bowl":
        radius = max(0.25 * (float(target.size[0]) + float(target.size[1])) - margin, min_half)
        return float(np.hypot(d[0], d[1])) <= radius
    yaw = quaternion_yaw(target.orientation)
    c, s = math.cos(yaw), math.sin(yaw)
    local = np.array([c * d[0] + s * d[1], -s * d[0] + c * d[1]])
    half = np.maximum(0.5 * np.asarray(target.size[:2], dtype=float) - margin, min_half)
    return bool(np.all(np.abs(local) <= half))


@dataclass(frozen=True)
class DrawerInside:
    """A region of a drawer's inside, world frame (m): a rectangle turned by the cabinet's yaw."""

    centre: np.ndarray  # (2,) x, y of the rectangle's centre
    yaw: float  # rad, the cabinet's yaw (the rectangle's x axis points into the cabinet)
    half: np.ndarray  # (2,) half extents along the cabinet's x and y
    floor: float  # z of the drawer's floor (top face)
    rim: float  # z of the front panel's top edge: what a carried object must clear

    def contains(self, xy: Any, margin: float = 0.0, min_half: float = 0.0) -> bool:
        """True when ``xy`` lies in the rectangle shrunk by ``margin`` (half extents >= ``min_half``)."""
        d = np.asarray(xy, dtype=float)[:2] - self.centre
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        local = np.array([c * d[0] + s * d[1], -s * d[0] + c * d[1]])
        half = np.maximum(self.half - margin, min_half)
        return bool(np.all(np.abs(local) <= half))


def drawer_inside(drawer: ObjectInfo, depth: float | None = None) -> DrawerInside:
    """The inside of ``drawer`` (an ObjectInfo reporting its handle), from its front panel inwards.

    ``depth`` None: the whole inner rectangle of the drawer box; else only the first ``depth``
    metres behind the front panel (the mouth, out of the cabinet when the drawer is open).
    """
    inside = inside_from_handle(drawer.size)
    front, back = inside["front"], inside["back"]
    if depth is not None:
        back = min(back, front + float(depth))
    yaw = quaternion_yaw(drawer.orientation)
    axis = np.array([math.cos(yaw), math.sin(yaw)])
    handle = np.asarray(drawer.position, dtype=float)
    return DrawerInside(
        centre=handle[:2] + axis * 0.5 * (front + back),
        yaw=yaw,
        half=np.array([0.5 * (back - front), inside["half_width"]]),
        floor=float(handle[2]) + inside["floor"],
        rim=float(handle[2]) + inside["rim"],
    )


def place_view(obj: ObjectInfo, drawer_mouth: float = DRAWER_MOUTH) -> ObjectInfo:
    """``obj`` as a place to put things: a drawer becomes the box of its inside's mouth (the
    first ``drawer_mouth`` metres behind the front panel; top = the front panel's top edge,
    bottom = the drawer's floor), keeping its yaw and opening; any other object is returned
    unchanged. place_over's oracle aims at this box and its policy sees it in its target slot."""
    if obj.category != "drawer":
        return obj
    mouth = drawer_inside(obj, drawer_mouth)
    depth = max(mouth.rim - mouth.floor, 1e-3)
    return dataclasses.replace(
        obj,
        position=np.array([float(mouth.centre[0]), float(mouth.centre[1]), mouth.rim - 0.5 * depth]),
        size=np.array([2.0 * float(mouth.half[0]), 2.0 * float(mouth.half[1]), depth]),
    )
