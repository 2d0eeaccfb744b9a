"""Fault benchmark: what happens to a task that moves the arm when part of the stack fails.

For each fault it starts the whole stack with ``robomatrix launch --local`` (simulation, oracle
skills, grounded planner), sends the task "move to the <block>", and injects the fault once the
arm moves (or before the task, for a planner fault). It measures:

* ``arm_holds_s``: time from the fault until the arm is held: an observation with
  ``watchdog_holding`` (the hardware node's stale-command watchdog, or its last observation on
  shutdown), or a hold command on ``command`` (the skill server ending the skill). When the
  hardware node itself was killed the simulated arm died with it and this is when the skill
  server commands a hold (a real arm's controller keeps its last target);
* ``task``: what the task's client was told (result, summary, how long after the fault), or
  that no result came within ``--report-timeout`` seconds;
* fault-specific fields (below).

Faults (``--faults``):

* ``kill:<launcher|hardware|skill_server|scheduler>``: SIGKILL. ``nodes_gone_s`` (launcher:
  every node exited), ``others_still_running`` (a node). For the scheduler the task's client
  is ``robomatrix task`` (the CLI): ``cli`` gives its exit code, when it exited and its last line;
* ``stop:<hardware|skill_server|scheduler>``: SIGSTOP, 2 s, SIGCONT; a success carries the
  scheduler's goal check (``goal_holds``) so a false SUCCESS would show. A frozen hardware
  node freezes the simulated arm with it (robot time stops): ``arm_holds_s`` is then the skill
  server's hold at the skill's end, after the node resumed;
* ``llm:<down|slow|not_json|not_a_plan|unknown_skill>``: the openai planner backend against a
  loopback HTTP server (timeout 1 s, 1 retry, backoff 0.1 s); ``commands`` counts the arm
  commands sent while the task ran (0 = nothing moved);
* ``clock_jump``: a second /clock publisher jumps +1e6 s and back at 50 Hz during the task;
  ``timeouts_logged`` counts the nodes' timeout messages (0 = none fired);
* ``recording:<unwritable|full>``: hardware node and skill server only; a move_to that a person
  corrects once, then cancels. Unwritable: the folder's path runs through a regular file;
  full: the skill server runs under RLIMIT_FSIZE 8 KiB (writes fail with EFBIG). ``reason`` is
  the skill result's, ``files`` what the folder holds; for unwritable the folder is then made
  and a second corrected skill writes both episodes (``files_after_fix``).

Writes JSON (default bench/results/faults.json).

    .venv/bin/python bench/bench_faults.py                      # every fault once (~6 minutes)
    .venv/bin/python bench/bench_faults.py --trials 2
    .venv/bin/python bench/bench_faults.py --faults kill:launcher stop:scheduler
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
sys.path.insert(0, str(HERE))
from loopback_llm import MODES as LLM_MODES  # noqa: E402 - the script's own folder, just put on sys.path
from loopback_llm import LoopbackLLM  # noqa: E402

NODES = ("hardware", "skill_server", "scheduler")
FAULTS = (*(f"kill:{v}" for v in ("launcher", *NODES)), *(f"stop:{v}" for v in NODES),
          *(f"llm:{m}" for m in LLM_MODES), "clock_jump", "recording:unwritable", "recording:full")
LLM_TIMEOUT_S, LLM_RETRIES, LLM_BACKOFF_S = 1.0, 1, 0.1
STOP_S = 2.0


def start_stack(log: Path, namespace: str, *args: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "robomatrix.cli", "launch", "--local", "robomatrix.launch.xml",
            "robot:=sim", "skill_controller:=oracle", f"namespace:={namespace}", *args]
    return subprocess.Popen(argv, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def node_pids(launcher: int, timeout: float, nodes: tuple[str, ...] = NODES) -> dict[str, int]:
    """{node: pid} once all node processes run (a fork not yet exec'd is not counted)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = {name: pid for pid, cmd in child_processes(launcher).items() for name in nodes
                 if f"robomatrix.nodes {name} " in cmd}
        if len(found) == len(nodes):
            return found
        time.sleep(0.05)
    raise RuntimeError(f"the stack's nodes did not start within {timeout} s (launcher pid {launcher})")


class Probe:
    """The benchmark's own rclpy node: observations, commands, an execute_task / execute_skill client."""

    def __init__(self, ns: str) -> None:
        import rclpy
        from rclpy.action import ActionClient

        from robomatrix.action import ExecuteSkill, ExecuteTask
        from robomatrix.msg import ArmCommand, WorldState

        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(f"bench_faults_{os.getpid()}", context=self.context)
        self.executor = rclpy.executors.SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.obs: list[tuple[float, Any]] = []
        self.commands: list[tuple[float, Any]] = []
        self.node.create_subscription(WorldState, f"/{ns}/observation",
                                      lambda m: self.obs.append((time.monotonic(), m)), 50)
        self.node.create_subscription(ArmCommand, f"/{ns}/command",
                                      lambda m: self.commands.append((time.monotonic(), m)), 50)
        self.task = ActionClient(self.node, ExecuteTask, f"/{ns}/execute_task")
        self.skill = ActionClient(self.node, ExecuteSkill, f"/{ns}/execute_skill")
        self.hold_mode = ArmCommand.MODE_HOLD

    def spin_until(self, cond: Any, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return True
            self.executor.spin_once(timeout_sec=0.01)
        return bool(cond())

    def held_at(self, t0: float, n_obs: int, n_cmd: int) -> float | None:
        held = [t for t, m in self.obs[n_obs:] if m.watchdog_holding]
        held += [t for t, m in self.commands[n_cmd:] if m.mode == self.hold_mode]
        return min(held) - t0 if held else None

    def block(self) -> str:
        return next(o.name for o in self.obs[-1][1].objects if o.category == "block")

    def send_task(self, text: str) -> Any:
        from robomatrix.action import ExecuteTask

        handle = self.send(self.task, ExecuteTask.Goal(task=text))
        if not handle.accepted:
            raise RuntimeError("the task was not accepted")
        return handle.get_result_async()

    def send(self, client: Any, goal: Any, feedback: Any = None) -> Any:
        """The goal's handle; a lost request or acceptance reply is survived (ros_client.send_goal)."""
        from robomatrix.cli.ros_client import send_goal

        return send_goal(client, goal, lambda t: self.executor.spin_once(timeout_sec=t), feedback, timeout=20.0)

    def wait_moving(self, result: Any) -> None:
        n0 = len(self.commands)
        if not self.spin_until(lambda: len(self.commands) > n0 + 5 or result.done(), 30.0) or result.done():
            raise RuntimeError("the arm did not start moving (or the task ended first)")

    def close(self) -> None:
        import rclpy

        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


def _task_report(result: Any, t0: float, reported_at: float | None) -> dict[str, Any]:
    task: dict[str, Any] = {"reported": result.done()}
    if result.done():
        r = result.result().result
        task.update(success=bool(r.success), summary=r.summary,
                    after_s=None if reported_at is None else round(reported_at - t0, 3))
        if r.success:
            task["goal_holds"] = [bool(h) for h in r.goal_holds]
    return task


def _interrupt(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGINT (a clean stop), then SIGKILL if it has not exited within ``timeout`` s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


def _stop_launcher(launcher: subprocess.Popen[bytes], pids: dict[str, int]) -> None:
    _interrupt(launcher, 20.0)
    for p in pids.values():
        if not process_gone(p):
            os.kill(p, signal.SIGCONT)
            os.kill(p, signal.SIGKILL)


def trial_task(fault: str, report_timeout: float, logs: Path, k: int) -> dict[str, Any]:
    """A fault during "move to the <block>" on the whole stack."""
    kind, _, victim = fault.partition(":")
    ns = f"bench_faults_{os.getpid()}_{time.monotonic_ns() % 1_000_000}"  # no cross-talk with other stacks
    log = logs / f"{fault.replace(':', '-')}-{k}.log"
    extra: list[str] = []
    llm = None
    if kind == "llm":
        llm = LoopbackLLM(victim)
        cfg = logs / f"planner-{victim}-{k}.yaml"
        cfg.write_text(f"backend: openai\nopenai:\n  base_url: {llm.base_url}\n  model: m\n  timeout_s: {LLM_TIMEOUT_S}\n"
                       f"  retries: {LLM_RETRIES}\n  backoff_s: {LLM_BACKOFF_S}\n")
        extra.append(f"planner_config:={cfg}")
    launcher = start_stack(log, ns, *extra)
    probe = Probe(ns)
    pids: dict[str, int] = {}
    cli: subprocess.Popen[bytes] | None = None
    try:
        pids = node_pids(launcher.pid, 60.0)
        if not probe.spin_until(lambda: probe.obs, 60.0) or not probe.task.wait_for_server(timeout_sec=60.0):
            raise RuntimeError(f"the stack did not come up; see {log}")
        text = f"move to the {probe.block()}"
        out: dict[str, Any] = {"fault": fault}
        n_obs, n_cmd = len(probe.obs), len(probe.commands)
        if kind == "llm":
            t0 = time.monotonic()
            result = probe.send_task(text)
            probe.spin_until(result.done, report_timeout)
            reported = time.monotonic() if result.done() else None
            probe.spin_until(lambda: False, 0.5)  # a command sent at the end would arrive by now
            out.update(task=_task_report(result, t0, reported), commands=len(probe.commands) - n_cmd,
                       llm_calls=llm.calls if llm else 0,
                       bound_s=(LLM_RETRIES + 1) * LLM_TIMEOUT_S + LLM_BACKOFF_S * 2)
            return out
        if kind == "kill" and victim == "scheduler":  # the task's client is the CLI
            cli_log = logs / f"cli-{k}.log"
            cli = subprocess.Popen([sys.executable, "-m", "robomatrix.cli", "task", "--namespace", ns, text],
                                   stdout=cli_log.open("w"), stderr=subprocess.STDOUT)
            n0 = len(probe.commands)
            if not probe.spin_until(lambda: len(probe.commands) > n0 + 5, 30.0):
                raise RuntimeError("the arm did not start moving under the CLI's task")
            result = None
        else:
            result = probe.send_task(text)
            probe.wait_moving(result)
        if kind == "clock_jump":
            from rosgraph_msgs.msg import Clock as ClockMsg

            pub = probe.node.create_publisher(ClockMsg, "/clock", 10)
            t0 = time.monotonic()
            jumps = 0
            while not result.done() and time.monotonic() - t0 < report_timeout:
                jumps += 1
                msg = ClockMsg()
                msg.clock.sec = 1_000_000 if jumps % 2 else 0
                pub.publish(msg)
                probe.spin_until(lambda: False, 0.02)
            probe.spin_until(lambda: False, 0.5)
            said = log.read_text()
            out.update(task=_task_report(result, t0, time.monotonic() if result.done() else None), clock_jumps=jumps,
                       # what a clock-driven timeout would have said in the nodes' output
                       timeouts_logged=sum(said.count(w) for w in ("fell silent", "stopped answering",
                                                                   "no observation for", "task timeout after")))
            return out
        target = launcher.pid if victim == "launcher" else pids[victim]
        n_obs, n_cmd = len(probe.obs), len(probe.commands)
        t0 = time.monotonic()
        os.kill(target, signal.SIGKILL if kind == "kill" else signal.SIGSTOP)
        continued = kind != "stop"
        gone_at = reported_at = cli_at = None
        held: float | None = None
        end = t0 + max(report_timeout, 10.0)
        while time.monotonic() < end:
            probe.executor.spin_once(timeout_sec=0.01)
            now = time.monotonic()
            if not continued and now - t0 >= STOP_S:
                os.kill(target, signal.SIGCONT)
                continued = True
            if victim == "launcher" and gone_at is None and all(process_gone(p) for p in pids.values()):
                gone_at = now
            if result is not None and reported_at is None and result.done():
                reported_at = now
            if cli is not None and cli_at is None and cli.poll() is not None:
                cli_at = now
            if held is None:
                held = probe.held_at(t0, n_obs, n_cmd)
            told = (result.done() if result is not None else cli_at is not None)
            if continued and told and (gone_at is not None or victim != "launcher") and (
                    held is not None or victim == "hardware"):
                break
            if continued and now - t0 > report_timeout and (gone_at is not None or victim != "launcher"):
                break
        out["arm_holds_s"] = None if held is None else round(held, 3)
        if result is not None:
            out["task"] = _task_report(result, t0, reported_at)
        if cli is not None:
            said = (logs / f"cli-{k}.log").read_text().strip().splitlines()
            out["cli"] = {"exit_code": cli.poll(), "after_s": None if cli_at is None else round(cli_at - t0, 3),
                          "said": said[-1] if said else ""}
        if victim == "launcher":
            out["nodes_gone_s"] = None if gone_at is None else round(gone_at - t0, 3)
        else:
            out["others_still_running"] = all(not process_gone(p) for n, p in pids.items() if n != victim)
        return out
    finally:
        if cli is not None and cli.poll() is None:
            cli.kill()
        probe.close()
        if llm is not None:
            llm.close()
        _stop_launcher(launcher, pids)


def trial_recording(fault: str, logs: Path, k: int) -> dict[str, Any]:
    """Hardware node + skill server; a corrected, then canceled move_to; the recording folder faulty."""
    from robomatrix.action import ExecuteSkill
    from robomatrix.msg import LanguageMotion, SkillArgument

    mode = fault.partition(":")[2]
    ns = f"bench_rec_{os.getpid()}_{time.monotonic_ns() % 1_000_000}"
    root = Path(tempfile.mkdtemp(prefix="bench-faults-rec-", dir=logs))
    if mode == "unwritable":
        (root / "blocker").write_text("a file where the folder's parent should be\n")
        idir = root / "blocker" / "interventions"
    else:
        idir = root / "interventions"
    fsize = 8 * 1024 if mode == "full" else None

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    base = [sys.executable, "-m", "robomatrix.nodes"]
    ros_args = ["--ros-args", "-r", f"__ns:=/{ns}"]
    hw = subprocess.Popen([*base, "hardware", *ros_args], stdout=(logs / f"{mode}-hw-{k}.log").open("w"),
                          stderr=subprocess.STDOUT)
    server = subprocess.Popen([*base, "skill_server", *ros_args, "-p", "controller:=oracle", "-p",
                               f"intervention_dir:={idir}", "-p", "correction_hold:=0.5"],
                              stdout=(logs / f"{mode}-skill-{k}.log").open("w"), stderr=subprocess.STDOUT,
                              preexec_fn=limit)
    probe = Probe(ns)
    pub = probe.node.create_publisher(LanguageMotion, f"/{ns}/correction", 10)

    def corrected(ticks: int) -> str:
        goal = ExecuteSkill.Goal(skill="move_to")
        goal.arguments.append(SkillArgument(name="object", type="object", value="red block"))
        fb: list[Any] = []
        handle = probe.send(probe.skill, goal, fb.append)
        if not handle.accepted:
            raise RuntimeError("the skill was not accepted")
        probe.spin_until(lambda: len(fb) >= 3, 10.0)
        pub.publish(LanguageMotion(motion="move arm up", source="person"))
        probe.spin_until(lambda: any(f.feedback.source == "person" for f in fb), 10.0)
        n = len(fb)
        probe.spin_until(lambda: len(fb) >= n + ticks, 10.0)
        handle.cancel_goal_async()
        res = handle.get_result_async()
        if not probe.spin_until(res.done, 10.0):
            raise RuntimeError("no skill result")
        return res.result().result.reason

    def files() -> list[str]:
        return sorted(p.name for p in idir.iterdir()) if idir.is_dir() else []

    try:
        if not probe.spin_until(lambda: probe.obs, 60.0) or not probe.skill.wait_for_server(timeout_sec=60.0):
            raise RuntimeError("hardware node / skill server did not come up")
        probe.spin_until(lambda: pub.get_subscription_count() > 0, 10.0)
        out: dict[str, Any] = {"fault": fault, "reason": corrected(90 if mode == "full" else 10), "files": files()}
        out["skill_server_running"] = server.poll() is None
        if mode == "unwritable":
            (root / "blocker").unlink()
            idir.mkdir(parents=True)
            out["reason_after_fix"] = corrected(10)
            out["files_after_fix"] = files()
        return out
    finally:
        probe.close()
        for p in (server, hw):
            _interrupt(p, 15.0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faults", nargs="+", choices=FAULTS, default=list(FAULTS))
    ap.add_argument("--trials", type=int, default=1, help="runs per fault")
    ap.add_argument("--report-timeout", type=float, default=30.0,
                    help="seconds to wait after the fault for the task's result")
    ap.add_argument("--out", default=str(HERE / "results" / "faults.json"))
    args = ap.parse_args(argv)
    apply_ros_defaults()
    logs = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    runs = []
    for fault in args.faults:
        for k in range(args.trials):
            try:
                if fault.startswith("recording:"):
                    runs.append(trial_recording(fault, logs, k))
                else:
                    runs.append(trial_task(fault, args.report_timeout, logs, k))
            except RuntimeError as e:
                runs.append({"fault": fault, "error": str(e), "logs": str(logs)})
            sys.stderr.write(json.dumps(runs[-1]) + "\n")
    result = {
        "benchmark": "faults",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "task": "move to the <block> (grounded planner unless llm:*, oracle skills, simulation)",
        "runs": runs,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0 if not any("error" in r for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
