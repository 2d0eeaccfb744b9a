"""Hardware-layer benchmark: simulation speed, command-to-motion latency across processes,
achieved observation and camera rates. Writes JSON (default bench/results/hardware.json).

    .venv/bin/python bench/bench_hardware.py            # full run (~1 minute)
    .venv/bin/python bench/bench_hardware.py --quick    # smoke run (used by the tests)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from robomatrix.rosenv import apply_ros_defaults

HERE = Path(__file__).resolve().parent


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, object]:
    return {"cpu": cpu_model(), "cores": os.cpu_count(),
            "python": platform.python_version(), "system": platform.platform()}


def policy_bench_start() -> Any:
    """The common start of the policy benchmarks: the ROS defaults, one torch thread (timings
    comparable across machines); returns the skill library."""
    import torch

    from robomatrix.skills.spec import load_skill_library

    apply_ros_defaults()
    torch.set_num_threads(1)
    return load_skill_library()


def sim_speed(seconds: float) -> dict[str, float]:
    """Headless simulation with the arm moving: simulated seconds per wall second."""
    from robomatrix.config import load_stack_config
    from robomatrix.hardware.interface import Action
    from robomatrix.hardware.sim import SimConfig, SimRobot

    cfg = load_stack_config()
    sim = dict(cfg.sim, control_hz=cfg.control.rate_hz)
    with SimRobot(SimConfig.from_dict(sim), cfg.safety) as robot:
        robot.reset(seed=0)
        t0, ticks = time.perf_counter(), 0
        while robot.sim_time < seconds:
            vy = 0.1 * np.sign(np.sin(robot.sim_time * 2.0))
            robot.send_action(Action(linear=np.array([0.0, vy, 0.0])))
            robot.step()
            ticks += 1
        wall = time.perf_counter() - t0
        t1 = time.perf_counter()
        frames = 20
        for _ in range(frames):
            robot.get_observation(with_image=True)
        cam = frames / (time.perf_counter() - t1)
        simulated = robot.sim_time
    return {"real_time_factor": simulated / wall, "control_ticks_per_s": ticks / wall,
            "physics_steps_per_s": ticks * SimConfig.from_dict(sim).physics_hz / cfg.control.rate_hz / wall,
            "camera_render_fps": cam}


def ros_metrics(seconds: float, trials: int) -> dict[str, float]:
    """Start the hardware node as its own process; measure rates and command-to-motion latency."""
    import rclpy
    from sensor_msgs.msg import Image

    from robomatrix.hardware.interface import Action
    from robomatrix.msg import ArmCommand, WorldState
    from robomatrix.nodes.common import action_to_command

    cfg = Path(tempfile.mkdtemp()) / "robot.yaml"
    import yaml

    from robomatrix.config import default_config_path

    data = yaml.safe_load(default_config_path().read_text())
    data["control"]["observation_rate_hz"] = data["control"]["rate_hz"]  # finest latency resolution
    cfg.write_text(yaml.safe_dump(data))
    proc = subprocess.Popen([sys.executable, "-m", "robomatrix.nodes", "hardware", "--ros-args",
                             "-p", f"config:={cfg}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rclpy.init()
    node = rclpy.create_node("bench_hardware")
    obs: list[tuple[float, WorldState]] = []
    imgs: list[float] = []
    node.create_subscription(WorldState, "observation", lambda m: obs.append((time.perf_counter(), m)), 100)
    node.create_subscription(Image, "camera/image_raw", lambda m: imgs.append(time.perf_counter()), 10)
    pub = node.create_publisher(ArmCommand, "command", 10)
    try:
        end = time.monotonic() + 60
        while (not obs or pub.get_subscription_count() == 0) and time.monotonic() < end:
            rclpy.spin_once(node, timeout_sec=0.05)
        obs.clear()
        imgs.clear()
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            rclpy.spin_once(node, timeout_sec=0.05)
        obs_rate, cam_rate = len(obs) / seconds, len(imgs) / seconds
        latencies = []
        hold = action_to_command(Action.hold())
        for k in range(trials):
            for _ in range(20):  # settle while holding
                pub.publish(hold)
                rclpy.spin_once(node, timeout_sec=1 / 60)
            start = obs[-1][1].ee_pose.position
            direction = 1.0 if k % 2 == 0 else -1.0
            move = action_to_command(Action(linear=np.array([0.0, 0.2 * direction, 0.0])))
            n0 = len(obs)
            t_cmd = time.perf_counter()
            moved_at = None
            while time.perf_counter() - t_cmd < 1.0 and moved_at is None:
                pub.publish(move)
                rclpy.spin_once(node, timeout_sec=0.002)
                for t, m in obs[n0:]:
                    if abs(m.ee_pose.position.y - start.y) > 5e-4:
                        moved_at = t
                        break
            if moved_at is not None:
                latencies.append((moved_at - t_cmd) * 1000)
    finally:
        node.destroy_node()
        rclpy.shutdown()
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
    lat = np.array(latencies) if latencies else np.array([np.nan])
    return {"observation_rate_hz": obs_rate, "camera_rate_hz": cam_rate,
            "command_to_motion_ms_p50": float(np.percentile(lat, 50)),
            "command_to_motion_ms_p95": float(np.percentile(lat, 95)),
            "latency_trials": len(latencies), "hardware_node_exit_code": proc.returncode}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short run for smoke tests")
    ap.add_argument("--out", default=str(HERE / "results" / "hardware.json"))
    args = ap.parse_args(argv)
    apply_ros_defaults()
    result = {
        "benchmark": "hardware",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "sim": sim_speed(2.0 if args.quick else 20.0),
        "ros": ros_metrics(2.0 if args.quick else 10.0, 3 if args.quick else 30),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
