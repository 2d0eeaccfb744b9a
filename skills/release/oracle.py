"""The release skill's scripted oracle, loaded by :func:`robomatrix.skills.oracles.make_oracle`."""

from __future__ import annotations

from robomatrix.hardware.interface import Action, Observation
from robomatrix.skills.oracles import Oracle, register_oracle


@register_oracle("release")
class ReleaseOracle(Oracle):
    """Open the gripper, wait until nothing is held, rise clear."""

    first_phase = "open"

    def _phase_open(self, obs: Observation) -> Action | str:
        return self._open_then("rise_clear", obs)

    def _phase_rise_clear(self, obs: Observation) -> Action | str:
        return self._rise_clear(obs)
