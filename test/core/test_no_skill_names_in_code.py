"""No skill name is written in code outside its folder (issue 11): the package reads skills from
the specs (robomatrix.skills.spec) and from the data files of the skills folder
(skills/_plans.yaml, skills/_prompt_examples.yaml), never by name.

The check reads every string constant of the robomatrix package's source with ``ast`` (so comments
and docstrings do not count; argparse ``help=`` text is prose for people and does not count either)
and flags one that

* is exactly a skill name (``"grasp"``),
* holds a snake_case skill name as a word (``"... move_to ..."``: no English word has an underscore),
* calls a skill (``"grasp("``) or quotes one (``'"grasp"'``, as in a JSON plan).

Plain English words inside prose ("ready to grasp or push it") are not flagged. What is left is
allowed only with a reason in ALLOWED.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from robomatrix.skills.spec import load_skill_library

PACKAGE = Path(__file__).resolve().parents[2] / "robomatrix"
SKILLS = load_skill_library().names

# (file relative to the package, the constant's text, where it may stand) -> why it is not a skill call.
# where: "any" or "key" (only as a dict key or a subscript index).
ALLOWED: dict[tuple[str, str, str], str] = {
    ("policies/language_motion.py", "release", "any"): "free-text motion vocabulary: 'release' = open the gripper",
    ("policies/language_motion.py", "grasp", "any"): "free-text motion vocabulary: 'grasp' = close the gripper",
    ("scheduler/language/lexicon.py", "grasp", "any"): "English verb a person types ('grasp the block'); the parser "
    "makes goal atoms, the plan comes from the specs",
    ("scheduler/language/lexicon.py", "push", "any"): "English verb a person types ('push the block left')",
    ("scheduler/language/clauses.py", "release", "any"): "English verb a person types ('don't release it'), not a "
    "skill call",
    ("scheduler/language/clauses.py", "push", "any"): "English verb a person types ('push the block left') and the "
    "parser's clause label; the plan comes from the specs",
    ("scheduler/understand.py", "push", "any"): "the parser's clause label for a push; the plan comes from the specs",
    **{
        ("learning/tasks.py", family, "key"): "a task family's name (key of the phrasing and family tables), "
        "not a skill call; the family's plan is the pattern of that name in skills/_plans.yaml"
        for family in ("open_drawer", "close_drawer", "push", "move_to")
    },
}


@dataclass(frozen=True)
class Hit:
    file: str
    line: int
    text: str
    where: str  # "key" or "value"

    def __str__(self) -> str:
        return f"robomatrix/{self.file}:{self.line}: {self.text[:100]!r}"


def _skill_patterns(names: tuple[str, ...]) -> list[re.Pattern[str]]:
    alt = "|".join(re.escape(n) for n in names)
    snake = "|".join(re.escape(n) for n in names if "_" in n) or r"(?!x)x"
    return [
        re.compile(rf"^\s*(?:{alt})\s*$"),  # the whole constant
        re.compile(rf"(?<![\w/])(?:{snake})(?![\w/.])"),  # a snake_case name as a word (not a path)
        re.compile(rf"\b(?:{alt})\("),  # a call
        re.compile(rf"[\"'](?:{alt})[\"']"),  # a quoted name (JSON)
    ]


def _prose_ids(tree: ast.AST) -> set[int]:
    """ids of constants that are docstrings, bare string statements or argparse help= text."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            out.add(id(node.value))
        if isinstance(node, ast.keyword) and node.arg == "help":
            out |= {id(c) for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
    return out


def _key_ids(tree: ast.AST) -> set[int]:
    """ids of constants that are dict keys or subscript indices."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            out |= {id(k) for k in node.keys if isinstance(k, ast.Constant)}
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            out.add(id(node.slice))
    return out


def skill_name_hits(source: str, file: str, names: tuple[str, ...]) -> list[Hit]:
    tree = ast.parse(source)
    prose, keys = _prose_ids(tree), _key_ids(tree)
    patterns = _skill_patterns(names)
    # An f-string is read whole, each {field} as "{}", not piece by piece.
    texts: dict[int, tuple[ast.expr, str]] = {}
    parts_of_fstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            texts[id(node)] = (node, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values))
            parts_of_fstrings |= {id(v) for v in node.values}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts[id(node)] = (node, node.value)
    hits = []
    for key, (node, text) in texts.items():
        if key in prose or key in parts_of_fstrings:
            continue
        if any(p.search(text) for p in patterns):
            hits.append(Hit(file, node.lineno, text, "key" if key in keys else "value"))
    return sorted(hits, key=lambda h: (h.file, h.line))


def _allowed(hit: Hit) -> bool:
    text = hit.text.strip()
    return (hit.file, text, "any") in ALLOWED or (hit.where == "key" and (hit.file, text, "key") in ALLOWED)


def test_the_library_has_the_skills_this_check_was_written_for() -> None:
    # Not a list the check uses (it reads the library), only a guard that it reads a real one.
    assert len(SKILLS) >= 5, SKILLS


def test_no_skill_name_in_package_code() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30
    hits = [h for f in files for h in skill_name_hits(f.read_text(encoding="utf-8"),
                                                       f.relative_to(PACKAGE).as_posix(), SKILLS)]
    bad = [str(h) for h in hits if not _allowed(h)]
    assert not bad, (
        "skill names written in package code (read them from the specs or from a data file in the skills "
        "folder; or, if it is not a skill call, add it to ALLOWED with the reason):\n" + "\n".join(bad)
    )


def test_every_allowance_is_still_needed() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    hits = [h for f in files for h in skill_name_hits(f.read_text(encoding="utf-8"),
                                                       f.relative_to(PACKAGE).as_posix(), SKILLS)]
    used = {(h.file, h.text.strip(), kind) for h in hits for kind in ("any", "key")}
    stale = [k for k in ALLOWED if k not in used]
    assert not stale, f"ALLOWED entries that match nothing any more (remove them): {stale}"


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('x = "grasp"', True),
        ('steps = [{"skill": "move_to", "args": {}}]', True),
        ("example = '{\"skill\": \"release\"}'", True),
        ('hint = "then call push(object) on it"', True),
        ('msg = f"the step {i} (place_over) failed"', True),
        ('d = {"close_drawer": 1}', True),
        ('"""Docstring naming move_to and grasp("x")."""', False),
        ("# a comment naming 'grasp'", False),
        ('p.add_argument("--x", help="after move_to")', False),
        ('text = "ready to grasp or push it"', False),
        ('path = "skills/move_to/episode.py"', False),
        ('word = "grasping"', False),
        ('task = f"push {ghost} left"', False),
    ],
)
def test_the_check_flags_skill_calls_not_prose(source: str, flagged: bool) -> None:
    names = ("move_to", "grasp", "place_over", "release", "push", "close_drawer")
    assert bool(skill_name_hits(source, "x.py", names)) == flagged, source
