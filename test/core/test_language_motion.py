"""Language-motion vocabulary: order, directions, parsing and its error paths."""

from __future__ import annotations

import numpy as np
import pytest

from robomatrix.errors import RobomatrixError
from robomatrix.policies import language_motion as lm
from robomatrix.policies.language_motion import (
    RESUME,
    VOCABULARY,
    UnknownMotionError,
    index_to_motion,
    motion_direction,
    motion_to_index,
    motion_to_velocity,
    parse_motion,
    translation_motion,
)


def test_vocabulary_is_fixed_and_ordered():
    # The order is a class index for trained policies: this pins it.
    assert VOCABULARY[:7] == (
        "stop",
        "move arm forward",
        "move arm backward",
        "move arm left",
        "move arm right",
        "move arm up",
        "move arm down",
    )
    assert VOCABULARY[-4:] == ("rotate gripper left", "rotate gripper right", "open gripper", "close gripper")
    assert len(VOCABULARY) == 23
    assert len(set(VOCABULARY)) == len(VOCABULARY)
    assert RESUME not in VOCABULARY


def test_every_pair_of_different_axes_in_canonical_order():
    pairs = [m for m in VOCABULARY if " and " in m]
    assert len(pairs) == 12
    rank = {"forward": 0, "backward": 0, "left": 1, "right": 1, "up": 2, "down": 2}
    for motion in pairs:
        first, second = motion.removeprefix("move arm ").split(" and ")
        assert rank[first] < rank[second], motion
    assert "move arm backward and down" in pairs
    assert "move arm forward and left" in pairs
    assert "move arm left and forward" not in VOCABULARY


def test_index_round_trip():
    for i, motion in enumerate(VOCABULARY):
        assert motion_to_index(motion) == i
        assert index_to_motion(i) == motion
    assert index_to_motion(np.int64(3)) == "move arm left"


@pytest.mark.parametrize("bad", [-1, 23, 1.0, True, "3"])
def test_index_to_motion_rejects(bad):
    with pytest.raises(UnknownMotionError, match="out of range"):
        index_to_motion(bad)


def test_motion_to_index_rejects_unknown_listing_valid():
    with pytest.raises(UnknownMotionError) as info:
        motion_to_index("move arm sideways")
    assert "'move arm sideways'" in str(info.value)
    assert "'close gripper'" in str(info.value)
    assert issubclass(UnknownMotionError, RobomatrixError)


@pytest.mark.parametrize(
    ("motion", "linear", "yaw", "gripper"),
    [
        ("stop", (0, 0, 0), 0, None),
        ("move arm forward", (1, 0, 0), 0, None),
        ("move arm backward", (-1, 0, 0), 0, None),
        ("move arm left", (0, 1, 0), 0, None),
        ("move arm right", (0, -1, 0), 0, None),
        ("move arm up", (0, 0, 1), 0, None),
        ("move arm down", (0, 0, -1), 0, None),
        ("move arm forward and left", (1, 1, 0), 0, None),
        ("move arm backward and down", (-1, 0, -1), 0, None),
        ("move arm right and up", (0, -1, 1), 0, None),
        ("rotate gripper left", (0, 0, 0), 1, None),
        ("rotate gripper right", (0, 0, 0), -1, None),
        ("open gripper", (0, 0, 0), 0, 0.0),
        ("close gripper", (0, 0, 0), 0, 1.0),
    ],
)
def test_motion_direction(motion, linear, yaw, gripper):
    d = motion_direction(motion)
    expected = np.asarray(linear, float)
    if np.any(expected):
        expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(d.linear, expected)
    assert d.linear.shape == (3,)
    assert d.yaw == yaw
    assert d.gripper == gripper


def test_every_translation_direction_is_unit():
    for motion in VOCABULARY:
        d = motion_direction(motion)
        if motion.startswith("move arm"):
            assert np.linalg.norm(d.linear) == pytest.approx(1.0)
        else:
            assert not np.any(d.linear)


def test_motion_direction_rejects_unknown():
    with pytest.raises(UnknownMotionError, match="not a language motion"):
        motion_direction("fly")


def test_motion_to_velocity():
    lin, yaw, grip = motion_to_velocity("move arm left", linear_speed=0.1, yaw_rate=0.5, current_gripper=0.3)
    np.testing.assert_allclose(lin, [0, 0.1, 0])
    assert (yaw, grip) == (0.0, 0.3)
    lin, yaw, grip = motion_to_velocity("close gripper", linear_speed=0.1, yaw_rate=0.5, current_gripper=0.0)
    assert not np.any(lin) and yaw == 0 and grip == 1.0
    _, yaw, _ = motion_to_velocity(
        "rotate gripper right", linear_speed=0.1, yaw_rate=0.5, current_gripper=0.0
    )
    assert yaw == -0.5


def test_translation_motion():
    assert translation_motion((0, 0, 0)) == "stop"
    assert translation_motion((1, -1, 0)) == "move arm forward and right"
    assert translation_motion(np.array([0, 1, -1])) == "move arm left and down"
    with pytest.raises(UnknownMotionError, match="three axes"):
        translation_motion((1, 1, 1))
    with pytest.raises(UnknownMotionError, match="three values"):
        translation_motion((2, 0, 0))
    with pytest.raises(UnknownMotionError, match="three values"):
        translation_motion((1, 0))


@pytest.mark.parametrize("motion", VOCABULARY)
def test_every_vocabulary_entry_parses_to_itself(motion):
    assert parse_motion(motion) == motion
    assert parse_motion(f"  {motion.upper()}!! ") == motion


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Move arm LEFT.", "move arm left"),
        ("move   arm\tup", "move arm up"),
        ("go left", "move arm left"),
        ("left", "move arm left"),
        ("left and forward", "move arm forward and left"),
        ("move the arm down and back", "move arm backward and down"),
        ("up, and to the right please", "move arm right and up"),
        ("raise the arm", "move arm up"),
        ("lift", "move arm up"),
        ("lower the gripper a bit", "move arm down"),
        ("towards me", "move arm forward"),
        ("move toward me", "move arm forward"),
        ("away from me", "move arm backward"),
        ("to my left", "move arm right"),
        ("my right", "move arm left"),
        ("grab", "close gripper"),
        ("grip it", "close gripper"),
        ("let go", "open gripper"),
        ("Let-go!", "open gripper"),
        ("release", "open gripper"),
        ("halt", "stop"),
        ("FREEZE", "stop"),
        ("hold still", "stop"),
        ("resume", "resume"),
        ("carry on", "resume"),
        ("rotate left", "rotate gripper left"),
        ("turn the gripper clockwise", "rotate gripper right"),
        ("rotate counter-clockwise", "rotate gripper left"),
        ("twist anticlockwise", "rotate gripper left"),
        ("forwrd", "move arm forward"),  # one dropped letter
        ("rigth", "move arm right"),  # two swapped letters
        ("up up", "move arm up"),
    ],
)
def test_parse_motion_free_text(text, expected):
    assert parse_motion(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "names no motion"),
        ("   ", "names no motion"),
        ("please move the arm", "names no motion"),
        ("asdf qwerty", "unknown word(s) 'asdf', 'qwerty'"),
        ("move arm left quickly", "unknown word(s) 'quickly'"),
        ("move closer", "unknown word(s) 'closer'"),  # no fuzzy guess from a real word
        ("light", "unknown word(s) 'light'"),
        ("left and right", "both 'left' and 'right'"),
        ("up and down", "both 'up' and 'down'"),
        ("forward left up", "three axes"),
        ("grab and lift", "mixes a direction with close"),
        ("stop and resume", "mixes resume and stop"),
        ("open and close", "mixes close and open"),
        ("rotate", "exactly one of left/right"),
        ("rotate up", "exactly one of left/right"),
        ("rotate left and right", "exactly one of left/right"),
    ],
)
def test_parse_motion_rejects(text, reason):
    with pytest.raises(UnknownMotionError) as info:
        parse_motion(text)
    message = str(info.value)
    assert reason in message
    assert repr(text) in message
    assert "'move arm forward and left'" in message and "'resume'" in message


def test_parse_motion_rejects_non_text():
    with pytest.raises(UnknownMotionError, match="must be text"):
        parse_motion(3)  # type: ignore[arg-type]


def test_module_docstring_states_the_frame():
    doc = lm.__doc__ or ""
    assert "+x, away from the robot base" in doc
    assert "+y, the robot's left" in doc
    assert "person's right" in doc
