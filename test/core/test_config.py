from __future__ import annotations

from pathlib import Path

import pytest

from robomatrix.config import load_stack_config, parse_stack_config
from robomatrix.errors import ConfigError, UnknownBackendError
from robomatrix.rosenv import apply_ros_defaults


def test_default_config_loads() -> None:
    cfg = load_stack_config()
    assert cfg.backend == "sim" and cfg.control.rate_hz >= 50


def test_backend_override_and_unknown_backend() -> None:
    assert load_stack_config(backend="bridge").backend == "bridge"
    with pytest.raises(UnknownBackendError, match="unknown robot backend 'mujoco'.*sim, bridge"):
        load_stack_config(backend="mujoco")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("robot: [1, 2", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("robots: {}\n", "unknown section"),
        ("control: {rate_hz: 10}\n", "at least 50 Hz"),
        ("control: {rate_hz: fast}\n", "control.rate_hz must be a positive number"),
        ("control: {camera_rate_hz: 100}\n", "cannot exceed"),
        ("safety: {max_speed: 1}\n", "unknown safety setting"),
        ("control: 3\n", "must be a mapping"),
    ],
)
def test_malformed_config_names_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    p = tmp_path / "robot.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=needle) as info:
        load_stack_config(p)
    assert str(p) in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_stack_config("/nonexistent/robot.yaml")


def test_empty_mapping_gives_defaults() -> None:
    assert parse_stack_config({}).backend == "sim"


def test_ros_defaults_keep_explicit_choices() -> None:
    env: dict[str, str] = {"ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET", "HOME": "/h"}
    apply_ros_defaults(env)
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SUBNET"
    env2: dict[str, str] = {}
    apply_ros_defaults(env2)
    assert env2["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
    assert env2["ROS_LOG_DIR"]
