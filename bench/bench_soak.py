"""Soak benchmark (issue 13): many tasks back to back on one running stack.

The stack is the launch file (``launch/robomatrix.launch.xml``: hardware node with the simulated
robot, skill server, scheduler with the configured planner, grounded by default) started once through robomatrix's
launcher. Task ``k`` resets the world over the ``reset`` service to a seeded layout of a family
of ``bench_tasks.py`` (families mixed in a seeded order, phrasings in turn), gives the task over
``execute_task``, lets the world settle (1.5 s of robot time without commands) and checks the
family's goal on the settled world, as ``bench_tasks.py`` scores it.

After every task each node's resident memory (RSS), CPU time, thread count and open files are
sampled (psutil when installed, else /proc). The report gives each node's growth after the
warm-up (the first 20 tasks, or half of a shorter run) in %, false successes (SUCCESS reported
while the goal does not hold on the settled world) and the success rate with a Wilson 95 %
interval; it writes ``bench/results/soak.json`` and a plot of RSS against task number,
``bench/results/soak_rss.png``.

    .venv/bin/python bench/bench_soak.py                          # 200 tasks, oracle skills
    .venv/bin/python bench/bench_soak.py --tasks 20 --controller policy --out /tmp/soak.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from bench_hardware import machine  # noqa: E402 - the script's own folder is on sys.path
from bench_tasks import FAMILIES, SETTLE_S, unmet_goal  # noqa: E402
from stats import wilson  # noqa: E402

from robomatrix.rosenv import apply_ros_defaults  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WARMUP = 20  # tasks before growth is measured
BASE_SEED = 30000  # layouts from here on: clear of bench_tasks' evaluation seeds (5000-10999)


# -- process sampling ------------------------------------------------------------------------------
def sample_process(pid: int) -> dict[str, float]:
    """RSS (MB), CPU time (s, user + system), threads and open files of one process."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        p = psutil.Process(pid)
        with p.oneshot():
            cpu = p.cpu_times()
            return {"rss_mb": p.memory_info().rss / 2**20, "cpu_s": cpu.user + cpu.system,
                    "threads": p.num_threads(), "open_files": p.num_fds()}
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # after the command name, which may hold spaces
    tick = os.sysconf("SC_CLK_TCK")
    return {"rss_mb": int(status["VmRSS"].split()[0]) / 1024, "cpu_s": (int(fields[11]) + int(fields[12])) / tick,
            "threads": int(status["Threads"]), "open_files": len(os.listdir(f"/proc/{pid}/fd"))}


def growth_pct(series: list[float], warmup: int) -> float | None:
    """Growth from the sample after the warm-up to the last sample, in % (None when too short)."""
    if len(series) <= warmup or series[warmup - 1 if warmup else 0] <= 0:
        return None
    base = series[warmup - 1 if warmup else 0]
    return round(100.0 * (series[-1] - base) / base, 2)


# -- the run ----------------------------------------------------------------------------------------
class Soak:
    """The bench's own rclpy node: reset, execute_task, observation."""

    def __init__(self) -> None:
        import rclpy
        from rclpy.action import ActionClient

        from robomatrix.action import ExecuteTask
        from robomatrix.msg import ArmCommand, WorldState
        from robomatrix.srv import Reset

        self.rclpy = rclpy
        rclpy.init()
        self.node = rclpy.create_node(f"bench_soak_{os.getpid()}")
        self.executor = rclpy.executors.SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.obs: list[Any] = []  # the latest observations (trimmed)
        self.received = 0  # observations received in all
        self.last_command_wall = 0.0
        self.node.create_subscription(WorldState, "observation", self._on_obs, 10)
        self.node.create_subscription(ArmCommand, "command", self._on_command, 10)
        self.reset_client = self.node.create_client(Reset, "reset")
        self.task_client = ActionClient(self.node, ExecuteTask, "execute_task")
        self.Reset, self.ExecuteTask = Reset, ExecuteTask

    def _on_obs(self, msg: Any) -> None:
        self.received += 1
        self.obs.append(msg)
        if len(self.obs) > 200:
            del self.obs[:100]

    def _on_command(self, _msg: Any) -> None:
        self.last_command_wall = time.monotonic()

    def wait_until(self, cond: Any, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return
            self.executor.spin_once(timeout_sec=0.02)
        raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")

    def world(self) -> Any:
        from robomatrix.nodes.common import msg_to_observation

        return msg_to_observation(self.obs[-1])

    def stamp(self) -> float:
        s = self.obs[-1].header.stamp
        return s.sec + s.nanosec * 1e-9

    def wait_ready(self, timeout: float) -> None:
        self.wait_until(lambda: bool(self.obs), timeout, "observations from the hardware node")
        if not self.reset_client.wait_for_service(timeout_sec=timeout):
            raise TimeoutError("no reset service")
        if not self.task_client.wait_for_server(timeout_sec=timeout):
            raise TimeoutError("no execute_task server (is the scheduler running?)")

    def reset(self, seed: int, scene: str) -> Any:
        fut = self.reset_client.call_async(self.Reset.Request(seed=seed, scene=scene))
        self.wait_until(fut.done, 30.0, "reset")
        if not fut.result().success:
            raise RuntimeError(f"reset({seed}, {scene}) refused: {fut.result().message}")
        n = self.received
        self.wait_until(lambda: self.received > n + 10, 20.0, "observations after the reset")
        return self.world()

    def run_task(self, text: str, timeout: float) -> tuple[bool, str]:
        from robomatrix.cli.ros_client import send_goal

        handle = send_goal(self.task_client, self.ExecuteTask.Goal(task=text),
                           lambda t: self.executor.spin_once(timeout_sec=t), timeout=20.0)
        res = handle.get_result_async()
        try:
            self.wait_until(res.done, timeout, f"the result of {text!r}")
        except TimeoutError:
            cancel = handle.cancel_goal_async()
            self.wait_until(cancel.done, 10.0, "cancel")
            self.wait_until(res.done, 30.0, "the canceled result")
            return False, f"bench timeout after {timeout:g} s (canceled)"
        r = res.result().result
        return bool(r.success), r.summary

    def settle(self) -> Any:
        """The world after SETTLE_S s of robot time without commands."""
        start = self.stamp()
        quiet_from = max(start, 0.0)

        def settled() -> bool:
            nonlocal quiet_from
            if time.monotonic() - self.last_command_wall < 0.05:
                quiet_from = self.stamp()
            return self.stamp() - quiet_from >= SETTLE_S

        self.wait_until(settled, 60.0, "the world to settle")
        return self.world()

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        self.rclpy.try_shutdown()


def plan_tasks(n: int, seed: int) -> list[str]:
    """Family of each task: every family in turn, in a seeded shuffled order per round."""
    rng = np.random.default_rng(seed)
    names = sorted(FAMILIES)
    out: list[str] = []
    while len(out) < n:
        out.extend(names[i] for i in rng.permutation(len(names)))
    return out[:n]


def plot_rss(samples: list[dict[str, Any]], warmup: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    nodes = sorted({name for s in samples for name in s["nodes"]})
    for name in nodes:
        xs = [s["task"] for s in samples if name in s["nodes"]]
        ys = [s["nodes"][name]["rss_mb"] for s in samples if name in s["nodes"]]
        ax.plot(xs, ys, marker=".", label=name)
    ax.axvline(warmup, color="grey", linestyle="--", linewidth=1, label=f"end of warm-up ({warmup})")
    ax.set_xlabel("task number")
    ax.set_ylabel("resident memory (MB)")
    ax.set_title(f"Soak: node memory over {len(samples)} tasks")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _until_interrupted(items: Any, interrupted: list[int]) -> Any:
    """``items``, until the first Ctrl-C (SIGINT) after which the current item still finishes."""
    import signal

    stop = {"now": False}
    previous = signal.signal(signal.SIGINT, lambda *_: stop.__setitem__("now", True))
    try:
        for k, item in items:
            if stop["now"]:
                interrupted.append(k - 1)
                return
            yield k, item
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=200, help="tasks to run back to back")
    parser.add_argument("--controller", default="oracle", choices=["oracle", "policy"],
                        help="skills: scripted oracle, or the trained policies")
    parser.add_argument("--seed", type=int, default=0, help="seed of the family order")
    parser.add_argument("--task-timeout", type=float, default=300.0, help="wall s a task may take before it is canceled")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="tasks before growth is measured")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "soak.json")
    parser.add_argument("--plot", type=Path, default=None, help="default: soak_rss.png beside --out")
    args = parser.parse_args(argv)
    if args.tasks < 2:
        parser.error("--tasks must be at least 2")
    warmup = min(args.warmup, args.tasks // 2)
    plot = args.plot or args.out.with_name(args.out.stem + "_rss.png")

    apply_ros_defaults()
    os.environ.setdefault("ROS_DOMAIN_ID", str(100 + os.getpid() % 100))  # clear of other runs on this machine
    from robomatrix.launcher import LaunchRunner, parse_launch_file
    from robomatrix.learning.tasks import world_from_objects

    description = parse_launch_file(ROOT / "launch" / "robomatrix.launch.xml",
                                    {"skill_controller": args.controller, "gui": "false"})
    log_dir = Path(os.environ["ROS_LOG_DIR"]) / f"bench-soak-{os.getpid()}"
    log_dir.mkdir(parents=True, exist_ok=True)
    node_output = (log_dir / "nodes.log").open("w")
    t0 = time.perf_counter()
    samples: list[dict[str, Any]] = []
    interrupted: list[int] = []  # Ctrl-C ends the soak after the running task; what was measured is written
    runner = LaunchRunner(description, log_dir=log_dir, stdout=node_output).start()
    soak = Soak()
    try:
        soak.wait_ready(120.0)
        pids = runner.pids
        sys.stdout.write(f"stack up: {pids}; node output in {log_dir / 'nodes.log'}\n")
        seed = BASE_SEED
        tasks = enumerate(plan_tasks(args.tasks, args.seed), start=1)
        for k, family in _until_interrupted(tasks, interrupted):
            fam = FAMILIES[family]
            while True:  # the next seed whose layout this family can use
                world = soak.reset(seed, fam.scene)
                made = fam.choose(np.random.default_rng(seed), world_from_objects(world.objects))
                seed += 1
                if made is not None:
                    break
            _, fields, goal = made
            text = fam.phrasings[k % len(fam.phrasings)].format(**fields)
            t_task = time.perf_counter()
            reported, summary = soak.run_task(text, args.task_timeout)
            settled = soak.settle()
            unmet = unmet_goal(goal, settled)
            alive = runner.pids
            if set(alive) != set(pids):
                raise RuntimeError(f"node(s) {sorted(set(pids) - set(alive))} died during task {k}; see {log_dir}")
            sample = {"task": k, "family": family, "seed": seed - 1, "text": text, "success": not unmet,
                      "reported_success": reported, "false_success": reported and bool(unmet), "summary": summary,
                      "unmet": unmet, "wall_s": round(time.perf_counter() - t_task, 2),
                      "nodes": {name: {m: round(v, 3) for m, v in sample_process(pid).items()}
                                for name, pid in alive.items()}}
            samples.append(sample)
            rss = ", ".join(f"{n} {v['rss_mb']:.0f} MB" for n, v in sample["nodes"].items())
            sys.stdout.write(f"[{k}/{args.tasks}] {family:11s} goal {'met' if not unmet else 'NOT met'}"
                             f"{' (FALSE SUCCESS)' if sample['false_success'] else ''} in {sample['wall_s']:.0f} s; "
                             f"{rss}\n")
            sys.stdout.flush()
    finally:
        soak.close()
        code = runner.shutdown()
        node_output.close()

    n = len(samples)
    ok = sum(s["success"] for s in samples)
    lo, hi = wilson(ok, n)
    growth = {}
    for name in sorted(samples[0]["nodes"]):
        growth[name] = {m: growth_pct([s["nodes"][name][m] for s in samples], warmup)
                        for m in ("rss_mb", "threads", "open_files")}
        cpu = [s["nodes"][name]["cpu_s"] for s in samples]
        after = np.diff(cpu[warmup - 1:]) if n > warmup else np.array([])
        growth[name]["cpu_s_per_task_after_warmup"] = round(float(after.mean()), 3) if after.size else None
    per_family: dict[str, dict[str, Any]] = {}
    for fam in sorted({s["family"] for s in samples}):
        rows = [s for s in samples if s["family"] == fam]
        k = sum(s["success"] for s in rows)
        per_family[fam] = {"tasks": len(rows), "successes": k, "success_rate": round(k / len(rows), 4),
                           "success_rate_ci95": [round(v, 4) for v in wilson(k, len(rows))]}
    out = {
        "benchmark": "soak",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "how": "one stack from launch/robomatrix.launch.xml (simulated robot, the default planner of config/planner.yaml: grounded); reset over the "
               "reset service between tasks; goal checked on the world settled 1.5 s without commands",
        "controller": args.controller,
        "tasks": n,
        "warmup_tasks": warmup,
        "successes": ok,
        "success_rate": round(ok / n, 4),
        "success_rate_n": n,
        "success_rate_ci95": [round(lo, 4), round(hi, 4)],
        "reported_successes": sum(s["reported_success"] for s in samples),
        "false_successes": sum(s["false_success"] for s in samples),
        "growth_after_warmup_pct": growth,
        "per_family": per_family,
        "launch_exit_code": code,
        "interrupted_after_task": interrupted[0] if interrupted else None,
        "wall_s": round(time.perf_counter() - t0, 1),
        "samples": samples,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    plot_rss(samples, warmup, plot)
    summary = {k: out[k] for k in ("tasks", "successes", "success_rate", "success_rate_ci95", "false_successes",
                                   "growth_after_warmup_pct", "launch_exit_code", "wall_s")}
    sys.stdout.write(json.dumps(summary, indent=1) + f"\nwrote {args.out} and {plot}\n")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
