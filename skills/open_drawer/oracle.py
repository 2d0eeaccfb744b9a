"""The open_drawer skill's scripted oracle, loaded by :func:`robomatrix.skills.oracles.make_oracle`."""

from __future__ import annotations

from robomatrix.skills.oracles import DrawerOracle, register_oracle


@register_oracle("open_drawer")
class OpenDrawerOracle(DrawerOracle):
    """Grasp the handle, pull the drawer out until it is (nearly) fully open, let go, rise."""

    slide_sign = -1.0

    def _finished(self, opening: float) -> bool:
        return opening >= self.config.drawer_open_target
