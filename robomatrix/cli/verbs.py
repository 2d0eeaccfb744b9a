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
