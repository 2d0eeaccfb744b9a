"""SimRobot in the loop: seeded resets, determinism, control modes, safety, grasping, camera."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from robomatrix.errors import ConfigError, NotConnectedError, SceneNameError
from robomatrix.hardware.interface import Action, Observation
from robomatrix.hardware.safety import SafetyLimits
from robomatrix.hardware.sim import JOINT_NAMES, SeedError, SimConfig, SimRobot

pytestmark = pytest.mark.sim

LIMITS = SafetyLimits()


@pytest.fixture(scope="module")
def shared() -> Iterator[SimRobot]:
    with SimRobot(SimConfig(seed=0), LIMITS) as robot:
        yield robot  # type: ignore[misc]


@pytest.fixture
def robot(shared: SimRobot) -> Iterator[SimRobot]:
    shared.release_estop()
    shared.reset(seed=0, scene="tabletop")
    yield shared
    shared.release_estop()


def run(robot: SimRobot, action: Action, ticks: int) -> Observation:
    robot.send_action(action)
    for _ in range(ticks):
        robot.step()
    return robot.get_observation()


def goto(robot: SimRobot, position: np.ndarray, gripper: float, ticks: int) -> Observation:
    return run(robot, Action(mode="target", target_position=np.asarray(position, float), gripper=gripper), ticks)


def script(robot: SimRobot) -> np.ndarray:
    """A short scripted trajectory; returns the stacked joint positions (T, 9)."""
    out = []
    for action in (
        Action(linear=np.array([0.1, 0.05, -0.05]), angular=np.array([0.0, 0.0, 0.3]), gripper=0.0),
        Action(mode="target", target_position=np.array([0.5, -0.1, 0.15]), gripper=1.0),
        Action.hold(gripper=0.5),
    ):
        robot.send_action(action)
        for _ in range(15):
            robot.step()
            out.append(robot.get_observation().joint_positions)
    return np.stack(out)


def test_features_without_connecting() -> None:
    robot = SimRobot(SimConfig(camera_width=64, camera_height=48), LIMITS)
    f = robot.features
    assert not robot.is_connected
    assert f["joint_names"] == JOINT_NAMES and len(f["joint_names"]) == 9
    assert f["control_hz"] == 60 and f["camera_shape"] == (48, 64, 3)
    assert f["workspace_min"] == LIMITS.workspace_min and f["max_linear_speed"] == LIMITS.max_linear_speed
    with pytest.raises(NotConnectedError, match="connect"):
        robot.get_observation()


def test_reset_same_seed_same_layout(robot: SimRobot) -> None:
    a = robot.reset(seed=5)
    b = robot.reset(seed=5)
    c = robot.reset(seed=6)

    def layout(o: Observation) -> list[tuple]:
        return [(x.id, tuple(x.position), tuple(x.orientation)) for x in o.objects]

    assert layout(a) == layout(b)
    assert layout(a) != layout(c)
    assert robot.last_seed == 6 and b.stamp == 0.0


def test_objects_are_reported_inside_the_workspace(robot: SimRobot) -> None:
    obs = robot.get_observation()
    categories = {o.category for o in obs.objects}
    assert {"block", "bowl", "bin"} <= categories
    for o in obs.objects:
        assert o.source == "simulator" and o.name == f"{o.colour} {o.category}"
        assert o.position.shape == (3,) and o.size.shape == (3,)
        if o.category == "block":
            assert np.all(o.position[:2] >= np.array(LIMITS.workspace_min[:2]))
            assert np.all(o.position[:2] <= np.array(LIMITS.workspace_max[:2]))
            assert abs(o.position[2] - 0.5 * o.size[2]) < 2e-3  # resting on the table (z = 0)


def test_trajectory_is_deterministic(robot: SimRobot) -> None:
    robot.reset(seed=3)
    first = script(robot)
    robot.reset(seed=3)
    second = script(robot)
    np.testing.assert_array_equal(first, second)


def test_velocity_command_moves_in_the_commanded_direction(robot: SimRobot) -> None:
    start = robot.get_observation().ee_position
    obs = run(robot, Action(linear=np.array([0.0, 0.1, 0.0])), 30)  # 0.5 s at 0.1 m/s
    moved = obs.ee_position - start
    assert 0.035 < moved[1] < 0.055
    assert abs(moved[0]) < 0.005 and abs(moved[2]) < 0.005
    assert obs.stamp == pytest.approx(0.5)


def test_target_mode_reaches_the_target(robot: SimRobot) -> None:
    target = np.array([0.55, -0.15, 0.12])
    obs = goto(robot, target, 0.0, 120)  # distance ~0.24 m at 0.25 m/s, plus settling
    assert np.linalg.norm(obs.ee_position - target) < 0.005
    assert np.linalg.norm(obs.ee_linear_velocity) < 0.02


def test_target_orientation_is_reached(robot: SimRobot) -> None:
    yaw = 0.5  # rad about world z, composed with pointing down
    goal = np.array([np.cos(0.5 * yaw), np.sin(0.5 * yaw), 0.0, 0.0])  # Rz(yaw) * Rx(pi)
    pos = robot.get_observation().ee_position
    obs = run(robot, Action(mode="target", target_position=pos, target_orientation=goal), 60)
    assert abs(abs(float(np.dot(obs.ee_orientation, goal))) - 1.0) < 1e-3


def test_hold_keeps_position(robot: SimRobot) -> None:
    run(robot, Action(linear=np.array([0.1, 0.0, 0.0])), 20)
    robot.hold()
    for _ in range(10):
        robot.step()
    start = robot.get_observation().ee_position
    obs = run(robot, Action.hold(), 60)
    assert np.linalg.norm(obs.ee_position - start) < 1e-3


def test_non_finite_command_is_rejected_counted_and_arm_holds(robot: SimRobot) -> None:
    before = robot.get_observation()
    applied = robot.send_action(Action(linear=np.array([np.nan, 0.0, 0.0])))
    assert applied.mode == "hold"
    for _ in range(30):
        robot.step()
    obs = robot.get_observation()
    assert obs.rejected_commands == before.rejected_commands + 1
    assert np.linalg.norm(obs.ee_position - before.ee_position) < 2e-3


def test_workspace_clipping_keeps_the_ee_in_the_box(robot: SimRobot, tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("name: empty\nobjects: []\n")  # nothing on the table to bump into
    robot.reset(seed=0, scene_file=empty)
    lo, hi = np.array(LIMITS.workspace_min), np.array(LIMITS.workspace_max)
    for direction in ([0.0, 0.0, -1.0], [0.0, -1.0, 0.0], [1.0, 1.0, 1.0], [-1.0, 0.0, 0.0]):
        robot.send_action(Action(linear=np.array(direction) * 0.25))
        for _ in range(150):
            robot.step()
            p = robot.get_observation().ee_position
            assert np.all(p >= lo - 0.005) and np.all(p <= hi + 0.005), p
    applied = robot.send_action(Action(mode="target", target_position=np.array([2.0, 0.0, -1.0])))
    assert np.allclose(applied.target_position, [hi[0], 0.0, lo[2]])


def test_estop_holds_until_released(robot: SimRobot) -> None:
    run(robot, Action(linear=np.array([0.1, 0.0, 0.0])), 10)
    robot.engage_estop()
    for _ in range(5):
        robot.step()
    start = robot.get_observation().ee_position
    applied = robot.send_action(Action(linear=np.array([0.0, 0.2, 0.0])))
    assert applied.mode == "hold"
    for _ in range(40):
        robot.step()
    obs = robot.get_observation()
    assert obs.estopped and np.linalg.norm(obs.ee_position - start) < 2e-3
    robot.release_estop()
    obs = run(robot, Action(linear=np.array([0.0, 0.2, 0.0])), 20)
    assert not obs.estopped and obs.ee_position[1] - start[1] > 0.03


def test_gripper_command_maps_to_width(robot: SimRobot) -> None:
    pos = robot.get_observation().ee_position
    obs = goto(robot, pos, 0.5, 30)
    assert obs.gripper_width == pytest.approx(0.04, abs=2e-3) and obs.gripper_closed
    obs = goto(robot, pos, 0.0, 30)
    assert obs.gripper_width == pytest.approx(0.08, abs=2e-3) and not obs.gripper_closed


def test_grasp_and_lift_a_block(robot: SimRobot) -> None:
    block = next(o for o in robot.get_observation().objects if o.category == "block")
    goto(robot, block.position + [0.0, 0.0, 0.10], 0.0, 90)
    goto(robot, block.position, 0.0, 45)
    obs = goto(robot, block.position, 1.0, 30)
    assert obs.held_object_id == block.id
    obs = goto(robot, block.position + [0.0, 0.0, 0.15], 1.0, 60)
    lifted = next(o for o in obs.objects if o.id == block.id)
    assert obs.held_object_id == block.id
    assert lifted.position[2] > block.position[2] + 0.12
    obs = goto(robot, obs.ee_position, 0.0, 30)  # open: released, block falls
    assert obs.held_object_id == ""
    dropped = next(o for o in run(robot, Action.hold(), 60).objects if o.id == block.id)
    assert dropped.position[2] < 0.05


def test_camera_image(robot: SimRobot) -> None:
    obs = robot.get_observation(with_image=True)
    assert obs.image is not None and obs.image.shape == (128, 128, 3) and obs.image.dtype == np.uint8
    assert obs.image.reshape(-1, 3).std(axis=0).max() > 10.0
    assert robot.get_observation().image is None


@pytest.mark.parametrize("seed", [True, 1.5, "3", -1, 2**32, None.__class__])
def test_bad_seeds_raise_a_helpful_config_error(robot: SimRobot, seed: object) -> None:
    with pytest.raises(ConfigError, match="0 <= seed < 2\\*\\*32") as e:
        robot.reset(seed=seed)  # type: ignore[arg-type]
    assert isinstance(e.value, ValueError) and isinstance(e.value, SeedError)


def test_reset_with_malformed_scene_file(robot: SimRobot, tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: broken\nobjects:\n  - {category: block, colours: [red], count: [1, 5]}\n")
    with pytest.raises(ConfigError, match="broken.yaml.*exceeds"):
        robot.reset(seed=0, scene_file=bad)
    assert robot.get_observation().objects  # the previous world is untouched


@pytest.mark.parametrize("scene", ["../../../../etc/passwd", "/etc/hostname", "tabletop.yaml"])
def test_reset_scene_is_a_name_never_a_path(robot: SimRobot, scene: str) -> None:
    before = robot.get_observation()
    with pytest.raises(SceneNameError, match="not a scene name.*tabletop_drawer"):
        robot.reset(seed=3, scene=scene)
    after = robot.get_observation()  # refused before anything changed
    assert robot.last_seed == 0 and robot.scene is not None and robot.scene.name == "tabletop"
    assert [o.id for o in after.objects] == [o.id for o in before.objects]
    np.testing.assert_array_equal(after.ee_position, before.ee_position)


def test_reset_takes_a_scene_file_only_as_scene_file(robot: SimRobot, tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("name: empty\nobjects: []\n")
    with pytest.raises(ConfigError, match="pass one"):
        robot.reset(seed=0, scene="tabletop", scene_file=path)
    assert robot.reset(seed=0, scene_file=path).objects == ()


def test_drawer_scene_reports_opening_and_handle(robot: SimRobot) -> None:
    obs = robot.reset(seed=0, scene="tabletop_drawer")
    drawer = next(o for o in obs.objects if o.category == "drawer")
    assert drawer.opening == 0.0 and drawer.position[0] < 0.65
    assert all(o.opening is None for o in obs.objects if o.category != "drawer")


def test_unseen_scene_builds(robot: SimRobot) -> None:
    obs = robot.reset(seed=1, scene="unseen")
    objs = [o for o in obs.objects if o.category == "object"]
    assert len(objs) >= 3 and all(np.all(o.size < 0.09) for o in objs)


def test_disconnect_is_idempotent() -> None:
    robot = SimRobot(SimConfig(), LIMITS)
    robot.disconnect()
    robot.connect()
    robot.connect()  # no second client
    assert robot.is_connected
    robot.disconnect()
    robot.disconnect()
    assert not robot.is_connected
    with pytest.raises(NotConnectedError):
        robot.step()


def test_two_robots_side_by_side_do_not_interfere() -> None:
    with SimRobot(SimConfig(seed=11), LIMITS) as a, SimRobot(SimConfig(seed=11), LIMITS) as b:
        assert isinstance(a, SimRobot) and isinstance(b, SimRobot)
        assert a.client._client != b.client._client  # noqa: SLF001 - distinct physics servers
        b_start = b.get_observation().joint_positions
        traj_a = script(a)
        np.testing.assert_array_equal(b.get_observation().joint_positions, b_start)
        traj_b = script(b)
        np.testing.assert_array_equal(traj_a, traj_b)
        a.disconnect()
        assert b.get_observation().objects


def test_watchdog_holds_a_stale_velocity_command() -> None:
    with SimRobot(SimConfig(watchdog=True), LIMITS) as robot:
        obs = run(robot, Action(linear=np.array([0.0, 0.1, 0.0])), 30)  # 0.5 s > 0.25 s timeout
        assert obs.watchdog_holding
        assert obs.ee_position[1] < 0.1 * (LIMITS.watchdog_timeout + 0.1)


def test_drawer_opens_with_a_scripted_pull(robot: SimRobot) -> None:
    obs = robot.reset(seed=0, scene="tabletop_drawer")
    handle = next(o for o in obs.objects if o.category == "drawer").position
    goto(robot, handle + [0.0, 0.0, 0.08], 0.0, 60)
    goto(robot, handle + [0.0, 0.0, 0.01], 0.0, 45)
    obs = goto(robot, handle + [0.0, 0.0, 0.01], 1.0, 20)
    assert obs.held_object_id.startswith("drawer")
    obs = goto(robot, handle + [-0.12, 0.0, 0.01], 1.0, 60)
    drawer = next(o for o in obs.objects if o.category == "drawer")
    assert drawer.opening > 0.7 and drawer.position[0] < handle[0] - 0.1
