"""How the place_over skill's demonstrations start: which objects an episode uses and the other
skills that run first (unrecorded) to bring the world to its preconditions. Loaded by
:func:`robomatrix.learning.demos.make_episode_setup` (``choose(rng, obs) -> (args, prelude)``,
a prelude being ``[(skill, args), ...]``); the scene is drawn from ``recipe.yaml``."""

from __future__ import annotations

from typing import Any

import numpy as np

from robomatrix.hardware.interface import Observation
from robomatrix.learning import demos as kit

DRAWER_TARGET_PROBABILITY = 0.7  # with a drawer in the scene: chance that the drawer is the target


def choose(rng: np.random.Generator, obs: Observation) -> tuple[dict[str, Any], kit.Prelude]:
    obj = kit.pick(rng, kit.graspables(obs), "block").id
    pick_up: kit.Prelude = [("move_to", {"object": obj}), ("grasp", {"object": obj})]
    drawers = kit.objects_of(obs, "drawer")
    if drawers and rng.random() < DRAWER_TARGET_PROBABILITY:
        # Into the drawer: open it first (the precondition accessible(drawer)), then pick the block up.
        drawer = kit.pick(rng, drawers, "drawer").id
        return {"target": drawer}, [("move_to", {"object": drawer}), ("open_drawer", {"drawer": drawer}), *pick_up]
    targets = [o for o in kit.objects_of(obs, "bowl", "bin", "block") if o.id != obj]
    return {"target": kit.pick(rng, targets, "place target").id}, pick_up
