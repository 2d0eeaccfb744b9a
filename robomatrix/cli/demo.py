"""``robomatrix demo``: the stack on the embedded defaults, shown working.

Default: the whole system end to end (:func:`run_task_demo`): the launch file starts the
simulated robot, the skill server and the scheduler with the embedded planner; a task in
plain language runs while the feedback streams; one language-motion correction is sent in
the middle of a skill; the camera view is saved as a GIF and the run as JSON. Exits 0 when
the task succeeded and every node stopped cleanly.

``--waypoints`` (:func:`run_demo`): the hardware layer alone, driven through waypoints.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from robomatrix.errors import RobomatrixError


def _pos(msg: Any) -> np.ndarray:
    p = msg.ee_pose.position
    return np.array([p.x, p.y, p.z])


def plan_waypoints(world: Any) -> list[tuple[str, np.ndarray]]:
    """Hover 15 cm above up to three objects, then come back to the start."""
    start = _pos(world)
    points = []
    for o in list(world.objects)[:3]:
        q = o.pose.position
        points.append((f"above {o.name}", np.array([q.x, q.y, max(q.z + 0.15, 0.15)])))
    points.append(("back to start", start))
    return points


def run_demo(args: argparse.Namespace) -> int:
    if not getattr(args, "waypoints", False):
        return run_task_demo(args)
    return run_waypoint_demo(args)


def choose_task(world: Any) -> tuple[str, str, str]:
    """A two-object task for the objects present: (text, block id, bowl id)."""
    blocks = [o for o in world.objects if o.category == "block"]
    bowls = [o for o in world.objects if o.category == "bowl"]
    if not blocks or not bowls:
        raise RobomatrixError("the scene has no block and bowl for the demo task; try another --seed")
    block = blocks[0]
    bowl = next((b for b in bowls if b.colour != block.colour), bowls[0])
    return f"put the {block.colour} block in the {bowl.colour} bowl", block.id, bowl.id


def block_in_bowl(world: Any, block_id: str, bowl_id: str) -> bool:
    """The task's goal, checked on the final world (not just "every skill succeeded")."""
    from robomatrix.nodes.common import msg_to_observation
    from robomatrix.skills.conditions import evaluate
    from robomatrix.skills.spec import Condition

    return evaluate(Condition("on", ("$a", "$b")), {"a": block_id, "b": bowl_id}, msg_to_observation(world))


def run_task_demo(args: argparse.Namespace) -> int:
    from rclpy.action import ActionClient
    from sensor_msgs.msg import Image

    from robomatrix.action import ExecuteTask
    from robomatrix.cli.ros_client import RosClient
    from robomatrix.launcher import parse_launch_file
    from robomatrix.launcher.runner import LaunchRunner, resolve_launch_file
    from robomatrix.msg import LanguageMotion, WorldState
    from robomatrix.srv import Reset

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    say = sys.stdout.write
    description = parse_launch_file(resolve_launch_file("robomatrix.launch.xml"), {
        "robot": "sim", "gui": "true" if args.gui else "false", "start_skill_server": "true",
        "start_scheduler": "true", "skill_controller": args.controller,
        "perception": "false" if getattr(args, "truth", False) else "true"})
    summary: dict[str, Any] = {"seed": args.seed, "ok": False, "feedback": [], "corrections": [],
                               "objects_from": "simulator" if getattr(args, "truth", False) else "perception"}
    frames: list[np.ndarray] = []
    t_start = time.monotonic()
    with LaunchRunner(description) as runner, RosClient() as ros:
        ros.wait_for_message(WorldState, "observation", timeout=90.0)
        res = ros.call(Reset, "reset", Reset.Request(seed=args.seed, scene=""), timeout=10.0)
        if not res.success:
            raise RobomatrixError(f"reset failed: {res.message}")
        world = ros.wait_for_message(WorldState, "observation", timeout=10.0)
        task, block_id, bowl_id = choose_task(world)
        task = args.task or task
        summary["task"] = task
        if not getattr(args, "truth", False):
            # The scheduler plans on what perception sees: wait for a fresh perceived world after the reset
            # (on a loaded machine the first camera frame can come a second later) that shows the task's objects.
            names = {f"{o.colour} {o.category}" for o in world.objects if o.id in (block_id, bowl_id)}
            fresh = ros.wait_for_message(
                WorldState, "perception/observation", timeout=30.0,
                until=lambda m: not m.perception_stale and names <= {f"{o.colour} {o.category}" for o in m.objects})
            if fresh is None:
                say("perception does not see the task's objects yet after 30 s; sending the task anyway\n")

        def on_image(img: Any) -> None:
            frames.append(np.frombuffer(bytes(img.data), dtype=np.uint8).reshape(img.height, img.width, 3))

        ros.node.create_subscription(Image, "camera/image_raw", on_image, 5)
        correction_pub = ros.node.create_publisher(LanguageMotion, "correction", 10)
        client = ActionClient(ros.node, ExecuteTask, "execute_task")
        if not client.wait_for_server(timeout_sec=90.0):
            raise RobomatrixError("the scheduler's execute_task server did not come up; see the [scheduler] lines")
        state: dict[str, Any] = {"step": -2, "motion": "", "corrected": False}

        def on_feedback(msg: Any) -> None:
            fb = msg.feedback
            if fb.current_step != state["step"] and fb.current_step >= 0:
                state["step"] = fb.current_step
                say(f"step {fb.current_step + 1}/{len(fb.plan)}: {fb.plan[fb.current_step]}\n")
                if fb.current_step == 0:
                    say("plan:\n" + "\n".join(f"  {i + 1}. {p}" for i, p in enumerate(fb.plan)) + "\n")
                    say(fb.tree + "\n")
            if fb.language_motion and fb.language_motion != state["motion"]:
                state["motion"] = fb.language_motion
                say(f"    language motion: {fb.language_motion} ({fb.source})\n")
            if fb.current_step == 0 and fb.source == "policy" and "first_skill_since" not in state:
                state["first_skill_since"] = time.monotonic()  # the skill server is executing
            summary["feedback"].append({"t": round(time.monotonic() - t_start, 2), "step": fb.current_step,
                                        "skill": fb.current_skill, "motion": fb.language_motion,
                                        "source": fb.source})

        def maybe_correct() -> None:
            # One correction, 0.5 s into the first skill, as a person would: "move arm up".
            since = state.get("first_skill_since")
            if state["corrected"] or since is None or state["step"] != 0 or time.monotonic() - since < 0.5:
                return
            state["corrected"] = True
            correction_pub.publish(LanguageMotion(motion="move arm up", source="person"))
            summary["corrections"].append({"t": round(time.monotonic() - t_start, 2), "motion": "move arm up"})
            say("    >>> person corrects: move arm up\n")

        say(f"task: {task}\n")
        # the correction goes out on time even while a lost acceptance reply is waited out
        handle = ros.send_goal(client, ExecuteTask.Goal(task=task), on_feedback, while_waiting=maybe_correct)
        result_future = handle.get_result_async()
        deadline = time.monotonic() + args.timeout
        while not result_future.done() and time.monotonic() < deadline:
            ros.spin_once(0.05)
            maybe_correct()
        if not result_future.done():
            handle.cancel_goal_async()
            ros.spin_once(0.5)
            summary["result"] = {"success": False, "summary": f"no result within {args.timeout:g} s"}
        else:
            result = result_future.result().result
            summary["result"] = {"success": bool(result.success), "summary": result.summary}
        say(f"result: {'SUCCESS' if summary['result']['success'] else 'FAILED'}: {summary['result']['summary']}\n")
        settle = time.monotonic() + 1.5  # let what was released come to rest
        while time.monotonic() < settle:
            ros.spin_once(0.05)
        final = ros.wait_for_message(WorldState, "observation", timeout=5.0)
        if not args.task:
            summary["goal_reached"] = block_in_bowl(final, block_id, bowl_id)
            say(f"goal check: {block_id} {'is' if summary['goal_reached'] else 'is NOT'} in {bowl_id}\n")
        summary["final_objects"] = {o.id: [round(o.pose.position.x, 3), round(o.pose.position.y, 3),
                                           round(o.pose.position.z, 3)] for o in final.objects}
        code = runner.shutdown()
    summary["nodes_exit_code"] = code
    summary["seconds"] = round(time.monotonic() - t_start, 1)
    if frames:
        from PIL import Image as PILImage

        images = [PILImage.fromarray(f) for f in frames[::2]]
        images[0].save(out / "camera.gif", save_all=True, append_images=images[1:], duration=170, loop=0)
        summary["animation"] = str(out / "camera.gif")
        say(f"camera animation saved to {out / 'camera.gif'} ({len(images)} frames)\n")
    summary["ok"] = bool(summary["result"]["success"] and code == 0 and summary["corrections"]
                         and summary.get("goal_reached", True))
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    say(f"summary written to {out / 'summary.json'}: {'OK' if summary['ok'] else 'FAILED'}\n")
    return 0 if summary["ok"] else 1


def run_waypoint_demo(args: argparse.Namespace) -> int:
    from sensor_msgs.msg import Image

    from robomatrix.cli.ros_client import RosClient
    from robomatrix.cli.verbs import format_world_state
    from robomatrix.hardware.interface import Action
    from robomatrix.launcher import parse_launch_file
    from robomatrix.launcher.runner import LaunchRunner, resolve_launch_file
    from robomatrix.msg import ArmCommand, WorldState
    from robomatrix.nodes.common import action_to_command
    from robomatrix.srv import Reset

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    say = sys.stdout.write
    description = parse_launch_file(resolve_launch_file("robomatrix.launch.xml"),
                                    {"robot": "sim", "gui": "true" if args.gui else "false",
                                     "start_skill_server": "false", "start_scheduler": "false"})
    summary: dict[str, Any] = {"seed": args.seed, "waypoints": [], "ok": False}
    with LaunchRunner(description) as runner, RosClient() as ros:
        world = ros.wait_for_message(WorldState, "observation", timeout=60.0)
        res = ros.call(Reset, "reset", Reset.Request(seed=args.seed, scene=""), timeout=10.0)
        if not res.success:
            raise RobomatrixError(f"reset failed: {res.message}")
        worlds: list[Any] = []
        images: list[Any] = []
        ros.node.create_subscription(WorldState, "observation", worlds.append, 10)
        ros.node.create_subscription(Image, "camera/image_raw", images.append, 2)
        pub = ros.node.create_publisher(ArmCommand, "command", 10)
        deadline = time.monotonic() + 10.0
        while (not worlds or pub.get_subscription_count() == 0) and time.monotonic() < deadline:
            ros.spin_once(0.05)
        world = worlds[-1] if worlds else world
        say("world after reset:\n" + format_world_state(world) + "\n")
        period = 1.0 / 60.0
        for label, target in plan_waypoints(world):
            t0 = time.monotonic()
            reached = False
            last_print = 0.0
            cmd = action_to_command(Action(mode="target", target_position=target))
            while time.monotonic() - t0 < 12.0:
                pub.publish(cmd)
                ros.spin_once(period)
                err = float(np.linalg.norm(_pos(worlds[-1]) - target))
                if time.monotonic() - last_print > 1.0:
                    say(f"  -> {label}: {err * 100:.1f} cm to go\n")
                    last_print = time.monotonic()
                if err < 0.01:
                    reached = True
                    break
            took = time.monotonic() - t0
            say(f"waypoint {label!r}: {'reached' if reached else 'NOT reached'} in {took:.1f} s\n")
            summary["waypoints"].append({"label": label, "target": target.round(4).tolist(),
                                         "reached": reached, "seconds": round(took, 2)})
        # stop commanding: the watchdog must hold the arm
        ros_hold_end = time.monotonic() + 1.0
        while time.monotonic() < ros_hold_end:
            ros.spin_once(0.05)
        summary["watchdog_holding_after_commands_stop"] = bool(worlds[-1].watchdog_holding)
        if images:
            from PIL import Image as PILImage

            img = images[-1]
            arr = np.frombuffer(bytes(img.data), dtype=np.uint8).reshape(img.height, img.width, 3)
            PILImage.fromarray(arr).save(out / "camera.png")
            summary["camera_frame"] = str(out / "camera.png")
            say(f"camera frame saved to {out / 'camera.png'} ({img.width}x{img.height})\n")
        say("final state:\n" + format_world_state(worlds[-1]) + "\n")
        code = runner.shutdown()
    summary["nodes_exit_code"] = code
    summary["ok"] = (code == 0 and all(w["reached"] for w in summary["waypoints"]) and "camera_frame" in summary
                     and summary["watchdog_holding_after_commands_stop"])
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    say(f"summary written to {out / 'summary.json'}: {'OK' if summary['ok'] else 'FAILED'}\n")
    return 0 if summary["ok"] else 1
