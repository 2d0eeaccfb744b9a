"""Simulator bodies built from primitives (pybullet_data has no bowl or drawer).

Every function takes the caller's own pybullet client (a ``BulletClient``), never the
global pybullet state. Units: metres, kilograms, radians. Each object's base frame sits at
its geometric centre, so the pose a backend reports is the pose of the object's middle.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pybullet_data

from robomatrix.errors import ConfigError
from robomatrix.hardware.drawer import HANDLE_BAR, HANDLE_LENGTH, HANDLE_STANDOFF, WALL, drawer_box
from robomatrix.hardware.sim.scene import Placement

log = logging.getLogger(__name__)

TABLE_SIZE = (1.5, 1.0)  # m, the pybullet_data table top (x, y)
TABLE_CENTRE = (0.5, 0.0)  # m, table centre in the world; robot base (origin) near its back edge
TABLE_HEIGHT = 0.625  # m, table top above the floor; the floor is at z = -TABLE_HEIGHT
FRICTION = 1.0  # lateral friction of objects and table (unitless)
# WALL (bowls, bins, the drawer) and the drawer's handle dimensions live in
# robomatrix.hardware.drawer, which the conditions and oracles read as well.


@dataclass
class BuiltObject:
    """A body in the simulator, with what the backend needs to report it."""

    placement: Placement
    body: int  # pybullet body id
    link: int = -1  # link the grasp assist attaches to (-1 base; the drawer uses its drawer link)
    centre_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)  # m, base frame -> geometric centre
    size: tuple[float, float, float] = (0.0, 0.0, 0.0)  # m, extents in the object's own frame
    graspable: bool = False  # the grasp assist may attach it


def data_path(path: str) -> str:
    """Resolve a URDF path: absolute as is, else relative to pybullet_data."""
    p = Path(path)
    full = p if p.is_absolute() else Path(pybullet_data.getDataPath()) / p
    if not full.is_file():
        raise ConfigError(f"URDF {path!r} not found (looked for {full}); give a path relative to pybullet_data")
    return str(full)


def _quat_yaw(yaw: float) -> tuple[float, float, float, float]:
    return (0.0, 0.0, math.sin(0.5 * yaw), math.cos(0.5 * yaw))


def _compound(
    client: Any, boxes: list[tuple[tuple[float, float, float], tuple[float, float, float]]], rgba: tuple
) -> tuple[int, int]:
    """Collision and visual shapes of several boxes given as (half extents, centre)."""
    half = [list(b[0]) for b in boxes]
    pos = [list(b[1]) for b in boxes]
    n = len(boxes)
    col = client.createCollisionShapeArray(
        shapeTypes=[client.GEOM_BOX] * n, halfExtents=half, collisionFramePositions=pos
    )
    vis = client.createVisualShapeArray(
        shapeTypes=[client.GEOM_BOX] * n, halfExtents=half, visualFramePositions=pos, rgbaColors=[list(rgba)] * n
    )
    return col, vis


def build_ground(client: Any) -> tuple[int, int]:
    """Floor and table (pybullet_data ``table/table.urdf``) with the table top at z = 0."""
    floor = client.loadURDF(data_path("plane.urdf"), [0.0, 0.0, -TABLE_HEIGHT], useFixedBase=True)
    table = client.loadURDF(
        data_path("table/table.urdf"), [TABLE_CENTRE[0], TABLE_CENTRE[1], -TABLE_HEIGHT], useFixedBase=True
    )
    client.changeDynamics(table, -1, lateralFriction=FRICTION)
    return floor, table


def build_block(client: Any, p: Placement) -> BuiltObject:
    """A solid box of ``p.size`` resting on the table."""
    half = [0.5 * s for s in p.size]
    col = client.createCollisionShape(client.GEOM_BOX, halfExtents=half)
    vis = client.createVisualShape(client.GEOM_BOX, halfExtents=half, rgbaColor=list(p.rgba))
    body = client.createMultiBody(p.mass, col, vis, [p.x, p.y, half[2]], _quat_yaw(p.yaw))
    client.changeDynamics(body, -1, lateralFriction=FRICTION, spinningFriction=0.001, rollingFriction=0.0)
    return BuiltObject(p, body, size=p.size, graspable=p.mass > 0)


MAX_VISUAL_SHAPES = 16  # createVisualShapeArray crashes (segfault) above 16 shapes in pybullet 3.2.7


def build_bowl(client: Any, p: Placement, segments: int = 12) -> BuiltObject:
    """A round bowl of outer size ``p.size``: a thin disc base and a ring of ``segments`` wall
    boxes standing on it (only the disc touches the table, which keeps contacts few and the
    physics fast). Not graspable by the grasp assist (push it instead)."""
    if segments + 1 > MAX_VISUAL_SHAPES:
        raise ConfigError(f"bowl segments {segments} too many; at most {MAX_VISUAL_SHAPES - 1}")
    sx, sy, h = p.size
    radius = 0.25 * (sx + sy)  # m, outer radius (sx and sy are averaged)
    seg_len = 2.0 * radius * math.tan(math.pi / segments) * 1.08  # overlap a little, no gaps
    wall_h = h - WALL
    types = [client.GEOM_CYLINDER] + [client.GEOM_BOX] * segments
    half: list[list[float]] = [[0.0, 0.0, 0.0]]
    radii: list[float] = [radius]
    lengths: list[float] = [WALL]
    pos: list[list[float]] = [[0.0, 0.0, -0.5 * h + 0.5 * WALL]]
    orn: list[list[float]] = [[0.0, 0.0, 0.0, 1.0]]
    for k in range(segments):
        a = 2.0 * math.pi * k / segments
        r = radius - 0.5 * WALL
        half.append([0.5 * WALL, 0.5 * seg_len, 0.5 * wall_h])
        radii.append(0.0)
        lengths.append(0.0)
        pos.append([r * math.cos(a), r * math.sin(a), 0.5 * WALL])
        orn.append(list(_quat_yaw(a)))
    shape = {"shapeTypes": types, "halfExtents": half, "radii": radii}
    col = client.createCollisionShapeArray(
        **shape, lengths=lengths, collisionFramePositions=pos, collisionFrameOrientations=orn
    )
    vis = client.createVisualShapeArray(
        **shape, lengths=lengths, visualFramePositions=pos, visualFrameOrientations=orn,
        rgbaColors=[list(p.rgba)] * len(types),
    )
    body = client.createMultiBody(p.mass, col, vis, [p.x, p.y, 0.5 * h], _quat_yaw(p.yaw))
    client.changeDynamics(body, -1, lateralFriction=FRICTION)
    return BuiltObject(p, body, size=(2 * radius, 2 * radius, h), graspable=False)


def build_bin(client: Any, p: Placement) -> BuiltObject:
    """An open box (tray) of outer size ``p.size``: a floor and four walls."""
    sx, sy, h = p.size
    t = WALL
    boxes = [
        ((0.5 * sx, 0.5 * sy, 0.5 * t), (0.0, 0.0, -0.5 * h + 0.5 * t)),
        ((0.5 * t, 0.5 * sy, 0.5 * h), (0.5 * sx - 0.5 * t, 0.0, 0.0)),
        ((0.5 * t, 0.5 * sy, 0.5 * h), (-0.5 * sx + 0.5 * t, 0.0, 0.0)),
        ((0.5 * sx, 0.5 * t, 0.5 * h), (0.0, 0.5 * sy - 0.5 * t, 0.0)),
        ((0.5 * sx, 0.5 * t, 0.5 * h), (0.0, -0.5 * sy + 0.5 * t, 0.0)),
    ]
    col, vis = _compound(client, boxes, p.rgba)
    body = client.createMultiBody(p.mass, col, vis, [p.x, p.y, 0.5 * h], _quat_yaw(p.yaw))
    client.changeDynamics(body, -1, lateralFriction=FRICTION)
    return BuiltObject(p, body, size=p.size, graspable=False)


def drawer_geometry(size: tuple[float, float, float]) -> dict[str, np.ndarray]:
    """Where the drawer link and its handle sit, cabinet frame (origin at the cabinet centre), m."""
    return {
        "link_origin": np.array([0.0, 0.0, 0.0]),
        "handle": drawer_box(size).handle,
    }


def build_drawer(client: Any, p: Placement) -> BuiltObject:
    """A static cabinet (five plates, open at -x) with one drawer on a prismatic joint.

    The drawer slides along -x of the cabinet frame (towards the robot at yaw 0); its joint
    position is the opening in metres, limited to [0, ``p.travel``]. A vertical bar handle
    stands off the drawer front. The grasp assist attaches to the drawer link.
    """
    sx, sy, sz = p.size
    t = WALL
    cabinet = [
        ((0.5 * sx, 0.5 * sy, 0.5 * t), (0.0, 0.0, -0.5 * sz + 0.5 * t)),  # bottom
        ((0.5 * sx, 0.5 * sy, 0.5 * t), (0.0, 0.0, 0.5 * sz - 0.5 * t)),  # top
        ((0.5 * sx, 0.5 * t, 0.5 * sz), (0.0, 0.5 * sy - 0.5 * t, 0.0)),  # left
        ((0.5 * sx, 0.5 * t, 0.5 * sz), (0.0, -0.5 * sy + 0.5 * t, 0.0)),  # right
        ((0.5 * t, 0.5 * sy, 0.5 * sz), (0.5 * sx - 0.5 * t, 0.0, 0.0)),  # back
    ]
    box = drawer_box(p.size)
    dx, dy, dz = box.depth, box.width, box.height  # drawer box (GAP clearance to the cabinet)
    x0 = box.front_x  # drawer front face, cabinet frame at joint position 0
    xc = x0 + 0.5 * dx  # drawer centre
    geo = drawer_geometry(p.size)
    hx, _, hz = geo["handle"]
    drawer = [
        ((0.5 * t, 0.5 * dy, 0.5 * dz), (x0 + 0.5 * t, 0.0, 0.0)),  # front panel
        ((0.5 * dx, 0.5 * dy, 0.5 * t), (xc, 0.0, -0.5 * dz + 0.5 * t)),  # floor
        ((0.5 * dx, 0.5 * t, 0.4 * dz), (xc, 0.5 * dy - 0.5 * t, -0.1 * dz)),  # left side
        ((0.5 * dx, 0.5 * t, 0.4 * dz), (xc, -0.5 * dy + 0.5 * t, -0.1 * dz)),  # right side
        ((0.5 * t, 0.5 * dy, 0.4 * dz), (x0 + dx - 0.5 * t, 0.0, -0.1 * dz)),  # back
        ((0.5 * HANDLE_BAR, 0.5 * HANDLE_BAR, 0.5 * HANDLE_LENGTH), (hx, 0.0, hz)),  # handle bar
        ((0.5 * HANDLE_STANDOFF, 0.5 * HANDLE_BAR, 0.5 * HANDLE_BAR),
         (x0 - 0.5 * HANDLE_STANDOFF, 0.0, hz + 0.5 * HANDLE_LENGTH - 0.5 * HANDLE_BAR)),  # upper standoff
        ((0.5 * HANDLE_STANDOFF, 0.5 * HANDLE_BAR, 0.5 * HANDLE_BAR),
         (x0 - 0.5 * HANDLE_STANDOFF, 0.0, hz - 0.5 * HANDLE_LENGTH + 0.5 * HANDLE_BAR)),  # lower standoff
    ]
    base_col, base_vis = _compound(client, cabinet, p.rgba)
    handle_rgba = (0.25, 0.25, 0.25, 1.0)
    drawer_rgba = tuple(0.9 * c for c in p.rgba[:3]) + (1.0,)
    link_col = client.createCollisionShapeArray(
        shapeTypes=[client.GEOM_BOX] * len(drawer),
        halfExtents=[list(b[0]) for b in drawer],
        collisionFramePositions=[list(b[1]) for b in drawer],
    )
    link_vis = client.createVisualShapeArray(
        shapeTypes=[client.GEOM_BOX] * len(drawer),
        halfExtents=[list(b[0]) for b in drawer],
        visualFramePositions=[list(b[1]) for b in drawer],
        rgbaColors=[list(drawer_rgba)] * 5 + [list(handle_rgba)] * 3,
    )
    body = client.createMultiBody(
        baseMass=0.0,
        baseCollisionShapeIndex=base_col,
        baseVisualShapeIndex=base_vis,
        basePosition=[p.x, p.y, 0.5 * sz],
        baseOrientation=_quat_yaw(p.yaw),
        linkMasses=[0.5],
        linkCollisionShapeIndices=[link_col],
        linkVisualShapeIndices=[link_vis],
        linkPositions=[list(geo["link_origin"])],
        linkOrientations=[[0.0, 0.0, 0.0, 1.0]],
        linkInertialFramePositions=[[0.0, 0.0, 0.0]],
        linkInertialFrameOrientations=[[0.0, 0.0, 0.0, 1.0]],
        linkParentIndices=[0],
        linkJointTypes=[client.JOINT_PRISMATIC],
        linkJointAxis=[[-1.0, 0.0, 0.0]],
    )
    client.changeDynamics(
        body, 0, jointLowerLimit=0.0, jointUpperLimit=p.travel, lateralFriction=FRICTION, linearDamping=0.5,
        jointDamping=2.0,
    )
    # A little joint friction so the drawer stays where it is left (N).
    client.setJointMotorControl2(body, 0, client.VELOCITY_CONTROL, targetVelocity=0.0, force=2.0)
    return BuiltObject(p, body, link=0, size=p.size, graspable=True)


def build_urdf_object(client: Any, p: Placement) -> BuiltObject:
    """A URDF object (e.g. from ``random_urdfs``) recoloured to ``p.rgba`` and set on the table."""
    path = data_path(p.urdf)
    body = client.loadURDF(path, [p.x, p.y, 1.0], _quat_yaw(p.yaw), globalScaling=p.scale)
    for link in range(-1, client.getNumJoints(body)):
        client.changeVisualShape(body, link, rgbaColor=list(p.rgba))
        client.changeDynamics(body, link, lateralFriction=FRICTION)
    if p.mass > 0:
        client.changeDynamics(body, -1, mass=p.mass)
    lo, hi = (np.asarray(v) for v in client.getAABB(body, -1))
    pos, orn = client.getBasePositionAndOrientation(body)
    # Lower it onto the table (1 mm above to avoid initial penetration).
    new_pos = [pos[0], pos[1], pos[2] - lo[2] + 0.001]
    client.resetBasePositionAndOrientation(body, new_pos, orn)
    # Geometric centre in the base frame (from the world AABB at this heading).
    centre_world = 0.5 * (lo + hi) + np.array([0.0, 0.0, new_pos[2] - pos[2]])
    inv_pos, inv_orn = client.invertTransform(new_pos, orn)
    local, _ = client.multiplyTransforms(inv_pos, inv_orn, centre_world.tolist(), [0, 0, 0, 1])
    # Extents in the object frame: AABB at identity heading.
    client.resetBasePositionAndOrientation(body, [0.0, 0.0, 5.0], [0, 0, 0, 1])
    lo0, hi0 = (np.asarray(v) for v in client.getAABB(body, -1))
    client.resetBasePositionAndOrientation(body, new_pos, orn)
    size = tuple(float(v) for v in (hi0 - lo0))
    return BuiltObject(p, body, centre_offset=tuple(float(v) for v in local), size=size, graspable=True)


BUILDERS = {
    "block": build_block,
    "bowl": build_bowl,
    "bin": build_bin,
    "drawer": build_drawer,
    "object": build_urdf_object,
}


def build(client: Any, p: Placement) -> BuiltObject:
    """Build any placement with the builder of its category."""
    return BUILDERS[p.category](client, p)
