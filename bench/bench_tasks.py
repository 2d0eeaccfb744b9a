"""End-to-end task benchmark (issue 4, partial): put-a-block-in-a-bowl tasks in seeded tabletop
scenes, planned by the configured planner (embedded by default), run as behaviour trees on
(a) the scripted oracle skills (isolates the planner), (b) the trained RT-H skills, and (c)
oracle skills with the first grasp made to fail (recovery by retry/replan). Success is the
task's goal on the settled world: the block rests in the bowl. Writes bench/results/tasks.json.

    .venv/bin/python bench/bench_tasks.py --layouts 20
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from bench_hardware import machine  # noqa: E402 - the script's own folder is on sys.path

HERE = Path(__file__).resolve().parent
PHRASINGS = ("put the {b} in the {w}", "place the {b} into the {w}", "could you drop the {b} in the {w}")


def run_case(robot: Any, planner: Any, lib: Any, seed: int, phrasing: str, controller: str,
             inject: bool) -> dict[str, Any]:
    from robomatrix.scheduler.runner import SchedulerConfig, SimSkillClient, TaskRunner
    from robomatrix.skills.conditions import evaluate
    from robomatrix.skills.spec import Condition

    obs = robot.reset(seed=seed)
    rng = np.random.default_rng(seed)
    blocks = [o for o in obs.objects if o.category == "block"]
    bowls = [o for o in obs.objects if o.category == "bowl"]
    block, bowl = blocks[rng.integers(len(blocks))], bowls[rng.integers(len(bowls))]
    task = phrasing.format(b=block.name, w=bowl.name)
    client = SimSkillClient(robot, lib, controller=controller,
                            inject_failure=(lambda skill, n: skill == "grasp" and n == 1) if inject else None)
    t0 = time.perf_counter()
    result = TaskRunner(planner, client, lib, SchedulerConfig(retries=1, max_replans=2)).run(task)
    client.advance(1.5)  # let what was released settle
    goal = evaluate(Condition("on", ("$a", "$b")), {"a": block.id, "b": bowl.id}, client.world())
    return {"task": task, "seed": seed, "runner_success": result.success, "goal": bool(goal),
            "summary": result.summary, "plans": result.plans, "wall_s": round(time.perf_counter() - t0, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layouts", type=int, default=20, help="seeded scenes per configuration")
    ap.add_argument("--out", default=str(HERE / "results" / "tasks.json"))
    args = ap.parse_args(argv)
    import torch

    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.scheduler.planner import Planner
    from robomatrix.skills.spec import load_skill_library

    torch.set_num_threads(1)
    lib = load_skill_library()
    planner = Planner.from_config(library=lib)
    out: dict[str, Any] = {"benchmark": "tasks", "date": datetime.now(UTC).isoformat(timespec="seconds"),
                           "machine": machine(), "planner": planner.backend_name, "configs": {}}
    with SimRobot(SimConfig()) as robot:
        for name, controller, inject in (("oracle_skills", "oracle", False), ("trained_skills", "policy", False),
                                         ("oracle_skills_injected_grasp_failure", "oracle", True)):
            cases = [run_case(robot, planner, lib, 2000 + i, PHRASINGS[i % len(PHRASINGS)], controller, inject)
                     for i in range(args.layouts)]
            rate = sum(c["goal"] for c in cases) / len(cases)
            out["configs"][name] = {"tasks": len(cases), "goal_rate": rate,
                                    "runner_success_rate": sum(c["runner_success"] for c in cases) / len(cases),
                                    "cases": cases}
            sys.stdout.write(f"{name}: goal reached {rate:.0%} of {len(cases)}\n")
            sys.stdout.flush()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
