"""One exception hierarchy for the whole project.

Every message names the bad value and says how to fix it.
"""

from __future__ import annotations


class RobomatrixError(Exception):
    """Base class of every error raised on purpose by robomatrix."""


class ConfigError(RobomatrixError):
    """A configuration file or value is malformed or out of range."""


class UnknownBackendError(ConfigError):
    """A robot backend name that is not registered."""


class SceneNameError(ConfigError):
    """A scene given where only a scene name from the scene folder is allowed (a path, or an unknown name)."""


class CapabilityError(RobomatrixError):
    """A robot backend was asked for something it cannot do (e.g. advance a real arm's time)."""


class ResetNotSupportedError(CapabilityError):
    """reset() on a robot backend that cannot rebuild its world (a real arm)."""


class SafetyError(RobomatrixError):
    """A command was refused by the safety layer."""


class NotConnectedError(RobomatrixError):
    """A robot was used before connect() or after disconnect()."""


class LaunchFileError(RobomatrixError):
    """A launch file uses a tag or attribute this runner does not understand, or is malformed."""


class InterfacesNotBuiltError(RobomatrixError):
    """The generated ROS interfaces (robomatrix.msg, ...) cannot be imported."""


class PerceptionError(RobomatrixError):
    """A camera frame perception cannot use (no intrinsics, sizes that disagree, bad extrinsics)."""
