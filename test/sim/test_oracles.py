"""Scripted oracles in the simulator: every skill succeeds on seeded episodes, deterministically,
within speed limits and with labelled motions from the vocabulary; unseen objects; registry and errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from robomatrix.errors import ConfigError
from robomatrix.hardware.interface import Observation
from robomatrix.hardware.sim import SimConfig, SimRobot
from robomatrix.learning.demos import generate_demos, make_episode_setup, run_episode
from robomatrix.policies.language_motion import VOCABULARY, UnknownMotionError
from robomatrix.skills.executor import OracleController
from robomatrix.skills.oracles import ORACLES, OracleConfig, OracleError, action_for_motion, make_oracle
from robomatrix.skills.spec import load_skill_library

pytestmark = pytest.mark.sim

SKILLS = load_skill_library().names


@pytest.fixture(scope="module")
def robot() -> Iterator[SimRobot]:
    with SimRobot(SimConfig(seed=0)) as r:
        yield r  # type: ignore[misc]


def test_every_library_skill_has_exactly_one_oracle_in_its_folder() -> None:
    lib = load_skill_library()
    for skill in SKILLS:
        oracle = make_oracle(skill)
        assert oracle.skill == skill
        assert Path(sys.modules[type(oracle).__module__].__file__ or "") == lib.get(skill).folder / "oracle.py"
    assert set(SKILLS) <= set(ORACLES)


@pytest.mark.parametrize("skill", SKILLS)
def test_oracle_succeeds_on_seeded_episodes(robot: SimRobot, skill: str) -> None:
    results = list(generate_demos(skill, 10, seed=100, robot=robot, progress=False))
    failures = [(r.args, r.unmet) for r in results if not r.success]
    assert len(failures) <= 1, failures
    hz = robot.config.control_hz
    for r in results:
        assert r.sim_time <= 8.0, f"{skill} took {r.sim_time:.1f} s of sim time"
        assert len(r.steps) == round(r.sim_time * hz)
        speeds = np.linalg.norm(r.actions[:, :3], axis=1)
        assert speeds.max() <= 0.2 + 1e-9
        assert set(r.motions) <= set(VOCABULARY)
        assert not any(s.perturbation for s in r.steps)
        assert r.motions[-1] == "stop"  # the episode ends holding still


def test_motions_name_what_the_grasp_oracle_does(robot: SimRobot) -> None:
    (result,) = generate_demos("grasp", 1, seed=3, robot=robot, progress=False)
    motions = result.motions
    first = {m: motions.index(m) for m in ("move arm down", "close gripper", "move arm up")}
    assert first["move arm down"] < first["close gripper"] < first["move arm up"]


def test_same_seed_same_episode(robot: SimRobot) -> None:
    a = list(generate_demos("push", 1, seed=7, robot=robot, progress=False))[0]
    b = list(generate_demos("push", 1, seed=7, robot=robot, progress=False))[0]
    assert a.args == b.args and a.motions == b.motions
    np.testing.assert_array_equal(a.actions, b.actions)
    c = list(generate_demos("push", 1, seed=8, robot=robot, progress=False))[0]
    assert c.args != a.args or not np.array_equal(c.actions, a.actions)


def unseen_episode(robot: SimRobot, skill: str, seed: int) -> tuple[str, bool, list[str]]:
    """One move_to or grasp episode on a random_urdfs object of the unseen scene."""
    obs = robot.reset(seed=seed, scene="unseen")
    objects = [o.id for o in obs.objects if o.category == "object"]
    oid = objects[seed % len(objects)]
    if skill == "grasp":
        oracle = make_oracle("move_to")
        oracle.reset("move_to", {"object": oid}, obs)
        for _ in range(600):
            if oracle.done(obs):
                break
            robot.send_action(oracle.act(obs))
            robot.step()
            obs = robot.get_observation()
    result = run_episode(robot, skill, {"object": oid}, OracleController(), max_steps=600)
    return oid, result.success, result.unmet


@pytest.mark.parametrize("skill", ["move_to", "grasp"])
def test_unseen_objects(robot: SimRobot, skill: str) -> None:
    results = [unseen_episode(robot, skill, seed) for seed in range(5)]
    assert sum(ok for _, ok, _ in results) >= 4, [r for r in results if not r[1]]


def test_action_for_motion_executes_a_language_motion(robot: SimRobot) -> None:
    obs = robot.reset(seed=0, scene="tabletop")
    up = action_for_motion("move arm up", obs, speed=0.1)
    np.testing.assert_allclose(up.linear, [0.0, 0.0, 0.1])
    assert up.mode == "velocity" and up.gripper == 0.0
    diag = action_for_motion("move arm forward and left", obs, speed=0.1)
    np.testing.assert_allclose(diag.linear, [0.1 / np.sqrt(2)] * 2 + [0.0])
    assert action_for_motion("close gripper", obs).gripper == 1.0
    assert action_for_motion("rotate gripper right", obs, yaw_rate=0.4).angular[2] == pytest.approx(-0.4)
    start = obs.ee_position.copy()
    for _ in range(30):
        robot.send_action(action_for_motion("move arm up", obs, speed=0.1))
        robot.step()
    assert robot.get_observation().ee_position[2] > start[2] + 0.03
    with pytest.raises(UnknownMotionError):
        action_for_motion("dance", obs)
    with pytest.raises(OracleError, match="speed"):
        action_for_motion("move arm up", obs, speed=1.0)


def test_oracle_errors_name_the_fix(robot: SimRobot) -> None:
    obs = robot.reset(seed=0, scene="tabletop")
    with pytest.raises(OracleError, match="no oracle for skill 'fly'"):
        make_oracle("fly")
    with pytest.raises(OracleError, match="use make_oracle"):
        make_oracle("grasp").reset("push", {}, obs)
    with pytest.raises(OracleError, match="needs argument 'object'"):
        make_oracle("grasp").reset("grasp", {}, obs)
    with pytest.raises(OracleError, match="not in the observation"):
        make_oracle("grasp").reset("grasp", {"object": "block_pink_9"}, obs)
    block = next(o.id for o in obs.objects if o.category == "block")
    with pytest.raises(OracleError, match="direction"):
        make_oracle("push").reset("push", {"object": block, "direction": "up", "distance": 0.1}, obs)
    with pytest.raises(OracleError, match="not a drawer"):
        make_oracle("open_drawer").reset("open_drawer", {"drawer": block}, obs)
    with pytest.raises(ConfigError, match="speed"):
        OracleConfig(speed=0.3)
    with pytest.raises(ConfigError, match="close_ticks"):
        OracleConfig(close_ticks=2.5)  # type: ignore[arg-type]


def test_a_failed_grasp_is_retried(robot: SimRobot) -> None:
    """Moving the block away after the oracle went down makes the first close miss; the
    oracle opens, re-centres over the block and grasps it."""
    rng = np.random.default_rng(5)
    args, obs = make_episode_setup("grasp", rng, robot)
    oracle = make_oracle("grasp")
    oracle.reset("grasp", args, obs)
    body = next(b for b in robot._objects if b.placement.id == args["object"])  # noqa: SLF001 - test-only nudge
    nudged = False
    for _ in range(600):
        if oracle.phase == "close" and not nudged:
            pos, orn = robot.client.getBasePositionAndOrientation(body.body)
            robot.client.resetBasePositionAndOrientation(body.body, [pos[0] + 0.07, pos[1], pos[2]], orn)
            nudged = True
        if oracle.done(obs):
            break
        robot.send_action(oracle.act(obs))
        robot.step()
        obs = robot.get_observation()
    assert nudged and oracle.attempts >= 1
    assert obs.held_object_id == args["object"]


def test_run_episode_records_the_spec_outcome(robot: SimRobot) -> None:
    rng = np.random.default_rng(1)
    args, _ = make_episode_setup("move_to", rng, robot)
    result = run_episode(robot, "move_to", args, OracleController(), max_steps=20)
    assert not result.success and len(result.steps) == 20  # cut short: not there yet
    assert result.unmet and result.unmet[0].startswith(f"at({args['object']}) is false")
    assert isinstance(result.steps[0].observation, Observation) and result.steps[0].t == 0.0


def test_the_hand_turns_clear_of_the_cabinet_beside_a_block(robot: SimRobot) -> None:
    """Layout 10009 of the drawer task: a cube 2 cm beside the cabinet's footprint. Of the cube's
    two grasp yaws, the oracle turns the 21 cm wide hand along the cabinet, not into it, and
    move_to reaches the block; turned into it (the nearer yaw), the hand stopped 9 cm above."""
    from robomatrix.learning.skill_client import SimSkillClient
    from robomatrix.skills.oracles import footprints_near, hand_clearance

    lib = load_skill_library()
    obs = robot.reset(seed=10009, scene="tabletop_drawer")
    block = next(o for o in obs.objects if o.id == "block_green_0")
    oracle = make_oracle("move_to")
    yaw, period = oracle._clear_grip_yaw(obs, block)
    plain, _ = oracle._grip_yaw(block)
    footprints = footprints_near(obs, block)
    assert period == pytest.approx(np.pi) and footprints
    assert hand_clearance(block, yaw, footprints) > 0.02 > hand_clearance(block, plain, footprints)
    client = SimSkillClient(robot, lib, controller="oracle")
    handle = client.start("move_to", {"object": block.id})
    for _ in range(20 * 60):
        if handle.status() != "running":
            break
        client.advance(1 / 60)
    assert handle.status() == "succeeded", handle.reason()


def test_a_lone_cube_keeps_both_grasp_yaws(robot: SimRobot) -> None:
    """With nothing tall beside it the choice is left to the nearer turn (period 90°)."""
    obs = robot.reset(seed=3, scene="tabletop")
    block = next(o for o in obs.objects if o.category == "block")
    assert make_oracle("move_to")._clear_grip_yaw(obs, block)[1] == pytest.approx(0.5 * np.pi)
