"""Planner benchmark: on held-out paraphrases (tasks.py, split=test) per available backend,
the share of valid plans, of correct plans (grounded plan == expected), refusal accuracy on
negatives, latency p50/p95. Writes JSON (default bench/results/planner.json).

    .venv/bin/python bench/bench_planner.py            # full run (600 tasks, embedded + HTTP)
    .venv/bin/python bench/bench_planner.py --quick    # smoke run (60 tasks)
    .venv/bin/python bench/bench_planner.py --gguf path/to/model.gguf   # also a GGUF model (local)
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_hardware import cpu_model  # the script's own folder is on sys.path

from robomatrix.scheduler import PlanInvalid, Planner, PlannerBackendError, PlanRefused
from robomatrix.scheduler.planner import LocalConfig, OpenAIConfig, PlannerConfig
from robomatrix.scheduler.tasks import Example, generate_examples, ground_plan
from robomatrix.skills.spec import load_skill_library

HERE = Path(__file__).resolve().parent


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def evaluate(planner: Planner, examples: list[Example]) -> dict[str, Any]:
    lib = planner.library
    pos = neg = valid = correct = refused_ok = false_refusals = backend_errors = 0
    latencies: list[float] = []
    by_family: Counter[str] = Counter()
    family_ok: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    for ex in examples:
        t0 = time.perf_counter()
        outcome: Any
        try:
            plan = planner.plan(ex.task, list(ex.world))
            outcome = [(s.skill, dict(s.args)) for s in plan.steps]
        except PlanRefused as e:
            outcome = ("refused", e.kind)
        except PlanInvalid:
            outcome = ("invalid",)
        except PlannerBackendError as e:
            outcome = ("backend_error", str(e))
            backend_errors += 1
        latencies.append(time.perf_counter() - t0)
        by_family[ex.family] += 1
        if ex.steps is not None:
            pos += 1
            expected = [(s, dict(a)) for s, a in ground_plan(ex.steps, ex.world, lib)]
            ok = isinstance(outcome, list) and outcome == expected
            valid += isinstance(outcome, list)
            false_refusals += isinstance(outcome, tuple) and outcome[0] == "refused"
        else:
            neg += 1
            ok = isinstance(outcome, tuple) and outcome[0] == "refused"
        refused_ok += ex.steps is None and ok
        correct += ex.steps is not None and ok
        family_ok[ex.family] += ok
        if not ok and len(failures) < 15:
            failures.append({"task": ex.task, "family": ex.family, "got": str(outcome)[:300],
                             "expected": ex.refusal or "plan"})  # fmt: skip
    ms = [1e3 * v for v in latencies]
    return {
        "tasks": len(examples),
        "positives": pos,
        "negatives": neg,
        "valid_rate": round(valid / max(1, pos), 4),
        "correct_rate": round(correct / max(1, pos), 4),
        "refusal_accuracy": round(refused_ok / max(1, neg), 4),
        "false_refusal_rate": round(false_refusals / max(1, pos), 4),
        "backend_errors": backend_errors,
        "latency_ms": {"p50": round(_pct(ms, 0.5), 1), "p95": round(_pct(ms, 0.95), 1),
                       "mean": round(statistics.fmean(ms), 1) if ms else None},  # fmt: skip
        "per_family_correct": {f: round(family_ok[f] / n, 3) for f, n in sorted(by_family.items())},
        "failures": failures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 tasks, embedded only")
    parser.add_argument("--tasks", type=int, default=600, help="held-out tasks per backend")
    parser.add_argument("--seed", type=int, default=1000, help="seed of the held-out set")
    parser.add_argument("--gguf", type=Path, help="also benchmark this GGUF model (local backend)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "planner.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    lib = load_skill_library()
    n = 60 if args.quick else args.tasks
    examples = generate_examples(n, seed=args.seed, split="test", library=lib)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "held_out": f"tasks.generate_examples(split='test', seed={args.seed}): templates, synonyms and "
        "politeness forms never used in training",
        "backends": {},
    }
    embedded = Planner.from_config(PlannerConfig(backend="embedded"), lib)
    evaluate(embedded, examples[:3])  # warm-up
    results["backends"]["embedded"] = evaluate(embedded, examples)
    if not args.quick:
        from robomatrix.scheduler.backends.openai_compat import PlannerChatServer

        with PlannerChatServer(embedded.backend) as server:
            cfg = PlannerConfig(backend="openai", openai=OpenAIConfig(base_url=server.base_url, timeout_s=10))
            results["backends"]["openai (loopback server, embedded model)"] = evaluate(
                Planner.from_config(cfg, lib), examples[: max(60, n // 5)]
            )
    if args.gguf:
        cfg = PlannerConfig(backend="local", local=LocalConfig(path=str(args.gguf), max_new_tokens=400))
        results["backends"][f"local gguf ({args.gguf.name})"] = evaluate(
            Planner.from_config(cfg, lib), examples[: max(40, n // 10)]
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for name, r in results["backends"].items():
        print(f"{name}: correct {r['correct_rate']:.1%} valid {r['valid_rate']:.1%} refusals "
              f"{r['refusal_accuracy']:.1%} p50 {r['latency_ms']['p50']} ms p95 {r['latency_ms']['p95']} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
