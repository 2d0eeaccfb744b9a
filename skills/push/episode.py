"""How the push skill's demonstrations start: which objects an episode uses and the other
skills that run first (unrecorded) to bring the world to its preconditions. Loaded by
:func:`robomatrix.learning.demos.make_episode_setup` (``choose(rng, obs) -> (args, prelude)``,
a prelude being ``[(skill, args), ...]``); the scene is drawn from ``recipe.yaml``."""

from __future__ import annotations

from typing import Any

import numpy as np

from robomatrix.hardware.interface import (
    ObjectInfo,  # noqa: E402
    Observation,
)
from robomatrix.learning import demos as kit
from robomatrix.policies.directions import DIRECTION_VECTORS  # noqa: E402


def choose(rng: np.random.Generator, obs: Observation) -> tuple[dict[str, Any], kit.Prelude]:
    candidates = kit.graspables(obs) + kit.objects_of(obs, "bowl")
    for _ in range(100):
        obj = kit.pick(rng, candidates, "block or bowl")
        direction = ("forward", "backward", "left", "right")[int(rng.integers(4))]
        distance = round(float(rng.uniform(0.05, 0.15)), 3)
        if push_is_clear(obs, obj, direction, distance):
            return {"object": obj.id, "direction": direction, "distance": distance}, [("move_to", {"object": obj.id})]
    raise kit.DemoSetupError("no push with a clear path in this layout")


def _radius(o: ObjectInfo) -> float:
    return 0.5 * float(np.hypot(o.size[0], o.size[1]))


def push_is_clear(obs: Observation, obj: ObjectInfo, direction: str, distance: float) -> bool:
    """True when the swept corridor of a push (gripper behind the object to its end position)
    is free of other objects and stays inside the reachable table area."""
    d = DIRECTION_VECTORS[direction][:2]
    centre = np.asarray(obj.position[:2], dtype=float)
    r = _radius(obj)
    start = centre - d * (r + 0.07)  # where the fingers go down (with the hand around them)
    end = centre + d * (distance + 0.02)
    if not (0.32 <= end[0] <= 0.72 and -0.38 <= end[1] <= 0.38 and 0.27 <= start[0] <= 0.78
            and -0.43 <= start[1] <= 0.43):
        return False
    seg = end - start
    for other in obs.objects:
        if other.id == obj.id:
            continue
        p = np.asarray(other.position[:2], dtype=float)
        u = float(np.clip((p - start) @ seg / float(seg @ seg), 0.0, 1.0))
        if float(np.linalg.norm(start + u * seg - p)) < r + _radius(other) + 0.02:
            return False
    return True
