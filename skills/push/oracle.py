"""The push skill's scripted oracle, loaded by :func:`robomatrix.skills.oracles.make_oracle`."""

from __future__ import annotations

import math

import numpy as np

from robomatrix.hardware.geometry import object_top, quaternion_yaw
from robomatrix.hardware.interface import Action, Observation
from robomatrix.policies.directions import DIRECTION_VECTORS
from robomatrix.skills.oracles import Oracle, OracleError, half_extent_along, register_oracle


@register_oracle("push")
class PushOracle(Oracle):
    """Rise, go behind the object with a finger on the line through its centre, lower the
    finger beside it, push along the direction until it moved the distance, rise.

    With the gripper open the fingers sit ``finger_offset`` either side of the grasp point
    along the gripper's y axis; the finger ahead (or, pushing across the fingers, either one)
    is put right behind the object so that the push is a single-axis motion.
    """

    first_phase = "rise"
    object_args = ("object",)

    def _setup(self, obs: Observation) -> None:
        direction = self.args.get("direction")
        if direction not in ("forward", "backward", "left", "right"):
            raise OracleError(f"push needs direction forward|backward|left|right, got {direction!r}")
        self._dir = DIRECTION_VECTORS[direction]
        distance = self.args.get("distance", 0.10)
        if isinstance(distance, bool) or not isinstance(distance, int | float) or not 0 < distance <= 0.5:
            raise OracleError(f"push distance must be a number of metres in (0, 0.5], got {distance!r}")
        self._distance = float(distance)
        obj = self._obj(obs, "object")
        if obj is None:  # reset() checked it; keeps type checkers content
            raise OracleError(f"push: {self.args.get('object')!r} is not in the observation")
        self._start_xy = np.asarray(obj.position[:2], dtype=float)
        top = object_top(obj)
        self._safe_z = top + self.config.clearance
        self._push_z = float(np.clip(top - 0.015, self.config.min_z, 0.035))
        # The finger offset in the world: along the gripper's y axis at its current yaw.
        yaw = quaternion_yaw(obs.ee_orientation)
        finger = self.config.finger_offset * np.array([-math.sin(yaw), math.cos(yaw), 0.0])
        along = float(finger @ self._dir)
        if abs(along) > 1e-6:
            finger = finger if along > 0 else -finger  # the finger ahead pushes
        elif (finger[1] > 0) != (float(obj.position[1]) > 0):
            finger = -finger  # across the fingers: the grasp point goes to the side nearer y = 0
        self._finger = finger
        self._pusher_gap = half_extent_along(obj, self._dir) + self.config.push_standoff
        self._recover_xy = 0.02  # m, an approach or push this far off the line starts over

    def _start_point(self, obs: Observation) -> np.ndarray:
        obj = self._obj(obs, "object")
        centre = np.asarray(obj.position, dtype=float) if obj is not None else np.zeros(3)
        p = centre - self._dir * self._pusher_gap - self._finger
        p = np.array([p[0], p[1], self._push_z])
        return np.clip(p, self.limits.workspace_min, self.limits.workspace_max)

    def _moved(self, obs: Observation) -> float:
        """How far (m) the object has moved along the push direction since reset()."""
        obj = self._obj(obs, "object")
        return 0.0 if obj is None else float((np.asarray(obj.position[:2]) - self._start_xy) @ self._dir[:2])

    def _phase_rise(self, obs: Observation) -> Action | str:
        if self.attempts and self._moved(obs) >= self._distance:
            return "retreat"  # a retry is not needed any more: it slid far enough
        if obs.ee_position[2] >= self._safe_z - self.config.tolerance:
            return "travel"
        action, _ = self._track(obs, np.array([*obs.ee_position[:2], self._safe_z]), (2,))
        return action

    def _phase_travel(self, obs: Observation) -> Action | str:
        start = self._start_point(obs)
        action, reached = self._track(obs, np.array([start[0], start[1], self._safe_z]), (0, 1), (2,))
        return "lower" if reached else action

    def _phase_lower(self, obs: Observation) -> Action | str:
        start = self._start_point(obs)
        if self.phase_ticks > self.config.lower_ticks:
            return "retreat"  # something is in the way of the fingers: give up rather than press on it
        off = float(np.hypot(*(start[:2] - obs.ee_position[:2])))
        if off > self._recover_xy and self.attempts < self.config.retries:
            self.attempts += 1
            return "rise"  # knocked off the approach: going down here could drag the object
        action, reached = self._track(obs, start, (2,), (0, 1))
        if reached:
            self._push_from = np.asarray(obs.ee_position[:2], dtype=float)
            return "push"
        return action

    def _phase_push(self, obs: Observation) -> Action | str:
        obj = self._obj(obs, "object")
        if obj is None:
            return "retreat"
        moved = self._moved(obs)
        travelled = float((np.asarray(obs.ee_position[:2]) - self._push_from) @ self._dir[:2])
        limit = self._distance + self.config.push_standoff + 0.05
        if moved >= self._distance + self.config.push_overshoot or travelled >= limit:
            return "retreat"
        # Keep the finger on the line through the object's centre and at the push height.
        line = np.asarray(obj.position, dtype=float) - self._finger
        lateral = np.array([-self._dir[1], self._dir[0], 0.0])
        cfg = self.config
        err_lat = float((line - np.asarray(obs.ee_position)) @ lateral)
        ahead = float((line - np.asarray(obs.ee_position)) @ self._dir)
        if (abs(err_lat) > self._recover_xy or ahead < 0.0) and self.attempts < cfg.retries:
            self.attempts += 1  # lost the object (knocked aside): approach it again from behind
            return "rise"
        v = self._dir * cfg.push_speed
        v = v + lateral * float(np.clip(cfg.gain * err_lat, -cfg.correction_speed, cfg.correction_speed))
        v[2] = float(np.clip(cfg.gain * (self._push_z - obs.ee_position[2]), -cfg.correction_speed,
                             cfg.correction_speed))
        return self._velocity(v)

    def _phase_retreat(self, obs: Observation) -> Action | str:
        action, reached = self._track(obs, np.array([*obs.ee_position[:2], self._safe_z]), (2,))
        return "done" if reached else action
