"""The simulated hardware node as its own process, driven over DDS."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image, JointState
from std_srvs.srv import SetBool

from robomatrix.hardware.interface import Action
from robomatrix.msg import ArmCommand, WorldState
from robomatrix.nodes.common import action_to_command
from robomatrix.srv import Reset

pytestmark = pytest.mark.ros


def _pos(msg: WorldState) -> np.ndarray:
    p = msg.ee_pose.position
    return np.array([p.x, p.y, p.z])


def _call(ros, srv_type, name: str, request):
    client = ros.node.create_client(srv_type, name)
    assert ros.wait_ready(client, 20.0), f"service {name} not available"
    return ros.call(client, request, 10.0, f"{name} response")


def _drive(ros, pub, action: Action, seconds: float) -> None:
    cmd = action_to_command(action)
    for _ in range(int(seconds * 60)):
        pub.publish(cmd)
        ros.spin_for(1 / 60)


@pytest.fixture
def sim(start_node, ros):
    hw = start_node("hardware")
    obs = ros.latest(WorldState, "observation")
    pub = ros.node.create_publisher(ArmCommand, "command", 10)
    ros.wait_until(lambda: len(obs) > 0 and pub.get_subscription_count() > 0, 30.0,
                   "hardware node observations and command subscription")
    return hw, obs, pub


def test_streams_and_rates(sim, ros) -> None:
    hw, obs, _ = sim
    js = ros.latest(JointState, "joint_states")
    imgs = ros.latest(Image, "camera/image_raw")
    clock = ros.latest(Clock, "/clock")
    ros.wait_until(lambda: imgs and js and clock, 10.0, "images, joint states and /clock")
    n_obs, n_img = len(obs), len(imgs)
    ros.spin_for(2.0)
    assert (len(obs) - n_obs) / 2.0 > 15, "observation stream well above 10 Hz"
    assert (len(imgs) - n_img) / 2.0 >= 7, "camera near its 10 Hz target"
    img = imgs[-1]
    assert img.encoding == "rgb8" and len(img.data) == img.width * img.height * 3
    assert len(js[-1].name) == len(js[-1].position) > 7
    w = obs[-1]
    assert w.objects and all(o.source == "simulator" for o in w.objects)
    assert {"block", "bowl", "bin"} <= {o.category for o in w.objects}
    t = clock[-1].clock.sec + clock[-1].clock.nanosec * 1e-9
    assert t > 0


def test_command_moves_then_watchdog_holds(sim, ros) -> None:
    hw, obs, pub = sim
    start = _pos(obs[-1])
    _drive(ros, pub, Action(linear=np.array([0.0, 0.15, 0.0])), 1.0)
    moved = _pos(obs[-1])
    assert moved[1] - start[1] > 0.08, f"arm moved only {moved[1] - start[1]:.3f} m left"
    # stop commanding: within the watchdog timeout (+ latency) the arm holds
    ros.spin_for(0.8)
    assert obs[-1].watchdog_holding
    held = _pos(obs[-1])
    ros.spin_for(0.5)
    assert np.linalg.norm(_pos(obs[-1]) - held) < 0.005
    assert "watchdog holds the arm" in hw.output()


def test_non_finite_commands_are_rejected_and_counted(sim, ros) -> None:
    _, obs, pub = sim
    start = _pos(obs[-1])
    bad = action_to_command(Action(linear=np.array([0.0, 0.0, 0.1])))
    bad.ee_twist.linear.x = float("nan")
    for _ in range(30):
        pub.publish(bad)
        ros.spin_for(1 / 60)
    ros.spin_for(0.2)
    assert obs[-1].rejected_commands >= 20
    assert np.linalg.norm(_pos(obs[-1]) - start) < 0.005, "the arm must not move on garbage"


def test_estop_latches_and_releases(sim, ros) -> None:
    _, obs, pub = sim
    res = _call(ros, SetBool, "estop", SetBool.Request(data=True))
    assert res.success and "engaged" in res.message
    start = _pos(obs[-1])
    _drive(ros, pub, Action(linear=np.array([0.0, 0.0, 0.15])), 0.8)
    assert obs[-1].estopped
    assert np.linalg.norm(_pos(obs[-1]) - start) < 0.005
    assert _call(ros, SetBool, "estop", SetBool.Request(data=False)).success
    _drive(ros, pub, Action(linear=np.array([0.0, 0.0, 0.15])), 0.8)
    assert not obs[-1].estopped
    assert _pos(obs[-1])[2] - start[2] > 0.05


def test_reset_with_seed_and_bad_seed(sim, ros) -> None:
    _, obs, _ = sim
    res = _call(ros, Reset, "reset", Reset.Request(seed=-5, scene=""))
    assert not res.success and "seed" in res.message
    res = _call(ros, Reset, "reset", Reset.Request(seed=2**40, scene=""))
    assert not res.success and "seed" in res.message
    res = _call(ros, Reset, "reset", Reset.Request(seed=0, scene="no_such_scene"))
    assert not res.success and "no_such_scene" in res.message
    layouts = []
    for seed in (3, 4, 3):
        assert _call(ros, Reset, "reset", Reset.Request(seed=seed, scene="")).success
        n = len(obs)
        ros.wait_until(lambda n=n: len(obs) > n + 2, 5.0, "observations after reset")
        layouts.append({o.id: (round(o.pose.position.x, 3), round(o.pose.position.y, 3)) for o in obs[-1].objects})
    assert layouts[0] == layouts[2] and layouts[0] != layouts[1]


def test_reset_refuses_scene_paths_and_nothing_moves(sim, ros) -> None:
    hw, obs, _ = sim
    ros.spin_for(0.3)

    def world() -> dict[str, np.ndarray]:
        w = obs[-1]
        return {"ee": _pos(w), **{o.id: np.array([o.pose.position.x, o.pose.position.y]) for o in w.objects}}

    before = world()
    for scene in ("../../../../etc/passwd", "/etc/passwd", "tabletop.yaml"):
        res = _call(ros, Reset, "reset", Reset.Request(seed=5, scene=scene))
        assert not res.success, f"reset accepted the path {scene!r}"
        assert "not a scene name" in res.message and "tabletop_drawer" in res.message, res.message
        assert "root:" not in res.message
    n = len(obs)
    ros.wait_until(lambda: len(obs) > n + 5, 5.0, "observations after the refused resets")
    after = world()
    assert after.keys() == before.keys()
    assert all(np.linalg.norm(after[k] - before[k]) < 0.003 for k in before), "a refused reset changed the world"
    assert "reset refused" in hw.output()


def test_unknown_backend_fails_with_clear_message(tmp_path) -> None:
    out = subprocess.run([sys.executable, "-m", "robomatrix.nodes", "hardware", "--ros-args", "-p", "backend:=mujoco"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "unknown robot backend 'mujoco'" in out.stdout + out.stderr


def test_malformed_config_fails_with_clear_message(tmp_path) -> None:
    bad = tmp_path / "robot.yaml"
    bad.write_text("control: {rate_hz: 5}\n")
    out = subprocess.run([sys.executable, "-m", "robomatrix.nodes", "hardware", "--ros-args", "-p", f"config:={bad}"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "at least 50 Hz" in out.stdout + out.stderr
