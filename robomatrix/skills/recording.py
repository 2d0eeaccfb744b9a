"""Recording episodes to disk: MCAP files with ROS 2 (CDR) message encoding.

Runtime side (the skill server records corrected episodes, the learning wing records
demonstrations); reading them back for training is :mod:`robomatrix.learning.dataset`.

Core module: imports no rclpy (messages are encoded from their ``.msg`` text by
``mcap_ros2``), so the files open in Foxglove, the ``mcap`` CLI or any ROS 2 MCAP reader.

Topics of a recording (log time = simulated time in nanoseconds)::

    /episode           std_msgs/msg/String              JSON, at the start and at the end of
                                                        every episode (see below)
    /features          std_msgs/msg/Float32MultiArray   one per tick, the (D,) feature vector
    /action            std_msgs/msg/Float32MultiArray   one per tick: vx, vy, vz (m/s),
                                                        yaw_rate (rad/s), gripper (0..1)
    /language_motion   robomatrix/msg/LanguageMotion    one per tick: motion, source
                                                        (policy | person), skill
    /camera/color/image_raw    sensor_msgs/msg/Image       only when the RGB-D camera was on:
    /camera/depth/image_raw    sensor_msgs/msg/Image       colour (rgb8), depth (32FC1 m, NaN =
    /camera/depth/camera_info  sensor_msgs/msg/CameraInfo  no return) and intrinsics, at the
                                                        camera's own rate (every frame it
                                                        published; each frame's log time is
                                                        the step time it was taken at)

``/episode`` JSON: ``{"event": "begin", "episode": i, "skill": ..., "args": {...},
"seed": ..., "source": "oracle" | "human" | "policy", "feature_dim": D, ...}`` and
``{"event": "end", "episode": i, "success": bool, "steps": n}``. Episodes are written one
after another; each tick writes features, action, motion in that order, and readers use
file order (an episode's clock may restart at 0, so log times of different episodes can
overlap in a timeline view).

:class:`EpisodeWriter` writes to ``.<name>.partial`` and links the finished file to its
name only on a clean close, so a crash never leaves a complete-looking file, and it never
replaces an existing file (to add episodes, write a new file: :func:`next_free_path`).

Camera frames (:meth:`EpisodeWriter.add_camera`) are written before the step of the same
time, so a reader pairs each frame with the step at or after it
(:func:`robomatrix.learning.dataset.load_camera_frames`).
"""

from __future__ import annotations

import array
import json
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from mcap_ros2.writer import Writer as Ros2Writer

from robomatrix.errors import RobomatrixError
from robomatrix.policies.language_motion import motion_to_index

log = logging.getLogger(__name__)

__all__ = [
    "ACTION_TOPIC",
    "CAMERA_TOPICS",
    "EPISODE_SOURCES",
    "EPISODE_TOPIC",
    "FEATURES_TOPIC",
    "MOTION_SOURCES",
    "MOTION_TOPIC",
    "DatasetError",
    "EpisodeWriter",
    "next_free_path",
]


class DatasetError(RobomatrixError):
    """A demonstration file cannot be written or read (exists, corrupt, truncated, inconsistent)."""


EPISODE_TOPIC = "/episode"
FEATURES_TOPIC = "/features"
ACTION_TOPIC = "/action"
MOTION_TOPIC = "/language_motion"
COLOR_TOPIC = "/camera/color/image_raw"
DEPTH_TOPIC = "/camera/depth/image_raw"
CAMERA_INFO_TOPIC = "/camera/depth/camera_info"
CAMERA_TOPICS = (COLOR_TOPIC, DEPTH_TOPIC, CAMERA_INFO_TOPIC)
CAMERA_FRAME = "camera_color_optical_frame"
EPISODE_SOURCES = ("oracle", "human", "policy")  # who produced an episode
MOTION_SOURCES = ("policy", "person")  # who chose a tick's motion (LanguageMotion.source)
ACTION_DIM = 5
FORMAT_VERSION = 1

_SEP = "=" * 80 + "\n"
_STRING_DEF = "string data\n"
_F32_ARRAY_DEF = (
    "std_msgs/MultiArrayLayout layout\n"
    "float32[] data\n"
    + _SEP
    + "MSG: std_msgs/MultiArrayLayout\n"
    "std_msgs/MultiArrayDimension[] dim\n"
    "uint32 data_offset\n"
    + _SEP
    + "MSG: std_msgs/MultiArrayDimension\n"
    "string label\n"
    "uint32 size\n"
    "uint32 stride\n"
)
_HEADER_DEF = (
    "MSG: std_msgs/Header\n"
    "builtin_interfaces/Time stamp\n"
    "string frame_id\n"
    + _SEP
    + "MSG: builtin_interfaces/Time\n"
    "int32 sec\n"
    "uint32 nanosec\n"
)
# Fields of msg/LanguageMotion.msg (kept in sync by test_dataset.py), then its nested types.
LANGUAGE_MOTION_DEF = (
    "string SOURCE_POLICY=policy\n"
    "string SOURCE_PERSON=person\n"
    "std_msgs/Header header\n"
    "string motion\n"
    "string source\n"
    "string skill\n"
    + _SEP
    + _HEADER_DEF
)
# sensor_msgs/Image and sensor_msgs/CameraInfo as ROS 2 defines them (comments and constants left out).
IMAGE_DEF = (
    "std_msgs/Header header\n"
    "uint32 height\n"
    "uint32 width\n"
    "string encoding\n"
    "uint8 is_bigendian\n"
    "uint32 step\n"
    "uint8[] data\n"
    + _SEP
    + _HEADER_DEF
)
CAMERA_INFO_DEF = (
    "std_msgs/Header header\n"
    "uint32 height\n"
    "uint32 width\n"
    "string distortion_model\n"
    "float64[] d\n"
    "float64[9] k\n"
    "float64[9] r\n"
    "float64[12] p\n"
    "uint32 binning_x\n"
    "uint32 binning_y\n"
    "sensor_msgs/RegionOfInterest roi\n"
    + _SEP
    + _HEADER_DEF
    + _SEP
    + "MSG: sensor_msgs/RegionOfInterest\n"
    "uint32 x_offset\n"
    "uint32 y_offset\n"
    "uint32 height\n"
    "uint32 width\n"
    "bool do_rectify\n"
)
SCHEMAS: dict[str, str] = {
    "std_msgs/msg/String": _STRING_DEF,
    "sensor_msgs/msg/Image": IMAGE_DEF,
    "sensor_msgs/msg/CameraInfo": CAMERA_INFO_DEF,
    "std_msgs/msg/Float32MultiArray": _F32_ARRAY_DEF,
    "robomatrix/msg/LanguageMotion": LANGUAGE_MOTION_DEF,
}


def next_free_path(directory: str | os.PathLike[str], stem: str, suffix: str = ".mcap") -> Path:
    """``directory/stem_000.mcap``, ``..._001.mcap``, ...: the first name not taken yet."""
    folder = Path(directory)
    for i in range(100_000):
        candidate = folder / f"{stem}_{i:03d}{suffix}"
        if not candidate.exists() and not candidate.with_name(f".{candidate.name}.partial").exists():
            return candidate
    raise DatasetError(f"no free file name for {stem!r} in {folder}; clean up the folder")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems cannot sync a directory; the file itself is synced
        pass
    finally:
        os.close(fd)


def _float_array(name: str, values: Any, length: int | None) -> array.array:
    arr = np.asarray(values, dtype=np.float32).reshape(-1)
    if length is not None and arr.shape != (length,):
        raise DatasetError(f"{name} must have {length} values, got shape {np.shape(values)}")
    if not np.all(np.isfinite(arr)):
        raise DatasetError(f"{name} contains non-finite values; a demonstration must be finite")
    return array.array("f", arr.tobytes())


class EpisodeWriter:
    """Record episodes into one new MCAP file (context manager).

    ::

        with EpisodeWriter("demos/grasp_000.mcap") as w:
            w.begin_episode({"skill": "grasp", "args": {"object": "block_red_0"}, "seed": 3,
                             "source": "oracle"})
            w.add_step(t, features, action, "move arm down", "policy")
            w.end_episode(success=True)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.partial_path = self.path.with_name(f".{self.path.name}.partial")
        if self.path.exists():
            raise DatasetError(
                f"{self.path} exists; demonstrations are never overwritten, write a new file "
                f"(e.g. next_free_path({str(self.path.parent)!r}, 'demo'))"
            )
        if self.partial_path.exists():
            raise DatasetError(
                f"{self.partial_path} exists: another writer is recording to {self.path}, or a crashed "
                "recording left it; delete it if no recorder is running"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.partial_path, "xb")  # noqa: SIM115 - closed in close()
        self._writer = Ros2Writer(self._file)
        self._writer.add_metadata("robomatrix", {"format": "robomatrix-demonstrations", "version": str(FORMAT_VERSION)})
        self._schemas = {name: self._writer.register_msgdef(name, text) for name, text in SCHEMAS.items()}
        self._episode: dict[str, Any] | None = None
        self._steps = 0
        self._frames = 0
        self._last_t = 0.0
        self._feature_dim: int | None = None
        self.episodes_written = 0
        self._closed = False

    # ------------------------------------------------------------------ episodes

    def begin_episode(self, meta: Mapping[str, Any]) -> int:
        """Start an episode; ``meta`` needs ``skill`` (str), ``source`` (oracle|human|policy) and
        may hold ``args`` (dict), ``seed`` (int), ``episode`` (int, default = count in this file)
        and any other JSON data. Returns the episode index."""
        self._check_open()
        if self._episode is not None:
            raise DatasetError(f"episode {self._episode['episode']} is still open; call end_episode() first")
        if not isinstance(meta, Mapping):
            raise DatasetError(f"episode metadata must be a mapping, got {meta!r}")
        data = dict(meta)
        if not isinstance(data.get("skill"), str) or not data["skill"]:
            raise DatasetError(f"episode metadata needs 'skill' (a skill name), got {data.get('skill')!r}")
        if data.get("source") not in EPISODE_SOURCES:
            raise DatasetError(f"episode 'source' must be one of {EPISODE_SOURCES}, got {data.get('source')!r}")
        data.setdefault("args", {})
        data.setdefault("seed", None)
        data.setdefault("episode", self.episodes_written)
        data["event"] = "begin"
        self._publish_episode(data, 0.0)
        self._episode = data
        self._steps = 0
        self._frames = 0
        self._last_t = 0.0
        return int(data["episode"])

    def add_step(
        self, t: float, features: np.ndarray, action: np.ndarray, motion: str, source: str = "policy"
    ) -> None:
        """One tick at simulated time ``t`` (s): features (D,), action (5,), the motion executed and
        who chose it (``policy`` | ``person``)."""
        self._check_open()
        if self._episode is None:
            raise DatasetError("add_step() outside an episode; call begin_episode() first")
        if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t) or t < 0:
            raise DatasetError(f"step time must be a finite number of seconds >= 0, got {t!r}")
        if source not in MOTION_SOURCES:
            raise DatasetError(f"step source must be one of {MOTION_SOURCES}, got {source!r}")
        motion_to_index(motion)  # raises UnknownMotionError with the valid list
        feats = _float_array("features", features, self._feature_dim)
        if self._feature_dim is None:
            self._feature_dim = len(feats)
        act = _float_array("action", action, ACTION_DIM)
        ns = int(round(t * 1e9))
        sec, nanosec = divmod(ns, 1_000_000_000)
        w, s = self._writer, self._schemas
        w.write_message(FEATURES_TOPIC, s["std_msgs/msg/Float32MultiArray"], {"data": feats}, log_time=ns)
        w.write_message(ACTION_TOPIC, s["std_msgs/msg/Float32MultiArray"], {"data": act}, log_time=ns)
        w.write_message(
            MOTION_TOPIC,
            s["robomatrix/msg/LanguageMotion"],
            {
                "header": {"stamp": {"sec": sec, "nanosec": nanosec}, "frame_id": ""},
                "motion": motion,
                "source": source,
                "skill": self._episode["skill"],
            },
            log_time=ns,
        )
        self._steps += 1
        self._last_t = max(self._last_t, float(t))

    def add_camera(self, t: float, rgb: np.ndarray, depth: np.ndarray, intrinsics: Any = None) -> None:
        """One RGB-D frame taken at step time ``t`` (s): ``rgb`` (H, W, 3) uint8, ``depth`` (H, W)
        float metres (NaN = no return), ``intrinsics`` (a CameraIntrinsics: fx, fy, cx, cy, width,
        height) or None. Write it before the step of the same time."""
        self._check_open()
        if self._episode is None:
            raise DatasetError("add_camera() outside an episode; call begin_episode() first")
        if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t) or t < 0:
            raise DatasetError(f"camera frame time must be a finite number of seconds >= 0, got {t!r}")
        rgb = np.asarray(rgb)
        depth = np.asarray(depth)
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise DatasetError(f"colour image must be (H, W, 3) uint8, got {rgb.shape} {rgb.dtype}")
        if depth.shape != rgb.shape[:2]:
            raise DatasetError(f"depth image {depth.shape} must be aligned to the colour image {rgb.shape[:2]}")
        h, w = depth.shape
        ns = int(round(t * 1e9))
        sec, nanosec = divmod(ns, 1_000_000_000)
        header = {"stamp": {"sec": sec, "nanosec": nanosec}, "frame_id": CAMERA_FRAME}
        image = self._schemas["sensor_msgs/msg/Image"]
        self._writer.write_message(COLOR_TOPIC, image, {
            "header": header, "height": h, "width": w, "encoding": "rgb8", "is_bigendian": 0, "step": 3 * w,
            "data": np.ascontiguousarray(rgb).tobytes()}, log_time=ns)
        self._writer.write_message(DEPTH_TOPIC, image, {
            "header": header, "height": h, "width": w, "encoding": "32FC1", "is_bigendian": 0, "step": 4 * w,
            "data": np.ascontiguousarray(depth, dtype="<f4").tobytes()}, log_time=ns)
        if intrinsics is not None:
            k = intrinsics
            self._writer.write_message(CAMERA_INFO_TOPIC, self._schemas["sensor_msgs/msg/CameraInfo"], {
                "header": header, "height": int(k.height), "width": int(k.width), "distortion_model": "plumb_bob",
                "d": [0.0] * 5, "k": [k.fx, 0.0, k.cx, 0.0, k.fy, k.cy, 0.0, 0.0, 1.0],
                "r": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                "p": [k.fx, 0.0, k.cx, 0.0, 0.0, k.fy, k.cy, 0.0, 0.0, 0.0, 1.0, 0.0],
                "binning_x": 0, "binning_y": 0,
                "roi": {"x_offset": 0, "y_offset": 0, "height": 0, "width": 0, "do_rectify": False}},
                log_time=ns)
        self._frames += 1

    def end_episode(self, success: bool) -> None:
        """Close the current episode with its outcome."""
        self._check_open()
        if self._episode is None:
            raise DatasetError("end_episode() without an open episode")
        self._publish_episode(
            {"event": "end", "episode": self._episode["episode"], "success": bool(success), "steps": self._steps,
             "camera_frames": self._frames},
            self._last_t,
        )
        self._episode = None
        self.episodes_written += 1

    def _publish_episode(self, data: Mapping[str, Any], t: float) -> None:
        try:
            text = json.dumps({**data, "feature_dim": self._feature_dim} if data.get("event") == "end" else data)
        except (TypeError, ValueError) as e:
            raise DatasetError(f"episode metadata must be JSON data: {e}") from e
        self._writer.write_message(
            EPISODE_TOPIC, self._schemas["std_msgs/msg/String"], {"data": text}, log_time=int(round(t * 1e9))
        )

    # ------------------------------------------------------------------ closing

    def _check_open(self) -> None:
        if self._closed:
            raise DatasetError(f"the writer for {self.path} is closed")

    def close(self) -> Path:
        """Finish the file and give it its name (fails, keeping the .partial, if the name was taken)."""
        if self._closed:
            return self.path
        if self._episode is not None:
            log.warning("%s: episode %s was not ended; it is dropped by readers", self.path, self._episode["episode"])
        self._finish()
        try:
            os.link(self.partial_path, self.path)  # fails if the name exists: never overwrite
        except FileExistsError:
            raise DatasetError(
                f"{self.path} appeared while recording; the data is kept in {self.partial_path}, rename it"
            ) from None
        self.partial_path.unlink()
        _fsync_dir(self.path.parent)  # the new name survives a power cut
        log.info("wrote %d episode(s) to %s", self.episodes_written, self.path)
        return self.path

    def _finish(self) -> None:
        self._closed = True
        try:
            self._writer.finish()
            self._file.flush()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()

    def __enter__(self) -> EpisodeWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        elif not self._closed:
            self._finish()
            log.warning("recording to %s failed; what was written is kept in %s", self.path, self.partial_path)
