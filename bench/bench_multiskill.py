"""Per-skill policies vs one multi-skill policy (issue 3: "one torch policy per skill, or one
multi-skill policy conditioned on the skill — justify it with numbers").

The features already carry the skill one-hot and share one layout for every skill (padded
object slots, all arguments), so the multi-skill policy is the same RT-H network trained once
on every skill's demonstrations together, with the same settings as the per-skill ones
(seed, epochs, noise, width, context). It is compared with the committed per-skill
checkpoints on the same evaluation seeds: success per skill, training time on one CPU
thread, and per-tick latency. Writes bench/results/multiskill.json.

    .venv/bin/python bench/bench_multiskill.py --episodes 20
    .venv/bin/python bench/bench_multiskill.py --episodes 2 --epochs 1 --skills grasp,release   # smoke
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

import numpy as np

HERE = Path(__file__).resolve().parent

from bench_hardware import machine, policy_bench_start  # noqa: E402 - the script's own folder is on sys.path
from stats import annotate_results  # noqa: E402 - the script's own folder is on sys.path


def tick_latency(policy: Any, skill: str, lib: Any, robot: Any, n: int = 1000) -> float:
    """p95 ms of one control tick (features + both heads), batch 1, for ``skill``'s first episode setup."""
    from robomatrix.learning.demos import make_episode_setup
    from robomatrix.skills.executor import PolicyController

    ctrl = PolicyController(policy, tuple(lib.names))
    args, obs = make_episode_setup(skill, np.random.default_rng(0), robot, None, library=lib)
    ctrl.reset(lib.get(skill), args, obs)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        ctrl.act(obs, ctrl.predict_motion(obs))
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.percentile(np.array(times[50:]), 95))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--episodes", type=int, default=20, help="evaluation episodes per skill and policy")
    ap.add_argument("--skills", default="all")
    ap.add_argument("--seed", type=int, default=0, help="evaluation seed (as bench_skills.py)")
    ap.add_argument("--epochs", type=int, default=30, help="epochs of the multi-skill policy")
    ap.add_argument("--context", default="", help="episode context of the multi-skill policy (see `robomatrix train`)")
    ap.add_argument("--data", default="data/demos")
    ap.add_argument("--training-report", default=str(HERE / "results" / "training.json"),
                    help="per-skill training times (`robomatrix train --report`)")
    ap.add_argument("--out", default=str(HERE / "results" / "multiskill.json"))
    args = ap.parse_args(argv)
    lib = policy_bench_start()

    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.learning.dataset import concat, load_demonstrations
    from robomatrix.learning.evaluation import evaluate_skill
    from robomatrix.learning.train import train_policy
    from robomatrix.policies.features import parse_context
    from robomatrix.policies.model import load_policy
    from robomatrix.skills.executor import PolicyController

    skills = list(lib.names) if args.skills == "all" else args.skills.split(",")
    data = concat([load_demonstrations(sorted(Path(args.data).glob(f"{s}*.mcap")), skill=s, successful_only=True)
                   for s in skills])
    t0 = time.perf_counter()
    multi, metrics = train_policy(data, "rt-h", seed=0, epochs=args.epochs, noise_std=0.005, num_threads=1,
                                  progress=False, context=parse_context(args.context), skill_names=tuple(lib.names))
    multi_train_s = time.perf_counter() - t0
    path = Path(tempfile.mkdtemp()) / "policy_multi.pt"
    multi.save(path)
    training = json.loads(Path(args.training_report).read_text()) if Path(args.training_report).is_file() else {}
    out: dict[str, Any] = {
        "benchmark": "multiskill", "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "episodes_per_skill": args.episodes, "seed": args.seed,
        "multi": {"samples": len(data), "epochs": args.epochs, "context": list(parse_context(args.context)),
                  "sample_passes": len(data) * args.epochs,
                  "train_s": round(multi_train_s, 1), "final_loss": round(float(metrics["loss"][-1]), 4),
                  "checkpoint_bytes": path.stat().st_size},
        "per_skill": {"train_s": round(sum(training.get(f"{s}/rt-h", {}).get("seconds", float("nan"))
                                           for s in skills), 1),
                      "train_s_source": str(Path(args.training_report).name),
                      # load-independent training cost: samples x epochs summed over the skills
                      "sample_passes": sum(training.get(f"{s}/rt-h", {}).get("samples", 0)
                                           * training.get(f"{s}/rt-h", {}).get("epochs", 30) for s in skills)},
        "skills": {},
    }
    with SimRobot(SimConfig()) as robot:
        for skill in skills:
            own = load_policy(lib.get(skill).policy_path, skill=skill)
            row = {}
            for name, pol in (("per_skill", own), ("multi", multi)):
                res = evaluate_skill(skill, lambda _s, p=pol: PolicyController(p, tuple(lib.names)), args.episodes,
                                     args.seed, robot=robot, library=lib, controller_name=name)
                row[name] = {"successes": res.successes, "episodes": res.episodes,
                             "success_rate": round(res.success_rate, 4),
                             "failure_reasons": dict(res.failures.most_common(3))}
                row[name]["tick_ms_p95"] = round(tick_latency(pol, skill, lib, robot), 3)
            row["per_skill"]["context"] = list(own.config.context)
            out["skills"][skill] = row
            sys.stdout.write(f"{skill}: per-skill {row['per_skill']['success_rate']:.0%}, "
                             f"multi {row['multi']['success_rate']:.0%}\n")
            sys.stdout.flush()
    for name in ("per_skill", "multi"):
        s = sum(r[name]["successes"] for r in out["skills"].values())
        e = sum(r[name]["episodes"] for r in out["skills"].values())
        out[name]["successes"], out[name]["episodes"] = s, e
        out[name]["success_rate"] = round(s / e, 4) if e else None
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(annotate_results(out), indent=2))
    sys.stdout.write(json.dumps({k: out[k] for k in ("multi", "per_skill")}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
