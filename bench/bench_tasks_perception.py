"""End to end with perception against the simulator's truth (issue 14, item 7).

The long-horizon families of ``bench_tasks.py`` (same layouts: the same seeds, drawn the same
way) run twice each with the reference plan: once on the simulator's objects (truth), once on
the objects perceived from the rendered RGB-D scene camera (``perception``: the planner's
grounding, every skill and the scheduler read them; camera at camera.rate_hz of sim time, its
depth noise seeded by the layout). Success is the family's goal on the simulator's settled
world in both. Reported per family and overall: each success rate (Wilson 95 %), and the
ratio perception / truth, with the paired rate "perception succeeds where truth succeeds"
(Wilson 95 %) as its interval. Also what the runner *reported* (its goal check on the world it
saw, the perceived one with perception): the rate of reported successes, and the false
successes (reported SUCCESS while the goal does not hold on the simulator's world), which must
stay 0. ``--combine`` joins the files of runs split over processes (by family, or by seeds: cases are concatenated).

    .venv/bin/python bench/bench_tasks_perception.py --layouts 8      # oracle skills
    .venv/bin/python bench/bench_tasks_perception.py --configs trained --layouts 5
    .venv/bin/python bench/bench_tasks_perception.py --combine a.json b.json   # -> --out
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_hardware import machine  # noqa: E402
from bench_tasks import CONFIGS, FAMILIES, run_case, select_layouts  # noqa: E402
from stats import rate  # noqa: E402


def _family(cases: list[dict]) -> dict:
    n = len(cases)
    k_t = sum(c["truth"] for c in cases)
    k_p = sum(c["perception"] for c in cases)
    k_b = sum(c["truth"] and c["perception"] for c in cases)
    rep_p = sum(bool(c.get("perception_reported")) for c in cases)
    rep_t = sum(bool(c.get("truth_reported")) for c in cases)
    false_p = sum(bool(c.get("perception_reported")) and not c["perception"] for c in cases)
    false_t = sum(bool(c.get("truth_reported")) and not c["truth"] for c in cases)
    return {"truth": rate(k_t, n), "perception": rate(k_p, n), "ratio": round(k_p / k_t, 4) if k_t else None,
            "perception_where_truth_succeeds": rate(k_b, k_t),
            "perception_reported_success": rate(rep_p, n), "truth_reported_success": rate(rep_t, n),
            "perception_false_successes": rate(false_p, n), "truth_false_successes": rate(false_t, n),
            "perception_reported_where_goal_holds": rate(rep_p - false_p, k_p)}


def summarise(families: dict[str, list[dict]]) -> dict:
    """Per family and overall: success on the simulator's world (truth, perception), their ratio,
    what the runner reported, and false successes; each rate with its n and Wilson 95 %."""
    res = {fam: {**_family(cases), "cases": cases} for fam, cases in families.items()}
    return {"families": res, "overall": _family([c for cases in families.values() for c in cases])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layouts", type=int, default=8, help="seeded layouts per family (bench_tasks' seeds)")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--configs", default="oracle", help="comma list of oracle, trained")
    ap.add_argument("--base-seed", type=int, default=5000, help="as bench_tasks.py (its evaluation seeds)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "tasks_perception.json")
    ap.add_argument("--seeds", default="", help="comma list: run only these layout seeds (iterating on failures)")
    ap.add_argument("--combine", nargs="+", type=Path, default=[], metavar="JSON",
                    help="join these result files (runs split by family) into --out and exit")
    args = ap.parse_args(argv)
    if args.combine:
        parts = [json.loads(f.read_text()) for f in args.combine]
        out = {**parts[0], "results": {}, "wall_s": round(sum(p.get("wall_s", 0.0) for p in parts), 1),
               "combined_from": [str(f) for f in args.combine]}
        for config in {c for p in parts for c in p["results"]}:
            fams: dict[str, list] = {}  # runs split by family or by seeds: every part's cases, in order
            for p in parts:
                for fam, r in p["results"].get(config, {}).get("families", {}).items():
                    fams.setdefault(fam, []).extend(r["cases"])
            out["results"][config] = summarise({f: fams[f] for f in FAMILIES if f in fams})
        args.out.write_text(json.dumps(out, indent=1) + "\n")
        for config, r in out["results"].items():
            sys.stdout.write(f"{config}: {json.dumps(r['overall'])}\n")
        return 0
    import torch

    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.skills.spec import load_skill_library

    torch.set_num_threads(1)
    lib = load_skill_library()
    families = [f for f in args.families.split(",") if f]
    out: dict = {"benchmark": "tasks_perception", "date": datetime.now(UTC).isoformat(timespec="seconds"),
                 "machine": machine(), "plan": "reference plan (bench_tasks.ReferencePlanner), retries 1, replans 2",
                 "success": "the family's goal on the simulator's settled world (1.5 s without commands)",
                 "results": {}}
    t_start = time.monotonic()
    with SimRobot(SimConfig()) as robot:
        layouts = {f: select_layouts(robot, f, args.layouts, args.base_seed + 1000 * i)
                   for i, f in enumerate(FAMILIES) if f in families}
        for config in [c for c in args.configs.split(",") if c]:
            controller, inject = CONFIGS[config]
            res: dict = {}
            for fam in families:
                cases = []
                for layout in layouts[fam]:
                    if args.seeds and str(layout.seed) not in args.seeds.split(","):
                        continue
                    truth = run_case(robot, lib, layout, None, controller, inject)
                    seen = run_case(robot, lib, layout, None, controller, inject, perception=True)
                    cases.append({"seed": layout.seed, "task": layout.task, "truth": truth["goal"],
                                  "perception": seen["goal"], "perception_summary": seen["summary"],
                                  "perception_reported": seen["runner_success"],
                                  "truth_reported": truth["runner_success"],
                                  "perception_unmet": seen["unmet"], "truth_summary": truth["summary"],
                                  "camera_frames": seen["camera_frames"], "wall_s": [truth["wall_s"], seen["wall_s"]]})
                    sys.stdout.write(f"{config} {fam} seed {layout.seed}: truth {truth['goal']} perception "
                                     f"{seen['goal']} reported {seen['runner_success']} ({seen['wall_s']:.0f} s)\n")
                    sys.stdout.flush()
                res[fam] = cases
                out["results"][config] = summarise(res)
                out["wall_s"] = round(time.monotonic() - t_start, 1)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(out, indent=1) + "\n")
            sys.stdout.write(json.dumps(out["results"][config]["overall"]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
