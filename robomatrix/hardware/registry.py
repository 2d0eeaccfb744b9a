"""Robot backends by name: each backend's config class registers itself; one function builds the robot.

A backend is a frozen config dataclass decorated with ``@register_backend("name")`` that
has ``from_dict(section)`` (its section of robot.yaml) and ``make_robot(limits)``.
``make_robot_from_config(cfg)`` builds the robot any registered config describes. The
built-in backends are only *located* here (name -> module, imported on first use, like
Gymnasium's string entry points) so that reading robot.yaml does not load pybullet; the
class each name means is whatever that module registers. Core module: imports no rclpy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from robomatrix.errors import ConfigError, UnknownBackendError
from robomatrix.registry import Registry

if TYPE_CHECKING:
    from robomatrix.hardware.interface import Robot
    from robomatrix.hardware.safety import SafetyLimits


class RobotConfig(Protocol):
    """What a registered backend config provides (a frozen dataclass)."""

    backend: ClassVar[str]  # the registered name, set by register_backend
    __dataclass_fields__: ClassVar[dict[str, Any]]

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RobotConfig: ...

    def make_robot(self, limits: SafetyLimits | None = None) -> Robot: ...


BACKENDS: Registry[type] = Registry(
    "robot backend",
    error=UnknownBackendError,
    duplicate_error=ConfigError,
    on_register=lambda name, cls: setattr(cls, "backend", name),
    # Built-in backend name -> the module whose import registers it (imported when the backend is used).
    located={"sim": "robomatrix.hardware.sim.robot", "bridge": "robomatrix.hardware.bridge"},
)
"""Backend name -> config class, filled by :func:`register_backend`."""

C = TypeVar("C", bound=type)


def register_backend(name: str) -> Callable[[C], C]:
    """Class decorator: register a backend config class under ``name`` (also set as ``cls.backend``)."""
    return BACKENDS.register(name)  # type: ignore[return-value]


def registered_backends() -> tuple[str, ...]:
    """Names of every backend: the built-in ones first (sim, bridge), then the registered others by name."""
    return BACKENDS.names()


def backend_config_class(name: str) -> type[RobotConfig]:
    """The config class registered as ``name``; UnknownBackendError listing the registered names otherwise."""
    cls: type[RobotConfig] = BACKENDS.get(name)
    return cls


def make_robot_from_config(cfg: RobotConfig, limits: SafetyLimits | None = None) -> Robot:
    """Build the (unconnected) robot ``cfg`` describes, with ``limits`` (None: the default SafetyLimits)."""
    backend = getattr(cfg, "backend", None)
    if backend not in BACKENDS or not isinstance(cfg, BACKENDS.get(backend)):
        raise UnknownBackendError(
            f"{type(cfg).__qualname__} is not a registered robot backend config; decorate it with "
            f"@register_backend(name) (registered: {', '.join(registered_backends())})"
        )
    return cfg.make_robot(limits)
