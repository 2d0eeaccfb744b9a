"""A calibrated RGB-D scene camera: its configuration, pinhole model and depth-noise model.

Core module: imports neither rclpy nor pybullet. The simulator renders through it
(:meth:`robomatrix.hardware.sim.robot.SimRobot.render_rgbd`), the hardware node publishes
its intrinsics as ``sensor_msgs/CameraInfo`` and the perception layer reads its extrinsics,
so the camera is described once, in the ``camera:`` section of config/robot.yaml.

Frames: the *optical* frame of the camera follows the ROS / OpenCV convention (x right,
y down, z forward along the optical axis). ``extrinsics`` is the 4x4 homogeneous transform
``T_world_camera`` that maps points in the optical frame to the world frame. Depth images
hold the z coordinate of each pixel's point in the optical frame, metres, NaN where the
sensor has no return. Pixel (u, v) has its centre at column u, row v (OpenCV), so the
principal point of an ideal camera is ((W - 1) / 2, (H - 1) / 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from robomatrix.errors import ConfigError
from robomatrix.resources import packaged_default


def _cam_default(key: str) -> Any:
    return field(default_factory=packaged_default("robot.yaml", "camera", key))


def _finite_vector(value: Any, n: int, where: str) -> tuple[float, ...]:
    if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != n:
        raise ConfigError(f"camera.{where} must be a list of {n} numbers, got {value!r}")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer) or not math.isfinite(v):
            raise ConfigError(f"camera.{where} must hold finite numbers only, got {value!r}; fix the calibration")
        out.append(float(v))
    return tuple(out)


def look_at_rotation(position: np.ndarray, look_at: np.ndarray, up: np.ndarray) -> np.ndarray:
    """3x3 rotation whose columns are the optical frame's x (right), y (down), z (forward) in the world."""
    z = np.asarray(look_at, float) - np.asarray(position, float)
    n = float(np.linalg.norm(z))
    if n < 1e-9:
        raise ConfigError("camera.position and camera.look_at coincide; move the camera away from the point it looks at")
    z /= n
    x = np.cross(z, np.asarray(up, float))
    nx = float(np.linalg.norm(x))
    if nx < 1e-6:
        raise ConfigError(f"camera.up {list(up)} is parallel to the viewing direction; give another up vector")
    x /= nx
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """3x3 rotation of a unit quaternion (x, y, z, w)."""
    x, y, z, w = (float(v) for v in np.asarray(q, float) / np.linalg.norm(q))
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def matrix_to_quat(r: np.ndarray) -> np.ndarray:
    """Unit quaternion (x, y, z, w), w >= 0, of a 3x3 rotation matrix."""
    m = np.asarray(r, float)
    t = np.trace(m)
    if t > 0:
        s = 2.0 * math.sqrt(t + 1.0)
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s]
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * math.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = [0.0, 0.0, 0.0, (m[k, j] - m[j, k]) / s]
        q[i] = 0.25 * s
        q[j] = (m[j, i] + m[i, j]) / s
        q[k] = (m[k, i] + m[i, k]) / s
    qa = np.asarray(q, float)
    qa /= np.linalg.norm(qa)
    return qa if qa[3] >= 0 else -qa


@dataclass(frozen=True)
class CameraIntrinsics:
    """Pinhole intrinsics of one image stream (what ``sensor_msgs/CameraInfo`` carries; no distortion)."""

    width: int  # px
    height: int  # px
    fx: float  # px
    fy: float  # px
    cx: float  # px, principal point column
    cy: float  # px, principal point row

    def __post_init__(self) -> None:
        for key in ("width", "height"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"camera intrinsics: {key} must be a positive int (px), got {v!r}")
        for key in ("fx", "fy", "cx", "cy"):
            v = getattr(self, key)
            if not (isinstance(v, int | float) and math.isfinite(v)):
                raise ConfigError(f"camera intrinsics: {key} must be a finite number (px), got {v!r}")
        if self.fx <= 0 or self.fy <= 0:
            raise ConfigError(f"camera intrinsics: focal lengths must be > 0 px, got fx={self.fx}, fy={self.fy}")

    @property
    def k(self) -> np.ndarray:
        """3x3 camera matrix K."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @classmethod
    def from_k(cls, width: int, height: int, k: Any) -> CameraIntrinsics:
        """From a row-major 3x3 K (9 numbers, as in CameraInfo.k)."""
        kk = np.asarray(k, float).reshape(3, 3)
        return cls(int(width), int(height), float(kk[0, 0]), float(kk[1, 1]), float(kk[0, 2]), float(kk[1, 2]))


@dataclass(frozen=True)
class CameraConfig:
    """The scene camera (section ``camera`` of config/robot.yaml). Validated on construction.

    Pose: ``position`` plus either ``orientation`` (quaternion x, y, z, w of the optical
    frame in the world; a calibration result) or ``look_at`` and ``up`` (how the simulator
    places it). Defaults come from the packaged config/robot.yaml.
    """

    enabled: bool = _cam_default("enabled")  # publish the RGB-D topics (simulation renders them)
    width: int = _cam_default("width")  # px
    height: int = _cam_default("height")  # px
    fov: float = _cam_default("fov")  # degrees, vertical field of view
    rate_hz: float = _cam_default("rate_hz")  # Hz of wall time at which frames are rendered and published
    position: tuple[float, float, float] = _cam_default("position")  # m, optical centre in the world
    look_at: tuple[float, float, float] = _cam_default("look_at")  # m, world point on the optical axis
    up: tuple[float, float, float] = _cam_default("up")  # world direction that is up in the image
    orientation: tuple[float, ...] | None = _cam_default("orientation")  # xyzw; set: overrides look_at/up
    cx: float | None = _cam_default("cx")  # px, principal point column; None: the simulator's (W / 2)
    cy: float | None = _cam_default("cy")  # px, principal point row; None: the simulator's (H / 2 - 1)
    near: float = _cam_default("near")  # m, closest depth the sensor measures
    far: float = _cam_default("far")  # m, farthest depth the sensor measures (NaN beyond)
    depth_noise: float = _cam_default("depth_noise")  # 1/m: depth std = depth_noise * z^2 (m)
    edge_holes: float = _cam_default("edge_holes")  # probability that a pixel at a depth edge has no return
    edge_threshold: float = _cam_default("edge_threshold")  # m, depth jump to a neighbour that makes an edge
    dropout: float = _cam_default("dropout")  # probability that any pixel has no return
    seed: int = _cam_default("seed")  # seed of the depth noise

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ConfigError(f"camera.enabled must be true or false, got {self.enabled!r}")
        for key, lo, hi in (("width", 8, 1024), ("height", 8, 1024)):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ConfigError(f"camera.{key} must be an int in [{lo}, {hi}] px, got {v!r}")
        for key in ("fov", "rate_hz", "near", "far", "depth_noise", "edge_holes", "edge_threshold", "dropout"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise ConfigError(f"camera.{key} must be a finite number >= 0, got {v!r}")
        if not 1.0 < self.fov < 179.0:
            raise ConfigError(f"camera.fov must be in (1, 179) degrees, got {self.fov!r}")
        if self.rate_hz <= 0:
            raise ConfigError(f"camera.rate_hz must be > 0 Hz, got {self.rate_hz!r}; e.g. 15")
        if not 0 < self.near < self.far:
            raise ConfigError(f"camera.near {self.near} and far {self.far} need 0 < near < far (m)")
        for key in ("edge_holes", "dropout"):
            if getattr(self, key) > 1:
                raise ConfigError(f"camera.{key} is a probability in [0, 1], got {getattr(self, key)!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"camera.seed must be an int >= 0, got {self.seed!r}")
        object.__setattr__(self, "position", _finite_vector(self.position, 3, "position"))
        object.__setattr__(self, "look_at", _finite_vector(self.look_at, 3, "look_at"))
        object.__setattr__(self, "up", _finite_vector(self.up, 3, "up"))
        if self.orientation is not None:
            q = _finite_vector(self.orientation, 4, "orientation")
            if abs(float(np.linalg.norm(q)) - 1.0) > 1e-3:
                raise ConfigError(f"camera.orientation {list(q)} is not a unit quaternion (x, y, z, w); normalise it")
            object.__setattr__(self, "orientation", q)
        for key in ("cx", "cy"):
            v = getattr(self, key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)):
                raise ConfigError(f"camera.{key} must be a finite number of pixels or null, got {v!r}")
        self.rotation  # noqa: B018 - raises ConfigError on a degenerate look_at/up

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> CameraConfig:
        """Build from the ``camera:`` mapping; unknown keys are errors. ``extrinsics`` (a 4x4
        world-from-optical matrix, rows) may replace ``position`` and ``orientation``."""
        d = dict(data or {})
        valid = {f.name for f in fields(cls)} | {"extrinsics"}
        unknown = set(d) - valid
        if unknown:
            raise ConfigError(f"unknown camera setting(s) {sorted(unknown)}; valid: {sorted(valid)}")
        if "extrinsics" in d:
            t = d.pop("extrinsics")
            rows = [_finite_vector(r, 4, "extrinsics row") for r in (t if isinstance(t, list | tuple) else [t])]
            if len(rows) != 4:
                raise ConfigError(f"camera.extrinsics must be a 4x4 matrix (4 rows of 4 numbers), got {t!r}")
            m = np.asarray(rows)
            rot = m[:3, :3]
            if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-3) or np.linalg.det(rot) < 0:
                raise ConfigError("camera.extrinsics: the upper-left 3x3 block is not a rotation; fix the calibration")
            d["position"] = tuple(m[:3, 3])
            d["orientation"] = tuple(matrix_to_quat(rot))
        try:
            return cls(**d)
        except TypeError as e:
            raise ConfigError(f"camera: {e}") from e

    @property
    def rotation(self) -> np.ndarray:
        """3x3 rotation of the optical frame in the world (columns: x right, y down, z forward)."""
        if self.orientation is not None:
            return quat_to_matrix(np.asarray(self.orientation))
        return look_at_rotation(np.asarray(self.position), np.asarray(self.look_at), np.asarray(self.up))

    @property
    def extrinsics(self) -> np.ndarray:
        """4x4 ``T_world_camera``: optical-frame points to world points."""
        t = np.eye(4)
        t[:3, :3] = self.rotation
        t[:3, 3] = self.position
        return t

    @property
    def intrinsics(self) -> CameraIntrinsics:
        """Pinhole intrinsics of the configured image size and vertical field of view.

        Without ``cx``/``cy`` the principal point is the one of PyBullet's renderer, which
        samples pixels at a corner rather than the centre (OpenGL, rows flipped): (W / 2,
        H / 2 - 1) in OpenCV pixel coordinates, measured by back-projecting rendered blocks
        (the ideal ((W - 1) / 2, (H - 1) / 2) leaves a 2 mm bias at 1 m).
        """
        fy = 0.5 * self.height / math.tan(math.radians(0.5 * self.fov))
        cx = 0.5 * self.width if self.cx is None else float(self.cx)
        cy = 0.5 * self.height - 1.0 if self.cy is None else float(self.cy)
        return CameraIntrinsics(self.width, self.height, fy, fy, cx, cy)


def check_extrinsics(t: Any) -> np.ndarray:
    """Return ``t`` as a 4x4 float array if it is a finite rigid transform, else raise ConfigError."""
    m = np.asarray(t, dtype=float)
    if m.shape != (4, 4):
        raise ConfigError(f"camera extrinsics must be a 4x4 matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ConfigError("camera extrinsics hold non-finite values (NaN or inf); fix the camera calibration")
    rot = m[:3, :3]
    if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-3) or np.linalg.det(rot) < 0:
        raise ConfigError("camera extrinsics: the upper-left 3x3 block is not a rotation; fix the camera calibration")
    if not np.allclose(m[3], [0, 0, 0, 1]):
        raise ConfigError(f"camera extrinsics: the last row must be [0, 0, 0, 1], got {m[3].tolist()}")
    return m


def add_depth_noise(depth: np.ndarray, cfg: CameraConfig, rng: np.random.Generator) -> np.ndarray:
    """A structured-light / stereo style corruption of an ideal depth image (H, W) in metres.

    Gaussian noise with std ``depth_noise * z^2`` (it grows with the square of the distance,
    as in stereo sensors), holes (NaN) with probability ``edge_holes`` on pixels whose depth
    jumps by more than ``edge_threshold`` to a 4-neighbour, and random dropouts. Pixels
    outside [near, far] or already NaN stay NaN. All randomness comes from ``rng``.
    """
    d = np.array(depth, dtype=np.float32, copy=True)
    valid = np.isfinite(d)
    z = np.where(valid, d, 0.0)
    if cfg.depth_noise > 0:
        d = d + (rng.standard_normal(d.shape) * cfg.depth_noise * z * z).astype(np.float32)
    if cfg.edge_holes > 0:
        pad = np.pad(np.where(valid, d, np.inf), 1, mode="edge")
        jump = np.zeros(d.shape, bool)
        centre = pad[1:-1, 1:-1]
        for nb in (pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]):
            with np.errstate(invalid="ignore"):
                jump |= ~(np.abs(nb - centre) <= cfg.edge_threshold)
        d[jump & (rng.random(d.shape) < cfg.edge_holes)] = np.nan
    if cfg.dropout > 0:
        d[rng.random(d.shape) < cfg.dropout] = np.nan
    d[~valid] = np.nan
    with np.errstate(invalid="ignore"):
        d[(d < cfg.near) | (d > cfg.far)] = np.nan
    return d


__all__ = ["CameraConfig", "CameraIntrinsics", "add_depth_noise", "check_extrinsics", "look_at_rotation",
           "matrix_to_quat", "quat_to_matrix"]
