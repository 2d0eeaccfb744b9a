"""Robot backends by name (register_backend, make_robot_from_config) and the Robot interface's optional parts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from robomatrix.config import load_stack_config, parse_stack_config
from robomatrix.errors import CapabilityError, ConfigError, ResetNotSupportedError, UnknownBackendError
from robomatrix.hardware import registry
from robomatrix.hardware.bridge import BridgeConfig, BridgeRobot
from robomatrix.hardware.interface import Action, ControllerDriven, Observation, Robot
from robomatrix.hardware.registry import (
    backend_config_class,
    make_robot_from_config,
    register_backend,
    registered_backends,
)
from robomatrix.hardware.safety import SafetyFilter, SafetyLimits
from robomatrix.hardware.sim import SimConfig, SimRobot

pytestmark = pytest.mark.sim


class FixedArm(Robot):
    """A backend with no reset and no step: an arm standing still, in real time."""

    name = "fixed"

    def __init__(self, limits: SafetyLimits) -> None:
        self._safety = SafetyFilter(limits=limits, control_period=1 / 60)
        self.connected = False

    @property
    def features(self) -> dict[str, Any]:
        return {"backend": "fixed", "camera_shape": None}

    @property
    def safety(self) -> SafetyFilter:
        return self._safety

    @property
    def is_connected(self) -> bool:
        return self.connected

    def connect(self) -> None:
        self.connected = True

    def disconnect(self) -> None:
        self.connected = False

    def get_observation(self, *, with_image: bool = False) -> Observation:
        z = np.zeros(3)
        return Observation(stamp=self.now(), joint_names=(), joint_positions=np.zeros(0),
                           joint_velocities=np.zeros(0), ee_position=np.array([0.5, 0.0, 0.3]),
                           ee_orientation=np.array([1.0, 0.0, 0.0, 0.0]), ee_linear_velocity=z,
                           ee_angular_velocity=z, gripper_width=0.08, gripper_closed=False,
                           estopped=self.safety.estopped)

    def send_action(self, action: Action) -> Action:
        return self.safety.filter(action, np.array([0.5, 0.0, 0.3]), last_gripper=0.0)


@dataclass(frozen=True)
class FixedConfig:
    label: str = "test"

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FixedConfig:
        return cls(**dict(data or {}))

    def make_robot(self, limits: SafetyLimits | None = None) -> FixedArm:
        return FixedArm(limits or SafetyLimits())


@pytest.fixture
def fixed_backend() -> Iterator[type]:
    cls = register_backend("fixed_test")(FixedConfig)
    yield cls
    registry.BACKENDS.remove("fixed_test")


def test_builtin_backends_are_registered() -> None:
    assert {"sim", "bridge"} <= set(registered_backends())
    assert backend_config_class("sim") is SimConfig and SimConfig.backend == "sim"  # type: ignore[attr-defined]
    assert backend_config_class("bridge") is BridgeConfig


def test_reading_robot_yaml_loads_no_backend() -> None:
    code = ("import sys\nfrom robomatrix.config import load_stack_config\n"
            "cfg = load_stack_config(backend='bridge')\n"
            "assert 'pybullet' not in sys.modules, 'reading robot.yaml imported pybullet'\n"
            "cfg.robot_config()\nassert 'pybullet' in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_unknown_backend_lists_the_registered_ones(fixed_backend: type) -> None:
    with pytest.raises(UnknownBackendError, match="unknown robot backend 'mujoco'; choose one of sim, bridge, fixed_test"):
        backend_config_class("mujoco")
    with pytest.raises(UnknownBackendError, match="unknown robot backend 'mujoco'.*fixed_test"):
        parse_stack_config({"robot": {"backend": "mujoco"}})


def test_unregistered_config_is_refused() -> None:
    with pytest.raises(UnknownBackendError, match="FixedConfig is not a registered robot backend config"):
        make_robot_from_config(FixedConfig())  # type: ignore[arg-type]


def test_a_name_cannot_be_taken_twice(fixed_backend: type) -> None:
    @dataclass(frozen=True)
    class Other(FixedConfig):
        pass

    with pytest.raises(ConfigError, match="'fixed_test' is registered twice"):
        register_backend("fixed_test")(Other)
    assert backend_config_class("fixed_test") is fixed_backend


def test_sim_is_built_from_robot_yaml() -> None:
    cfg = load_stack_config(backend="sim")
    sim_cfg = cfg.robot_config(seed=7)
    assert isinstance(sim_cfg, SimConfig)
    assert sim_cfg.seed == 7 and sim_cfg.scene == cfg.sim["scene"] and sim_cfg.control_hz == cfg.control.rate_hz
    robot = make_robot_from_config(sim_cfg, cfg.safety)
    assert isinstance(robot, SimRobot) and not isinstance(robot, ControllerDriven)
    assert robot.limits == cfg.safety and robot.owns_clock and robot.supports_reset
    with robot:
        assert robot.now() == 0.0 and robot.last_seed == 7
        robot.step()
        assert robot.now() == pytest.approx(1 / cfg.control.rate_hz)
        robot.engage_estop()
        assert robot.get_observation().estopped
        robot.release_estop()
        assert not robot.get_observation().estopped


def test_bridge_is_built_from_robot_yaml() -> None:
    cfg = load_stack_config(backend="bridge")
    robot = make_robot_from_config(cfg.robot_config(), cfg.safety)
    assert isinstance(robot, BridgeRobot) and isinstance(robot, ControllerDriven)
    assert robot.control_hz == cfg.control.rate_hz and robot.limits == cfg.safety
    link = robot.controller_link
    assert link.joint_states_topic == cfg.bridge["joint_states_topic"]
    assert link.trajectory_topic == cfg.bridge["trajectory_topic"]
    assert link.joint_state_timeout == cfg.bridge["joint_state_timeout"]
    assert not robot.owns_clock and not robot.supports_reset


def test_backend_sections_are_checked_with_the_file_named(tmp_path: Path) -> None:
    p = tmp_path / "robot.yaml"
    p.write_text("robot: {backend: bridge}\nbridge: {control_hz: 100}\n")
    with pytest.raises(ConfigError, match=r"robot.yaml: bridge.control_hz is set from control.rate_hz"):
        load_stack_config(p).robot_config()
    p.write_text("robot: {backend: sim}\nsim: {colour: red}\n")
    with pytest.raises(ConfigError, match=r"robot.yaml: unknown sim setting\(s\) \['colour'\]"):
        load_stack_config(p).robot_config()


def test_a_backend_without_reset_or_step_says_so(fixed_backend: type) -> None:
    robot = make_robot_from_config(fixed_backend(), SafetyLimits())
    assert isinstance(robot, FixedArm) and not robot.supports_reset and not robot.owns_clock
    with robot:
        with pytest.raises(ResetNotSupportedError, match="'fixed' backend cannot reset its world") as e:
            robot.reset(seed=3, scene="tabletop")
        assert isinstance(e.value, CapabilityError)
        with pytest.raises(CapabilityError, match="'fixed' backend runs in real time and has no step"):
            robot.step()
        t0 = robot.now()
        assert robot.get_observation().stamp >= t0  # real time: the host's monotonic clock
        robot.engage_estop()  # the e-stop works through the interface on any backend
        assert robot.send_action(Action(linear=np.array([0.1, 0.0, 0.0]))).mode == "hold"
        assert robot.get_observation().estopped


def test_bridge_reset_is_the_typed_error() -> None:
    robot = BridgeRobot(BridgeConfig(), SafetyLimits())
    with pytest.raises(ResetNotSupportedError, match="'bridge' backend cannot reset"):
        robot.reset(seed=0)
