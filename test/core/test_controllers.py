"""The one Controller interface: trained policies and the scripted oracle's adapter answer
``act(obs)`` (their own action) and ``act(obs, motion)`` (a person's) alike."""

from __future__ import annotations

import numpy as np

from robomatrix.hardware.interface import ObjectInfo, Observation
from robomatrix.skills.executor import OracleController, PolicyController
from robomatrix.skills.spec import load_skill_library


def observation(ee: tuple[float, float, float] = (0.5, 0.0, 0.3)) -> Observation:
    block = ObjectInfo(id="block_red_0", name="red block", category="block", colour="red", rgba=(1, 0, 0, 1),
                       position=np.array([0.6, 0.1, 0.02]), orientation=np.array([0.0, 0.0, 0.0, 1.0]),
                       size=np.full(3, 0.04))
    return Observation(
        stamp=0.0, joint_names=(), joint_positions=np.zeros(0), joint_velocities=np.zeros(0),
        ee_position=np.array(ee), ee_orientation=np.array([0.0, 0.0, 0.0, 1.0]), ee_linear_velocity=np.zeros(3),
        ee_angular_velocity=np.zeros(3), gripper_width=0.08, gripper_closed=False, held_object_id="",
        objects=(block,),
    )  # fmt: skip


class CountingPolicy:
    def __init__(self) -> None:
        self.overrides: list[str | None] = []

    def reset(self) -> None:
        pass

    def select_action(self, features, motion_override=None):  # type: ignore[no-untyped-def]
        self.overrides.append(motion_override)
        vz = 0.05 if motion_override == "move arm up" else 0.0
        return "move arm forward", np.array([0.1, 0.0, vz, 0.0, 0.0], dtype=np.float32)


def test_a_policy_acts_on_its_own_motion_and_on_a_persons() -> None:
    lib = load_skill_library()
    policy = CountingPolicy()
    ctrl = PolicyController(policy, tuple(lib.names))
    obs = observation()
    ctrl.reset(lib.get("move_to"), {"object": "block_red_0"}, obs)
    assert ctrl.predict_motion(obs) == "move arm forward"
    assert ctrl.act(obs).linear[0] == np.float32(0.1) and policy.overrides == [None]  # the predicted action, no query
    assert ctrl.act(obs, "move arm forward").linear[0] == np.float32(0.1) and len(policy.overrides) == 1
    assert ctrl.act(obs, "move arm up").linear[2] == np.float32(0.05) and policy.overrides[-1] == "move arm up"
    fresh = observation((0.4, 0.0, 0.3))
    ctrl.act(fresh)  # not asked about this observation: one query of its own
    assert policy.overrides[-1] is None and len(policy.overrides) == 3
    assert not ctrl.done(fresh)


def test_the_oracle_adapter_acts_once_per_tick_and_says_when_it_is_done() -> None:
    lib = load_skill_library()
    ctrl = OracleController()
    assert not ctrl.reactive and not ctrl.done(observation())  # nothing to run before reset
    obs = observation()
    ctrl.reset(lib.get("move_to"), {"object": "block_red_0"}, obs)
    assert ctrl.reactive  # move_to's oracle decides from the current state alone
    oracle = ctrl._oracle
    ticks = oracle.phase_ticks
    motion = ctrl.predict_motion(obs)
    first = ctrl.act(obs)  # the action predict_motion decided: the script is not stepped again
    assert oracle.phase_ticks == ticks + 1 and motion.startswith(("move arm", "stop"))
    ctrl.act(obs)  # no prediction pending: the script's next tick
    assert oracle.phase_ticks == ticks + 2
    person = ctrl.act(obs, "move arm up")  # a person's motion is carried out directly
    assert person.linear[2] > 0 and oracle.phase_ticks == ticks + 2
    assert first.mode == "velocity" and ctrl.done(obs) == oracle.done(obs)
