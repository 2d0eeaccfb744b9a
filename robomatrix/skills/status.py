"""The words a running skill is described with, as enums. Core: no rclpy, imports nothing of the project.

They are :class:`enum.StrEnum`: each member *is* its string, so the values that cross ROS
messages (ExecuteSkill feedback's ``source``, LanguageMotion's ``source``) and logs stay the
words they were ("running", "person"), and a plain string from a message compares equal.
"""

from __future__ import annotations

from enum import StrEnum


class SkillStatus(StrEnum):
    """Where one run of one skill stands (skill executions, skill handles, the skill server)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"  # a cancel request ended it (the skill server answers the goal CANCELED)


class MotionSource(StrEnum):
    """Who chose the language motion executed in a control tick."""

    POLICY = "policy"
    PERSON = "person"


# Why a skill ends when the hardware reports the e-stop engaged; the skill server sends it as the
# ExecuteSkill result's reason, and the scheduler reads it to fail the task without retrying.
ESTOP_REASON = "e-stop engaged: skill aborted, the arm holds"

# Every reason that perception went stale starts with this (the perception node's stale reason,
# a skill stopped by it, a task ended by it); the scheduler reads it to fail the task without
# retrying or replanning: a new attempt could only act on the same unknown world.
PERCEPTION_STALE = "perception stale"
