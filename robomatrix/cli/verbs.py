"""Small CLI verbs that talk to a running stack."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from robomatrix.cli.ros_client import RosClient

SCHEDULER_SILENT_S = 3.0  # s without the scheduler's heartbeat before `robomatrix task` gives up on it


def format_world_state(msg: object) -> str:
    """One readable block for a robomatrix/WorldState."""
    m = msg  # typed loosely: the generated class is imported lazily
    p = m.ee_pose.position  # type: ignore[attr-defined]
    lines = [
        f"t={m.header.stamp.sec + m.header.stamp.nanosec * 1e-9:.2f}s  "  # type: ignore[attr-defined]
        f"ee=({p.x:+.3f}, {p.y:+.3f}, {p.z:+.3f}) m  gripper={m.gripper_width * 1000:.1f} mm"  # type: ignore[attr-defined]
        f"{' closed' if m.gripper_closed else ''}"  # type: ignore[attr-defined]
        f"{'  holding ' + m.held_object_id if m.held_object_id else ''}",  # type: ignore[attr-defined]
        f"estop={'ENGAGED' if m.estopped else 'off'}  watchdog={'holding' if m.watchdog_holding else 'ok'}  "  # type: ignore[attr-defined]
        f"rejected_commands={m.rejected_commands}",  # type: ignore[attr-defined]
    ]
    for o in m.objects:  # type: ignore[attr-defined]
        q = o.pose.position
        lines.append(f"  {o.id:<18} {o.name:<16} ({q.x:+.3f}, {q.y:+.3f}, {q.z:+.3f}) [{o.source}]")
    return "\n".join(lines)


def status(args: argparse.Namespace) -> int:
    from robomatrix.msg import WorldState

    with RosClient(args.namespace) as c:
        msg = c.wait_for_message(WorldState, "observation", timeout=args.timeout)
    sys.stdout.write(format_world_state(msg) + "\n")
    return 0


def estop(args: argparse.Namespace) -> int:
    from std_srvs.srv import SetBool

    with RosClient(args.namespace) as c:
        res = c.call(SetBool, "estop", SetBool.Request(data=not args.release), timeout=args.timeout)
    sys.stdout.write(res.message + "\n")
    return 0 if res.success else 1


def reset(args: argparse.Namespace) -> int:
    from robomatrix.srv import Reset

    with RosClient(args.namespace) as c:
        res = c.call(Reset, "reset", Reset.Request(seed=args.seed, scene=args.scene), timeout=args.timeout)
    (sys.stdout if res.success else sys.stderr).write(res.message + "\n")
    return 0 if res.success else 1



def launch(args: argparse.Namespace) -> int:
    from robomatrix.launcher.runner import launch as run_launch
    from robomatrix.launcher.runner import parse_launch_args

    return run_launch(args.file, parse_launch_args(args.launch_args), use_ros2_launch=False if args.local else None)


def skills(args: argparse.Namespace) -> int:
    """List the skills: from the running skill server, or (--offline) from the library on disk."""
    if args.offline:
        from robomatrix.skills.spec import load_skill_library

        lib = load_skill_library()
        rows = [(lib.get(n).signature, " ".join(lib.get(n).description.split())) for n in lib.names]
    else:
        from robomatrix.srv import ListSkills

        with RosClient(args.namespace) as c:
            res = c.call(ListSkills, "list_skills", ListSkills.Request(), timeout=args.timeout)
        rows = list(zip(res.names, res.descriptions, strict=True))
    for signature, description in rows:
        sys.stdout.write(f"{signature}\n    {description}\n")
    return 0


def correct(args: argparse.Namespace) -> int:
    """Send a person's language motion to the running skill."""
    import time

    from robomatrix.msg import LanguageMotion
    from robomatrix.policies.language_motion import parse_motion

    motion = parse_motion(" ".join(args.motion))  # raises with the list of valid motions
    with RosClient(args.namespace) as c:
        pub = c.node.create_publisher(LanguageMotion, c.topic("correction"), 10)
        deadline = time.monotonic() + args.timeout
        while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
            c.spin_once(0.05)
        if pub.get_subscription_count() == 0:
            from robomatrix.cli.ros_client import StackNotRunningError

            raise StackNotRunningError(f"no skill server listens on {c.topic('correction')}; is the stack running?")
        msg = LanguageMotion(motion=motion, source=LanguageMotion.SOURCE_PERSON)
        msg.header.stamp = c.node.get_clock().now().to_msg()
        pub.publish(msg)
        c.spin_once(0.2)  # let it go out before the node is destroyed
    sys.stdout.write(f"sent correction: {motion}\n")
    return 0


def task(args: argparse.Namespace) -> int:
    """Send a task to the scheduler and stream its feedback until it ends (Ctrl-C cancels it)."""
    import time

    from rclpy.action import ActionClient
    from std_msgs.msg import Bool, String

    from robomatrix.action import ExecuteTask
    from robomatrix.cli.ros_client import StackNotRunningError

    text = " ".join(args.text)
    with RosClient(args.namespace) as c:
        client = ActionClient(c.node, ExecuteTask, c.topic("execute_task"))
        if not client.wait_for_server(timeout_sec=args.timeout):
            raise StackNotRunningError(f"no scheduler serves {c.topic('execute_task')}; is the stack running?")
        last: dict[str, object] = {"step": None, "motion": None, "goal": None}
        approvals = c.node.create_publisher(Bool, c.topic("task_approval"), 10) if args.confirm else None

        def on_feedback(msg: object) -> None:
            fb = msg.feedback  # type: ignore[attr-defined]
            if fb.goal and fb.goal != last["goal"]:
                last["goal"] = fb.goal
                sys.stdout.write(f"goal: {fb.goal}\n")
            if fb.awaiting_approval and approvals is not None:
                sys.stdout.write("plan:\n" + "".join(f"  {i + 1}. {line}\n" for i, line in enumerate(fb.plan)))
                answer = input("approve this plan? [y/N] ").strip().lower()
                approvals.publish(Bool(data=answer in ("y", "yes")))
                return
            if fb.current_step != last["step"] and fb.current_step >= 0:
                last["step"] = fb.current_step
                sys.stdout.write(f"step {fb.current_step + 1}/{len(fb.plan)}: {fb.plan[fb.current_step]}\n")
            if fb.language_motion and fb.language_motion != last["motion"]:
                last["motion"] = fb.language_motion
                sys.stdout.write(f"    {fb.language_motion} ({fb.source})\n")

        # The scheduler's heartbeat (scheduler_alive, 5 Hz): after a kill -9 DDS keeps a dead
        # server listed for ~20 s and no result ever comes, so silence is how its death shows.
        beats: list[float] = []
        c.node.create_subscription(String, c.topic("scheduler_alive"), lambda _m: beats.append(time.monotonic()), 10)

        def scheduler_gone() -> str:
            now = time.monotonic()
            if beats and now - beats[-1] > SCHEDULER_SILENT_S:
                return f"no heartbeat on {c.topic('scheduler_alive')} for {now - beats[-1]:.1f} s"
            if not client.server_is_ready():
                return f"{c.topic('execute_task')} left the ROS graph"
            return ""

        handle: Any = None
        result: Any = None
        gone_since: float | None = None
        try:
            handle = c.send_goal(client, ExecuteTask.Goal(task=text, confirm=bool(args.confirm)), on_feedback)
            if not handle.accepted:
                sys.stdout.write("failed: the scheduler rejected the task\n")
                return 1
            result = handle.get_result_async()
            while not result.done():
                c.spin_once(0.05)
                why = scheduler_gone()
                gone_since = (gone_since or time.monotonic()) if why else None
                # With heartbeats their silence is the proof; without (an older scheduler) the graph
                # must say so for a while (it can lag under load).
                if why and time.monotonic() - gone_since >= (0.0 if beats else SCHEDULER_SILENT_S):
                    sys.stderr.write(
                        f"robomatrix task: the scheduler stopped while the task ran ({why}): it was killed or froze. "
                        "The task's outcome is unknown; the skill server holds the arm when its scheduler falls "
                        "silent. Check `robomatrix status`, restart the stack (or launch with respawn:=true), "
                        "then give the task again.\n")
                    return 3
        except KeyboardInterrupt:
            if handle is None:
                return 130
            handle.cancel_goal_async()
            end = time.monotonic() + 5.0
            while not result.done() and time.monotonic() < end:
                c.spin_once(0.05)
            sys.stdout.write("canceled\n")
            return 130
        res = result.result().result
    sys.stdout.write(("done: " if res.success else "failed: ") + res.summary + "\n")
    for pred, holds, why in zip(res.goal_predicates, res.goal_holds, res.goal_reasons, strict=False):
        sys.stdout.write(f"  {pred}: {'holds' if holds else 'does not hold: ' + why}\n")
    return 0 if res.success else 1


def plan(args: argparse.Namespace) -> int:
    """Print the goal and the plan for a task; nothing moves. Against the running stack's world,
    or offline against a world file (``--world``: a YAML list of objects with id, name, category,
    colour and position, or bench/data/eval_worlds.yaml with ``--world-key``)."""
    text = " ".join(args.text)
    if args.world:
        return _plan_offline(text, args)
    from rclpy.action import ActionClient

    from robomatrix.action import ExecuteTask
    from robomatrix.cli.ros_client import StackNotRunningError

    with RosClient(args.namespace) as c:
        client = ActionClient(c.node, ExecuteTask, c.topic("execute_task"))
        if not client.wait_for_server(timeout_sec=args.timeout):
            raise StackNotRunningError(f"no scheduler serves {c.topic('execute_task')}; is the stack running?")
        result = c.send_goal(client, ExecuteTask.Goal(task=text, plan_only=True), timeout=args.timeout + 30.0
                             ).get_result_async()
        while not result.done():
            c.spin_once(0.05)
        res = result.result().result
    if not res.success:
        sys.stdout.write(res.summary + "\n")
        return 1
    _print_plan(res.goal, list(res.goal_predicates), list(res.plan))
    return 0


def _print_plan(goal: str, predicates: list[str], lines: list[str]) -> None:
    sys.stdout.write(f"goal: {goal}\n" + "".join(f"  {p}\n" for p in predicates))
    sys.stdout.write("plan (nothing moved):\n" + "".join(f"  {i + 1}. {line}\n" for i, line in enumerate(lines)))


def _plan_offline(text: str, args: argparse.Namespace) -> int:
    from pathlib import Path

    import yaml

    from robomatrix.errors import ConfigError
    from robomatrix.scheduler.planner import Planner, PlanRefused, load_planner_config
    from robomatrix.scheduler.tree import step_text

    try:
        data = yaml.safe_load(Path(args.world).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"--world {args.world}: cannot read it ({e}); fix: a YAML list of objects") from e
    if isinstance(data, dict) and "worlds" in data:
        if args.world_key not in data["worlds"]:
            raise ConfigError(f"--world-key {args.world_key!r} is not in {args.world}; "
                              f"use one of {', '.join(sorted(data['worlds']))}")
        data = data["worlds"][args.world_key]
    objects = data.get("objects") if isinstance(data, dict) else data
    if not isinstance(objects, list) or not all(isinstance(o, dict) and "id" in o for o in objects):
        raise ConfigError(f"--world {args.world}: needs a list of objects with id, name, category, colour, position")
    planner = Planner.from_config(load_planner_config(args.planner_config or None))
    try:
        p = planner.plan(text, objects)
    except PlanRefused as e:
        sys.stdout.write(f"refused ({e.kind}): {e.reason}\n")
        return 1
    _print_plan(p.goal_text, [a.to_text() for a in p.goal], [step_text(s.skill, s.args) for s in p.steps])
    return 0
