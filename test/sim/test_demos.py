"""Demonstration generation: setups reach the preconditions, noise bursts are flagged and recovered
from, episodes are reproducible by index, and they are written through the MCAP EpisodeWriter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from robomatrix.errors import ConfigError
from robomatrix.hardware.sim import SimConfig, SimRobot
from robomatrix.learning.demos import (
    DemoSetupError,
    NoiseConfig,
    action_vector,
    generate_demos,
    make_episode_setup,
    record_demos,
)
from robomatrix.skills.conditions import check_all
from robomatrix.skills.spec import load_skill_library

pytestmark = pytest.mark.sim

LIBRARY = load_skill_library()


@pytest.fixture(scope="module")
def robot() -> Iterator[SimRobot]:
    with SimRobot(SimConfig(seed=0)) as r:
        yield r  # type: ignore[misc]


@pytest.mark.parametrize(
    ("skill", "held", "scene"),
    [("place_over", True, "tabletop"), ("release", True, "tabletop"), ("close_drawer", False, "tabletop_drawer")],
)
def test_setup_reaches_the_preconditions(robot: SimRobot, skill: str, held: bool, scene: str) -> None:
    args, obs = make_episode_setup(skill, np.random.default_rng(2), robot)
    assert robot.scene is not None and robot.scene.name == scene
    assert bool(obs.held_object_id) is held
    ok, unmet = check_all(LIBRARY.get(skill).preconditions, args, obs)
    assert ok, unmet
    if skill == "close_drawer":
        drawer = next(o for o in obs.objects if o.id == args["drawer"])
        assert drawer.opening is not None and drawer.opening > 0.8


def test_setup_fails_clearly_without_the_objects(robot: SimRobot) -> None:
    with pytest.raises(DemoSetupError, match="no drawer"):
        make_episode_setup("open_drawer", np.random.default_rng(0), robot, scene="tabletop")


@pytest.mark.parametrize("skill", ["grasp", "push", "place_over", "open_drawer"])
def test_oracles_recover_from_noise_bursts(robot: SimRobot, skill: str) -> None:
    noise = NoiseConfig(probability=1.0, min_ticks=10, max_ticks=18, earliest=10, latest=40)
    results = list(generate_demos(skill, 3, seed=21, robot=robot, progress=False, noise=noise))
    assert all(r.perturbed for r in results)
    for r in results:
        first, end = r.perturbation_ticks  # type: ignore[misc]
        flagged = [i for i, s in enumerate(r.steps) if s.perturbation]
        assert flagged == list(range(first, end))
        assert r.success, (r.args, r.unmet)  # the oracle recovered after the burst
        assert len(r.steps) > end + 10


def test_episodes_are_reproducible_by_index(robot: SimRobot) -> None:
    noise = NoiseConfig(probability=0.5)
    both = list(generate_demos("move_to", 2, seed=4, robot=robot, progress=False, noise=noise))
    second = list(generate_demos("move_to", 2, seed=4, robot=robot, progress=False, noise=noise))[1]
    assert second.args == both[1].args and second.seed == both[1].seed
    assert second.perturbation_ticks == both[1].perturbation_ticks
    np.testing.assert_array_equal(second.actions, both[1].actions)


def test_record_demos_writes_mcap_through_the_episode_writer(robot: SimRobot, tmp_path: Path) -> None:
    from robomatrix.learning.dataset import load_demonstrations
    from robomatrix.policies.features import feature_dim
    from robomatrix.skills.recording import DatasetError

    path = tmp_path / "grasp.mcap"
    noise = NoiseConfig(probability=1.0, earliest=10, latest=30)
    summary = record_demos("grasp", 2, seed=3, path=path, progress=False, robot=robot, noise=noise)
    assert path.is_file() and summary.episodes == 2 and summary.successes == 2 and summary.success_rate == 1.0
    data = load_demonstrations(path)
    assert len(data) < summary.steps  # perturbation ticks are left out of the file
    assert data.feature_dim == feature_dim(LIBRARY.names)
    with pytest.raises(DatasetError, match="exists"):
        record_demos("grasp", 1, seed=3, path=path, progress=False, robot=robot)


def test_action_vector_and_noise_config_validation() -> None:
    from robomatrix.hardware.interface import Action

    vec = action_vector(Action(linear=np.array([0.1, 0.0, -0.05]), angular=np.array([0.0, 0.0, 0.3]), gripper=1.0))
    np.testing.assert_allclose(vec, [0.1, 0.0, -0.05, 0.3, 1.0])
    np.testing.assert_allclose(action_vector(Action.hold(gripper=0.5)), [0, 0, 0, 0, 0.5])
    with pytest.raises(DemoSetupError, match="velocity or hold"):
        action_vector(Action(mode="target", target_position=np.zeros(3)))
    for bad in ({"probability": 1.5}, {"min_ticks": 0}, {"min_ticks": 9, "max_ticks": 3}, {"speed": 0.5},
                {"earliest": 50, "latest": 10}):
        with pytest.raises(ConfigError, match="NoiseConfig"):
            NoiseConfig(**bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="episodes"):
        next(generate_demos("grasp", -1, seed=0, progress=False))


class _Drifter:
    """A 'policy' that always moves the open gripper backward and up: the states it reaches are
    not the oracle's, and what it does is never what gets recorded."""

    def reset(self, spec, args, obs):  # type: ignore[no-untyped-def]
        self.ticks = 0

    def predict_motion(self, obs) -> str:  # type: ignore[no-untyped-def]
        return "move arm backward and up"

    def act(self, obs, motion=None):  # type: ignore[no-untyped-def]
        from robomatrix.hardware.interface import Action

        self.ticks += 1
        return Action(mode="velocity", linear=np.array([-0.1, 0.0, 0.05]), gripper=0.0)

    def done(self, obs) -> bool:  # type: ignore[no-untyped-def]
        return False


def test_dagger_episodes_record_the_oracles_labels_in_the_drivers_states(robot: SimRobot) -> None:
    from robomatrix.learning.demos import run_episode
    from robomatrix.skills.executor import OracleController

    args, _ = make_episode_setup("move_to", np.random.default_rng(3), robot, starts="home")
    driver = _Drifter()
    result = run_episode(robot, "move_to", args, OracleController(), 90, rng=np.random.default_rng(0),
                         driver=driver, driver_share=0.5)
    assert 20 < driver.ticks < 70  # about half the ticks were driven by the drifter
    recorded = np.array([s.action.linear for s in result.steps])
    assert not np.any(np.all(np.isclose(recorded, [-0.1, 0.0, 0.05]), axis=1))  # never its action
    # the oracle's labels: it heads for the block (here forward of the home pose), never backward-up
    assert all(s.motion != "move arm backward and up" for s in result.steps)
    again, _ = make_episode_setup("move_to", np.random.default_rng(3), robot, starts="home")
    assert again == args
    oracle_alone = run_episode(robot, "move_to", args, OracleController(), 90)
    ticks = min(len(result.steps), len(oracle_alone.steps)) - 1
    drifted = result.steps[ticks].observation.ee_position - oracle_alone.steps[ticks].observation.ee_position
    assert drifted[0] < -0.02  # the driver's states (pulled backward), not the oracle's


def test_a_driver_needs_an_oracle_that_decides_from_the_state(robot: SimRobot) -> None:
    from robomatrix.learning.demos import run_episode
    from robomatrix.skills.executor import OracleController

    args, _ = make_episode_setup("grasp", np.random.default_rng(3), robot)
    with pytest.raises(ConfigError, match="remembers its phase"):
        run_episode(robot, "grasp", args, OracleController(), 10, driver=_Drifter())


class _DriftPolicy:
    """A 'policy' for the chain labeller: always says and does "move arm backward and up"."""

    def __init__(self) -> None:
        self.queries = 0

    def reset(self) -> None:
        pass

    def select_action(self, features, motion_override=None):  # type: ignore[no-untyped-def]
        self.queries += 1
        return "move arm backward and up", np.array([-0.1, 0.0, 0.05, 0.0, 0.0], dtype=np.float32)


def test_chain_labeller_keeps_the_oracles_labels_inside_a_task(robot: SimRobot, tmp_path: Path) -> None:
    from robomatrix.learning.dataset import load_demonstrations
    from robomatrix.learning.demos import ChainLabeller, write_episode
    from robomatrix.learning.skill_client import SimSkillClient
    from robomatrix.skills.recording import EpisodeWriter

    args, _ = make_episode_setup("move_to", np.random.default_rng(3), robot, starts="home")
    policy = _DriftPolicy()
    labeller = ChainLabeller(policy, LIBRARY, "move_to", driver_share=0.5, rng=np.random.default_rng(0))
    client = SimSkillClient(robot, LIBRARY, controller="oracle", controllers={"move_to": labeller})
    for _ in range(2):  # two runs of the skill: two episodes
        client.start("move_to", args)
        client.advance(1.0)
    episodes = labeller.episodes()
    assert len(episodes) == 2 and all(e.dagger and e.steps for e in episodes)
    ticks = sum(len(e.steps) for e in episodes)
    assert 0.3 * ticks < policy.queries < 0.7 * ticks  # the policy drove about half the ticks
    recorded = np.concatenate([[s.action.linear for s in e.steps] for e in episodes])
    assert not np.any(np.all(np.isclose(recorded, [-0.1, 0.0, 0.05]), axis=1))  # never the policy's action
    assert all(s.motion != "move arm backward and up" for e in episodes for s in e.steps)
    assert labeller.episodes() == []  # handed out once
    path = tmp_path / "move_to_chains_000.mcap"
    with EpisodeWriter(path) as writer:
        for e in episodes:
            write_episode(writer, e, LIBRARY)
    # not judged successful, yet kept for training: the labels are the oracle's either way
    data = load_demonstrations([path], successful_only=True)
    assert len(data.episodes) == 2 and all(e.meta["dagger"] and not e.success for e in data.episodes)
    with pytest.raises(ConfigError, match="reactive oracle"):
        ChainLabeller(policy, LIBRARY, "grasp")


def test_demonstrations_record_the_camera_when_it_is_on(robot: SimRobot, tmp_path: Path) -> None:
    """camera=...: colour, depth and CameraInfo at the camera's rate, each frame at a step's time,
    read back by load_camera_frames; the steps load as without the camera; camera off: no images."""
    from robomatrix.config import load_stack_config
    from robomatrix.learning.dataset import load_camera_frames, load_demonstrations

    cam = load_stack_config().camera
    on, off = tmp_path / "on.mcap", tmp_path / "off.mcap"
    summary = record_demos("release", 2, seed=5, path=on, robot=robot, progress=False, camera=cam)
    record_demos("release", 1, seed=5, path=off, robot=robot, progress=False)
    data = load_demonstrations(on)
    assert len(data) == summary.steps and len(data.episodes) == 2
    frames = list(load_camera_frames(on))
    every = round(60 / cam.rate_hz)  # control ticks per camera frame (60 Hz control, 15 Hz camera)
    for ep in data.episodes:
        got = [f for f in frames if f.episode == ep.index]
        assert [f.step for f in got] == list(range(0, ep.steps, every))
        for f in got:
            assert f.rgb.shape == (cam.height, cam.width, 3) and f.rgb.dtype == np.uint8
            assert f.depth.shape == (cam.height, cam.width) and f.depth.dtype == np.float32
            assert f.t == f.step_t and abs(f.t - f.step / 60) < 1e-6
            assert np.nanmedian(f.depth) > 0.5 and 0 < np.isnan(f.depth).mean() < 0.2  # a scene, with holes
            k = cam.intrinsics
            assert f.k is not None and np.allclose(f.k, [[k.fx, 0, k.cx], [0, k.fy, k.cy], [0, 0, 1]])
        assert len({f.rgb.tobytes() for f in got}) > 1  # frames of a moving arm differ
    assert list(load_camera_frames(off)) == [] and len(load_demonstrations(off)) > 0
