"""Detections over time -> the world's objects with stable ids.

Association: each frame's detections are matched to the tracked objects of the same
category and colour, nearest first, within ``match_distance``; an unmatched detection
starts a new track named like the simulator's ids (``block_red_0``: the lowest free index
for that category and colour). A track that is not seen (hidden by the arm, say) is still
reported at its last pose for ``occlusion_hold`` seconds, then dropped.

Held objects: when the gripper closes with a block or small object within ``grasp_radius``
of the end effector, that track is held: it follows the end effector (keeping its offset
from the moment of the grasp), is never dropped and is not re-matched until the gripper
opens again, at which point it stays where it was let go until the camera sees it again.

Staleness: :meth:`Tracker.objects` returns nothing once the newest camera frame is older
than ``stale_after`` seconds (the camera stopped): the world is then unknown, not empty,
and :attr:`Tracker.stale_reason` says why.

Times are seconds of one clock (the frames' stamps and the ``now`` of the callers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from robomatrix.errors import ConfigError
from robomatrix.hardware.interface import ObjectInfo
from robomatrix.hardware.sim.scene import COLOURS
from robomatrix.perception.detector import Detection

GRASPABLE = ("block", "object")


@dataclass(frozen=True)
class TrackerConfig:
    """Timing and gating of the tracker (section ``perception`` of config/robot.yaml)."""

    stale_after: float = 0.5  # s without a camera frame before the objects are withdrawn
    occlusion_hold: float = 3.0  # s an unseen object is still reported at its last pose
    match_distance: float = 0.06  # m, largest move between frames that keeps an id
    grasp_radius: float = 0.05  # m, an object this close to the end effector when the gripper closes is held

    def __post_init__(self) -> None:
        for key in ("stale_after", "occlusion_hold", "match_distance", "grasp_radius"):
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


def _yaw_quat(yaw: float) -> np.ndarray:
    return np.array([0.0, 0.0, math.sin(0.5 * yaw), math.cos(0.5 * yaw)])


class Tracker:
    """See the module docstring."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self.tracks: dict[str, Track] = {}
        self.last_frame: float | None = None
        self._gripper_closed = False

    @property
    def held_id(self) -> str:
        """Id of the object in the gripper, "" if none."""
        return next((t.id for t in self.tracks.values() if t.held_offset is not None), "")

    def update(self, detections: list[Detection], stamp: float) -> None:
        """Fold in one frame's detections, taken at ``stamp``."""
        cfg = self.config
        self.last_frame = stamp if self.last_frame is None else max(self.last_frame, stamp)
        free = {tid: t for tid, t in self.tracks.items() if t.held_offset is None}
        pairs = []
        for i, det in enumerate(detections):
            for tid, t in free.items():
                if (t.det.category, t.det.colour) == (det.category, det.colour):
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
            t.det, t.last_seen, t.position = detections[i], stamp, np.asarray(detections[i].position, float)
        for i, det in enumerate(detections):
            if i in used_det:
                continue
            tid = self._new_id(det)
            self.tracks[tid] = Track(tid, det, stamp, position=np.asarray(det.position, float))
        for tid in [tid for tid, t in self.tracks.items()
                    if t.held_offset is None and stamp - t.last_seen > cfg.occlusion_hold]:
            del self.tracks[tid]

    def update_gripper(self, ee_position: np.ndarray, gripper_closed: bool) -> None:
        """Follow the end effector: grasp on a closing gripper near a graspable track, release on opening."""
        ee = np.asarray(ee_position, float)
        if gripper_closed and not self._gripper_closed and not self.held_id:
            near = [(float(np.linalg.norm(t.position - ee)), t) for t in self.tracks.values()
                    if t.det.category in GRASPABLE]
            near = [x for x in near if x[0] <= self.config.grasp_radius]
            if near:
                _, t = min(near, key=lambda x: x[0])
                t.held_offset = t.position - ee
        elif not gripper_closed:
            for t in self.tracks.values():
                t.held_offset = None
        self._gripper_closed = bool(gripper_closed)
        for t in self.tracks.values():
            if t.held_offset is not None:
                t.position = ee + t.held_offset

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
