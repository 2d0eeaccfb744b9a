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


def parse_launch_args(items: list[str]) -> dict[str, str]:
    """``["robot:=sim", "gui:=true"]`` → dict; anything else is an error naming the item."""
    from robomatrix.errors import LaunchFileError

    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":=")
        if not sep or not name:
            raise LaunchFileError(f"launch argument {item!r} must look like name:=value (e.g. robot:=sim)")
        out[name] = value
    return out


def resolve_launch_file(name: str) -> str:
    """A path as given, or a file name inside the package's launch/ folder."""
    from pathlib import Path

    from robomatrix.config import project_share_dir
    from robomatrix.errors import LaunchFileError

    p = Path(name)
    if p.is_file():
        return str(p)
    candidate = project_share_dir() / "launch" / name
    if candidate.is_file():
        return str(candidate)
    available = sorted(f.name for f in (project_share_dir() / "launch").glob("*.launch.*"))
    raise LaunchFileError(f"launch file {name!r} not found as a path or in launch/; available: {available}")


def launch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from robomatrix.launcher.runner import delegate_to_ros2_launch, ros2_launch_available, run_launch_file

    launch_args = parse_launch_args(args.launch_args)
    if not args.local and ros2_launch_available():
        # Installed ROS 2: the real `ros2 launch` reads the same file.
        return delegate_to_ros2_launch(Path(args.file).name if not Path(args.file).is_file() else args.file,
                                       launch_args, package=None if Path(args.file).is_file() else "robomatrix")
    return run_launch_file(resolve_launch_file(args.file), launch_args)
