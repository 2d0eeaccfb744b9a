"""The close_drawer skill's scripted oracle, loaded by :func:`robomatrix.skills.oracles.make_oracle`."""

from __future__ import annotations

from robomatrix.skills.oracles import DrawerOracle, register_oracle


@register_oracle("close_drawer")
class CloseDrawerOracle(DrawerOracle):
    """Grasp the handle, push the drawer in until it is shut, let go, rise."""

    slide_sign = 1.0

    def _finished(self, opening: float) -> bool:
        return opening <= self.config.drawer_closed_target
