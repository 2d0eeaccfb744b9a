"""Demonstrations from the scripted oracles: episode setup, recording, noise, labelling.

Core module: imports no rclpy. It drives any :class:`~robomatrix.hardware.interface.Robot`
that also has ``reset(seed, scene)`` and ``step()`` (the simulator, :class:`SimRobot`).

One episode of skill ``s``:

1. :func:`make_episode_setup` resets a seeded scene (the skill's ``recipe.yaml`` says which:
   ``tabletop``; ``tabletop_drawer`` for the drawer skills; place_over draws either, and with the
   drawer present mostly carries the block into it after opening it), lets the skill folder's
   ``episode.py`` choose the skill's objects at random and brings the world to the
   skill's preconditions by running *other* oracles without recording (grasp: move_to
   first; place_over: move_to + grasp; release: move_to + grasp + place_over; push and
   the drawer skills: move_to; close_drawer: move_to + open_drawer + move_to, mostly with a block
   carried into the open drawer before the last move_to). It checks
   the preconditions with :mod:`robomatrix.skills.conditions`. move_to does not always start
   at the home pose (``START_MIX`` in its episode.py): in a long task it starts where release, place_over
   and the drawer skills leave the arm, so its setup may first run such a chain (a block let
   go over a bowl, the bin, a block or the open drawer; the drawer opened or opened and closed)
   or drive the open gripper to a random pose above or beside an object; its scene is drawn
   from its recipe (tabletop, tabletop_drawer, and a few tabletop_pairs/sort).
2. :func:`run_episode` runs the skill's oracle and records every control tick: the
   observation, the action actually applied (after the safety layer), the language motion
   (RT-H labeller over a centred window of the applied actions), and whether the tick was
   a *perturbation*. With ``NoiseConfig.probability`` an episode gets one burst of random
   velocity commands, after which the oracle recovers from wherever the arm ended up;
   training drops the perturbation ticks' actions but keeps the recovery.
3. Success is the skill's ``success`` conditions from its spec, checked at the end.

:func:`generate_demos` yields :class:`EpisodeResult`\\ s and, given an
:class:`robomatrix.skills.recording.EpisodeWriter`, writes each episode through it
(features from :func:`robomatrix.policies.features.build_features`; perturbation ticks are
left out of the file and listed in the episode metadata). :func:`record_demos` does that
into a new MCAP file.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from robomatrix.errors import ConfigError, RobomatrixError
from robomatrix.hardware.interface import Action, ObjectInfo, Observation
from robomatrix.learning.recipe import load_recipe
from robomatrix.skills.conditions import (
    ConditionThresholds,
    check_all,
    object_top,
    quaternion_yaw,
)
from robomatrix.skills.executor import Controller, OracleController, PolicyController
from robomatrix.skills.labeller import LabellerConfig, label_actions
from robomatrix.skills.oracles import OracleConfig, make_oracle
from robomatrix.skills.spec import SkillLibrary, SkillSpec, load_skill_library

log = logging.getLogger(__name__)

__all__ = [
    "DemoSetupError",
    "DemoSummary",
    "EpisodeResult",
    "EpisodeStep",
    "NoiseConfig",
    "POSE_STEP",
    "Prelude",
    "START_MODES",
    "episode_scene",
    "action_vector",
    "anywhere_pose",
    "draw",
    "graspables",
    "hover_pose",
    "objects_of",
    "pick",
    "generate_demos",
    "make_episode_setup",
    "record_demos",
    "run_episode",
]

START_MODES = ("varied", "home")
"""How an episode's start state is drawn (``make_episode_setup(starts=...)``): ``varied`` lets
skills whose episode.py has ``start()`` start where other skills leave the arm in a long task; ``home``
starts every episode from the scene's home pose (plus the skill's own preconditions)."""
HOVER_HEIGHT = (0.05, 0.20)  # m, a hover start's gripper height above the object's top (release ends ~0.12)
HOVER_JITTER = 0.04  # m, std of a hover start's horizontal offset from the object
HOVER_YAW = 1.3  # rad, a hover start's gripper yaw is uniform in +-HOVER_YAW
ANYWHERE_BOX = ((0.30, -0.35, 0.12), (0.70, 0.35, 0.50))  # m, an ``anywhere`` start's gripper position box
POSE_STEP = "_pose"  # prelude step that drives the arm to a pose (args: position, yaw) without an oracle
SEED_LIMIT = 2**32


class DemoSetupError(RobomatrixError):
    """The world could not be brought to a skill's preconditions for an episode."""


class SimLike(Protocol):
    """The robot calls demos need: the Robot interface plus a seeded reset and a tick."""

    def reset(self, seed: int | None = None, scene: str | None = None) -> Observation: ...

    def step(self) -> None: ...

    def send_action(self, action: Action) -> Action: ...

    def get_observation(self, *, with_image: bool = False) -> Observation: ...

    @property
    def features(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class NoiseConfig:
    """Random perturbation bursts that teach a policy to recover. Validated on construction."""

    probability: float = 0.0  # 1, chance that an episode gets one burst
    min_ticks: int = 6  # ticks, shortest burst (60 Hz: 0.1 s)
    max_ticks: int = 18  # ticks, longest burst (0.3 s)
    speed: float = 0.15  # m/s, speed of the random motion during a burst
    earliest: int = 10  # tick of the episode at which a burst may start at the earliest
    latest: int = 120  # tick at which a burst may start at the latest (if the oracle is not done)
    max_down: float = 0.3  # 1, largest downward component of the random unit direction (no table dives)

    def __post_init__(self) -> None:
        if not (isinstance(self.probability, int | float) and 0.0 <= self.probability <= 1.0):
            raise ConfigError(f"NoiseConfig.probability must be in [0, 1], got {self.probability!r}")
        for name in ("min_ticks", "max_ticks", "earliest", "latest"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ConfigError(f"NoiseConfig.{name} must be an int >= 0 (ticks), got {v!r}")
        if not 1 <= self.min_ticks <= self.max_ticks:
            raise ConfigError(f"NoiseConfig needs 1 <= min_ticks <= max_ticks, got {self.min_ticks}, {self.max_ticks}")
        if self.earliest > self.latest:
            raise ConfigError(f"NoiseConfig.earliest {self.earliest} must be <= latest {self.latest}")
        if not (isinstance(self.speed, int | float) and math.isfinite(self.speed) and 0 < self.speed <= 0.25):
            raise ConfigError(f"NoiseConfig.speed must be in (0, 0.25] m/s, got {self.speed!r}")
        if not (isinstance(self.max_down, int | float) and 0.0 <= self.max_down <= 1.0):
            raise ConfigError(f"NoiseConfig.max_down must be in [0, 1], got {self.max_down!r}")


@dataclass(frozen=True)
class EpisodeStep:
    """One recorded control tick."""

    t: float  # s since the episode started (simulated time)
    observation: Observation  # what the controller saw before acting
    action: Action  # the action applied after the safety layer
    motion: str  # language motion of this tick (RT-H labeller)
    perturbation: bool = False  # True for the ticks of a random noise burst
    camera: tuple[np.ndarray, np.ndarray] | None = None  # (rgb, depth) rendered before this tick's action


@dataclass
class EpisodeResult:
    """A recorded episode and its outcome."""

    skill: str
    args: dict[str, Any]  # grounded arguments
    seed: int | None  # scene seed of the reset
    scene: str
    start: Observation  # the observation when the skill began
    steps: list[EpisodeStep] = field(default_factory=list)
    success: bool = False  # the spec's success conditions held at the end
    unmet: list[str] = field(default_factory=list)  # unmet success conditions, in words
    sim_time: float = 0.0  # s of simulated time the skill ran
    wall_time: float = 0.0  # s of wall-clock time for the recorded part
    perturbation_ticks: tuple[int, int] | None = None  # [start, end) of the noise burst, if any
    dagger: bool = False  # a policy drove (some ticks), the oracle labelled every state reached

    @property
    def perturbed(self) -> bool:
        return self.perturbation_ticks is not None

    @property
    def actions(self) -> np.ndarray:
        """(T, 5) float: vx, vy, vz (m/s), yaw rate (rad/s), gripper (0..1)."""
        return np.stack([action_vector(s.action) for s in self.steps]) if self.steps else np.zeros((0, 5))

    @property
    def motions(self) -> list[str]:
        return [s.motion for s in self.steps]


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`record_demos` wrote."""

    skill: str
    episodes: int
    successes: int
    steps: int
    sim_time: float  # s, summed over episodes
    wall_time: float  # s
    path: Path | None = None

    @property
    def success_rate(self) -> float:
        return self.successes / self.episodes if self.episodes else 0.0


def action_vector(action: Action) -> np.ndarray:
    """(5,) vx, vy, vz (m/s), yaw rate (rad/s), gripper (0..1) of a velocity or hold action."""
    if action.mode == "velocity":
        lin = np.asarray(action.linear, dtype=float).reshape(3)
        yaw = float(np.asarray(action.angular, dtype=float).reshape(3)[2])
    elif action.mode == "hold":
        lin, yaw = np.zeros(3), 0.0
    else:
        raise DemoSetupError(f"demonstrations record velocity or hold actions, got mode {action.mode!r}")
    return np.array([*lin, yaw, float(action.gripper)])


# --------------------------------------------------------------------------- running oracles


def _control_hz(robot: SimLike) -> float:
    return float(robot.features.get("control_hz", 60))


def _run_unrecorded(robot: SimLike, skill: str | SkillSpec, args: Mapping[str, Any], max_steps: int,
                    config: OracleConfig | None) -> Observation:
    obs = robot.get_observation()
    oracle = make_oracle(skill, config)
    oracle.reset(skill.name if isinstance(skill, SkillSpec) else skill, args, obs)
    for _ in range(max_steps):
        if oracle.done(obs):
            break
        robot.send_action(oracle.act(obs))
        robot.step()
        obs = robot.get_observation()
    return obs


# --------------------------------------------------------------------------- episode setup toolkit
# A skill's own episode setup is skills/<name>/episode.py (choose(), optionally start()); these
# helpers are what those files build on.

Prelude = list[tuple[str, dict[str, Any]]]
"""Skills run (unrecorded) before an episode: ``[(skill or POSE_STEP, args), ...]``."""


def objects_of(obs: Observation, *categories: str) -> list[ObjectInfo]:
    return [o for o in obs.objects if o.category in categories]


def graspables(obs: Observation) -> list[ObjectInfo]:
    """Blocks, or in the unseen scene the random_urdfs objects (which play the blocks' role)."""
    return objects_of(obs, "block") or objects_of(obs, "object")


def pick(rng: np.random.Generator, items: list[ObjectInfo], what: str) -> ObjectInfo:
    if not items:
        raise DemoSetupError(f"the scene has no {what}")
    return items[int(rng.integers(len(items)))]


def draw(rng: np.random.Generator, mix: Sequence[tuple[str, float]]) -> str:
    """One name of ``mix`` ((name, probability) pairs), by one draw from ``rng``."""
    u, acc = float(rng.random()), 0.0
    for name, p in mix:
        acc += p
        if u < acc:
            return name
    return mix[-1][0]


def hover_pose(rng: np.random.Generator, obj: ObjectInfo) -> dict[str, Any]:
    """A pose where another skill may have left the open gripper near ``obj``: above a block,
    bowl or bin at the heights place_over and release end at, or beside a drawer's handle
    (in front of it and a little above, where the drawer skills rise to after letting go)."""
    pos = np.asarray(obj.position, dtype=float)
    if obj.category == "drawer":
        p = pos + np.array([-rng.uniform(0.0, 0.06), rng.normal(0.0, 0.02), rng.uniform(0.02, 0.12)])
    else:
        xy = pos[:2] + rng.normal(0.0, HOVER_JITTER, size=2)
        p = np.array([xy[0], xy[1], object_top(obj) + rng.uniform(*HOVER_HEIGHT)])
    return {"position": [float(v) for v in p], "yaw": float(rng.uniform(-HOVER_YAW, HOVER_YAW))}


def anywhere_pose(rng: np.random.Generator) -> dict[str, Any]:
    """A random gripper pose in :data:`ANYWHERE_BOX` (where a person's correction may leave the arm)."""
    lo, hi = (np.asarray(b, dtype=float) for b in ANYWHERE_BOX)
    return {"position": [float(v) for v in rng.uniform(lo, hi)], "yaw": float(rng.uniform(-HOVER_YAW, HOVER_YAW))}


def _drive_to(robot: SimLike, position: Any, yaw: float, max_steps: int, speed: float = 0.15) -> Observation:
    """Drive the open, empty gripper to ``position`` (m) and ``yaw`` (rad) with velocity commands:
    up (if the goal is higher), across at that height, then down, turning on the way."""
    goal = np.asarray(position, dtype=float)
    obs = robot.get_observation()
    for phase in range(3):
        for _ in range(max_steps):
            ee = np.asarray(obs.ee_position, dtype=float)
            if phase == 0:
                target = np.array([ee[0], ee[1], max(ee[2], goal[2])])
            elif phase == 1:
                target = np.array([goal[0], goal[1], max(ee[2], goal[2])])
            else:
                target = goal
            err = target - ee
            yaw_err = math.remainder(yaw - quaternion_yaw(obs.ee_orientation), 2 * math.pi)
            if float(np.linalg.norm(err)) < 0.006 and (phase < 2 or abs(yaw_err) < 0.06):
                break
            v = 4.0 * err
            v *= min(1.0, speed / max(float(np.linalg.norm(v)), 1e-9))
            rate = float(np.clip(3.0 * yaw_err, -0.8, 0.8))
            robot.send_action(Action(mode="velocity", linear=v, angular=np.array([0.0, 0.0, rate]), gripper=0.0))
            robot.step()
            obs = robot.get_observation()
    return obs


def episode_scene(spec: SkillSpec, rng: np.random.Generator) -> str:
    """The scene of one episode of ``spec``'s skill, from its recipe's ``demonstrations.scenes``:
    one draw from ``rng`` when it lists several, none when it lists one."""
    scenes = load_recipe(spec).scenes
    return scenes[0][0] if len(scenes) == 1 else draw(rng, scenes)


def make_episode_setup(
    skill: str,
    rng: np.random.Generator,
    robot: SimLike,
    scene: str | None = None,
    *,
    library: SkillLibrary | None = None,
    oracle_config: OracleConfig | None = None,
    thresholds: ConditionThresholds | None = None,
    setup_steps: int = 900, starts: str = "varied",
) -> tuple[dict[str, Any], Observation]:
    """Reset a seeded scene and bring it to ``skill``'s preconditions.

    The skill's folder says how: ``episode.py``'s ``choose(rng, obs)`` picks the arguments and
    the skills to run first, its optional ``start(rng, obs, args)`` a varied start state (where
    other skills leave the arm in a long task; used when ``starts`` is ``varied``, see
    :data:`START_MODES`), and ``recipe.yaml`` the scene (``scene`` overrides it). The reset
    seed and every choice come from ``rng``. Returns ``(grounded args, observation)``; the seed
    used is ``robot.last_seed`` when the robot has it. Raises :class:`DemoSetupError` when the
    skill has no episode.py, the scene lacks the objects or the preconditions do not hold after
    the setup oracles (each runs at most ``setup_steps`` ticks).
    """
    if starts not in START_MODES:
        raise ConfigError(f"starts must be one of {START_MODES}, got {starts!r}")
    lib = library if library is not None else load_skill_library()
    spec = lib.get(skill)
    setup = spec.plugin("episode")
    if setup is None or not callable(getattr(setup, "choose", None)):
        raise DemoSetupError(
            f"skill {skill!r} has no episode setup; fix: add {spec.folder}/episode.py with "
            "choose(rng, obs) -> (args, prelude) (see skills/README.md)"
        )
    seed = int(rng.integers(SEED_LIMIT))
    obs = robot.reset(seed=seed, scene=scene or episode_scene(spec, rng))
    args, prelude = setup.choose(rng, obs)
    start = getattr(setup, "start", None)
    if starts == "varied" and callable(start):
        _, start_prelude = start(rng, obs, args)
        prelude = start_prelude + prelude
    for name, prelude_args in prelude:
        if name == POSE_STEP:
            obs = _drive_to(robot, prelude_args["position"], prelude_args["yaw"], setup_steps)
        else:
            obs = _run_unrecorded(robot, lib.get(name), prelude_args, setup_steps, oracle_config)
    bindings = {**{a.name: a.default for a in spec.arguments if a.default is not None}, **args}
    ok, unmet = check_all(spec.preconditions, bindings, obs, None, thresholds)
    if not ok:
        raise DemoSetupError(f"{skill}{args} on seed {seed}: preconditions unmet after setup: {'; '.join(unmet)}")
    return bindings, obs


# --------------------------------------------------------------------------- one episode


def _burst(noise: NoiseConfig, rng: np.random.Generator) -> tuple[int, int, np.ndarray] | None:
    """(first tick, length, velocity (3,) m/s) of this episode's noise burst, or None."""
    if noise.probability <= 0.0 or rng.random() >= noise.probability:
        return None
    start = int(rng.integers(noise.earliest, noise.latest + 1))
    length = int(rng.integers(noise.min_ticks, noise.max_ticks + 1))
    v = rng.normal(size=3)
    v /= max(float(np.linalg.norm(v)), 1e-9)
    v[2] = max(v[2], -noise.max_down)
    v /= max(float(np.linalg.norm(v)), 1e-9)
    return start, length, v * noise.speed


def _episode_motions(start: Observation, actions: list[Action], labeller: LabellerConfig | None) -> list[str]:
    """The RT-H labels of an episode's actions. The command in force before the episode starts
    the labelling window, so a first tick that changes the gripper (release) is labelled as the
    change it is."""
    if not actions:
        return []
    before = Action.hold(gripper=1.0 if start.gripper_closed else 0.0)
    return label_actions([before, *actions], labeller)[1:]


def run_episode(
    robot: SimLike,
    skill: str,
    args: Mapping[str, Any],
    controller: Controller,
    max_steps: int,
    noise: NoiseConfig | None = None,
    rng: np.random.Generator | None = None,
    *,
    library: SkillLibrary | None = None,
    thresholds: ConditionThresholds | None = None,
    labeller: LabellerConfig | None = None,
    tail_ticks: int = 5,
    seed: int | None = None,
    scene: str = "",
    driver: Controller | None = None,
    driver_share: float = 1.0,
    camera: Any = None,
    camera_rng: np.random.Generator | None = None,
) -> EpisodeResult:
    """Run ``controller`` on ``skill`` from the robot's current state and record every tick.

    ``driver`` (DAgger): in ``driver_share`` of the ticks (drawn with ``rng``) the arm executes
    the driver's action (a policy's) instead of the controller's; what is recorded and labelled
    is always the controller's (the oracle's) action for the state reached, so the data covers
    the states the policy gets itself into. Only valid for a controller that decides from the
    current state alone (an oracle with ``reactive = True``: move_to, place_over); any other
    raises ConfigError.

    The episode ends ``tail_ticks`` ticks (recorded, "stop") after the controller says it
    is done, or after ``max_steps`` ticks. ``noise`` (with ``rng``) may inject one burst of
    random motion while the controller is not yet done; its ticks are flagged
    ``perturbation=True`` and the controller is not asked during them (it resumes from the
    new state). Success = the spec's success conditions at the end.

    ``camera`` (a CameraConfig; the robot must ``render_rgbd``): the scene camera is rendered
    at its rate (every round(control rate / camera.rate_hz) ticks, from the first one; depth
    noise from ``camera_rng``) and each frame kept with the step it was taken before.
    """
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise ConfigError(f"max_steps must be an int >= 1 (ticks), got {max_steps!r}")
    lib = library if library is not None else load_skill_library()
    spec = lib.get(skill)
    noise = noise if noise is not None else NoiseConfig()
    burst = _burst(noise, rng if rng is not None else np.random.default_rng(0))
    wall = time.perf_counter()
    obs = robot.get_observation()
    start = obs
    controller.reset(spec, args, obs)
    if driver is not None and not getattr(controller, "reactive", False):
        raise ConfigError(f"{skill}: a driver needs a controller that decides from the current state alone "
                          f"(a reactive oracle); {type(controller).__name__} of {skill} remembers its phase, so "
                          "its labels would not fit the states the driver reaches")
    if driver is not None:
        driver.reset(spec, args, obs)
    drive_rng = rng if rng is not None else np.random.default_rng(0)
    records: list[tuple[float, Observation, Action, bool]] = []
    frames: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    cam_every = max(1, round(_control_hz(robot) / camera.rate_hz)) if camera is not None else 0
    cam_rng = camera_rng if camera_rng is not None else np.random.default_rng(0)
    gripper = 1.0 if obs.gripper_closed else 0.0
    tail = 0
    burst_ticks: tuple[int, int] | None = None
    for t in range(max_steps):
        if cam_every and t % cam_every == 0:
            frames[t] = robot.render_rgbd(camera, cam_rng)  # type: ignore[attr-defined]
        in_burst = False
        if burst is not None and burst_ticks is None and t == burst[0] and not controller.done(obs):
            burst_ticks = (t, t + burst[1])
        if burst_ticks is not None and burst_ticks[0] <= t < burst_ticks[1]:
            in_burst = True
            action = Action(mode="velocity", linear=burst[2].copy(), gripper=gripper)  # type: ignore[index]
        else:
            if controller.done(obs):
                if tail >= tail_ticks:
                    break
                tail += 1
            action = controller.act(obs)
        if driver is not None and not in_burst and drive_rng.random() < driver_share:
            applied = robot.send_action(driver.act(obs))
            label = action  # the oracle's action for this state, not the driver's
        else:
            applied = label = robot.send_action(action)
        gripper = float(applied.gripper)
        robot.step()
        records.append((float(obs.stamp - start.stamp), obs, label, in_burst))
        obs = robot.get_observation()
    motions = _episode_motions(start, [r[2] for r in records], labeller)
    ok, unmet = check_all(spec.success, args, obs, start, thresholds)
    return EpisodeResult(
        skill=skill,
        args=dict(args),
        seed=seed,
        scene=scene,
        start=start,
        steps=[EpisodeStep(t, o, a, m, p, frames.get(i))
               for i, ((t, o, a, p), m) in enumerate(zip(records, motions, strict=True))],
        success=ok,
        unmet=unmet,
        sim_time=float(obs.stamp - start.stamp),
        wall_time=time.perf_counter() - wall,
        perturbation_ticks=burst_ticks,
        dagger=driver is not None,
    )


class ChainLabeller:
    """DAgger along whole tasks: a trained policy runs a skill inside a task (it is a skill
    executor controller: ``reset(spec, args, obs)``, ``predict_motion``, ``act``) while the
    skill's reactive oracle labels every state it reaches.

    In ``driver_share`` of the ticks (drawn with ``rng``) the policy's action is executed, in
    the others the oracle's, so the arm sees the start states the skills before it leave
    behind and the states the policy drifts into, without getting stuck in them. Every call
    of ``reset`` starts a new episode; :meth:`episodes` returns the finished ones, labelled
    with the RT-H labeller like recorded demonstrations (write them with
    :func:`write_episode`). Only a reactive oracle's labels fit states it did not choose:
    any other skill raises ConfigError.
    """

    def __init__(self, policy: Any, library: SkillLibrary, skill: str, driver_share: float = 0.7,
                 rng: np.random.Generator | None = None, *, seed: int | None = None, scene: str = "",
                 labeller: LabellerConfig | None = None) -> None:
        from robomatrix.skills.oracles import oracle_class

        if not getattr(make_oracle(library.get(skill)), "reactive", False):
            reactive = ", ".join(s.name for s in library if getattr(oracle_class(s), "reactive", False))
            raise ConfigError(f"{skill}: its oracle remembers its phase, so it cannot label states a policy "
                              f"reached; chain DAgger needs a reactive oracle ({reactive})")
        if not 0.0 <= driver_share <= 1.0:
            raise ConfigError(f"driver_share must be in [0, 1], got {driver_share!r}")
        self.library, self.skill = library, skill
        self.driver_share = driver_share
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.seed, self.scene, self.labeller = seed, scene, labeller
        self.policy = PolicyController(policy, tuple(library.names))
        self.oracle = OracleController()  # the oracle's action and its language motion, each tick
        self._oracle_action: Action | None = None
        self._use_policy = True
        self._current: tuple[dict[str, Any], Observation, list[tuple[Observation, Action]]] | None = None
        self._done: list[EpisodeResult] = []

    def reset(self, spec: Any, args: Mapping[str, Any], obs: Observation) -> None:
        self._close()
        self.policy.reset(spec, args, obs)
        self.oracle.reset(spec, args, obs)
        self._current = (dict(args), obs, [])

    def predict_motion(self, obs: Observation) -> str:
        assert self._current is not None, "reset() first"
        oracle_motion = self.oracle.predict_motion(obs)
        self._oracle_action = self.oracle.act(obs, oracle_motion)
        self._current[2].append((obs, self._oracle_action))
        self._use_policy = bool(self.rng.random() < self.driver_share)
        return self.policy.predict_motion(obs) if self._use_policy else oracle_motion

    def act(self, obs: Observation, motion: str | None = None) -> Action:
        if self._use_policy or self._oracle_action is None:
            return self.policy.act(obs, motion)
        return self._oracle_action

    def done(self, obs: Observation) -> bool:
        return False  # the skill's success condition or its timeout ends the run, as for any policy

    def _close(self) -> None:
        """End the running episode. Its success is not judged: the execution ends on a tick that
        never reaches the controller, and the labels are the oracle's whatever the run reached."""
        if self._current is None:
            return
        args, start, ticks = self._current
        self._current = None
        if not ticks:
            return
        motions = _episode_motions(start, [a for _, a in ticks], self.labeller)
        last = ticks[-1][0]
        self._done.append(EpisodeResult(
            skill=self.skill, args=args, seed=self.seed, scene=self.scene, start=start,
            steps=[EpisodeStep(float(o.stamp - start.stamp), o, a, m) for (o, a), m in zip(ticks, motions, strict=True)],
            success=False, unmet=["not judged (chain DAgger episode)"], sim_time=float(last.stamp - start.stamp),
            dagger=True))

    def episodes(self) -> list[EpisodeResult]:
        """The episodes finished so far (the running one is closed first); clears the list."""
        self._close()
        out, self._done = self._done, []
        return out


# --------------------------------------------------------------------------- many episodes


def write_episode(writer: Any, result: EpisodeResult, library: SkillLibrary, camera: Any = None) -> None:
    """Write one recorded episode (features built per tick, the one-hot over ``library``'s
    skills) to an EpisodeWriter, with the camera frames its steps carry (``camera``: the
    CameraConfig they were rendered with, for their CameraInfo)."""
    from robomatrix.policies.features import build_features  # torch-free; imported late to keep layers loose

    writer.begin_episode(
        {
            "skill": result.skill,
            "args": result.args,
            "seed": result.seed,
            "source": "oracle",
            "scene": result.scene,
            "perturbation_ticks": list(result.perturbation_ticks) if result.perturbation_ticks else None,
            "dagger": result.dagger,
            "skill_names": list(library.names),  # the one-hot's vocabulary, stored again in the checkpoint
        }
    )
    places = library.get(result.skill).place_arguments
    for step in result.steps:
        if step.perturbation:
            continue  # the random actions are not demonstrations; the recovery after them is
        features = build_features(step.observation, result.skill, result.args, library.names, places)
        if step.camera is not None:
            writer.add_camera(step.t, *step.camera, camera.intrinsics if camera is not None else None)
        writer.add_step(step.t, features, action_vector(step.action), step.motion, "policy")
    writer.end_episode(result.success)


def generate_demos(
    skill: str,
    episodes: int,
    seed: int,
    scene: str | None = None,
    progress: bool = True,
    writer: Any | None = None,
    *,
    noise: NoiseConfig | None = None,
    robot: SimLike | None = None,
    max_steps: int | None = None,
    oracle_config: OracleConfig | None = None,
    library: SkillLibrary | None = None,
    setup_attempts: int = 5,
    starts: str = "varied",
    driver: Controller | None = None,
    driver_share: float = 1.0,
    camera: Any = None,
) -> Iterator[EpisodeResult]:
    """Yield ``episodes`` recorded oracle episodes of ``skill`` (a generator: iterate it).

    Episode ``i`` draws everything from ``np.random.default_rng([seed, i])``, so it is the
    same whatever ran before it. ``robot``: a connected simulator (default: a new headless
    SimRobot, closed at the end). ``writer``: an EpisodeWriter (``begin_episode`` /
    ``add_step`` / ``end_episode``) that receives every episode. ``max_steps`` defaults to
    the spec's timeout in ticks. A setup that fails is redrawn up to ``setup_attempts``
    times before DemoSetupError is raised. ``starts``: see :func:`make_episode_setup`.
    ``driver``, ``driver_share``: DAgger episodes, see :func:`run_episode`. ``camera`` (a
    CameraConfig, e.g. ``load_stack_config().camera``): also record the RGB-D scene camera at its
    rate (see :func:`run_episode`; rendering costs ~25 ms a frame); None (default): no images.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 0:
        raise ConfigError(f"episodes must be an int >= 0, got {episodes!r}")
    lib = library if library is not None else load_skill_library()
    spec = lib.get(skill)
    own = robot is None
    if robot is None:
        from robomatrix.hardware.sim import SimConfig, SimRobot  # pybullet only when needed

        sim = SimRobot(SimConfig(scene=scene or load_recipe(spec).scenes[0][0]))
        sim.connect()
        robot = sim
    steps = max_steps if max_steps is not None else int(spec.timeout * _control_hz(robot))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=episodes, desc=f"demos {skill}", unit="ep")
    successes = 0
    try:
        for i in range(episodes):
            rng = np.random.default_rng([int(seed), i])
            for attempt in range(setup_attempts):
                try:
                    args, _ = make_episode_setup(skill, rng, robot, scene, library=lib, oracle_config=oracle_config,
                                                 starts=starts)
                    break
                except DemoSetupError as e:
                    log.info("episode %d, setup attempt %d: %s", i, attempt + 1, e)
            else:
                raise DemoSetupError(f"{skill}: episode {i} could not be set up in {setup_attempts} attempts")
            robot_scene = getattr(getattr(robot, "scene", None), "name", None)
            result = run_episode(
                robot, skill, args, OracleController(config=oracle_config), steps, noise, rng, library=lib,
                seed=getattr(robot, "last_seed", None),
                scene=scene or robot_scene or load_recipe(spec).scenes[0][0],
                driver=driver, driver_share=driver_share, camera=camera,
                camera_rng=np.random.default_rng([int(seed), i, 1]) if camera is not None else None,
            )
            successes += int(result.success)
            if not result.success:
                log.info("episode %d of %s failed: %s", i, skill, "; ".join(result.unmet))
            if writer is not None:
                write_episode(writer, result, lib, camera)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(success=f"{successes}/{i + 1}")
            yield result
    finally:
        if bar is not None:
            bar.close()
        if own:
            robot.disconnect()  # type: ignore[attr-defined]


def record_demos(
    skill: str,
    episodes: int,
    seed: int,
    path: str | Path,
    scene: str | None = None,
    progress: bool = True,
    **kwargs: Any,
) -> DemoSummary:
    """Record ``episodes`` oracle episodes of ``skill`` into a new MCAP file at ``path``
    (:class:`robomatrix.skills.recording.EpisodeWriter`; never overwrites). Keyword
    arguments go to :func:`generate_demos`."""
    from robomatrix.skills.recording import EpisodeWriter

    wall = time.perf_counter()
    count = successes = steps = 0
    sim_time = 0.0
    with EpisodeWriter(path) as writer:
        for result in generate_demos(skill, episodes, seed, scene, progress, writer, **kwargs):
            count += 1
            successes += int(result.success)
            steps += len(result.steps)
            sim_time += result.sim_time
    return DemoSummary(skill, count, successes, steps, sim_time, time.perf_counter() - wall, Path(path))
