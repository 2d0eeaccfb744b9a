"""Small CLI verbs that talk to a running stack."""

from __future__ import annotations

import argparse
import sys

from robomatrix.cli.ros_client import RosClient


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

    from robomatrix.action import ExecuteTask
    from robomatrix.cli.ros_client import StackNotRunningError

    text = " ".join(args.text)
    with RosClient(args.namespace) as c:
        client = ActionClient(c.node, ExecuteTask, c.topic("execute_task"))
        if not client.wait_for_server(timeout_sec=args.timeout):
            raise StackNotRunningError(f"no scheduler serves {c.topic('execute_task')}; is the stack running?")
        last: dict[str, object] = {"step": None, "motion": None}

        def on_feedback(msg: object) -> None:
            fb = msg.feedback  # type: ignore[attr-defined]
            if fb.current_step != last["step"] and fb.current_step >= 0:
                last["step"] = fb.current_step
                sys.stdout.write(f"step {fb.current_step + 1}/{len(fb.plan)}: {fb.plan[fb.current_step]}\n")
            if fb.language_motion and fb.language_motion != last["motion"]:
                last["motion"] = fb.language_motion
                sys.stdout.write(f"    {fb.language_motion} ({fb.source})\n")

        goal = client.send_goal_async(ExecuteTask.Goal(task=text), feedback_callback=on_feedback)
        while not goal.done():
            c.spin_once(0.05)
        handle = goal.result()
        result = handle.get_result_async()
        try:
            while not result.done():
                c.spin_once(0.05)
        except KeyboardInterrupt:
            handle.cancel_goal_async()
            end = time.monotonic() + 5.0
            while not result.done() and time.monotonic() < end:
                c.spin_once(0.05)
            sys.stdout.write("canceled\n")
            return 130
        res = result.result().result
    sys.stdout.write(("done: " if res.success else "failed: ") + res.summary + "\n")
    return 0 if res.success else 1
