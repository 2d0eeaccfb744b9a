"""Offline learning: demonstrations, DAgger, training, evaluation, planner data and training.

Runtime packages (hardware, policies, skills, scheduler, nodes) never import this wing
(checked by import-linter, see ``.importlinter``); it imports them. Modules:
:mod:`.demos` (oracle demonstrations and episode setups), :mod:`.dataset` (recorded
episodes as training arrays), :mod:`.train` (policy training), :mod:`.dagger` (DAgger with
the oracle or a person as the expert), :mod:`.evaluation` (per-skill success in
simulation), :mod:`.tasks` and :mod:`.train_planner` (the embedded planner's data and
training).
"""

from __future__ import annotations
