"""move_to's varied start states: episodes start where other skills leave the arm in a long task
(after release, beside the drawer handle, hovering over an object), in the workspace, with the
preconditions met; ``starts="home"`` keeps the old home-pose starts."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from robomatrix.errors import ConfigError
from robomatrix.hardware.safety import SafetyLimits
from robomatrix.hardware.sim import SimConfig, SimRobot
from robomatrix.learning.demos import ANYWHERE_BOX, POSE_STEP, hover_pose, make_episode_setup
from robomatrix.skills.conditions import check_all, object_top, quaternion_yaw
from robomatrix.skills.spec import load_skill_library

pytestmark = pytest.mark.sim

LIBRARY = load_skill_library()
EPISODES = 12


@pytest.fixture(scope="module")
def robot() -> Iterator[SimRobot]:
    with SimRobot(SimConfig(seed=0)) as r:
        yield r  # type: ignore[misc]


def _starts(robot: SimRobot, starts: str) -> list[tuple[dict, object, str]]:
    out = []
    for i in range(EPISODES):
        args, obs = make_episode_setup("move_to", np.random.default_rng([11, i]), robot, library=LIBRARY,
                                       starts=starts)
        out.append((args, obs, robot.scene.name if robot.scene is not None else ""))
    return out


def test_varied_starts_vary_and_lie_in_the_workspace(robot: SimRobot) -> None:
    home = _starts(robot, "home")
    home_ee = np.array([o.ee_position for _, o, _ in home])
    # Home starts: all at (nearly) one pose.
    assert float(np.ptp(home_ee, axis=0).max()) < 0.01
    varied = _starts(robot, "varied")
    ee = np.array([o.ee_position for _, o, _ in varied])
    limits = SafetyLimits()
    lo, hi = np.asarray(limits.workspace_min), np.asarray(limits.workspace_max)
    assert np.all(ee >= lo - 0.01) and np.all(ee <= hi + 0.01), ee
    # They spread over the table, and most are away from home.
    assert float(np.std(ee[:, 0])) > 0.03 and float(np.std(ee[:, 1])) > 0.05, ee
    away = np.linalg.norm(ee - home_ee[0], axis=1) > 0.05
    assert int(away.sum()) >= EPISODES // 2, ee
    # Gripper yaw varies too, and both scenes (with and without the drawer) occur.
    yaws = np.array([quaternion_yaw(o.ee_orientation) for _, o, _ in varied])
    assert float(np.ptp(yaws)) > 0.3, yaws
    assert {"tabletop", "tabletop_drawer"} <= {scene for _, _, scene in varied}
    for args, obs, _ in varied:
        assert not obs.held_object_id
        ok, unmet = check_all(LIBRARY.get("move_to").preconditions, args, obs)
        assert ok, unmet
        assert float(obs.ee_position[2]) > 0.05  # above the table, not resting on it


def test_start_kinds_cover_the_long_task_states(robot: SimRobot) -> None:
    kinds: dict[str, list] = {}
    for i in range(40):
        rng = np.random.default_rng([12, i])
        obs = robot.reset(seed=i, scene="tabletop_drawer" if i % 2 else "tabletop")
        target = next(o for o in obs.objects if o.category == "block")
        kind, prelude = load_skill_library().get("move_to").plugin("episode").start(rng, obs, {"object": target.id})
        kinds.setdefault(kind, []).append(prelude)
        skills = [s for s, _ in prelude]
        if kind == "home":
            assert prelude == []
        elif kind == "after_release":
            assert skills[-4:] == ["move_to", "grasp", "place_over", "release"]
            assert prelude[-3][1]["object"] != target.id  # another block was carried
        elif kind == "after_drawer":
            assert skills[:2] == ["move_to", "open_drawer"]
        else:
            assert skills == [POSE_STEP]
            if kind == "anywhere":  # where a person's correction may leave the arm
                lo, hi = (np.asarray(b) for b in ANYWHERE_BOX)
                assert np.all(lo <= prelude[0][1]["position"]) and np.all(prelude[0][1]["position"] <= hi)
    assert set(kinds) == {"home", "after_release", "after_drawer", "hover", "anywhere"}


@pytest.mark.parametrize("category", ["block", "bowl", "bin", "drawer"])
def test_hover_poses_are_above_or_beside_the_object(robot: SimRobot, category: str) -> None:
    obs = robot.reset(seed=3, scene="tabletop_drawer" if category == "drawer" else "tabletop")
    obj = next(o for o in obs.objects if o.category == category)
    rng = np.random.default_rng(5)
    poses = [hover_pose(rng, obj) for _ in range(30)]
    p = np.array([q["position"] for q in poses])
    yaw = np.array([q["yaw"] for q in poses])
    assert float(np.ptp(yaw)) > 1.0
    if category == "drawer":
        assert np.all(p[:, 0] <= obj.position[0] + 1e-9) and np.all(p[:, 2] > obj.position[2])
    else:
        assert np.all(p[:, 2] >= object_top(obj) + 0.05 - 1e-9)
        assert float(np.median(np.linalg.norm(p[:, :2] - np.asarray(obj.position[:2]), axis=1))) < 0.08


def test_unknown_start_mode_is_refused(robot: SimRobot) -> None:
    with pytest.raises(ConfigError, match="starts"):
        make_episode_setup("move_to", np.random.default_rng(0), robot, starts="random")
