"""How the close_drawer skill's demonstrations start: which objects an episode uses and the other
skills that run first (unrecorded) to bring the world to its preconditions. Loaded by
:func:`robomatrix.learning.demos.make_episode_setup` (``choose(rng, obs) -> (args, prelude)``,
a prelude being ``[(skill, args), ...]``); the scene is drawn from ``recipe.yaml``."""

from __future__ import annotations

from typing import Any

import numpy as np

from robomatrix.hardware.interface import Observation
from robomatrix.learning import demos as kit

LOADED_DRAWER_PROBABILITY = 0.6  # chance that a block was put in the open drawer first (as in drawer_put)


def choose(rng: np.random.Generator, obs: Observation) -> tuple[dict[str, Any], kit.Prelude]:
    # In a task the drawer is mostly closed after a block was put in it: the block then lies just
    # behind the handle, which a policy that never saw it there does not cope with.
    drawer = kit.pick(rng, kit.objects_of(obs, "drawer"), "drawer (use the tabletop_drawer scene)").id
    prelude: kit.Prelude = [("move_to", {"object": drawer}), ("open_drawer", {"drawer": drawer})]
    blocks = kit.graspables(obs)
    if blocks and rng.random() < LOADED_DRAWER_PROBABILITY:
        block = kit.pick(rng, blocks, "block").id
        prelude += [("move_to", {"object": block}), ("grasp", {"object": block}),
                    ("place_over", {"target": drawer}), ("release", {})]
    return {"drawer": drawer}, [*prelude, ("move_to", {"object": drawer})]
