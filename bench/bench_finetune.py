"""Learning from language corrections where there is something to learn (issue 3, after RT-H).

A move_to policy trained **only from the home pose** is run from the starts other skills leave
the arm in (varied starts: after a release, beside the drawer handle, hovering, anywhere a
person's correction may leave it). The simulated person watches it and says a language motion
when it drifts; the corrected episodes are recorded as intervention data and the policy's
language-motion head is fine-tuned on them (DAgger rounds, :func:`robomatrix.learning.dagger.
dagger_finetune`). Success without corrections is measured before and after on held-out
evaluation seeds (collection seeds are disjoint). The skill's committed policy, trained on
varied-start demonstrations, is measured on the same episodes as the reference.

    .venv/bin/python bench/bench_finetune.py                 # ~10 min on 2 cores
    .venv/bin/python bench/bench_finetune.py --episodes 10 --rounds 1

The home-start policy is trained here, seeded, on home-start demonstrations the script records
itself (as ``robomatrix generate --skill move_to --episodes 150 --starts home --seed 0`` does);
the fine-tunes replay those home-start demonstrations only, so whatever is learnt about the other
starts comes from the corrections. Writes bench/results/finetune.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

from bench_hardware import machine  # noqa: E402 - the script's own folder is on sys.path
from stats import annotate_results  # noqa: E402 - the script's own folder is on sys.path

SKILL = "move_to"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--episodes", type=int, default=50, help="evaluation and collection episodes per round")
    ap.add_argument("--rounds", type=int, default=2, help="DAgger rounds")
    ap.add_argument("--seed", type=int, default=0, help="evaluation seed")
    ap.add_argument("--collect-seed", type=int, default=100, help="first collection seed (rounds use seed+r)")
    ap.add_argument("--epochs", type=int, default=30, help="epochs of the home-start policy")
    ap.add_argument("--home-episodes", type=int, default=150, help="home-start demonstrations to record")
    ap.add_argument("--out", default=str(HERE / "results" / "finetune.json"))
    args = ap.parse_args(argv)
    if abs(args.collect_seed - args.seed) < max(args.rounds, 1):
        ap.error("--collect-seed must be at least --rounds away from --seed (collection and evaluation disjoint)")

    import torch

    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.learning.dagger import dagger_finetune
    from robomatrix.learning.dataset import load_demonstrations
    from robomatrix.learning.demos import NoiseConfig, record_demos
    from robomatrix.learning.evaluation import evaluate_skill
    from robomatrix.learning.train import train_policy
    from robomatrix.policies.model import load_policy
    from robomatrix.skills.executor import PolicyController
    from robomatrix.skills.spec import load_skill_library

    torch.set_num_threads(1)
    lib = load_skill_library()
    work = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    home = work / f"{SKILL}_home.mcap"
    record_demos(SKILL, args.home_episodes, 0, home, noise=NoiseConfig(probability=0.3), progress=False, starts="home")
    base_path = work / "home_only.pt"
    policy, _ = train_policy(load_demonstrations([home], skill=SKILL), kind="rt-h", epochs=args.epochs, seed=0,
                             noise_std=0.005, num_threads=1, progress=False)
    policy.save(base_path, metadata={"data": f"{args.home_episodes} home-start episodes, seed 0"})

    def controller(path: Path) -> Any:
        return lambda spec: PolicyController(load_policy(path, skill=spec.name), tuple(lib.names))

    out: dict[str, Any] = {"benchmark": "finetune", "skill": SKILL, "date": datetime.now(UTC).isoformat(timespec="seconds"),
                           "machine": machine(), "episodes": args.episodes, "eval_seed": args.seed,
                           "home_start_episodes": args.home_episodes, "replayed": "the home-start demonstrations"}
    with SimRobot(SimConfig()) as robot:
        def rate(path: Path, name: str) -> dict[str, Any]:
            return evaluate_skill(SKILL, controller(path), args.episodes, args.seed, robot=robot, library=lib,
                                  controller_name=name).to_dict()

        out["home_only_before"] = rate(base_path, "home-start policy")
        tuned, report = dagger_finetune(SKILL, base_path, robot=robot, out_dir=work / "interventions",
                                        rounds=args.rounds, episodes=args.episodes, seed=args.collect_seed,
                                        replay=[home], library=lib)
        tuned_path = work / "home_only_finetuned.pt"
        tuned.save(tuned_path)
        out["dagger_rounds"] = report["rounds"]
        out["home_only_after"] = rate(tuned_path, "home-start policy, fine-tuned on corrections")
        out["committed_policy"] = rate(Path(lib.get(SKILL).policy_path), "committed policy (varied-start demos)")
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(annotate_results(out), indent=2))
    for key in ("home_only_before", "home_only_after", "committed_policy"):
        sys.stdout.write(f"{key}: {out[key]['successes']}/{out[key]['episodes']}\n")
    sys.stdout.write("corrections per round: " + ", ".join(str(r["corrections"]) for r in report["rounds"]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
