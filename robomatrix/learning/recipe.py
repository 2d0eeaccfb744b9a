"""A skill's training recipe: ``skills/<name>/recipe.yaml``, loaded and checked.

The recipe is data: the scenes its demonstrations draw from, the data sets of the committed
policy (the commands that made them, in order, with a note each), and the training choices
(epochs, episode-context parts). ``robomatrix generate`` and ``robomatrix train`` take their
defaults from it and ``bench/write_cards.py`` writes the card's data and training sections
from it, so a skill's training lives in its folder, not in code or in command lines in prose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from robomatrix.errors import ConfigError
from robomatrix.skills.spec import SkillSpec

__all__ = ["DataStep", "Recipe", "RecipeError", "load_recipe"]

DEFAULT_SCENE = "tabletop"
DEFAULT_EPOCHS = 30


class RecipeError(ConfigError):
    """A recipe.yaml is missing a field, has a wrong type or an impossible value."""


@dataclass(frozen=True)
class DataStep:
    """One command in the making of a skill's data (``robomatrix generate ...``, a DAgger round)."""

    run: str
    note: str = ""


@dataclass(frozen=True)
class Recipe:
    skill: str
    scenes: tuple[tuple[str, float], ...]  # (scene name, probability), probabilities sum to 1
    data: tuple[DataStep, ...]
    epochs: int  # training epochs of the committed policies
    context: tuple[str, ...]  # episode-context parts the policies read (robomatrix.policies.features)
    why_data: str = ""  # why the data is made this way (the card quotes it)
    why_context: str = ""  # why the policy reads its context (the card quotes it)
    file: Path | None = None

    @property
    def train_command(self) -> str:
        cmd = f"robomatrix train --skill {self.skill} --kind both --threads 1"
        if self.epochs != DEFAULT_EPOCHS:
            cmd += f" --epochs {self.epochs}"
        if self.context:
            cmd += f" --context {','.join(self.context)}"
        return cmd


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise RecipeError(f"{where}: {key} must be text, got {value!r}")
    return value.strip()


def load_recipe(spec: SkillSpec) -> Recipe:
    """``spec``'s recipe; a skill without recipe.yaml gets the defaults (tabletop, 30 epochs,
    no context, its data made by ``robomatrix generate --skill NAME --episodes 150``)."""
    file = spec.folder / "recipe.yaml" if spec.folder is not None else None
    if file is None or not file.is_file():
        return Recipe(spec.name, ((DEFAULT_SCENE, 1.0),),
                      (DataStep(f"robomatrix generate --skill {spec.name} --episodes 150"),), DEFAULT_EPOCHS, ())
    where = str(file)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise RecipeError(f"{where}: cannot read the recipe ({e}); fix: valid YAML, see skills/README.md") from e
    unknown = set(data) - {"demonstrations", "training"}
    if not isinstance(data, dict) or unknown:
        raise RecipeError(f"{where}: top-level keys are demonstrations and training, got {sorted(unknown or [])}")
    demos = data.get("demonstrations") or {}
    training = data.get("training") or {}
    scenes_raw = demos.get("scenes") or {DEFAULT_SCENE: 1.0}
    if not isinstance(scenes_raw, dict) or not scenes_raw:
        raise RecipeError(f"{where}: demonstrations.scenes must map scene names to probabilities")
    scenes = []
    for name, p in scenes_raw.items():
        if not isinstance(p, int | float) or isinstance(p, bool) or not 0 < p <= 1:
            raise RecipeError(f"{where}: scene {name!r} has probability {p!r}; fix: a number in (0, 1]")
        scenes.append((str(name), float(p)))
    if not math.isclose(sum(p for _, p in scenes), 1.0, abs_tol=1e-6):
        raise RecipeError(f"{where}: scene probabilities sum to {sum(p for _, p in scenes)}; fix: make them sum to 1")
    steps = []
    for k, row in enumerate(demos.get("data") or []):
        if not isinstance(row, dict) or not isinstance(row.get("run"), str):
            raise RecipeError(f"{where}: demonstrations.data[{k}] needs run: <command> (and an optional note)")
        steps.append(DataStep(row["run"].strip(), _text(row, "note", where)))
    epochs = training.get("epochs", DEFAULT_EPOCHS)
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise RecipeError(f"{where}: training.epochs must be an int >= 1, got {epochs!r}")
    context = training.get("context") or []
    if not isinstance(context, list) or not all(isinstance(c, str) for c in context):
        raise RecipeError(f"{where}: training.context must be a list of context parts, got {context!r}")
    from robomatrix.policies.features import parse_context

    return Recipe(spec.name, tuple(scenes), tuple(steps), epochs, parse_context(context),
                  _text(demos, "why", where), _text(training, "why_context", where), file)
