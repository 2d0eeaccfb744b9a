"""End to end on the HAND-WRITTEN tasks (issue 12): text -> planner -> behaviour tree -> skills in
simulation, scored by an observer that does not trust the runner.

    .venv/bin/python bench/bench_tasks_handwritten.py                      # 60 tasks, trained skills
    .venv/bin/python bench/bench_tasks_handwritten.py --controller oracle  # isolates the planner
    .venv/bin/python bench/bench_tasks_handwritten.py --tasks 120 --stride 3

Tasks: every ``--stride``-th task of the frozen main set (bench/data/handwritten_tasks.yaml,
sha256 recorded), tasks to carry out and tasks to refuse alike, until ``--tasks``. The world is
the scene and seed the task was written for (bench/data/eval_worlds.yaml). The runner plans with
the configured planner (config/planner.yaml: the grounded parser) and runs the plan with the
skills in-process (:class:`robomatrix.learning.skill_client.SimSkillClient`).

The observer checks the *expected* goal of the data set (not the planner's) on the world after
1.5 s without commands, and that nothing the task does not name moved:

* goal true: every expected atom holds and nothing else was disturbed;
* false success: the runner said SUCCESS and the goal is not true (or the task had to be refused);
* wrong plan executed: a skill ran for a plan whose goal is not the expected one, or for a task
  that had to be refused.

Each with n and a Wilson 95 % interval. Results: bench/results/tasks_handwritten.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from bench_hardware import machine  # the script's own folder is on sys.path
from stats import rate

from robomatrix.config import load_stack_config
from robomatrix.hardware.sim import SimConfig, SimRobot
from robomatrix.learning.skill_client import SimSkillClient
from robomatrix.scheduler.goal import check_goal
from robomatrix.scheduler.planner import Planner, load_planner_config
from robomatrix.scheduler.runner import SchedulerConfig, TaskRunner
from robomatrix.scheduler.symbolic import parse_atom
from robomatrix.skills.spec import load_skill_library

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MAIN = DATA / "handwritten_tasks.yaml"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=60)
    ap.add_argument("--stride", type=int, default=7, help="every N-th task of the main set")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--controller", default="policy", choices=["policy", "oracle"])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "tasks_handwritten.json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    lib = load_skill_library()
    worlds = yaml.safe_load((DATA / "eval_worlds.yaml").read_text(encoding="utf-8"))["worlds"]
    tasks = yaml.safe_load(MAIN.read_text(encoding="utf-8"))["tasks"][args.offset :: args.stride][: args.tasks]
    planner = Planner.from_config(load_planner_config(), lib)
    cfg = load_stack_config()
    sim = dict(cfg.sim)
    sim["control_hz"] = cfg.control.rate_hz
    rows: list[dict[str, Any]] = []
    t_all = time.perf_counter()
    with SimRobot(SimConfig.from_dict(sim), cfg.safety) as robot:
        for k, t in enumerate(tasks):
            w = worlds[t["world"]]
            robot.reset(seed=int(w["seed"]), scene=w["scene"])
            client = SimSkillClient(robot, lib, controller=args.controller)
            start = client.world()
            started: list[str] = []
            original_start = client.start

            def counting_start(skill: str, a: Any, _orig: Any = original_start, _log: list[str] = started) -> Any:
                _log.append(skill)
                return _orig(skill, a)

            client.start = counting_start  # type: ignore[method-assign]
            t0 = time.perf_counter()
            result = TaskRunner(planner, client, lib, SchedulerConfig()).run(t["text"])
            client.advance(1.5)  # the observer's own settling, after the runner's
            settled = client.world()
            row: dict[str, Any] = {"id": t["id"], "kind": t.get("kind"), "claimed": result.success,
                                   "skills_run": len(started), "summary": result.summary[:300],
                                   "wall_s": round(time.perf_counter() - t0, 1)}
            if "goal" in t:
                expected = [parse_atom(g) for g in t["goal"]]
                report = check_goal(expected, start, settled)
                row["goal_true"] = report.holds
                row["observer"] = report.summary()[:300]
                planned = sorted(result.goal_atoms)
                row["wrong_plan_executed"] = bool(started) and planned != sorted(a.to_text() for a in expected)
            else:
                row["goal_true"] = False
                row["must_refuse"] = True
                row["wrong_plan_executed"] = bool(started)
            row["false_success"] = bool(result.success) and not row["goal_true"]
            rows.append(row)
            print(f"[{k + 1}/{len(tasks)}] {t['id']}: claimed {result.success} goal {row['goal_true']} "
                  f"skills {len(started)} ({row['wall_s']} s)", flush=True)
    pos = [r for r in rows if not r.get("must_refuse")]
    neg = [r for r in rows if r.get("must_refuse")]
    out = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "set": {"file": str(MAIN.relative_to(HERE.parent)), "sha256": hashlib.sha256(MAIN.read_bytes()).hexdigest(),
                "selection": f"tasks[{args.offset}::{args.stride}][:{args.tasks}]"},
        "controller": args.controller,
        "planner": planner.backend_name,
        "settle_s": 1.5,
        "goal_true": rate(sum(r["goal_true"] for r in pos), len(pos)),
        "refused_and_still": rate(sum(not r["skills_run"] for r in neg), len(neg)),
        "false_successes": rate(sum(r["false_success"] for r in rows), len(rows)),
        "wrong_plans_executed": rate(sum(r["wrong_plan_executed"] for r in rows), len(rows)),
        "claimed_success_when_goal_true": rate(sum(r["claimed"] for r in pos if r["goal_true"]),
                                               sum(1 for r in pos if r["goal_true"])),
        "wall_s": round(time.perf_counter() - t_all, 1),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: out[k] for k in ("goal_true", "refused_and_still", "false_successes",
                                          "wrong_plans_executed", "wall_s")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
