"""Shared by the planner backend tests (a helper module, not a test file): the small world
they plan in and a free loopback port for the HTTP servers they start."""

from __future__ import annotations

import socket

from robomatrix.learning.tasks import WorldObject

WORLD = [
    WorldObject("bin_grey_0", "grey bin", "bin", "grey"),
    WorldObject("block_red_0", "red block", "block", "red"),
    WorldObject("block_blue_0", "blue block", "block", "blue"),
    WorldObject("bowl_green_0", "green bowl", "bowl", "green"),
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
