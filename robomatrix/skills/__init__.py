"""Meta-skills: the skill library as data, the language-motion vocabulary and its labeller.

Core modules here import no rclpy: :mod:`.language_motion` (the RT-H vocabulary and free-text
parser), :mod:`.labeller` (actions -> language motions) and :mod:`.spec` (skill specs loaded
from the ``skills/`` folder, argument grounding, plan schema and prompt text).
"""

from __future__ import annotations
