"""The perception pipeline the node runs: frames in, the robot's observation with perceived objects out.

Core module (no rclpy): :class:`Perception` holds the camera extrinsics (checked once, at
construction), the detector settings and the tracker. The node hands it every RGB-D frame
(:meth:`Perception.on_frame`) and every hardware observation (:meth:`Perception.world`),
which comes back with its objects replaced by the perceived ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from robomatrix.errors import ConfigError, PerceptionError
from robomatrix.hardware.camera import CameraConfig, CameraIntrinsics, check_extrinsics
from robomatrix.hardware.interface import Observation
from robomatrix.perception.detector import Detection, DetectorConfig, RGBDFrame, detect
from robomatrix.perception.tracker import Tracker, TrackerConfig

log = logging.getLogger(__name__)

MIN_DEPTH_RETURNS = 50  # a depth image with fewer valid pixels is unusable (detect() sees nothing in it)


@dataclass(frozen=True)
class PerceptionConfig:
    """Section ``perception`` of config/robot.yaml plus the camera's extrinsics."""

    extrinsics: np.ndarray  # 4x4 T_world_camera (optical frame)
    tracker: TrackerConfig
    detector: DetectorConfig

    @classmethod
    def from_sections(cls, camera: CameraConfig, perception: dict[str, Any]) -> PerceptionConfig:
        known = {"stale_after", "occlusion_hold", "static_hold", "match_distance", "hand_near", "container_min_side",
                 "partial_view"}
        unknown = set(perception) - known
        if unknown:
            raise ConfigError(f"unknown perception setting(s) {sorted(unknown)}; valid: {sorted(known)}")
        return cls(extrinsics=check_extrinsics(camera.extrinsics),
                   tracker=TrackerConfig(**{k: float(v) for k, v in perception.items()}),
                   detector=DetectorConfig())


class Perception:
    """See the module docstring. ``extrinsics`` that are not a finite rigid transform raise ConfigError here."""

    def __init__(self, config: PerceptionConfig, camera: str = "the camera") -> None:
        self.extrinsics = check_extrinsics(config.extrinsics)
        self.config = config
        self.camera = camera  # how stale reasons name the source (the node: "camera <depth topic>")
        self.tracker = Tracker(config.tracker)
        self.frames = 0
        self.last_detections: list[Detection] = []
        self.rejected = ""  # why the latest frame was not used ("" when it was)

    def on_frame(self, rgb: np.ndarray, depth: np.ndarray, intrinsics: CameraIntrinsics | None, stamp: float,
                 ee_position: np.ndarray | None = None) -> list[Detection]:
        """Detect and track one frame taken at ``stamp``. Raises PerceptionError on an unusable frame
        (no intrinsics, sizes that disagree): the tracker is then not updated, so the objects go stale."""
        depth = np.asarray(depth, dtype=np.float32)
        valid = int(np.count_nonzero(np.isfinite(depth) & (depth > 0)))
        try:
            dets = detect(RGBDFrame(np.asarray(rgb), np.where(depth > 0, depth, np.nan), intrinsics,
                                    self.extrinsics, stamp), self.config.detector, ee_position=ee_position,
                          holding=bool(self.tracker.held_id))
        except PerceptionError as e:
            self.rejected = str(e)
            raise
        if valid < MIN_DEPTH_RETURNS:
            # A depth image without returns shows nothing, not an empty table: the tracks are not
            # updated (nothing is dropped as unseen) and perception goes stale with this reason.
            self.rejected = (f"the depth image has {valid} valid pixels (all NaN or zero); check the depth "
                             "stream (exposure, range, the driver's depth encoding)")
            return dets
        self.rejected = ""
        self.tracker.update(dets, stamp, ee_position)
        self.frames += 1
        self.last_detections = dets
        return dets

    def world(self, obs: Observation) -> Observation:
        """``obs`` with its objects replaced by the perceived ones; while perception is stale, none,
        and ``perception_stale`` says why (a running skill stops on it)."""
        self.tracker.update_gripper(obs.ee_position, obs.gripper_closed, obs.gripper_width)
        objects = self.tracker.objects(obs.stamp)
        # Only the tracker says what is held (the gripper closing on an object between its fingers,
        # or at a drawer's handle): the robot's own held_object_id is the simulator's truth in
        # simulation, and nothing on a real arm.
        held = self.tracker.held_id or self.tracker.gripped_handle
        return replace(obs, objects=objects, held_object_id=held,
                       perception_stale=self.stale_reason(obs.stamp))

    def stale_reason(self, now: float) -> str:
        """Why perception is stale at ``now`` ("" when fresh): the camera is silent, or its frames are rejected."""
        return self.tracker.stale_reason(now, self.camera, self.rejected)


__all__ = ["Perception", "PerceptionConfig", "PerceptionError"]
