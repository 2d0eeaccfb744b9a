"""pick_up's demonstrations start from the home pose with any block of the scene."""

from __future__ import annotations

from typing import Any

import numpy as np

from robomatrix.hardware.interface import Observation
from robomatrix.learning import demos as kit


def choose(rng: np.random.Generator, obs: Observation) -> tuple[dict[str, Any], kit.Prelude]:
    return {"object": kit.pick(rng, kit.graspables(obs), "block").id}, []
