"""Detections over time -> the world's objects with stable ids.

Association: each frame's detections are matched to the tracked objects of the same
category and colour, nearest first, within ``match_distance``; an unmatched detection
starts a new track named like the simulator's ids (``block_red_0``: the lowest free index
for that category and colour). A track that is not seen (hidden by the arm, say) is still
reported at its last pose for ``occlusion_hold`` seconds, then dropped.

Held objects: when the gripper closes with a block or small object within ``grasp_radius``
of the end effector and between the fingers (its centre within ``grasp_xy`` of the gripper's
vertical axis; a block lying in a drawer behind the handle the gripper closes on is not), that
track is held: it follows the end effector (keeping its offset from the moment of the grasp),
is never dropped and is not re-matched until the gripper opens again. Let go, it falls onto
the highest perceived support under its centre (a block's top, a drawer's or a container's
floor, the table), not hanging at its release height, until the camera sees it again. What
shows of the held object below the hand mask is not a second object.

Containers partly hidden: a bowl or bin does not change its size, but with the arm between it
and the camera, or the hand mask cutting its rim, only a part of it is seen, centred elsewhere.
A container detection whose footprint differs from the one it had when first seen (a side
shorter or longer by 1.5 cm: partly hidden, or merged with a neighbour) keeps the track's
pose (it is seen, not gone); with the hand near it, it is kept even unseen; and a bowl or bin
detection centred on a tracked container, or an "object" of its colour there, is a piece of
it, not another one. A block let go and not seen since is re-attached to the next detection
of its category and colour that matches no track (it may have bounced). A block
partly hidden (a bin's wall, a bowl's rim) and seen as an "object" of its colour where the
block is tracked is that block (two blocks of one colour touching are one such "object": both
are kept); two free tracks of one category and colour within 2 cm are
one object seen twice, and merged.

Furniture under the hand: a drawer's cabinet does not move; only its drawer slides, and only
while the gripper is closed on the handle. While the end effector is near a tracked drawer
(within ``hand_near`` of its footprint horizontally, lower than ``hand_near`` above its lid),
the hand hides part of the cabinet and the detector's hand mask cuts the lid, so the cabinet
measured then is smaller (the handle estimate shifts by ~1 cm, enough to miss the bar) or
falls apart into a second "drawer". The track then keeps its last pose measured with the hand
away: with the gripper open entirely (the drawer cannot move), with it closed the opening is
still read from the frame and the handle placed from it on the kept cabinet. Drawers are
associated by the cabinet's centre (the handle moves with the opening), and a drawer
detection whose cabinet centre lies on a tracked cabinet is a piece of it, not a new drawer;
nor is a small cluster at a tracked drawer's handle (within ``HANDLE_STANDOFF``, closer than
anything inside the drawer can be) another object: it is the handle, cut off its cabinet.
An object that goes unseen while it lies inside a drawer's box (put in, then the drawer
closed) is kept, and slides with the drawer; so is one unseen inside a bowl's or bin's
footprint below its rim (hidden by the wall or the blocks put in after it); not in a bowl,
where a block is as high as the rim and seen.

Staleness: :meth:`Tracker.objects` returns nothing once the newest camera frame is older
than ``stale_after`` seconds (the camera stopped): the world is then unknown, not empty,
and :attr:`Tracker.stale_reason` says why.

Times are seconds of one clock (the frames' stamps and the ``now`` of the callers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from robomatrix.errors import ConfigError
from robomatrix.hardware.drawer import HANDLE_STANDOFF, inside_from_handle
from robomatrix.hardware.interface import ObjectInfo
from robomatrix.hardware.sim.scene import COLOURS
from robomatrix.perception.detector import Detection, DetectorConfig

GRASPABLE = ("block", "object")
CONTAINERS = ("bowl", "bin")
RIM = 0.015  # m: a piece of a container's colour this far outside its tracked footprint is its rim (a view
# with a part hidden gives a footprint a little short of the whole)
CONTAINER_FLOOR = 0.008  # m, a bowl's or bin's floor above its bottom (the detector's min_height is above it)


@dataclass(frozen=True)
class TrackerConfig:
    """Timing and gating of the tracker (section ``perception`` of config/robot.yaml)."""

    stale_after: float = 0.5  # s without a camera frame before the objects are withdrawn
    occlusion_hold: float = 3.0  # s an unseen object is still reported at its last pose
    static_hold: float = 30.0  # s for a bowl, bin or drawer: they do not move by themselves, and the arm over
    # them (a slow place, a long hover) hides most of one for many seconds
    container_min_side: float = 0.08  # m: a new bowl or bin narrower than this is a piece of one the arm hides
    partial_view: float = 0.006  # m: a block seen this much narrower than whole is partly hidden: its pose is kept
    match_distance: float = 0.06  # m, largest move between frames that keeps an id
    grasp_radius: float = 0.05  # m, an object this close to the end effector when the gripper closes is held ...
    grasp_xy: float = 0.03  # m ... and between the fingers: its centre this close to the gripper's axis horizontally
    min_hold_width: float = 0.003  # m, closed fingers nearer than this hold nothing (they met: closing on air ends at ~0)
    settle_width: float = 0.0005  # m, the gap changing less than this between two observations: the fingers stopped
    loose_scale: float = 2.0  # fingers stopped on something no track was between: the nearest graspable within
    # grasp_radius and grasp_xy times this is what they hold
    hand_near: float = 0.12  # m, the hand this close to a drawer's footprint (and its lid) keeps the cabinet's pose
    drawer_travel: float = DetectorConfig.drawer_travel  # m, a drawer's full slide (opening 1)
    hand_radius: float = DetectorConfig.hand_radius  # m: the detector's hand mask (what it cuts away around the
    hand_margin: float = DetectorConfig.hand_margin  # hand's axis above its fingertips), so a block in it is hidden

    def __post_init__(self) -> None:
        for key in ("stale_after", "occlusion_hold", "static_hold", "container_min_side", "partial_view",
                    "match_distance", "grasp_radius", "grasp_xy", "hand_near",
                    "drawer_travel", "min_hold_width", "settle_width", "loose_scale", "hand_radius", "hand_margin"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise ConfigError(f"perception.{key} must be a positive number, got {v!r}")


@dataclass
class Track:
    id: str
    det: Detection
    last_seen: float
    held_offset: np.ndarray | None = None  # world offset object - end effector while held
    position: np.ndarray = field(default_factory=lambda: np.zeros(3))
    in_drawer: tuple[str, np.ndarray] | None = None  # (drawer id, offset from its handle) while unseen inside it
    released: bool = False  # let go and not seen since: its pose is the tracker's guess, not a measurement
    born: float = 0.0  # stamp of the frame that started the track
    extent: np.ndarray | None = None  # sorted footprint sides (m) of a whole view: bowl, bin: the first; block: the largest
    hits: int = 1  # frames that matched it (a block also read as an "object" keeps the reading seen more often)


def _cabinet_centre(det: Detection, drawer_travel: float) -> np.ndarray:
    """(x, y) of a drawer detection's cabinet centre (its position is the handle, which slides out)."""
    back = 0.5 * float(det.size[0]) + HANDLE_STANDOFF + float(det.opening or 0.0) * drawer_travel
    return np.asarray(det.position[:2], float) + back * np.array([math.cos(det.yaw), math.sin(det.yaw)])


def _on_cabinet(xy: np.ndarray, det: Detection, drawer_travel: float, margin: float) -> float:
    """Horizontal distance (m, 0 inside) from ``xy`` to the drawer's footprint grown by ``margin``
    on every side, the footprint running from the fully open handle to the cabinet's back."""
    c, s = math.cos(det.yaw), math.sin(det.yaw)
    rel = np.asarray(xy, float)[:2] - _cabinet_centre(det, drawer_travel)
    u, v = rel[0] * c + rel[1] * s, -rel[0] * s + rel[1] * c
    half_x, half_y = 0.5 * float(det.size[0]), 0.5 * float(det.size[1])
    front = half_x + HANDLE_STANDOFF + drawer_travel + margin
    du = max(-front - u, u - half_x - margin, 0.0)
    dv = max(abs(v) - half_y - margin, 0.0)
    return float(math.hypot(du, dv))


def _inside_cabinet(xy: np.ndarray, det: Detection, drawer_travel: float) -> bool:
    """``xy`` lies on the drawer's cabinet (its body, without the drawer sliding out of it)."""
    c, s = math.cos(det.yaw), math.sin(det.yaw)
    rel = np.asarray(xy, float)[:2] - _cabinet_centre(det, drawer_travel)
    u, v = rel[0] * c + rel[1] * s, -rel[0] * s + rel[1] * c
    return abs(u) <= 0.5 * float(det.size[0]) and abs(v) <= 0.5 * float(det.size[1])


def _whole(t: Track, seen: Detection, tolerance: float = 0.015) -> bool:
    """``seen`` shows all of bowl or bin track ``t``: its footprint's sides within ``tolerance`` of
    those it had when first seen (a container does not change size). Shorter, a part is hidden
    (the arm between it and the camera; compared with the first view, not the last, so that a
    view shrinking a little each frame cannot drag the track along); longer, it is merged with
    something beside it. Either way its centre is not the container's."""
    sides = np.sort(np.asarray(seen.size[:2], float))
    if t.extent is None:
        t.extent = np.sort(np.asarray(t.det.size[:2], float))
    return bool(np.all(np.abs(sides - t.extent) <= tolerance))


def _container_distance(xy: np.ndarray, centre: np.ndarray, det: Detection) -> float:
    """Horizontal distance (m, 0 inside) from ``xy`` to a bowl's or bin's footprint (its rectangle)."""
    c, s = math.cos(det.yaw), math.sin(det.yaw)
    rel = np.asarray(xy, float)[:2] - np.asarray(centre, float)[:2]
    u, v = rel[0] * c + rel[1] * s, -rel[0] * s + rel[1] * c
    du = max(abs(u) - 0.5 * float(det.size[0]), 0.0)
    dv = max(abs(v) - 0.5 * float(det.size[1]), 0.0)
    return float(math.hypot(du, dv))


def _yaw_quat(yaw: float) -> np.ndarray:
    return np.array([0.0, 0.0, math.sin(0.5 * yaw), math.cos(0.5 * yaw)])


class Tracker:
    """See the module docstring."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self.tracks: dict[str, Track] = {}
        self.last_frame: float | None = None
        self._gripper_closed = False
        self.gripped_handle = ""  # the drawer whose handle the closed gripper holds ("" when none)
        self._pending = ""  # the track a closing gripper will hold once its fingers stop on it
        self._loose_tried = False  # this closing has looked for what its stopped fingers hold
        self._last_width: float | None = None

    @property
    def held_id(self) -> str:
        """Id of the object in the gripper, "" if none."""
        return next((t.id for t in self.tracks.values() if t.held_offset is not None), "")

    def hand_over(self, t: Track, ee_position: np.ndarray | None) -> bool:
        """The end effector is near drawer or container track ``t`` (see the module docstring)."""
        if ee_position is None or t.det.category not in ("drawer", *CONTAINERS):
            return False
        ee = np.asarray(ee_position, float)
        if t.det.category in CONTAINERS:
            top = float(t.position[2]) + 0.5 * float(t.det.size[2])
            return (float(ee[2]) <= top + self.config.hand_near
                    and _container_distance(ee[:2], t.position, t.det) <= self.config.hand_near)
        if float(ee[2]) > float(t.det.size[2]) + self.config.hand_near:  # lid height above the table (z ~ 0)
            return False
        return _on_cabinet(ee[:2], t.det, self.config.drawer_travel, 0.0) <= self.config.hand_near

    def update(self, detections: list[Detection], stamp: float, ee_position: np.ndarray | None = None) -> None:
        """Fold in one frame's detections, taken at ``stamp``; ``ee_position``: the end effector then
        (None: unknown, no drawer is considered under the hand)."""
        cfg = self.config
        self.last_frame = stamp if self.last_frame is None else max(self.last_frame, stamp)
        free = {tid: t for tid, t in self.tracks.items() if t.held_offset is None}
        covered = {tid for tid, t in free.items() if self.hand_over(t, ee_position)}
        handles = [t.position[:2] for t in self.tracks.values() if t.det.category == "drawer"] + [
            d.position[:2] for d in detections if d.category == "drawer"]
        # The handle bar is a part of its drawer: cut off the cabinet (the hand mask takes the lid
        # around it), it is a small dark cluster that a closing gripper would seem to hold.
        detections = [d for d in detections if d.category == "drawer" or not any(
            float(np.linalg.norm(d.position[:2] - h)) < HANDLE_STANDOFF for h in handles)]
        # A bowl or bin under the hand is cut by the hand mask (a part of its rim, moved or shrunk):
        # it keeps the pose seen with the hand away, and a container detection centred on a tracked
        # container is a piece of it, not another one.
        containers = [t for t in self.tracks.values() if t.det.category in CONTAINERS]
        detections = [d for d in detections if d.category not in CONTAINERS or not any(
            (c.det.category, c.det.colour) != (d.category, d.colour)
            and _container_distance(d.position[:2], c.position, c.det) <= 0.0 for c in containers)]
        pairs = []
        for i, det in enumerate(detections):
            for tid, t in free.items():
                if (t.det.category, t.det.colour) == (det.category, det.colour):
                    if det.category == "drawer":
                        dist = float(np.linalg.norm(_cabinet_centre(t.det, cfg.drawer_travel)
                                                    - _cabinet_centre(det, cfg.drawer_travel)))
                    else:
                        dist = float(np.linalg.norm(t.position[:2] - det.position[:2]))
                    if dist <= cfg.match_distance:
                        pairs.append((dist, i, tid))
        pairs.sort()
        used_det: set[int] = set()
        used_track: set[str] = set()
        for _, i, tid in pairs:
            if i in used_det or tid in used_track:
                continue
            used_det.add(i)
            used_track.add(tid)
            t = self.tracks[tid]
            if t.det.category in CONTAINERS:
                if not _whole(t, detections[i]):  # part hidden (the arm before it), or merged with a neighbour
                    t.last_seen = stamp
                    continue
                det = detections[i]
            elif t.det.category == "block" and detections[i].category == "block" and self._partial(t, detections[i]):
                t.last_seen = stamp  # a part hidden (the hand, the arm): its centre is not the block's
                continue
            else:
                det = detections[i] if tid not in covered else self._kept_drawer(t.det, detections[i])
            t.det, t.last_seen, t.position = det, stamp, np.asarray(det.position, float)
            t.hits += 1
            t.released = False
        for tid in covered:  # furniture under the hand is not gone, however little of it is seen
            self.tracks[tid].last_seen = stamp
        if ee_position is not None:
            # A block the hand is down at is cut away with the hand (the detector removes what is within
            # hand_radius of the hand's axis and above its fingertips): hidden, not gone, however long a
            # slow grasp takes. Without this a grasp taking longer than occlusion_hold lost the block.
            ee = np.asarray(ee_position, float)
            for tid, t in free.items():
                if tid in used_track or t.det.category not in GRASPABLE:
                    continue
                top = float(t.position[2]) + 0.5 * float(t.det.size[2])
                if (float(np.linalg.norm(t.position[:2] - ee[:2])) <= cfg.hand_radius
                        and top > float(ee[2]) - cfg.hand_margin):
                    t.last_seen = stamp
        drawers = [t.det for t in self.tracks.values() if t.det.category == "drawer"]
        held = [t for t in self.tracks.values() if t.held_offset is not None]
        started: set[str] = set()
        for i, det in enumerate(detections):
            if i in used_det:
                continue
            if det.category in GRASPABLE and any(
                    h.det.colour == det.colour and float(np.linalg.norm(h.position[:2] - det.position[:2]))
                    <= cfg.match_distance for h in held):
                continue  # what shows of the object in the hand below the hand mask, not a second one
            if det.category in GRASPABLE:
                # An object let go and not seen since is where the camera now sees one of its kind
                # and colour (it may have rolled or bounced off where it was let go): re-attached.
                lost = [t for tid, t in self.tracks.items() if tid not in used_track and t.released
                        and (t.det.category, t.det.colour) == (det.category, det.colour)]
                if lost:
                    t = min(lost, key=lambda t: float(np.linalg.norm(t.position[:2] - det.position[:2])))
                    t.det, t.last_seen, t.position, t.released = det, stamp, np.asarray(det.position, float), False
                    used_track.add(t.id)
                    continue
            if det.category == "object":
                # A block partly hidden (by a bin's wall, a bowl's rim, the hand) is seen as an
                # irregular "object" of its colour where the block is: it is still that block.
                # Blocks of one colour touching (two put in one bowl) are one such "object" covering
                # both: each block of its colour inside its footprint is still there.
                same = [t for tid, t in self.tracks.items() if tid not in used_track and t.held_offset is None
                        and t.det.category == "block" and t.det.colour == det.colour
                        and (float(np.linalg.norm(t.position[:2] - det.position[:2])) <= 0.5 * cfg.match_distance
                             or _container_distance(t.position[:2], det.position, det) <= 0.01)]
                if same:
                    for t in same:
                        t.last_seen = stamp
                        used_track.add(t.id)
                    continue
            if det.category == "drawer" and any(
                    _inside_cabinet(_cabinet_centre(det, cfg.drawer_travel), d, cfg.drawer_travel) for d in drawers):
                continue  # a piece of a tracked cabinet (cut by the hand), not another drawer
            if det.category in CONTAINERS and any(
                    _container_distance(det.position[:2], c.position, c.det) <= 0.0 for c in containers):
                continue  # a piece of a tracked bowl or bin (cut by the hand), not another one
            if det.category in CONTAINERS and float(np.min(det.size[:2])) < cfg.container_min_side:
                continue  # a strip of a bowl's or bin's rim (the rest hidden by the arm), not a container
            if det.category == "object" and any(
                    c.det.colour == det.colour and _container_distance(det.position[:2], c.position, c.det) <= RIM
                    for c in containers):
                continue  # a piece of a bowl's or bin's rim (the rest hidden), not an object in it or by it
            tid = self._new_id(det)
            self.tracks[tid] = Track(tid, det, stamp, position=np.asarray(det.position, float), born=stamp)
            started.add(tid)
        for tid in used_track:
            self.tracks[tid].in_drawer = None
        self._merge_duplicates(used_track | started)
        self._follow_drawers(used_track, stamp)
        for tid in [tid for tid, t in self.tracks.items()
                    if t.held_offset is None and stamp - t.last_seen > (
                        cfg.static_hold if t.det.category in (*CONTAINERS, "drawer") else cfg.occlusion_hold)]:
            del self.tracks[tid]

    def _partial(self, t: Track, seen: Detection) -> bool:
        """``seen`` shows block track ``t`` with a part hidden: a footprint side ``partial_view`` shorter than
        the block's whole one (the largest seen). A whole view makes the whole size larger if it is."""
        sides = np.sort(np.asarray(seen.size[:2], float))
        if t.extent is None:
            t.extent = np.sort(np.asarray(t.det.size[:2], float))
        if bool(np.any(sides < t.extent - self.config.partial_view)):
            return True
        t.extent = np.maximum(t.extent, sides)
        return False

    def _merge_duplicates(self, seen: set[str]) -> None:
        """Two free tracks of one category within 2 cm of each other (3D) are one object seen twice
        (two objects cannot overlap): of one colour, keep the one seen now, else the older one; of
        two colours (a block's colour read off a shaded side) only when both are seen now (a
        hidden block in a pile must not give way to a misread piece of its neighbour), the older. A block and
        an "object" of one colour that close are one thing, read as the one seen in more frames."""
        free = sorted((t for t in self.tracks.values() if t.held_offset is None and t.det.category in GRASPABLE),
                      key=lambda t: (t.id not in seen, t.born, t.id))
        # (both seen now: the older first)
        gone: set[str] = set()
        for k, a in enumerate(free):
            if a.id in gone:
                continue
            for b in free[k + 1:]:
                if b.id not in gone and a.det.category == b.det.category \
                        and (a.det.colour == b.det.colour or (a.id in seen and b.id in seen)) \
                        and float(np.linalg.norm(a.position - b.position)) < 0.02:
                    gone.add(b.id)
                elif b.id not in gone and {a.det.category, b.det.category} == {"block", "object"} \
                        and a.det.colour == b.det.colour and float(np.linalg.norm(a.position - b.position)) < 0.02:
                    # one thing read as a block in some frames and as an irregular "object" in others (partly
                    # hidden, a noisy edge): the same thing twice; the reading seen more often stays (a tie: block)
                    block, obj = (a, b) if a.det.category == "block" else (b, a)
                    gone.add(obj.id if block.hits >= obj.hits else block.id)
                    if a.id in gone:
                        break
        for tid in gone:
            del self.tracks[tid]

    def _follow_drawers(self, seen: set[str], stamp: float) -> None:
        """An object that is not seen but lies inside a drawer's box (a block put in, then the
        drawer closed over it) is inside it: kept, and it slides with the drawer's handle."""
        drawers = {tid: t for tid, t in self.tracks.items() if t.det.category == "drawer"}
        containers = [t for t in self.tracks.values() if t.det.category in CONTAINERS]
        for tid, t in self.tracks.items():
            if tid in seen or t.held_offset is not None or t.det.category not in GRASPABLE:
                continue
            if any(c.det.category == "bin" and _container_distance(t.position[:2], c.position, c.det) <= 0.0
                   and float(t.position[2]) < float(c.position[2]) + 0.5 * float(c.det.size[2]) for c in containers):
                # In a bin, below its rim: hidden by its wall or by what was put in with it, not
                # gone (a released block seen elsewhere re-attaches). Not in a bowl: a block in
                # one stands as high as its rim and is seen; unseen, it may have been knocked out
                # (sort 9005: a block kept in a bowl it had left made a false success).
                t.last_seen = stamp
                continue
            if t.in_drawer is not None and t.in_drawer[0] in drawers:
                t.position = drawers[t.in_drawer[0]].position + t.in_drawer[1]
                t.last_seen = stamp
                continue
            for did, d in drawers.items():
                c, sn = math.cos(d.det.yaw), math.sin(d.det.yaw)
                rel = t.position[:2] - d.position[:2]
                u, v = rel[0] * c + rel[1] * sn, -rel[0] * sn + rel[1] * c  # u: from the handle into the cabinet
                box = inside_from_handle(d.det.size)
                if box["front"] <= u <= box["back"] and abs(v) <= box["half_width"]:
                    t.in_drawer, t.last_seen = (did, t.position - d.position), stamp
                    break

    def _kept_drawer(self, kept: Detection, seen: Detection) -> Detection:
        """The drawer under the hand: ``kept``'s cabinet; with the gripper closed (it may be pulling
        or pushing the drawer) the opening ``seen`` now and the handle placed from it."""
        if not self._gripper_closed or seen.opening is None:
            return kept
        opening = float(seen.opening)
        shift = (opening - float(kept.opening or 0.0)) * self.config.drawer_travel
        pos = np.asarray(kept.position, float) - shift * np.array([math.cos(kept.yaw), math.sin(kept.yaw), 0.0])
        return replace(kept, position=pos, opening=opening)

    def update_gripper(self, ee_position: np.ndarray, gripper_closed: bool, gripper_width: float | None = None) -> None:
        """Follow the end effector: grasp on a closing gripper near a graspable track, release on opening.

        ``gripper_width`` (m between the fingers, as every gripper driver reports it): the grasp
        is only taken once the closing fingers have stopped on something (the gap stops shrinking
        and is wider than ``min_hold_width``); fingers that close on nothing, or on an object that
        slipped out, hold nothing. Without it the grasp is taken when the gripper closes."""
        ee = np.asarray(ee_position, float)
        width = None if gripper_width is None or not math.isfinite(float(gripper_width)) else float(gripper_width)
        if gripper_closed and not self._gripper_closed and not self.held_id and not self.gripped_handle:
            self._pending = self._grasp_candidate(ee)
        elif not gripper_closed:
            self._pending = ""
            self._loose_tried = False
            self.gripped_handle = ""
            for t in self.tracks.values():
                if t.held_offset is not None:
                    self._let_go(t)
        if gripper_closed and width is not None and width < self.config.min_hold_width:
            # The fingers met: nothing is between them (a miss, or what was held slipped out).
            self._pending, self.gripped_handle = "", ""
            for t in self.tracks.values():
                if t.held_offset is not None:
                    self._let_go(t)
        elif (gripper_closed and width is not None and not self._pending and not self.held_id
              and not self.gripped_handle and not self._loose_tried and self._last_width is not None
              and abs(width - self._last_width) <= self.config.settle_width):
            # The fingers stopped on something, though nothing was between them by the tracks when
            # they began to close (a grasp off the perceived centre pushes the block between them):
            # the nearest graspable track within the loose radius is what they hold. Tried once per
            # closing; without it the block, lifted out of its track's reach, vanished.
            self._loose_tried = True
            cand = self._grasp_candidate(ee, loose=True)
            t = self.tracks.get(cand)
            if t is not None and t.det.category != "drawer":
                t.held_offset = t.position - ee
        elif self._pending and (width is None or (self._last_width is not None
                                                  and abs(width - self._last_width) <= self.config.settle_width)):
            t = self.tracks.get(self._pending)
            if t is not None and t.det.category == "drawer":
                # A drawer gripped at its handle does not follow the hand; its opening, and the
                # handle from it, keep updating.
                self.gripped_handle = t.id
            elif t is not None:
                t.held_offset = t.position - ee
            self._pending = ""
        self._last_width = width
        self._gripper_closed = bool(gripper_closed)
        for t in self.tracks.values():
            if t.held_offset is not None:
                t.position = ee + t.held_offset

    def _grasp_candidate(self, ee: np.ndarray, loose: bool = False) -> str:
        """The track a gripper closing at ``ee`` would hold: an object between the fingers (close to
        the end effector and to the gripper's vertical axis: a block lying in a drawer a few cm
        behind the handle the gripper closes on is not), else a drawer whose handle it is at."""
        near = [(float(np.linalg.norm(t.position - ee)), t) for t in self.tracks.values()
                if t.det.category in GRASPABLE]
        scale = self.config.loose_scale if loose else 1.0
        near = [x for x in near if x[0] <= self.config.grasp_radius * scale
                and float(np.linalg.norm(x[1].position[:2] - ee[:2])) <= self.config.grasp_xy * scale]
        if not near and not loose:
            near = [(float(np.linalg.norm(t.position - ee)), t) for t in self.tracks.values()
                    if t.det.category == "drawer"]
            near = [x for x in near if x[0] <= self.config.grasp_radius]
        return min(near, key=lambda x: x[0])[1].id if near else ""

    def _let_go(self, t: Track) -> None:
        t.held_offset = None
        t.released = True
        self._drop(t)

    def _drop(self, t: Track) -> None:
        """``t`` was let go: it falls onto the highest perceived support under its centre (a block's
        top, a drawer's or container's floor, the table) instead of hanging at its release height;
        the camera's next sight of it (matched horizontally) corrects it."""
        xy = t.position[:2]
        half_h = 0.5 * float(t.det.size[2])
        support = 0.0  # the table (z ~ 0, as everywhere)
        for o in self.tracks.values():
            if o is t:
                continue
            cat = o.det.category
            if cat == "drawer":
                c, sn = math.cos(o.det.yaw), math.sin(o.det.yaw)
                rel = xy - o.position[:2]
                u, v = rel[0] * c + rel[1] * sn, -rel[0] * sn + rel[1] * c
                box = inside_from_handle(o.det.size)
                if box["front"] <= u <= box["back"] and abs(v) <= box["half_width"]:
                    support = max(support, float(o.position[2]) + box["floor"])
            elif cat in CONTAINERS:
                if _container_distance(xy, o.position, o.det) <= 0.0:
                    support = max(support, float(o.position[2]) - 0.5 * float(o.det.size[2]) + CONTAINER_FLOOR)
            elif cat in GRASPABLE:
                c, sn = math.cos(o.det.yaw), math.sin(o.det.yaw)
                rel = xy - o.position[:2]
                u, v = rel[0] * c + rel[1] * sn, -rel[0] * sn + rel[1] * c
                top = float(o.position[2]) + 0.5 * float(o.det.size[2])
                if abs(u) <= 0.5 * float(o.det.size[0]) and abs(v) <= 0.5 * float(o.det.size[1]) \
                        and top < float(t.position[2]):
                    support = max(support, top)
        if support + half_h < float(t.position[2]):
            t.position = np.array([xy[0], xy[1], support + half_h])

    def stale_reason(self, now: float, camera: str = "the camera", rejected: str = "") -> str:
        """Why the objects are withheld at ``now`` ("" when they are fresh). ``camera`` names the
        source in the message (the node gives its depth topic); ``rejected``: why the latest frames
        were not used, if they were not (then the camera is not silent, its frames are unusable)."""
        if self.last_frame is not None and now - self.last_frame <= self.config.stale_after:
            return ""
        after = f"stale after {self.config.stale_after:g} s"
        if self.last_frame is None:
            what = f"no usable camera frame yet from {camera}" if rejected else f"no camera frame yet from {camera}"
        elif rejected:
            what = f"no usable frame from {camera} for {now - self.last_frame:.2f} s ({after})"
        else:
            what = f"{camera} silent for {now - self.last_frame:.2f} s ({after})"
        return f"perception stale: {what}: {rejected}" if rejected else f"perception stale: {what}; check the camera driver"

    def objects(self, now: float) -> tuple[ObjectInfo, ...]:
        """The tracked objects (source "perception"), or () when stale (see :meth:`stale_reason`)."""
        if self.stale_reason(now):
            return ()
        out = []
        for tid in sorted(self.tracks):
            t = self.tracks[tid]
            det = t.det
            rgba = COLOURS.get(det.colour, (*(float(v) for v in det.rgb), 1.0))
            out.append(ObjectInfo(
                id=tid, name=f"{det.colour} {det.category}".strip(), category=det.category, colour=det.colour,
                rgba=tuple(float(v) for v in rgba), position=t.position.copy(), orientation=_yaw_quat(det.yaw),
                size=np.asarray(det.size, float).copy(), source="perception", opening=det.opening,
            ))
        return tuple(out)

    def _new_id(self, det: Detection) -> str:
        k = 0
        while f"{det.category}_{det.colour}_{k}" in self.tracks:
            k += 1
        return f"{det.category}_{det.colour}_{k}"


__all__ = ["Tracker", "TrackerConfig", "Track"]
