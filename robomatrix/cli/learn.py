"""CLI verbs for the skills' data and policies: generate, train, finetune, eval."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from robomatrix.errors import ConfigError

DEFAULT_DATA = Path("data/demos")


def _skills(arg: str) -> list[str]:
    from robomatrix.skills.spec import load_skill_library

    lib = load_skill_library()
    if arg == "all":
        return list(lib.names)
    names = [s.strip() for s in arg.split(",") if s.strip()]
    for n in names:
        lib.get(n)  # raises UnknownSkillError listing the valid names
    return names


def generate(args: argparse.Namespace) -> int:
    """Record oracle demonstrations (randomised scenes, noise bursts) as MCAP, one file per skill."""
    from robomatrix.learning.demos import NoiseConfig, record_demos
    from robomatrix.skills.recording import next_free_path

    out = Path(args.out)
    noise = NoiseConfig(probability=args.noise)
    skills = _skills(args.skill)
    driving: dict[str, Any] = {}
    if args.driver:
        from robomatrix.policies.model import load_policy
        from robomatrix.skills.executor import PolicyController
        from robomatrix.skills.oracles import oracle_class
        from robomatrix.skills.spec import load_skill_library

        library = load_skill_library()
        driven = [s.name for s in library if getattr(oracle_class(s), "reactive", False)]
        if len(skills) != 1 or skills[0] not in driven:
            raise ConfigError(f"--driver needs one skill whose oracle decides from the current state alone "
                              f"({', '.join(driven)}); got --skill {args.skill}")
        if not 0.0 < args.driver_share <= 1.0:
            raise ConfigError(f"--driver-share must be in (0, 1], got {args.driver_share}")
        driving = {"driver": PolicyController(load_policy(Path(args.driver), skill=skills[0]), tuple(library.names)),
                   "driver_share": args.driver_share}
    if args.camera:
        from robomatrix.config import load_stack_config

        driving["camera"] = load_stack_config().camera
    for i, skill in enumerate(skills):
        path = next_free_path(out, skill)
        summary = record_demos(skill, args.episodes, args.seed + 1000 * i, path, noise=noise, progress=True,
                               starts=args.starts, scene=args.scene or None, **driving)
        sys.stdout.write(f"{skill}: {summary.successes}/{summary.episodes} successful episodes, {summary.steps} "
                         f"steps -> {path}\n")
    return 0


def _policy_path(skill: str, kind: str) -> Path:
    from robomatrix.skills.spec import load_skill_library

    spec = load_skill_library().get(skill)
    base = Path(spec.policy_path)
    return base if kind == "rt-h" else base.with_name(f"{base.stem}_{kind}{base.suffix}")


def train(args: argparse.Namespace) -> int:
    """Train each skill's policy from its demonstrations (seeded; GPU when present)."""
    import time

    from robomatrix.learning.dataset import load_demonstrations
    from robomatrix.learning.recipe import load_recipe
    from robomatrix.learning.train import train_policy
    from robomatrix.policies.features import parse_context
    from robomatrix.skills.spec import load_skill_library

    lib = load_skill_library()
    data = Path(args.data)
    kinds = ["rt-h", "flat"] if args.kind == "both" else [args.kind]
    report: dict[str, Any] = {}
    t_all = time.perf_counter()
    for skill in _skills(args.skill):
        files = sorted(data.glob(f"{skill}*.mcap"))
        if not files:
            raise ConfigError(f"no demonstrations for {skill} in {data}; run `robomatrix generate --skill {skill}`")
        dataset = load_demonstrations(files, skill=skill, successful_only=True)
        recipe = load_recipe(lib.get(skill))  # the skill's own training choices, unless given here
        epochs = args.epochs if args.epochs is not None else recipe.epochs
        context = parse_context(args.context) if args.context is not None else recipe.context
        for kind in kinds:
            policy, metrics = train_policy(dataset, kind, seed=args.seed, epochs=epochs, device=args.device,
                                           noise_std=args.noise_std, hidden=args.hidden,
                                           num_threads=args.threads or None,
                                           data_files=[str(f) for f in files], skill_names=lib.names,
                                           context=context)
            path = _policy_path(skill, kind) if not args.out else Path(args.out) / skill / _policy_path(skill, kind).name
            path.parent.mkdir(parents=True, exist_ok=True)
            policy.save(path, metadata={"skill": skill, "samples": len(dataset)})
            report[f"{skill}/{kind}"] = {"samples": len(dataset), "seconds": round(metrics["seconds"], 1),
                                         "epochs": epochs, "context": list(policy.config.context),
                                         "final_loss": round(float(metrics["loss"][-1]), 4), "path": str(path)}
            sys.stdout.write(f"{skill} [{kind}]: {len(dataset)} samples, {metrics['seconds']:.1f} s, "
                             f"loss {metrics['loss'][-1]:.4f} -> {path}\n")
    sys.stdout.write(f"trained in {time.perf_counter() - t_all:.1f} s\n")
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps(report, indent=2))
    return 0


def finetune(args: argparse.Namespace) -> int:
    """RT-H learning from interventions: fine-tune the language-motion head on corrected episodes."""
    from robomatrix.learning.dataset import load_demonstrations
    from robomatrix.learning.train import finetune_motion_head
    from robomatrix.policies.model import LanguageMotionPolicy

    src = _policy_path(args.skill, "rt-h")
    out = Path(args.out) if args.out else src.with_name(f"{src.stem}_finetuned{src.suffix}")
    if args.collect:
        return _finetune_in_sim(args, src, out)
    if not args.interventions:
        raise ConfigError("give --interventions (recorded corrections) or --collect N (collect them in simulation)")
    policy = LanguageMotionPolicy.load(src, skill=args.skill)
    data = load_demonstrations(Path(args.interventions), skill=args.skill, skip_bad=True)
    if len(data) == 0:
        raise ConfigError(f"no intervention steps for {args.skill} in {args.interventions}")
    interventions = len(data)
    replay = sorted(Path(args.replay).glob(f"{args.skill}*.mcap")) if args.replay else []
    if replay:  # mixed with the original demonstrations, so a few corrections do not wash them out
        from robomatrix.learning.dataset import concat

        data = concat([data, load_demonstrations(replay, skill=args.skill)])
    metrics = finetune_motion_head(policy, data, epochs=args.epochs, seed=args.seed,
                                   drop_before=max(args.drop_before, 0))
    policy.save(out, metadata={"finetuned_on": str(args.interventions), "intervention_steps": interventions,
                               "replayed_steps": len(data) - interventions})
    sys.stdout.write(f"fine-tuned {args.skill} on {interventions} intervention steps (+{len(data) - interventions} replayed) -> {out} ({metrics.get('seconds', 0):.1f} s)\n")
    return 0


def _finetune_in_sim(args: argparse.Namespace, src: Path, out: Path) -> int:
    """DAgger rounds in simulation: collect corrections with the simulated person, fine-tune."""
    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.learning.dagger import dagger_finetune

    replay = sorted(Path(args.replay).glob(f"{args.skill}*.mcap")) if args.replay else []
    with SimRobot(SimConfig()) as robot:
        policy, report = dagger_finetune(args.skill, src, robot=robot, out_dir=args.interventions or "out/interventions",
                                         rounds=args.rounds, episodes=args.collect, seed=args.collect_seed,
                                         replay=replay, epochs=args.epochs,
                                         drop_before=args.drop_before if args.drop_before >= 0 else None,
                                         progress=True)
    policy.save(out, metadata={"finetuned_from": str(src)})
    for row in report["rounds"]:
        sys.stdout.write(f"round {row['round']}: {row['corrections']} corrections in {row['episodes']} episodes "
                         f"(seed {row['seed']}), {row.get('person_steps', 0)} person steps\n")
    sys.stdout.write(f"fine-tuned {args.skill} -> {out}\n")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    """Success per skill over seeded episodes in simulation."""
    from robomatrix.hardware.sim import SimConfig, SimRobot
    from robomatrix.learning.evaluation import SimulatedCorrector, evaluate_skill
    from robomatrix.skills.executor import OracleController, PolicyController
    from robomatrix.skills.spec import load_skill_library

    lib = load_skill_library()

    def factory(spec: Any) -> Any:
        if args.controller == "oracle":
            return OracleController()
        from robomatrix.policies.model import load_policy

        path = Path(args.checkpoint) if args.checkpoint else _policy_path(spec.name, args.controller)
        return PolicyController(load_policy(path, skill=spec.name), tuple(lib.names))

    results = []
    with SimRobot(SimConfig()) as robot:
        for skill in _skills(args.skill):
            res = evaluate_skill(skill, factory, args.episodes, args.seed, robot=robot, scene=args.scene or None,
                                 controller_name=args.controller,
                                 corrector=SimulatedCorrector() if args.corrector else None, library=lib,
                                 progress=True)
            results.append(res.to_dict())
            sys.stdout.write(f"{skill}: {res.successes}/{res.episodes} = {res.success_rate:.0%}"
                             + (f", {res.corrections_per_episode:.2f} corrections/episode" if args.corrector else "")
                             + "\n")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def add_verbs(verb: Any) -> None:
    """Register the verbs on the CLI (``verb(name, handler, help, example)`` from cli/__init__)."""
    p = verb("generate", generate, "record oracle demonstrations (MCAP, one file per skill)",
             "robomatrix generate --skill grasp --episodes 150")
    p.add_argument("--skill", default="all", help="skill name, comma list, or all")
    p.add_argument("--episodes", type=int, default=150, help="episodes per skill")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise", type=float, default=0.3, help="chance of a perturbation burst per episode")
    p.add_argument("--starts", default="varied", choices=["varied", "home"],
                   help="start states: varied = move_to also starts where other skills leave the arm in a long "
                        "task (after release over a bowl/bin/block/drawer, beside the drawer handle after "
                        "open/close_drawer, hovering above an object, anywhere a correction may leave it; "
                        "START_MIX in skills/move_to/episode.py); home = every episode from the home pose")
    p.add_argument("--scene", default="", help="record every episode in this scene (default: the skill's scene mix)")
    p.add_argument("--camera", action="store_true",
                   help="also record the RGB-D scene camera (colour, depth, CameraInfo at camera.rate_hz of "
                        "config/robot.yaml) for image-conditioned policies; ~25 ms of rendering per frame")
    p.add_argument("--driver", default="",
                   help="DAgger: a policy checkpoint that moves the arm while the oracle labels the states it reaches "
                        "(move_to, place_over)")
    p.add_argument("--driver-share", type=float, default=0.7, help="with --driver: share of ticks the policy drives")
    p.add_argument("--out", default=str(DEFAULT_DATA), help="folder for the .mcap files")

    p = verb("train", train, "train the skills' policies from demonstrations",
             "robomatrix train --skill all --kind both")
    p.add_argument("--skill", default="all", help="skill name, comma list, or all")
    p.add_argument("--data", default=str(DEFAULT_DATA), help="folder with <skill>*.mcap demonstrations")
    p.add_argument("--kind", default="both", choices=["rt-h", "flat", "both"], help="policy kind(s)")
    p.add_argument("--epochs", type=int, default=None, help="default: the skill's recipe.yaml (training.epochs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hidden", type=int, default=256, help="hidden width of the MLPs")
    p.add_argument("--noise-std", type=float, default=0.005, help="m, pose noise added during training")
    p.add_argument("--device", default="auto", help="auto (cuda when present) | cpu | cuda")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads for torch (0 = torch's default; use 1 when the machine is shared)")
    p.add_argument("--context", default=None,
                   help="episode context the policies read: comma list of displacement, slot_offset; none = "
                        "reactive; default: the skill's recipe.yaml (training.context)")
    p.add_argument("--out", default="", help="write checkpoints under this folder instead of skills/")
    p.add_argument("--report", default="", help="write a JSON training report here")

    p = verb("finetune", finetune, "fine-tune a skill's language-motion head on recorded corrections",
             "robomatrix finetune --skill grasp --interventions ~/.robomatrix/interventions")
    p.add_argument("--skill", required=True)
    p.add_argument("--interventions", default="",
                   help="folder or .mcap file of intervention episodes (with --collect: where to record them)")
    p.add_argument("--collect", type=int, default=0,
                   help="episodes per round to collect in simulation with the simulated person (DAgger); 0 = "
                        "learn from --interventions only")
    p.add_argument("--rounds", type=int, default=2, help="with --collect: collect/fine-tune rounds")
    p.add_argument("--collect-seed", type=int, default=100,
                   help="with --collect: first collection seed (keep it away from the evaluation seeds)")
    p.add_argument("--drop-before", type=int, default=-1,
                   help="policy ticks before each correction left out (-1: the corrector's patience with "
                        "--collect, 0 otherwise)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--replay", default=str(DEFAULT_DATA), help="demonstrations mixed in (empty: interventions only)")
    p.add_argument("--out", default="", help="output checkpoint (default skills/<skill>/policy_finetuned.pt)")

    p = verb("eval", evaluate, "measure skill success over seeded simulated episodes",
             "robomatrix eval --skill all --episodes 50 --controller policy")
    p.add_argument("--skill", default="all", help="skill name, comma list, or all")
    p.add_argument("--controller", default="rt-h", choices=["rt-h", "flat", "oracle"],
                   help="rt-h policy, flat policy (ablation) or scripted oracle")
    p.add_argument("--checkpoint", default="", help="a checkpoint to evaluate instead of the skill's own")
    p.add_argument("--episodes", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scene", default="", help="scene override, e.g. unseen")
    p.add_argument("--corrector", action="store_true", help="a simulated person corrects the language motion")
    p.add_argument("--json", default="", help="write results as JSON here")
