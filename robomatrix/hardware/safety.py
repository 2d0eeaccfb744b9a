"""Safety layer shared by every backend: workspace box, speed caps, non-finite rejection,
latching e-stop and a command watchdog. Core module: imports no rclpy.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from robomatrix.errors import ConfigError
from robomatrix.hardware.interface import MODES, Action
from robomatrix.resources import packaged_default

log = logging.getLogger(__name__)


def _safety_default(key: str) -> Any:
    return field(default_factory=packaged_default("robot.yaml", "safety", key))


@dataclass(frozen=True)
class SafetyLimits:
    """Limits enforced in the hardware layer, whatever sends the command.

    Defaults: section safety of config/robot.yaml (the one place they are written).
    """

    # Workspace box for the end effector, world frame, metres: [[xmin, ymin, zmin], [xmax, ymax, zmax]].
    workspace_min: tuple[float, float, float] = _safety_default("workspace_min")
    workspace_max: tuple[float, float, float] = _safety_default("workspace_max")
    max_linear_speed: float = _safety_default("max_linear_speed")  # m/s, cap on the end-effector speed (norm)
    max_angular_speed: float = _safety_default("max_angular_speed")  # rad/s, cap on the angular speed (norm)
    watchdog_timeout: float = _safety_default("watchdog_timeout")  # s without a command before the arm holds

    def __post_init__(self) -> None:
        lo, hi = np.asarray(self.workspace_min, float), np.asarray(self.workspace_max, float)
        if lo.shape != (3,) or hi.shape != (3,) or not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise ConfigError(
                f"safety.workspace_min/max must be three finite numbers each, got {self.workspace_min!r} "
                f"and {self.workspace_max!r}; fix config/robot.yaml"
            )
        if np.any(lo >= hi):
            raise ConfigError(
                f"safety.workspace_min {self.workspace_min} must be below workspace_max {self.workspace_max} "
                "on every axis; fix config/robot.yaml"
            )
        for key in ("max_linear_speed", "max_angular_speed", "watchdog_timeout"):
            value = getattr(self, key)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(f"safety.{key} must be a positive number, got {value!r}; fix config/robot.yaml")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SafetyLimits:
        data = dict(data or {})
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ConfigError(
                f"unknown safety setting(s) {sorted(unknown)}; valid: {sorted(cls.__dataclass_fields__)}"
            )
        for key in ("workspace_min", "workspace_max"):
            if key in data:
                try:
                    data[key] = tuple(float(v) for v in data[key])
                except (TypeError, ValueError) as e:
                    raise ConfigError(f"safety.{key} must be a list of 3 numbers, got {data[key]!r}") from e
        return cls(**data)


def _finite(*arrays: Any) -> bool:
    for a in arrays:
        if a is None:
            continue
        arr = np.asarray(a, dtype=float)
        if not np.all(np.isfinite(arr)):
            return False
    return True


@dataclass
class SafetyFilter:
    """Turns any requested action into one that is safe to apply.

    ``filter`` never raises for bad commands: it counts them and returns a hold, so a
    stream of garbage cannot move the arm. It needs the current end-effector position
    to keep velocity commands inside the workspace box.
    """

    limits: SafetyLimits = field(default_factory=SafetyLimits)
    control_period: float = 0.02  # s, one control tick
    estopped: bool = False
    rejected: int = 0
    clipped: int = 0
    last_reject_reason: str = ""
    _last_command_time: float | None = None

    # -- e-stop -------------------------------------------------------------------------
    def engage_estop(self) -> None:
        if not self.estopped:
            log.warning("e-stop engaged: the arm holds until the e-stop is released")
        self.estopped = True

    def release_estop(self) -> None:
        if self.estopped:
            log.info("e-stop released")
        self.estopped = False

    # -- watchdog -----------------------------------------------------------------------
    def note_command(self, now: float) -> None:
        self._last_command_time = now

    def watchdog_tripped(self, now: float) -> bool:
        """True when no command arrived for longer than the watchdog timeout."""
        return self._last_command_time is None or now - self._last_command_time > self.limits.watchdog_timeout

    # -- filtering ----------------------------------------------------------------------
    def reject(self, reason: str, gripper: float = 0.0) -> Action:
        self.rejected += 1
        self.last_reject_reason = reason
        log.warning("command rejected (%d so far): %s", self.rejected, reason)
        return Action.hold(gripper=gripper)

    def filter(self, action: Action, ee_position: np.ndarray, last_gripper: float = 0.0) -> Action:
        """Return the action that may be applied given the current end-effector position."""
        if self.estopped:
            return Action.hold(gripper=last_gripper)
        if action.mode not in MODES:
            return self.reject(f"unknown mode {action.mode!r}; use one of {MODES}", last_gripper)
        if not _finite(action.linear, action.angular, action.target_position, action.target_orientation,
                       action.gripper):
            return self.reject("non-finite value in command (NaN or inf); send finite numbers", last_gripper)
        if not 0.0 <= float(action.gripper) <= 1.0:
            return self.reject(f"gripper {action.gripper} outside [0, 1]; send 0 (open) to 1 (closed)", last_gripper)
        if action.mode == "hold":
            return action
        lo = np.asarray(self.limits.workspace_min, float)
        hi = np.asarray(self.limits.workspace_max, float)
        if action.mode == "target":
            if action.target_position is None:
                return self.reject("target mode without a target position", last_gripper)
            target = np.asarray(action.target_position, float)
            if target.shape != (3,):
                return self.reject(f"target position must have 3 values, got shape {target.shape}", last_gripper)
            clipped = np.clip(target, lo, hi)
            if not np.allclose(clipped, target):
                self.clipped += 1
            orient = action.target_orientation
            if orient is not None:
                q = np.asarray(orient, float)
                n = float(np.linalg.norm(q))
                if q.shape != (4,) or n < 1e-6:
                    return self.reject("target orientation must be a non-zero quaternion xyzw", last_gripper)
                orient = q / n
            return replace(action, target_position=clipped, target_orientation=orient)
        # velocity mode
        lin = np.asarray(action.linear, float)
        ang = np.asarray(action.angular, float)
        if lin.shape != (3,) or ang.shape != (3,):
            return self.reject("velocity command needs 3 linear and 3 angular values", last_gripper)
        was = lin.copy(), ang.copy()
        lin = _cap_norm(lin, self.limits.max_linear_speed)
        ang = _cap_norm(ang, self.limits.max_angular_speed)
        # Do not let one tick carry the end effector out of the box: zero the velocity
        # components that point outwards on a face that is (about to be) reached.
        pos = np.asarray(ee_position, float)
        nxt = pos + lin * self.control_period
        for i in range(3):
            if (nxt[i] > hi[i] and lin[i] > 0) or (nxt[i] < lo[i] and lin[i] < 0):
                lin[i] = 0.0
        if not (np.allclose(lin, was[0]) and np.allclose(ang, was[1])):
            self.clipped += 1
        return replace(action, linear=lin, angular=ang)


def _cap_norm(v: np.ndarray, cap: float) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v * (cap / n) if n > cap else v
