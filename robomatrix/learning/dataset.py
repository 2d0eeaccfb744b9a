"""Reading recorded episodes (MCAP, written by :mod:`robomatrix.skills.recording`) as training arrays.

Offline learning only: the runtime never imports this module.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

from robomatrix.errors import RobomatrixError
from robomatrix.policies.language_motion import motion_to_index
from robomatrix.skills.recording import (
    ACTION_DIM,
    ACTION_TOPIC,
    CAMERA_INFO_TOPIC,
    COLOR_TOPIC,
    DEPTH_TOPIC,
    EPISODE_TOPIC,
    FEATURES_TOPIC,
    MOTION_TOPIC,
    DatasetError,
)

log = logging.getLogger(__name__)

__all__ = ["CameraFrame", "Dataset", "DatasetError", "EpisodeInfo", "concat", "load_camera_frames",
           "load_demonstrations"]


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class EpisodeInfo:
    """One recorded episode."""

    file: str
    index: int  # episode index inside its file
    skill: str
    args: dict[str, Any]
    seed: int | None
    source: str  # oracle | human | policy
    success: bool
    steps: int
    meta: dict[str, Any] = field(default_factory=dict)  # everything the begin message held


@dataclass
class Dataset:
    """Demonstration steps as arrays (N ticks).

    X (N, D) float32 features; A (N, 5) float32 actions; M (N,) int64 motion indices into
    VOCABULARY; episode (N,) int64 index into ``episodes``; source (N,) str: who chose the
    motion (policy | person); skill (N,) str.
    """

    X: np.ndarray
    A: np.ndarray
    M: np.ndarray
    episode: np.ndarray
    source: np.ndarray
    skill: np.ndarray
    episodes: list[EpisodeInfo]
    files: list[str]

    @classmethod
    def from_arrays(
        cls,
        X: np.ndarray,  # noqa: N803
        A: np.ndarray,  # noqa: N803
        M: np.ndarray,  # noqa: N803
        *,
        skill: str = "",
        source: np.ndarray | None = None,
        episode: np.ndarray | None = None,
    ) -> Dataset:
        """A dataset from arrays already in memory (one pseudo-episode unless ``episode`` is given)."""
        x = np.asarray(X, dtype=np.float32)
        a = np.asarray(A, dtype=np.float32)
        m = np.asarray(M, dtype=np.int64)
        n = x.shape[0] if x.ndim == 2 else -1
        if n < 0 or a.shape != (n, ACTION_DIM) or m.shape != (n,):
            raise DatasetError(f"need X (N, D), A (N, 5), M (N,); got {x.shape}, {a.shape}, {m.shape}")
        ep = np.zeros(n, np.int64) if episode is None else np.asarray(episode, dtype=np.int64)
        src = np.full(n, "policy") if source is None else np.asarray(source).astype(str)
        if ep.shape != (n,) or src.shape != (n,):
            raise DatasetError(f"episode and source must have shape ({n},), got {ep.shape} and {src.shape}")
        count = int(ep.max()) + 1 if n else 0
        infos = [EpisodeInfo("<memory>", i, skill, {}, None, "oracle", True, int(np.sum(ep == i))) for i in range(count)]
        return cls(x, a, m, ep, src, np.full(n, skill), infos, [])

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def feature_dim(self) -> int:
        return int(self.X.shape[1])

    def select(self, mask: np.ndarray) -> Dataset:
        """Steps where ``mask`` (N,) is true (episode table kept, indices unchanged)."""
        mask = np.asarray(mask, dtype=bool)
        return Dataset(
            self.X[mask], self.A[mask], self.M[mask], self.episode[mask], self.source[mask], self.skill[mask],
            self.episodes, self.files,
        )  # fmt: skip

    def for_skill(self, skill: str) -> Dataset:
        """Only the steps of ``skill``."""
        return self.select(self.skill == skill)

    def successful(self) -> Dataset:
        """Only the steps of successful episodes, and of every DAgger episode (meta ``dagger``: a
        policy drove and the oracle labelled each state reached, so its labels hold whether or
        not the run got there; the states a policy fails in are the ones it must learn)."""
        ok = np.array([e.success or bool(e.meta.get("dagger")) for e in self.episodes], dtype=bool)
        return self.select(ok[self.episode] if len(self.episodes) else np.zeros(len(self), bool))

    def summary(self) -> str:
        skills = sorted(set(self.skill.tolist()))
        person = int(np.sum(self.source == "person"))
        return (
            f"{len(self)} steps, {len(set(self.episode.tolist()))} episodes, skills {skills}, "
            f"{person} person-labelled steps, from {len(self.files)} file(s)"
        )


def _decode_floats(msg: Any, topic: str, file: Path) -> np.ndarray:
    data = getattr(msg, "data", None)
    if data is None:
        raise DatasetError(f"{file}: a {topic} message has no data field; not a robomatrix recording")
    return np.asarray(data, dtype=np.float32)


def _read_file(path: Path) -> tuple[list[EpisodeInfo], list[tuple[np.ndarray, np.ndarray, int, str, str]], list[int]]:
    """Episodes, ticks (features, action, motion index, source, skill) and each tick's episode slot."""
    episodes: list[EpisodeInfo] = []
    ticks: list[tuple[np.ndarray, np.ndarray, int, str, str]] = []
    owners: list[int] = []
    current: dict[str, Any] | None = None
    pending: list[tuple[np.ndarray, np.ndarray, int, str, str]] = []
    feats: np.ndarray | None = None
    act: np.ndarray | None = None
    topics_seen: set[str] = set()
    with open(path, "rb") as f:
        reader = make_reader(f, validate_crcs=True, decoder_factories=[DecoderFactory()])
        # Camera images are not decoded here (load_camera_frames reads them): only the step topics.
        steps_only = [EPISODE_TOPIC, FEATURES_TOPIC, ACTION_TOPIC, MOTION_TOPIC]
        for _schema, channel, _message, msg in reader.iter_decoded_messages(topics=steps_only, log_time_order=False):
            topic = channel.topic
            topics_seen.add(topic)
            if topic == EPISODE_TOPIC:
                try:
                    data = json.loads(msg.data)
                except (AttributeError, TypeError, ValueError) as e:
                    raise DatasetError(f"{path}: an /episode message is not JSON ({e})") from e
                if data.get("event") == "begin":
                    if current is not None:
                        log.warning("%s: episode %s has no end; dropped", path, current.get("episode"))
                    current, pending, feats, act = data, [], None, None
                elif data.get("event") == "end":
                    if current is None or data.get("episode") != current.get("episode"):
                        raise DatasetError(f"{path}: episode end {data.get('episode')!r} without its begin")
                    if data.get("steps") != len(pending):
                        raise DatasetError(
                            f"{path}: episode {data.get('episode')} says {data.get('steps')} steps but holds "
                            f"{len(pending)}; the file is damaged"
                        )
                    slot = len(episodes)
                    episodes.append(
                        EpisodeInfo(
                            file=str(path),
                            index=int(current.get("episode", slot)),
                            skill=str(current["skill"]),
                            args=dict(current.get("args") or {}),
                            seed=current.get("seed"),
                            source=str(current.get("source")),
                            success=bool(data.get("success")),
                            steps=len(pending),
                            meta={k: v for k, v in current.items() if k != "event"},
                        )
                    )
                    ticks.extend(pending)
                    owners.extend([slot] * len(pending))
                    current, pending = None, []
                else:
                    raise DatasetError(f"{path}: /episode message with unknown event {data.get('event')!r}")
            elif current is None:
                raise DatasetError(f"{path}: a {topic} message outside an episode; not a robomatrix recording")
            elif topic == FEATURES_TOPIC:
                feats = _decode_floats(msg, topic, path)
            elif topic == ACTION_TOPIC:
                act = _decode_floats(msg, topic, path)
                if act.shape != (ACTION_DIM,):
                    raise DatasetError(f"{path}: an /action message has {act.size} values, expected {ACTION_DIM}")
            elif topic == MOTION_TOPIC:
                if feats is None or act is None:
                    raise DatasetError(f"{path}: a /language_motion message without its /features and /action")
                try:
                    index = motion_to_index(msg.motion)
                except RobomatrixError as e:
                    raise DatasetError(f"{path}: {e}") from e
                pending.append((feats, act, index, str(msg.source), str(msg.skill)))
                feats, act = None, None
            else:
                log.debug("%s: ignoring topic %s", path, topic)
    if current is not None:
        log.warning("%s: the last episode (%s) has no end; dropped", path, current.get("episode"))
    if not episodes and EPISODE_TOPIC not in topics_seen:
        raise DatasetError(f"{path}: no {EPISODE_TOPIC} messages; not a robomatrix demonstration file; fix: remove "
                           "it from the data folder, or record demonstrations with `robomatrix generate`")
    return episodes, ticks, owners


def load_demonstrations(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    skill: str | None = None,
    skip_bad: bool = False,
    successful_only: bool = False,
) -> Dataset:
    """Read MCAP demonstration files (or folders of ``*.mcap``) into one :class:`Dataset`.

    ``skill`` keeps only that skill's steps; ``successful_only`` drops failed episodes (DAgger
    episodes stay, see :meth:`Dataset.successful`). A corrupt, truncated or foreign file raises
    :class:`DatasetError` naming it, unless ``skip_bad`` (then it is logged and skipped). Files of
    different feature sizes are an error.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(p.glob("*.mcap"))
            if not found:
                raise DatasetError(f"folder {p} holds no .mcap recordings; check the path, or record some "
                                   "(`robomatrix generate`, or corrections made while the skill server runs)")
            files.extend(found)
        else:
            files.append(p)
    episodes: list[EpisodeInfo] = []
    rows: list[tuple[np.ndarray, np.ndarray, int, str, str]] = []
    owner: list[int] = []
    used: list[str] = []
    for file in files:
        try:
            if not file.is_file():
                raise DatasetError(f"demonstration file {file} does not exist; record some with the oracle first")
            try:
                eps, ticks, owners = _read_file(file)
            except DatasetError:
                raise
            except Exception as e:  # noqa: BLE001 - any decoder failure (mcap, zstd, lz4, struct) = damaged file
                if type(e).__name__ == "DecoderNotFoundError":  # a valid MCAP of messages that are not ours
                    raise DatasetError(
                        f"{file} is not a robomatrix recording (it holds messages of another schema: {e}); pass "
                        "recordings of the skill server or of `robomatrix generate`, or pass skip_bad=True"
                    ) from e
                raise DatasetError(
                    f"{file} is corrupt or truncated ({type(e).__name__}: {e}); re-record it or pass skip_bad=True"
                ) from e
        except DatasetError as e:
            if not skip_bad:
                raise
            log.warning("skipping %s", e)
            continue
        offset = len(episodes)
        episodes.extend(eps)
        rows.extend(ticks)
        owner.extend(o + offset for o in owners)
        used.append(str(file))
    dims = {r[0].shape[0] for r in rows}
    if len(dims) > 1:
        raise DatasetError(
            f"the files mix feature sizes {sorted(dims)}; they were recorded with different skill libraries, "
            "load them separately"
        )
    d = dims.pop() if dims else 0
    n = len(rows)
    data = Dataset(
        X=np.stack([r[0] for r in rows]).astype(np.float32) if n else np.zeros((0, d), np.float32),
        A=np.stack([r[1] for r in rows]).astype(np.float32) if n else np.zeros((0, ACTION_DIM), np.float32),
        M=np.array([r[2] for r in rows], dtype=np.int64),
        episode=np.array(owner, dtype=np.int64),
        source=np.array([r[3] for r in rows], dtype=object).astype(str) if n else np.zeros(0, dtype=str),
        skill=np.array([r[4] for r in rows], dtype=object).astype(str) if n else np.zeros(0, dtype=str),
        episodes=episodes,
        files=used,
    )
    if skill is not None:
        data = data.for_skill(skill)
    if successful_only:
        data = data.successful()
    log.info("loaded %s", data.summary())
    return data


def concat(datasets: Sequence[Dataset]) -> Dataset:
    """One dataset of several (episode indices re-based)."""
    if not datasets:
        raise DatasetError("nothing to concatenate")
    dims = {d.feature_dim for d in datasets if len(d)}
    if len(dims) > 1:
        raise DatasetError(f"cannot concatenate datasets of feature sizes {sorted(dims)}")
    parts, offset, episodes, files = [], 0, [], []
    for d in datasets:
        parts.append(d.episode + offset)
        offset += len(d.episodes)
        episodes.extend(d.episodes)
        files.extend(d.files)
    return Dataset(
        X=np.concatenate([d.X for d in datasets]),
        A=np.concatenate([d.A for d in datasets]),
        M=np.concatenate([d.M for d in datasets]),
        episode=np.concatenate(parts),
        source=np.concatenate([d.source for d in datasets]),
        skill=np.concatenate([d.skill for d in datasets]),
        episodes=episodes,
        files=files,
    )


# --------------------------------------------------------------------------- camera images


@dataclass(frozen=True)
class CameraFrame:
    """One recorded RGB-D frame of an episode (see :func:`load_camera_frames`)."""

    episode: int  # episode index inside its file (EpisodeInfo.index)
    step: int  # index of the episode's step the frame goes with: its first step at or after the frame
    t: float  # s since the episode started, when the frame was taken
    step_t: float  # s, time of that step (= t for demonstrations; the skill server's are up to a tick apart)
    rgb: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float32 metres, NaN = no return
    k: np.ndarray | None  # (3, 3) intrinsics of the depth image (None if the recording has no CameraInfo)


def _image_array(msg: Any, path: Path) -> np.ndarray:
    h, w = int(msg.height), int(msg.width)
    raw = bytes(msg.data)
    if msg.encoding == "rgb8" and len(raw) >= h * int(msg.step):
        return np.frombuffer(raw, np.uint8).reshape(h, int(msg.step))[:, : 3 * w].reshape(h, w, 3).copy()
    if msg.encoding == "32FC1" and len(raw) >= h * int(msg.step):
        rows = np.frombuffer(raw, np.uint8).reshape(h, int(msg.step))[:, : 4 * w]
        return rows.copy().view("<f4").reshape(h, w).astype(np.float32)
    raise DatasetError(f"{path}: a camera image is {msg.encoding} {w}x{h} with {len(raw)} bytes; expected rgb8 or "
                       "32FC1 of that size")


def load_camera_frames(path: str | os.PathLike[str], episode: int | None = None) -> Iterable[CameraFrame]:
    """Yield the RGB-D frames recorded with the episodes of one MCAP file, in file order, each
    paired with the step it was taken at (``episode``: only that episode index). A file recorded
    with the camera off yields nothing. Raises DatasetError on a damaged or inconsistent file."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"recording {path} does not exist")
    topics = [EPISODE_TOPIC, MOTION_TOPIC, COLOR_TOPIC, DEPTH_TOPIC, CAMERA_INFO_TOPIC]
    current: int | None = None
    steps = 0
    pending: list[list[Any]] = []  # [log time, rgb, depth, k] of frames waiting for their step
    colour: tuple[int, np.ndarray] | None = None
    k: np.ndarray | None = None
    with open(path, "rb") as f:
        reader = make_reader(f, validate_crcs=True, decoder_factories=[DecoderFactory()])
        for _schema, channel, message, msg in reader.iter_decoded_messages(topics=topics, log_time_order=False):
            topic = channel.topic
            if topic == EPISODE_TOPIC:
                data = json.loads(msg.data)
                if data.get("event") == "begin":
                    current, steps, pending, colour, k = int(data.get("episode", 0)), 0, [], None, None
                elif pending:
                    raise DatasetError(f"{path}: episode {current} ends with camera frames after its last step")
                continue
            if current is None:
                raise DatasetError(f"{path}: a {topic} message outside an episode; not a robomatrix recording")
            if topic == COLOR_TOPIC:
                colour = (message.log_time, _image_array(msg, path))
            elif topic == DEPTH_TOPIC:
                depth = _image_array(msg, path)
                if colour is None or colour[0] != message.log_time or colour[1].shape[:2] != depth.shape:
                    raise DatasetError(f"{path}: a depth image without the colour image of its time and size")
                pending.append([message.log_time, colour[1], depth, None])
                colour = None
            elif topic == CAMERA_INFO_TOPIC:
                k = np.asarray(msg.k, dtype=float).reshape(3, 3)
                if pending and pending[-1][0] == message.log_time:
                    pending[-1][3] = k
            elif topic == MOTION_TOPIC:  # one per step, at the step's time
                if episode is None or episode == current:
                    for log_time, rgb, depth, kk in pending:
                        yield CameraFrame(current, steps, log_time / 1e9, message.log_time / 1e9, rgb, depth, kk)
                pending = []
                steps += 1
