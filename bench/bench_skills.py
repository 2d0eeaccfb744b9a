"""Skill benchmark (issue 3): success per skill for the RT-H policy, the flat ablation, unseen
objects, with a simulated person correcting, and after fine-tuning on those corrections;
policy latency; correction-to-command latency across processes. Writes bench/results/skills.json.

    .venv/bin/python bench/bench_skills.py                 # 50 episodes per cell (~30 min on 2 cores)
    .venv/bin/python bench/bench_skills.py --episodes 5 --skills move_to --quick
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent

from bench_hardware import machine, policy_bench_start  # noqa: E402 - the script's own folder is on sys.path
from stats import annotate_results  # noqa: E402 - the script's own folder is on sys.path

UNSEEN_SKILLS = ("move_to", "grasp", "push")  # skills whose objects can be unseen random_urdfs shapes


def policy_latency(lib: Any, n: int = 2000, skill: str = "move_to") -> dict[str, float]:
    """Per-tick cost of the RT-H controller (features + context + both heads), batch 1, CPU."""
    import torch

    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.policies.model import load_policy
    from robomatrix.skills.executor import PolicyController

    torch.set_num_threads(1)
    spec = lib.get(skill)
    ctrl = PolicyController(load_policy(spec.policy_path, skill=skill), tuple(lib.names))
    with SimRobot(SimConfig()) as robot:
        obs = robot.get_observation()
        target = next(o for o in obs.objects if o.category == "block")
        args = {"object": target.id} if skill == "move_to" else {"object": target.id, "direction": "left",
                                                                  "distance": 0.1}
        ctrl.reset(spec, args, obs)
        times = []
        for _ in range(n):  # a new observation every tick (the context advances), as in a real run
            t0 = time.perf_counter()
            motion = ctrl.predict_motion(obs)
            action = ctrl.act(obs, motion)
            times.append((time.perf_counter() - t0) * 1000)
            robot.send_action(action)
            robot.step()
            obs = robot.get_observation()
    arr = np.array(times[100:])
    return {"policy_tick_ms_p50": float(np.percentile(arr, 50)), "policy_tick_ms_p95": float(np.percentile(arr, 95))}


def correction_latency(trials: int, cancels: int = 10) -> dict[str, Any]:
    """Publish a correction, wait for the first ArmCommand that carries it out (other process);
    then cancel running goals and wait for the first hold command."""
    import rclpy
    from rclpy.action import ActionClient

    from robomatrix.action import ExecuteSkill
    from robomatrix.msg import ArmCommand, LanguageMotion, SkillArgument, WorldState

    log_dir = Path(tempfile.mkdtemp())
    procs = [subprocess.Popen([sys.executable, "-m", "robomatrix.nodes", name, "--ros-args", *extra],
                              stdout=open(log_dir / f"{name}.log", "w"), stderr=subprocess.STDOUT)  # noqa: SIM115
             for name, extra in (("hardware", []),
                                 ("skill_server", ["-p", f"intervention_dir:={log_dir}", "-p", "correction_hold:=0.0"]))]
    rclpy.init()
    node = rclpy.create_node("bench_correction")
    cmds: list[tuple[float, Any]] = []
    worlds: list[Any] = []
    node.create_subscription(ArmCommand, "command", lambda m: cmds.append((time.perf_counter(), m)), 100)
    node.create_subscription(WorldState, "observation", worlds.append, 10)
    pub = node.create_publisher(LanguageMotion, "correction", 10)
    client = ActionClient(node, ExecuteSkill, "execute_skill")
    latencies: list[float] = []
    cancel_ms: list[float] = []
    try:
        end = time.monotonic() + 60
        while (not worlds or not client.server_is_ready()) and time.monotonic() < end:
            rclpy.spin_once(node, timeout_sec=0.05)
        goal = ExecuteSkill.Goal(skill="move_to")
        goal.arguments.append(SkillArgument(name="object", type="object", value="bin"))
        fut = client.send_goal_async(goal)
        while not fut.done():
            rclpy.spin_once(node, timeout_sec=0.05)
        # The skill runs once the skill server commands the arm (corrections before that are rightly
        # ignored); its first ticks are slow (first policy queries), so measure from when half a
        # second of commands has come at about the control rate (30 in the last half second).
        end = time.monotonic() + 10
        while time.monotonic() < end:
            rclpy.spin_once(node, timeout_sec=0.01)
            if sum(1 for t, _ in cmds[-40:] if t > time.perf_counter() - 0.5) >= 25:
                break
        for k in range(trials):
            motion, axis, sign = (("move arm up", 2, 1.0), ("move arm down", 2, -1.0))[k % 2]
            n0 = len(cmds)
            t_pub = time.perf_counter()
            pub.publish(LanguageMotion(motion=motion, source="person"))
            seen = None
            while time.perf_counter() - t_pub < 1.0 and seen is None:
                rclpy.spin_once(node, timeout_sec=0.001)
                for t, m in cmds[n0:]:
                    v = (m.ee_twist.linear.x, m.ee_twist.linear.y, m.ee_twist.linear.z)[axis]
                    if sign * v > 0.005:  # the action head scales speed with the state: any motion along the axis counts
                        seen = t
                        break
            if seen is not None:
                latencies.append((seen - t_pub) * 1000)
            t_end = time.monotonic() + 0.35
            while time.monotonic() < t_end:
                rclpy.spin_once(node, timeout_sec=0.01)
        # Cancel -> hold: from the cancel request to the skill server's first hold command (it holds
        # in the cancel callback, before the next control tick). Each trial starts a fresh goal.
        for k in range(cancels):
            if k:  # move between the bin and a block, so the arm is never already there
                goal = ExecuteSkill.Goal(skill="move_to")
                target = "bin" if k % 2 == 0 else next(o.name for o in worlds[-1].objects if o.category == "block")
                goal.arguments.append(SkillArgument(name="object", type="object", value=target))
                fut = client.send_goal_async(goal)
                while not fut.done():
                    rclpy.spin_once(node, timeout_sec=0.01)
                end = time.monotonic() + 5
                while time.monotonic() < end and sum(1 for t, _ in cmds[-20:] if t > time.perf_counter() - 0.3) < 10:
                    rclpy.spin_once(node, timeout_sec=0.01)
            n0 = len(cmds)
            t_cancel = time.perf_counter()
            fut.result().cancel_goal_async()
            held = None
            while time.perf_counter() - t_cancel < 1.0 and held is None:
                rclpy.spin_once(node, timeout_sec=0.001)
                held = next((t for t, m in cmds[n0:] if m.mode == ArmCommand.MODE_HOLD), None)
            if held is not None:
                cancel_ms.append((held - t_cancel) * 1000)
            t_end = time.monotonic() + 0.3
            while time.monotonic() < t_end:
                rclpy.spin_once(node, timeout_sec=0.01)
    finally:
        node.destroy_node()
        rclpy.shutdown()
        for p in procs:
            p.send_signal(signal.SIGINT)
        codes = [p.wait(20) for p in procs]
    arr = np.array(latencies) if latencies else np.array([np.nan])
    canc = np.array(cancel_ms) if cancel_ms else np.array([np.nan])
    return {"correction_to_command_ms_p50": float(np.percentile(arr, 50)),
            "correction_to_command_ms_p95": float(np.percentile(arr, 95)), "trials": len(latencies),
            "cancel_to_hold_ms_p50": float(np.percentile(canc, 50)),
            "cancel_to_hold_ms_max": float(canc.max()), "cancel_trials": len(cancel_ms),
            "control_period_ms": 1000 / 60, "node_exit_codes": codes}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--episodes", type=int, default=50)
    ap.add_argument("--skills", default="all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--demos", default="data/demos", help="demonstrations replayed during fine-tuning")
    ap.add_argument("--quick", action="store_true", help="skip fine-tuning and the cross-process latency")
    ap.add_argument("--rounds", type=int, default=2, help="DAgger rounds of collecting corrections and fine-tuning")
    ap.add_argument("--collect-seed", type=int, default=100,
                    help="first seed of the correction collection (rounds use seed..seed+rounds-1; evaluation "
                         "uses --seed, so keep them apart)")
    ap.add_argument("--merge", action="store_true",
                    help="replace only these skills' rows in the existing JSON (each row keeps its own date)")
    ap.add_argument("--latency-only", action="store_true",
                    help="re-measure only the latencies (on a quiet machine) into the existing JSON")
    ap.add_argument("--finetune-only", action="store_true",
                    help="only the fine-tune column (collect corrections, fine-tune, evaluate) and the RT-H cell it "
                         "starts from; the other cells are skipped")
    ap.add_argument("--out", default=str(HERE / "results" / "skills.json"))
    args = ap.parse_args(argv)
    lib = policy_bench_start()

    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.learning.dagger import dagger_finetune
    from robomatrix.learning.evaluation import SimulatedCorrector, evaluate_skill
    from robomatrix.policies.model import load_policy
    from robomatrix.skills.executor import PolicyController

    if args.latency_only:
        previous = json.loads(Path(args.out).read_text())
        previous["latency"] = {**policy_latency(lib), **correction_latency(20),
                               "date": datetime.now(UTC).isoformat(timespec="seconds")}
        Path(args.out).write_text(json.dumps(annotate_results(previous), indent=2))
        sys.stdout.write(json.dumps(previous["latency"], indent=2) + "\n")
        return 0
    skills = list(lib.names) if args.skills == "all" else args.skills.split(",")
    if abs(args.collect_seed - args.seed) < max(args.rounds, 1):
        ap.error("--collect-seed must be at least --rounds away from --seed (collection and evaluation disjoint)")
    if args.finetune_only and args.quick:
        ap.error("--finetune-only with --quick would measure nothing but the RT-H cell")
    n = args.episodes
    now = datetime.now(UTC).isoformat(timespec="seconds")
    out: dict[str, Any] = {"benchmark": "skills", "date": now, "machine": machine(), "episodes_per_cell": n,
                           "skills": {}}
    if args.merge and Path(args.out).is_file():
        previous = json.loads(Path(args.out).read_text())
        out["skills"] = previous.get("skills", {})
        for row in out["skills"].values():
            row.setdefault("date", previous.get("date"))
        out["latency"] = previous.get("latency")

    def controller(path: Path) -> Any:
        def make(spec: Any) -> Any:
            return PolicyController(load_policy(path, skill=spec.name), tuple(lib.names))
        return make

    work = Path(tempfile.mkdtemp())
    with SimRobot(SimConfig()) as robot:
        for skill in skills:
            spec = lib.get(skill)
            rth, flat = Path(spec.policy_path), Path(spec.policy_path).with_name("policy_flat.pt")
            row: dict[str, Any] = {}
            t0 = time.perf_counter()
            row["rt-h"] = evaluate_skill(skill, controller(rth), n, args.seed, robot=robot, library=lib).to_dict()
            if not args.finetune_only:
                row["flat"] = evaluate_skill(skill, controller(flat), n, args.seed, robot=robot, library=lib,
                                             controller_name="flat").to_dict()
            if skill in UNSEEN_SKILLS and not args.finetune_only:
                row["rt-h_unseen"] = evaluate_skill(skill, controller(rth), n, args.seed, robot=robot, library=lib,
                                                    scene="unseen").to_dict()
            if not args.finetune_only:
                row["rt-h_corrected"] = evaluate_skill(skill, controller(rth), n, args.seed, robot=robot,
                                                       library=lib, corrector=SimulatedCorrector()).to_dict()
            if not args.quick:
                # DAgger: collect corrected episodes on *other* seeds with the simulated person, fine-tune the
                # language-motion head on them (replaying the demonstrations so a few corrections do not wash
                # out what they taught), collect again with the fine-tuned policy, fine-tune on the aggregate;
                # then evaluate on the held-out evaluation seeds without corrections.
                policy, report = dagger_finetune(
                    skill, rth, robot=robot, out_dir=work / skill, rounds=args.rounds, episodes=n,
                    seed=args.collect_seed, replay=sorted(Path(args.demos).glob(f"{skill}*.mcap")), library=lib,
                )  # fmt: skip
                row["interventions_collected"] = {
                    "rounds": report["rounds"], "episodes": sum(r["episodes"] for r in report["rounds"]),
                    "corrections": sum(r["corrections"] for r in report["rounds"]),
                    "collect_seeds": [r["seed"] for r in report["rounds"]]}
                if any("person_steps" in r for r in report["rounds"]):
                    tuned = work / f"{skill}-finetuned.pt"
                    policy.save(tuned)
                    row["rt-h_finetuned"] = evaluate_skill(skill, controller(tuned), n, args.seed, robot=robot,
                                                           library=lib, controller_name="rt-h finetuned").to_dict()
            row["context"] = list(load_policy(rth, skill=skill).config.context)
            row["date"] = now
            row["wall_s"] = round(time.perf_counter() - t0, 1)
            out["skills"][skill] = row
            sys.stdout.write(f"{skill}: " + ", ".join(
                f"{k} {v['success_rate']:.0%}" for k, v in row.items() if isinstance(v, dict) and "success_rate" in v)
                + "\n")
            sys.stdout.flush()
    if not args.merge or not out.get("latency"):
        out["latency"] = policy_latency(lib)
        if not args.quick:
            out["latency"].update(correction_latency(20))
    out["latency"]["push_policy_tick_ms_p95"] = policy_latency(lib, skill="push")["policy_tick_ms_p95"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(annotate_results(out), indent=2))
    sys.stdout.write(json.dumps(out["latency"], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
