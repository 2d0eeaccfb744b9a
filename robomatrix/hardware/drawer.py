"""Geometry of the drawer asset, shared by the simulator that builds it and the code that reasons about it.

Core module: numpy only (no rclpy, no simulator). A drawer is a static cabinet, open at its
-x face, with one drawer box that slides out along the cabinet's -x axis (towards the robot
at yaw 0) and a vertical bar handle held off the drawer's front panel.

A drawer reports (``ObjectInfo``) its **handle** position, the cabinet's orientation and
outer ``size`` and its opening; everything else follows from the numbers here, so the
inside of the drawer can be found from an observation alone (:func:`inside_from_handle`).

Frames: *cabinet frame* = origin at the cabinet's centre, x towards its back, z up;
metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "GAP",
    "HANDLE_BAR",
    "HANDLE_LENGTH",
    "HANDLE_STANDOFF",
    "WALL",
    "DrawerBox",
    "drawer_box",
    "handle_position",
    "inside_from_handle",
]

WALL = 0.008  # m, wall thickness of the cabinet and the drawer box (bowls and bins use the same)
GAP = 0.003  # m, clearance between the drawer box and the cabinet
HANDLE_STANDOFF = 0.035  # m, gap between the drawer's front face and the handle bar's centre
HANDLE_LENGTH = 0.07  # m, vertical bar length
HANDLE_BAR = 0.014  # m, bar thickness
HANDLE_DROP = 0.01  # m, the bar's top end sits this far below the drawer's top inner edge


@dataclass(frozen=True)
class DrawerBox:
    """The sliding drawer box of a cabinet of outer ``size`` (cabinet frame, drawer closed)."""

    depth: float  # m, outer extent along x
    width: float  # m, outer extent along y
    height: float  # m, outer extent along z (front panel height)
    front_x: float  # m, x of the front face when closed (= the cabinet's open face)
    handle: np.ndarray  # (3,) m, centre of the handle bar when closed


def drawer_box(size: tuple[float, float, float] | np.ndarray) -> DrawerBox:
    """Dimensions of the drawer box inside a cabinet of outer ``size`` (sx, sy, sz), m."""
    sx, sy, sz = (float(s) for s in size)
    front_x = -0.5 * sx
    handle_z = 0.5 * sz - 2 * WALL - 0.5 * HANDLE_LENGTH - HANDLE_DROP
    return DrawerBox(
        depth=sx - WALL - GAP,
        width=sy - 2 * WALL - 2 * GAP,
        height=sz - 2 * WALL - 2 * GAP,
        front_x=front_x,
        handle=np.array([front_x - HANDLE_STANDOFF, 0.0, handle_z]),
    )


def handle_position(size: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    """(3,) centre of the handle bar, cabinet frame, drawer closed (m)."""
    return drawer_box(size).handle.copy()


def inside_from_handle(size: tuple[float, float, float] | np.ndarray) -> dict[str, float]:
    """The drawer box's inside relative to the handle, along the cabinet's axes (m).

    Keys: ``front`` and ``back`` (x of the inner faces of the front panel and of the back
    wall, measured from the handle towards the cabinet's back, > 0), ``half_width`` (half
    the inner width), ``floor`` (z of the floor's top face minus the handle's z, < 0) and
    ``rim`` (z of the front panel's top edge minus the handle's z, > 0). The inside moves
    with the handle, whatever the opening.
    """
    box = drawer_box(size)
    hz = float(box.handle[2])
    return {
        "front": HANDLE_STANDOFF + WALL,
        "back": HANDLE_STANDOFF + box.depth - WALL,
        "half_width": 0.5 * box.width - WALL,
        "floor": -0.5 * box.height + WALL - hz,
        "rim": 0.5 * box.height - hz,
    }
