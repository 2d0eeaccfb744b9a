"""How the move_to skill's demonstrations start: which objects an episode uses and the other
skills that run first (unrecorded) to bring the world to its preconditions. Loaded by
:func:`robomatrix.learning.demos.make_episode_setup` (``choose(rng, obs) -> (args, prelude)``,
a prelude being ``[(skill, args), ...]``); the scene is drawn from ``recipe.yaml``."""

from __future__ import annotations

from typing import Any

import numpy as np

from robomatrix.hardware.interface import Observation
from robomatrix.learning import demos as kit

DRAWER_MOVE_TO_PROBABILITY = 0.35  # with a drawer in the scene: chance that the drawer is the target
START_MIX: tuple[tuple[str, float], ...] = (
    ("home", 0.15), ("after_release", 0.25), ("after_drawer", 0.15), ("hover", 0.3), ("anywhere", 0.15),
)
"""Where a move_to episode starts (kind, probability), see :func:`start`. ``after_drawer`` needs a
drawer in the scene; without one it is drawn as ``hover``."""


def choose(rng: np.random.Generator, obs: Observation) -> tuple[dict[str, Any], kit.Prelude]:
    # Mostly graspable things (what move_to precedes most), sometimes containers / the drawer;
    # with a drawer in the scene its handle often (open_drawer / close_drawer come next).
    drawers = kit.objects_of(obs, "drawer")
    if drawers and rng.random() < DRAWER_MOVE_TO_PROBABILITY:
        return {"object": kit.pick(rng, drawers, "drawer").id}, []
    pool = kit.graspables(obs)
    if rng.random() < 0.3 or not pool:
        pool = kit.objects_of(obs, "bowl", "bin", "drawer") or pool
    return {"object": kit.pick(rng, pool, "object to move to").id}, []


def _open(drawer: str) -> kit.Prelude:
    return [("move_to", {"object": drawer}), ("open_drawer", {"drawer": drawer})]


def start(rng: np.random.Generator, obs: Observation, args: dict[str, Any]) -> tuple[str, kit.Prelude]:
    """(start kind, prelude) for a move_to episode to ``args["object"]``, drawn from
    :data:`START_MIX`: ``home`` (nothing), ``after_release`` (another block was carried over a
    bowl, the bin, a block or the open drawer and let go: the arm rests above it, empty),
    ``after_drawer`` (the drawer was opened, or opened and closed: the arm is beside its handle)
    ``hover`` (the open gripper above or beside a random object at a random yaw) or
    ``anywhere`` (a random pose in :data:`~robomatrix.learning.demos.ANYWHERE_BOX`: where a
    person's correction, "move arm up" held for two seconds, may leave the arm)."""
    target = str(args["object"])
    kind = kit.draw(rng, START_MIX)
    drawers = kit.objects_of(obs, "drawer")
    if kind == "after_drawer" and not drawers:
        kind = "hover"
    if kind == "home":
        return kind, []
    if kind == "anywhere":
        return kind, [(kit.POSE_STEP, kit.anywhere_pose(rng))]
    if kind == "after_drawer":
        d = kit.pick(rng, drawers, "drawer").id
        prelude = _open(d)
        if target != d and rng.random() < 0.4:
            prelude += [("move_to", {"object": d}), ("close_drawer", {"drawer": d})]
        return kind, prelude
    if kind == "after_release":
        blocks = [o for o in kit.graspables(obs) if o.id != target]
        if blocks:
            b = kit.pick(rng, blocks, "block")
            prelude = []
            if drawers and rng.random() < 0.4:
                d = kit.pick(rng, drawers, "drawer").id  # drawer_put: into the open drawer, then back to close it
                prelude = _open(d)
                place_target = d
            else:
                places = [o for o in kit.objects_of(obs, "bowl", "bin", "block") if o.id not in (b.id, target)]
                if not places:
                    return "home", []
                place_target = kit.pick(rng, places, "place target").id
            return kind, [*prelude, ("move_to", {"object": b.id}), ("grasp", {"object": b.id}),
                          ("place_over", {"target": place_target}), ("release", {})]
        kind = "hover"
    around = kit.pick(rng, list(obs.objects), "object")
    return kind, [(kit.POSE_STEP, kit.hover_pose(rng, around))]
