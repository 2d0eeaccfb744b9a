"""Automatic language-motion labeller: directions, combinations, thresholds, priorities, noise."""

from __future__ import annotations

import numpy as np
import pytest

from robomatrix.errors import ConfigError
from robomatrix.hardware.interface import Action, Observation
from robomatrix.policies.language_motion import VOCABULARY, motion_direction
from robomatrix.skills.labeller import (
    LabellerConfig,
    LabellingError,
    arrays_from_actions,
    arrays_from_observations,
    label_actions,
    label_trajectory,
    label_window,
)

T = 10


def window(linear=(0.0, 0.0, 0.0), yaw=0.0, grip_from=0.0, grip_to=None, steps=T):
    lin = np.tile(np.asarray(linear, float), (steps, 1))
    yaw_arr = np.full(steps, float(yaw))
    grip = np.linspace(grip_from, grip_from if grip_to is None else grip_to, steps)
    return lin, yaw_arr, grip


@pytest.mark.parametrize(
    ("linear", "expected"),
    [
        ((0.05, 0, 0), "move arm forward"),
        ((-0.05, 0, 0), "move arm backward"),
        ((0, 0.05, 0), "move arm left"),
        ((0, -0.05, 0), "move arm right"),
        ((0, 0, 0.05), "move arm up"),
        ((0, 0, -0.05), "move arm down"),
    ],
)
def test_each_direction(linear, expected):
    assert label_window(*window(linear)) == expected


@pytest.mark.parametrize(
    ("linear", "expected"),
    [
        ((0.05, 0.04, 0), "move arm forward and left"),
        ((0.03, -0.05, 0), "move arm forward and right"),  # order is canonical, not by size
        ((-0.05, 0, -0.05), "move arm backward and down"),
        ((0, -0.02, 0.04), "move arm right and up"),
        ((0.05, 0.03, 0.04), "move arm forward and up"),  # the third axis is dropped
    ],
)
def test_combinations(linear, expected):
    assert label_window(*window(linear)) == expected


def test_secondary_fraction():
    lin = (0.10, 0.049, 0)
    assert label_window(*window(lin)) == "move arm forward"
    assert label_window(*window((0.10, 0.05, 0))) == "move arm forward and left"
    loose = LabellerConfig(secondary_fraction=0.3)
    assert label_window(*window(lin), config=loose) == "move arm forward and left"


def test_deadband():
    assert label_window(*window((0.009, 0, 0))) == "stop"
    assert label_window(*window((0.011, 0, 0))) == "move arm forward"
    # a secondary component under the deadband is dropped even when above the fraction
    assert label_window(*window((0.015, 0.009, 0))) == "move arm forward"
    assert label_window(*window((0.04, 0, 0)), config=LabellerConfig(deadband=0.05)) == "stop"


def test_mean_over_window():
    lin = np.zeros((T, 3))
    lin[:, 0] = [0.2, -0.1] * (T // 2)  # mean +0.05
    assert label_window(lin, np.zeros(T), np.zeros(T)) == "move arm forward"


def test_rotation_and_its_deadband():
    assert label_window(*window(yaw=0.5)) == "rotate gripper left"
    assert label_window(*window(yaw=-0.5)) == "rotate gripper right"
    assert label_window(*window(yaw=0.05)) == "stop"
    # translation wins over rotation
    assert label_window(*window((0, 0, 0.05), yaw=0.5)) == "move arm up"


def test_gripper_priority_and_threshold():
    assert label_window(*window((0.1, 0, 0), yaw=1.0, grip_from=0.0, grip_to=1.0)) == "close gripper"
    assert label_window(*window((0, 0.1, 0), grip_from=1.0, grip_to=0.0)) == "open gripper"
    assert label_window(*window(grip_from=0.0, grip_to=0.15)) == "stop"
    strict = LabellerConfig(gripper_threshold=0.1)
    assert label_window(*window(grip_from=0.0, grip_to=0.15), config=strict) == "close gripper"
    # a gripper held closed is not a gripper motion
    assert label_window(*window((0, 0, 0.05), grip_from=1.0)) == "move arm up"


def test_nothing_is_stop():
    assert label_window(*window()) == "stop"
    assert label_window(np.zeros((1, 3)), np.zeros(1), np.zeros(1)) == "stop"


@pytest.mark.parametrize("motion", VOCABULARY)
def test_round_trip_every_vocabulary_entry(motion):
    d = motion_direction(motion)
    lin = np.tile(d.linear * 0.05, (T, 1))
    yaw = np.full(T, d.yaw * 0.5)
    if d.gripper is None:
        grip = np.full(T, 0.3)
    else:
        grip = np.linspace(1.0 - d.gripper, d.gripper, T)
    assert label_window(lin, yaw, grip) == motion


@pytest.mark.parametrize("motion", [m for m in VOCABULARY if m.startswith("move arm")])
def test_noise_robustness(motion):
    rng = np.random.default_rng(1234)
    d = motion_direction(motion)
    steps = 20
    for _ in range(20):
        lin = d.linear * 0.08 + rng.normal(0.0, 0.01, size=(steps, 3))
        yaw = rng.normal(0.0, 0.05, size=steps)
        grip = np.clip(0.5 + rng.normal(0.0, 0.02, size=steps), 0, 1)
        assert label_window(lin, yaw, grip) == motion


def test_noise_alone_is_stop():
    rng = np.random.default_rng(7)
    for _ in range(50):
        lin = rng.normal(0.0, 0.01, size=(20, 3))
        yaw = rng.normal(0.0, 0.05, size=20)
        assert label_window(lin, yaw, np.zeros(20)) == "stop"


def test_label_trajectory_centred_and_trailing():
    steps = 20
    lin = np.zeros((steps, 3))
    lin[:10, 0] = 0.05  # forward, then still
    yaw = np.zeros(steps)
    grip = np.zeros(steps)
    grip[15:] = 1.0  # close at tick 15
    centred = label_trajectory(lin, yaw, grip, LabellerConfig(window=5))
    assert len(centred) == steps
    assert centred[:9] == ["move arm forward"] * 9
    assert centred[12] == "stop"
    assert centred[13:17] == ["close gripper"] * 4  # the windows [t-2, t+2] that span the step
    assert centred[17:] == ["stop"] * 3
    trailing = label_trajectory(lin, yaw, grip, LabellerConfig(window=5, window_mode="trailing"))
    assert trailing[:10] == ["move arm forward"] * 10
    assert trailing[15:20] == ["close gripper"] * 4 + ["stop"]
    assert label_trajectory(lin, yaw, grip, LabellerConfig(window=1))[14:16] == ["stop", "stop"]


def test_label_trajectory_window_longer_than_trajectory():
    lin = np.tile([0.0, 0.0, -0.05], (3, 1))
    assert label_trajectory(lin, np.zeros(3), np.zeros(3), LabellerConfig(window=9)) == ["move arm down"] * 3


def test_actions_helpers():
    actions = [Action(linear=np.array([0.0, -0.05, 0.0]), gripper=0.0)] * 4 + [Action.hold(gripper=1.0)]
    lin, yaw, grip = arrays_from_actions(actions)
    assert lin.shape == (5, 3) and yaw.shape == (5,) and grip.shape == (5,)
    assert grip[-1] == 1.0
    labels = label_actions(actions, LabellerConfig(window=3, window_mode="trailing"))
    assert labels[:4] == ["move arm right"] * 4
    assert labels[4] == "close gripper"
    spin = [Action(angular=np.array([0.0, 0.0, -0.4]))] * 3
    assert label_actions(spin) == ["rotate gripper right"] * 3


def test_actions_helper_rejects_target_and_empty():
    with pytest.raises(LabellingError, match="mode 'target'.*arrays_from_observations"):
        arrays_from_actions([Action(mode="target", target_position=np.zeros(3))])
    with pytest.raises(LabellingError, match="no actions"):
        arrays_from_actions([])


def _obs(vel, yaw=0.0, closed=False):
    return Observation(
        stamp=0.0,
        joint_names=(),
        joint_positions=np.zeros(0),
        joint_velocities=np.zeros(0),
        ee_position=np.zeros(3),
        ee_orientation=np.array([0, 0, 0, 1.0]),
        ee_linear_velocity=np.asarray(vel, float),
        ee_angular_velocity=np.array([0, 0, yaw]),
        gripper_width=0.08,
        gripper_closed=closed,
    )


def test_observations_helper():
    obs = [_obs((0, 0, 0.05))] * 3 + [_obs((0, 0, 0), closed=True)]
    lin, yaw, grip = arrays_from_observations(obs)
    assert grip.tolist() == [0, 0, 0, 1]
    assert label_window(lin, yaw, grip) == "close gripper"
    lin, yaw, grip = arrays_from_observations(obs[:3], gripper_commands=[0.2, 0.2, 0.2])
    assert label_window(lin, yaw, grip) == "move arm up"
    with pytest.raises(LabellingError, match="one value per observation"):
        arrays_from_observations(obs, gripper_commands=[0.0])
    with pytest.raises(LabellingError, match="no observations"):
        arrays_from_observations([])


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ((np.zeros((5, 2)), np.zeros(5), np.zeros(5)), r"linear_velocity must have shape \(T, 3\)"),
        ((np.zeros((0, 3)), np.zeros(0), np.zeros(0)), r"T >= 1"),
        ((np.zeros((5, 3)), np.zeros(4), np.zeros(5)), r"yaw_rate must have shape \(T,\) = \(5,\)"),
        ((np.zeros((5, 3)), np.zeros(5), np.zeros((5, 1))), r"gripper must have shape"),
        ((np.full((5, 3), np.nan), np.zeros(5), np.zeros(5)), r"linear_velocity contains non-finite"),
        ((np.zeros((5, 3)), np.full(5, np.inf), np.zeros(5)), r"yaw_rate contains non-finite"),
        ((np.zeros((5, 3)), np.zeros(5), ["a"] * 5), r"numeric arrays"),
    ],
)
def test_bad_inputs(arrays, message):
    with pytest.raises(LabellingError, match=message):
        label_window(*arrays)
    with pytest.raises(LabellingError, match=message):
        label_trajectory(*arrays)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deadband": 0}, "deadband must be a finite number > 0"),
        ({"deadband": float("nan")}, "deadband"),
        ({"yaw_deadband": -1}, "yaw_deadband"),
        ({"gripper_threshold": 1.0}, "gripper_threshold must be below 1"),
        ({"gripper_threshold": "0.2"}, "gripper_threshold must be a finite number"),
        ({"secondary_fraction": 1.5}, r"secondary_fraction must be in \(0, 1\]"),
        ({"secondary_fraction": True}, "secondary_fraction"),
        ({"window": 0}, "window must be an integer >= 1"),
        ({"window": 2.5}, "window must be an integer"),
        ({"window_mode": "centered"}, "window_mode must be one of"),
    ],
)
def test_config_validation(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        LabellerConfig(**kwargs)


def test_config_is_frozen():
    cfg = LabellerConfig()
    with pytest.raises(AttributeError):
        cfg.deadband = 0.5  # type: ignore[misc]
