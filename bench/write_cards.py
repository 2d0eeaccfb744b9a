"""Write the measured part of each skills/<name>/CARD.md from the benchmark JSON.

    .venv/bin/python bench/write_cards.py               # after bench_skills.py and `robomatrix train --report`
    .venv/bin/python bench/write_cards.py push move_to  # only these cards
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "**Data.**"
# the generate commands each card shows, as recorded; a skill not listed shows
# `robomatrix generate --skill NAME --episodes 150`
FIRST_DEMOS = {  # a first file made otherwise: push's by the all-skills run (skill i draws seed 1000 * i)
    "push": "robomatrix generate --skill all --episodes 150                 # data/demos/push_000.mcap (seed 5000)",
    "close_drawer": "robomatrix generate --skill close_drawer --episodes 75 --seed 0        # data/demos/close_drawer_000.mcap",
}
EXTRA_DEMOS = {  # more files after the first
    "push": ["robomatrix generate --skill push --episodes 150 --seed 50000   # data/demos/push_001.mcap"],
    "close_drawer": ["robomatrix generate --skill close_drawer --episodes 75 --seed 500000   # data/demos/close_drawer_001.mcap"],
}
DATA_WHY = {
    "close_drawer": "In 60 % of the episodes a block was first put in the open drawer (`LOADED_DRAWER_PROBABILITY`),\n"
                    "as in the drawer task: a policy taught only on an empty drawer flew off the handle when a\n"
                    "block lay behind it (drawer_put with the trained skills 1/10 → 8/10).",
}
CONTEXT_WHY = {
    "push": "The policies also read the episode context `displacement` (how far the object has moved since the\n"
            "skill started): without it the reactive policy confused the approach behind the object with the\n"
            "push itself (84 % seen, 76 % flat).",
}


def pct(cell: dict | None) -> str:
    return "—" if not cell else f"{cell['success_rate']:.0%} ({cell['successes']}/{cell['episodes']})"


def main() -> int:
    skills = json.loads((ROOT / "bench/results/skills.json").read_text())
    training = json.loads((ROOT / "bench/results/training.json").read_text())
    date = skills["date"][:10]
    only = set(sys.argv[1:])
    for name, row in skills["skills"].items():
        if only and name not in only:
            continue
        card = ROOT / "skills" / name / "CARD.md"
        text = card.read_text()
        head = text[: text.index(MARK)] if MARK in text else text + "\n"
        train = training.get(f"{name}/rt-h", {})
        flat = training.get(f"{name}/flat", {})
        corrected = row.get("rt-h_corrected")
        options = ""
        if train.get("epochs", 30) != 30:
            options += f" --epochs {train['epochs']}"
        if train.get("context"):
            options += f" --context {','.join(train['context'])}"
        first = FIRST_DEMOS.get(name, f"robomatrix generate --skill {name} --episodes 150")
        generate = "\n".join([first] + EXTRA_DEMOS.get(name, []))
        timing_note = f" Timing: {train['note']}." if train.get("note") else ""
        why = ("\n" + CONTEXT_WHY[name] + "\n") if name in CONTEXT_WHY and train.get("context") else ""
        data_why = ("\n" + DATA_WHY[name]) if name in DATA_WHY else ""
        collected = row.get("interventions_collected") or {}
        tuned = row.get("rt-h_finetuned")
        if tuned:
            tuned_text = (f"{pct(tuned)} (before: {pct(row.get('rt-h'))}; {collected.get('corrections', '?')} "
                          f"corrections in {collected.get('episodes', '?')} collected episodes, seeds "
                          f"{collected.get('collect_seeds', '?')})")
        else:
            tuned_text = "no corrections were needed to collect"
        body = f"""{MARK} Scripted oracle demonstrations in randomised seeded scenes, 30 % of episodes with a
random perturbation burst (the policy sees recoveries), labelled with language motions by
`robomatrix.skills.labeller`; {train.get('samples', '?')} steps from successful episodes
(`data/demos/{name}_*.mcap`, MCAP with ROS 2 message encoding; not committed, regenerate below).{data_why}

**Training.** RT-H policy `policy.pt` ({train.get('seconds', '?')} s on one CPU thread,
{train.get('epochs', 30)} epochs), flat ablation `policy_flat.pt` ({flat.get('seconds', '?')} s).{timing_note}
{why}
```bash
{generate}
robomatrix train --skill {name} --kind both --threads 1{options}
```

**Measured success** ({row.get('date', date)[:10]}, `bench/bench_skills.py`, {skills['episodes_per_cell']} seeded
episodes per cell, evaluation seeds disjoint from the demonstrations and from the correction collection):

| controller | success |
|---|---|
| RT-H policy, seen objects | {pct(row.get('rt-h'))} |
| flat policy (no language motion) | {pct(row.get('flat'))} |
| RT-H policy, unseen objects (random_urdfs shapes, held-out colours) | {pct(row.get('rt-h_unseen')) if row.get('rt-h_unseen') else 'not applicable'} |
| RT-H policy + simulated person correcting | {pct(corrected)}, {corrected['corrections_per_episode'] if corrected else '—'} corrections per episode |
| RT-H policy after DAgger fine-tuning on corrections (no corrections) | {tuned_text} |
"""
        card.write_text(head + body)
        sys.stdout.write(f"wrote {card}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
