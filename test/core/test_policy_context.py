"""Episode context for skill policies: layout, train/run-time agreement, a task that needs it,
checkpoints, the flat ablation, and the weights of learning from interventions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robomatrix.errors import ConfigError
from robomatrix.learning.dataset import Dataset
from robomatrix.learning.train import intervention_weights, train_policy
from robomatrix.policies.features import (
    ContextTracker,
    FeatureLayout,
    PolicyInputError,
    context_dim,
    episode_context,
    feature_dim,
    parse_context,
)
from robomatrix.policies.language_motion import VOCABULARY, motion_to_index
from robomatrix.policies.model import LanguageMotionPolicy, PolicyConfig, load_policy
from robomatrix.skills.spec import load_skill_library

NAMES = load_skill_library().names
FEATURE_DIM = feature_dim(NAMES)
LAYOUT = FeatureLayout(NAMES)
UP, DOWN = motion_to_index("move arm up"), motion_to_index("move arm down")


def features(ee: np.ndarray, obj: np.ndarray) -> np.ndarray:
    """(D,) push features with the object in slot 0."""
    x = np.zeros(FEATURE_DIM, np.float32)
    x[0:3] = ee
    x[4] = 1.0
    x[LAYOUT.slot_rel_position(0)] = obj - ee
    x[LAYOUT.slot_present(0)] = 1.0
    x[LAYOUT.skill_one_hot.start + NAMES.index("push")] = 1.0
    return x


def test_parse_context_and_sizes() -> None:
    assert parse_context("slot_offset, displacement") == ("displacement", "slot_offset")
    assert parse_context("") == parse_context(None) == parse_context("none") == ()
    assert context_dim(()) == 0
    assert context_dim(("displacement",)) == 6
    assert context_dim(("displacement", "slot_offset")) == 6 + 3
    with pytest.raises(PolicyInputError, match="unknown context"):
        parse_context("prev_motion")  # tried and not taken: the policy copied its last motion
    with pytest.raises(PolicyInputError, match="unknown context"):
        parse_context("future")


def test_displacement_is_the_objects_motion_since_the_first_tick() -> None:
    ee0, obj0 = np.array([0.5, 0.0, 0.1]), np.array([0.6, 0.1, 0.02])
    x = np.stack([features(ee0, obj0), features(ee0 + [0.03, 0, 0], obj0 + [0.05, -0.01, 0])])
    ctx = episode_context(x, np.zeros(2, int), ("displacement",))
    np.testing.assert_allclose(ctx[0], 0.0, atol=1e-7)
    np.testing.assert_allclose(ctx[1, :3], [0.05, -0.01, 0.0], atol=1e-6)
    np.testing.assert_allclose(ctx[1, 3:], 0.0)  # slot 1 absent


def test_slot_offset_is_where_slot_0_is_from_slot_1() -> None:
    ee, target, held = np.array([0.5, 0.0, 0.15]), np.array([0.6, 0.1, 0.06]), np.array([0.52, 0.01, 0.11])
    x = features(ee, target)
    x[LAYOUT.slot_rel_position(1)] = held - ee
    x[LAYOUT.slot_present(1)] = 1.0
    ctx = episode_context(x[None], np.zeros(1, int), ("slot_offset",))
    np.testing.assert_allclose(ctx[0], target - held, atol=1e-6)
    x[LAYOUT.slot_present(1)] = 0.0  # nothing held: no offset
    assert not ContextTracker(("slot_offset",)).context(x).any()
    assert context_dim(("slot_offset",)) == 3


def test_training_context_matches_the_run_time_tracker() -> None:
    rng = np.random.default_rng(0)
    n = 40
    x = rng.normal(size=(n, FEATURE_DIM)).astype(np.float32)
    x[:, LAYOUT.slot_present(0)] = 1.0
    x[:, LAYOUT.slot_present(1)] = (np.arange(n) % 3 != 0).astype(np.float32)
    ep = np.repeat([0, 1, 2], [15, 1, 24])
    parts = ("displacement", "slot_offset")
    ctx = episode_context(x, ep, parts)
    assert ctx.shape == (n, context_dim(parts))
    tracker = ContextTracker(parts)
    for i in range(n):
        if i == 0 or ep[i] != ep[i - 1]:
            tracker.reset()
        np.testing.assert_allclose(tracker.context(x[i]), ctx[i], atol=1e-6, err_msg=f"tick {i}")
    first = np.flatnonzero(np.r_[True, ep[1:] != ep[:-1]])
    assert not ctx[first, :6].any()  # nothing has moved at an episode's first tick


def history_task(episodes: int, seed: int) -> Dataset:
    """Lift, then (once the object has been carried 5 cm forward) lower: the two phases look the
    same to a reactive policy because episodes start at random places."""
    rng = np.random.default_rng(seed)
    xs, ms, eps = [], [], []
    for e in range(episodes):
        ee0 = rng.uniform([0.3, -0.2, 0.05], [0.6, 0.2, 0.2])
        rel = np.array([0.05, 0.0, -0.03])
        for t in range(20):
            shift = np.array([0.1 * t / 19, 0.0, 0.0])
            xs.append(features(ee0 + shift, ee0 + shift + rel))
            ms.append(UP if t < 10 else DOWN)
            eps.append(e)
    m = np.array(ms)
    a = np.zeros((len(m), 5), np.float32)
    a[:, 2] = np.where(m == UP, 0.05, -0.05)
    return Dataset.from_arrays(np.stack(xs), a, m, skill="push", episode=np.array(eps))


def rollout_accuracy(policy: LanguageMotionPolicy, data: Dataset) -> float:
    hits = 0
    for e in np.unique(data.episode):
        policy.reset()
        for i in np.flatnonzero(data.episode == e):
            motion, _ = policy.select_action(data.X[i])
            hits += int(motion == VOCABULARY[data.M[i]])
    return hits / len(data)


def test_a_task_that_needs_history_is_learnt_only_with_context() -> None:
    train, held_out = history_task(120, seed=0), history_task(15, seed=1)
    kwargs = {"seed": 0, "epochs": 25, "batch_size": 64, "lr": 3e-3, "hidden": 48, "progress": False,
              "num_threads": 1, "device": "cpu"}  # fmt: skip
    with_ctx, _ = train_policy(train, "rt-h", context="displacement", **kwargs)
    reactive, _ = train_policy(train, "rt-h", **kwargs)
    assert with_ctx.config.context == ("displacement",) and with_ctx.config.input_dim == FEATURE_DIM + 6
    assert rollout_accuracy(with_ctx, held_out) > 0.9
    assert rollout_accuracy(reactive, held_out) < 0.85


def test_context_policy_checkpoint_round_trip(tmp_path: Path) -> None:
    config = PolicyConfig(hidden=16, motion_embed_dim=4, context=("displacement", "slot_offset"), skill_names=NAMES)
    policy = LanguageMotionPolicy(config)
    policy.save(tmp_path / "push" / "policy.pt")
    loaded = load_policy(tmp_path / "push" / "policy.pt")
    assert loaded.config.context == ("displacement", "slot_offset")
    x = features(np.array([0.5, 0.0, 0.1]), np.array([0.6, 0.0, 0.02]))
    policy.reset()
    loaded.reset()
    assert policy.select_action(x)[0] == loaded.select_action(x)[0]
    # checkpoints written before context existed have no such field: they are reactive
    assert PolicyConfig.from_dict({k: v for k, v in config.to_dict().items() if k != "context"}).context == ()
    with pytest.raises(ConfigError, match="context"):
        PolicyConfig(context=("tomorrow",), skill_names=NAMES)


def test_intervention_weights_drop_the_drift_before_each_correction() -> None:
    source = np.array(["policy"] * 5 + ["person"] * 3 + ["policy"] * 2 + ["person"] * 2 + ["policy", "person"])
    episode = np.array([0] * 12 + [1, 1])
    data = Dataset.from_arrays(np.zeros((14, FEATURE_DIM)), np.zeros((14, 5)), np.zeros(14, int), source=source,
                               episode=episode)
    w = intervention_weights(data, 4.0, 3)
    np.testing.assert_array_equal(w, [1, 1, 0, 0, 0, 4, 4, 4, 0, 0, 4, 4, 0, 4])
    np.testing.assert_array_equal(intervention_weights(data, 4.0, 0), np.where(source == "person", 4, 1))
    with pytest.raises(ConfigError):
        intervention_weights(data, 4.0, -1)
