"""Perception: the robot's objects from an RGB-D camera instead of the simulator's truth.

Core package: imports no rclpy and no pybullet, so it runs on frames from the simulator,
from recorded data or from a real camera alike, and is tested without a ROS graph.

Layer: between ``policies`` and ``hardware`` in the import contract (pyproject.toml). It
reads only hardware-level vocabulary, the :class:`~robomatrix.hardware.interface.ObjectInfo`
it produces, the colour table of the simulated world and the drawer's geometry, and turns
sensor data into the same world description a backend gives; the skills, policies and the
scheduler above it consume that description without knowing where it came from. It is not
*inside* hardware because a backend is one robot, whereas perception is a consumer of any
backend's camera streams (the simulated one, or a real RealSense through ROS topics).

- :mod:`.detector`: one frame -> detected objects (plane fit, clustering, category, colour, pose).
- :mod:`.tracker`: detections over time -> objects with stable ids, occlusion hold, held objects
  following the gripper, and staleness when the camera stops.
"""

from __future__ import annotations

from robomatrix.perception.detector import Detection, DetectorConfig, PerceptionError, RGBDFrame, detect
from robomatrix.perception.tracker import Tracker, TrackerConfig

__all__ = ["Detection", "DetectorConfig", "PerceptionError", "RGBDFrame", "Tracker", "TrackerConfig", "detect"]
