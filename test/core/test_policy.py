"""Skill policies: features, model shapes, normalisation, checkpoints, corrections, training."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from robomatrix.errors import RobomatrixError
from robomatrix.hardware.geometry import quaternion_yaw
from robomatrix.hardware.interface import ObjectInfo, Observation
from robomatrix.learning.dataset import Dataset
from robomatrix.learning.train import finetune_motion_head, train_policy
from robomatrix.policies.directions import HORIZONTAL_DIRECTIONS
from robomatrix.policies.features import (
    FeatureLayout,
    PolicyInputError,
    augment,
    build_features,
    feature_dim,
)
from robomatrix.policies.language_motion import VOCABULARY, motion_direction, motion_to_index
from robomatrix.policies.model import (
    CheckpointError,
    FlatPolicy,
    LanguageMotionPolicy,
    PolicyBase,
    PolicyConfig,
    load_policy,
)
from robomatrix.skills.labeller import label_window
from robomatrix.skills.spec import load_skill_library

NAMES = load_skill_library().names  # the one-hot's vocabulary comes from the library
FEATURE_DIM = feature_dim(NAMES)
SMALL = PolicyConfig(hidden=32, motion_embed_dim=8, skill_names=NAMES)


def yaw_quat(yaw: float) -> np.ndarray:
    return np.array([0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)])


def make_obs(ee: np.ndarray, obj: np.ndarray | None = None, *, held: str = "", closed: bool = False) -> Observation:
    objects = ()
    if obj is not None:
        objects = (
            ObjectInfo(
                id="block_red_0", name="red block", category="block", colour="red", rgba=(1, 0, 0, 1),
                position=np.asarray(obj, float), orientation=yaw_quat(0.3), size=np.array([0.04, 0.04, 0.04]),
            ),
        )  # fmt: skip
    return Observation(
        stamp=0.0, joint_names=(), joint_positions=np.zeros(0), joint_velocities=np.zeros(0),
        ee_position=np.asarray(ee, float), ee_orientation=yaw_quat(0.5), ee_linear_velocity=np.zeros(3),
        ee_angular_velocity=np.zeros(3), gripper_width=0.0 if closed else 0.08, gripper_closed=closed,
        held_object_id=held, objects=objects,
    )  # fmt: skip


def toy_task(n: int, seed: int) -> Dataset:
    """'Move toward the object': action = clipped velocity to the target, motion = its label."""
    rng = np.random.default_rng(seed)
    xs, acts, motions = [], [], []
    for _ in range(n):
        ee = rng.uniform([0.3, -0.3, 0.05], [0.7, 0.3, 0.4])
        obj = rng.uniform([0.3, -0.3, 0.02], [0.7, 0.3, 0.3])
        xs.append(build_features(make_obs(ee, obj), "move_to", {"object": "block_red_0"}, NAMES))
        vel = np.clip(1.5 * (obj - ee), -0.15, 0.15)
        motion = label_window(vel[None], np.zeros(1), np.zeros(1))
        acts.append([*vel, 0.0, 0.0])
        motions.append(motion_to_index(motion))
    return Dataset.from_arrays(np.stack(xs), np.array(acts), np.array(motions), skill="move_to")


@pytest.fixture(scope="module")
def toy() -> Dataset:
    return toy_task(3000, seed=0)


@pytest.fixture(scope="module")
def trained(toy: Dataset) -> tuple[LanguageMotionPolicy, dict]:
    policy, metrics = train_policy(
        toy, "rt-h", seed=0, epochs=40, batch_size=128, lr=3e-3, hidden=64, progress=False, num_threads=1
    )
    assert isinstance(policy, LanguageMotionPolicy)
    return policy, metrics


# --------------------------------------------------------------------------- features


def test_feature_dim_matches_library() -> None:
    names = load_skill_library().names
    assert tuple(sorted(names)) == names
    assert FEATURE_DIM == 40 == FeatureLayout(names).dim


def test_build_features_layout() -> None:
    ee, obj = np.array([0.5, 0.1, 0.3]), np.array([0.6, -0.1, 0.02])
    obs = make_obs(ee, obj)
    x = build_features(obs, "push", {"object": "block_red_0", "direction": "left", "distance": 0.1}, NAMES)
    lay = FeatureLayout(NAMES)
    assert x.shape == (FEATURE_DIM,) and x.dtype == np.float32
    np.testing.assert_allclose(x[lay.ee_position], ee, atol=1e-6)
    np.testing.assert_allclose(x[lay.ee_yaw], [math.sin(0.5), math.cos(0.5)], atol=1e-6)
    assert x[5] == pytest.approx(0.08) and x[6] == 0.0 and x[7] == 0.0
    np.testing.assert_allclose(x[lay.slot_rel_position(0)], obj - ee, atol=1e-6)
    slot = x[lay.slot(0)]
    np.testing.assert_allclose(slot[3:5], [math.sin(0.3), math.cos(0.3)], atol=1e-6)
    np.testing.assert_allclose(slot[5:8], 0.04, atol=1e-6)
    assert slot[9] == 1.0 and x[lay.slot_present(1)] == 0.0
    one_hot = x[lay.skill_one_hot]
    assert one_hot.sum() == 1.0 and one_hot[NAMES.index("push")] == 1.0
    assert x[lay.direction_one_hot].tolist() == [1.0 if d == "left" else 0.0 for d in HORIZONTAL_DIRECTIONS]
    assert x[lay.number] == pytest.approx(0.1)


def test_build_features_held_object_fills_a_slot_and_missing_object_is_absent() -> None:
    obs = make_obs([0.5, 0.0, 0.3], [0.5, 0.0, 0.25], held="block_red_0", closed=True)
    x = build_features(obs, "place_over", {"target": "bowl_blue_0"}, NAMES, {"target"})
    lay = FeatureLayout(NAMES)
    assert x[lay.slot_present(0)] == 0.0  # the bowl is not in the observation
    assert x[lay.slot_present(1)] == 1.0  # the carried block
    assert x[6] == 1.0 and x[7] == 1.0


@pytest.mark.parametrize(
    "ee, args, match",
    [
        ([np.nan, 0, 0], {"object": "block_red_0"}, "end-effector position"),
        ([0.5, 0, 0.3], {"object": "block_red_0", "distance": float("inf")}, "not finite"),
        ([0.5, 0, 0.3], {"object": "block_red_0", "x": [1]}, "not an object id"),
        ([0.5, 0, 0.3], {"object": "block_red_0", "direction": "up"}, "direction 'up' has no slot"),
    ],
)
def test_build_features_rejects_bad_inputs(ee: list, args: dict, match: str) -> None:
    with pytest.raises(PolicyInputError, match=match):
        build_features(make_obs(np.array(ee, float), [0.5, 0, 0.02]), "push", args, NAMES)


def test_build_features_unknown_skill_and_nan_object() -> None:
    with pytest.raises(PolicyInputError, match="unknown skill 'fly'"):
        build_features(make_obs([0.5, 0, 0.3]), "fly", {}, NAMES)
    with pytest.raises(PolicyInputError, match="object 'block_red_0' position"):
        build_features(make_obs([0.5, 0, 0.3], [np.nan, 0, 0]), "grasp", {"object": "block_red_0"}, NAMES)
    assert isinstance(PolicyInputError("x"), RobomatrixError)


def test_quaternion_yaw() -> None:
    for yaw in (-3.0, -1.0, 0.0, 0.7, 3.0):
        assert quaternion_yaw(yaw_quat(yaw)) == pytest.approx(yaw)


def test_augment_only_moves_present_positions() -> None:
    x = build_features(make_obs([0.5, 0, 0.3], [0.6, 0, 0.02]), "grasp", {"object": "block_red_0"}, NAMES)
    batch = np.stack([x] * 50)
    noisy = augment(batch, np.random.default_rng(0), 0.01)
    changed = np.any(noisy != batch, axis=0)
    lay = FeatureLayout(NAMES)
    expected = np.zeros(FEATURE_DIM, bool)
    expected[lay.ee_position] = True
    expected[lay.slot_rel_position(0)] = True  # slot 1 is absent: untouched
    assert changed.tolist() == expected.tolist()
    assert np.array_equal(augment(x, np.random.default_rng(0), 0.0), x)
    with pytest.raises(PolicyInputError, match="std"):
        augment(x, np.random.default_rng(0), -1.0)


# --------------------------------------------------------------------------- model


def test_shapes() -> None:
    torch.manual_seed(0)
    policy = LanguageMotionPolicy(SMALL)
    x = torch.randn(7, FEATURE_DIM)
    logits = policy.predict_motion(x)
    assert logits.shape == (7, len(VOCABULARY))
    action = policy.predict_action(x, torch.zeros(7, dtype=torch.long))
    assert action.shape == (7, 5)
    assert bool(((action[:, 4] >= 0) & (action[:, 4] <= 1)).all())
    flat = FlatPolicy(SMALL)
    assert flat.predict_action(x).shape == (7, 5)
    motion, act = policy.select_action(x[0].numpy())
    assert motion in VOCABULARY and act.shape == (5,) and act.dtype == np.float32
    assert flat.select_action(x[0].numpy())[0] == ""
    with pytest.raises(PolicyInputError, match=r"shape \(B, 40\)"):
        policy.predict_motion(torch.randn(3, 12))


def test_select_action_rejects_bad_features() -> None:
    policy = LanguageMotionPolicy(SMALL)
    bad = np.zeros(FEATURE_DIM, np.float32)
    bad[3] = np.nan
    with pytest.raises(PolicyInputError, match=r"non-finite values at indices \[3\]"):
        policy.select_action(bad)
    with pytest.raises(PolicyInputError, match=r"shape \(40,\)"):
        policy.select_action(np.zeros(10))
    with pytest.raises(PolicyInputError, match="no language-motion head"):
        FlatPolicy(SMALL).select_action(np.zeros(FEATURE_DIM), motion_override="move arm up")


def test_config_validation() -> None:
    with pytest.raises(RobomatrixError, match="hidden"):
        PolicyConfig(hidden=0, skill_names=NAMES)
    with pytest.raises(RobomatrixError, match="does not match"):
        PolicyConfig(feature_dim=12, skill_names=NAMES)
    with pytest.raises(RobomatrixError, match="skill_names is required"):
        PolicyConfig()


def test_normalisation_round_trip() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(500, FEATURE_DIM)).astype(np.float32)
    x[:, 30] = 1.0  # constant one-hot column: std must stay 1, not 0
    a = rng.normal(0.1, 0.05, size=(500, 5)).astype(np.float32)
    a[:, 4] = rng.uniform(0, 1, 500)
    policy = LanguageMotionPolicy(SMALL)
    policy.set_normalization(x, a)
    assert policy.feature_std[30] == 1.0
    xn = policy.normalize_features(torch.from_numpy(x))
    assert torch.allclose(xn[:, :30].mean(0), torch.zeros(30), atol=1e-4)
    at = torch.from_numpy(a)
    back = policy.denormalize_action(policy.normalize_action(at))
    assert torch.allclose(back, at, atol=1e-6)
    assert torch.equal(policy.normalize_action(at)[:, 4], at[:, 4])  # gripper not normalised


def test_save_load_equality_and_weights_only(tmp_path: Path) -> None:
    torch.manual_seed(1)
    policy = LanguageMotionPolicy(SMALL)
    rng = np.random.default_rng(1)
    policy.set_normalization(rng.normal(size=(100, FEATURE_DIM)), rng.normal(size=(100, 5)))
    path = policy.save(tmp_path / "move_to" / "policy.pt", metadata={"seed": 3, "data_files": ["a.mcap"]})
    raw = torch.load(path, weights_only=True)
    assert raw["kind"] == "rt-h" and raw["vocabulary"] == list(VOCABULARY) and raw["feature_dim"] == FEATURE_DIM
    assert set(raw["norm_stats"]) == {"feature_mean", "feature_std", "action_mean", "action_std"}
    loaded = LanguageMotionPolicy.load(path)
    assert isinstance(loaded, LanguageMotionPolicy) and loaded.metadata["seed"] == 3
    for k, v in policy.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    x = rng.normal(size=FEATURE_DIM).astype(np.float32)
    m1, a1 = policy.select_action(x)
    m2, a2 = loaded.select_action(x)
    assert m1 == m2 and np.array_equal(a1, a2)
    odd = policy.save(tmp_path / "odd.pt", metadata={"n": np.int64(3), "v": torch.__version__, "p": tmp_path})
    assert load_policy(odd).metadata["n"] == 3  # numpy scalars, str subclasses and paths become plain data
    with pytest.raises(RobomatrixError, match="not plain data"):
        policy.save(tmp_path / "bad.pt", metadata={"x": object()})
    assert not (tmp_path / "bad.pt").exists()
    flat = FlatPolicy(SMALL)
    flat_path = flat.save(tmp_path / "flat.pt")
    assert isinstance(load_policy(flat_path), FlatPolicy)
    with pytest.raises(CheckpointError, match="holds a 'flat' policy"):
        LanguageMotionPolicy.load(flat_path)


def test_missing_and_corrupt_checkpoints(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"does not exist; run `robomatrix train --skill grasp`"):
        PolicyBase.load(tmp_path / "grasp" / "policy.pt")
    bad = tmp_path / "push" / "policy.pt"
    bad.parent.mkdir()
    bad.write_bytes(b"not a torch file at all")
    with pytest.raises(CheckpointError, match=r"corrupt.*robomatrix train --skill push") as err:
        load_policy(bad)
    assert str(bad) in str(err.value)
    good = LanguageMotionPolicy(SMALL).save(tmp_path / "ok.pt")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_policy(truncated, skill="grasp")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a robomatrix policy checkpoint"):
        load_policy(foreign)


def test_vocabulary_mismatch_is_rejected(tmp_path: Path) -> None:
    path = LanguageMotionPolicy(SMALL).save(tmp_path / "grasp" / "policy.pt")
    ckpt = torch.load(path, weights_only=True)
    ckpt["vocabulary"] = list(reversed(ckpt["vocabulary"]))
    torch.save(ckpt, path)
    with pytest.raises(CheckpointError, match="different language-motion vocabulary.*robomatrix train --skill grasp"):
        load_policy(path)


# --------------------------------------------------------------------------- training


def test_seeded_training_is_deterministic(toy: Dataset) -> None:
    small = toy.select(np.arange(len(toy)) < 600)
    kwargs = {"seed": 5, "epochs": 3, "batch_size": 64, "hidden": 32, "progress": False, "num_threads": 1,
              "device": "cpu", "noise_std": 0.005}  # fmt: skip
    _, m1 = train_policy(small, "rt-h", **kwargs)
    _, m2 = train_policy(small, "rt-h", **kwargs)
    assert m1["loss"] == m2["loss"]
    _, m3 = train_policy(small, "rt-h", **{**kwargs, "seed": 6})
    assert m3["loss"] != m1["loss"]


def test_toy_task_reaches_high_motion_accuracy(trained: tuple[LanguageMotionPolicy, dict]) -> None:
    policy, metrics = trained
    assert metrics["loss"][-1] < metrics["loss"][0]
    held_out = toy_task(500, seed=123)
    with torch.no_grad():
        pred = policy.predict_motion(torch.from_numpy(held_out.X)).argmax(1).numpy()
        act = policy.predict_action(torch.from_numpy(held_out.X), torch.from_numpy(held_out.M)).numpy()
    accuracy = float(np.mean(pred == held_out.M))
    assert accuracy > 0.85, accuracy
    assert float(np.mean(np.abs(act[:, :3] - held_out.A[:, :3]))) < 0.02  # m/s
    assert policy.metadata["seed"] == 0 and policy.metadata["epochs"] == 40


def test_override_executes_the_persons_motion(trained: tuple[LanguageMotionPolicy, dict]) -> None:
    policy, _ = trained
    # object below and ahead: the policy itself moves forward/down
    x = build_features(make_obs([0.4, 0.0, 0.3], [0.6, 0.0, 0.05]), "move_to", {"object": "block_red_0"}, NAMES)
    own, own_action = policy.select_action(x)
    assert motion_direction(own).linear[2] < 0 or motion_direction(own).linear[0] > 0
    for override in ("move arm up", "move arm left", "move arm backward", "move arm right and up"):
        motion, action = policy.select_action(x, motion_override=override)
        assert motion == override
        direction = motion_direction(override).linear
        assert float(np.dot(action[:3], direction)) > 0.02, (override, action)
    motion, action = policy.select_action(x, motion_override="lift")  # free text goes through parse_motion
    assert motion == "move arm up" and action[2] > 0
    assert policy.select_action(x, motion_override="resume") == (own, pytest.approx(own_action))


def test_flat_policy_trains(toy: Dataset) -> None:
    policy, metrics = train_policy(toy, "flat", seed=0, epochs=5, hidden=32, progress=False, num_threads=1)
    assert isinstance(policy, FlatPolicy)
    assert metrics["loss"][-1] < metrics["loss"][0]
    assert "final_motion_acc" not in metrics


def test_finetune_motion_head_learns_corrections_and_keeps_actions(
    trained: tuple[LanguageMotionPolicy, dict], toy: Dataset, tmp_path: Path
) -> None:
    policy, _ = trained
    student = copy.deepcopy(policy)
    before = {k: v.clone() for k, v in student.state_dict().items()}
    # a person insists on "move arm up" whenever the object is to the robot's left
    lay = FeatureLayout(NAMES)
    left = toy.X[:, lay.slot_rel_position(0)][:, 1] > 0.1
    m = toy.M.copy()
    m[left] = motion_to_index("move arm up")
    corrections = Dataset.from_arrays(toy.X, toy.A, m, skill="move_to", source=np.where(left, "person", "policy"))
    metrics = finetune_motion_head(student, corrections, epochs=15, lr=3e-3, progress=False, num_threads=1)
    assert metrics["person_accuracy_after"] > 0.9 > metrics["person_accuracy_before"]
    after = student.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith("motion_head.") for k in changed), changed
    assert student.metadata["finetuned_motion_head"]["person_samples"] == int(left.sum())
    path = student.save(tmp_path / "move_to" / "policy.pt")  # nested metadata still loads weights-only
    reloaded = load_policy(path)
    assert reloaded.metadata["finetuned_motion_head"]["epochs"] == 15
    assert reloaded.metadata["data_files"] == [] and "command_line" in reloaded.metadata


def test_select_action_at_batch_one_is_finite_and_repeatable() -> None:
    """The deployed-size policy answers one observation with finite numbers, the same twice.
    (Its tick latency is a benchmark, bench/bench_skills.py, not a timed test.)"""
    policy = LanguageMotionPolicy(PolicyConfig(skill_names=NAMES))  # the default (deployed) size
    x = np.random.default_rng(0).normal(size=FEATURE_DIM).astype(np.float32)
    (motion, action), (motion2, action2) = policy.select_action(x), policy.select_action(x)
    assert isinstance(motion, str) and motion == motion2
    assert action.shape == (5,) and np.all(np.isfinite(action)) and np.array_equal(action, action2)
