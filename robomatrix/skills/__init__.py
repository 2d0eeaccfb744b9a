"""Meta-skill layer: the skill library as data, conditions, oracles and the skill executor.

Core modules here import no rclpy: :mod:`.spec` (skill specs loaded from the ``skills/``
folder, argument grounding, plan schema and prompt text), :mod:`.conditions` (predicates on
the world), :mod:`.oracles` (scripted experts), :mod:`.labeller` (actions -> language
motions), :mod:`.executor` (one skill run tick by tick) and :mod:`.recording` (episodes to
MCAP). Layer rule: imports only :mod:`robomatrix.policies` and :mod:`robomatrix.hardware`.
"""

from __future__ import annotations
