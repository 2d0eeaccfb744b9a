"""One RGB-D frame -> the objects on the table (no tracking, no ids).

Pipeline (numpy only):

1. Back-project every pixel with a depth return through the pinhole intrinsics and the
   camera extrinsics ``T_world_camera`` into a world-frame point cloud.
2. Fit the table plane with RANSAC among points whose normal would point up (the plane
   with the most inliers wins), refine it by least squares; every point gets its height
   above the table.
3. Points higher than ``min_height`` inside the table region go into a top-down height map
   (``cell`` metres per cell, the highest point per cell); 8-connected components of
   occupied cells are the clusters. Clusters that reach above ``max_height`` are the arm
   (it rises from its base), and are dropped, with anything merged into them.
4. Per cluster: footprint = minimum-area rectangle of its points' xy (every visible face of
   an upright object projects inside its footprint), trimmed of outliers; height = a high
   percentile of the heights; hollowness = how much of the rectangle's inner part lies
   low (bowls and bins are rings seen from above, blocks are solid). Category from size and
   shape, colour from the mean colour of the top surface, nearest in the simulator's colour
   table up to a brightness gain (shading), yaw from the rectangle (blocks, bowls, bins: modulo 90 deg; a round bowl: 0).
   The drawer is the tall box: its front is the side with parts (drawer, handle) sticking
   out below the cabinet's top, which also gives the opening and the handle's position.

Units: metres, radians; world frame as everywhere (z up, table at z ~ 0).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from robomatrix.errors import PerceptionError
from robomatrix.hardware.camera import CameraIntrinsics, check_extrinsics
from robomatrix.hardware.drawer import HANDLE_BAR, HANDLE_STANDOFF, drawer_box
from robomatrix.hardware.sim.scene import COLOURS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectorConfig:
    """Tuning of :func:`detect`; defaults fit the tabletop scenes and a camera about 1 m away."""

    region_min: tuple[float, float] = (0.2, -0.6)  # m, (x, y) corner of the table area searched for objects
    region_max: tuple[float, float] = (1.0, 0.6)  # m, opposite corner (keeps the robot base out)
    cell: float = 0.005  # m, height-map cell
    min_height: float = 0.012  # m above the table: lower points are table (bowl floors are 8 mm)
    max_height: float = 0.20  # m: higher points are the arm (removed), a cluster reaching near it is the arm too
    hand_radius: float = 0.11  # m, with the end effector known (the hand is ~0.2 m across): points this close to its vertical axis ...
    hand_margin: float = 0.013  # m ... and above (ee z - hand_margin) are the hand and fingers (removed): the
    # fingertips reach 11 mm below the end effector (panda_grasptarget), 2 mm more for depth noise
    held_drop: float = 0.06  # m: while an object is held, points this much lower still are the held object
    plane_threshold: float = 0.006  # m, RANSAC inlier distance
    plane_iterations: int = 60  # RANSAC hypotheses
    close_cells: int = 2  # height-map cells of gap bridged when clustering (objects stand >= 3 cm apart)
    min_cells: int = 6  # a cluster needs this many occupied cells (smaller: noise)
    block_flat_top: float = 0.75  # share of a block's footprint its flat top covers at least (meshes cover less)
    drawer_travel: float = 0.15  # m, how far the drawer slides when fully open (scene's travel)
    tall_height: float = 0.12  # m: clusters reaching higher are cabinet parts (blocks, bowls, bins are lower) ...
    tall_merge: float = 0.03  # m ... and merged when this close (an open drawer cut off its cabinet)
    lid_margin: float = 0.0055  # m below the cabinet's lid: lid points (the drawer's rim is 11 mm lower)
    rim_visible: float = 0.015  # m: an open drawer's rim this far beyond the cabinet's front gives the opening
    rim_offset: float = 0.005  # m, rim's 99th percentile beyond the front minus the travel (tuning seeds 0-59)
    container_min: float = 0.08  # m: clusters this long or longer may be containers with something inside
    container_wall: float = 0.015  # m inside a container's footprint that belongs to its wall and rim
    content_height: float = 0.02  # m: inside a container, cells higher than this are an object in it
    drawer_min: float = 0.10  # m: a cabinet's lid is wider than this both ways (0.22 x 0.30); narrower is the arm
    container_max_height: float = 0.09  # m: bowls and bins are lower (0.05, 0.06); a taller hollow cluster is not one
    content_cells: int = 16  # cells (4 cm^2) an object in a container covers at least
    stack_min_height: float = 0.065  # m: a block-sized column higher than this is blocks stacked
    block_max: float = 0.07  # m, longest side of a block's footprint
    seed: int = 0  # RANSAC sampling seed (deterministic output for a given frame)


@dataclass(frozen=True)
class RGBDFrame:
    """One aligned colour + depth frame with its calibration.

    ``rgb`` (H, W, 3) uint8; ``depth`` (H, W) float metres along the optical axis (NaN or 0:
    no return); ``intrinsics`` of the depth image (the colour image is aligned to it);
    ``extrinsics`` 4x4 ``T_world_camera`` (optical frame); ``stamp`` seconds.
    """

    rgb: np.ndarray
    depth: np.ndarray
    intrinsics: CameraIntrinsics | None
    extrinsics: np.ndarray
    stamp: float = 0.0


@dataclass(frozen=True)
class Detection:
    """One object seen in one frame."""

    category: str  # block | bowl | bin | drawer | object
    colour: str  # nearest colour word of the simulator's table
    position: np.ndarray  # (3,) m, world: centre of the object (drawer: its handle, as the simulator reports)
    yaw: float  # rad about world z (blocks, bowls, bins: in (-pi/4, pi/4], the rectangle's equivalent; round: 0)
    size: np.ndarray  # (3,) m, extents in the object's own frame
    rgb: np.ndarray  # (3,) mean colour of the top surface, 0..1
    opening: float | None = None  # drawer only: 0 closed ... 1 open
    points: int = 0  # number of points in the cluster


def check_frame(frame: RGBDFrame) -> None:
    """Raise PerceptionError when the frame cannot be used (the message says what to fix)."""
    if frame.intrinsics is None:
        raise PerceptionError(
            "no CameraInfo received for the depth image: perception needs the intrinsics to back-project "
            "depth; publish sensor_msgs/CameraInfo on camera/depth/camera_info"
        )
    k = frame.intrinsics
    rgb, depth = np.asarray(frame.rgb), np.asarray(frame.depth)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise PerceptionError(f"colour image has shape {rgb.shape}; expected (H, W, 3) rgb8")
    if depth.ndim != 2:
        raise PerceptionError(f"depth image has shape {depth.shape}; expected (H, W) 32FC1 metres")
    if rgb.shape[:2] != depth.shape:
        raise PerceptionError(
            f"colour image is {rgb.shape[1]}x{rgb.shape[0]} but depth image is {depth.shape[1]}x{depth.shape[0]} "
            "(width x height); publish depth aligned to colour (same size)"
        )
    if (k.width, k.height) != (depth.shape[1], depth.shape[0]):
        raise PerceptionError(
            f"CameraInfo says {k.width}x{k.height} but the depth image is {depth.shape[1]}x{depth.shape[0]} "
            "(width x height); the intrinsics belong to another resolution"
        )
    try:
        check_extrinsics(frame.extrinsics)
    except Exception as e:
        raise PerceptionError(str(e)) from e


_RAYS: dict[tuple, np.ndarray] = {}  # intrinsics and image size -> camera-frame ray per pixel (H*W, 3) float32


def _camera_rays(k: CameraIntrinsics, shape: tuple[int, int]) -> np.ndarray:
    """Per pixel, the camera-frame point at optical depth 1 (cached per intrinsics and image size)."""
    key = (k.width, k.height, k.fx, k.fy, k.cx, k.cy, shape)
    rays = _RAYS.get(key)
    if rays is None:
        v, u = np.mgrid[0: shape[0], 0: shape[1]]
        rays = np.stack([(u.ravel() - k.cx) / k.fx, (v.ravel() - k.cy) / k.fy, np.ones(u.size)],
                        axis=1).astype(np.float32)
        if len(_RAYS) > 8:
            _RAYS.clear()
        _RAYS[key] = rays
    return rays


def back_project(depth: np.ndarray, k: CameraIntrinsics, t_world_cam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World points (N, 3) of the pixels with a return, and their flat pixel indices (N,)."""
    d = np.asarray(depth, dtype=np.float32).ravel()
    idx = np.flatnonzero(d > 0)  # NaN compares false: no return
    cam = _camera_rays(k, np.shape(depth))[idx] * d[idx, None]
    t = np.asarray(t_world_cam, np.float32)
    # A contiguous copy of R^T: numpy's matmul with a transposed 3x3 view takes a slow path (~10 ms here).
    world = cam @ np.ascontiguousarray(t[:3, :3].T) + t[:3, 3]
    return world.astype(np.float64), idx


def fit_plane(points: np.ndarray, cfg: DetectorConfig, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """RANSAC plane ``n . p + d = 0`` with ``n`` pointing up (n_z > 0.8); returns (n, d)."""
    if len(points) < 3:
        raise PerceptionError("fewer than 3 depth points: no table plane can be fitted")
    sample = points if len(points) <= 3000 else points[rng.integers(0, len(points), 3000)]
    # All hypotheses at once: plane normals of cfg.plane_iterations random triples, scored together.
    tri = sample[rng.integers(0, len(sample), size=(cfg.plane_iterations, 3))]  # (I, 3 points, 3)
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norms = np.linalg.norm(normals, axis=1)
    ok = norms > 1e-9
    normals = normals[ok] / norms[ok, None]
    normals *= np.where(normals[:, 2] < 0, -1.0, 1.0)[:, None]
    keep = normals[:, 2] >= 0.8
    normals, anchors = normals[keep], tri[ok][keep, 0]
    best = None
    if len(normals):
        offsets = -np.einsum("ij,ij->i", normals, anchors)
        counts = np.count_nonzero(np.abs(sample @ np.ascontiguousarray(normals.T) + offsets) < cfg.plane_threshold,
                                  axis=0)
        i = int(np.argmax(counts))
        best = (normals[i], float(offsets[i]))
    if best is None:
        raise PerceptionError("no horizontal table plane found in the depth image; is the camera looking at the table?")
    n, d = best
    inl = points[np.abs(points @ n + d) < cfg.plane_threshold]
    if len(inl) >= 3:  # least-squares refinement: z = a x + b y + c
        a_mat = np.c_[inl[:, 0], inl[:, 1], np.ones(len(inl))]
        coef, *_ = np.linalg.lstsq(a_mat, inl[:, 2], rcond=None)
        n = np.array([-coef[0], -coef[1], 1.0])
        scale = float(np.linalg.norm(n))
        n, d = n / scale, -coef[2] / scale
    return n, float(d)


def label_components(occ: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a boolean grid: (labels with 0 = background, count).

    Union-find by hooking and pointer jumping over the occupied cells (a few iterations)."""
    h, w = occ.shape
    index = np.full((h + 2, w + 2), -1)
    cells = np.argwhere(occ)
    n = len(cells)
    index[cells[:, 0] + 1, cells[:, 1] + 1] = np.arange(n)
    edges_a, edges_b = [], []
    for di, dj in ((0, 1), (1, -1), (1, 0), (1, 1)):
        nb = index[cells[:, 0] + 1 + di, cells[:, 1] + 1 + dj]
        ok = nb >= 0
        edges_a.append(np.flatnonzero(ok))
        edges_b.append(nb[ok])
    ea, eb = np.concatenate(edges_a), np.concatenate(edges_b)
    parent = np.arange(n)
    while True:
        pa, pb = parent[ea], parent[eb]
        differ = pa != pb
        if not np.any(differ):
            break
        lo, hi = np.minimum(pa[differ], pb[differ]), np.maximum(pa[differ], pb[differ])
        np.minimum.at(parent, hi, lo)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    roots, comp = np.unique(parent, return_inverse=True)
    labels = np.zeros((h, w), dtype=int)
    labels[cells[:, 0], cells[:, 1]] = comp + 1
    return labels, len(roots)


def min_area_rect(xy: np.ndarray, search_points: int = 400) -> tuple[np.ndarray, float, np.ndarray]:
    """Minimum-area rectangle of 2D points, trimmed of the outer 1 %: (centre, angle, extents).

    Coarse search over [0, 90) deg in 3 deg steps, then 0.25 deg steps around the best, on at most
    ``search_points`` of the points (an even stride through them); the extents at the angle found
    are then measured on all of them."""
    def extents(pts: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c, s = np.cos(angles)[:, None], np.sin(angles)[:, None]
        px = pts[:, 0] * c + pts[:, 1] * s  # (A, N)
        py = -pts[:, 0] * s + pts[:, 1] * c
        qx = np.percentile(px, (1, 99), axis=1)  # (2, A)
        qy = np.percentile(py, (1, 99), axis=1)
        return (qx[1] - qx[0]) * (qy[1] - qy[0]), qx, qy

    few = xy if len(xy) <= search_points else xy[np.linspace(0, len(xy) - 1, search_points).astype(int)]
    coarse = np.arange(0.0, math.pi / 2, math.radians(3.0))
    area, _, _ = extents(few, coarse)
    a0 = coarse[int(np.argmin(area))]
    fine = a0 + np.arange(-math.radians(3.0), math.radians(3.0) + 1e-9, math.radians(0.25))
    area, _, _ = extents(few, fine)
    a = float(fine[int(np.argmin(area))])
    _, qx, qy = extents(xy, np.array([a]))
    lo_x, hi_x, lo_y, hi_y = qx[0, 0], qx[1, 0], qy[0, 0], qy[1, 0]
    c, s = math.cos(a), math.sin(a)
    mx, my = 0.5 * (lo_x + hi_x), 0.5 * (lo_y + hi_y)
    centre = np.array([mx * c - my * s, mx * s + my * c])
    return centre, a, np.array([hi_x - lo_x, hi_y - lo_y])


def nearest_colour(rgb: np.ndarray) -> str:
    """Colour word whose RGB, scaled by the best brightness gain (shading), is closest to ``rgb`` (0..1)."""
    obs = np.asarray(rgb, float)
    best, best_cost = "", math.inf
    for name, rgba in COLOURS.items():
        ref = np.asarray(rgba[:3])
        gain = float(obs @ ref / (ref @ ref))
        gain = min(max(gain, 0.05), 5.0)
        cost = float(np.linalg.norm(obs - gain * ref)) + 0.08 * abs(math.log(gain))
        if cost < best_cost:
            best, best_cost = name, cost
    return best


_COLOUR_NAMES = tuple(COLOURS)
_COLOUR_REFS = np.array([COLOURS[c][:3] for c in _COLOUR_NAMES], float)  # (K, 3)


def colour_indices(rgb: np.ndarray) -> np.ndarray:
    """:func:`nearest_colour` of many colours at once (N, 3) -> (N,) indices into ``COLOURS``' order."""
    obs = np.asarray(rgb, float).reshape(-1, 3)
    ref = _COLOUR_REFS
    gain = np.clip(obs @ ref.T / np.einsum("ij,ij->i", ref, ref), 0.05, 5.0)  # (N, K)
    cost = np.linalg.norm(obs[:, None, :] - gain[:, :, None] * ref[None], axis=2) + 0.08 * np.abs(np.log(gain))
    return np.argmin(cost, axis=1)


def _wrap(a: float, period: float) -> float:
    """Angle wrapped to (-period/2, period/2]."""
    return float(-((-a + period / 2) % period - period / 2))


def detect(frame: RGBDFrame, cfg: DetectorConfig | None = None, *,
           ee_position: np.ndarray | None = None, holding: bool = False) -> list[Detection]:
    """Objects on the table in ``frame``. Raises PerceptionError on an unusable frame (see
    :func:`check_frame`); a frame without depth returns [] and logs a warning.

    ``ee_position``: the end effector in the world when the frame was taken (the robot's
    observation); the hand and fingers around it are removed so they do not count as objects.
    ``holding``: the gripper holds an object (the tracker's held object follows the hand): what
    hangs below the fingers (``held_drop``) is removed too, so it does not merge with what it
    is carried over.
    """
    cfg = cfg or DetectorConfig()
    check_frame(frame)
    t = check_extrinsics(frame.extrinsics)
    world, idx = back_project(frame.depth, frame.intrinsics, t)
    if len(world) < 50:
        log.warning("depth image has %d valid pixels (all NaN or zero?): no objects detected", len(world))
        return []
    rng = np.random.default_rng(cfg.seed)
    n, d = fit_plane(world, cfg, rng)
    lo, hi = np.asarray(cfg.region_min), np.asarray(cfg.region_max)
    xy = world[:, :2]
    keep = np.flatnonzero((xy[:, 0] >= lo[0]) & (xy[:, 0] <= hi[0]) & (xy[:, 1] >= lo[1]) & (xy[:, 1] <= hi[1]))
    height = world[keep] @ n + d
    above = (height > cfg.min_height) & (height <= cfg.max_height)
    keep, height = keep[above], height[above]
    if ee_position is not None:
        ee = np.asarray(ee_position, float)
        p = world[keep]
        near = np.einsum("ij,ij->i", p[:, :2] - ee[:2], p[:, :2] - ee[:2]) < cfg.hand_radius**2
        hand = near & (p[:, 2] > ee[2] - cfg.hand_margin - (cfg.held_drop if holding else 0.0))
        keep, height = keep[~hand], height[~hand]
    if len(keep) == 0:
        return []
    pts, hts = world[keep], height
    cols = np.asarray(frame.rgb).reshape(-1, 3)[idx[keep]].astype(np.float64) / 255.0
    shape = np.ceil((hi - lo) / cfg.cell).astype(int)
    ij = np.clip(((pts[:, :2] - lo) / cfg.cell).astype(int), 0, shape - 1)
    hmap = np.zeros(shape)
    np.maximum.at(hmap, (ij[:, 0], ij[:, 1]), hts)
    occ = hmap > 0
    grown = occ.copy()  # close gaps of up to 2 cells (edge holes cut thin bowl rims apart)
    for _ in range(cfg.close_cells):
        p = np.pad(grown, 1)
        grown = p[1:-1, 1:-1] | p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:]
    labels, count = label_components(grown)
    labels = np.where(occ, labels, 0)
    labels, count = _merge_tall(labels, count, hmap, cfg)
    # Points and occupied cells grouped by label (one sort each, not one scan per label).
    point_label = labels[ij[:, 0], ij[:, 1]]
    p_order = np.argsort(point_label, kind="stable")
    p_bounds = np.searchsorted(point_label[p_order], np.arange(count + 2))
    cells_all = np.argwhere(occ)
    cell_label = labels[cells_all[:, 0], cells_all[:, 1]]
    c_order = np.argsort(cell_label, kind="stable")
    c_bounds = np.searchsorted(cell_label[c_order], np.arange(count + 2))
    out: list[Detection] = []
    for lab in range(1, count + 1):
        if c_bounds[lab + 1] - c_bounds[lab] < cfg.min_cells:
            continue
        sel = p_order[p_bounds[lab]: p_bounds[lab + 1]]
        if hts[sel].max() > cfg.max_height - 0.02:
            continue
        cells = cells_all[c_order[c_bounds[lab]: c_bounds[lab + 1]]]
        parts = _split_contents(sel, ij, pts, hts, cells, hmap, cfg, cols)
        if len(parts) > 1:  # the container, then what is in it: same-colour blocks side by side are one part
            parts = parts[:1] + [row for part in parts[1:] for row in _split_row(*part, pts, ij, cfg)]
        for part_sel, part_cells, rect in parts:
            stack = _describe_stack(pts[part_sel], hts[part_sel], cols[part_sel], n, d, cfg)
            if stack:
                out.extend(stack)
                continue
            det = _describe(pts[part_sel], hts[part_sel], cols[part_sel], part_cells, hmap, n, d, cfg, rect)
            if det is not None:
                out.append(det)
    out.sort(key=lambda o: (o.category, o.colour, float(o.position[0]), float(o.position[1])))
    return out


def _describe_stack(pts: np.ndarray, hts: np.ndarray, cols: np.ndarray, n: np.ndarray, d: float,
                    cfg: DetectorConfig) -> list[Detection]:
    """Blocks stacked on each other are one column-shaped cluster: split it by height.

    A column (footprint of one block, its top higher than ``stack_min_height``) holds
    round(top / side) cubes, the side measured on its flat top face; the top block is the top
    face's square, the ones below take the column's footprint (their tops are hidden) and the
    colour of their visible sides. Returns [] when the cluster is not such a column."""
    if len(hts) == 0 or hts.max() < cfg.stack_min_height:
        return []
    p98 = float(np.percentile(hts, 98))
    top_h = float(np.median(hts[hts > p98 - 0.006]))
    if top_h < cfg.stack_min_height or top_h > cfg.tall_height + 0.04:
        return []
    centre, angle, ext = min_area_rect(pts[:, :2])
    if float(ext.max()) > cfg.block_max or float(ext.max()) / max(float(ext.min()), 1e-6) > 1.5:
        return []
    face = hts > top_h - 0.006
    if np.count_nonzero(face) < 10:
        return []
    t_centre, t_angle, t_ext = min_area_rect(pts[face, :2])
    side = float(np.max(t_ext))  # a wall or rim hiding part of the top face shortens one side
    count = round(top_h / max(side, 1e-3))
    if side < 0.02 or count < 2:
        return []
    below = (top_h - side) / (count - 1)  # the lower blocks share what is left
    bounds = [top_h, top_h - side] + [top_h - side - below * k for k in range(1, count)]
    out = []
    for k in range(count):
        hi_z, lo_z = bounds[k], max(bounds[k + 1], 0.0)
        band = (hts > lo_z + 0.004) & (hts < hi_z - 0.004) if k else hts > lo_z + 0.004
        if np.count_nonzero(band) < 5:
            return []
        rgb = cols[band].mean(axis=0)
        c_xy, a, e = (t_centre, t_angle, t_ext) if k == 0 else (centre, angle, ext)
        yaw = _wrap(a, math.pi / 2)
        size = np.array([e[0], e[1], hi_z - lo_z])
        if abs(_wrap(a - yaw, math.pi)) > 1e-6:
            size = size[[1, 0, 2]]
        z = _plane_z(n, d, float(c_xy[0]), float(c_xy[1])) + 0.5 * (hi_z + lo_z)
        out.append(Detection("block", nearest_colour(rgb), np.array([c_xy[0], c_xy[1], z]), yaw, size, rgb, None,
                             int(np.count_nonzero(band))))
    return out


def _split_contents(sel: np.ndarray, ij: np.ndarray, pts: np.ndarray, hts: np.ndarray, cells: np.ndarray,
                    hmap: np.ndarray, cfg: DetectorConfig,
                    cols: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray, Any]]:
    """A container (bowl, bin) with something in it is one cluster: split it by its height profile.

    Inside the container's footprint, away from its wall, the floor is below ``min_height`` (empty
    cells); occupied cells there higher than ``content_height`` are an object resting in it (a
    block in a bowl of any colour, its own colour included). Objects in it that touch (blocks
    dropped into a bin pile up side by side) are told apart by colour: each colour that covers
    ``content_cells`` of such a region (the colour of a cell is that of its highest point) is a
    part of its own. Returns [(point indices, cells)]: the
    container first, then each object in it; the cluster as it is when there is nothing inside.
    The third element is the part's min_area_rect when it was measured here (else None)."""
    span = (cells.max(axis=0) - cells.min(axis=0) + 1) * cfg.cell  # bounding box: >= the footprint's sides
    if len(cells) < 4 * cfg.min_cells or float(np.hypot(*span)) < cfg.container_min or hts[sel].max() > cfg.tall_height:
        return [(sel, cells, None)]
    rect = min_area_rect(pts[sel, :2])
    centre, angle, ext = rect
    if float(ext.max()) < cfg.container_min:
        return [(sel, cells, rect)]
    lo = np.asarray(cfg.region_min)
    rel = lo + (cells + 0.5) * cfg.cell - centre
    c, s = math.cos(angle), math.sin(angle)
    u, v = rel[:, 0] * c + rel[:, 1] * s, -rel[:, 0] * s + rel[:, 1] * c
    inside = ((np.abs(u) < 0.5 * ext[0] - cfg.container_wall) & (np.abs(v) < 0.5 * ext[1] - cfg.container_wall)
              & (hmap[cells[:, 0], cells[:, 1]] > cfg.content_height))
    if np.count_nonzero(inside) < cfg.content_cells:
        return [(sel, cells, rect)]
    grid = np.zeros(hmap.shape, bool)
    grid[cells[inside, 0], cells[inside, 1]] = True
    labels, count = label_components(grid)
    parts = []
    taken = np.zeros(hmap.shape, bool)
    cell_colour = None
    if cols is not None:  # colour index of each cell's highest point (-1: no point)
        order = sel[np.argsort(hts[sel], kind="stable")]
        cell_colour = np.full(hmap.shape, -1)
        cell_colour[ij[order, 0], ij[order, 1]] = colour_indices(cols[order])  # the last (highest) write wins
    for lab in range(1, count + 1):
        blob = labels == lab
        if np.count_nonzero(blob) < cfg.content_cells:
            continue
        pieces = [blob]
        if cell_colour is not None:
            colours, counts = np.unique(cell_colour[blob], return_counts=True)
            big = colours[(counts >= cfg.content_cells) & (colours >= 0)]
            if len(big) >= 2:
                pieces = []
                for k in big:
                    sub, n_sub = label_components(blob & (cell_colour == k))
                    pieces += [sub == m for m in range(1, n_sub + 1) if np.count_nonzero(sub == m) >= cfg.content_cells]
        for piece in pieces:
            parts.append(piece)
            taken |= piece
    if not parts:
        return [(sel, cells, rect)]
    point_taken = taken[ij[sel, 0], ij[sel, 1]]
    cell_taken = taken[cells[:, 0], cells[:, 1]]
    # The container is no higher than its wall: what rises above the wall's top at its edge
    # belongs to what is inside (a block leaning on the wall), not to its height or top colour.
    rim = float(np.percentile(hmap[cells[~inside, 0], cells[~inside, 1]], 90)) if np.any(~inside) else np.inf
    point_taken |= hts[sel] > rim + 0.006
    out: list[tuple[np.ndarray, np.ndarray, Any]] = [(sel[~point_taken], cells[~cell_taken], None)]
    for blob in parts:
        out.append((sel[blob[ij[sel, 0], ij[sel, 1]]], np.argwhere(blob), None))
    return out


def _split_row(sel: np.ndarray, cells: np.ndarray, rect: Any, pts: np.ndarray, ij: np.ndarray,
               cfg: DetectorConfig) -> list[tuple[np.ndarray, np.ndarray, Any]]:
    """Blocks of one colour side by side in a container ("put all the green blocks in the green bowl")
    are one part of one colour, a footprint one block wide and n blocks long: cut it into n equal
    parts along its long side. A part no longer than ``block_max`` is returned as it is."""
    if len(sel) < 8:
        return [(sel, cells, rect)]
    centre, angle, ext = min_area_rect(pts[sel, :2])
    along = 0 if ext[0] >= ext[1] else 1
    long, short = float(ext[along]), float(ext[1 - along])
    n = int(round(long / short)) if short > 0.02 else 1
    if long <= cfg.block_max or short > cfg.block_max or n < 2:
        return [(sel, cells, rect)]
    a = angle + (0.0 if along == 0 else math.pi / 2)
    axis = np.array([math.cos(a), math.sin(a)])
    lo = np.asarray(cfg.region_min)

    def slot(xy: np.ndarray) -> np.ndarray:
        t = (xy - centre) @ axis + 0.5 * long
        return np.clip((t / long * n).astype(int), 0, n - 1)

    p_slot = slot(pts[sel, :2])
    c_slot = slot(lo + (cells + 0.5) * cfg.cell)
    out = []
    for k in range(n):
        ps, cs = sel[p_slot == k], cells[c_slot == k]
        if len(ps) and len(cs):
            out.append((ps, cs, None))
    return out


def _merge_tall(labels: np.ndarray, count: int, hmap: np.ndarray, cfg: DetectorConfig) -> tuple[np.ndarray, int]:
    """Clusters reaching above ``tall_height`` within ``tall_merge`` of each other are one object: an
    open drawer's box is cut off its cabinet where the cabinet hides the gap between them."""
    tall = np.unique(labels[hmap > cfg.tall_height])  # hmap: the highest point per cell
    tall = tall[tall > 0]
    if len(tall) < 2:
        return labels, count
    mask = np.isin(labels, tall)
    grown = mask.copy()
    for _ in range(max(1, round(cfg.tall_merge / cfg.cell))):
        p = np.pad(grown, 1)
        grown = p[1:-1, 1:-1] | p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:]
    groups, _ = label_components(grown)
    remap = np.arange(count + 1)
    for lab in tall:
        cells = np.argwhere(labels == lab)
        remap[lab] = count + int(groups[cells[0, 0], cells[0, 1]])
    merged = remap[labels]
    used = np.unique(merged[merged > 0])
    dense = np.zeros(int(merged.max()) + 1, dtype=int)
    dense[used] = np.arange(1, len(used) + 1)
    return dense[merged], len(used)


def _round(u: np.ndarray, v: np.ndarray, ext: np.ndarray) -> bool:
    """The occupied cells (``u``, ``v``: in the footprint rectangle's frame, m) leave its corners empty: the
    shape is round (a circle inscribed in the rectangle stays within 0.5 of its half sides' diagonal; the
    corner boxes beyond 0.8 of both half sides lie outside it). Square-ish footprints only."""
    if len(u) == 0 or abs(float(ext[0]) - float(ext[1])) > 0.15 * float(max(ext)):
        return False
    corner = (np.abs(u) > 0.4 * float(ext[0])) & (np.abs(v) > 0.4 * float(ext[1]))
    return bool(np.count_nonzero(corner) < 0.02 * len(u))


def _plane_z(n: np.ndarray, d: float, x: float, y: float) -> float:
    return float(-(d + n[0] * x + n[1] * y) / n[2])


def _describe(pts: np.ndarray, hts: np.ndarray, cols: np.ndarray, cells: np.ndarray, hmap: np.ndarray,
              n: np.ndarray, d: float, cfg: DetectorConfig, rect: Any = None) -> Detection | None:
    p98 = float(np.percentile(hts, 98))
    top_h = float(np.median(hts[hts > p98 - 0.006]))  # the top surface, without the noise's upper tail
    centre, angle, ext = rect if rect is not None else min_area_rect(pts[:, :2])
    top = hts > top_h - 0.012
    colour_rgb = cols[top].mean(axis=0)
    colour = nearest_colour(colour_rgb)
    # Hollowness: inner half of the footprint, share of height-map cells that are low or empty.
    lo = np.asarray(cfg.region_min)
    cxy = lo + (cells + 0.5) * cfg.cell
    c, s = math.cos(angle), math.sin(angle)
    rel = cxy - centre
    u = rel[:, 0] * c + rel[:, 1] * s
    v = -rel[:, 0] * s + rel[:, 1] * c
    inner = (np.abs(u) < 0.25 * ext[0]) & (np.abs(v) < 0.25 * ext[1])
    inner_area = 0.25 * ext[0] * ext[1] / cfg.cell**2
    high_inner = np.count_nonzero(hmap[cells[inner, 0], cells[inner, 1]] > 0.6 * top_h)
    hollow = 1.0 - min(1.0, high_inner / max(inner_area, 1.0))
    long_side, short_side = float(ext.max()), float(ext.min())
    # A block's top is a flat face covering its whole footprint; a random mesh's is not.
    flat_top = np.count_nonzero(hmap[cells[:, 0], cells[:, 1]] > top_h - 0.006) * cfg.cell**2 / max(
        float(ext[0] * ext[1]), 1e-6)
    if top_h > 0.10 and long_side > 0.15:
        drawer = _describe_drawer(pts, hts, colour, colour_rgb, n, d, cfg)
        if float(np.min(drawer.size[:2])) >= cfg.drawer_min:
            return drawer
        # else a tall narrow top: the arm's links reaching down past the hand mask, not a cabinet
    low = top_h <= cfg.container_max_height  # taller hollow shapes are the arm seen over something, not a container
    if hollow > 0.5 and long_side >= 0.165 and low:
        category = "bin"
    elif hollow > 0.5 and long_side >= 0.08 and low:
        category = "bowl"
    elif (long_side <= 0.07 and short_side >= 0.02 and 0.02 <= top_h <= 0.07 and long_side / short_side < 1.5
          and flat_top >= cfg.block_flat_top):
        category = "block"
    else:
        category = "object"
    if category in ("block", "bowl", "bin"):
        # A rectangle is the same at yaw + 90 deg with its sides swapped: the yaw in (-45, 45] deg, as the
        # simulator's axis-aligned boxes are. A round bowl's rectangle has no angle of its own (the minimum-
        # area rectangle of a ring turns with the noise): its corners are empty, and its yaw is 0.
        yaw = 0.0 if category == "bowl" and _round(u, v, ext) else _wrap(angle, math.pi / 2)
        size = np.array([ext[0], ext[1], top_h]) if abs(_wrap(angle - yaw, math.pi)) < 1e-6 or (
            category == "bowl" and yaw == 0.0) else np.array([ext[1], ext[0], top_h])
    else:
        yaw = _wrap(angle, math.pi)
        size = np.array([ext[0], ext[1], top_h])
    z = _plane_z(n, d, float(centre[0]), float(centre[1])) + 0.5 * top_h
    log.debug("cluster %s %s: flat_top %.2f hollow %.2f ext %s h %.3f", category, colour, flat_top, hollow, ext, top_h)
    return Detection(category, colour, np.array([centre[0], centre[1], z]), yaw, size, colour_rgb, None, len(pts))


def _describe_drawer(pts: np.ndarray, hts: np.ndarray, colour: str, colour_rgb: np.ndarray, n: np.ndarray,
                     d: float, cfg: DetectorConfig) -> Detection:
    """The cabinet is its lid (the highest surface); its front (-x of the cabinet frame) is the side
    where the drawer and handle stick out below the lid; how far the drawer's rim (or, nearly
    closed, the handle) sticks out gives the opening."""
    p98 = float(np.percentile(hts, 98))
    top_h = float(np.median(hts[hts > p98 - 0.006]))  # the cabinet's lid
    cab = hts > top_h - cfg.lid_margin  # the lid only: the open drawer's rim is a wall and a gap lower
    centre, angle, ext = min_area_rect(pts[cab, :2])
    rest = pts[~cab, :2] - centre
    best = None
    for k in range(4):  # candidate front directions: the cabinet's -x axis points along `front`
        a = angle + k * math.pi / 2
        front = np.array([-math.cos(a), -math.sin(a)])
        half = 0.5 * (ext[0] if k % 2 == 0 else ext[1])
        beyond = rest @ front - half
        score = int(np.count_nonzero(beyond > 0.01))
        if best is None or score > best[0]:
            best = (score, a, half, beyond)
    _, yaw, half, beyond = best
    k = round((yaw - angle) / (math.pi / 2)) % 2
    size = np.array([ext[0], ext[1], top_h]) if k == 0 else np.array([ext[1], ext[0], top_h])
    out = float(np.percentile(beyond[beyond > 0.01], 99)) if np.any(beyond > 0.01) else 0.0
    rest_h = hts[~cab]
    rim = (rest_h > top_h - 0.02) & (beyond > 0.005)  # the open drawer's rim, in front of the cabinet
    out_rim = float(np.percentile(beyond[rim], 99)) if np.count_nonzero(rim) >= 5 else 0.0
    log.debug("drawer: out %.4f out_rim %.4f", out, out_rim)
    if out_rim > cfg.rim_visible:  # the drawer box's front rim: seen at any opening but the smallest
        travel = max(0.0, out_rim - cfg.rim_offset)
    else:  # nearly closed: the handle, when it is seen, is the part furthest out
        travel = max(0.0, out - HANDLE_STANDOFF - 0.5 * HANDLE_BAR)
    opening = float(np.clip(travel / cfg.drawer_travel, 0.0, 1.0))
    handle = drawer_box(size).handle + np.array([-travel, 0.0, 0.0])
    c, s = math.cos(yaw), math.sin(yaw)
    xy = centre + np.array([c * handle[0] - s * handle[1], s * handle[0] + c * handle[1]])
    z = _plane_z(n, d, float(centre[0]), float(centre[1])) + 0.5 * top_h + handle[2]
    return Detection("drawer", colour, np.array([xy[0], xy[1], z]), _wrap(yaw, 2 * math.pi), size, colour_rgb,
                     opening, len(pts))
