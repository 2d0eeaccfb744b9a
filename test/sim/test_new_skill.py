"""Issue 11: a skill is its folder. A small new skill (test/sim/data/new_skill/pick_up: spec,
oracle, episode setup, recipe, card) is copied into a temporary skill library; without any
other file changing, the planner plans with it, the oracle runs it in simulation, and a tiny
policy is trained for it whose one-hot vocabulary comes from the library."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from robomatrix.hardware.sim import SimConfig, SimRobot
from robomatrix.learning.dataset import load_demonstrations
from robomatrix.learning.demos import record_demos
from robomatrix.learning.recipe import load_recipe
from robomatrix.learning.skill_client import SimSkillClient
from robomatrix.learning.train import train_policy
from robomatrix.policies.model import load_policy
from robomatrix.resources import resource_dir
from robomatrix.scheduler.planner import GroundedBackend, Planner
from robomatrix.scheduler.runner import TaskRunner
from robomatrix.skills.executor import PolicyController
from robomatrix.skills.spec import load_skill_library

pytestmark = pytest.mark.sim

NEW = Path(__file__).parent / "data" / "new_skill" / "pick_up"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("skills")
    shutil.copytree(resource_dir("skills"), root, dirs_exist_ok=True)
    shutil.copytree(NEW, root / "pick_up")
    return load_skill_library(root)


def test_a_new_skill_folder_is_planned_run_and_trained(library, tmp_path: Path) -> None:
    assert "pick_up" in library and library.get("pick_up").folder.parent != resource_dir("skills")
    assert load_recipe(library.get("pick_up")).scenes == (("tabletop", 1.0),)
    with SimRobot(SimConfig(seed=0)) as robot:
        obs = robot.reset(seed=3, scene="tabletop")
        block = next(o for o in obs.objects if o.category == "block")
        # planned: the goal "held" is reached by the new skill in one step (the search takes the shortest plan)
        planner = Planner(GroundedBackend(), library)
        plan = planner.plan(f"pick up the {block.name}", obs)
        assert [s.skill for s in plan.steps] == ["pick_up"], plan.steps
        assert "pick_up(object)" in library.to_prompt_text() or "pick_up" in library.to_prompt_text()
        # run with its oracle, from the folder, in simulation; SUCCESS checked on the settled world
        client = SimSkillClient(robot, library, controller="oracle")
        result = TaskRunner(planner, client, library).run(f"pick up the {block.name}")
        assert result.success and result.goal_atoms == [f"held({block.id})"], result.summary
        assert client.world().held_object_id == block.id
        # trained: demonstrations set up by its episode.py, a tiny policy over the library's vocabulary
        demos = tmp_path / "pick_up_000.mcap"
        summary = record_demos("pick_up", 2, seed=7, path=demos, progress=False, robot=robot, library=library)
        assert summary.successes >= 1
    data = load_demonstrations([demos], skill="pick_up")
    policy, _ = train_policy(data, "rt-h", epochs=1, hidden=16, progress=False, num_threads=1, device="cpu")
    assert "pick_up" in policy.config.skill_names and policy.config.skill_names == library.names
    path = policy.save(tmp_path / "pick_up" / "policy.pt")
    loaded = load_policy(path, skill="pick_up")
    controller = PolicyController(loaded, library.names)
    controller.reset(library.get("pick_up"), {"object": block.id}, obs)
    action = controller.act(obs)
    assert np.all(np.isfinite(action.linear))
