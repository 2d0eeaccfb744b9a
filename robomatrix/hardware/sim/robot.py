"""PyBullet simulation backend: a Franka Panda on a table with seeded object layouts.

Core module: imports no rclpy. Each :class:`SimRobot` owns its own pybullet client
(``BulletClient``), so several run side by side in one process without sharing state.
Units: metres, radians, seconds; world frame with the table top at z = 0, the robot base
at the origin, x forward, y left, z up; quaternions (x, y, z, w).
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pybullet
from pybullet_utils.bullet_client import BulletClient

from robomatrix.errors import ConfigError, NotConnectedError
from robomatrix.hardware.camera import CameraConfig, add_depth_noise
from robomatrix.hardware.interface import Action, ObjectInfo, Observation, Robot
from robomatrix.hardware.registry import register_backend
from robomatrix.hardware.safety import SafetyFilter, SafetyLimits
from robomatrix.hardware.sim import assets
from robomatrix.hardware.sim.scene import SceneConfig, load_scene, sample_layout
from robomatrix.resources import packaged_default

log = logging.getLogger(__name__)

JOINT_NAMES = (
    "panda_joint1",
    "panda_joint2",
    "panda_joint3",
    "panda_joint4",
    "panda_joint5",
    "panda_joint6",
    "panda_joint7",
    "panda_finger_joint1",
    "panda_finger_joint2",
)
ARM_JOINTS = tuple(range(7))  # pybullet joint indices of the arm
FINGER_JOINTS = (9, 10)  # pybullet joint indices (and link indices) of the two fingers
HAND_LINK = 8  # panda_hand, the grasp assist's parent link
EE_LINK = 11  # panda_grasptarget: the point between the fingertips, the reported end effector
ARM_FORCES = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)  # N m, Panda joint torque limits
FINGER_FORCE = 20.0  # N per finger, Panda URDF limit
MAX_GRIPPER_WIDTH = 0.08  # m, fully open; gripper command 1.0 -> width 0
ARM_LOWER = (-2.9671, -1.8326, -2.9671, -3.1416, -2.9671, -0.0873, -2.9671)  # rad
ARM_UPPER = (2.9671, 1.8326, 2.9671, 0.0, 2.9671, 3.8223, 2.9671)  # rad
MAX_TARGET_LEAD = 0.05  # m, how far the internal target may run ahead of the measured end effector
GRASP_CLOSED = 0.5  # gripper command at or above which the gripper counts as closed
GRASP_MAX_FORCE = 200.0  # N, strength of the grasp-assist constraint
SEED_LIMIT = 2**32  # seeds must satisfy 0 <= seed < SEED_LIMIT
_RENDER_NEAR, _RENDER_FAR = 0.01, 10.0  # m, clip planes of the depth render (the camera's own range is applied after)


class SeedError(ConfigError, ValueError):
    """A reset seed that is not an int in [0, 2**32)."""


def check_seed(seed: Any) -> int:
    """Return ``seed`` if it is an int with 0 <= seed < 2**32, else raise SeedError."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise SeedError(
            f"seed must be an int with 0 <= seed < 2**32, got {seed!r} ({type(seed).__name__}); "
            "pass e.g. seed=0"
        )
    if not 0 <= int(seed) < SEED_LIMIT:
        raise SeedError(f"seed {seed} is out of range; use 0 <= seed < 2**32 (4294967296)")
    return int(seed)


def _sim_default(key: str) -> Any:
    return field(default_factory=packaged_default("robot.yaml", "sim", key))


@register_backend("sim")
@dataclass(frozen=True)
class SimConfig:
    """How to run the simulator (backend ``sim``). Validated on construction; see ``from_dict`` for YAML.

    Defaults of the settings config/robot.yaml has come from it (section sim; control_hz from
    control.rate_hz), so that file is the one place they are written.
    """

    gui: bool = _sim_default("gui")  # open the PyBullet GUI (one per process); False runs headless (DIRECT)
    scene: str = _sim_default("scene")  # scene name in config/scenes, or a path to a scene .yaml (operator's config only)
    seed: int = _sim_default("seed")  # seed of the first reset; later reset() calls without a seed draw from it
    physics_hz: int = _sim_default("physics_hz")  # Hz, physics steps per simulated second
    # Hz, control ticks per simulated second (>= 50; divides physics_hz)
    control_hz: int = field(default_factory=packaged_default("robot.yaml", "control", "rate_hz"))
    camera_width: int = _sim_default("camera_width")  # px
    camera_height: int = _sim_default("camera_height")  # px
    camera_eye: tuple[float, float, float] = (0.95, 0.0, 0.85)  # m, camera position, world frame
    camera_target: tuple[float, float, float] = (0.45, 0.0, 0.0)  # m, point the camera looks at
    camera_up: tuple[float, float, float] = (0.0, 0.0, 1.0)  # world direction that is up in the image
    camera_fov: float = 60.0  # degrees, vertical field of view
    watchdog: bool = False  # hold when a velocity command is older than limits.watchdog_timeout (sim time)
    grasp_assist: bool = True  # attach a grasped object with a fixed constraint (see SimRobot)

    def __post_init__(self) -> None:
        for key in ("gui", "watchdog", "grasp_assist"):
            if not isinstance(getattr(self, key), bool):
                raise ConfigError(f"sim.{key} must be true or false, got {getattr(self, key)!r}")
        if not isinstance(self.scene, str) or not self.scene:
            raise ConfigError(f"sim.scene must be a scene name or path, got {self.scene!r}; e.g. scene: tabletop")
        check_seed(self.seed)
        for key, lo in (("physics_hz", 60), ("control_hz", 50), ("camera_width", 8), ("camera_height", 8)):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ConfigError(f"sim.{key} must be an int >= {lo}, got {v!r}")
        if self.physics_hz % self.control_hz:
            raise ConfigError(
                f"sim.physics_hz {self.physics_hz} must be a multiple of control_hz {self.control_hz} so each "
                "control tick is a whole number of physics steps; e.g. 240 and 60"
            )
        if self.camera_width > 1024 or self.camera_height > 1024:
            raise ConfigError(
                f"sim camera {self.camera_width}x{self.camera_height} px is too large for the software "
                "renderer; use at most 1024 per side (128 is the default)"
            )
        for key in ("camera_eye", "camera_target", "camera_up"):
            v = getattr(self, key)
            if len(v) != 3 or not all(isinstance(x, int | float) and math.isfinite(x) for x in v):
                raise ConfigError(f"sim.{key} must be three finite numbers (m), got {v!r}")
        if np.allclose(self.camera_eye, self.camera_target):
            raise ConfigError("sim.camera_eye and camera_target coincide; move the eye away from the target")
        if not (isinstance(self.camera_fov, int | float) and 1.0 < self.camera_fov < 179.0):
            raise ConfigError(f"sim.camera_fov must be in (1, 179) degrees, got {self.camera_fov!r}")

    @property
    def substeps(self) -> int:
        """Physics steps per control tick."""
        return self.physics_hz // self.control_hz

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SimConfig:
        """Build from a mapping (e.g. the ``sim:`` section of a YAML file); unknown keys are errors."""
        d = dict(data or {})
        valid = {f.name for f in fields(cls)}
        unknown = set(d) - valid
        if unknown:
            raise ConfigError(f"unknown sim setting(s) {sorted(unknown)}; valid: {sorted(valid)}")
        for key in ("camera_eye", "camera_target", "camera_up"):
            if key in d:
                if isinstance(d[key], str) or not hasattr(d[key], "__len__"):
                    raise ConfigError(f"sim.{key} must be a list of 3 numbers, got {d[key]!r}")
                d[key] = tuple(d[key])
        return cls(**d)

    def make_robot(self, limits: SafetyLimits | None = None) -> SimRobot:
        return SimRobot(self, limits)


# -- quaternion helpers (xyzw, numpy, deterministic) -------------------------------------


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ]
    )


def _qexp(rotvec: np.ndarray) -> np.ndarray:
    """Quaternion of a rotation vector (axis * angle, rad)."""
    angle = float(np.linalg.norm(rotvec))
    if angle < 1e-12:
        return np.array([0.0, 0.0, 0.0, 1.0])
    axis = rotvec / angle
    return np.concatenate([axis * math.sin(0.5 * angle), [math.cos(0.5 * angle)]])


def _qnormalize(q: np.ndarray) -> np.ndarray:
    q = q / np.linalg.norm(q)
    return q if q[3] >= 0 else -q


def _qstep_towards(q: np.ndarray, goal: np.ndarray, max_angle: float) -> np.ndarray:
    """Rotate ``q`` towards ``goal`` by at most ``max_angle`` rad (slerp)."""
    dot = float(np.dot(q, goal))
    if dot < 0.0:
        goal, dot = -goal, -dot
    dot = min(1.0, dot)
    angle = 2.0 * math.acos(dot)
    if angle <= max_angle or angle < 1e-9:
        return _qnormalize(goal)
    t = max_angle / angle
    theta = 0.5 * angle
    s = math.sin(theta)
    return _qnormalize((math.sin((1 - t) * theta) * q + math.sin(t * theta) * goal) / s)


class SimRobot(Robot):
    """A simulated Franka Panda behind the project's :class:`Robot` interface.

    Control: every action goes through a :class:`SafetyFilter` (workspace box, speed caps,
    non-finite rejection, latching e-stop). The backend keeps an internal end-effector
    *target pose*; velocity commands integrate it, target commands move it towards the goal
    at the speed caps, hold freezes it at the pose measured when the hold began. Each
    control tick solves inverse kinematics for the target and drives the joints with
    position control; ``step()`` advances exactly one control period
    (``physics_hz / control_hz`` physics steps). The gripper command 0..1 maps to a finger
    width of 0.08..0 m.

    Grasp assist: the Panda fingers are simulated physically, but friction grasps in
    PyBullet slip now and then, which makes learning noisy. So while the gripper command is
    closed (>= 0.5) and both fingers touch the same graspable object (block, URDF object or
    the drawer), the object is attached to the hand with a fixed constraint at its current
    relative pose; it is released as soon as the command opens (< 0.5). Turn it off with
    ``SimConfig(grasp_assist=False)``.

    Determinism: all randomness comes from ``np.random.default_rng(seed)`` at reset, and a
    reset rebuilds the whole world in a fresh simulation, so the same seed and the same
    actions give the same trajectory bit for bit.

    Counters and the e-stop live in the safety filter and survive resets (an e-stop latches
    until :meth:`release_estop`).
    """

    name = "sim"
    owns_clock = True

    def __init__(self, config: SimConfig | None = None, limits: SafetyLimits | None = None) -> None:
        self.config = config if config is not None else SimConfig()
        self.limits = limits if limits is not None else SafetyLimits()
        self._dt = 1.0 / self.config.control_hz
        self._safety = SafetyFilter(limits=self.limits, control_period=self._dt)
        self._lo = np.asarray(self.limits.workspace_min, float)
        self._hi = np.asarray(self.limits.workspace_max, float)
        self._client: BulletClient | None = None
        self._scene: SceneConfig | None = None
        self._seed_source = np.random.default_rng(self.config.seed)
        self._resets = 0
        self.last_seed: int | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        self._robot = -1
        self._objects: list[assets.BuiltObject] = []
        self._steps = 0
        self._command = Action.hold()
        self._gripper = 0.0
        self._target_pos = np.zeros(3)
        self._target_orn = np.array([1.0, 0.0, 0.0, 0.0])
        self._grasp_cid: int | None = None
        self._held: assets.BuiltObject | None = None
        self._watchdog_holding = False
        self._home = np.zeros(7)

    # -- static description ---------------------------------------------------------------
    @property
    def features(self) -> dict[str, Any]:
        """Joint names, rates (Hz), camera shape (H, W, 3), workspace (m) and limits; no connection needed."""
        c = self.config
        return {
            "name": self.name,
            "joint_names": JOINT_NAMES,
            "control_hz": c.control_hz,
            "physics_hz": c.physics_hz,
            "camera_shape": (c.camera_height, c.camera_width, 3),
            "workspace_min": tuple(self.limits.workspace_min),
            "workspace_max": tuple(self.limits.workspace_max),
            "max_linear_speed": self.limits.max_linear_speed,
            "max_angular_speed": self.limits.max_angular_speed,
            "gripper_width_range": (0.0, MAX_GRIPPER_WIDTH),
            "action_modes": ("velocity", "target", "hold"),
            "scene": c.scene,
            "ee_frame": "panda_grasptarget",
        }

    @property
    def is_connected(self) -> bool:
        return self._client is not None

    @property
    def safety(self) -> SafetyFilter:
        return self._safety

    @property
    def sim_time(self) -> float:
        """Simulated seconds since the last reset (control ticks / control_hz)."""
        return self._steps / self.config.control_hz

    def now(self) -> float:
        """Robot time is simulated time (:attr:`sim_time`)."""
        return self.sim_time

    @property
    def scene(self) -> SceneConfig | None:
        """The scene of the current episode (None before the first reset)."""
        return self._scene

    @property
    def client(self) -> BulletClient:
        """This robot's own pybullet client (for tools that need raw access)."""
        if self._client is None:
            raise NotConnectedError("SimRobot is not connected; call connect() or use `with SimRobot(...)`")
        return self._client

    # -- lifecycle --------------------------------------------------------------------------
    def connect(self) -> None:
        """Start this robot's own physics client and build the first episode (``config.seed``)."""
        if self._client is not None:
            return
        mode = pybullet.GUI if self.config.gui else pybullet.DIRECT
        self._client = BulletClient(connection_mode=mode)
        log.info("sim connected (%s), scene %s", "GUI" if self.config.gui else "DIRECT", self.config.scene)
        try:
            self.reset()
        except Exception:
            self.disconnect()
            raise

    def disconnect(self) -> None:
        """Stop the physics client. Safe to call more than once."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.disconnect()
        except pybullet.error:  # already gone (e.g. GUI window closed)
            log.debug("pybullet client was already disconnected")
        self._reset_state()
        log.info("sim disconnected")

    def __del__(self) -> None:
        try:
            self.disconnect()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def reset(self, seed: int | None = None, scene: str | None = None, *,
              scene_file: str | os.PathLike[str] | None = None) -> Observation:
        """Rebuild the world with a seeded layout and return the first observation.

        ``seed``: int in [0, 2**32); None uses ``config.seed`` on the first reset and a seed
        drawn from it afterwards (see ``last_seed``). ``scene``: a scene *name* from the
        scene folder (``available_scenes()``), never a path, so a value from outside (the
        reset service) cannot open files; ``scene_file``: a scene YAML path for trusted
        in-process callers. Neither keeps the current scene (``config.scene`` at first).
        Raises ConfigError (SeedError for seeds, SceneNameError for a scene that is not a
        known name) on bad input, before anything changes.
        """
        client = self.client
        if scene is not None and scene_file is not None:
            raise ConfigError(f"reset got both scene {scene!r} and scene_file {scene_file!r}; pass one")
        if seed is None:
            seed = self.config.seed if self._resets == 0 else int(self._seed_source.integers(SEED_LIMIT))
        seed = check_seed(seed)
        new_scene = self._scene
        if scene is not None:
            new_scene = load_scene(scene, names_only=True)
        elif scene_file is not None:
            new_scene = load_scene(scene_file)
        elif new_scene is None:
            new_scene = load_scene(self.config.scene)
        layout = sample_layout(new_scene, np.random.default_rng(seed))
        # Validation is done: from here on the old world is replaced.
        self._scene = new_scene

        self._reset_state()
        client.resetSimulation()
        client.setPhysicsEngineParameter(
            fixedTimeStep=1.0 / self.config.physics_hz, deterministicOverlappingPairs=1, numSolverIterations=50
        )
        client.setGravity(0.0, 0.0, -9.81)
        if self.config.gui:
            client.configureDebugVisualizer(client.COV_ENABLE_RENDERING, 0)
        assets.build_ground(client)
        self._robot = client.loadURDF(assets.data_path(self._scene.robot_urdf), [0, 0, 0], useFixedBase=True)
        self._home = np.asarray(self._scene.home_joints, float)
        for j, q in zip(ARM_JOINTS, self._home, strict=True):
            client.resetJointState(self._robot, j, float(q))
        for j in FINGER_JOINTS:
            client.resetJointState(self._robot, j, 0.5 * MAX_GRIPPER_WIDTH)
            client.changeDynamics(self._robot, j, lateralFriction=1.5, spinningFriction=0.01)
        self._objects = [assets.build(client, p) for p in layout]
        if self.config.gui:
            client.configureDebugVisualizer(client.COV_ENABLE_RENDERING, 1)

        pos, orn = self._ee_pose()
        self._target_pos = np.clip(pos, self._lo, self._hi)
        self._target_orn = _qnormalize(orn)
        self._command = Action.hold(gripper=0.0)
        self._hold_pos, self._hold_orn = self._target_pos.copy(), self._target_orn.copy()
        self._drive(self._home)
        self._resets += 1
        self.last_seed = seed
        log.info("reset: scene %s, seed %d, %d objects", self._scene.name, seed, len(self._objects))
        return self.get_observation()

    # -- commands -----------------------------------------------------------------------------
    def send_action(self, action: Action) -> Action:
        """Filter ``action`` through the safety layer, store it for the next ``step()``s and return it.

        The returned action is what will be applied: clipped to the workspace and speed
        caps, or a hold if it was rejected or the e-stop is engaged.
        """
        self.client  # noqa: B018 - raises NotConnectedError when not connected
        pos, _ = self._ee_pose()
        applied = self.safety.filter(action, pos, last_gripper=self._gripper)
        self.safety.note_command(self.sim_time)
        self._watchdog_holding = False
        self._set_command(applied)
        return applied

    def hold(self, gripper: float | None = None) -> Action:
        """Hold the current pose (keeping the gripper unless ``gripper`` is given)."""
        return self.send_action(Action.hold(gripper=self._gripper if gripper is None else gripper))

    def _set_command(self, applied: Action) -> None:
        if applied.mode == "hold" and self._command.mode != "hold":
            self._capture_hold()
        self._command = applied
        self._gripper = float(applied.gripper)

    def _capture_hold(self) -> None:
        pos, orn = self._ee_pose()
        self._hold_pos = np.clip(pos, self._lo, self._hi)
        self._hold_orn = _qnormalize(orn)

    def step(self) -> None:
        """Advance simulated time by one control period, applying the last stored command."""
        client = self.client
        cmd = self._command
        if self.safety.estopped and cmd.mode != "hold":
            self._set_command(Action.hold(gripper=self._gripper))
            cmd = self._command
        if self.config.watchdog and cmd.mode == "velocity" and self.safety.watchdog_tripped(self.sim_time):
            log.warning("watchdog: no command for %.2f s of sim time, holding", self.limits.watchdog_timeout)
            self._watchdog_holding = True  # until the next send_action
            self._set_command(Action.hold(gripper=self._gripper))
            cmd = self._command
        self._update_target(cmd)
        joints = client.calculateInverseKinematics(
            self._robot,
            EE_LINK,
            self._target_pos.tolist(),
            self._target_orn.tolist(),
            lowerLimits=list(ARM_LOWER) + [0.0, 0.0],
            upperLimits=list(ARM_UPPER) + [0.04, 0.04],
            jointRanges=[u - lo for u, lo in zip(ARM_UPPER, ARM_LOWER, strict=True)] + [0.04, 0.04],
            restPoses=self._home.tolist() + [0.04, 0.04],
            maxNumIterations=30,
            residualThreshold=1e-5,
        )
        self._drive(np.asarray(joints[:7], float))
        for _ in range(self.config.substeps):
            client.stepSimulation()
        self._steps += 1
        if self.config.grasp_assist:
            self._update_grasp()

    def _update_target(self, cmd: Action) -> None:
        dt = self._dt
        if cmd.mode == "hold":
            self._target_pos, self._target_orn = self._hold_pos.copy(), self._hold_orn.copy()
            return
        if cmd.mode == "velocity":
            pos = self._target_pos + np.asarray(cmd.linear, float) * dt
            orn = _qnormalize(_qmul(_qexp(np.asarray(cmd.angular, float) * dt), self._target_orn))
        else:  # target
            goal = np.asarray(cmd.target_position, float)
            delta = goal - self._target_pos
            dist = float(np.linalg.norm(delta))
            step = self.limits.max_linear_speed * dt
            pos = goal.copy() if dist <= step else self._target_pos + delta * (step / dist)
            orn = self._target_orn
            if cmd.target_orientation is not None:
                orn = _qstep_towards(
                    self._target_orn, np.asarray(cmd.target_orientation, float), self.limits.max_angular_speed * dt
                )
        pos = np.clip(pos, self._lo, self._hi)
        # Do not let the target wind up far ahead of an arm that is blocked.
        measured, _ = self._ee_pose()
        lead = pos - measured
        n = float(np.linalg.norm(lead))
        if n > MAX_TARGET_LEAD:
            pos = measured + lead * (MAX_TARGET_LEAD / n)
        self._target_pos, self._target_orn = pos, orn

    def _drive(self, arm: np.ndarray) -> None:
        client = self.client
        client.setJointMotorControlArray(
            self._robot, list(ARM_JOINTS), client.POSITION_CONTROL, targetPositions=arm.tolist(),
            forces=list(ARM_FORCES),
        )
        half = 0.5 * MAX_GRIPPER_WIDTH * (1.0 - self._gripper)
        client.setJointMotorControlArray(
            self._robot, list(FINGER_JOINTS), client.POSITION_CONTROL, targetPositions=[half, half],
            forces=[FINGER_FORCE, FINGER_FORCE],
        )

    # -- grasp assist ---------------------------------------------------------------------------
    def _update_grasp(self) -> None:
        if self._gripper < GRASP_CLOSED:
            if self._grasp_cid is not None:
                self._release()
            return
        if self._grasp_cid is not None:
            return
        client = self.client
        touching = []
        for finger in FINGER_JOINTS:
            contacts = client.getContactPoints(bodyA=self._robot, linkIndexA=finger)
            touching.append({(c[2], c[4]) for c in contacts})
        both = touching[0] & touching[1]
        if not both:
            return
        for obj in self._objects:
            if obj.graspable and (obj.body, obj.link) in both:
                self._attach(obj)
                return

    def _attach(self, obj: assets.BuiltObject) -> None:
        client = self.client
        # Constraint frames are relative to each link's centre-of-mass frame (pybullet).
        hand = client.getLinkState(self._robot, HAND_LINK, computeForwardKinematics=True)
        hand_pos, hand_orn = hand[0], hand[1]
        if obj.link < 0:
            opos, oorn = client.getBasePositionAndOrientation(obj.body)
        else:
            state = client.getLinkState(obj.body, obj.link, computeForwardKinematics=True)
            opos, oorn = state[0], state[1]
        inv_pos, inv_orn = client.invertTransform(hand_pos, hand_orn)
        rel_pos, rel_orn = client.multiplyTransforms(inv_pos, inv_orn, opos, oorn)
        self._grasp_cid = client.createConstraint(
            self._robot, HAND_LINK, obj.body, obj.link, client.JOINT_FIXED, [0, 0, 0],
            parentFramePosition=rel_pos, childFramePosition=[0, 0, 0], parentFrameOrientation=rel_orn,
            childFrameOrientation=[0, 0, 0, 1],
        )
        client.changeConstraint(self._grasp_cid, maxForce=GRASP_MAX_FORCE)
        self._held = obj
        log.debug("grasp assist: attached %s", obj.placement.id)

    def _release(self) -> None:
        if self._grasp_cid is not None:
            self.client.removeConstraint(self._grasp_cid)
            log.debug("grasp assist: released %s", self._held.placement.id if self._held else "?")
        self._grasp_cid = None
        self._held = None

    # -- observation ------------------------------------------------------------------------------
    def _ee_pose(self) -> tuple[np.ndarray, np.ndarray]:
        state = self.client.getLinkState(self._robot, EE_LINK, computeForwardKinematics=True)
        return np.asarray(state[4], float), np.asarray(state[5], float)

    def get_observation(self, *, with_image: bool = False) -> Observation:
        """Joint states (9: arm + fingers), end-effector pose/twist, gripper, objects and counters.

        ``with_image``: also render an RGB image (H, W, 3) uint8 with the TinyRenderer.
        """
        client = self.client
        states = client.getJointStates(self._robot, list(ARM_JOINTS) + list(FINGER_JOINTS))
        q = np.array([s[0] for s in states])
        qd = np.array([s[1] for s in states])
        ee = client.getLinkState(self._robot, EE_LINK, computeLinkVelocity=1, computeForwardKinematics=True)
        return Observation(
            stamp=self.sim_time,
            joint_names=JOINT_NAMES,
            joint_positions=q,
            joint_velocities=qd,
            ee_position=np.asarray(ee[4], float),
            ee_orientation=np.asarray(ee[5], float),
            ee_linear_velocity=np.asarray(ee[6], float),
            ee_angular_velocity=np.asarray(ee[7], float),
            gripper_width=float(q[7] + q[8]),
            gripper_closed=self._gripper >= GRASP_CLOSED,
            held_object_id=self._held.placement.id if self._held is not None else "",
            objects=tuple(self._object_info(o) for o in self._objects),
            image=self.render() if with_image else None,
            estopped=self.safety.estopped,
            watchdog_holding=self._watchdog_holding,
            rejected_commands=self.safety.rejected,
        )

    def _object_info(self, obj: assets.BuiltObject) -> ObjectInfo:
        client = self.client
        p = obj.placement
        pos, orn = client.getBasePositionAndOrientation(obj.body)
        opening = None
        if p.category == "drawer":
            travel = client.getJointState(obj.body, 0)[0]
            opening = float(np.clip(travel / p.travel, 0.0, 1.0))
            handle = assets.drawer_geometry(p.size)["handle"] + np.array([-travel, 0.0, 0.0])
            pos, _ = client.multiplyTransforms(pos, orn, handle.tolist(), [0, 0, 0, 1])
        elif any(obj.centre_offset):
            pos, _ = client.multiplyTransforms(pos, orn, list(obj.centre_offset), [0, 0, 0, 1])
        return ObjectInfo(
            id=p.id,
            name=p.name,
            category=p.category,
            colour=p.colour,
            rgba=p.rgba,
            position=np.asarray(pos, float),
            orientation=np.asarray(orn, float),
            size=np.asarray(obj.size, float),
            source="simulator",
            opening=opening,
        )

    def render(self) -> np.ndarray:
        """RGB image (camera_height, camera_width, 3) uint8 from the configured camera pose."""
        c = self.config
        client = self.client
        view = client.computeViewMatrix(list(c.camera_eye), list(c.camera_target), list(c.camera_up))
        proj = client.computeProjectionMatrixFOV(c.camera_fov, c.camera_width / c.camera_height, 0.05, 5.0)
        _, _, rgba, _, _ = client.getCameraImage(
            c.camera_width, c.camera_height, view, proj, renderer=client.ER_TINY_RENDERER,
            flags=client.ER_NO_SEGMENTATION_MASK,
        )
        img = np.asarray(rgba, dtype=np.uint8).reshape(c.camera_height, c.camera_width, 4)
        return np.ascontiguousarray(img[:, :, :3])

    def render_rgbd(
        self, camera: CameraConfig, rng: np.random.Generator | None = None, *,
        light_direction: tuple[float, float, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One aligned RGB-D frame of the calibrated scene ``camera`` (TinyRenderer, no GPU).

        Returns ``(rgb, depth)``: (H, W, 3) uint8 and (H, W) float32 metres along the optical
        axis, NaN where there is no return. With ``rng`` the depth gets the camera's noise
        model (:func:`robomatrix.hardware.camera.add_depth_noise`); without it, ideal depth.
        ``light_direction``: world direction the light comes from (None: PyBullet's default).
        """
        client = self.client
        w, h = camera.width, camera.height
        rot = camera.rotation
        eye = np.asarray(camera.position, float)
        view = client.computeViewMatrix(eye.tolist(), (eye + rot[:, 2]).tolist(), (-rot[:, 1]).tolist())
        proj = client.computeProjectionMatrixFOV(camera.fov, w / h, _RENDER_NEAR, _RENDER_FAR)
        extra: dict[str, Any] = {}
        if light_direction is not None:
            extra["lightDirection"] = list(light_direction)
        _, _, rgba, zbuf, _ = client.getCameraImage(
            w, h, view, proj, renderer=client.ER_TINY_RENDERER, flags=client.ER_NO_SEGMENTATION_MASK, **extra,
        )
        rgb = np.ascontiguousarray(np.asarray(rgba, dtype=np.uint8).reshape(h, w, 4)[:, :, :3])
        zb = np.asarray(zbuf, dtype=np.float64).reshape(h, w)
        depth = (_RENDER_FAR * _RENDER_NEAR / (_RENDER_FAR - (_RENDER_FAR - _RENDER_NEAR) * zb)).astype(np.float32)
        depth[zb >= 1.0 - 1e-7] = np.nan  # nothing rendered there
        if rng is not None:
            depth = add_depth_noise(depth, camera, rng)
        else:
            with np.errstate(invalid="ignore"):
                depth[(depth < camera.near) | (depth > camera.far)] = np.nan
        return rgb, depth


__all__ = ["SimConfig", "SimRobot", "SeedError", "check_seed", "JOINT_NAMES"]
