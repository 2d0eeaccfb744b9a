"""Skill policies (RT-H language-motion policy and flat ablation), their features, data and training.

Core package: imports no rclpy. :mod:`.features` builds the observation vector,
:mod:`.model` holds the torch policies and their checkpoints, :mod:`.dataset` records and
loads demonstrations as ROS 2 MCAP files, :mod:`.train` fits the policies.
"""

from __future__ import annotations

from robomatrix.policies.features import (
    DIRECTIONS,
    FEATURE_DIM,
    FeatureLayout,
    PolicyInputError,
    augment,
    build_features,
    feature_dim,
)

__all__ = [
    "DIRECTIONS",
    "FEATURE_DIM",
    "FeatureLayout",
    "PolicyInputError",
    "augment",
    "build_features",
    "feature_dim",
]
