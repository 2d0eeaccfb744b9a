"""The plan and its errors: what a planner returns, what a backend is, what can go wrong.

Core module: imports no rclpy and nothing else of the scheduler but the goal atom type, so the
behaviour tree, the backends and the planner all depend on it and never on each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from robomatrix.errors import RobomatrixError
from robomatrix.scheduler.prompt import Prompt
from robomatrix.scheduler.symbolic import GoalAtom

__all__ = ["Plan", "PlanInvalid", "PlanRefused", "PlanStep", "PlannerBackend", "PlannerBackendError", "PlannerError"]


# --------------------------------------------------------------------------- errors


class PlannerError(RobomatrixError):
    """Base class of the planner's errors."""


class PlanRefused(PlannerError):
    """The task is refused; ``kind`` says why (see robomatrix.learning.tasks.REFUSAL_KINDS,
    plus ``model`` for a refusal written by the backend)."""

    def __init__(self, reason: str, kind: str = "model") -> None:
        super().__init__(f"task refused ({kind}): {reason}")
        self.reason = reason
        self.kind = kind


class PlanInvalid(PlannerError):
    """The backend's answer was invalid twice (first answer and the re-ask)."""

    def __init__(self, errors: Sequence[str], answers: Sequence[str] = (), source: str = "") -> None:
        self.errors = tuple(errors)
        self.answers = tuple(answers)
        numbered = "; ".join(f"attempt {i + 1}: {e}" for i, e in enumerate(self.errors))
        origin = f" (from {source})" if source else ""
        super().__init__(
            f"the planner's answer{origin} was invalid after a re-ask ({numbered}); fix: rephrase the task, "
            "check the world objects, or use a stronger backend (config/planner.yaml)"
        )


class PlannerBackendError(PlannerError):
    """The backend could not answer: endpoint down, too slow, HTTP error, missing model."""


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class PlanStep:
    """One step of a plan: what the behaviour tree runs (:func:`robomatrix.scheduler.tree.build_tree`)."""

    skill: str
    args: Mapping[str, Any]  # grounded: object ids, direction words, numbers (defaults filled in)
    written: Mapping[str, Any] = field(default_factory=dict)  # the arguments as the backend wrote them ({}: none)

    def to_data(self) -> dict[str, Any]:
        return {"skill": self.skill, "args": dict(self.args)}


@dataclass(frozen=True)
class Plan:
    steps: tuple[PlanStep, ...]
    raw_text: str  # the backend's accepted answer, verbatim
    backend: str
    latency_s: float  # wall time of plan(), screening to grounding, both attempts included
    attempts: int = 1  # 2 when the re-ask was needed
    task: str = ""
    goal: tuple[GoalAtom, ...] = ()  # what must hold on the settled world when the task is done
    goal_text: str = ""  # the goal in words
    goal_given: bool = True  # False: the backend wrote no goal, it is what its steps imply

    def to_data(self) -> list[dict[str, Any]]:
        return [s.to_data() for s in self.steps]


class PlannerBackend(Protocol):
    name: str

    def complete(self, prompt: Prompt) -> str:
        """The model's answer text. Raises PlannerBackendError when it cannot answer."""
        ...
