"""Test-session environment: DDS stays on this machine, each session gets its own domain.

Set before anything imports rclpy, and inherited by every process the tests start.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _claim_domain_id() -> int:
    """A ROS_DOMAIN_ID no other running test session on this machine holds (lock files in /tmp)."""
    start = os.getpid() % 200
    for k in range(200):
        domain = 20 + (start + k) % 200  # 20..219: clear of the default 0 and of the top of the range
        handle = open(Path(tempfile.gettempdir()) / f"robomatrix-test-domain-{domain}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _held.append(handle)  # keep the lock for the whole session
        return domain
    raise RuntimeError("no free ROS_DOMAIN_ID for this test session")


_held: list[object] = []
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.pop("ROS_STATIC_PEERS", None)
os.environ["ROS_DOMAIN_ID"] = str(_claim_domain_id())
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="robomatrix-test-roslog-"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
