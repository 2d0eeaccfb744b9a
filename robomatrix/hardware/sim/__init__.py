"""PyBullet simulation backend of the hardware layer (core: imports no rclpy).

``SimRobot`` drives a simulated Franka Panda on a table; ``SimConfig`` says how to run it;
scenes live in ``config/scenes/*.yaml`` and are read with ``load_scene``.
"""

from __future__ import annotations

from robomatrix.hardware.sim.robot import JOINT_NAMES, SeedError, SimConfig, SimRobot, check_seed
from robomatrix.hardware.sim.scene import (
    CATEGORIES,
    COLOURS,
    HELD_OUT_COLOURS,
    ObjectSpec,
    Placement,
    SceneConfig,
    available_scenes,
    check_scene_name,
    load_scene,
    sample_layout,
)

__all__ = [
    "CATEGORIES",
    "COLOURS",
    "HELD_OUT_COLOURS",
    "JOINT_NAMES",
    "ObjectSpec",
    "Placement",
    "SceneConfig",
    "SeedError",
    "SimConfig",
    "SimRobot",
    "available_scenes",
    "check_scene_name",
    "check_seed",
    "load_scene",
    "sample_layout",
]
