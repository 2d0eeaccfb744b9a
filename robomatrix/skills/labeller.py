"""Automatic language-motion labels from actions (RT-H style).

Core module: imports no rclpy.

A window of end-effector commands (linear velocity (T, 3) in m/s in the world frame, yaw
rate (T,) in rad/s about +z, gripper command (T,) in 0 open ... 1 closed) is reduced to one
motion of :data:`robomatrix.policies.language_motion.VOCABULARY`, by these rules in order:

1. **Gripper first.** If the gripper command changes by more than ``gripper_threshold``
   between the first and the last tick of the window, the label is "close gripper"
   (increase) or "open gripper" (decrease).
2. **Translation.** Average the linear velocity over the window; drop every component whose
   magnitude is below ``deadband`` (m/s). Keep the dominant axis, and a second axis only if
   its magnitude is at least ``secondary_fraction`` of the dominant one. The signs give the
   words (+x forward, +y left, +z up), e.g. "move arm forward and left".
3. **Rotation.** With no translation left, a mean yaw rate of at least ``yaw_deadband``
   (rad/s) gives "rotate gripper left" (+yaw, counter-clockwise seen from above) or
   "rotate gripper right".
4. Otherwise **"stop"**.

:func:`label_trajectory` labels every tick of a trajectory with a centred or trailing
window. :func:`arrays_from_actions` and :func:`arrays_from_observations` turn sequences of
:class:`~robomatrix.hardware.interface.Action` / ``Observation`` into the three arrays.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.interface import Action, Observation
from robomatrix.policies.language_motion import (
    CLOSE_GRIPPER,
    OPEN_GRIPPER,
    ROTATE_LEFT,
    ROTATE_RIGHT,
    STOP,
    translation_motion,
)

log = logging.getLogger(__name__)

__all__ = [
    "LabellerConfig",
    "LabellingError",
    "arrays_from_actions",
    "arrays_from_observations",
    "label_actions",
    "label_trajectory",
    "label_window",
]

WINDOW_MODES = ("centred", "trailing")


class LabellingError(RobomatrixError):
    """Inputs the labeller cannot label (wrong shapes, non-finite values, unusable actions)."""


@dataclass(frozen=True)
class LabellerConfig:
    """Thresholds of the labeller. Defaults suit a tabletop arm moving at 2-25 cm/s."""

    deadband: float = (
        0.01  # m/s; mean linear components smaller than this count as no motion (sensor noise, drift)
    )
    secondary_fraction: float = 0.5  # 1; a second axis is named only if >= this fraction of the dominant axis
    yaw_deadband: float = 0.1  # rad/s; smaller mean yaw rates count as no rotation
    gripper_threshold: float = (
        0.2  # gripper command units (0 open ... 1 closed); a larger change in the window is open/close
    )
    window: int = 5  # ticks; window length used by label_trajectory (at 50 Hz, 0.1 s)
    window_mode: str = "centred"  # centred (offline labelling, sees the future) | trailing (online, causal)

    def __post_init__(self) -> None:
        def positive_finite(name: str, value: object) -> None:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ConfigError(f"LabellerConfig.{name} must be a finite number > 0, got {value!r}")

        positive_finite("deadband", self.deadband)
        positive_finite("yaw_deadband", self.yaw_deadband)
        positive_finite("gripper_threshold", self.gripper_threshold)
        positive_finite("secondary_fraction", self.secondary_fraction)
        if self.secondary_fraction > 1:
            raise ConfigError(
                f"LabellerConfig.secondary_fraction must be in (0, 1], got {self.secondary_fraction!r}; "
                "1 names a second axis only when it is as large as the dominant one"
            )
        if self.gripper_threshold >= 1:
            raise ConfigError(
                f"LabellerConfig.gripper_threshold must be below 1 (the full open-to-closed range), "
                f"got {self.gripper_threshold!r}"
            )
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1:
            raise ConfigError(f"LabellerConfig.window must be an integer >= 1 (ticks), got {self.window!r}")
        if self.window_mode not in WINDOW_MODES:
            raise ConfigError(
                f"LabellerConfig.window_mode must be one of {WINDOW_MODES}, got {self.window_mode!r}"
            )


def _check_arrays(
    linear_velocity: np.ndarray, yaw_rate: np.ndarray, gripper: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        lin = np.asarray(linear_velocity, dtype=float)
        yaw = np.asarray(yaw_rate, dtype=float)
        grip = np.asarray(gripper, dtype=float)
    except (TypeError, ValueError) as e:
        raise LabellingError(f"labeller inputs must be numeric arrays: {e}") from e
    if lin.ndim != 2 or lin.shape[1] != 3 or lin.shape[0] < 1:
        raise LabellingError(f"linear_velocity must have shape (T, 3) with T >= 1, got {lin.shape}")
    steps = lin.shape[0]
    if yaw.shape != (steps,):
        raise LabellingError(
            f"yaw_rate must have shape (T,) = ({steps},) to match linear_velocity, got {yaw.shape}"
        )
    if grip.shape != (steps,):
        raise LabellingError(
            f"gripper must have shape (T,) = ({steps},) to match linear_velocity, got {grip.shape}"
        )
    for name, arr in (("linear_velocity", lin), ("yaw_rate", yaw), ("gripper", grip)):
        if not np.all(np.isfinite(arr)):
            raise LabellingError(f"{name} contains non-finite values (NaN or inf); clean the recording first")
    return lin, yaw, grip


def _label(lin: np.ndarray, yaw: np.ndarray, grip: np.ndarray, config: LabellerConfig) -> str:
    change = float(grip[-1] - grip[0])
    if abs(change) > config.gripper_threshold:
        return CLOSE_GRIPPER if change > 0 else OPEN_GRIPPER
    mean = lin.mean(axis=0)
    magnitude = np.abs(mean)
    magnitude[magnitude < config.deadband] = 0.0
    if magnitude.max() > 0:
        order = np.argsort(-magnitude, kind="stable")
        signs = [0, 0, 0]
        dominant = int(order[0])
        signs[dominant] = int(np.sign(mean[dominant]))
        second = int(order[1])
        if magnitude[second] > 0 and magnitude[second] >= config.secondary_fraction * magnitude[dominant]:
            signs[second] = int(np.sign(mean[second]))
        return translation_motion(tuple(signs))
    mean_yaw = float(yaw.mean())
    if abs(mean_yaw) >= config.yaw_deadband:
        return ROTATE_LEFT if mean_yaw > 0 else ROTATE_RIGHT
    return STOP


def label_window(
    linear_velocity: np.ndarray,
    yaw_rate: np.ndarray,
    gripper: np.ndarray,
    config: LabellerConfig | None = None,
) -> str:
    """One language motion for a whole window.

    linear_velocity: (T, 3) m/s, world frame; yaw_rate: (T,) rad/s about +z; gripper: (T,)
    command, 0 open ... 1 closed. Returns a motion of the vocabulary.
    """
    lin, yaw, grip = _check_arrays(linear_velocity, yaw_rate, gripper)
    return _label(lin, yaw, grip, config or LabellerConfig())


def _window_bounds(t: int, steps: int, config: LabellerConfig) -> tuple[int, int]:
    if config.window_mode == "trailing":
        return max(0, t - config.window + 1), t + 1
    start = t - config.window // 2
    return max(0, start), min(steps, start + config.window)


def label_trajectory(
    linear_velocity: np.ndarray,
    yaw_rate: np.ndarray,
    gripper: np.ndarray,
    config: LabellerConfig | None = None,
) -> list[str]:
    """A language motion for every tick, each from a window around it.

    Same arrays as :func:`label_window`, T ticks; returns T labels. A ``centred`` window of
    ``window`` ticks covers ``[t - window // 2, t - window // 2 + window)``; a ``trailing``
    one ``(t - window, t]``; both are clipped at the trajectory's ends.
    """
    cfg = config or LabellerConfig()
    lin, yaw, grip = _check_arrays(linear_velocity, yaw_rate, gripper)
    steps = lin.shape[0]
    labels = []
    for t in range(steps):
        lo, hi = _window_bounds(t, steps, cfg)
        labels.append(_label(lin[lo:hi], yaw[lo:hi], grip[lo:hi], cfg))
    return labels


def arrays_from_actions(actions: Sequence[Action]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(linear (T, 3) m/s, yaw rate (T,) rad/s, gripper (T,)) from velocity or hold actions.

    A hold counts as zero velocity. A ``target`` action carries no velocity: label such
    recordings from the observed end-effector velocities (:func:`arrays_from_observations`).
    """
    if len(actions) == 0:
        raise LabellingError("no actions to label; pass at least one Action")
    lin = np.zeros((len(actions), 3))
    yaw = np.zeros(len(actions))
    grip = np.zeros(len(actions))
    for i, action in enumerate(actions):
        if action.mode == "velocity":
            lin[i] = np.asarray(action.linear, dtype=float).reshape(3)
            yaw[i] = float(np.asarray(action.angular, dtype=float).reshape(3)[2])
        elif action.mode != "hold":
            raise LabellingError(
                f"action {i} has mode {action.mode!r}, which carries no velocity; label from observations "
                "(arrays_from_observations) or record velocity actions"
            )
        grip[i] = float(action.gripper)
    return lin, yaw, grip


def arrays_from_observations(
    observations: Sequence[Observation], gripper_commands: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(linear (T, 3), yaw rate (T,), gripper (T,)) from observed end-effector velocities.

    The gripper is the command sent at each tick when given (T,), else 1.0 while the
    observation reports the gripper closed and 0.0 otherwise.
    """
    if len(observations) == 0:
        raise LabellingError("no observations to label; pass at least one Observation")
    lin = np.stack([np.asarray(o.ee_linear_velocity, dtype=float).reshape(3) for o in observations])
    yaw = np.array(
        [float(np.asarray(o.ee_angular_velocity, dtype=float).reshape(3)[2]) for o in observations]
    )
    if gripper_commands is None:
        grip = np.array([1.0 if o.gripper_closed else 0.0 for o in observations])
    else:
        grip = np.asarray(gripper_commands, dtype=float)
        if grip.shape != (len(observations),):
            raise LabellingError(
                f"gripper_commands must have one value per observation ({len(observations)}), got shape {grip.shape}"
            )
    return lin, yaw, grip


def label_actions(actions: Sequence[Action], config: LabellerConfig | None = None) -> list[str]:
    """Per-tick labels of a sequence of velocity/hold actions (see :func:`label_trajectory`)."""
    return label_trajectory(*arrays_from_actions(actions), config=config)
