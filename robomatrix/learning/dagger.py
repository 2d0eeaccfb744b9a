"""Learning from corrections in a loop (DAgger with a language-motion corrector, after RT-H).

Core module: imports no rclpy. Runs in simulation against
:class:`~robomatrix.hardware.sim.SimRobot`.

One round: the current policy runs ``episodes`` seeded episodes while the simulated person
(:class:`~robomatrix.learning.evaluation.SimulatedCorrector`) watches and says a language
motion when the policy drifts; corrected episodes are recorded as intervention data
(MCAP). The language-motion head of the *original* policy is then fine-tuned on all
interventions collected so far (the DAgger aggregate), mixed with the demonstrations
(replay), and the next round collects with that fine-tuned policy. Collection seeds are
``seed + round`` through :func:`~robomatrix.learning.evaluation.evaluate_skill`, so they never
meet the evaluation seeds as long as ``seed`` differs from the evaluation seed by more than
``rounds`` (the benchmark evaluates on seed 0 and collects from seed 100).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from robomatrix.errors import ConfigError
from robomatrix.learning.dataset import concat, load_demonstrations
from robomatrix.learning.evaluation import SimulatedCorrector, evaluate_skill
from robomatrix.learning.train import finetune_motion_head
from robomatrix.policies.model import LanguageMotionPolicy
from robomatrix.skills.executor import PolicyController
from robomatrix.skills.recording import EpisodeWriter, next_free_path
from robomatrix.skills.spec import SkillLibrary, load_skill_library

log = logging.getLogger(__name__)

__all__ = ["dagger_finetune"]


def dagger_finetune(
    skill: str,
    checkpoint: str | Path,
    *,
    robot: Any,
    out_dir: str | Path,
    rounds: int = 2,
    episodes: int = 50,
    seed: int = 100,
    replay: Sequence[str | Path] = (),
    epochs: int = 5,
    person_weight: float = 5.0,
    drop_before: int | None = None,
    library: SkillLibrary | None = None,
    num_threads: int | None = None,
    progress: bool = False,
) -> tuple[LanguageMotionPolicy, dict[str, Any]]:
    """Collect corrected episodes and fine-tune, ``rounds`` times; returns (policy, report).

    ``checkpoint``: the RT-H policy to start from (unchanged on disk). ``out_dir`` receives
    the intervention recordings ``<skill>_interventions_NNN.mcap``. ``replay``: demonstration
    files mixed into every fine-tune. ``drop_before``: policy ticks before each correction
    left out of the fine-tune (default: the corrector's patience, the ticks it watched the
    policy drift). The report lists per round the episodes, corrections, collection success
    with corrections, the intervention steps and the fine-tune's person-step accuracy.
    """
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ConfigError(f"rounds must be an integer >= 1, got {rounds!r}")
    lib = library or load_skill_library()
    names = tuple(lib.names)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = Path(checkpoint)
    policy = LanguageMotionPolicy.load(base, skill=skill)
    replay_data = load_demonstrations([Path(p) for p in replay], skill=skill) if replay else None
    files: list[Path] = []
    report: dict[str, Any] = {"skill": skill, "checkpoint": str(base), "rounds": [], "collect_seed": seed}
    for r in range(rounds):
        t0 = time.perf_counter()
        current = policy
        path = next_free_path(out, f"{skill}_interventions")
        corrector = SimulatedCorrector()
        with EpisodeWriter(path) as writer:
            collected = evaluate_skill(
                skill, lambda _spec, p=current: PolicyController(p, names), episodes, seed + r, robot=robot,
                library=lib, corrector=corrector, writer=writer, controller_name=f"rt-h round {r}",
                progress=progress,
            )
        row: dict[str, Any] = {"round": r, "seed": seed + r, "episodes": collected.episodes,
                               "corrections": collected.corrections,
                               "success_with_corrections": round(collected.success_rate, 4)}
        if collected.corrections > 0:
            files.append(path)
        else:
            path.unlink(missing_ok=True)
        if not files:
            row["note"] = "no corrections so far: nothing to learn from, the policy is unchanged"
            report["rounds"].append(row)
            continue
        interventions = load_demonstrations(files, skill=skill)
        data = concat([interventions, replay_data]) if replay_data is not None and len(replay_data) else interventions
        policy = LanguageMotionPolicy.load(base, skill=skill)  # DAgger: retrain on the aggregate
        metrics = finetune_motion_head(
            policy, data, epochs=epochs, person_weight=person_weight,
            drop_before=corrector.patience if drop_before is None else drop_before,
            num_threads=num_threads, progress=progress,
        )  # fmt: skip
        row.update({"intervention_steps": len(interventions),
                    "person_steps": int((interventions.source == "person").sum()),
                    "replayed_steps": len(data) - len(interventions),
                    "person_accuracy_before": metrics["person_accuracy_before"],
                    "person_accuracy_after": metrics["person_accuracy_after"],
                    "seconds": round(time.perf_counter() - t0, 1)})
        report["rounds"].append(row)
        log.info("dagger %s round %d: %s", skill, r, row)
    policy.metadata = {**policy.metadata, "dagger": report, "intervention_files": [str(f) for f in files]}
    return policy, report
