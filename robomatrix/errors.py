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


class SafetyError(RobomatrixError):
    """A command was refused by the safety layer."""


class NotConnectedError(RobomatrixError):
    """A robot was used before connect() or after disconnect()."""


class LaunchFileError(RobomatrixError):
    """A launch file uses a tag or attribute this runner does not understand, or is malformed."""


class InterfacesNotBuiltError(RobomatrixError):
    """The generated ROS interfaces (robomatrix.msg, ...) cannot be imported."""
