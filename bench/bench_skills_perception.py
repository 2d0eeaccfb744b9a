"""Per-skill success with perception, on unseen objects (issue 14, item 7).

For each skill whose objects can be unseen shapes (``bench_skills.UNSEEN_SKILLS``) and each
controller (the trained RT-H policy, the oracle), the same seeded episodes as ``bench_skills.py``'s
"unseen objects" column (``make_episode_setup`` with the ``unseen`` scene and
``evaluate_skill``'s seeds) run twice: once on the simulator's objects (truth) and once on the
objects perceived from the rendered RGB-D scene camera (``SimSkillClient(perception=...)``, as
``perception:=true`` does on ROS: the skill sees only perceived objects, at the camera's rate,
with its depth noise).

With perception the skill's object arguments are the perceived objects at the chosen objects'
places (the nearest perceived object within ``--match`` m of each; none there = the episode
fails as "not perceived"): the benchmark points at the object as a person would, nothing
privileged reaches the skill. Success is judged the same way in both runs: the skill's own
success conditions on the simulator's world (its original arguments), once the skill has ended,
with the settled-goal tolerance of ``scheduler/goal.py`` (``settled_thresholds``).
Also counted: what the skill itself reported, and false successes (reported success while the
simulator's world says the conditions do not hold).

    .venv/bin/python bench/bench_skills_perception.py --episodes 20
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_hardware import machine, policy_bench_start  # noqa: E402 - the script's own folder, just put on sys.path
from stats import rate  # noqa: E402

UNSEEN_SKILLS = ("move_to", "grasp", "push")  # as bench_skills.py: skills whose objects can be unseen shapes
WARMUP_S = 0.5  # s of robot time the arm holds before the skill starts (the tracker confirms the objects)


def _object_args(args: dict[str, Any], truth: Any) -> dict[str, str]:
    ids = {o.id for o in truth.objects}
    return {k: v for k, v in args.items() if isinstance(v, str) and v in ids}


def _point_at(args: dict[str, Any], truth: Any, seen: Any, match: float) -> tuple[dict[str, Any] | None, str]:
    """The skill's arguments with each object replaced by the perceived object at its place."""
    out = dict(args)
    where = {o.id: np.asarray(o.position, float) for o in truth.objects}
    for name, oid in _object_args(args, truth).items():
        best, dist = None, np.inf
        for o in seen.objects:
            d = float(np.linalg.norm(np.asarray(o.position, float) - where[oid]))
            if d < dist:
                best, dist = o, d
        if best is None or dist > match:
            return None, f"not perceived: nothing within {match:g} m of {oid} ({len(seen.objects)} objects seen)"
        out[name] = best.id
    return out, ""


def run_episode(robot: Any, lib: Any, skill: str, controller: str, rng: np.random.Generator, seed: int,
                perception: bool, match: float) -> dict[str, Any]:
    from robomatrix.config import load_stack_config
    from robomatrix.learning.demos import make_episode_setup
    from robomatrix.learning.skill_client import SimSkillClient
    from robomatrix.perception.pipeline import Perception, PerceptionConfig
    from robomatrix.scheduler.goal import settled_thresholds
    from robomatrix.skills.conditions import check_all
    from robomatrix.skills.status import SkillStatus

    spec = lib.get(skill)
    args, start = make_episode_setup(skill, rng, robot, "unseen", library=lib)
    seeing: dict[str, Any] = {}
    if perception:
        cfg = load_stack_config()
        seeing = {"perception": Perception(PerceptionConfig.from_sections(cfg.camera, cfg.perception)),
                  "camera": cfg.camera, "camera_seed": seed}
    client = SimSkillClient(robot, lib, controller=controller, **seeing)
    client.last_gripper = 1.0 if start.gripper_closed else 0.0
    client.advance(WARMUP_S)
    row: dict[str, Any] = {"seed": seed, "args": {k: (v if isinstance(v, str | int | float) else str(v))
                                                  for k, v in args.items()}}
    run_args, why = _point_at(args, client.truth(), client.world(), match) if perception else (args, "")
    if run_args is None:
        row.update(success=False, reported=False, reason=why)
        return row
    handle = client.start(skill, run_args)
    t0 = client.truth().stamp
    while handle.status() == SkillStatus.RUNNING and client.truth().stamp - t0 < spec.timeout + 2.0:
        client.advance(0.1)
    reported = handle.status() == SkillStatus.SUCCEEDED
    # The task goal check's tolerance (scheduler/goal.py): move_to stops the tick at() first holds
    # and the arm settles a millimetre past the band's edge the tick after.
    ok, unmet = check_all(spec.success, args, client.truth(), start, settled_thresholds())
    row.update(success=bool(ok), reported=reported, reason=handle.reason() if not ok else "",
               unmet=unmet, sim_s=round(client.truth().stamp - t0, 2))
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=20, help="episodes per skill, controller and world")
    ap.add_argument("--skills", default=",".join(UNSEEN_SKILLS))
    ap.add_argument("--controllers", default="policy,oracle", help="comma list of policy (trained RT-H), oracle")
    ap.add_argument("--seed", type=int, default=0, help="as bench_skills.py --seed (evaluate_skill's seeds)")
    ap.add_argument("--match", type=float, default=0.04, help="m: the perceived object pointed at must be this near")
    ap.add_argument("--worlds", default="truth,perception", help="comma list: truth, perception")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "skills_perception.json")
    args = ap.parse_args(argv)
    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.learning.demos import DemoSetupError
    from robomatrix.learning.evaluation import EVAL_SEED_OFFSET, SETUP_ATTEMPTS

    lib = policy_bench_start()
    out: dict[str, Any] = {"benchmark": "skills_perception", "date": datetime.now(UTC).isoformat(timespec="seconds"),
                           "machine": machine(), "scene": "unseen", "episodes": args.episodes,
                           "success": "the skill's success conditions on the simulator's world after the skill ended",
                           "results": {}}
    t_start = time.monotonic()
    with SimRobot(SimConfig()) as robot:
        for controller in [c for c in args.controllers.split(",") if c]:
            for skill in [s for s in args.skills.split(",") if s]:
                cell: dict[str, Any] = {}
                for world in [w for w in args.worlds.split(",") if w]:
                    rows = []
                    for i in range(args.episodes):
                        rng = np.random.default_rng([int(args.seed) + EVAL_SEED_OFFSET, i])  # evaluate_skill's
                        for _attempt in range(SETUP_ATTEMPTS):  # as evaluate_skill: a failed setup is redrawn
                            try:
                                rows.append(run_episode(robot, lib, skill, controller, rng, i,
                                                        world == "perception", args.match))
                                break
                            except DemoSetupError:
                                continue
                    k = sum(r["success"] for r in rows)
                    rep = sum(r["reported"] for r in rows)
                    false_ok = sum(r["reported"] and not r["success"] for r in rows)
                    cell[world] = {"success": rate(k, len(rows)), "reported_success": rate(rep, len(rows)),
                                   "false_successes": false_ok, "episodes": rows}
                    print(f"{controller:7s} {skill:9s} {world:10s} {k}/{len(rows)} (reported {rep}, "
                          f"false {false_ok})  [{time.monotonic() - t_start:.0f} s]", flush=True)
                if "truth" in cell and "perception" in cell:
                    t, p = cell["truth"]["success"], cell["perception"]["success"]
                    cell["ratio"] = round(p["k"] / t["k"], 3) if t["k"] else None
                out["results"].setdefault(controller, {})[skill] = cell
    out["wall_s"] = round(time.monotonic() - t_start, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
