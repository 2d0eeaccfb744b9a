"""Planner benchmark on the HAND-WRITTEN task sets (bench/data), not on the training generator.

    .venv/bin/python bench/bench_planner_handwritten.py                     # every backend, main + dev
    .venv/bin/python bench/bench_planner_handwritten.py --backend grounded  # one backend

Backends: ``grounded`` (the semantic parser, the default), ``embedded`` (the trained model in the
wheel) and ``openai-loopback``: the OpenAI-compatible client (backend ``openai``) against our own
HTTP server on 127.0.0.1 serving the embedded model (as bench/bench_planner.py does), so the HTTP
client path, its re-ask and its symbolic verification are scored too. The ``local`` backend needs
llama-cpp-python, which the README's setup does not install; it is not scored here.

For every task of the frozen main set (bench/data/handwritten_tasks.yaml, its sha256 is written
into the result and checked against bench/data/README.md) and of the development set, the
planner gets the text and the world's objects (bench/data/eval_worlds.yaml) and answers with a
plan and a goal, or a refusal. Scored, each with n and a Wilson 95 % interval:

* correct plans: the goal (given by the backend, or the one its steps imply) equals the
  expected goal, as a set of atoms;
* correct refusals: a task that must be refused is refused (any reason; reasons are tallied);
* wrong plans: a plan returned for a task that must be refused, or with the wrong goal - what
  would have moved the robot wrongly;
* false refusals: a task that should be done, refused.

Latency p50/p95 per backend. Results: bench/results/planner_handwritten.json. The failing items
are written out for the dev set only: the main set's items are not to be read while working on the
planner, so only its totals (overall and per kind) are recorded and printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from bench_hardware import cpu_model  # the script's own folder is on sys.path
from stats import rate

from robomatrix.scheduler import PlanInvalid, Planner, PlannerBackendError, PlanRefused
from robomatrix.scheduler.planner import OpenAIConfig, PlannerConfig
from robomatrix.scheduler.symbolic import parse_atom
from robomatrix.skills.spec import load_skill_library

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SETS = {"main": DATA / "handwritten_tasks.yaml", "dev": DATA / "handwritten_tasks_dev.yaml"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def score(planner: Planner, tasks: list[dict[str, Any]], worlds: dict[str, Any], keep_failures: bool = True) -> dict[str, Any]:
    pos = neg = correct = refused_ok = wrong = false_refusal = invalid = 0
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: Counter[str] = Counter()
    latencies: list[float] = []
    failures: list[dict[str, Any]] = []
    for t in tasks:
        objects = worlds[t["world"]]["objects"]
        t0 = time.perf_counter()
        got: Any
        try:
            plan = planner.plan(t["text"], objects)
            got = sorted(a.to_text() for a in plan.goal)
        except PlanRefused as e:
            got = ("refused", e.kind, e.reason)
        except (PlanInvalid, PlannerBackendError) as e:
            got = ("invalid", type(e).__name__, str(e)[:200])
            invalid += 1
        latencies.append(time.perf_counter() - t0)
        kind = t.get("kind", "?")
        if "goal" in t:
            pos += 1
            expected = sorted(parse_atom(g).to_text() for g in t["goal"])
            ok = got == expected
            correct += ok
            if isinstance(got, list) and not ok:
                wrong += 1
            false_refusal += isinstance(got, tuple) and got[0] == "refused"
        else:
            neg += 1
            ok = isinstance(got, tuple)
            refused_ok += ok
            if isinstance(got, tuple):
                reasons[got[1]] += 1
            else:
                wrong += 1
            expected = f"refuse ({t['refuse']})"
        by_kind[kind]["n"] += 1
        by_kind[kind]["ok"] += ok
        if not ok:
            failures.append({"id": t["id"], "kind": kind, "got": str(got)[:240], "expected": str(expected)[:200]})
    ms = [1e3 * v for v in latencies]
    return {
        "tasks": len(tasks),
        "correct_plans": rate(correct, pos),
        "correct_refusals": rate(refused_ok, neg),
        "wrong_plans": rate(wrong, len(tasks)),
        "false_refusals": rate(false_refusal, pos),
        "invalid_or_backend_error": invalid,
        "refusal_reasons": dict(reasons),
        "latency_ms": {"p50": round(statistics.median(ms), 2), "p95": round(sorted(ms)[int(0.95 * (len(ms) - 1))], 2),
                       "max": round(max(ms), 2)},
        "per_kind": {k: rate(c["ok"], c["n"]) for k, c in sorted(by_kind.items())},
        **({"failures": failures} if keep_failures else {}),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", action="append", default=[],
                    help="grounded | embedded | openai-loopback (repeatable; default all three)")
    ap.add_argument("--set", action="append", default=[], choices=sorted(SETS), help="main | dev (default both)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "planner_handwritten.json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    lib = load_skill_library()
    worlds = yaml.safe_load((DATA / "eval_worlds.yaml").read_text(encoding="utf-8"))["worlds"]
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    main_hash = sha256(SETS["main"])
    if main_hash not in readme:
        raise SystemExit(f"the main set's sha256 {main_hash} is not the one frozen in bench/data/README.md: "
                         "the frozen set was edited; restore it (git checkout bench/data/handwritten_tasks.yaml)")
    out: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "sets": {name: {"file": str(path.relative_to(HERE.parent)), "sha256": sha256(path)} for name, path in SETS.items()},
        "how_made": "written by hand, apart from the training generator (bench/data/README.md); the main set is "
                    "frozen and never read while building the planner; the dev set may be read",
        "failures_recorded": "dev set only; the main set's items are never printed or stored by this script",
        "backends": {
            "grounded": "the semantic parser (robomatrix/scheduler/understand.py), the default",
            "embedded": "the trained planner model shipped in the wheel (skills/_planner)",
            "openai-loopback": "backend 'openai' (the OpenAI-compatible HTTP client) against PlannerChatServer on "
                               "127.0.0.1 serving the embedded model",
            "local": "not scored: needs llama-cpp-python, which the README's setup does not install",
        },
        "results": {},
    }
    embedded: Planner | None = None
    for backend in args.backend or ["grounded", "embedded", "openai-loopback"]:
        server = None
        if backend == "openai-loopback":
            from robomatrix.scheduler.backends.openai_compat import PlannerChatServer

            embedded = embedded or Planner.from_config(PlannerConfig(backend="embedded"), lib)
            server = PlannerChatServer(embedded.backend).__enter__()
            planner = Planner.from_config(PlannerConfig(backend="openai", openai=OpenAIConfig(
                base_url=server.base_url, timeout_s=10)), lib)
        else:
            planner = Planner.from_config(PlannerConfig(backend=backend), lib)
            if backend == "embedded":
                embedded = planner
        try:
            for name in args.set or ["main", "dev"]:
                tasks = yaml.safe_load(SETS[name].read_text(encoding="utf-8"))["tasks"]
                score(planner, tasks[:3], worlds)  # warm-up
                r = score(planner, tasks, worlds, keep_failures=name != "main")
                out["results"][f"{backend}/{name}"] = r
                print(f"{backend}/{name}: correct plans {r['correct_plans']['k']}/{r['correct_plans']['n']} "
                      f"{r['correct_plans']['wilson95']}, refusals {r['correct_refusals']['k']}/"
                      f"{r['correct_refusals']['n']} {r['correct_refusals']['wilson95']}, wrong plans "
                      f"{r['wrong_plans']['k']}, p95 {r['latency_ms']['p95']} ms")
                print("    per kind: " + ", ".join(f"{k} {v['k']}/{v['n']}" for k, v in r["per_kind"].items()))
        finally:
            if server is not None:
                server.__exit__(None, None, None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.exists():  # a run of one backend or one set keeps the others' results
        kept = json.loads(args.out.read_text(encoding="utf-8")).get("results", {})
        out["results"] = {**{k: v for k, v in kept.items() if k not in out["results"]}, **out["results"]}
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
