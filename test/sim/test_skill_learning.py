"""Policy smoke tier: demonstrations → tiny training → seeded rollouts through the executor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robomatrix.hardware.sim import SimConfig, SimRobot
from robomatrix.learning.dataset import load_demonstrations
from robomatrix.learning.demos import record_demos
from robomatrix.learning.evaluation import SimulatedCorrector, evaluate_skill, motions_agree
from robomatrix.learning.train import finetune_motion_head, train_policy
from robomatrix.skills.executor import OracleController, PolicyController
from robomatrix.skills.spec import load_skill_library

pytestmark = pytest.mark.sim


@pytest.fixture(scope="module")
def robot():
    with SimRobot(SimConfig()) as r:
        yield r


@pytest.fixture(scope="module")
def tiny_policy(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demos") / "move_to.mcap"
    summary = record_demos("move_to", 6, seed=3, path=out, progress=False)
    assert summary.successes == 6
    data = load_demonstrations([out], skill="move_to")
    policy, metrics = train_policy(data, "rt-h", seed=0, epochs=4, hidden=64, progress=False, num_threads=1)
    assert metrics["loss"][-1] < metrics["loss"][0]
    return policy


def test_motions_agree() -> None:
    assert motions_agree("move arm left", "move arm left and up")
    assert not motions_agree("move arm left", "move arm right")
    assert not motions_agree("close gripper", "open gripper")
    assert not motions_agree("stop", "move arm up")


def test_oracle_is_never_corrected(robot) -> None:
    res = evaluate_skill("move_to", lambda s: OracleController(), 2, 0, robot=robot, corrector=SimulatedCorrector(),
                         controller_name="oracle")
    assert res.successes == 2 and res.corrections == 0


def test_tiny_policy_rollout_and_corrected_rollout(robot, tiny_policy, tmp_path: Path) -> None:
    lib = load_skill_library()

    def make(spec):
        return PolicyController(tiny_policy, tuple(lib.names))

    plain = evaluate_skill("move_to", make, 1, 5, robot=robot)
    assert plain.episodes == 1  # a smoke rollout: it ran to success or a clear failure
    assert plain.successes == 1 or plain.failures
    from robomatrix.skills.recording import EpisodeWriter

    with EpisodeWriter(tmp_path / "interventions.mcap") as writer:
        corrected = evaluate_skill("move_to", make, 2, 5, robot=robot, corrector=SimulatedCorrector(patience=3),
                                   writer=writer)
    assert corrected.episodes == 2
    assert corrected.corrections > 0  # a 4-epoch policy drifts; the simulated person steps in
    data = load_demonstrations([tmp_path / "interventions.mcap"])
    assert "person" in set(data.source)
    before = [p.detach().clone() for p in tiny_policy.motion_head.parameters()]
    action_before = [p.detach().clone() for p in tiny_policy.action_head.parameters()]
    finetune_motion_head(tiny_policy, data, epochs=2, progress=False, num_threads=1)
    after = list(tiny_policy.motion_head.parameters())
    assert any(not np.allclose(b.numpy(), a.detach().numpy()) for b, a in zip(before, after, strict=True))
    assert all(np.allclose(b.numpy(), a.detach().numpy())
               for b, a in zip(action_before, tiny_policy.action_head.parameters(), strict=True))


def test_dagger_rounds_collect_corrections_and_finetune_from_the_original(robot, tmp_path: Path) -> None:
    from robomatrix.learning.dagger import dagger_finetune
    from robomatrix.policies.model import LanguageMotionPolicy

    demos = tmp_path / "move_to.mcap"
    record_demos("move_to", 4, seed=11, path=demos, progress=False)
    data = load_demonstrations([demos], skill="move_to")
    # a context-reading policy trained for one epoch: it drifts, so the simulated person speaks
    policy, _ = train_policy(data, "rt-h", seed=0, epochs=1, hidden=32, progress=False, num_threads=1,
                             context="displacement")
    ckpt = policy.save(tmp_path / "move_to" / "policy.pt")
    tuned, report = dagger_finetune("move_to", ckpt, robot=robot, out_dir=tmp_path / "interventions", rounds=2,
                                    episodes=1, seed=40, replay=[demos], epochs=1)
    assert [r["seed"] for r in report["rounds"]] == [40, 41]
    first = report["rounds"][0]
    assert first["corrections"] > 0 and first["person_steps"] > 0
    assert first["replayed_steps"] == len(data)
    recorded = sorted((tmp_path / "interventions").glob("move_to_interventions_*.mcap"))
    assert 1 <= len(recorded) <= 2
    assert isinstance(tuned, LanguageMotionPolicy) and tuned.config.context == ("displacement",)
    original = LanguageMotionPolicy.load(ckpt)
    changed = {k for k, v in original.state_dict().items() if not np.allclose(v.numpy(), tuned.state_dict()[k].numpy())}
    assert changed and all(k.startswith("motion_head.") for k in changed), changed
    assert tuned.metadata["dagger"]["rounds"][-1]["round"] == 1
