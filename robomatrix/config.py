"""Stack configuration: config/robot.yaml → frozen, validated dataclasses. No rclpy.

Each backend validates its own section (``sim`` → SimConfig, ``bridge`` → BridgeConfig,
the classes registered in :mod:`robomatrix.hardware.registry`); this module validates the
shared sections and says which file and key was wrong. :meth:`StackConfig.robot_config`
turns the chosen backend's section into its config for ``make_robot_from_config``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from robomatrix import resources
from robomatrix.errors import ConfigError, UnknownBackendError
from robomatrix.hardware.camera import CameraConfig
from robomatrix.hardware.registry import backend_config_class, registered_backends
from robomatrix.hardware.safety import SafetyLimits

if TYPE_CHECKING:
    from robomatrix.hardware.camera import CameraConfig
from robomatrix.hardware.registry import RobotConfig

# scheduler and skill_server stay raw mappings here; their layers validate them
# (robomatrix.scheduler.runner.config_from_dict, robomatrix.skills.executor.ExecutionConfig).
_TOP_KEYS = {"robot", "control", "safety", "camera", "perception", "sim", "bridge", "scheduler", "skill_server"}


def project_share_dir() -> Path:
    """Folder holding launch/, config/ and skills/: the checkout, or share/robomatrix when installed.

    See :mod:`robomatrix.resources` for the search order.
    """
    return resources.share_dir()


def default_config_path() -> Path:
    return resources.resource_dir("config") / "robot.yaml"


def _default(*keys: str) -> Any:
    """Dataclass field whose default is read from the packaged config/robot.yaml."""
    return field(default_factory=resources.packaged_default("robot.yaml", *keys))


@dataclass(frozen=True)
class ControlConfig:
    # Defaults: section control of config/robot.yaml.
    rate_hz: float = _default("control", "rate_hz")  # Hz of robot time: control tick / arm command rate (>= 50)
    observation_rate_hz: float = _default("control", "observation_rate_hz")  # Hz: joint_states + observation
    camera_rate_hz: float = _default("control", "camera_rate_hz")  # Hz: camera/image_raw
    real_time_factor: float = _default("control", "real_time_factor")  # sim only: simulated s per wall s

    def __post_init__(self) -> None:
        for key in ("rate_hz", "observation_rate_hz", "camera_rate_hz", "real_time_factor"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise ConfigError(f"control.{key} must be a positive number, got {v!r}")
        if self.rate_hz < 50:
            raise ConfigError(f"control.rate_hz is {self.rate_hz}; the arm needs at least 50 Hz, set 50 or more")
        for key in ("observation_rate_hz", "camera_rate_hz"):
            if getattr(self, key) > self.rate_hz:
                raise ConfigError(f"control.{key} ({getattr(self, key)}) cannot exceed control.rate_hz ({self.rate_hz})")


@dataclass(frozen=True)
class StackConfig:
    """The whole robot.yaml, validated. ``sim`` and ``bridge`` stay raw dicts for their backends."""

    backend: str = _default("robot", "backend")
    control: ControlConfig = field(default_factory=ControlConfig)
    safety: SafetyLimits = field(default_factory=SafetyLimits)
    camera: CameraConfig = field(default_factory=CameraConfig)
    perception: dict[str, Any] = field(default_factory=dict)
    sim: dict[str, Any] = field(default_factory=dict)
    bridge: dict[str, Any] = field(default_factory=dict)
    scheduler: dict[str, Any] = field(default_factory=dict)
    skill_server: dict[str, Any] = field(default_factory=dict)
    source: str = "<defaults>"  # file it came from, for error messages

    def __post_init__(self) -> None:
        if self.backend not in registered_backends():
            raise UnknownBackendError(
                f"unknown robot backend {self.backend!r} (from {self.source}); "
                f"choose one of {', '.join(registered_backends())}"
            )

    def backend_section(self) -> dict[str, Any]:
        """The chosen backend's section of robot.yaml (the key named after it; {} when there is none)."""
        return dict(getattr(self, self.backend, None) or {})

    def robot_config(self, **overrides: Any) -> RobotConfig:
        """The chosen backend's config: its section, then ``overrides``, with control.rate_hz as control_hz."""
        section = {**self.backend_section(), **overrides}
        if "control_hz" in section:
            raise ConfigError(
                f"{self.source}: {self.backend}.control_hz is set from control.rate_hz; remove it from "
                f"the '{self.backend}' section and set control.rate_hz instead"
            )
        rate = self.control.rate_hz
        section["control_hz"] = int(rate) if float(rate).is_integer() else rate  # 60.0 -> 60 for the simulator
        try:
            return backend_config_class(self.backend).from_dict(section)
        except ConfigError as e:
            if str(e).startswith(self.source):
                raise
            raise ConfigError(f"{self.source}: {e}") from e

    def settings(self, section: str) -> dict[str, Any]:
        """A node's section (scheduler, skill_server): the packaged config/robot.yaml values with
        this file's on top. A key the packaged file does not have is an error naming the valid ones."""
        if section not in ("scheduler", "skill_server", "perception"):
            raise ValueError(f"settings() covers the scheduler, skill_server and perception sections, not {section!r}")
        defaults = dict(resources.packaged_yaml("robot.yaml").get(section) or {})
        given = getattr(self, section)
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise ConfigError(f"{self.source}: unknown key(s) {unknown} in '{section}'; valid keys: {sorted(defaults)}")
        return {**defaults, **given}


def _section(data: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: section '{key}' must be a mapping of settings, got {type(value).__name__}")
    return value


def _build(cls: type, data: dict[str, Any], section: str, path: str) -> Any:
    unknown = set(data) - set(cls.__dataclass_fields__)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {sorted(unknown)} in '{section}'; valid keys: {sorted(cls.__dataclass_fields__)}"
        )
    return cls(**data)


def parse_stack_config(data: Any, source: str = "<dict>", backend: str | None = None) -> StackConfig:
    """Validate an already-parsed robot.yaml. ``backend`` overrides robot.backend when given."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(data).__name__}; "
                          "see config/robot.yaml for the format")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown section(s) {sorted(unknown)}; valid sections: {sorted(_TOP_KEYS)}")
    robot = _section(data, "robot", source)
    extra = set(robot) - {"backend"}
    if extra:
        raise ConfigError(f"{source}: unknown key(s) {sorted(extra)} in 'robot'; valid keys: ['backend']")
    try:
        control = _build(ControlConfig, _section(data, "control", source), "control", source)
        safety = SafetyLimits.from_dict(_section(data, "safety", source))
        camera = CameraConfig.from_dict(_section(data, "camera", source))
    except ConfigError as e:
        if str(e).startswith(source):
            raise
        raise ConfigError(f"{source}: {e}") from e
    chosen = backend or robot.get("backend")
    return StackConfig(
        **({"backend": chosen} if chosen else {}),
        control=control,
        safety=safety,
        camera=camera,
        perception=_section(data, "perception", source),
        sim=_section(data, "sim", source),
        bridge=_section(data, "bridge", source),
        scheduler=_section(data, "scheduler", source),
        skill_server=_section(data, "skill_server", source),
        source=source,
    )


def load_stack_config(path: str | os.PathLike[str] | None = None, backend: str | None = None) -> StackConfig:
    """Read and validate robot.yaml (default: the project's config/robot.yaml)."""
    p = Path(path) if path else default_config_path()
    if not p.is_file():
        raise ConfigError(f"config file {p} does not exist; pass an existing robot.yaml (see config/robot.yaml)")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(f"{p} is not valid YAML: {e}; fix the syntax (see config/robot.yaml)") from e
    return parse_stack_config(data, source=str(p), backend=backend)
