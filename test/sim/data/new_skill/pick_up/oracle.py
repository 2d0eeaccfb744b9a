"""pick_up's scripted oracle: a skill added by adding this folder (test of issue 11)."""

from __future__ import annotations

import numpy as np

from robomatrix.hardware.interface import Action, Observation
from robomatrix.skills.oracles import Oracle, register_oracle

TRAVEL_ABOVE = 0.10  # m above the block's top while travelling to it


@register_oracle("pick_up")
class PickUpOracle(Oracle):
    """Rise and travel above the block, turn to its grasp yaw, descend open, close, lift."""

    first_phase = "travel"
    object_args = ("object",)

    def _setup(self, obs: Observation) -> None:
        self._lift_z = self._grasp_point(obs)[2] + self.config.lift

    def _phase_travel(self, obs: Observation) -> Action | str:
        point = self._grasp_point(obs)
        above = point + np.array([0.0, 0.0, TRAVEL_ABOVE])
        if np.linalg.norm(np.asarray(obs.ee_position[:2]) - point[:2]) > 2 * self.config.tolerance:
            return self._rise_or_cross(obs, point[:2], float(above[2]))
        return "align"

    def _phase_align(self, obs: Observation) -> Action | str:
        return self._align_then(obs, self._clear_grip_yaw(obs, self._obj(obs, "object")), "descend")  # type: ignore[arg-type]

    def _phase_descend(self, obs: Observation) -> Action | str:
        return self._descend_open(obs, self._grasp_point(obs), "close")

    def _phase_close(self, obs: Observation) -> Action | str:
        return self._close_on(obs, "object", "lift", "done")

    def _phase_reopen(self, obs: Observation) -> Action | str:
        self.gripper_target = 0.0
        self.attempts += 1
        return "travel"

    def _phase_lift(self, obs: Observation) -> Action | str:
        action, reached = self._track(obs, np.array([*obs.ee_position[:2], self._lift_z]), (2,))
        return "done" if reached else action
