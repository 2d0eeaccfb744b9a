"""Fault benchmark: kill -9 of the launcher and of each node while a task moves the arm.

For each victim it starts the whole stack with ``robomatrix launch --local`` (simulation,
oracle skills, embedded planner), sends the task "move to the <block>", waits until the arm
moves, kills the victim with SIGKILL and measures:

* ``nodes_gone_s``: launcher killed: time until every node process has exited (they get
  SIGTERM from the kernel when their launcher dies); a node killed: whether the others run on;
* ``arm_holds_s``: time until the arm is held: an observation with ``watchdog_holding`` (the
  hardware node's watchdog, or its last observation on shutdown), or a hold command on
  ``command`` (the skill server ending the skill). When the hardware node itself was killed
  the simulated arm died with it and this is when the skill server commands a hold (a real
  arm's controller keeps its last target);
* ``task``: what the task's client was told (result, summary, how long after the kill), or
  that no result came within ``--report-timeout`` seconds.

Writes JSON (default bench/results/faults.json).

    .venv/bin/python bench/bench_faults.py               # every victim once (~2-3 minutes)
    .venv/bin/python bench/bench_faults.py --trials 3
    .venv/bin/python bench/bench_faults.py --victims launcher skill_server
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from robomatrix.launcher.proctree import child_processes, process_gone
from robomatrix.rosenv import apply_ros_defaults

HERE = Path(__file__).resolve().parent
VICTIMS = ("launcher", "hardware", "skill_server", "scheduler")
NODES = ("hardware", "skill_server", "scheduler")


def start_stack(log: Path, namespace: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "robomatrix.cli", "launch", "--local", "robomatrix.launch.xml",
            "robot:=sim", "skill_controller:=oracle", f"namespace:={namespace}"]
    return subprocess.Popen(argv, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def node_pids(launcher: int, timeout: float) -> dict[str, int]:
    """{node: pid} once all three node processes run (a fork not yet exec'd is not counted)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = {name: pid for pid, cmd in child_processes(launcher).items() for name in NODES
                 if f"robomatrix.nodes {name} " in cmd}
        if len(found) == len(NODES):
            return found
        time.sleep(0.05)
    raise RuntimeError(f"the stack's three nodes did not start within {timeout} s (launcher pid {launcher})")


def one_trial(victim: str, report_timeout: float, log: Path) -> dict[str, Any]:
    import rclpy
    from rclpy.action import ActionClient

    from robomatrix.action import ExecuteTask
    from robomatrix.msg import ArmCommand, WorldState

    ns = f"bench_faults_{os.getpid()}_{time.monotonic_ns() % 1_000_000}"  # no cross-talk with other stacks
    launcher = start_stack(log, ns)
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node(f"bench_faults_{os.getpid()}", context=context)
    executor = rclpy.executors.SingleThreadedExecutor(context=context)
    executor.add_node(node)
    obs: list[tuple[float, Any]] = []
    commands: list[tuple[float, Any]] = []
    node.create_subscription(WorldState, f"/{ns}/observation", lambda m: obs.append((time.monotonic(), m)), 50)
    node.create_subscription(ArmCommand, f"/{ns}/command", lambda m: commands.append((time.monotonic(), m)), 50)
    client = ActionClient(node, ExecuteTask, f"/{ns}/execute_task")
    pids: dict[str, int] = {}

    def spin_until(cond: Any, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return True
            executor.spin_once(timeout_sec=0.01)
        return bool(cond())

    try:
        pids = node_pids(launcher.pid, 60.0)
        if not spin_until(lambda: obs, 60.0) or not client.wait_for_server(timeout_sec=60.0):
            raise RuntimeError(f"the stack did not come up; see {log}")
        block = next(o.name for o in obs[-1][1].objects if o.category == "block")
        goal = client.send_goal_async(ExecuteTask.Goal(task=f"move to the {block}"))
        if not spin_until(goal.done, 20.0) or not goal.result().accepted:
            raise RuntimeError("the task was not accepted")
        result = goal.result().get_result_async()
        n0 = len(commands)
        if not spin_until(lambda: len(commands) > n0 + 5 or result.done(), 30.0) or result.done():
            raise RuntimeError("the arm did not start moving (or the task ended first)")
        target = launcher.pid if victim == "launcher" else pids[victim]
        n_obs, n_cmd = len(obs), len(commands)
        t_kill = time.monotonic()
        os.kill(target, signal.SIGKILL)

        others = [p for name, p in pids.items() if name != victim]
        gone_at: float | None = None
        held_at: float | None = None
        reported_at: float | None = None
        end = t_kill + max(report_timeout, 10.0)
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.01)
            now = time.monotonic()
            if victim == "launcher" and gone_at is None and all(process_gone(p) for p in pids.values()):
                gone_at = now
            if reported_at is None and result.done():
                reported_at = now
            if held_at is None:
                held = [t for t, m in obs[n_obs:] if m.watchdog_holding]
                held += [t for t, m in commands[n_cmd:] if m.mode == ArmCommand.MODE_HOLD]
                held_at = min(held) if held else None
            if result.done() and (gone_at is not None or victim != "launcher") and (
                    held_at is not None or victim == "hardware"):
                break
            if now - t_kill > report_timeout and (gone_at is not None or victim != "launcher"):
                break
        task: dict[str, Any] = {"reported": result.done()}
        if result.done():
            r = result.result().result
            task.update(success=bool(r.success), summary=r.summary,
                        after_s=None if reported_at is None else round(reported_at - t_kill, 3))
        out: dict[str, Any] = {
            "victim": victim,
            "arm_holds_s": None if held_at is None else round(held_at - t_kill, 3),
            "task": task,
        }
        if victim == "launcher":
            out["nodes_gone_s"] = None if gone_at is None else round(gone_at - t_kill, 3)
        else:
            out["others_still_running"] = all(not process_gone(p) for p in others)
        return out
    finally:
        node.destroy_node()
        rclpy.shutdown(context=context)
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGINT)
            try:
                launcher.wait(20)
            except subprocess.TimeoutExpired:
                launcher.kill()
        for p in pids.values():
            if not process_gone(p):
                os.kill(p, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--victims", nargs="+", choices=VICTIMS, default=list(VICTIMS))
    ap.add_argument("--trials", type=int, default=1, help="kills per victim")
    ap.add_argument("--report-timeout", type=float, default=30.0,
                    help="seconds to wait after the kill for the task's result")
    ap.add_argument("--out", default=str(HERE / "results" / "faults.json"))
    args = ap.parse_args(argv)
    apply_ros_defaults()
    logs = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    runs = []
    for victim in args.victims:
        for k in range(args.trials):
            log = logs / f"{victim}-{k}.log"
            try:
                runs.append(one_trial(victim, args.report_timeout, log))
            except RuntimeError as e:
                runs.append({"victim": victim, "error": str(e), "log": str(log)})
            sys.stderr.write(json.dumps(runs[-1]) + "\n")
    result = {
        "benchmark": "faults",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "task": "move to the <block> (embedded planner, oracle skills, simulation)",
        "runs": runs,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0 if not any("error" in r for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
