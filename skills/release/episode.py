"""How the release skill's demonstrations start: which objects an episode uses and the other
skills that run first (unrecorded) to bring the world to its preconditions. Loaded by
:func:`robomatrix.learning.demos.make_episode_setup` (``choose(rng, obs) -> (args, prelude)``,
a prelude being ``[(skill, args), ...]``); the scene is drawn from ``recipe.yaml``."""

from __future__ import annotations

from typing import Any

import numpy as np

from robomatrix.hardware.interface import Observation
from robomatrix.learning import demos as kit


def choose(rng: np.random.Generator, obs: Observation) -> tuple[dict[str, Any], kit.Prelude]:
    obj = kit.pick(rng, kit.graspables(obs), "block").id
    places = [o for o in kit.objects_of(obs, "bowl", "bin", "block") if o.id != obj]
    target = kit.pick(rng, places, "place target").id
    return {}, [("move_to", {"object": obj}), ("grasp", {"object": obj}), ("place_over", {"target": target})]
