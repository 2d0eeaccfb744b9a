"""Statistics shared by the benchmarks: Wilson score intervals next to every success rate.

    .venv/bin/python bench/stats.py bench/results/*.json     # add n and intervals to written results

:func:`wilson` is the interval; :func:`annotate_rates` walks a result dict and, next to each
rate it can count (a ``*_rate``, ``*_accuracy``, ``success_with_corrections`` or
``per_family_correct`` entry whose sample size is known), writes ``<key>_n`` and
``<key>_ci95`` = [low, high]. Every benchmark writer calls it before dumping its JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Which count a rate is a fraction of, when it is not the dict's episodes/tasks/cases:
# the planner benchmark scores correctness on positives and refusals on negatives.
_DENOMINATOR = {"valid_rate": "positives", "correct_rate": "positives", "false_refusal_rate": "positives", "refusal_accuracy": "negatives"}
_SIZE_KEYS = ("episodes", "tasks", "n")


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95 % for z = 1.96); (0, 1) when n = 0."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def interval(successes: int, n: int, z: float = 1.96) -> list[float]:
    """:func:`wilson` rounded for a JSON file."""
    lo, hi = wilson(successes, n, z)
    return [round(lo, 4), round(hi, 4)]


def rate(successes: int, n: int) -> dict[str, Any]:
    """``{"k": successes, "n": n, "rate": k/n, "wilson95": [low, high]}`` for a JSON result."""
    return {"k": successes, "n": n, "rate": round(successes / n, 4) if n else 0.0, "wilson95": interval(successes, n)}


def _is_rate_key(key: str) -> bool:
    return (key.endswith("_rate") or key.endswith("_accuracy") or key == "success_with_corrections"
)


def _size(d: Mapping[str, Any], key: str) -> int | None:
    name = _DENOMINATOR.get(key)
    if name is not None and isinstance(d.get(name), int):
        return int(d[name])
    for k in _SIZE_KEYS:
        if isinstance(d.get(k), int) and not isinstance(d.get(k), bool):
            return int(d[k])
    if isinstance(d.get("cases"), list):
        return len(d["cases"])
    return None


def _count(rate: float, n: int) -> int | None:
    """The success count a rate written with a few decimals came from (None if none fits)."""
    k = round(rate * n)
    return k if 0 <= k <= n and abs(k / n - rate) <= min(0.5 / n, 5e-4) + 1e-9 else None


def annotate_rates(obj: Any, family_sizes: Mapping[str, int] | None = None) -> Any:
    """Add ``<key>_n`` and ``<key>_ci95`` next to each countable rate in ``obj`` (in place; returned).

    ``family_sizes`` gives the sample size of each ``per_family_correct`` entry, when known.
    Keys already ending in ``_n``/``_ci95`` are recomputed, so running it twice changes nothing.
    """
    if isinstance(obj, list):
        for item in obj:
            annotate_rates(item, family_sizes)
        return obj
    if not isinstance(obj, dict):
        return obj
    for key in list(obj):
        value = obj[key]
        if isinstance(value, dict | list):
            sizes = family_sizes if key == "per_family_correct" else None
            if key == "per_family_correct" and sizes:
                for fam, rate in list(value.items()):
                    if isinstance(rate, float | int) and fam in sizes and not fam.endswith(("_n", "_ci95")):
                        k = _count(float(rate), sizes[fam])
                        if k is not None:
                            _insert_after(value, fam, {f"{fam}_n": sizes[fam],
                                                       f"{fam}_ci95": interval(k, sizes[fam])})
            else:
                annotate_rates(value, family_sizes)
            continue
        if not _is_rate_key(key) or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not 0.0 <= float(value) <= 1.0:
            continue
        n = _size(obj, key)
        if not n:
            continue
        k = _count(float(value), n)
        if k is None:
            continue
        _insert_after(obj, key, {f"{key}_n": n, f"{key}_ci95": interval(k, n)})
    return obj


def _insert_after(d: dict[str, Any], key: str, extra: dict[str, Any]) -> None:
    """Put ``extra`` right after ``key`` in ``d`` (in place), so a rate and its interval sit together."""
    items = [(k, v) for k, v in d.items() if k not in extra]
    d.clear()
    for k, v in items:
        d[k] = v
        if k == key:
            d.update(extra)


def _planner_family_sizes(data: Mapping[str, Any]) -> dict[str, int] | None:
    """Per-family task counts of bench_planner's held-out set (regenerated: it is seeded)."""
    held = str(data.get("held_out", ""))
    if "generate_examples(600, split='test', seed=1000)" not in held:
        return None
    from collections import Counter

    from robomatrix.learning.tasks import generate_examples

    return dict(Counter(e.family for e in generate_examples(600, split="test", seed=1000)))


def annotate_results(data: Any) -> Any:
    """:func:`annotate_rates` for a whole benchmark result (in place; returned), with the planner
    benchmark's per-family sizes where its held-out set is the full seeded one."""
    sizes = _planner_family_sizes(data) if isinstance(data, dict) else None
    # planner backends that scored a subset have per-family counts of that subset: only full runs
    if sizes and isinstance(data.get("backends"), dict):
        for backend in data["backends"].values():
            full = isinstance(backend, dict) and backend.get("tasks") == sum(sizes.values())
            annotate_rates(backend, sizes if full else None)
    else:
        annotate_rates(data)
    return data


def annotate_file(path: Path) -> int:
    """Annotate one results file in place; returns how many rates got an interval."""
    data = json.loads(path.read_text())
    before = json.dumps(data).count("_ci95")
    annotate_results(data)
    text = json.dumps(data, indent=1 if path.name == "tasks.json" else 2)
    path.write_text(text + ("\n" if path.read_text().endswith("\n") else ""))
    return json.dumps(data).count("_ci95") - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="add n and Wilson 95 % intervals to benchmark results",
                                     epilog="example:\n  python bench/stats.py bench/results/*.json",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.files:
        added = annotate_file(path)
        sys.stdout.write(f"{path}: {added} interval(s) added\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
