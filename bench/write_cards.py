"""Write the measured part of each skills/<name>/CARD.md from the benchmark JSON.

    .venv/bin/python bench/write_cards.py    # after bench_skills.py and `robomatrix train --report`
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "**Data.**"


def pct(cell: dict | None) -> str:
    return "—" if not cell else f"{cell['success_rate']:.0%} ({cell['successes']}/{cell['episodes']})"


def main() -> int:
    skills = json.loads((ROOT / "bench/results/skills.json").read_text())
    training = json.loads((ROOT / "bench/results/training.json").read_text())
    date = skills["date"][:10]
    for name, row in skills["skills"].items():
        card = ROOT / "skills" / name / "CARD.md"
        text = card.read_text()
        head = text[: text.index(MARK)] if MARK in text else text + "\n"
        train = training.get(f"{name}/rt-h", {})
        flat = training.get(f"{name}/flat", {})
        corrected = row.get("rt-h_corrected")
        body = f"""{MARK} Scripted oracle demonstrations in randomised seeded scenes, 30 % of episodes with a
random perturbation burst (the policy sees recoveries), labelled with language motions by
`robomatrix.skills.labeller`; {train.get('samples', '?')} steps from successful episodes
(`data/demos/{name}_*.mcap`, MCAP with ROS 2 message encoding; not committed, regenerate below).

**Training.** RT-H policy `policy.pt` ({train.get('seconds', '?')} s on one CPU thread), flat
ablation `policy_flat.pt` ({flat.get('seconds', '?')} s):

```bash
robomatrix generate --skill {name} --episodes 150
robomatrix train --skill {name} --kind both --threads 1
```

**Measured success** ({date}, `bench/bench_skills.py`, {skills['episodes_per_cell']} seeded episodes per cell,
evaluation seeds disjoint from the demonstrations):

| controller | success |
|---|---|
| RT-H policy, seen objects | {pct(row.get('rt-h'))} |
| flat policy (no language motion) | {pct(row.get('flat'))} |
| RT-H policy, unseen objects (random_urdfs shapes, held-out colours) | {pct(row.get('rt-h_unseen')) if row.get('rt-h_unseen') else 'not applicable'} |
| RT-H policy + simulated person correcting | {pct(corrected)}, {corrected['corrections_per_episode'] if corrected else '—'} corrections per episode |
| RT-H policy after fine-tuning on corrections (no corrections) | {pct(row.get('rt-h_finetuned')) if row.get('rt-h_finetuned') else 'no corrections were needed to collect'} |
"""
        card.write_text(head + body)
        sys.stdout.write(f"wrote {card}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
