"""Demonstrations as ROS 2 MCAP: round trip, standard readers, damaged files, never overwrite."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from mcap.reader import make_reader

from robomatrix.errors import RobomatrixError
from robomatrix.learning.dataset import Dataset, concat, load_demonstrations
from robomatrix.policies.language_motion import VOCABULARY, UnknownMotionError, motion_to_index
from robomatrix.skills.recording import (
    ACTION_TOPIC,
    EPISODE_TOPIC,
    FEATURES_TOPIC,
    LANGUAGE_MOTION_DEF,
    MOTION_TOPIC,
    DatasetError,
    EpisodeWriter,
    next_free_path,
)

REPO = Path(__file__).resolve().parents[2]
D = 40


def record(path: Path, episodes: int = 3, steps: int = 10, skill: str = "grasp", seed: int = 0) -> dict:
    """Write a small file; return what was written, for comparison."""
    rng = np.random.default_rng(seed)
    truth: dict = {"X": [], "A": [], "M": [], "source": []}
    with EpisodeWriter(path) as w:
        for e in range(episodes):
            w.begin_episode({"skill": skill, "args": {"object": "block_red_0"}, "seed": 100 + e, "source": "oracle"})
            for t in range(steps):
                x = rng.normal(size=D).astype(np.float32)
                a = rng.normal(size=5).astype(np.float32)
                motion = VOCABULARY[int(rng.integers(len(VOCABULARY)))]
                source = "person" if t % 4 == 0 else "policy"
                w.add_step(t * 0.02, x, a, motion, source)
                truth["X"].append(x)
                truth["A"].append(a)
                truth["M"].append(motion_to_index(motion))
                truth["source"].append(source)
            w.end_episode(success=e != 1)
    return truth


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "grasp_000.mcap"
    truth = record(path)
    data = load_demonstrations(path)
    assert len(data) == 30 and data.feature_dim == D
    np.testing.assert_array_equal(data.X, np.stack(truth["X"]))
    np.testing.assert_array_equal(data.A, np.stack(truth["A"]))
    np.testing.assert_array_equal(data.M, truth["M"])
    assert data.source.tolist() == truth["source"]
    assert data.episode.tolist() == [e for e in range(3) for _ in range(10)]
    assert [e.success for e in data.episodes] == [True, False, True]
    ep = data.episodes[0]
    assert (ep.skill, ep.args, ep.seed, ep.source, ep.steps, ep.index) == ("grasp", {"object": "block_red_0"}, 100, "oracle", 10, 0)
    assert data.files == [str(path)]
    assert len(data.successful()) == 20
    assert "30 steps, 3 episodes" in data.summary()


def test_file_opens_with_plain_mcap_reader(tmp_path: Path) -> None:
    path = tmp_path / "demo.mcap"
    record(path, episodes=1, steps=4)
    with open(path, "rb") as f:
        reader = make_reader(f)
        header = reader.get_header()
        summary = reader.get_summary()
        assert header.profile == "ros2"
        assert summary is not None
        topics = {c.topic: summary.schemas[c.schema_id].name for c in summary.channels.values()}
        assert topics == {
            EPISODE_TOPIC: "std_msgs/msg/String",
            FEATURES_TOPIC: "std_msgs/msg/Float32MultiArray",
            ACTION_TOPIC: "std_msgs/msg/Float32MultiArray",
            MOTION_TOPIC: "robomatrix/msg/LanguageMotion",
        }
        assert all(s.encoding == "ros2msg" for s in summary.schemas.values())
        assert all(c.message_encoding == "cdr" for c in summary.channels.values())
        counts = {summary.channels[cid].topic: n for cid, n in summary.statistics.channel_message_counts.items()}
        assert counts == {EPISODE_TOPIC: 2, FEATURES_TOPIC: 4, ACTION_TOPIC: 4, MOTION_TOPIC: 4}
        times = [m.log_time for _, c, m in reader.iter_messages(topics=[FEATURES_TOPIC])]
        assert times == [0, 20_000_000, 40_000_000, 60_000_000]  # simulated time in ns
        meta = list(reader.iter_metadata())
        assert meta and meta[0].name == "robomatrix"
    # the ROS 2 decoder sees the episode metadata and motion messages as typed ROS messages
    from mcap_ros2.decoder import DecoderFactory

    with open(path, "rb") as f:
        decoded = list(make_reader(f, decoder_factories=[DecoderFactory()]).iter_decoded_messages())
    first = json.loads(decoded[0].decoded_message.data)
    assert first["event"] == "begin" and first["skill"] == "grasp"
    motion_msgs = [d.decoded_message for d in decoded if d.channel.topic == MOTION_TOPIC]
    assert motion_msgs[0].skill == "grasp" and motion_msgs[0].source == "person"
    assert motion_msgs[1].header.stamp.nanosec == 20_000_000


def test_language_motion_schema_matches_msg_file() -> None:
    def fields(text: str) -> list[str]:
        out = []
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(re.sub(r"\s+", " ", line))
        return out

    ours = LANGUAGE_MOTION_DEF.split("=" * 80)[0]
    assert fields(ours) == fields((REPO / "msg" / "LanguageMotion.msg").read_text())


def test_writer_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "demo.mcap"
    record(path, episodes=1)
    before = path.read_bytes()
    with pytest.raises(DatasetError, match="never overwritten"):
        EpisodeWriter(path)
    assert path.read_bytes() == before
    nxt = next_free_path(tmp_path, "demo")
    assert nxt.name == "demo_000.mcap"
    record(nxt, episodes=1)
    assert next_free_path(tmp_path, "demo").name == "demo_001.mcap"


def test_crash_leaves_only_a_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.mcap"
    with pytest.raises(RuntimeError, match="boom"), EpisodeWriter(path) as w:
        w.begin_episode({"skill": "grasp", "source": "oracle"})
        w.add_step(0.0, np.zeros(D), np.zeros(5), "stop")
        raise RuntimeError("boom")
    assert not path.exists()
    partial = tmp_path / ".demo.mcap.partial"
    assert partial.exists()
    with pytest.raises(DatasetError, match="holds no .mcap recordings"):  # folders load *.mcap only
        load_demonstrations(tmp_path)
    with pytest.raises(DatasetError, match="partial"):
        EpisodeWriter(path)


def test_writer_validates_steps(tmp_path: Path) -> None:
    with EpisodeWriter(tmp_path / "v.mcap") as w:
        with pytest.raises(DatasetError, match="begin_episode"):
            w.add_step(0.0, np.zeros(D), np.zeros(5), "stop")
        with pytest.raises(DatasetError, match="source"):
            w.begin_episode({"skill": "grasp", "source": "robot"})
        w.begin_episode({"skill": "grasp", "source": "human"})
        with pytest.raises(UnknownMotionError):
            w.add_step(0.0, np.zeros(D), np.zeros(5), "dance")
        with pytest.raises(DatasetError, match="non-finite"):
            w.add_step(0.0, np.full(D, np.nan), np.zeros(5), "stop")
        with pytest.raises(DatasetError, match="5 values"):
            w.add_step(0.0, np.zeros(D), np.zeros(4), "stop")
        w.add_step(0.0, np.zeros(D), np.zeros(5), "stop", "person")
        with pytest.raises(DatasetError, match="40 values"):
            w.add_step(0.02, np.zeros(D + 1), np.zeros(5), "stop")
        w.end_episode(True)
    assert len(load_demonstrations(tmp_path / "v.mcap")) == 1


def flipped(raw: bytes) -> bytes:
    mid = len(raw) // 2
    return raw[:mid] + bytes(b ^ 0xFF for b in raw[mid : mid + 8]) + raw[mid + 8 :]


@pytest.mark.parametrize("damage", ["garbage", "truncated_half", "truncated_tail", "empty", "flipped"])
def test_corrupt_file_raises_naming_it_and_skip_bad(tmp_path: Path, damage: str) -> None:
    good = tmp_path / "good.mcap"
    record(good, episodes=2, steps=50)
    bad = tmp_path / "bad.mcap"
    raw = good.read_bytes()
    bad.write_bytes(
        {"garbage": b"\x00garbage" * 64, "truncated_half": raw[: len(raw) // 2],
         "truncated_tail": raw[:-40], "empty": b"", "flipped": flipped(raw)}[damage]
    )  # fmt: skip
    with pytest.raises(DatasetError, match=re.escape(str(bad))) as err:
        load_demonstrations([good, bad])
    assert isinstance(err.value, RobomatrixError)
    data = load_demonstrations([good, bad], skip_bad=True)
    assert len(data) == 100 and data.files == [str(good)]


def test_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_demonstrations(tmp_path / "nope.mcap")
    from mcap_ros2.writer import Writer

    foreign = tmp_path / "foreign.mcap"
    with open(foreign, "wb") as f:
        w = Writer(f)
        schema = w.register_msgdef("std_msgs/msg/String", "string data\n")
        w.write_message("/chatter", schema, {"data": "hi"}, log_time=0)
        w.finish()
    with pytest.raises(DatasetError, match="outside an episode|not a robomatrix"):
        load_demonstrations(foreign)


def test_skill_filter_many_files_and_concat(tmp_path: Path) -> None:
    record(tmp_path / "a.mcap", episodes=2, skill="grasp")
    record(tmp_path / "b.mcap", episodes=1, skill="push", seed=1)
    data = load_demonstrations(tmp_path)
    assert len(data) == 30 and len(data.episodes) == 3
    assert set(data.skill.tolist()) == {"grasp", "push"}
    push = load_demonstrations(tmp_path, skill="push")
    assert len(push) == 10 and set(push.episode.tolist()) == {2}
    assert push.episodes[2].skill == "push"
    both = concat([push, load_demonstrations(tmp_path / "a.mcap")])
    assert len(both) == 30 and both.episode.max() == len(both.episodes) - 1


def test_from_arrays_validates() -> None:
    d = Dataset.from_arrays(np.zeros((4, D)), np.zeros((4, 5)), np.zeros(4), skill="grasp")
    assert len(d) == 4 and d.skill.tolist() == ["grasp"] * 4
    with pytest.raises(DatasetError, match="need X"):
        Dataset.from_arrays(np.zeros((4, D)), np.zeros((3, 5)), np.zeros(4))
