"""The grasp skill's scripted oracle, loaded by :func:`robomatrix.skills.oracles.make_oracle`."""

from __future__ import annotations

import numpy as np

from robomatrix.hardware.interface import Action, Observation
from robomatrix.skills.oracles import Oracle, register_oracle


@register_oracle("grasp")
class GraspOracle(Oracle):
    """Turn to the grasp yaw if needed, descend around the object, close until it is held
    (retry from above if not), lift."""

    first_phase = "align"
    object_args = ("object",)

    def _setup(self, obs: Observation) -> None:
        self._lift_z = self._grasp_point(obs)[2] + self.config.lift

    def _phase_align(self, obs: Observation) -> Action | str:
        return self._align_then(obs, self._clear_grip_yaw(obs, self._obj(obs, "object")), "descend")  # type: ignore[arg-type]

    def _phase_descend(self, obs: Observation) -> Action | str:
        return self._descend_open(obs, self._grasp_point(obs), "close")

    def _phase_close(self, obs: Observation) -> Action | str:
        result = self._close_on(obs, "object", "lift", "done")
        if result == "lift":
            self._lift_z = float(obs.ee_position[2]) + self.config.lift
        return result

    def _phase_reopen(self, obs: Observation) -> Action | str:
        self.gripper_target = 0.0
        if self.phase_ticks < self.config.open_ticks:
            return self._velocity(np.zeros(3))
        point = self._grasp_point(obs)
        action, reached = self._track(obs, point + np.array([0.0, 0.0, self.config.approach_height]), (2,), (0, 1))
        if reached:
            self.attempts += 1
            return "align"
        return action

    def _phase_lift(self, obs: Observation) -> Action | str:
        if obs.held_object_id != self.args["object"]:
            return "reopen" if self.attempts < self.config.retries else "done"
        target = np.array([*obs.ee_position[:2], self._lift_z])
        action, reached = self._track(obs, target, (2,))
        return "done" if reached else action
