"""The ``robomatrix`` command: one entry point with verbs.

Every verb's ``--help`` ends with a copy-pasteable example.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from robomatrix.errors import RobomatrixError

Handler = Callable[[argparse.Namespace], int]


def _launch(args: argparse.Namespace) -> int:
    from robomatrix.cli.verbs import launch

    return launch(args)


def _demo(args: argparse.Namespace) -> int:
    from robomatrix.cli.demo import run_demo

    return run_demo(args)


def _status(args: argparse.Namespace) -> int:
    from robomatrix.cli.verbs import status

    return status(args)


def _estop(args: argparse.Namespace) -> int:
    from robomatrix.cli.verbs import estop

    return estop(args)


def _reset(args: argparse.Namespace) -> int:
    from robomatrix.cli.verbs import reset

    return reset(args)


def _skills(args: argparse.Namespace) -> int:
    from robomatrix.cli.verbs import skills

    return skills(args)


def _task(args: argparse.Namespace) -> int:
    from robomatrix.cli.verbs import task

    return task(args)


def _correct(args: argparse.Namespace) -> int:
    from robomatrix.cli.verbs import correct

    return correct(args)


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

    p = verb("launch", _launch, "start the robot stack from a launch file (ros2 launch when installed)",
             "robomatrix launch robomatrix.launch.xml robot:=sim gui:=false")
    p.add_argument("file", nargs="?", default="robomatrix.launch.xml",
                   help="launch file: a path, or a name in the package's launch/ folder")
    p.add_argument("launch_args", nargs="*", metavar="NAME:=VALUE", help="launch arguments")
    p.add_argument("--local", action="store_true", help="use the built-in runner even if ros2 launch exists")

    p = verb("demo", _demo, "run the whole stack on the embedded defaults: a plain-language task, "
             "one correction, an animation and a JSON summary", "robomatrix demo --out out/demo --seed 0")
    p.add_argument("--out", default="out/demo", help="folder for the camera frame and the JSON summary")
    p.add_argument("--seed", type=int, default=0, help="scene seed")
    p.add_argument("--gui", action="store_true", help="open the PyBullet window")
    p.add_argument("--task", default="", help="task text; default: a block-in-bowl task for the scene")
    p.add_argument("--controller", default="policy", choices=["policy", "oracle"],
                   help="skill controller: trained policies, or the scripted oracle")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the task")
    p.add_argument("--waypoints", action="store_true", help="hardware only: drive the arm through waypoints")

    p = verb("status", _status, "print the robot's current observation", "robomatrix status --namespace robot1")
    p.add_argument("--namespace", default="", help="robot namespace")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the stack")

    p = verb("estop", _estop, "engage (or --release) the latching e-stop", "robomatrix estop   # then: robomatrix estop --release")
    p.add_argument("--release", action="store_true", help="release the e-stop instead of engaging it")
    p.add_argument("--namespace", default="", help="robot namespace")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the stack")

    p = verb("reset", _reset, "reset the simulated scene with a seed", "robomatrix reset --seed 7 --scene tabletop")
    p.add_argument("--seed", type=int, required=True, help="0 <= seed < 2**32")
    p.add_argument("--scene", default="", help="scene name from config/scenes (not a path); empty keeps the current one")
    p.add_argument("--namespace", default="", help="robot namespace")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the stack")

    p = verb("skills", _skills, "list the skills the skill server can run", "robomatrix skills --offline")
    p.add_argument("--offline", action="store_true", help="read the skill library from disk, no running stack")
    p.add_argument("--namespace", default="", help="robot namespace")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the stack")

    from robomatrix.cli.learn import add_verbs

    add_verbs(verb)

    p = verb("task", _task, "give the robot a task in plain language and stream the feedback",
             'robomatrix task "put the red block in the green bowl"')
    p.add_argument("text", nargs="+", help="the task")
    p.add_argument("--namespace", default="", help="robot namespace")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the scheduler")

    p = verb("correct", _correct, "correct the running skill with a language motion (or 'resume')",
             'robomatrix correct "move arm up"')
    p.add_argument("motion", nargs="+", help='a language motion, e.g. "move arm left", "close gripper", "resume"')
    p.add_argument("--namespace", default="", help="robot namespace")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the skill server")
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
