"""The drawer as a place_over target, in the simulator: its inside as the conditions compute it
from the observation, the accessible() precondition, and the oracle chain open → carry in →
release → close with the block ending up inside the closed drawer."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from robomatrix.hardware.sim import SimConfig, SimRobot
from robomatrix.learning.demos import _run_unrecorded
from robomatrix.skills.conditions import ConditionThresholds, drawer_inside, explain
from robomatrix.skills.spec import Condition, load_skill_library

pytestmark = pytest.mark.sim

SEED = 3  # a tabletop_drawer layout; any seed of the scene has the drawer and 2-3 blocks


@pytest.fixture(scope="module")
def robot() -> Iterator[SimRobot]:
    with SimRobot(SimConfig(scene="tabletop_drawer", seed=SEED)) as r:
        yield r  # type: ignore[misc]


def _drawer(obs):  # type: ignore[no-untyped-def]
    return next(o for o in obs.objects if o.category == "drawer")


def _block(obs):  # type: ignore[no-untyped-def]
    return next(o for o in obs.objects if o.category == "block")


def _holds(cond: str, *args: object, obs) -> tuple[bool, str]:  # type: ignore[no-untyped-def]
    return explain(Condition(cond, tuple(args)), {}, obs)  # type: ignore[arg-type]


def _settle(robot: SimRobot, ticks: int = 90):  # type: ignore[no-untyped-def]
    for _ in range(ticks):
        robot.step()
    return robot.get_observation()


def test_place_over_spec_accepts_a_drawer_only_when_open(robot: SimRobot) -> None:
    lib = load_skill_library()
    spec = lib.get("place_over")
    assert "drawer" in next(a for a in spec.arguments if a.name == "target").categories
    obs = robot.reset(seed=SEED)
    drawer = _drawer(obs)
    assert spec.validate_arguments({"target": "drawer"}, obs.objects) == {"target": drawer.id}
    ok, why = _holds("accessible", drawer.id, obs=obs)
    assert not ok and "not open" in why
    bowl = next(o for o in obs.objects if o.category == "bowl")
    assert _holds("accessible", bowl.id, obs=obs) == (True, "")
    obs = _run_unrecorded(robot, "move_to", {"object": drawer.id}, 900, None)
    obs = _run_unrecorded(robot, "open_drawer", {"drawer": drawer.id}, 1500, None)
    assert _holds("accessible", drawer.id, obs=obs) == (True, "")


def test_inside_follows_the_handle_and_lies_out_of_the_cabinet_when_open(robot: SimRobot) -> None:
    obs = robot.reset(seed=SEED)
    closed = _drawer(obs)
    closed_inside = drawer_inside(closed)
    obs = _run_unrecorded(robot, "move_to", {"object": closed.id}, 900, None)
    obs = _run_unrecorded(robot, "open_drawer", {"drawer": closed.id}, 1500, None)
    opened = _drawer(_settle(robot, 30))
    travel = float(closed.position[0] - opened.position[0])  # the drawer opens towards -x at yaw 0
    assert travel > 0.1
    whole = drawer_inside(opened)
    assert np.allclose(whole.centre, closed_inside.centre - np.array([travel, 0.0]), atol=1e-3)
    mouth = drawer_inside(opened, ConditionThresholds().drawer_mouth)
    cabinet_front = closed.position[0] + 0.035  # handle standoff: the closed front face is the cabinet's
    assert mouth.centre[0] + mouth.half[0] < cabinet_front  # the mouth is out of the cabinet
    assert mouth.floor < 0.03 < mouth.rim  # floor near the table, rim well above it
    # Something on the table in front of the drawer is not in it.
    assert not whole.contains(closed.position[:2] - np.array([0.3, 0.0]))


def test_oracles_put_a_block_into_the_drawer_and_close_it(robot: SimRobot) -> None:
    obs = robot.reset(seed=SEED)
    drawer, block = _drawer(obs), _block(obs)
    ok, why = _holds("on", block.id, drawer.id, obs=obs)
    assert not ok and "not inside" in why
    for skill, args in (("move_to", {"object": drawer.id}), ("open_drawer", {"drawer": drawer.id}),
                        ("move_to", {"object": block.id}), ("grasp", {"object": block.id})):
        obs = _run_unrecorded(robot, skill, args, 1500, None)
    assert obs.held_object_id == block.id
    ok, why = _holds("over", drawer.id, obs=obs)
    assert not ok and "not above the open drawer" in why  # still where it was grasped
    obs = _run_unrecorded(robot, "place_over", {"target": drawer.id}, 1500, None)
    assert _holds("over", drawer.id, obs=obs) == (True, "")
    obs = _run_unrecorded(robot, "release", {}, 900, None)
    obs = _settle(robot)
    assert _holds("on", block.id, drawer.id, obs=obs) == (True, "")
    resting = next(o for o in obs.objects if o.id == block.id)
    floor = drawer_inside(_drawer(obs)).floor
    assert abs((resting.position[2] - 0.5 * resting.size[2]) - floor) < 0.004  # it lies on the drawer's floor
    for skill, args in (("move_to", {"object": drawer.id}), ("close_drawer", {"drawer": drawer.id})):
        obs = _run_unrecorded(robot, skill, args, 1500, None)
    obs = _settle(robot, 60)
    assert _holds("drawer_open", drawer.id, False, obs=obs) == (True, "")
    assert _holds("on", block.id, drawer.id, obs=obs) == (True, "")  # it went in with the drawer


def test_over_a_closed_drawer_is_false(robot: SimRobot) -> None:
    obs = robot.reset(seed=SEED)
    drawer, block = _drawer(obs), _block(obs)
    for skill, args in (("move_to", {"object": block.id}), ("grasp", {"object": block.id})):
        obs = _run_unrecorded(robot, skill, args, 1500, None)
    ok, why = _holds("over", drawer.id, obs=obs)
    assert not ok and "not open" in why
    lib = load_skill_library()
    from robomatrix.skills.conditions import check_all

    ok, unmet = check_all(lib.get("place_over").preconditions, {"target": drawer.id}, obs)
    assert not ok and any(u.startswith(f"accessible({drawer.id})") for u in unmet)


def test_place_over_policy_sees_the_drawer_mouth_other_skills_see_the_handle(robot: SimRobot) -> None:
    from robomatrix.policies.features import FeatureLayout, build_features
    from robomatrix.skills.conditions import object_top, place_view

    lib = load_skill_library()
    layout = FeatureLayout(tuple(lib.names))
    obs = robot.reset(seed=SEED)
    drawer = _drawer(obs)
    obs = _run_unrecorded(robot, "move_to", {"object": drawer.id}, 900, None)
    obs = _run_unrecorded(robot, "open_drawer", {"drawer": drawer.id}, 1500, None)
    drawer = _drawer(obs)
    ee = np.asarray(obs.ee_position)
    mouth = drawer_inside(drawer, ConditionThresholds().drawer_mouth)
    place = place_view(drawer)
    assert np.allclose(place.position[:2], mouth.centre) and object_top(place) == pytest.approx(mouth.rim)
    assert place.opening == drawer.opening and place_view(_block(obs)) is _block(obs)
    rel = layout.slot_rel_position(0)
    placing = build_features(obs, "place_over", {"target": drawer.id}, lib.names, lib.get("place_over").place_arguments)
    assert np.allclose(placing[rel], place.position - ee, atol=1e-5)  # where the block goes
    reaching = build_features(obs, "move_to", {"object": drawer.id}, lib.names)
    assert np.allclose(reaching[rel], np.asarray(drawer.position) - ee, atol=1e-5)  # the handle
    assert np.linalg.norm(placing[rel][:2] - reaching[rel][:2]) > 0.05
