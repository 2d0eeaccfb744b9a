"""Kinematic model of an arm from its URDF, computed with PyBullet in DIRECT mode.

Used by the real-robot bridge (IK for joint trajectories, FK for the end-effector pose)
and by the fake controller used in its tests. No physics is stepped: joint values are
written, then forward kinematics / IK / Jacobians are read. Core module: no rclpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pybullet
import pybullet_data
from pybullet_utils.bullet_client import BulletClient

from robomatrix.errors import ConfigError


def resolve_urdf(urdf: str) -> Path:
    p = Path(urdf)
    if not p.is_absolute():
        p = Path(pybullet_data.getDataPath()) / urdf
    if not p.is_file():
        raise ConfigError(
            f"URDF {urdf!r} not found (looked at {p}); give an absolute path or one relative to pybullet_data"
        )
    return p


class Kinematics:
    """FK, IK and Jacobians of one arm. Joint vectors are ordered as ``joint_names``."""

    def __init__(self, urdf: str, joint_names: Sequence[str], ee_link: str,
                 base_position: Sequence[float] = (0.0, 0.0, 0.0)) -> None:
        self._client = BulletClient(connection_mode=pybullet.DIRECT)
        path = resolve_urdf(urdf)
        self._body = self._client.loadURDF(str(path), basePosition=list(base_position), useFixedBase=True)
        index_by_name: dict[str, int] = {}
        link_by_name: dict[str, int] = {}
        self._movable: list[int] = []
        lower, upper = [], []
        for j in range(self._client.getNumJoints(self._body)):
            info = self._client.getJointInfo(self._body, j)
            index_by_name[info[1].decode()] = j
            link_by_name[info[12].decode()] = j
            if info[2] != pybullet.JOINT_FIXED:
                self._movable.append(j)
                lower.append(info[8])
                upper.append(info[9])
        missing = [n for n in joint_names if n not in index_by_name]
        if missing:
            raise ConfigError(
                f"joint(s) {missing} are not in {path.name}; joints there: {sorted(index_by_name)}"
            )
        if ee_link not in link_by_name:
            raise ConfigError(f"end-effector link {ee_link!r} is not in {path.name}; links: {sorted(link_by_name)}")
        self.joint_names = tuple(joint_names)
        self._joints = [index_by_name[n] for n in joint_names]
        self._ee = link_by_name[ee_link]
        self._lower = np.array(lower)
        self._upper = np.array(upper)
        self._movable_pos = {j: k for k, j in enumerate(self._movable)}

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client = None  # type: ignore[assignment]

    def _set(self, q: Sequence[float]) -> None:
        for j, v in zip(self._joints, q, strict=True):
            self._client.resetJointState(self._body, j, float(v))

    def fk(self, q: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Joint positions (J,) → end-effector position (3,) and quaternion xyzw (4,)."""
        self._set(q)
        state = self._client.getLinkState(self._body, self._ee, computeForwardKinematics=True)
        return np.array(state[4]), np.array(state[5])

    def ik(self, position: Sequence[float], orientation: Sequence[float] | None,
           rest: Sequence[float]) -> np.ndarray:
        """End-effector pose → joint positions (J,), seeded from ``rest`` (J,)."""
        self._set(rest)
        sol = self._client.calculateInverseKinematics(
            self._body, self._ee, list(position),
            targetOrientation=list(orientation) if orientation is not None else None,
            maxNumIterations=100, residualThreshold=1e-5,
        ) if orientation is not None else self._client.calculateInverseKinematics(
            self._body, self._ee, list(position), maxNumIterations=100, residualThreshold=1e-5)
        full = np.array(sol)
        return np.array([full[self._movable_pos[j]] for j in self._joints])

    def jacobian(self, q: Sequence[float]) -> np.ndarray:
        """(6, J) Jacobian at ``q``: rows linear xyz then angular xyz, world frame."""
        self._set(q)
        all_q = [self._client.getJointState(self._body, j)[0] for j in self._movable]
        zeros = [0.0] * len(self._movable)
        lin, ang = self._client.calculateJacobian(self._body, self._ee, [0.0, 0.0, 0.0], all_q, zeros, zeros)
        full = np.vstack([np.array(lin), np.array(ang)])
        return full[:, [self._movable_pos[j] for j in self._joints]]
