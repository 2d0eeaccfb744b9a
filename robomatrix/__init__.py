"""robomatrix: a skill-centric robot agent on ROS 2.

Layers (folders): ``scheduler/`` (LLM plans and behaviour trees), ``skills/`` (meta-skill
policies), ``hardware/`` (robot interface, simulation, real-robot bridge), ``nodes/``
(thin rclpy adapters) and ``cli/``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__version__ = "0.1.0"

# Generated interfaces (robomatrix.msg / .srv / .action).  An installed package
# (colcon / ament) has them next to this file.  A development checkout builds them into
# the virtual environment under lib/robomatrix_interfaces (see Makefile) and imports the
# sources from the tree, so the generated modules are added to this package's path.
if not (Path(__file__).parent / "msg").is_dir():
    _generated = Path(
        os.environ.get("ROBOMATRIX_INTERFACES_DIR", Path(sys.prefix) / "lib" / "robomatrix_interfaces")
    ) / "robomatrix"
    if _generated.is_dir():
        __path__.append(str(_generated))  # noqa: F821 - module attribute of a package
