"""Write the measured part of each skills/<name>/CARD.md from the benchmark JSON.

    .venv/bin/python bench/write_cards.py               # after bench_skills.py and `robomatrix train --report`
    .venv/bin/python bench/write_cards.py push move_to  # only these cards

The data and training text comes from each skill's recipe.yaml. It rewrites a card from "**Data.**" to its
end: move_to's and place_over's cards carry hand-written sections there (tried and not taken),
so regenerate those by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "**Data.**"
# What each card says about its data and training comes from the skill's recipe.yaml
# (robomatrix/learning/recipe.py): the commands that made the data, why, and the training choices.


def pct(cell: dict | None) -> str:
    return "—" if not cell else f"{cell['success_rate']:.0%} ({cell['successes']}/{cell['episodes']})"


def main() -> int:
    from robomatrix.learning.recipe import load_recipe
    from robomatrix.skills.spec import load_skill_library

    library = load_skill_library()
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
        recipe = load_recipe(library.get(name))
        generate = "\n".join(step.run + (f"   # {step.note}" if step.note else "") for step in recipe.data)
        timing_note = f" Timing: {train['note']}." if train.get("note") else ""
        why = ("\n" + recipe.why_context + "\n") if recipe.why_context else ""
        data_why = ("\n" + recipe.why_data) if recipe.why_data else ""
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
{recipe.epochs} epochs), flat ablation `policy_flat.pt` ({flat.get('seconds', '?')} s).{timing_note}
{why}
```bash
{generate}
{recipe.train_command}
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
