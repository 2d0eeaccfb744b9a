"""Score the grounded parser on one of our own phrasing sets (test/core/data/parser_phrasings_*.yaml).

    .venv/bin/python bench/score_phrasings.py test/core/data/parser_phrasings_round4.yaml [--show]

An item passes when the goal equals the expected goal as a set of atoms, or, for an item to refuse, when
the parser refuses (any reason). Prints n, the pass count with a Wilson 95 % interval, wrong plans (a goal
for an item to refuse, or a wrong goal) and false refusals, per kind (the id's middle part) and, with
--show, the failing items. Only for our own sets: the frozen main set is scored by
bench/bench_planner_handwritten.py, which never prints its items.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from stats import wilson  # noqa: E402

from robomatrix.scheduler.symbolic import parse_atom  # noqa: E402
from robomatrix.scheduler.understand import Refusal, interpret  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--show", action="store_true", help="print the failing items")
    args = ap.parse_args()
    worlds = yaml.safe_load((ROOT / "bench" / "data" / "eval_worlds.yaml").read_text())["worlds"]
    tasks = [t for f in args.files for t in yaml.safe_load(f.read_text())["tasks"]]
    ok, wrong, false_ref = 0, 0, 0
    per_kind: Counter[str] = Counter()
    per_kind_ok: Counter[str] = Counter()
    times = []
    for t in tasks:
        kind = t["id"].split("-")[1] if t["id"].count("-") >= 2 else "?"
        per_kind[kind] += 1
        t0 = time.perf_counter()
        try:
            got = sorted(a.to_text() for a in interpret(t["text"], worlds[t["world"]]["objects"]))
            refused = None
        except Refusal as e:
            got, refused = None, f"{e.kind}: {e.reason}"
        times.append(time.perf_counter() - t0)
        if "refuse" in t:
            good = refused is not None
            wrong += not good
        else:
            want = sorted(parse_atom(g).to_text() for g in t["goal"])
            good = got == want
            false_ref += refused is not None
            wrong += refused is None and not good
        ok += good
        per_kind_ok[kind] += good
        if not good and args.show:
            print(f"FAIL {t['id']} [{t['world']}] {t['text']!r}\n     want {t.get('goal') or 'refusal'}\n"
                  f"     got  {got if refused is None else 'REFUSED ' + refused}")
    lo, hi = wilson(ok, len(tasks))
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] * 1000 if times else 0.0
    print(f"passed {ok}/{len(tasks)} = {100 * ok / max(1, len(tasks)):.1f} % [{100 * lo:.1f}, {100 * hi:.1f}]; "
          f"wrong plans {wrong}; false refusals {false_ref}; parse p95 {p95:.1f} ms")
    print("per kind: " + ", ".join(f"{k} {per_kind_ok[k]}/{n}" for k, n in per_kind.items()))


if __name__ == "__main__":
    main()
