"""Statistics shared by the benchmarks: every success rate is reported with its n and a Wilson
95 % interval."""

from __future__ import annotations

import math

__all__ = ["rate", "wilson"]


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (low, high) for ``successes`` out of ``n`` (z = 1.96: 95 %)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(successes: int, n: int) -> dict[str, float | int | list[float]]:
    """``{"k": successes, "n": n, "rate": k/n, "wilson95": [low, high]}`` for a JSON result."""
    low, high = wilson(successes, n)
    return {"k": successes, "n": n, "rate": round(successes / n, 4) if n else 0.0,
            "wilson95": [round(low, 4), round(high, 4)]}
