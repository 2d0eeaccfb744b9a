"""The ``robomatrix`` command: one entry point with verbs.

Every verb's ``--help`` ends with a copy-pasteable example.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable

from robomatrix.errors import RobomatrixError

Handler = Callable[[argparse.Namespace], int]


def _lazy(module: str, function: str) -> Handler:
    """The handler ``module.function``, imported when its verb runs: ``robomatrix --help`` and
    each verb load only what they need (no rclpy, torch or pybullet up front)."""

    def handler(args: argparse.Namespace) -> int:
        run: Handler = getattr(importlib.import_module(module), function)
        return run(args)

    return handler


_VERBS = "robomatrix.cli.verbs"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="robomatrix",
        description="Command a robot in plain language: skill-centric agent on ROS 2.",
        epilog="example:\n  robomatrix demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    def verb(name: str, handler: Handler, help_text: str, example: str) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help_text, description=help_text, epilog=f"example:\n  {example}",
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(handler=handler)
        return p

    p = verb("launch", _lazy(_VERBS, "launch"), "start the robot stack from a launch file (ros2 launch when installed)",
             "robomatrix launch robomatrix.launch.xml robot:=sim gui:=false")
    p.add_argument("file", nargs="?", default="robomatrix.launch.xml",
                   help="launch file: a path, or a name in the package's launch/ folder")
    p.add_argument("launch_args", nargs="*", metavar="NAME:=VALUE", help="launch arguments")
    p.add_argument("--local", action="store_true", help="use the built-in runner even if ros2 launch exists")

    p = verb("demo", _lazy("robomatrix.cli.demo", "run_demo"), "run the whole stack on the embedded defaults: a plain-language task, "
             "one correction, an animation and a JSON summary", "robomatrix demo --out out/demo --seed 0")
    p.add_argument("--out", default="out/demo", help="folder for the camera frame and the JSON summary")
    p.add_argument("--seed", type=int, default=0, help="scene seed")
    p.add_argument("--gui", action="store_true", help="open the PyBullet window")
    p.add_argument("--task", default="", help="task text; default: a block-in-bowl task for the scene")
    p.add_argument("--controller", default="policy", choices=["policy", "oracle"],
                   help="skill controller: trained policies, or the scripted oracle")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the task")
    p.add_argument("--truth", action="store_true",
                   help="the planner and the skills see the simulator's own objects (launch argument "
                        "perception:=false) instead of those perceived from the RGB-D camera (the default since "
                        "trained skills with perception succeed as often as on truth: README, Benchmarks)")
    p.add_argument("--perception", action="store_true",
                   help="perceived objects (the default; kept so that older command lines still work)")
    p.add_argument("--waypoints", action="store_true", help="hardware only: drive the arm through waypoints")

    def stack_verb(name: str, help_text: str, example: str, waits_for: str = "the stack",
                   timeout: float = 5.0) -> argparse.ArgumentParser:
        """A verb of :mod:`robomatrix.cli.verbs` that talks to a running stack over ROS."""
        p = verb(name, _lazy(_VERBS, name), help_text, example)
        p.add_argument("--namespace", default="", help="robot namespace")
        p.add_argument("--timeout", type=float, default=timeout, help=f"seconds to wait for {waits_for}")
        return p

    stack_verb("status", "print the robot's current observation", "robomatrix status --namespace robot1")
    p = stack_verb("estop", "engage (or --release) the latching e-stop",
                   "robomatrix estop   # then: robomatrix estop --release")
    p.add_argument("--release", action="store_true", help="release the e-stop instead of engaging it")
    p = stack_verb("reset", "reset the simulated scene with a seed", "robomatrix reset --seed 7 --scene tabletop")
    p.add_argument("--seed", type=int, required=True, help="0 <= seed < 2**32")
    p.add_argument("--scene", default="", help="scene name from config/scenes (not a path); empty keeps the current one")
    p = stack_verb("skills", "list the skills the skill server can run", "robomatrix skills --offline")
    p.add_argument("--offline", action="store_true", help="read the skill library from disk, no running stack")

    from robomatrix.cli.learn import add_verbs

    add_verbs(verb)

    p = stack_verb("task", "give the robot a task in plain language and stream the feedback (exit 0 done, 1 failed, "
                   "3 the scheduler stopped mid-task, 130 Ctrl-C)",
                   'robomatrix task "put the red block in the green bowl"', "the scheduler", timeout=10.0)
    p.add_argument("text", nargs="+", help="the task")
    p.add_argument("--confirm", action="store_true", help="show the goal and the plan and ask before anything moves")
    p = stack_verb("plan", "print the goal and the plan for a task; nothing moves",
                   'robomatrix plan "put the red block in the green bowl" --world bench/data/eval_worlds.yaml '
                   '--world-key tabletop/1101', "the scheduler", timeout=10.0)
    p.add_argument("text", nargs="+", help="the task")
    p.add_argument("--world", default="", help="plan offline against this world file instead of the running stack")
    p.add_argument("--world-key", default="", help="with an eval_worlds.yaml-style file: which world")
    p.add_argument("--planner-config", default="", help="planner.yaml for --world (default: config/planner.yaml)")
    p = stack_verb("correct", "correct the running skill with a language motion (or 'resume')",
                   'robomatrix correct "move arm up"', "the skill server")
    p.add_argument("motion", nargs="+", help='a language motion, e.g. "move arm left", "close gripper", "resume"')
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:  # per-episode resets and connects would drown progress bars
        for name in ("robomatrix.hardware.sim", "robomatrix.policies"):
            logging.getLogger(name).setLevel(logging.WARNING)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except RobomatrixError as e:
        sys.stderr.write(f"robomatrix {args.verb}: error: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
