from __future__ import annotations

import numpy as np
import pytest

from robomatrix.errors import ConfigError
from robomatrix.hardware.interface import Action
from robomatrix.hardware.safety import SafetyFilter, SafetyLimits

CENTRE = np.array([0.5, 0.0, 0.3])


def test_speed_is_capped() -> None:
    f = SafetyFilter(SafetyLimits(max_linear_speed=0.2))
    out = f.filter(Action(linear=np.array([1.0, 0.0, 0.0])), CENTRE)
    assert np.linalg.norm(out.linear) == pytest.approx(0.2)
    assert f.clipped == 1


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_is_rejected_and_counted(bad: float) -> None:
    f = SafetyFilter()
    out = f.filter(Action(linear=np.array([bad, 0.0, 0.0])), CENTRE, last_gripper=1.0)
    assert out.mode == "hold" and out.gripper == 1.0
    assert f.rejected == 1 and "non-finite" in f.last_reject_reason


def test_gripper_out_of_range_and_unknown_mode_rejected() -> None:
    f = SafetyFilter()
    assert f.filter(Action(gripper=1.5), CENTRE).mode == "hold"
    assert f.filter(Action(mode="teleport"), CENTRE).mode == "hold"
    assert f.rejected == 2 and "teleport" in f.last_reject_reason


def test_velocity_stops_at_workspace_face() -> None:
    lim = SafetyLimits()
    f = SafetyFilter(lim, control_period=0.02)
    at_top = np.array([0.5, 0.0, lim.workspace_max[2]])
    out = f.filter(Action(linear=np.array([0.1, 0.0, 0.2])), at_top)
    assert out.linear[2] == 0.0 and out.linear[0] == pytest.approx(0.1)


def test_target_is_clipped_into_box() -> None:
    f = SafetyFilter()
    out = f.filter(Action(mode="target", target_position=np.array([5.0, -5.0, -1.0])), CENTRE)
    assert np.allclose(out.target_position, [0.80, -0.45, 0.02])


def test_estop_latches_until_released() -> None:
    f = SafetyFilter()
    f.engage_estop()
    for _ in range(3):
        assert f.filter(Action(linear=np.array([0.1, 0, 0])), CENTRE).mode == "hold"
    f.release_estop()
    assert f.filter(Action(linear=np.array([0.1, 0, 0])), CENTRE).mode == "velocity"


def test_watchdog() -> None:
    f = SafetyFilter(SafetyLimits(watchdog_timeout=0.25))
    assert f.watchdog_tripped(0.0)  # no command yet
    f.note_command(1.0)
    assert not f.watchdog_tripped(1.2)
    assert f.watchdog_tripped(1.3)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"workspace_min": (1.0, 0.0, 0.0), "workspace_max": (0.5, 1.0, 1.0)}, "below workspace_max"),
        ({"max_linear_speed": -1.0}, "max_linear_speed"),
        ({"watchdog_timeout": float("nan")}, "watchdog_timeout"),
    ],
)
def test_bad_limits_are_explained(kwargs: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        SafetyLimits(**kwargs)


def test_unknown_limit_key() -> None:
    with pytest.raises(ConfigError, match="unknown safety setting"):
        SafetyLimits.from_dict({"max_speed": 1.0})
