"""End to end with perception against the simulator's truth (issue 14, item 7).

The long-horizon families of ``bench_tasks.py`` (same layouts: the same seeds, drawn the same
way) run twice each with the reference plan: once on the simulator's objects (truth), once on
the objects perceived from the rendered RGB-D scene camera (``perception``: the planner's
grounding, every skill and the scheduler read them; camera at camera.rate_hz of sim time, its
depth noise seeded by the layout). Success is the family's goal on the simulator's settled
world in both. Reported per family and overall: each success rate (Wilson 95 %), and the
ratio perception / truth, with the paired rate "perception succeeds where truth succeeds"
(Wilson 95 %) as its interval.

    .venv/bin/python bench/bench_tasks_perception.py --layouts 8      # oracle skills
    .venv/bin/python bench/bench_tasks_perception.py --configs trained --layouts 5
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layouts", type=int, default=8, help="seeded layouts per family (bench_tasks' seeds)")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--configs", default="oracle", help="comma list of oracle, trained")
    ap.add_argument("--base-seed", type=int, default=5000, help="as bench_tasks.py (its evaluation seeds)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "tasks_perception.json")
    args = ap.parse_args(argv)
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
            tot = {"truth": 0, "perception": 0, "both": 0, "n": 0}
            for fam in families:
                cases = []
                for layout in layouts[fam]:
                    truth = run_case(robot, lib, layout, None, controller, inject)
                    seen = run_case(robot, lib, layout, None, controller, inject, perception=True)
                    cases.append({"seed": layout.seed, "task": layout.task, "truth": truth["goal"],
                                  "perception": seen["goal"], "perception_summary": seen["summary"],
                                  "perception_unmet": seen["unmet"], "truth_summary": truth["summary"],
                                  "camera_frames": seen["camera_frames"], "wall_s": [truth["wall_s"], seen["wall_s"]]})
                    sys.stdout.write(f"{config} {fam} seed {layout.seed}: truth {truth['goal']} perception "
                                     f"{seen['goal']} ({seen['wall_s']:.0f} s)\n")
                    sys.stdout.flush()
                k_t = sum(c["truth"] for c in cases)
                k_p = sum(c["perception"] for c in cases)
                k_b = sum(c["truth"] and c["perception"] for c in cases)
                res[fam] = {"truth": rate(k_t, len(cases)), "perception": rate(k_p, len(cases)),
                            "ratio": round(k_p / k_t, 4) if k_t else None,
                            "perception_where_truth_succeeds": rate(k_b, k_t), "cases": cases}
                for key, v in (("truth", k_t), ("perception", k_p), ("both", k_b), ("n", len(cases))):
                    tot[key] += v
                out["results"][config] = {"families": res, "overall": {
                    "truth": rate(tot["truth"], tot["n"]), "perception": rate(tot["perception"], tot["n"]),
                    "ratio": round(tot["perception"] / tot["truth"], 4) if tot["truth"] else None,
                    "perception_where_truth_succeeds": rate(tot["both"], tot["truth"])}}
                out["wall_s"] = round(time.monotonic() - t_start, 1)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(out, indent=1) + "\n")
            sys.stdout.write(json.dumps(out["results"][config]["overall"]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
