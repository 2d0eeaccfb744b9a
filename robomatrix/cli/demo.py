"""``robomatrix demo``: the stack on the embedded defaults, shown working.

Starts the launch file (simulated robot), resets the scene with a seed, drives the arm
through waypoints above the objects it sees, prints the observation stream, saves a
camera frame and a JSON summary, stops every node and exits 0 when all went well.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from robomatrix.errors import RobomatrixError


def _pos(msg: Any) -> np.ndarray:
    p = msg.ee_pose.position
    return np.array([p.x, p.y, p.z])


def plan_waypoints(world: Any) -> list[tuple[str, np.ndarray]]:
    """Hover 15 cm above up to three objects, then come back to the start."""
    start = _pos(world)
    points = []
    for o in list(world.objects)[:3]:
        q = o.pose.position
        points.append((f"above {o.name}", np.array([q.x, q.y, max(q.z + 0.15, 0.15)])))
    points.append(("back to start", start))
    return points


def run_demo(args: argparse.Namespace) -> int:
    from sensor_msgs.msg import Image

    from robomatrix.cli.ros_client import RosClient
    from robomatrix.cli.verbs import format_world_state
    from robomatrix.hardware.interface import Action
    from robomatrix.launcher import parse_launch_file
    from robomatrix.launcher.runner import LaunchRunner, resolve_launch_file
    from robomatrix.msg import ArmCommand, WorldState
    from robomatrix.nodes.common import action_to_command
    from robomatrix.srv import Reset

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    say = sys.stdout.write
    description = parse_launch_file(resolve_launch_file("robomatrix.launch.xml"),
                                    {"robot": "sim", "gui": "true" if args.gui else "false"})
    summary: dict[str, Any] = {"seed": args.seed, "waypoints": [], "ok": False}
    with LaunchRunner(description) as runner, RosClient() as ros:
        world = ros.wait_for_message(WorldState, "observation", timeout=60.0)
        res = ros.call(Reset, "reset", Reset.Request(seed=args.seed, scene=""), timeout=10.0)
        if not res.success:
            raise RobomatrixError(f"reset failed: {res.message}")
        worlds: list[Any] = []
        images: list[Any] = []
        ros.node.create_subscription(WorldState, "observation", worlds.append, 10)
        ros.node.create_subscription(Image, "camera/image_raw", images.append, 2)
        pub = ros.node.create_publisher(ArmCommand, "command", 10)
        deadline = time.monotonic() + 10.0
        while (not worlds or pub.get_subscription_count() == 0) and time.monotonic() < deadline:
            ros.spin_once(0.05)
        world = worlds[-1] if worlds else world
        say("world after reset:\n" + format_world_state(world) + "\n")
        period = 1.0 / 60.0
        for label, target in plan_waypoints(world):
            t0 = time.monotonic()
            reached = False
            last_print = 0.0
            cmd = action_to_command(Action(mode="target", target_position=target))
            while time.monotonic() - t0 < 12.0:
                pub.publish(cmd)
                ros.spin_once(period)
                err = float(np.linalg.norm(_pos(worlds[-1]) - target))
                if time.monotonic() - last_print > 1.0:
                    say(f"  -> {label}: {err * 100:.1f} cm to go\n")
                    last_print = time.monotonic()
                if err < 0.01:
                    reached = True
                    break
            took = time.monotonic() - t0
            say(f"waypoint {label!r}: {'reached' if reached else 'NOT reached'} in {took:.1f} s\n")
            summary["waypoints"].append({"label": label, "target": target.round(4).tolist(),
                                         "reached": reached, "seconds": round(took, 2)})
        # stop commanding: the watchdog must hold the arm
        ros_hold_end = time.monotonic() + 1.0
        while time.monotonic() < ros_hold_end:
            ros.spin_once(0.05)
        summary["watchdog_holding_after_commands_stop"] = bool(worlds[-1].watchdog_holding)
        if images:
            from PIL import Image as PILImage

            img = images[-1]
            arr = np.frombuffer(bytes(img.data), dtype=np.uint8).reshape(img.height, img.width, 3)
            PILImage.fromarray(arr).save(out / "camera.png")
            summary["camera_frame"] = str(out / "camera.png")
            say(f"camera frame saved to {out / 'camera.png'} ({img.width}x{img.height})\n")
        say("final state:\n" + format_world_state(worlds[-1]) + "\n")
        code = runner.shutdown()
    summary["nodes_exit_code"] = code
    summary["ok"] = (code == 0 and all(w["reached"] for w in summary["waypoints"]) and "camera_frame" in summary
                     and summary["watchdog_holding_after_commands_stop"])
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    say(f"summary written to {out / 'summary.json'}: {'OK' if summary['ok'] else 'FAILED'}\n")
    return 0 if summary["ok"] else 1
