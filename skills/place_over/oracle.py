"""The place_over skill's scripted oracle, loaded by :func:`robomatrix.skills.oracles.make_oracle`."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from robomatrix.hardware.geometry import object_bottom, object_top, place_view
from robomatrix.hardware.interface import Action, Observation
from robomatrix.skills.oracles import Oracle, register_oracle


@register_oracle("place_over")
class PlaceOverOracle(Oracle):
    """Carry the held object over the target by a rule of the current state alone (no phase
    is remembered, so a reactive policy can imitate it from anywhere):

    * far from the target (the held object's centre more than ``near`` away horizontally):
      below the carrying height, rise straight up; at or above it, travel horizontally at the
      current height (at most 25 cm above the carrying height);
    * near it (``funnel`` .. ``near``): move across at the current height, kept at least at
      the final height;
    * above it (within ``funnel``): descend until the held object hangs ``place_height``
      above the target's top (``stack_height`` above a block: the stack's over() allows only
      5 cm), correcting horizontally; done there.

    The carrying height puts the held object's bottom ``carry_clearance`` above the table's
    clutter (``clutter_height``, the bin's rim; a three-block stack is lower) or the target's top
    if that is higher. It depends on nothing the policy cannot see: a height taken from every
    object on the table (blocks piled in the bin, the drawer cabinet) made the policy hover or
    lower early in scenes unlike its demonstrations. For a drawer the target is the middle of its mouth (the inside
    just behind the front panel, :func:`~robomatrix.skills.conditions.place_view`), its top the
    front panel's top edge.
    """

    first_phase = "carry"
    reactive = True
    object_args = ("target",)
    funnel: ClassVar[float] = 0.012  # m, horizontal error within which the held object is lowered
    near: ClassVar[float] = 0.05  # m, horizontal error within which it is moved across without rising

    def _offsets(self, obs: Observation) -> tuple[np.ndarray, float] | None:
        """(held centre - ee in xy, ee z - held bottom) or None when nothing is held."""
        held = next((o for o in obs.objects if o.id == obs.held_object_id), None)
        if held is None:
            return None
        ee = np.asarray(obs.ee_position, dtype=float)
        return np.asarray(held.position[:2], dtype=float) - ee[:2], float(ee[2]) - object_bottom(held)

    def _phase_carry(self, obs: Observation) -> Action | str:
        offsets, target = self._offsets(obs), self._obj(obs, "target")
        if offsets is None or target is None:
            return "done"
        place = place_view(target)
        ee = np.asarray(obs.ee_position, dtype=float)
        top = object_top(place)
        gap = self.config.stack_height if target.category == "block" else self.config.place_height
        goal = np.array([*(np.asarray(place.position[:2], dtype=float) - offsets[0]), top + gap + offsets[1]])
        error = float(np.hypot(*(goal[:2] - ee[:2])))
        if error <= self.funnel:
            return self._lower_to(obs, goal)
        if error <= self.near:
            action, _ = self._track(obs, np.array([goal[0], goal[1], max(float(ee[2]), goal[2])]), (0, 1), (2,))
            return action
        carry_z = max(top, self.config.clutter_height) + self.config.carry_clearance + offsets[1]
        return self._rise_or_cross(obs, goal[:2], carry_z)
