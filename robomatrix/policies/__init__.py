"""Skill policies (RT-H language-motion policy and flat ablation), their features, data and training.

Core package: imports no rclpy. :mod:`.language_motion` is the RT-H vocabulary and its
free-text parser, :mod:`.directions` holds the direction words, :mod:`.features` builds the observation vector, :mod:`.model` holds the
torch policies and their checkpoints. Training lives in the offline-learning wing
(:mod:`robomatrix.learning`). Layer rule: imports only :mod:`robomatrix.hardware`.
"""

from __future__ import annotations

from robomatrix.policies.directions import DIRECTIONS, HORIZONTAL_DIRECTIONS
from robomatrix.policies.features import (
    FeatureLayout,
    PolicyInputError,
    augment,
    build_features,
    feature_dim,
)

__all__ = [
    "DIRECTIONS",
    "HORIZONTAL_DIRECTIONS",
    "FeatureLayout",
    "PolicyInputError",
    "augment",
    "build_features",
    "feature_dim",
]
