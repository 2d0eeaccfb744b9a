"""The move_to skill's scripted oracle, loaded by :func:`robomatrix.skills.oracles.make_oracle`."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from robomatrix.hardware.geometry import object_top
from robomatrix.hardware.interface import Action, Observation
from robomatrix.skills.oracles import Oracle, move_to_goal, register_oracle


@register_oracle("move_to")
class MoveToOracle(Oracle):
    """Reach the ready pose (see ``move_to_goal``) by a rule of the current state alone, so a
    reactive policy can imitate it from wherever the arm starts (no phase is remembered):

    * not yet above the goal (horizontal error > ``funnel``): below the travel height, rise
      straight up; at or above it, travel horizontally at the current height (at most 25 cm
      above the travel height);
    * above the goal: turn the gripper to the object's grasp yaw (blocks, objects, the drawer
      handle) if it is off, else descend with small horizontal corrections; done at the goal.

    The gripper opens on the way if it was closed (a missed grasp leaves it closed on nothing).

    The travel height is ``clearance`` above the goal, and 3 cm above the top of anything
    tall right beside the gripper (a drawer handle just let go of), or the open fingers would
    drag it along.
    """

    first_phase = "reach"
    reactive = True
    object_args = ("object",)
    near_xy: ClassVar[float] = 0.08  # m, objects this close to the gripper (horizontally) are cleared first
    funnel: ClassVar[float] = 0.02  # m, horizontal error within which the gripper turns and descends

    def _goal(self, obs: Observation) -> np.ndarray:
        obj = self._obj(obs, "object")
        if obj is not None:
            self._last_goal = move_to_goal(obj, self.config)
        return self._last_goal

    def _setup(self, obs: Observation) -> None:
        self._last_goal = move_to_goal(self._obj(obs, "object"), self.config)  # type: ignore[arg-type]
        self.gripper_target = 0.0  # it brings an open gripper (grasp needs one); a missed grasp left it closed

    def _travel_z(self, obs: Observation, goal: np.ndarray) -> float:
        ee = np.asarray(obs.ee_position, dtype=float)
        tops = [object_top(o) for o in obs.objects
                if float(np.hypot(*(np.asarray(o.position[:2]) - ee[:2]))) <= self.near_xy
                and object_top(o) > ee[2] - 0.05]
        return max([float(goal[2]) + self.config.clearance] + [t + 0.03 for t in tops])

    def _phase_reach(self, obs: Observation) -> Action | str:
        goal = self._goal(obs)
        ee = np.asarray(obs.ee_position, dtype=float)
        if float(np.hypot(*(goal[:2] - ee[:2]))) > self.funnel:
            return self._rise_or_cross(obs, goal[:2], self._travel_z(obs, goal))
        obj = self._obj(obs, "object")
        if obj is not None and obj.category not in ("bowl", "bin"):
            yaw, period = self._clear_grip_yaw(obs, obj)
            action, aligned = self._turn(obs, yaw, period)
            if not aligned:
                return action
        return self._lower_to(obs, goal)
