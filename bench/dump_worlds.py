"""Dump the worlds of the hand-written evaluation sets (bench/data/) from the simulator.

Each world is a scene reset with a fixed seed (>= 1000, so no training seed is reused). For
every world the objects are written with id, name, category, colour and table position
(x forward, y to the robot's left, metres rounded to the centimetre; a drawer's position is
its handle, as the simulator reports it). The hand-written tasks refer to objects by these
ids, and descriptions such as "the leftmost block" were worked out from these positions.

    PYTHONPATH=. .venv/bin/python bench/dump_worlds.py            # writes bench/data/eval_worlds.yaml
    PYTHONPATH=. .venv/bin/python bench/dump_worlds.py --check    # fails if the file is out of date

The robot is built the way the hardware node's ``build_robot`` builds it (config/robot.yaml,
sim section, control rate), in PyBullet DIRECT mode: no window and no ROS.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from robomatrix.config import load_stack_config
from robomatrix.hardware.sim import SimConfig, SimRobot

OUT = Path(__file__).resolve().parent / "data" / "eval_worlds.yaml"

# scene -> seeds. The main (frozen) set uses the first group, the developers' set the second.
MAIN_WORLDS: dict[str, list[int]] = {
    "tabletop": list(range(1001, 1009)),
    "tabletop_sort": [2001, 2002],
    "tabletop_pairs": [3001, 3002],
    "tabletop_drawer": [4001, 4002, 4003],
}
DEV_WORLDS: dict[str, list[int]] = {
    "tabletop": [1101, 1102, 1103],
    "tabletop_sort": [2101],
    "tabletop_pairs": [3101],
    "tabletop_drawer": [4101],
}
# Worlds no parser round had seen before round 12 (12xx) ... 17 (17xx): each round's hold-out is written in
# its own only.
FRESH_WORLDS: dict[str, list[int]] = {
    "tabletop": [1201, 1202, 1203, 1301, 1302, 1303, 1401, 1402, 1403, 1501, 1502, 1503, 1601, 1602, 1603,
                 1701, 1702, 1703, 1801, 1802, 1803, 1901, 1902, 1903, 1811, 1812, 1813, 1911, 1912, 1913, 1821, 1822, 1823, 1921, 1922, 1923,
                 1831, 1832, 1833, 1931, 1932, 1933, 1841, 1842, 1843, 1941, 1942, 1943,
                 1851, 1852, 1853, 1951, 1952, 1953,
                 1861, 1862, 1863, 1961, 1962, 1963, 1871, 1872, 1873, 1971, 1972, 1973,
                 1881, 1882, 1883, 1981, 1982, 1983, 1891, 1892, 1893, 1991, 1992, 1993,
                 1805, 1806, 1807, 1905, 1906, 1907, 1815, 1816, 1817, 1915, 1916, 1917,
                 1825, 1826, 1827, 1925, 1926, 1927, 1835, 1836, 1837, 1935, 1936, 1937,
                 1845, 1846, 1847, 1945, 1946, 1947, 1855, 1856, 1857, 1955, 1956, 1957,
                 1865, 1866, 1867, 1965, 1966, 1967, 1875, 1876, 1877, 1975, 1976, 1977,
                 1885, 1886, 1887, 1985, 1986, 1987, 1895, 1896, 1897, 1995, 1996, 1997],
    "tabletop_sort": [2201, 2301, 2401, 2501, 2601, 2701, 2801, 2901, 2811, 2911, 2821, 2921, 2831, 2931, 2841, 2941, 2851, 2951, 2861, 2961, 2871, 2971, 2881, 2981, 2891, 2991, 2805, 2905, 2815, 2915, 2825, 2925, 2835, 2935, 2845, 2945, 2855, 2955, 2865, 2965, 2875, 2975, 2885, 2985, 2895, 2995],
    "tabletop_pairs": [3201, 3301, 3401, 3501, 3601, 3701, 3801, 3901, 3811, 3911, 3821, 3921, 3831, 3931, 3841, 3941, 3851, 3951, 3861, 3961, 3871, 3971, 3881, 3981, 3891, 3991, 3805, 3905, 3815, 3915, 3825, 3925, 3835, 3935, 3845, 3945, 3855, 3955, 3865, 3965, 3875, 3975, 3885, 3985, 3895, 3995],
    "tabletop_drawer": [4201, 4301, 4401, 4501, 4601, 4701, 4801, 4901, 4811, 4911, 4821, 4921, 4831, 4931, 4841, 4941, 4851, 4951, 4861, 4961, 4871, 4971, 4881, 4981, 4891, 4991, 4805, 4905, 4815, 4915, 4825, 4925, 4835, 4935, 4845, 4945, 4855, 4955, 4865, 4965, 4875, 4975, 4885, 4985, 4895, 4995],
}


def world_key(scene: str, seed: int) -> str:
    return f"{scene}/{seed}"


def dump(worlds: dict[str, dict[str, list[int]]]) -> dict[str, Any]:
    """Reset the simulator for every (scene, seed) and describe its objects."""
    cfg = load_stack_config()
    if cfg.backend != "sim":
        raise SystemExit(
            f"config/robot.yaml names backend {cfg.backend!r}; this script needs the sim backend"
        )
    sim = dict(cfg.sim)
    sim["control_hz"] = cfg.control.rate_hz
    sim["gui"] = False
    out: dict[str, Any] = {}
    with SimRobot(SimConfig.from_dict(sim), cfg.safety) as robot:
        for group, scenes in worlds.items():
            for scene, seeds in scenes.items():
                for seed in seeds:
                    obs = robot.reset(seed=seed, scene=scene)
                    objects = []
                    for o in obs.objects:
                        entry: dict[str, Any] = {
                            "id": o.id,
                            "name": o.name,
                            "category": o.category,
                            "colour": o.colour,
                            "position": [round(float(o.position[0]), 2), round(float(o.position[1]), 2)],
                        }
                        if o.opening is not None:
                            entry["opening"] = round(float(o.opening), 2)
                        objects.append(entry)
                    out[world_key(scene, seed)] = {
                        "scene": scene,
                        "seed": seed,
                        "set": group,
                        "objects": objects,
                    }
    return out


def render(data: dict[str, Any]) -> str:
    head = (
        "# Worlds of the hand-written evaluation sets; written by bench/dump_worlds.py, do not edit.\n"
        "# position: [x, y] m on the table, x forward (away from the robot base), y to the robot's left.\n"
        "# set: main = bench/data/handwritten_tasks.yaml (frozen), dev = handwritten_tasks_dev.yaml,\n"
        "# fresh = worlds first used by the round 12-17 (12xx-17xx) parser hold-outs (test/core/data/).\n"
    )
    return head + yaml.safe_dump({"worlds": data}, sort_keys=False, default_flow_style=None, width=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output YAML (default {OUT})")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    text = render(dump({"main": MAIN_WORLDS, "dev": DEV_WORLDS, "fresh": FRESH_WORLDS}))
    if args.check:
        old = args.out.read_text() if args.out.is_file() else ""
        if old != text:
            print(
                f"{args.out} differs from what the simulator gives now; rerun bench/dump_worlds.py",
                file=sys.stderr,
            )
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out} ({text.count(' - id:')} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
