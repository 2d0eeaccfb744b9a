"""Perception uses nothing privileged (issue 14, item 3): what the robot's own observation says it
holds (in simulation, the simulator's truth) never decides which perceived object is held."""

from __future__ import annotations

from dataclasses import replace

from test_perception import CAM, _det, _obs

from robomatrix.perception.pipeline import Perception, PerceptionConfig


def test_the_robots_held_object_id_is_not_taken_over() -> None:
    p = Perception(PerceptionConfig.from_sections(CAM, {}))
    p.tracker.update([_det("block", "red", 0.5, 0.0), _det("block", "blue", 0.6, 0.1)], 0.0)
    # The simulator names its block "block_red_0", as the tracker names its track: the same string.
    told = replace(_obs(0.0, ee=(0.45, 0.0, 0.30)), held_object_id="block_red_0")
    w = p.world(told)
    assert "block_red_0" in {o.id for o in w.objects}
    assert w.held_object_id == "", "the hand is open and far from the block: perception holds nothing"


def test_closing_at_a_drawers_handle_grips_the_drawer_from_perception_alone() -> None:
    """The drawer skills pull once the handle is held; that comes from the tracker (the gripper
    closed at the perceived handle), not from the simulator's held id."""
    from test_perception import _drawer

    p = Perception(PerceptionConfig.from_sections(CAM, {}))
    p.tracker.update([_drawer(0.595, 0.26)], 0.0)
    (drawer,) = p.world(_obs(0.0)).objects
    at_handle = (0.597, 0.258, 0.114)
    p.world(_obs(0.05, ee=at_handle))
    assert p.world(_obs(0.1, ee=at_handle, closed=True)).held_object_id == drawer.id
    assert p.world(_obs(0.2, ee=at_handle, closed=False)).held_object_id == ""
    away = (0.45, 0.0, 0.30)
    p.world(_obs(0.3, ee=away))
    assert p.world(_obs(0.4, ee=away, closed=True)).held_object_id == "", "closing in the air grips nothing"


def _closing(stamp: float, ee: tuple[float, float, float], width: float):  # type: ignore[no-untyped-def]
    return replace(_obs(stamp, ee=ee, closed=True), gripper_width=width)


def test_a_grasp_is_taken_only_once_the_fingers_stop_on_something() -> None:
    """Per-skill grasp with perception reported 5 false successes in 20: the tracker took the block
    as held the moment the gripper was commanded closed, though the fingers then met under it. Now
    the finger gap decides: it must stop shrinking, wider than min_hold_width."""
    above = (0.5, 0.0, 0.03)
    p = Perception(PerceptionConfig.from_sections(CAM, {}))
    p.tracker.update([_det("block", "red", 0.5, 0.0)], 0.0)
    p.world(_obs(0.0, ee=above))
    # Fingers closing on the 4 cm block: held once the gap stops at 4 cm, not before.
    assert p.world(_closing(0.02, above, 0.053)).held_object_id == ""
    assert p.world(_closing(0.04, above, 0.041)).held_object_id == ""
    assert p.world(_closing(0.06, above, 0.0408)).held_object_id == "block_red_0"
    # It slips out: the fingers meet, nothing is held any more.
    assert p.world(_closing(0.5, above, 0.0004)).held_object_id == ""

    q = Perception(PerceptionConfig.from_sections(CAM, {}))
    q.tracker.update([_det("block", "red", 0.5, 0.0)], 0.0)
    q.world(_obs(0.0, ee=above))
    # A miss: the gap shrinks to nothing; at no tick is the block held.
    assert all(q.world(_closing(0.02 * (k + 1), above, w)).held_object_id == ""
               for k, w in enumerate((0.053, 0.035, 0.023, 0.015, 0.0099, 0.0065, 0.0042, 0.0028, 0.0018, 0.0012)))
