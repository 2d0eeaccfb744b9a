"""bench/write_cards.py rewrites only its marked block of a card; hand-written text survives."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import write_cards  # noqa: E402 - bench/ is not a package


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "skills", tmp_path / "skills")
    (tmp_path / "bench" / "results").mkdir(parents=True)
    for name in ("skills.json", "training.json"):
        shutil.copy(ROOT / "bench" / "results" / name, tmp_path / "bench" / "results" / name)
    return tmp_path


def test_text_outside_the_markers_and_unmarked_cards_are_kept(tmp_path, capsys):
    root = _copy(tmp_path)
    push = root / "skills" / "push" / "CARD.md"
    push.write_text(push.read_text() + "\n**Tried and not taken.** a hand-written note\n")
    push.write_text(push.read_text().replace("**What it does.**", "**What it does (edited by hand).**"))
    hand = (root / "skills" / "move_to" / "CARD.md").read_text()
    assert write_cards.BEGIN not in hand  # move_to's data and training are written by hand

    assert write_cards.main(["push", "move_to"], root=root) == 0

    text = push.read_text()
    assert "**Tried and not taken.** a hand-written note" in text
    assert "**What it does (edited by hand).**" in text
    assert text.count(write_cards.BEGIN) == 1 and text.count(write_cards.END) == 1
    assert "robomatrix train --skill push" in text  # the generated block came from the recipe
    assert (root / "skills" / "move_to" / "CARD.md").read_text() == hand
    assert "left" in capsys.readouterr().out


def test_the_committed_generated_cards_are_what_the_script_writes(tmp_path):
    root = _copy(tmp_path)
    assert write_cards.main([], root=root) == 0
    for card in sorted((ROOT / "skills").glob("*/CARD.md")):
        assert (root / "skills" / card.parent.name / "CARD.md").read_text() == card.read_text(), card
