"""Scheduling layer core (no rclpy): task text + world + skill library -> validated plan.

    from robomatrix.scheduler import Planner
    plan = Planner.from_config().plan("put the red block in the green bowl", world_objects)

Backends (config/planner.yaml ``backend:``): ``embedded`` (default, offline, the project's
own small model in skills/_planner), ``openai`` (any OpenAI-compatible endpoint),
``local`` (a transformers folder or a GGUF file).
"""

from __future__ import annotations

from robomatrix.scheduler.planner import (
    Plan,
    PlanInvalid,
    Planner,
    PlannerBackendError,
    PlannerConfig,
    PlannerError,
    PlanRefused,
    PlanStep,
    load_planner_config,
    screen_task,
)

__all__ = [
    "Plan",
    "PlanInvalid",
    "PlanRefused",
    "PlanStep",
    "Planner",
    "PlannerBackendError",
    "PlannerConfig",
    "PlannerError",
    "load_planner_config",
    "screen_task",
]
