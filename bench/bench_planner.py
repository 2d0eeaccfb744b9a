"""Planner benchmark: on held-out paraphrases (tasks.py, split=test) per backend, the share
of valid plans, of correct plans (grounded plan == expected), refusal accuracy on negatives,
latency p50/p95. Writes JSON (default bench/results/planner.json) and *merges*: only the
backends run now are replaced, the other entries of the file stay.

    .venv/bin/python bench/bench_planner.py            # embedded + HTTP loopback, 600 tasks
    .venv/bin/python bench/bench_planner.py --quick    # smoke run (60 tasks, embedded)
    .venv/bin/python bench/bench_planner.py --backend embedded          # one backend only
    # small LMs shipped in wheels, through llama-cpp-python (see README "Planner backends"):
    python bench/bench_planner.py --backend smollm2 --limit 150 --threads 2
    python bench/bench_planner.py --backend gemma3-270m --limit 150
    python bench/bench_planner.py --backend gguf:path/to/model.gguf --limit 100

Backends: ``embedded``; ``openai-loopback`` (the embedded model behind our own OpenAI-
compatible server on 127.0.0.1); ``smollm2`` / ``gemma3-270m`` (the GGUF in that wheel,
``local`` backend, JSON-schema constrained decoding); ``gguf:PATH``. ``--limit N`` scores the
first N tasks of the held-out set (the set itself is the same for every backend).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging
import os
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_hardware import cpu_model  # the script's own folder is on sys.path
from stats import annotate_results  # noqa: E402 - the script's own folder is on sys.path

from robomatrix.learning.tasks import Example, generate_examples, ground_plan
from robomatrix.scheduler import PlanInvalid, Planner, PlannerBackendError, PlanRefused
from robomatrix.scheduler.planner import LocalConfig, OpenAIConfig, PlannerConfig
from robomatrix.skills.spec import load_skill_library

HERE = Path(__file__).resolve().parent


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def evaluate(
    planner: Planner, examples: list[Example], progress: str = "", budget_s: float | None = None
) -> dict[str, Any]:
    """Scores ``examples`` in order; with ``budget_s``, stops after the task that crosses it
    (``tasks`` then says how many were scored: the first N)."""
    lib = planner.library
    pos = neg = valid = correct = refused_ok = false_refusals = backend_errors = reasked = invalid = 0
    latencies: list[float] = []
    by_family: Counter[str] = Counter()
    family_ok: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    deadline = time.monotonic() + budget_s if budget_s else float("inf")
    scored = 0
    for ex in examples:
        if time.monotonic() > deadline:
            break
        scored += 1
        t0 = time.perf_counter()
        outcome: Any
        try:
            plan = planner.plan(ex.task, list(ex.world))
            outcome = [(s.skill, dict(s.args)) for s in plan.steps]
            reasked += plan.attempts > 1
        except PlanRefused as e:
            outcome = ("refused", e.kind)
        except PlanInvalid as e:
            outcome = ("invalid", e.errors[-1][:200])
            invalid += 1
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
        if progress and len(latencies) % 10 == 0:
            print(f"[{progress}] {scored}/{len(examples)} correct {correct}/{pos} refused-ok {refused_ok}/{neg} "
                  f"last {1e3 * latencies[-1]:.0f} ms", file=sys.stderr, flush=True)  # fmt: skip
    ms = [1e3 * v for v in latencies]
    return {
        "tasks": scored,
        "positives": pos,
        "negatives": neg,
        "valid_rate": round(valid / max(1, pos), 4),
        "correct_rate": round(correct / max(1, pos), 4),
        "refusal_accuracy": round(refused_ok / max(1, neg), 4),
        "false_refusal_rate": round(false_refusals / max(1, pos), 4),
        "backend_errors": backend_errors,
        "invalid_after_reask": invalid,
        "reasked": reasked,
        "latency_ms": {"p50": round(_pct(ms, 0.5), 1), "p95": round(_pct(ms, 0.95), 1),
                       "mean": round(statistics.fmean(ms), 1) if ms else None},  # fmt: skip
        "per_family_correct": {f: round(family_ok[f] / n, 3) for f, n in sorted(by_family.items())},
        "failures": failures,
    }


def _mb(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


def _dist_size(name: str) -> dict[str, Any]:
    """Installed version and size (MB, files listed in RECORD) of a distribution."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return {"installed": False}
    size = 0
    for f in dist.files or []:
        try:
            size += dist.locate_file(f).stat().st_size
        except OSError:
            pass
    return {"version": dist.version, "installed_mb": _mb(size)}


def gguf_planner(model: str, lib: Any, args: argparse.Namespace) -> tuple[Planner, dict[str, Any]]:
    """A ``local`` planner on the GGUF of ``model`` (a wheel model name or ``gguf:PATH``), and
    what it costs to install: llama-cpp-python and the model wheel(s), sizes as installed."""
    from robomatrix.scheduler.backends.local import WHEEL_MODELS, wheel_gguf

    path = Path(model[len("gguf:") :]) if model.startswith("gguf:") else wheel_gguf(model)
    local = LocalConfig(path=str(path), max_new_tokens=args.max_new_tokens, n_ctx=args.n_ctx, threads=args.threads)
    t0 = time.perf_counter()
    planner = Planner.from_config(PlannerConfig(backend="local", local=local), lib)
    load_s = time.perf_counter() - t0
    info: dict[str, Any] = {
        "model_file": path.name,
        "model_mb": _mb(path.stat().st_size),
        "load_s": round(load_s, 2),
        "decoding": "greedy, JSON-schema grammar (llama.cpp) with object arguments narrowed to the world",
        "threads": args.threads,
        "n_ctx": args.n_ctx,
        "max_new_tokens": args.max_new_tokens,
        "install": {"llama-cpp-python": _dist_size("llama-cpp-python")},
    }
    if model in WHEEL_MODELS:
        dist = WHEEL_MODELS[model][1]
        info["install"][dist] = _dist_size(dist)
        if model == "gemma3-270m":
            info["install"]["chunk wheels"] = {f"part{k}": _dist_size(f"{dist}-part{k}") for k in range(1, 5)}
    for item in args.install:
        key, _, value = item.partition("=")
        info["install"][key] = value
    return planner, info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 tasks, embedded only")
    parser.add_argument("--tasks", type=int, default=600, help="size of the held-out set")
    parser.add_argument("--seed", type=int, default=1000, help="seed of the held-out set")
    parser.add_argument("--backend", action="append", default=[],
                        help="embedded | openai-loopback | smollm2 | gemma3-270m | gguf:PATH (repeatable; "
                        "default: embedded and openai-loopback)")  # fmt: skip
    parser.add_argument("--limit", type=int, help="score only the first N tasks of the held-out set")
    parser.add_argument("--budget-s", type=float, help="per backend: stop after this many seconds (first N scored)")
    parser.add_argument("--gguf", type=Path, help="also benchmark this GGUF model (same as --backend gguf:PATH)")
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads for GGUF backends")
    parser.add_argument("--n-ctx", type=int, default=8192, help="llama.cpp context for GGUF backends")
    parser.add_argument("--max-new-tokens", type=int, default=768, help="answer budget for GGUF backends")
    parser.add_argument("--install", action="append", default=[], metavar="KEY=VALUE",
                        help="an install cost measured outside this script (e.g. build time), recorded as given")  # fmt: skip
    parser.add_argument("--out", type=Path, default=HERE / "results" / "planner.json")
    parser.add_argument("--no-merge", action="store_true", help="overwrite --out instead of merging into it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    lib = load_skill_library()
    n = 60 if args.quick else args.tasks
    examples = generate_examples(n, seed=args.seed, split="test", library=lib)
    subset = examples[: args.limit] if args.limit else examples
    backends = list(args.backend) or (["embedded"] if args.quick else ["embedded", "openai-loopback"])
    if args.gguf:
        backends.append(f"gguf:{args.gguf}")
    results: dict[str, Any] = {"backends": {}}
    if args.out.is_file() and not args.no_merge:
        results = json.loads(args.out.read_text(encoding="utf-8"))
        results.setdefault("backends", {})
        for entry in results["backends"].values():  # older files kept one date/cpu for all entries
            for k in ("date", "cpu"):
                if k in results and k not in entry:
                    entry[k] = results[k]
        results.pop("date", None)
        results.pop("cpu", None)
    results["held_out"] = (
        f"tasks.generate_examples({n}, split='test', seed={args.seed}): templates, synonyms and "
        "politeness forms never used in training; a backend with 'subset' scored its first N tasks"
    )
    run_info = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cpu": cpu_model()}
    embedded: Planner | None = None
    done: list[str] = []
    for name in backends:
        info: dict[str, Any] = {}
        load_before = os.getloadavg()[0]
        if name in ("embedded", "openai-loopback"):
            if embedded is None:
                embedded = Planner.from_config(PlannerConfig(backend="embedded"), lib)
                evaluate(embedded, subset[:3])  # warm-up
        if name == "embedded":
            assert embedded is not None
            key, result = "embedded", evaluate(embedded, subset, progress=name, budget_s=args.budget_s)
        elif name == "openai-loopback":
            from robomatrix.scheduler.backends.openai_compat import PlannerChatServer

            assert embedded is not None
            with PlannerChatServer(embedded.backend) as server:
                cfg = PlannerConfig(backend="openai", openai=OpenAIConfig(base_url=server.base_url, timeout_s=10))
                part = subset[: max(60, len(subset) // 5)]
                key = "openai (loopback server, embedded model)"
                result = evaluate(Planner.from_config(cfg, lib), part, progress=name)
        elif name in ("smollm2", "gemma3-270m") or name.startswith("gguf:"):
            planner, info = gguf_planner(name, lib, args)
            evaluate(planner, subset[:1])  # warm-up: the system prompt enters llama.cpp's cache
            key = f"local gguf ({info['model_file']})"
            result = evaluate(planner, subset, progress=name, budget_s=args.budget_s)
            del planner
        else:
            parser.error(f"unknown backend {name!r}")
        if result["tasks"] < n:
            info["subset"] = f"first {result['tasks']} of the {n} held-out tasks"
        info["load_avg_1min"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]  # CPU shared with others?
        results["backends"][key] = {**run_info, **info, **result}
        done.append(key)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if args.out.is_file() and not args.no_merge:  # entries written meanwhile by another run stay
            on_disk = json.loads(args.out.read_text(encoding="utf-8")).get("backends", {})
            results["backends"] = {**on_disk, **{k: results["backends"][k] for k in done}}
        args.out.write_text(json.dumps(annotate_results(results), indent=2) + "\n", encoding="utf-8")  # after each backend
    for name in done:
        r = results["backends"][name]
        print(f"{name}: correct {r['correct_rate']:.1%} valid {r['valid_rate']:.1%} refusals "
              f"{r['refusal_accuracy']:.1%} p50 {r['latency_ms']['p50']} ms p95 {r['latency_ms']['p95']} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
