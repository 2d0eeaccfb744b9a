"""Perception node: the robot's objects from the RGB-D camera, on the observation the stack reads.

Parameters
  config (str): robot.yaml path; default the package's config/robot.yaml. Its camera section gives
    the camera extrinsics (position + orientation/look_at, or a 4x4 extrinsics), checked at start:
    non-finite or non-rigid extrinsics stop the node with an error; its perception section gives
    stale_after, occlusion_hold and match_distance.
Subscriptions
  camera/color/image_raw (sensor_msgs/Image, rgb8 or bgr8)
  camera/depth/image_raw (sensor_msgs/Image, 32FC1 metres or 16UC1 millimetres; aligned to colour)
  camera/depth/camera_info (sensor_msgs/CameraInfo): intrinsics of the depth image
  observation (robomatrix/WorldState): the hardware's observation (its objects are ignored)
Publishers
  perception/observation (robomatrix/WorldState): each observation with its objects replaced by the
    perceived ones (source "perception"); no objects while perception is stale (no usable camera
    frame for perception.stale_after seconds), and its perception_stale field says why ("perception
    stale: camera /camera/depth/image_raw silent for 0.52 s ...; check the camera driver"): a running
    skill stops on it with that reason and the arm holds, the scheduler fails the task with it

Only these standard topics and the config are read, so the same node runs on the simulator's
rendered camera and on a real RGB-D camera driver. Launch it with ``perception:=true``
(launch/robomatrix.launch.xml), which remaps the skill server's and scheduler's observation
to perception/observation. Frames are paired by stamp: a depth image is processed with the
colour image of the same stamp (or the newest one when the driver stamps them apart).
"""

from __future__ import annotations

from typing import Any

from rclpy.node import Node
from rclpy.qos import QoSProfile
from sensor_msgs.msg import CameraInfo, Image

from robomatrix.config import load_stack_config
from robomatrix.errors import RobomatrixError
from robomatrix.hardware.camera import CameraIntrinsics
from robomatrix.nodes.common import (
    declare,
    image_to_array,
    msg_to_observation,
    observation_to_msg,
    spin_node,
    stamp_seconds,
)
from robomatrix.perception.pipeline import Perception, PerceptionConfig

try:
    from robomatrix.msg import WorldState
except ImportError:  # pragma: no cover - common.py already raised a clear error
    raise


class PerceptionNode(Node):
    """See the module docstring for the interface."""

    def __init__(self) -> None:
        super().__init__("perception")
        config = declare(self, "config", "", "robot.yaml path; empty = the package's config/robot.yaml")
        cfg = load_stack_config(config or None)
        self.depth_topic = self.resolve_topic_name("camera/depth/image_raw")
        self.perception = Perception(PerceptionConfig.from_sections(cfg.camera, cfg.perception),
                                     camera=f"camera {self.depth_topic}")
        self.intrinsics: CameraIntrinsics | None = None
        self.colour: tuple[float, Any] | None = None  # (stamp, Image)
        self.ee_position = None
        self.stale_logged = ""
        qos = QoSProfile(depth=2)
        self.create_subscription(CameraInfo, "camera/depth/camera_info", self._on_info, qos)
        self.create_subscription(Image, "camera/color/image_raw", self._on_colour, qos)
        self.create_subscription(Image, "camera/depth/image_raw", self._on_depth, qos)
        self.create_subscription(WorldState, "observation", self._on_observation, 10)
        self.pub = self.create_publisher(WorldState, "perception/observation", 10)
        self.get_logger().info("perception up: camera/color + camera/depth -> perception/observation")

    def _on_info(self, msg: CameraInfo) -> None:
        try:
            self.intrinsics = CameraIntrinsics.from_k(msg.width, msg.height, msg.k)
        except RobomatrixError as e:
            self.get_logger().error(f"camera_info rejected: {e}", throttle_duration_sec=5.0)

    def _on_colour(self, msg: Image) -> None:
        self.colour = (stamp_seconds(msg.header.stamp), msg)

    def _on_depth(self, msg: Image) -> None:
        stamp = stamp_seconds(msg.header.stamp)
        if self.colour is None:
            self.get_logger().warning("depth image without a colour image yet: waiting for camera/color/image_raw",
                                      throttle_duration_sec=5.0)
            return
        try:
            rgb = image_to_array(self.colour[1])
            depth = image_to_array(msg)
            self.perception.on_frame(rgb, depth, self.intrinsics, stamp, self.ee_position)
        except RobomatrixError as e:
            self.perception.rejected = str(e)  # the objects go stale with this reason
            self.get_logger().error(f"camera frame not used: {e}", throttle_duration_sec=5.0)

    def _on_observation(self, msg: WorldState) -> None:
        obs = msg_to_observation(msg)
        self.ee_position = obs.ee_position
        reason = self.perception.stale_reason(obs.stamp)
        if reason != self.stale_logged:
            if reason:
                self.get_logger().warning(f"no objects published: {reason}")
            else:
                self.get_logger().info("perception is fresh: publishing perceived objects")
            self.stale_logged = reason
        world = self.perception.world(obs)
        out = observation_to_msg(world, msg.header.stamp, msg.header.frame_id or "world")
        self.pub.publish(out)


def main(argv: list[str]) -> int:
    return spin_node(PerceptionNode, argv)
