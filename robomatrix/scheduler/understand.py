"""Open-language task understanding: task text + world objects -> goal atoms, or a refusal.

Core module: imports no rclpy. A deterministic semantic parser over a small grammar of what
people say to a tabletop robot, with real lexical resources where they exist (colour words:
:mod:`.colours`, the XKCD survey; spelling: edit distance against the parser's own lexicon):

* **words** are normalised (case, arrows, contractions, hyphens, British/American spelling)
  and typos within one or two edits of a known word are corrected;
* **noun phrases** name objects: colour words, categories, quantities ("both", "all three",
  "every ... except", "the other blocks"), descriptions ("the leftmost block", "the block
  nearest the bin", "the one that matches the bowl on the left", "the colour of grass") and
  pronouns across clauses ("pick up the blue block and put it in the bin");
* **clauses** are verb phrases (put/place/move/drop/stash/chuck ... into/onto/under; pick up /
  hold; open/close; push ... left; stack/tower in an order; sort by colour; get rid of = into the
  bin) or terse forms ("red -> bowl", "blue block: bin", "X goes in Y");
* every word must be accounted for by the grammar; a word that is not (an unknown verb, a
  second request the robot must not do) refuses the whole task with the word named. References
  that match several objects are refused with the candidates listed, never guessed.

The result is a list of :class:`~robomatrix.scheduler.symbolic.GoalAtom` over object ids; the
plan comes from :func:`~robomatrix.scheduler.symbolic.plan_for_goal`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from robomatrix.scheduler.symbolic import GoalAtom
from robomatrix.skills.colours import (
    NOT_COLOUR_WORDS,
    closest_colour_name,
    colour_rgb,
    edit_distance,
    match_colour,
)

__all__ = ["Refusal", "interpret"]


class Refusal(Exception):
    """The task cannot be turned into a goal; ``kind`` is one of the planner's refusal kinds."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


# --------------------------------------------------------------------------- lexicon

CATEGORY_WORDS = {
    "block": "block", "blocks": "block", "cube": "block", "cubes": "block", "brick": "block", "bricks": "block",
    "blk": "block", "blok": "block",
    "bowl": "bowl", "bowls": "bowl", "dish": "bowl", "dishes": "bowl",
    "bin": "bin", "bins": "bin", "trash": "bin", "rubbish": "bin", "wastebasket": "bin", "basket": "bin",
    "garbage": "bin", "waste": "bin", "litter": "bin", "dustbin": "bin", "wastebin": "bin",
    "drawer": "drawer", "drawers": "drawer",
    "object": "object", "objects": "object", "thing": "object", "things": "object", "item": "object",
    "items": "object",
}  # fmt: skip
PLURAL_WORDS = {"blocks", "cubes", "bricks", "bowls", "dishes", "bins", "drawers", "objects", "things", "items", "ones"}
FILLER = set("""please pls kindly could can would will you i we me my us like want need wish love quite mind
just now also too so ok okay hey hi robot thanks thank go ahead be is are am being been for do does
able if possible sure make ensure see that there let lets here what really actually right away
would've should shall must have has had to the a an this these those its your yours our some
then afterwards after next finally first second third lastly last and plus as well while
when done once with of by up down over out off back onto into get gets got mean again
appreciate appreciated grateful great nice lovely good helpful wonderful cheers wanna gonna gotta kind
enough how about why help chance convenience whenever pretty many much ta sorry excuse bother trouble
possibly maybe perhaps quickly carefully gently nicely slowly thankyou idea fine super brilliant awesome
cool hello dear buddy friend mate sir madam moment time soon asap quick favour favor request task job
too lot lots bunch million ton tons heaps loads prefer rather""".split())
# words that only make sense inside the grammar's phrases; consumed there
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "your", "my", "our"}
PLACE_VERBS = {"put", "place", "move", "set", "drop", "stick", "pop", "transfer", "bring", "carry", "take",
               "lay", "sit", "rest", "deposit", "load", "slip", "stand", "position", "shift", "relocate",
               "pack", "plonk", "plop", "park", "store", "stash", "tuck", "dump", "ditch", "toss", "chuck",
               "hide", "return", "send", "lower", "leave", "get", "throw", "drag", "fetch", "deliver",
               "insert", "stow", "lodge", "file", "settle", "perch", "balance", "lift", "pick", "grab",
               "slide", "shove", "put's", "puts", "placing", "putting", "moving", "dropping", "go", "goes",
               "bung", "tip", "gather", "collect", "slot", "nest", "plant", "land", "wedge", "nestle", "stuff", "clear",
               "belongs", "belong", "should", "needs", "must"}  # fmt: skip
DISCARD_VERBS = {"discard", "trash", "bin", "junk", "scrap", "dispose", "ditch", "chuck", "toss", "dump",
                 "throw", "rid", "remove"}  # fmt: skip
HOLD_VERBS = {"pick", "lift", "grab", "hold", "keep", "raise", "grasp", "grip", "seize", "scoop", "hang",
              "take", "clutch", "snatch"}  # fmt: skip
PUSH_VERBS = {"push", "nudge", "shove", "slide", "bump", "poke", "prod", "press", "scoot", "budge", "shunt", "give"}
OPEN_VERBS = {"open", "pull", "opened"}
CLOSE_VERBS = {"close", "shut", "closed"}
STACK_VERBS = {"stack", "pile", "tower", "build", "arrange", "assemble", "make", "stacked"}
SORT_VERBS = {"sort", "match", "organise", "organize", "group"}
PARTICLES = {"up", "down", "away", "out", "over", "off", "back", "in", "inside"}
PREP_IN = {"in", "into", "inside", "within", "to", "->", ":", "toward", "towards"}
PREP_ON = {"on", "onto", "upon", "atop", "over", "top"}
PREP_UNDER = {"under", "underneath", "beneath", "below"}
DIRECTION_WORDS = {"left": "left", "right": "right", "forward": "forward", "forwards": "forward",
                   "backward": "backward", "backwards": "backward", "ahead": "forward",
                   "leftward": "left", "leftwards": "left", "rightward": "right", "rightwards": "right"}
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "both": 2, "pair": 2, "couple": 2}
UNITS = {"cm": 0.01, "centimetre": 0.01, "centimetres": 0.01, "centimeter": 0.01, "centimeters": 0.01,
         "mm": 0.001, "millimetre": 0.001, "millimetres": 0.001, "millimeter": 0.001, "millimeters": 0.001,
         "m": 1.0, "metre": 1.0, "metres": 1.0, "meter": 1.0, "meters": 1.0}
ALL_WORDS = {"all", "every", "each", "everything", "both"}
EXCEPT_WORDS = {"except", "but", "excluding", "besides", "apart", "other", "save", "bar"}
CONNECTORS = {"and", "then", ",", ";", ".", "!", "?", "after", "afterwards", "next", "finally", "also",
              "plus", "as", "well", "lastly", "once", "before", "first", "second", "third"}
COLOUR_NOUN = {"colour", "color", "coloured", "colored", "shade", "hue", "tinted", "painted"}
SPELLING = {"colour": "colour", "color": "colour", "grey": "grey", "gray": "grey", "centre": "centre",
            "center": "centre", "organise": "organise", "organize": "organise"}
CONTRACTIONS = [(r"\bi'd\b", "i would"), (r"\bi'm\b", "i am"), (r"\bdon't\b", "do not"), (r"\bdoesn't\b", "does not"),
                (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"), (r"\bwon't\b", "will not"),
                (r"\blet's\b", "let us"), (r"\bit's\b", "it is"), (r"\bthat's\b", "that is"),
                (r"\b(\w+)'ll\b", r"\1 will"), (r"\b(\w+)'re\b", r"\1 are"), (r"\b(\w+)'ve\b", r"\1 have"),
                (r"\bwhat's\b", "what is"), (r"\bthere's\b", "there is"), (r"\bshouldn't\b", "should not"),
                (r"\b(\w+)n't\b", r"\1 not")]
DESCRIPTOR_WORDS = {"leftmost", "rightmost", "nearest", "closest", "farthest", "furthest", "left", "right",
                    "near", "next", "beside", "by", "middle", "centre", "front", "far", "nearer", "closer",
                    "further", "farther", "robot", "base", "matching", "matches", "match", "same", "its",
                    "their", "own", "corresponding", "other", "remaining", "rest", "biggest", "one", "ones",
                    "first", "last", "single", "only", "lone", "you", "me", "yourself", "side", "end", "edge",
                    "most", "more", "to", "from", "of", "the", "as", "is", "which", "that", "whichever", "whose",
                    "with", "at", "on", "in"}
NEGATIONS = {"not", "never", "no", "dont", "without", "leave", "alone", "untouched", "where", "is", "it", "be"}

_LEXICON: set[str] | None = None


def _lexicon() -> set[str]:
    global _LEXICON
    if _LEXICON is None:
        words = (set(CATEGORY_WORDS) | FILLER | DETERMINERS | PLACE_VERBS | DISCARD_VERBS | HOLD_VERBS
                 | PUSH_VERBS | OPEN_VERBS | CLOSE_VERBS | STACK_VERBS | SORT_VERBS | PARTICLES | PREP_IN
                 | PREP_ON | PREP_UNDER | set(DIRECTION_WORDS) | set(NUMBERS) | set(UNITS) | ALL_WORDS
                 | EXCEPT_WORDS | CONNECTORS | COLOUR_NOUN | DESCRIPTOR_WORDS | NEGATIONS
                 | {"red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "black", "grey",
                    "brown", "cyan", "tower", "table", "bottom", "top", "down", "up", "from", "reading",
                    "drawer", "base", "towards", "toward", "away", "bit", "little", "slightly", "few",
                    "touch", "alone", "where", "it", "them", "they", "one", "ones", "itself", "hand",
                    "gripper", "keep", "hold", "of", "rid", "ready", "stays", "stay", "remain", "remains",
                    "already", "is", "put", "order", "sequence", "onto", "lowest", "highest", "uppermost",
                    "topmost", "underneath", "beneath", "whichever", "equals", "same", "reach", "approach",
                    "hover", "head", "find", "locate", "spot", "arm", "effector", "tool", "air",
                    "direction", "non", "again", "inside", "whatever", "dispose", "shut", "single", "sitting", "tidy",
                    "clean", "empty", "tabletop",
                    "resting", "lying", "standing", "sat", "stacked", "stored", "kept", "placed", "moved", "held",
                    "lifted", "raised"})
        _LEXICON = {w for w in words if w.isalpha()}
    return _LEXICON


def _correct(word: str, extra: set[str], after: str = "", names: frozenset[str] = frozenset()) -> str:
    """``word``, or the one known word within 1 edit (2 for words of 7+ letters) of it."""
    lex = _lexicon() | extra
    if word in lex or not word.isalpha() or len(word) < 2 or colour_rgb(word) is not None:
        return word
    if len(word) == 2 and after in CATEGORY_WORDS:  # "the rd block": a colour of the world with a letter dropped
        cols = {n.split()[0] for n in names if edit_distance(word, n.split()[0], 1) == 1 and len(n.split()[0]) == 3}
        if len(cols) == 1:
            return cols.pop()
    if len(word) == 2:  # "pt": only a verb of three letters that keeps the first letter
        verbs = [w for w in ("put", "pop", "set", "get") if w[0] == word[0] and edit_distance(word, w, 1) == 1]
        return verbs[0] if len(verbs) == 1 else word
    limit = 1 if len(word) < 7 else 2
    best: list[tuple[int, str]] = []
    for w in lex:
        if len(w) < 3:
            continue
        d = edit_distance(word, w, limit)
        if d <= limit:
            best.append((d, w))
    if not best:
        # a misspelt colour name before an object noun ("the emarald block"); elsewhere an unknown word
        # stays unknown and is refused by name
        if after in CATEGORY_WORDS or after in ("one", "ones", "coloured", "colored"):
            return closest_colour_name(word) or word
        return word
    best.sort()
    top = [w for d, w in best if d == best[0][0]]
    if len(top) == 1:
        return top[0]
    named = [w for w in top if f"{w} {CATEGORY_WORDS.get(after, after)}" in names]
    if len(named) == 1:
        return named[0]
    near = [w for w in top if _next_key_slip(word, w)]
    if len(near) == 1:  # "pit": put (u is next to i on the keyboard), not sit
        return near[0]
    # ties: a colour that names an object with the next word ("gren bowl": the green bowl is
    # here, no grey one); then a category or colour word beats a verb, a verb any other word; candidates
    # that are spellings of one category ("block", "blok") count once
    for cls in (set(CATEGORY_WORDS) | {"red", "green", "blue", "yellow", "grey"},
                PLACE_VERBS | HOLD_VERBS | PUSH_VERBS | OPEN_VERBS | CLOSE_VERBS | STACK_VERBS | DISCARD_VERBS,
                DETERMINERS | PREP_IN | PREP_ON | {"and", "then", "block"}):
        key = [w for w in top if w in cls]
        if len({CATEGORY_WORDS.get(w, w) for w in key}) == 1:
            return next(w for w in key if w in CATEGORY_WORDS and CATEGORY_WORDS[w] == w) if key[0] in \
                CATEGORY_WORDS and any(CATEGORY_WORDS.get(w) == w for w in key) else key[0]
    return word


_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_AT = {c: (r, k) for r, row in enumerate(_KEYBOARD) for k, c in enumerate(row)}


def _next_key_slip(typed: str, word: str) -> bool:
    """``typed`` is ``word`` with one letter replaced by a key next to it on a QWERTY keyboard."""
    if len(typed) != len(word):
        return False
    diff = [(a, b) for a, b in zip(typed, word, strict=True) if a != b]
    if len(diff) != 1 or diff[0][0] not in _KEY_AT or diff[0][1] not in _KEY_AT:
        return False
    (r1, k1), (r2, k2) = _KEY_AT[diff[0][0]], _KEY_AT[diff[0][1]]
    return abs(r1 - r2) <= 1 and abs(k1 - k2 + (r1 - r2) * 0.5) <= 1


def tokens_of(text: str, extra: set[str] | None = None, names: frozenset[str] = frozenset()) -> list[str]:
    t = text.lower()
    t = re.sub(r"[→⇒⟶➔➜=]+>?|-+>|>+", " -> ", t)
    t = re.sub(r"\bone (at a time|by one|after (the )?other)\b", " ", t)
    t = t.replace("’", "'").replace("‘", "'")
    t = re.sub(r"\b(thanks|thank you)((?: so| very)? much| a lot)? in advance\b", r" \1 ", t)
    t = re.sub(r"[()]", " , ", t)  # "(the one near the bin)": an aside, set off like commas
    t = re.sub(r"\s&\s", " and ", t)
    t = re.sub(r"\s/\s", " ; ", t)  # "A into B / C into D": two requests
    for pat, rep in CONTRACTIONS:
        t = re.sub(pat, rep, t)
    t = re.sub(r"(\d)\s*(cm|mm|m)\b", r"\1 \2", t)
    t = re.sub(r"\b(in|on|to|into|onto)t he\b", r"\1 the", t)  # "int he bin": a space typed one letter late
    t = re.sub(r"\bnon-(?=[a-z])", "non ", t)
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)
    t = re.sub(r"\s[-–—]+\s", " - ", t)
    raw = re.findall(r"->|\d+(?:\.\d+)?|[a-z]+|[,;:.!?]|(?<=\s)-(?=\s)", t)
    raw = [part for w in raw for part in _split(w, extra or set())]
    out = []
    for k, w in enumerate(raw):
        w = SPELLING.get(w, w)
        after = _correct(raw[k + 1], extra or set()) if k + 1 < len(raw) else ""
        out.append(_correct(w, extra or set(), after, names))
    return out


def _split(word: str, extra: set[str]) -> list[str]:
    """A word typed without its space ("inthe", "blueblock") as its two known words."""
    lex = _lexicon() | extra
    if word in lex or not word.isalpha() or len(word) < 5 or colour_rgb(word) is not None:
        return [word]
    for k in range(2, len(word) - 1):
        a, b = word[:k], word[k:]
        if (a in lex or colour_rgb(a) is not None) and (b in lex or colour_rgb(b) is not None) and len(b) >= 2:
            return [a, b]
    return [word]


# --------------------------------------------------------------------------- world


@dataclass(frozen=True)
class Obj:
    id: str
    name: str
    category: str
    colour: str
    x: float
    y: float


def _get(o: Any, key: str, default: Any = "") -> Any:
    return o.get(key, default) if isinstance(o, Mapping) else getattr(o, key, default)


def world_objects(objects: Sequence[Any]) -> list[Obj]:
    out = []
    for o in objects:
        pos = _get(o, "position", None)
        x, y = (float(pos[0]), float(pos[1])) if pos is not None and len(pos) >= 2 else (math.nan, math.nan)
        out.append(Obj(str(_get(o, "id")), str(_get(o, "name") or _get(o, "id")),
                       str(_get(o, "category") or "object"), str(_get(o, "colour") or "").lower(), x, y))
    return out


MOVABLE = ("block", "object")
CONTAINERS = ("bowl", "bin", "drawer")


# --------------------------------------------------------------------------- noun phrases


@dataclass
class Ref:
    """A noun phrase before resolution."""

    colours: list[str] = field(default_factory=list)
    category: str | None = None
    plural: bool = False
    count: int | None = None  # "both", "two", "all three"
    all: bool = False
    other: bool = False  # "the other blocks", "the rest"
    pronoun: bool = False
    superlative: tuple[str, str] | None = None  # (kind, landmark id/"robot"/"person"/"")
    relative: list[tuple[str, Ref]] = field(default_factory=list)  # ("near", ref), ("matches", ref)
    except_refs: list[Ref] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    one: bool = False  # "the one ...": a pro-noun, its kind from the topic or the clause
    not_colours: list[str] = field(default_factory=list)  # "the non-red blocks", "blocks that are not blue"

    def text(self) -> str:
        return " ".join(self.words) or "it"


@dataclass
class Clause:
    action: str  # place | discard | hold | open | close | push | stack | sort | state
    objects: list[Ref] = field(default_factory=list)
    relation: str | None = None  # in | on | under
    dest: Ref | None = None
    direction: str | None = None
    distance: float | None = None
    order: str | None = None  # stack: bottom_up | top_down


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.t = tokens
        self.i = 0
        self.used = [False] * len(tokens)
        self.comparatives = True  # "closer to me" describes the object (False: it is where a push goes)
        self.contrasts: list[Ref] = []  # ", not the blue one": objects the task says are not meant

    # ---------------------------------------------------------------- cursor helpers
    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.t[j] if 0 <= j < len(self.t) else ""

    def take(self, n: int = 1) -> list[str]:
        out = self.t[self.i : self.i + n]
        for j in range(self.i, min(self.i + n, len(self.t))):
            self.used[j] = True
        self.i += n
        return out

    def save(self) -> tuple[int, list[bool]]:
        return self.i, list(self.used)

    def restore(self, state: tuple[int, list[bool]]) -> None:
        self.i, self.used = state[0], list(state[1])

    def accept(self, *words: str) -> bool:
        if self.peek() in words:
            self.take()
            return True
        return False

    def accept_seq(self, *seq: str) -> bool:
        if all(self.peek(k) == w for k, w in enumerate(seq)):
            self.take(len(seq))
            return True
        return False

    def skip_fillers(self) -> None:
        while self.peek() and (self.peek() in FILLER - {"and", "then", "up", "down", "over", "out", "off",
                                                        "back", "onto", "into", "to", "of", "with", "as",
                                                        "well", "first", "second", "third", "last", "next",
                                                        "get", "gets", "got", "that", "this", "these",
                                                        "those", "the", "a", "an", "your", "my", "our",
                                                        "its", "by", "after", "when", "once", "have", "has",
                                                        "had", "is", "are", "be", "right", "away", "here",
                                                        "there", "go", "make", "mean"}
                               or self.peek() in ("please", "kindly")):
            if self.peek() == "let" and self.peek(1) == "go":
                break  # "... and let go": a clause of its own
            self.take()
        if self.peek() == "it" and self.peek(1) in ("would", "will", "is", "might", "could", "if"):
            self.take()  # "it would be great if you could ...", "I'd appreciate it if ..."
            self.skip_fillers()
        if self.peek() in ("when", "whenever", "once", "if") and not self._np_follows(1):
            j = 1
            while j < 8 and self.peek(j) not in (",", "") and self.peek(j) not in CATEGORY_WORDS:
                j += 1
            if self.peek(j) == "," and all(not self._colour_at(k) for k in range(1, j)):
                self.take(j + 1)  # "when you get a chance, ..."
                self.skip_fillers()

    # ---------------------------------------------------------------- noun phrases
    def noun_phrase(self) -> Ref | None:
        start = self.i
        state = self.save()
        ref = Ref()
        # quantifiers and determiners
        while True:
            w = self.peek()
            if w in DETERMINERS:
                self.take()
            elif w in ("only", "just") and (self.peek(1) in DETERMINERS or self._colour_at(1)) and self.i == start:
                self.take()  # "move only the blue block"
            elif w in ("its", "their") and self.peek(1) in ("matching", "corresponding", "own"):
                self.take()  # "each block in its matching bowl"
                if self.accept("own"):
                    ref.relative.append(("matches", Ref(pronoun=True, words=["(its colour)"])))
            elif w in ("all", "every", "each", "everything"):
                self.take()
                self.accept("single")
                if self.peek() == "one" and self.peek(1) == "of":
                    self.take()  # "every one of the blocks"
                ref.all = True
                if w == "everything":
                    ref.plural = True
                self.accept("of")
            elif w == "both":
                self.take()
                if not self._both_and():
                    ref.count, ref.plural = 2, True
                self.accept("of")
            elif w == "non" and self._colour_at(1):
                self.take()
                ref.not_colours.append(" ".join(self.take(self._colour_at(0))))
                ref.plural = True
            elif w in ("matching", "corresponding") and (self.peek(1) in CATEGORY_WORDS or self.peek(1) == "one"):
                self.take()  # "the matching bowl": of the colour of what the clause moves
                ref.relative.append(("matches", Ref(pronoun=True, words=["(its colour)"])))
            elif w in ("open", "opened", "closed", "shut") and self.peek(1) in ("drawer", "drawers"):
                self.take()  # "the open drawer": which one is meant, not a state to reach
            elif re.fullmatch(r"\d+", w) and self.peek(1) not in UNITS and int(w) <= 12:
                self.take()
                ref.count, ref.plural = int(w), int(w) > 1
                self.accept("of")
            elif w in ("pair", "couple") and self.peek(1) == "of":
                self.take(2)
                ref.count, ref.plural = 2, True
            elif w in NUMBERS and w not in ("one",) and self.peek(1) not in ("cm", "mm", "m"):
                self.take()
                ref.count, ref.plural = NUMBERS[w], True
                self.accept("of")
            elif w in ("other", "remaining") or (w == "rest" and self.peek(1) not in CATEGORY_WORDS):
                self.take()
                ref.other, ref.plural = True, True
                self.accept("of")
            elif w in ("leftmost", "rightmost", "nearest", "closest", "farthest", "furthest", "middle",
                       "centre", "lowest", "highest"):
                self.take()
                ref.superlative = (w, "")
            elif w in ("left", "right") and (self.peek(1) in CATEGORY_WORDS or self.peek(1) in ("one",)
                                            or self._colour_at(1)):
                self.take()
                ref.superlative = ("leftmost" if w == "left" else "rightmost", "")
            else:
                break
        # colours and category
        while True:
            w = self.peek()
            n = self._colour_at(0)
            if n:
                ref.colours.append(" ".join(self.take(n)))
                while self.peek() in ("coloured", "colored", "ish", "tinted", "painted", "looking") or (
                    self.peek() in ("colour",) and self.peek(1) in CATEGORY_WORDS
                ):
                    self.take()
                if self.peek() in ("and", "or") and self._colour_at(1) and self._category_after_colours(1):
                    self.take()
                    ref.plural = True
                continue
            if w in CATEGORY_WORDS:
                self.take()
                ref.category = CATEGORY_WORDS[w]
                ref.plural = ref.plural or w in PLURAL_WORDS
                while CATEGORY_WORDS.get(self.peek()) == ref.category:  # "waste bin", "rubbish bin"
                    ref.plural = ref.plural or self.take()[0] in PLURAL_WORDS
                self.accept("can")  # "trash can"
                break
            if w in ("one", "ones") and (ref.colours or ref.superlative or ref.other or ref.all or ref.count):
                self.take()
                ref.plural = ref.plural or w == "ones"
                break
            break
        if self.i == start or (self.i == start + 1 and self.t[start] in ("that", "this", "those", "these")
                                and self.peek() not in CATEGORY_WORDS and not self._colour_at(0)):
            if self.i == start + 1:
                ref.pronoun = True
                ref.words = [self.t[start]]
                return ref
            if self.peek() in ("it", "them", "they", "itself", "one"):
                self.take()
                self.accept("both", "all", "too")  # "put them both in the bin"
                ref.pronoun = True
                ref.words = [self.t[start]]
                return ref
            if self.peek() == "rest":
                self.take()
                ref.other, ref.plural = True, True
                ref.words = ["rest"]
                return ref
            return None
        if not ref.colours and ref.category is None and not (ref.all or ref.other or ref.count):
            if self.peek() in ("one", "ones"):
                ref.plural = self.take()[0] == "ones"
                ref.one = True
            elif ref.superlative is None:
                self.restore(state)
                return None
        self._post_modifiers(ref)
        ref.words = [w for w in self.t[start : self.i]]
        return ref

    def _both_and(self) -> bool:
        """"both the blue block and the yellow block": 'both' marks the conjunction, not a count."""
        return bool(self._ahead(0, lambda: self.noun_phrase() is not None and self.peek() == "and"
                                and self._np_follows(1)))

    def _category_after_colours(self, k: int) -> bool:
        j = k
        while True:
            n = self._colour_at(j)
            if not n:
                break
            j += n
            if self.peek(j) in ("and", "or", ","):
                j += 1
        return self.peek(j) in CATEGORY_WORDS

    def _colour_at(self, k: int) -> int:
        """Number of tokens of a colour word starting at offset ``k`` (two-word names first)."""
        a, b = self.peek(k), self.peek(k + 1)
        if not a.isalpha() or a in CATEGORY_WORDS or a in FILLER - {"right"} or a in DIRECTION_WORDS:
            if a not in ("red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "black", "grey",
                         "brown", "cyan"):
                return 0
        if b and b.isalpha() and b not in CATEGORY_WORDS and colour_rgb(f"{a} {b}") is not None:
            return 2
        if colour_rgb(a) is not None and a not in _NOT_COLOURS:
            return 1
        return 0

    def _post_modifiers(self, ref: Ref) -> None:
        while True:
            w, w1, w2 = self.peek(), self.peek(1), self.peek(2)
            if w in ("coloured", "colored", "painted", "in") and self._colour_at(1) and (
                w != "in" or self.peek(1 + self._colour_at(1)) in ("", ",", ".", "into", "in", "to", "on", "and")
            ) and not ref.colours:
                self.take()
                ref.colours.append(" ".join(self.take(self._colour_at(0))))  # "the block coloured blue"
                continue
            if w in ("that", "which") and w1 in ("is", "are") and self._colour_at(2) and self.peek(2 + self._colour_at(2)) not in CATEGORY_WORDS:
                self.take(2)
                ref.colours.append(" ".join(self.take(self._colour_at(0))))  # "the blocks that are yellow"
                self.accept("coloured", "colored", "ones", "one")
                continue
            if not ref.colours and w in (",", "the") and ref.category is not None:
                k = 1 if w == "," else 0
                if self.peek(k) == "the" and self._colour_at(k + 1) and \
                        self.peek(k + 1 + self._colour_at(k + 1)) in ("one", ref.category or ""):
                    self.take(k + 1)
                    ref.colours.append(" ".join(self.take(self._colour_at(0))))  # "the bowl, the green one"
                    self.take()
                    continue
            if w in ("is", "are", "sits", "lies", "stands") and w1 in (
                "nearest", "closest", "farthest", "furthest", "nearer", "closer", "next", "further", "farther",
                "leftmost", "rightmost", "most", "near", "beside", "by",
            ) or (w in ("is", "are", "sits", "lies") and w1 in ("on", "to", "at") and w2 in ("the", "your", "my")
                  and self.peek(3) in ("left", "right", "far", "front", "back")):
                self.take()
                continue
            if w in (",",) and self.peek(1) in ("the",) and False:
                break
            if w in ("on", "at", "in") and w1 == "the" and w2 in ("left", "right", "far", "front", "back",
                                                                         "middle", "centre") \
                    and not (w2 in ("middle", "centre") and self.peek(3) == "of"):  # "in the centre of the bowl"
                self.take(3)
                if w2 == "far":
                    self.accept("left", "right")
                    w2 = self.t[self.i - 1]
                self.accept("side", "end", "edge", "hand")
                if w2 in ("left", "right"):
                    ref.superlative = ("leftmost" if w2 == "left" else "rightmost", "")
                elif w2 == "front":
                    ref.superlative = ("farthest", "robot")
                elif w2 == "back":
                    ref.superlative = ("nearest", "robot")
                else:
                    ref.superlative = ("middle", "")
                continue
            if w in ("on",) and w1 in ("your", "my", "its") and w2 in ("left", "right"):
                self.take(3)
                side = w2 if w1 != "my" else ("right" if w2 == "left" else "left")
                ref.superlative = ("leftmost" if side == "left" else "rightmost", "")
                continue
            if not self.comparatives and w in ("further", "farther", "closer", "nearer", "more"):
                break
            if w in ("further", "farther", "more", "most") and w1 in ("left", "right"):
                self.take(2)
                self.accept("one")
                ref.superlative = ("leftmost" if w1 == "left" else "rightmost", "")
                continue
            if w in ("further", "farther") and w1 in ("away", "from", "back"):
                self.take(1)
                ref.superlative = ("farthest", "robot")
                self._landmark(ref, "farthest")
                continue
            if w in ("nearest", "closest", "nearer", "closer", "farthest", "furthest", "near", "next", "beside",
                     "by") or (w == "most" and w1 in ("near", "close")):
                if w == "most":
                    self.take()
                    w = self.peek()
                kind = {"nearer": "nearest", "closer": "nearest", "near": "nearest", "next": "nearest",
                        "beside": "nearest", "by": "nearest", "furthest": "farthest", "closest": "nearest"}.get(w, w)
                if w == "by" and self.peek(1) not in ("the",):
                    break
                self.take()
                self._landmark(ref, kind)
                continue
            if w in ("that", "which") and w1 in ("are", "is") and w2 == "not" and self._colour_at(3):
                self.take(3)
                ref.not_colours.append(" ".join(self.take(self._colour_at(0))))
                continue
            if w == "whose" and w1 in ("colour", "shade") and w2 in ("matches", "match", "is", "equals"):
                self.take(3)  # "the bowl whose colour matches the red block" / "is the same as ..."
                if self.accept("the"):
                    self.accept("same", "matching")
                    self.accept("as")
                self.accept_seq("that", "of")
                lm = self.noun_phrase()
                if lm is not None:
                    ref.relative.append(("matches", lm))
                continue
            if w in ("that", "which", "whose") and w1 in ("matches", "match", "is", "has"):
                self.take(2)
                if w1 in ("is", "has") and self.peek() in ("the",) and self.peek(1) in COLOUR_NOUN | {"same"}:
                    self.take()
                self._relative(ref)
                continue
            if w in ("matching",) and w1 in ("the",):
                self.take()
                self._relative(ref)
                continue
            if w in ("the", "of") and w1 in ("same", "colour") or (w == "in" and w1 == "the" and w2 == "same") or (
                w == "of" and w1 == "the" and w2 in ("same", "matching")
            ) or (w in ("of", "with") and w1 in ("its", "their") and w2 in ("colour", "own")):
                if w in ("in", "of", "with"):
                    self.take()
                self._relative(ref)
                continue
            if w == "with" and w1 in ("the",) and w2 in ("same",):
                self.take()
                self._relative(ref)
                continue
            if w in ("except", "excluding", "besides", "but", "bar") or (w == "other" and w1 == "than") or (
                w == "apart" and w1 == "from"
            ) or (w == "save" and w1 == "for"):
                if not (ref.all or ref.plural or ref.other):
                    break
                self.take(2 if w in ("other", "apart", "save") else 1)
                self.accept("for")
                while True:
                    ex = self.noun_phrase()
                    if ex is None:
                        break
                    ref.except_refs.append(ex)
                    if self.peek() in ("and", "or", ",") and self._np_follows(1):
                        self.take()
                        continue
                    break
                continue
            break

    def _ahead(self, k: int, probe: Any) -> Any:
        """``probe()`` parsed ``k`` tokens ahead, the cursor and the used marks left as they were."""
        state = self.save()
        self.i += k
        try:
            return probe()
        finally:
            self.restore(state)

    def _np_follows(self, k: int) -> bool:
        return self._ahead(k, lambda: self.noun_phrase() is not None)

    def _landmark(self, ref: Ref, kind: str) -> None:
        self.accept("to", "from")
        if self.accept("you", "yourself") or self.accept_seq("the", "robot") or self.accept_seq("your", "base") \
                or self.accept_seq("the", "base") or self.accept("robot"):
            self.accept_seq("base")
            ref.superlative = (kind, "robot")
            return
        if self.accept("me", "us"):
            ref.superlative = (kind, "person")
            return
        lm = self.noun_phrase()
        if lm is None:
            ref.superlative = (kind, "robot") if kind in ("nearest", "farthest") else (kind, "")
            return
        ref.relative.append((kind, lm))

    def _relative(self, ref: Ref) -> None:
        self.accept("the")
        if self.accept("its", "their"):  # "the bowl that matches its colour"
            self.accept("own")
            self.accept("colour", "colours", "shade")
            ref.relative.append(("matches", Ref(pronoun=True, words=["(its colour)"])))
            return
        if self.accept("same", "matching"):
            self.accept("colour", "shade")
            if not self.accept("as"):  # "the bowl of the same colour": as what the clause moves
                ref.relative.append(("matches", Ref(pronoun=True, words=["(its colour)"])))
                return
            lm = self.noun_phrase()
            if lm is not None:
                ref.relative.append(("matches", lm))
            return
        if self.accept("colour", "shade"):
            self.accept("of")
            n = self._colour_like_word()
            if n:
                ref.colours.append(n)
                return
            lm = self.noun_phrase()
            if lm is not None:
                ref.relative.append(("matches", lm))
            return
        lm = self.noun_phrase()
        if lm is not None:
            ref.relative.append(("matches", lm))
            if self.peek() == "in" and self.peek(1) in ("colour", "shade"):
                self.take(2)  # "the block that matches the bowl in colour"

    def _colour_like_word(self) -> str:
        self.accept("a", "an", "the", "fresh", "ripe", "clear", "new", "cut", "summer")
        n = self._colour_at(0)
        if n:
            return " ".join(self.take(n))
        return ""


_NOT_COLOURS = NOT_COLOUR_WORDS  # words the colour tables list that are not colours on their own


# --------------------------------------------------------------------------- clauses


class _ClauseParser(_Parser):
    def parse(self) -> list[Clause]:
        clauses: list[Clause] = []
        guard = 0
        while self.i < len(self.t) and guard < 200:
            guard += 1
            if self._connector():
                continue
            self.skip_fillers()
            if self.i >= len(self.t):
                break
            before = self.i
            c = self._clause(clauses)
            if c is not None:
                clauses.extend(c if isinstance(c, list) else [c])
                continue
            if self.i == before:
                self.i += 1  # leave it unused: an unknown word
        if self.contrasts:
            clauses.append(Clause("contrast", list(self.contrasts)))
        return clauses

    def _connector(self) -> bool:
        w = self.peek()
        if w in (",", ";", ".", "!", "?", "and", "then", "afterwards", "next", "finally", "also", "plus",
                 "lastly", "first", "second", "third"):
            self.take()
            return True
        if w == "after" and self.peek(1) in ("that", "this"):
            self.take(2)
            return True
        j = 1
        while w == "but" and self.peek(j) in FILLER and self.peek(j) not in ("and", "then") and j < 8:
            j += 1  # "sorry to bother you, but could you put ..."
        if w == "but" and (self.peek(1) in ("leave", "do", "dont", "keep", "never", "please", "make")
                           or self._verb_follows(j)):
            self.take()  # "..., but leave the green block where it is"
            return True
        if w == "as" and self.peek(1) == "well" and self.peek(2) == "as":
            self.take(3)
            return True
        if w == "and" and self.peek(1) == "then":
            self.take(2)
            return True
        return False

    def _particles(self) -> None:
        while self.peek() in ("up", "down", "away", "out", "off", "back") and not (
            self.peek() == "back" and self.peek(1) in ("of",)
        ):
            self.take()

    def _objects(self) -> list[Ref]:
        refs: list[Ref] = []
        while True:
            r = self.noun_phrase()
            if r is None:
                break
            refs.append(r)
            if self.peek() in ("and", ",", "or") and self._np_follows(1) and not self._verb_follows(1):
                self.take()
                continue
            break
        # "the blue and the green blocks": a colour without its noun takes the next one's
        for k, r in enumerate(refs):
            if r.colours and r.category is None and not r.pronoun:
                nxt = next((x for x in refs[k + 1:] if x.category is not None), None)
                if nxt is not None:
                    r.category = nxt.category
        return refs

    def _verb_follows(self, k: int) -> bool:
        w = self.peek(k)
        return w in PLACE_VERBS | HOLD_VERBS | PUSH_VERBS | OPEN_VERBS | CLOSE_VERBS | DISCARD_VERBS | STACK_VERBS \
            and w not in ("go", "goes", "should", "must", "needs", "belongs", "belong", "bin")

    def _clause_follows(self, k: int) -> bool:
        """After ``k`` tokens, does a new clause (a verb, or NP + destination) start?"""
        w = self.peek(k)
        if w in PLACE_VERBS | HOLD_VERBS | PUSH_VERBS | OPEN_VERBS | CLOSE_VERBS | DISCARD_VERBS - {"bin"}:
            return w not in ("leave",) or True
        state = self.save()
        self.i += k
        r = self.noun_phrase()
        follows = r is not None and self.peek() in PREP_IN | PREP_ON | PREP_UNDER | {"->", ":", "go", "goes"}
        self.restore(state)
        return follows

    def _destination(self) -> tuple[str, Ref] | None:
        w, w1, w2 = self.peek(), self.peek(1), self.peek(2)
        rel: str | None = None
        if w in ("down", "over", "across", "back", "up") and w1 in PREP_IN | PREP_ON | PREP_UNDER and w1 not in (
            "over", ":", "->"
        ):
            self.take()
            return self._destination()
        if w in ("on", "onto", "upon", "atop") and w1 == "top" and w2 == "of":
            self.take(3)
            rel = "on"
        elif w == "on" and w1 == "to":
            self.take(2)
            rel = "on"
        elif w in ("on", "onto", "upon", "atop", "over"):
            self.take()
            rel = "on"
        elif w == "top" and w1 == "of":
            self.take(2)
            rel = "on"
        elif w in ("in", "into", "inside", "within", "->", ":") or (w == "to" and w1 != "the" or w == "to"):
            if w == "to" and w1 in ("my", "your", "its") and w2 in ("left", "right"):
                return None
            if w == "to" and w1 == "the" and w2 in ("left", "right"):
                return None
            self.take()
            if w in ("->", ":") and self.peek() in PREP_IN | PREP_ON | PREP_UNDER | {"top"}:
                return self._destination()
            self.accept("the")
            self.accept_seq("inside", "of")
            rel = "in"
        elif w in PREP_UNDER:
            self.take()
            rel = "under"
        elif w in ("toward", "towards"):
            return None
        if rel is None:
            return None
        if self.peek(int(self.peek() == "the")) in ("centre", "middle") and self.peek(1 + (self.peek() == "the")) == "of":
            self.take(2 + (self.peek() == "the"))  # "in the centre of the yellow bowl"
        self.accept("the")
        dest = self.noun_phrase()
        if dest is None:
            if rel == "in" and self.peek() in ("", ",", ".", "and", "then", "!", "?"):
                return rel, Ref(pronoun=True, words=["(implied)"])
            return None
        return rel, dest

    def _direction(self, c: Clause) -> bool:
        w, w1, w2 = self.peek(), self.peek(1), self.peek(2)
        if w in ("in", "to") and w1 in ("the", "a") and w2 in DIRECTION_WORDS and self.peek(3) in ("direction", "side"):
            self.take(4)  # "in the forward direction"
            c.direction = DIRECTION_WORDS[w2]
            return True
        if w in ("closer", "nearer", "further", "farther") and (w1 in ("to", "from", "away") or not w1):
            self.take()
            self.accept("away")
            self.accept("to", "from")
            who = self.peek()
            if who in ("me", "us", "you", "yourself"):
                self.take()
            elif who == "the" and self.peek(1) in ("robot", "base", "person", "user", "camera"):
                self.take(2)
                who = self.t[self.i - 1]
            else:
                who = "you"  # "further away": from the robot
            towards_person = who in ("me", "us", "person", "user", "camera")
            closer = w in ("closer", "nearer")
            c.direction = "forward" if closer == towards_person else "backward"
            return True
        if w in ("to", "toward", "towards") and w1 in ("my", "your", "its", "the") and w2 in ("left", "right"):
            self.take(3)
            side = w2
            if w1 == "my":
                side = "right" if w2 == "left" else "left"  # a person facing the robot: mirror
            c.direction = side
            self.accept("side", "hand")
            return True
        if w in ("toward", "towards") and w1 in ("me", "us", "the", "you", "yourself", "robot"):
            self.take(2)
            if w1 == "the":
                self.accept("robot", "base", "person", "user", "camera")
                c.direction = "backward" if self.t[self.i - 1] in ("robot", "base") else "forward"
            else:
                c.direction = "forward" if w1 in ("me", "us") else "backward"
            return True
        if w == "away" and w1 == "from":
            self.take(2)
            who = self.peek()
            self.accept("me", "us", "you", "yourself", "the")
            if who == "the":
                self.accept("robot", "base", "person", "user")
                who = self.t[self.i - 1]
            c.direction = "backward" if who in ("me", "us", "person", "user") else "forward"
            return True
        if w in DIRECTION_WORDS:
            self.take()
            c.direction = DIRECTION_WORDS[w]
            self.accept("side", "ward", "wards")
            return True
        if w in ("to", "the") and w1 in DIRECTION_WORDS:
            self.take(2)
            c.direction = DIRECTION_WORDS[w1]
            return True
        if w == "to" and w1 == "the" and w2 in DIRECTION_WORDS:
            self.take(3)
            c.direction = DIRECTION_WORDS[w2]
            return True
        if w in ("back",) and c.action == "push":
            self.take()
            c.direction = "backward"
            return True
        if w in ("away",) and c.action == "push":
            self.take()
            c.direction = "forward" if self.peek() != "from" else c.direction
            return True
        return False

    def _distance(self, c: Clause) -> bool:
        w, w1 = self.peek(), self.peek(1)
        if re.fullmatch(r"\d+(\.\d+)?", w) and w1 in UNITS:
            self.take(2)
            c.distance = float(w) * UNITS[w1]
            return True
        if w in NUMBERS and w1 in UNITS:
            self.take(2)
            c.distance = NUMBERS[w] * UNITS[w1]
            return True
        if w in ("a", "just") and w1 in ("bit", "little", "touch", "few", "couple"):
            self.take(2)
            self.accept("of")
            self.accept("centimetres", "centimeters", "cm")
            c.distance = 0.05
            return True
        if w in ("slightly", "gently"):
            self.take()
            c.distance = 0.05
            return True
        if w in ("by", "about", "around", "roughly", "some") and (
            re.fullmatch(r"\d+(\.\d+)?", w1) or w1 in NUMBERS or w1 in ("a",)
        ):
            self.take()
            return self._distance(c)
        return False

    def _clause(self, done: list[Clause]) -> Clause | list[Clause] | None:
        w, w1 = self.peek(), self.peek(1)
        # "make sure / ensure / see that": a state follows
        if w in ("make", "ensure") and (w1 in ("sure", "certain") or w == "ensure"):
            self.take(2 if w == "make" else 1)
            self.accept("that")
            return self._state_clause()
        # negation: leave X (where it is | alone), do not touch/move X
        if w == "leave" or (w in ("do", "dont") and w1 in ("not", "touch", "move")) or w == "not" or w == "never":
            c = self._negation()
            if c is not None:
                return c
        # "find the yellow block and put it in the bin": the object becomes what "it" means
        if w in ("find", "locate", "spot") and self._np_follows(1) and not self._dest_follows_np(1):
            self.take()
            return Clause("topic", self._objects())
        # a drawer pushed shut or pulled open
        if w in PUSH_VERBS | {"pull"} and self._drawer_state_follows(1):
            self.take()
            objs = self._objects()
            self.accept("all", "the", "way")
            state = self.take()[0]
            self.accept("again")
            return Clause("open" if state in ("open", "out", "opened") else "close", objs)
        if w == "pull" and self.peek(1) in ("out", "open"):
            self.take(2)
            return Clause("open", self._objects())
        # open / close
        if w in OPEN_VERBS or w in CLOSE_VERBS or (w == "get" and self._state_after_np(1)):
            return self._open_close()
        # discard: get rid of, throw away/out, bin it, trash
        if (w == "get" and w1 == "rid") or (w in ("throw", "toss", "chuck", "clear") and w1 in ("away", "out")) \
                or w in ("discard", "trash", "junk", "scrap", "dispose", "bin") and not self._dest_follows_np(1):
            return self._discard()
        if w in SORT_VERBS:
            return self._sort()
        reach = self._reach()
        if reach is not None:
            return reach
        table = self._clear_table()
        if table is not None:
            return table
        if w in ("tidy", "clean") and w1 == "up" and self.peek(2) in (":", ",", "by", "-"):
            self.take(3)  # "tidy up: all blocks into the bin"
            self.accept("putting")
            return None
        if self.accept_seq("let", "go") or (w in ("release", "drop") and w1 in ("it", "them") and self.peek(2) in (
                "", ",", ".", "and", "then")):
            if w in ("release", "drop"):
                self.take(2)
            self.accept_seq("of", "it")
            return Clause("noop")  # letting go of what was just put somewhere: part of that put
        if w in PLACE_VERBS and self._ahead(1, self._tower_position_follows):
            self.take()  # "put the green block at the bottom of a tower, the blue one above it, ..."
            self.t.insert(self.i, "tower")
            self.used.insert(self.i, False)
            return self._stack()
        if self._ahead(0, lambda: self.noun_phrase() is not None and (
                self._any_seq(self._BOTTOM[:5]) or self._any_seq(self._TOP[:3]))):
            self.t.insert(self.i, "tower")  # "yellow at the bottom, then blue, then red on top"
            self.used.insert(self.i, False)
            return self._stack()
        if (w in ("top", "bottom") and w1 in ("to", "up", "down")) or (w == "from" and w1 == "the" and self.peek(2) in (
                "top", "bottom", "table")) or (w == "from" and w1 in ("top", "bottom")):
            self.t.insert(self.i, "tower")  # an order with no verb: "top to bottom: green, blue, red"
            self.used.insert(self.i, False)
            return self._stack()
        if w in STACK_VERBS or (w in ("build", "make") and w1 in ("a", "the")) or (
            w in ("a", "the") and w1 in ("tower", "stack", "pile")
        ):
            return self._stack()
        if w in PUSH_VERBS and not (w in ("slide", "shove") and self._dest_follows_np(1)):
            return self._push()
        if w in HOLD_VERBS and not self._dest_follows_np(1 + (1 if w1 in ("up",) else 0)):
            return self._hold()
        if w in PLACE_VERBS or w in DISCARD_VERBS or w in HOLD_VERBS:
            return self._place()
        # terse or state forms beginning with a noun phrase
        return self._np_first(done)

    def _dest_follows_np(self, k: int) -> bool:
        state = self.save()
        self.i += k
        self._particles()
        refs = self._objects()
        self._particles()
        in_air = self.peek() == "in" and self.peek(1) == "the" and self.peek(2) == "air"
        ok = bool(refs) and not in_air and (self.peek() in PREP_IN | PREP_ON | PREP_UNDER | {"->", ":", "down"}
                             and not (self.peek() in ("to", "towards", "toward")
                                      and self.peek(1) in ("my", "your", "the", "me", "you") and
                                      self.peek(2) in ("left", "right", "robot", "")))
        self.restore(state)
        return ok

    def _reach(self) -> Clause | None:
        """"move to the red block", "go over the bowl", "reach the drawer", "move the gripper to X"."""
        state = self.save()
        w = self.peek()
        if w not in ("move", "go", "reach", "approach", "hover", "head", "bring", "take", "position", "send"):
            return None
        self.take()
        if self.peek() in ("the", "your", "my") and self.peek(1) in ("gripper", "arm", "hand", "end", "robot", "tool"):
            self.take(2)
            self.accept("effector")
        if w in ("reach", "approach") or self.accept("to", "towards", "toward", "over", "above", "next", "near"):
            self.accept("to")
            self.accept("just")
            objs = self._objects()
            if objs and self.peek() in ("", ",", ".", "and", "then", "!", "?", "please", ";"):
                return Clause("reach", objs)
        self.restore(state)
        return None

    def _clear_table(self) -> Clause | None:
        """"clear the table", "tidy up the table", "empty the table into the bin": every movable
        object into the bin (the one place for what is cleared away in these worlds)."""
        state = self.save()
        if not self.accept("clear", "clean", "tidy", "empty"):
            return None
        self.accept("up", "off", "away")
        if not (self.accept_seq("the", "table") or self.accept_seq("the", "tabletop") or self.accept("table")):
            self.restore(state)
            return None
        self.accept("up", "off")
        everything = Ref(all=True, plural=True, words=["everything on the table"])
        d = self._destination()
        return Clause("place", [everything], d[0], d[1]) if d is not None else Clause("discard", [everything])

    def _verb_with_pronoun(self, k: int) -> bool:
        verbs = PLACE_VERBS | HOLD_VERBS | PUSH_VERBS | DISCARD_VERBS
        return self.peek(k) in verbs and any(self.peek(j) in ("it", "them", "that") for j in range(k + 1, k + 4))

    def _drawer_state_follows(self, k: int) -> bool:
        def probe() -> bool:
            r = self.noun_phrase()
            self.accept_seq("all", "the", "way")
            return r is not None and r.category == "drawer" and self.peek() in (
                "open", "out", "opened", "shut", "closed", "in", "close")

        return bool(self._ahead(k, probe))

    def _state_after_np(self, k: int) -> bool:
        return bool(self._ahead(k, lambda: self.noun_phrase() is not None
                                and self.peek() in ("open", "opened", "closed", "shut")))

    def _place(self) -> Clause | list[Clause] | None:
        verb = self.take()[0]
        self.accept("up")
        self._particles()
        if self.peek() == "," and self._np_follows(1):
            self.take()  # "put (the blue block) in the bin"
        objs = self._objects()
        self._apposition(objs)
        self._trailing_except(objs)  # "every block, apart from the blue one, in the red bowl"
        for seq in (("off", "the", "table"), ("from", "the", "table"), ("off", "the", "tabletop")):
            if self.accept_seq(*seq):  # "get all the blocks off the table and into the bin"
                self.accept("and")
                break
        self._particles()
        if not objs:
            objs = [Ref(pronoun=True, words=["(implied)"])]
        j = 0
        while self.peek(j) in (",", ".", "-", ";"):
            j += 1
        if j and self.peek(j) in PREP_IN | PREP_ON | PREP_UNDER | {"down"} - {":", "->"}:
            self.take(j)  # "put the red block... in the bin"
        d = self._destination()
        if d is None:
            c = Clause("push", objs)
            if self._direction(c):  # "move the red block 5 cm to the left": a push
                for _ in range(3):
                    if not (self._distance(c) or self._direction(c)):
                        break
                return c
            if self._distance(c):
                if self._direction(c):
                    return c
            if verb in DISCARD_VERBS and verb not in ("remove",):
                return Clause("discard", objs)
            if verb in HOLD_VERBS:
                return Clause("hold", objs)
            return Clause("place", objs)  # no destination: reported as unclear
        rel, dest = d
        self.accept("please")
        self._trailing_except(objs)
        return self._chain(Clause("place", objs, rel, dest))

    def _chain(self, first: Clause) -> Clause | list[Clause]:
        """"stack the green block on the blue block on the red block": each destination rests on the next."""
        out = [first]
        dest = first.dest
        while dest is not None and (self.peek() in ("on", "onto", "atop", "upon")
                                    or (self.peek() == "which" and self.peek(1) == "is")):
            state = self.save()
            self.accept_seq("which", "is")
            d2 = self._destination()
            if d2 is None or d2[0] != "on":
                self.restore(state)
                break
            out.append(Clause("place", [dest], d2[0], d2[1]))
            dest = d2[1]
        return out if len(out) > 1 else out[0]

    def _trailing_except(self, objs: list[Ref]) -> None:
        """"put all the blocks in the bin except the red one" / ", but not the red one"."""
        state = self.save()
        self.accept(",")
        w, w1 = self.peek(), self.peek(1)
        n = 0
        if w in ("except", "excluding", "besides", "bar") or (w == "but" and w1 == "not"):
            n = 2 if w1 in ("not", "for") else 1
        elif (w in ("other", "apart") and w1 in ("than", "from")) or (w == "save" and w1 == "for"):
            n = 2
        elif w == "not" and self._np_follows(1):
            n = 1
        if not n or not any(r.all or r.plural or r.other for r in objs):
            self.restore(state)
            return
        self.take(n)
        self.accept("for")
        while True:
            ex = self.noun_phrase()
            if ex is None:
                break
            for r in objs:
                r.except_refs.append(ex)
            if self.peek() in ("and", "or", ",") and self._np_follows(1):
                self.take()
                continue
            break

    def _apposition(self, objs: list[Ref]) -> None:
        """An aside after the objects: ", the one near the bin," narrows the last of them (both
        descriptions must hold); ", not the blue one," is a contrast, checked not to be what moves."""
        while objs and self.peek() in (",", "-") and self._np_follows(1 + (self.peek(1) == "not")):
            state = self.save()
            sep = self.take()[0]
            contrast = self.accept("not")
            ap = self.noun_phrase()
            if ap is None or ap.pronoun or self.peek() not in (sep, "") and not (
                    self.peek() in PREP_IN | PREP_ON | PREP_UNDER and contrast):
                self.restore(state)
                return
            if contrast:
                self.contrasts.append(ap)
            elif ap.one or ap.category in (None, objs[-1].category):
                last = objs[-1]
                last.colours += [c for c in ap.colours if c not in last.colours]
                last.relative += ap.relative
                last.not_colours += ap.not_colours
                if ap.superlative is not None:
                    last.superlative = ap.superlative
                last.words = last.words + [","] + ap.words
            else:
                self.restore(state)
                return
            self.accept(sep)

    def _np_first(self, done: list[Clause] | None = None) -> Clause | list[Clause] | None:
        state = self.save()
        topic = self.accept("of")  # "of the two yellow blocks, put the one further right ..."
        self.accept("whichever", "whatever")
        first = self.noun_phrase()
        if first is not None and first.category not in CONTAINERS and self.peek() == ",":
            inner = self.save()
            self.take()
            dest = self.noun_phrase()
            if dest is not None and dest.category in CONTAINERS and self.peek() in ("", ".", ";", "!", "?"):
                return Clause("place", [first], "in", dest)  # "Blue block, bin. Green block, red bowl."
            self.restore(inner)
        self.restore(state)
        topic = self.accept("of")
        self.accept("whichever", "whatever")
        objs = self._objects()
        if not objs:
            self.restore(state)
            return None
        # "X goes in Y", "X should be in Y", "X in Y", "X -> Y", "X: Y"
        while self.peek() in ("go", "goes", "should", "must", "needs", "need", "be", "belongs", "belong", "is",
                              "are", "to", "has", "have", "want", "wants", "ends", "end", "up", "sits",
                              "sit", "placed", "put", "moved", "gets", "get", "got", "stay", "stays", "sitting",
                              "resting", "lying", "standing", "sat", "stacked", "stored", "kept", "be"):
            if self.peek() == "to" and self.peek(1) not in ("be", "go", "end", "sit"):
                break
            self.take()
        if self.peek() in ("open", "opened", "closed", "shut"):
            return Clause("open" if self.take()[0] in ("open", "opened") else "close", objs)
        if self.peek() in ("held", "lifted", "raised") and self.peek(1) in ("", "up", "in", ",", ".", "please", "!"):
            self.take()  # "I need the blue block held up"
            self.accept("up")
            self._in_hand()
            return Clause("hold", objs)
        self._trailing_except(objs)  # "all blocks, except the yellow, into the green bowl"
        inner = self.save()
        while self.peek() in (",", "please", ".", "...", "-", ";"):
            self.take()
        d = self._destination()
        if d is not None:
            self._trailing_except(objs)
            return Clause("place", objs, d[0], d[1])
        # "X... Y" / "X, Y" / "X; Y" at the end of the task: a terse put
        dest = self.noun_phrase()
        if dest is not None and self.peek() in ("", ".", "?", "!") and self.t[inner[0]] in (",", ".", ";", "-"):
            while self.peek() in (".", "?", "!"):
                self.take()
            return Clause("place", objs, "in", dest)
        self.restore(inner)
        # ellipsis: "put the blue block in the bin and the green one too"
        if done and done[-1].action in ("place", "discard") and (
            self.peek() in ("too", "also") or self.peek(0) == "as" and self.peek(1) == "well"
        ):
            self.accept("too", "also")
            self.accept_seq("as", "well")
            return Clause(done[-1].action, objs, done[-1].relation, done[-1].dest)
        # a topic: "whichever block is closest to the bin, put it ..."; "of the two yellow blocks, ...";
        # "the blue block - put it in the bin"
        if self.peek() in (",", ":", "-") and (topic or any(r.superlative or r.relative for r in objs)
                                               or self._verb_with_pronoun(1)):
            self.take()
            return Clause("topic", objs)
        self.restore(state)
        return None

    def _state_clause(self) -> Clause | None:
        objs = self._objects()
        self.accept("is", "are", "ends", "stays", "remains", "gets")
        self.accept("up")
        if self.peek() in ("open", "opened", "closed", "shut"):
            return Clause("open" if self.take()[0] in ("open", "opened") else "close", objs)
        d = self._destination()
        if d is not None:
            return Clause("place", objs, d[0], d[1])
        if self.accept("held", "in") or self.accept_seq("in", "the", "gripper"):
            return Clause("hold", objs)
        return None

    def _negation(self) -> Clause | None:
        start = self.i
        if self.accept("leave"):
            objs = self._objects()
            if not objs:
                self.i = start
                return None
            if self.accept_seq("where", "it", "is") or self.accept_seq("where", "they", "are") or self.accept(
                "alone", "untouched", "be"
            ) or self.accept_seq("in", "place") or self.accept_seq("as", "it", "is") or self.accept_seq(
                "where", "it", "sits"
            ):
                return Clause("keep", objs)
            if self.peek() in ("open", "opened", "closed", "shut"):
                return Clause("open" if self.take()[0] in ("open", "opened") else "close", objs)
            d = self._destination()
            if d is not None:
                return Clause("place", objs, d[0], d[1])
            self.i = start
            return None
        self.accept("do", "dont")
        self.accept("not", "never")
        if self.accept_seq("let", "go") or self.accept("drop", "release"):  # "grab it and don't let go"
            self.accept("of")
            self._objects()
            return Clause("hold", [Ref(pronoun=True, words=["it"])])
        if self.accept_seq("do", "anything", "to") or self.accept_seq("do", "anything", "with"):
            return Clause("keep", self._objects())  # "don't do anything to the green block"
        if self.accept("touch", "move", "disturb", "put", "place", "drop"):
            if self.accept("anything", "everything", "nothing", "any"):
                self.accept("else", "other")  # "do not touch anything else": true of every goal
                self.accept("blocks", "block", "objects", "object", "thing", "things")
                d = self._destination()
                if d is not None:  # "don't put anything in the bin": no goal may use the bin
                    self.contrasts.append(d[1])
                return Clause("noop")
            objs = self._objects()
            return Clause("keep", objs)
        if self.t[start] == "not" and self.i == start + 1 and self.peek() in PREP_IN | PREP_ON | PREP_UNDER:
            d = self._destination()  # "in the bin and not in the yellow bowl"
            if d is not None and self.peek() in ("", ",", ".", ";", "!", "and", "then", "but"):
                self.contrasts.append(d[1])
                return Clause("noop")
            self.i = start
            return None
        if self.t[start] == "not" and self.i == start + 1:
            objs = self._objects()  # "put it in the red bowl, not the yellow bowl"
            if objs and self.peek() in ("", ",", ".", ";", "!", "and", "then", "but"):
                self.contrasts.extend(objs)
                return Clause("noop")
        self.i = start
        return None

    def _open_close(self) -> Clause | None:
        w = self.take()[0]
        if w == "get":
            objs = self._objects()
            state = self.take()[0]
            return Clause("open" if state in ("open", "opened") else "close", objs)
        if w == "pull":
            objs = self._objects()
            self.accept("open", "out")
            return Clause("open", objs)
        self.accept("up")
        objs = self._objects()
        self.accept("up")
        if not objs:
            objs = [Ref(category="drawer", words=["(implied drawer)"])]
        return Clause("open" if w in OPEN_VERBS else "close", objs)

    def _discard(self) -> Clause:
        if self.accept("get"):
            self.accept("rid")
            self.accept("of")
        else:
            self.take()
            self.accept("away", "out", "of")
            self.accept("of")
        objs = self._objects()
        self.accept("away", "out")
        d = self._destination()
        if d is not None:
            return Clause("place", objs, d[0], d[1])
        return Clause("discard", objs)

    def _hold(self) -> Clause:
        self.take()
        self.accept("up", "onto", "on")
        self.accept("hold", "to")
        self.accept("of")
        objs = self._objects()
        self.accept("up")
        for seq in (("off", "the", "table"), ("from", "the", "table"), ("off", "the", "tabletop")):
            if self.accept_seq(*seq):
                break
        self._in_hand()
        if self.accept("and"):
            if self.accept("keep", "hold", "hang"):
                self.accept("hold", "holding", "on", "onto")
                self.accept("of", "to")
                self._objects()
                self.accept("up")
                self._in_hand()
            else:
                self.i -= 1
                self.used[self.i] = False
        return Clause("hold", objs)

    def _in_hand(self) -> None:
        for seq in (("in", "the", "air"), ("in", "your", "gripper"), ("in", "the", "gripper"), ("in", "your", "hand"),
                    ("in", "hand"), ("in", "its", "gripper"), ("up", "high")):
            if self.accept_seq(*seq):
                return

    def _push(self) -> Clause:
        c = Clause("push")
        verb = self.take()[0]
        self.comparatives = False
        c.objects = self._objects()
        self.comparatives = True
        if verb == "give":  # "give the blue block a (little) push to the left"
            self.accept("a", "it", "them")
            while self.accept("little", "small", "gentle", "slight", "quick", "good", "tiny", "short", "light"):
                pass
            if not self.accept("push", "nudge", "shove", "tap", "bump", "poke", "prod"):
                return c
        for _ in range(4):
            if not (self._direction(c) or self._distance(c)):
                break
        return c

    def _sort(self) -> Clause:
        self.take()
        objs = self._objects()
        self.accept("into", "in", "to", "by", "with", "according")
        self.accept("to")
        self.accept("the", "their")
        dest = self.noun_phrase()
        while self.peek() in ("of", "that", "by", "according", "to", "the", "same", "their", "its", "own",
                              "colour", "matching", "match", "matches", "corresponding", "they", "it",
                              "with", "as", "colours"):
            self.take()
        c = Clause("sort", objs)
        c.dest = dest
        return c

    _BOTTOM = (("at", "the", "bottom"), ("on", "the", "bottom"), ("as", "the", "base"), ("at", "the", "base"),
               ("on", "the", "table"), ("at", "the", "base"), ("as", "the", "bottom"), ("bottom",), ("base",),
               ("lowest",), ("first",), ("underneath",), ("below",), ("at", "the", "foot"))
    _MIDDLE = (("in", "the", "middle"), ("in", "between"), ("middle",), ("second",), ("next",), ("in", "the", "centre"))
    _TOP = (("at", "the", "top"), ("on", "top"), ("on", "the", "top"), ("as", "the", "top"), ("top",), ("highest",),
            ("last",), ("third",), ("uppermost",), ("topmost",), ("on", "top", "of", "that"), ("on", "top", "of", "it"))
    _UP = (("from", "the", "table", "up"), ("from", "the", "bottom", "up"), ("bottom", "up"), ("bottom", "to", "top"),
           ("from", "bottom", "to", "top"), ("from", "the", "bottom", "to", "the", "top"), ("from", "the", "bottom"),
           ("starting", "from", "the", "bottom"), ("starting", "at", "the", "bottom"), ("from", "bottom"),
           ("bottom", "first"), ("lowest", "first"), ("from", "the", "base"), ("upwards",), ("upward",))
    _DOWN = (("from", "the", "top", "down"), ("top", "down"), ("top", "to", "bottom"), ("from", "top", "to", "bottom"),
             ("from", "the", "top", "to", "the", "bottom"), ("from", "the", "top"), ("starting", "from", "the", "top"),
             ("starting", "at", "the", "top"), ("from", "top"), ("top", "first"), ("highest", "first"),
             ("downwards",), ("downward",))

    _NEXT = (("on", "it"), ("on", "that"), ("on", "this"), ("above", "it"), ("above", "that"), ("over", "it"),
             ("on", "that", "one"), ("above", "that", "one"))  # "the blue one on it": the next one up, as named
    _TOGETHER = (("on", "each", "other"), ("on", "top", "of", "each", "other"), ("on", "one", "another"),
                 ("on", "top", "of", "one", "another"), ("one", "on", "top", "of", "another"),
                 ("one", "on", "another"), ("in", "that", "order"), ("in", "this", "order"),
                 ("in", "the", "order", "given"), ("in", "the", "order", "named"), ("of", "a", "tower"),
                 ("of", "the", "tower"), ("of", "a", "stack"), ("of", "the", "stack"), ("of", "the", "pile"))

    def _tower_position_follows(self) -> bool:
        """"the green block at the bottom (of a tower)", not "it on top of the red block" or "at the bottom
        of the bowl": a place in a tower after a named block."""
        r = self.noun_phrase()
        if r is None or r.pronoun:
            return False
        if not (self.accept_seq("at", "the", "bottom") or self.accept_seq("on", "the", "bottom")
                or self.accept_seq("at", "the", "base") or self.accept_seq("as", "the", "base")):
            return False
        return self.peek() != "of" or self.peek(2) in ("tower", "stack", "pile")

    def _any_seq(self, seqs: tuple[tuple[str, ...], ...]) -> bool:
        for seq in sorted(seqs, key=len, reverse=True):
            if self.accept_seq(*seq):
                return True
        return False

    def _stack(self) -> Clause | list[Clause] | None:
        """A tower: an ordered list of blocks with an orientation ("bottom to top", "from the top
        down") or positions ("red at the bottom, then green, blue on top"); a list with neither is
        stacked in the order named, the first at the bottom."""
        c = Clause("stack")
        self.take()
        self.accept("up")
        if self.accept("a", "the", "one"):
            if (self.peek() in NUMBERS or self.peek().isdigit()) and self.peek(1) in ("block", "blocks", "high", "level"):
                self.take(2)  # "a three-block tower"
            self.accept("tall", "high", "big", "small", "little", "neat")
            self.accept("tower", "stack", "pile")
        self.accept("tower", "stack", "pile")
        order: list[Ref] = []
        position: dict[int, str] = {}
        sequenced = False  # "then", "next", "on it", "in that order": the order named is the order meant
        while True:
            reading = self.accept("reading", "going", "counting", "listed", "ordered", "in")
            if reading:
                self.accept("order")
            if self._any_seq(self._UP):
                c.order = "bottom_up"
                continue
            if self._any_seq(self._DOWN):
                c.order = "top_down"
                continue
            if self._any_seq(self._TOGETHER):
                sequenced = sequenced or self.t[self.i - 1] in ("order", "given", "named")  # no take: matched
                continue
            if self.accept("with", ":", ",", ";", "of", "using", "them", "out", "order", "sequence", "-", "(", ")",
                           "is", "are", "goes", "go", "sits", "comes", "placed", "put", "block", "blocks", "up",
                           "please", "like", "so", "this"):
                continue
            if self.peek() in ("then", "and", "next", "finally", "lastly", "followed", "by", "after", "that",
                               "above", "over") and not (self.peek() == "next" and self.peek(1) in ("to",)):
                word = self.take()[0]
                sequenced = sequenced or word not in ("and", "by", "that")
                continue
            r = self.noun_phrase()
            if r is None:
                if order and self._any_seq(self._BOTTOM):
                    position[len(order) - 1] = "bottom"
                    continue
                if order and self._any_seq(self._TOP):
                    position[len(order) - 1] = "top"
                    continue
                if order and self._any_seq(self._MIDDLE):
                    position[len(order) - 1] = "middle"
                    continue
                break
            if r.pronoun and not order:
                c.objects.append(r)
                continue
            if r.plural and not order:
                c.objects.append(r)  # "stack the blocks: red at the bottom, ..."
                continue
            if r.plural and order and len(r.colours) > 1 and not (r.all or r.count or r.other or r.relative):
                for col in r.colours:  # "the blue, green and yellow blocks": the rest of a list, in order
                    order.append(Ref(colours=[col], category=r.category, words=[col, r.category or "block"]))
                continue
            if r.plural and len(r.colours) == 1 and not (r.all or r.count or r.other):
                r.plural = False  # "the blue, green and yellow blocks": the noun's plural covers the list
            if not order and (self.peek() in ("onto", "upon", "atop") or (
                self.peek() == "on" and not (self.peek(1) == "top" and self.peek(2) != "of")
                and not (self.peek(1) == "the" and self.peek(2) in ("bottom", "top", "table"))
            ) or (self.peek() == "on" and self.peek(1) == "top" and self.peek(2) == "of"
                  and self.peek(3) not in ("that", "it", "them"))):
                d = self._destination()
                if d is not None:
                    return self._chain(Clause("place", [r], d[0], d[1]))
            pos = ""
            if self._any_seq(self._NEXT):
                sequenced = True
            elif self._any_seq(self._BOTTOM):
                pos = "bottom"
            elif self._any_seq(self._TOP):
                pos = "top"
            elif self._any_seq(self._MIDDLE):
                pos = "middle"
            elif self.peek() in ("on", "onto", "upon", "atop") and not order:
                d = self._destination()
                if d is not None:
                    return self._chain(Clause("place", [r], d[0], d[1]))
            same = next((k for k, o in enumerate(order) if _same_description(o, r)), None)
            if same is not None:  # "the yellow block and the blue block, with the blue one at the bottom"
                if pos:
                    position[same] = pos
                continue
            if pos:
                position[len(order)] = pos
            order.append(r)
        group = next((o for o in c.objects if o.plural and not o.pronoun), None)
        if position and group is not None and len(group.colours) > 1 and order and \
                all(len(o.colours) == 1 and o.colours[0] in group.colours for o in order):
            # "stack the blue and green blocks, green on top": the one of the group not named takes the
            # one place left
            rest = [col for col in group.colours if col not in {o.colours[0] for o in order}]
            free = [p for p in (("bottom", "top") if len(group.colours) == 2 else ("bottom", "middle", "top"))
                    if p not in position.values()]
            if len(rest) == 1 and len(free) == 1 and len(order) == len(group.colours) - 1:
                order.append(Ref(colours=rest, category=group.category, words=[rest[0], group.category or "block"]))
                position[len(order) - 1] = free[0]
                c.objects = [o for o in c.objects if o is not group]
                group = None
        if position and group is not None and "middle" not in position.values() and len(order) == 2:
            # "the three blocks with red at the base and blue at the top": the other one in between
            order.append(Ref(other=True, category=group.category, words=["the remaining block"]))
            position[len(order) - 1] = "middle"
        in_named_order = all((p != "bottom" or k == 0) and (p != "top" or k == len(order) - 1)
                             and (p != "middle" or 0 < k < len(order) - 1) for k, p in position.items())
        if position and not sequenced and not in_named_order and c.order is None and len(order) - len(position) >= 2:
            # "a stack of the red, blue and yellow blocks, red at the top": where blue and yellow go is not said
            c.order = "unsaid"
            c.objects = [o for o in c.objects if not o.plural] + order
            return c
        if position:
            rank = {"bottom": 0, "middle": 1, "top": 2}
            default = 1 if len(position) < len(order) else 1
            keyed = sorted(range(len(order)), key=lambda k: (rank.get(position.get(k, ""), default), k))
            order = [order[k] for k in keyed]
            c.order = "bottom_up"
        c.objects = [o for o in c.objects if not o.plural] + order
        return c


def _same_description(a: Ref, b: Ref) -> bool:
    """Two noun phrases that describe the same object the same way ("the blue block", "the blue one")."""
    return bool(a.colours) and a.colours == b.colours and not (a.plural or b.plural) and (
        a.category == b.category or None in (a.category, b.category) or a.one or b.one) and \
        not (a.relative or b.relative or a.superlative or b.superlative or a.other or b.other)


# --------------------------------------------------------------------------- resolution


class _Resolver:
    def __init__(self, objs: list[Obj]) -> None:
        self.objs = objs
        self.by_id = {o.id: o for o in objs}
        self.last: list[str] = []
        self.named: set[str] = set()
        self.topic: list[str] = []
        self.before: list[str] = []
        self.mentioned: list[str] = []  # every object named so far, in order (pronouns by kind)

    def name(self, ids: Sequence[str]) -> None:
        for i in ids:
            self.named.add(i)
            self.mentioned.append(i)

    def describe(self, ids: Sequence[str]) -> str:
        return ", ".join(f"the {self.by_id[i].name}" if i in self.by_id else i for i in ids)

    def present(self) -> str:
        return ", ".join(o.name for o in self.objs) or "nothing"

    def resolve(self, ref: Ref, slot: str, relation: str | None = None, many_ok: bool = False) -> list[str]:
        """Object ids a noun phrase names; Refusal when none or (singular) several."""
        if ref.pronoun and slot == "drawer":
            drawers = [i for i in reversed(self.mentioned) if self.by_id[i].category == "drawer"]
            if drawers:
                return [drawers[0]]
        if ref.pronoun and slot == "dest" and relation == "in" and ref.words != ["(implied)"]:
            places = [i for i in reversed(self.mentioned) if self.by_id[i].category in CONTAINERS]
            if places and not (self.before and self.by_id[self.before[-1]].category in CONTAINERS):
                return places[:1]  # "... in the blue bowl and the yellow block in it too": a place to be in
        if ref.pronoun and slot == "dest" and ref.words != ["(implied)"] and self.before:
            return list(self.before)[-1:]
        if ref.pronoun:
            if ref.words == ["(implied)"] and not self.last:
                raise Refusal("the task does not say which object; name it, e.g. 'the red block'", "ambiguous")
            if not self.last:
                raise Refusal(f"'{ref.text()}' does not refer to anything named before it", "ambiguous")
            return list(self.last)
        pool = list(self.objs)
        cats: tuple[str, ...]
        if ref.one and not ref.colours and ref.category is None and self.topic:
            pool = [self.by_id[i] for i in self.topic]
            cats = tuple({o.category for o in pool})
        elif ref.category is not None:
            cats = (ref.category,) if ref.category != "object" else (MOVABLE if slot == "object" else
                                                                        tuple({o.category for o in self.objs}))
        elif slot == "object":
            cats = MOVABLE
        elif relation == "in":
            cats = CONTAINERS
        elif relation in ("on", "under"):
            cats = ("block", "object")
        else:
            cats = tuple({o.category for o in self.objs})
        pool = [o for o in pool if o.category in cats]
        if slot == "drawer":
            pool = [o for o in pool if o.category == "drawer"]
        if ref.category == "object" and not pool and slot == "object":
            pool = [o for o in self.objs if o.category in MOVABLE]
        for word in ref.colours:
            colour, why = match_colour(word, {o.colour for o in pool})
            if colour is None:
                raise Refusal(f"{why}; objects present: {self.present()}", "ambiguous" if "could be" in why
                              else "unknown_word")
            pool = [o for o in pool if o.colour == colour] if len(ref.colours) == 1 or not ref.plural else pool
            if len(ref.colours) > 1 and ref.plural:
                pool = [o for o in self.objs if o.category in cats and o.colour in
                        {match_colour(c, {x.colour for x in self.objs})[0] for c in ref.colours}]
                break
        for word in ref.not_colours:
            colour, why = match_colour(word, {o.colour for o in pool})
            if colour is None:
                raise Refusal(f"{why}; objects present: {self.present()}", "ambiguous")
            pool = [o for o in pool if o.colour != colour]
        for kind, lm in ref.relative:
            targets = self.resolve(lm, "any")
            if kind == "matches":
                colours = {self.by_id[t].colour for t in targets}
                pool = [o for o in pool if o.colour in colours and o.id not in targets]
            else:
                t = self.by_id[targets[0]]
                pool = self._superlative(pool, kind, (t.x, t.y), ref)
        if ref.superlative is not None:
            kind, landmark = ref.superlative
            point = (0.0, 0.0) if landmark in ("robot", "") else (2.0, 0.0)  # a person faces the robot
            if landmark == "person":
                kind = {"nearest": "farthest_robot", "farthest": "nearest_robot"}.get(kind, kind)
            pool = self._superlative(pool, kind, point, ref)
        excluded: set[str] = set()
        for ex in ref.except_refs:
            excluded |= set(self.resolve(ex, slot, many_ok=True))
        if ref.other:
            excluded |= self.named
        pool = [o for o in pool if o.id not in excluded]
        what = ref.text()
        if not pool:
            raise Refusal(f"there is no {what.removeprefix('the ')} here; objects present: {self.present()}",
                          "absent_object")
        if ref.count is not None and len(pool) != ref.count:
            if len(pool) < ref.count:
                raise Refusal(f"'{what}' asks for {ref.count} but there are {len(pool)}: {self.describe([o.id for o in pool])}",
                              "absent_object")
            raise Refusal(f"'{what}' asks for {ref.count} of {len(pool)}: {self.describe([o.id for o in pool])}; "
                          "say which", "ambiguous")
        if len(pool) > 1 and not (ref.plural or ref.all or ref.other or ref.count or many_ok):
            raise Refusal(f"'{what}' could be {self.describe([o.id for o in pool])}; say which", "ambiguous")
        return [o.id for o in pool]

    def _superlative(self, pool: list[Obj], kind: str, point: tuple[float, float], ref: Ref) -> list[Obj]:
        if len(pool) <= 1 or kind == "":
            return pool
        def key(o: Obj) -> float:
            if kind in ("leftmost",):
                return -o.y
            if kind in ("rightmost",):
                return o.y
            if kind in ("nearest", "closest"):
                return math.hypot(o.x - point[0], o.y - point[1])
            if kind in ("farthest", "furthest"):
                return -math.hypot(o.x - point[0], o.y - point[1])
            if kind == "nearest_robot":
                return math.hypot(o.x, o.y)
            if kind == "farthest_robot":
                return -math.hypot(o.x, o.y)
            if kind in ("middle", "centre"):
                ys = sorted(p.y for p in pool)
                return abs(o.y - ys[len(ys) // 2])
            return 0.0
        ranked = sorted(pool, key=key)
        if len(ranked) > 1 and abs(key(ranked[0]) - key(ranked[1])) < 0.02:
            raise Refusal(f"'{ref.text()}' is not clear: {self.describe([ranked[0].id, ranked[1].id])} are about as "
                          f"{kind.replace('_robot', '').replace('most', '')}", "ambiguous")
        return [ranked[0]]


# --------------------------------------------------------------------------- the interpretation

_CODE_STRICT = re.compile(r"[{}\[\]`$\\]|&&|\|\||\b(sudo|rm\s+-|rm\s+/|chmod|reboot|shutdown|curl|wget|mkfs|"
                          r"import\s+\w+|def\s+\w+\(|lambda\s*:|print\(|exec\(|eval\(|os\.\w+|subprocess|"
                          r"drop\s+table|select\s+\*)")


def looks_like_code(text: str) -> str | None:
    m = _CODE_STRICT.search(text.lower())
    return m.group(0) if m else None


def interpret(task: str, objects: Sequence[Any]) -> list[GoalAtom]:
    """Goal atoms for ``task`` in a world of ``objects``; :class:`Refusal` with a reason."""
    code = looks_like_code(task)
    if code:
        raise Refusal(f"the task contains code or markup ({code!r}); say what the robot should do in words",
                      "code_or_json")
    objs = world_objects(objects)
    extra = set()
    for o in objs:
        extra |= set(re.findall(r"[a-z]+", o.name.lower()))
    names = frozenset(f"{o.colour} {o.category}" for o in objs)
    toks = tokens_of(task, extra, names)
    if not [t for t in toks if t.isalpha()]:
        raise Refusal("the task is empty; say what the robot should do, e.g. 'put the red block in the bowl'",
                      "empty")
    parser = _ClauseParser(toks)
    clauses = parser.parse()
    unknown = [t for t, u in zip(parser.t, parser.used, strict=True) if not u and t.isalpha()
               and t not in FILLER and t not in ("please",)]
    if unknown:
        lex = _lexicon() | extra
        strange = [w for w in unknown if w not in lex and colour_rgb(w) is None] or unknown
        present = ", ".join(o.name for o in objs) or "nothing"
        raise Refusal(f"I don't know what {' '.join(repr(w) for w in dict.fromkeys(strange))} asks for; the robot "
                      "can put objects in or on others, pick one up and hold it, push one, and open or close a "
                      f"drawer; objects here: {present}", "unknown_word")
    if not clauses:
        raise Refusal(f"the task {task!r} asks for nothing the robot can do", "unknown_word")
    atoms = _goals(clauses, objs)
    if not atoms:
        raise Refusal(f"the task {task!r} names no change to make to the world", "unknown_word")
    return atoms


def _goals(clauses: list[Clause], objs: list[Obj]) -> list[GoalAtom]:
    res = _Resolver(objs)
    atoms: list[GoalAtom] = []
    keep: set[str] = set()
    held: list[str] = []
    # objects named anywhere first ("the other blocks" excludes them)
    for c in clauses:
        if c.action == "keep":
            for r in c.objects:
                if r.other:
                    continue  # "leave the rest alone": the rest of what the task names, resolved last
                ids = res.resolve(r, "object", many_ok=False)
                keep |= set(ids)
                res.name(ids)
    contrast: set[str] = set()
    for c in clauses:
        if c.action == "contrast":  # ", not the blue one": must not be what the task moves or where it goes
            for r in c.objects:
                try:
                    contrast |= set(res.resolve(r, "any", many_ok=True))
                except Refusal as e:
                    if e.kind not in ("absent_object", "ambiguous"):
                        raise
    for c in clauses:
        if c.action in ("keep", "noop", "contrast"):
            continue
        if c.action == "topic":
            ids = []
            for r in c.objects:
                ids += res.resolve(r, "any", many_ok=True)
            res.topic, res.last = ids, ids
            continue
        if c.action in ("place", "discard"):
            ids = []
            for r in c.objects:
                ids += res.resolve(r, "object")
            res.name(ids)
            res.before = res.last  # "... on top of that": the destination pronoun means what came before
            res.last = ids  # "the bowl nearest to it", "the bowl of the same colour": what this clause moves
            if c.action == "place" and c.dest is not None and len(ids) > 1 and _refers_back(c.dest):
                placed = 0
                for oid in ids:  # "put each block in the bowl that matches its colour": one place per object
                    res.last = [oid]
                    try:
                        dest = res.resolve(c.dest, "dest", c.relation)[0]
                    except Refusal as e:
                        if e.kind != "absent_object":
                            raise
                        continue  # a block without a bowl of its colour stays where it is
                    atoms = [a for a in atoms if not (a.predicate in ("in", "on") and a.args[0] == oid)]
                    atoms.append(_place_atom(oid, c.relation or "in", dest, res))
                    placed += 1
                if not placed:
                    raise Refusal(f"none of {res.describe(ids)} has a place that matches it", "absent_object")
                res.last = ids
                continue
            if c.action == "discard":
                bins = [o for o in objs if o.category == "bin"]
                if not bins:
                    raise Refusal(f"there is no bin to throw things into; objects present: {res.present()}",
                                  "absent_object")
                if len(bins) > 1:
                    raise Refusal(f"there are {len(bins)} bins; say which", "ambiguous")
                rel, dest_ids = "in", [bins[0].id]
            else:
                if c.dest is None or c.relation is None:
                    raise Refusal(f"the task does not say where to put {res.describe(ids)}", "ambiguous")
                rel = c.relation
                if c.dest.pronoun and c.dest.words == ["(implied)"]:  # "open the drawer and put the block in"
                    places = [i for i in reversed(res.mentioned) if res.by_id[i].category in CONTAINERS]
                    dest_ids = places[:1]
                    if not dest_ids:
                        raise Refusal("the task does not say where to put it", "ambiguous")
                else:
                    dest_ids = res.resolve(c.dest, "dest", rel)
            if len(dest_ids) != 1:
                raise Refusal(f"'{c.dest.text() if c.dest else 'there'}' is more than one place", "ambiguous")
            dest = dest_ids[0]
            res.name([dest])
            for oid in ids:
                # a later place for the same object wins: "put it in the bin, then move it to the bowl"
                atoms = [a for a in atoms if not (a.predicate in ("in", "on") and a.args[0] == oid)]
                atoms.append(_place_atom(oid, rel, dest, res))
            res.last = ids
            held = [h for h in held if h not in ids]
        elif c.action == "hold":
            ids = []
            for r in c.objects:
                ids += res.resolve(r, "object")
            for oid in ids:
                _check_movable(oid, res)
            res.name(ids)
            held = ids  # what a later clause puts somewhere is not held at the end
            res.last = ids
        elif c.action in ("open", "close"):
            refs = c.objects or [Ref(category="drawer", words=["the drawer"])]
            for r in refs:
                if r.category is None and not r.pronoun:
                    r.category = "drawer"
                ids = res.resolve(r, "drawer")
                for oid in ids:
                    if res.by_id[oid].category != "drawer":
                        raise Refusal(f"the {res.by_id[oid].name} cannot be opened or closed; only a drawer can",
                                      "impossible")
                    # the last state asked for wins: "open the drawer, put the block in, close it again"
                    atoms = [a for a in atoms if not (a.predicate in ("drawer_open", "drawer_closed")
                                                      and a.args[0] == oid)]
                    atoms.append(GoalAtom("drawer_open" if c.action == "open" else "drawer_closed", (oid,)))
                    res.name([oid])
                res.last = ids if not res.last else res.last
        elif c.action == "reach":
            ids = []
            for r in c.objects:
                ids += res.resolve(r, "any")
            if len(ids) != 1:
                raise Refusal(f"the gripper can be at one object at a time; the task names {res.describe(ids)}",
                              "ambiguous")
            atoms = [a for a in atoms if a.predicate != "at"]
            atoms.append(GoalAtom("at", (ids[0],)))
            res.name(ids)
            res.last = ids
        elif c.action == "push":
            if c.direction is None:
                raise Refusal("the task does not say which way to push: forward, backward, left or right", "ambiguous")
            ids = []
            for r in c.objects:
                ids += res.resolve(r, "object") if r.category != "bowl" else res.resolve(r, "any")
            for oid in ids:
                atoms.append(GoalAtom("pushed", (oid, c.direction), c.distance))
            res.name(ids)
            res.last = ids
        elif c.action == "stack":
            refs = [r for r in c.objects if not r.pronoun and not (r.plural and not r.other)]
            if c.order is None and len(refs) >= 2 and not any(r.plural or r.all for r in refs):
                c.order = "bottom_up"  # "stack red, blue and green": stacked in the order named, the first below
            if c.order in (None, "unsaid") or len(refs) < 2:
                raise Refusal("the task does not say the order of the tower; say which block goes at the "
                              "bottom, e.g. 'stack the red block on the blue block'", "ambiguous")
            named = {k: res.resolve(r, "object")[0] for k, r in enumerate(refs) if not r.other}
            res.name(list(named.values()))
            ids = [named[k] if k in named else res.resolve(r, "object")[0] for k, r in enumerate(refs)]
            if len(set(ids)) != len(ids):
                raise Refusal("the tower names the same block twice", "self_reference")
            seq = ids if c.order == "bottom_up" else list(reversed(ids))
            for below, above in zip(seq, seq[1:], strict=False):
                atoms.append(_place_atom(above, "on", below, res))
            res.name(ids)
            res.last = ids
        elif c.action == "sort":
            cat = "block"
            blocks = [o for o in objs if o.category == cat]
            if c.objects:
                ids = []
                for r in c.objects:
                    ids += res.resolve(r, "object", many_ok=True)
                blocks = [o for o in objs if o.id in ids]
            bowls = [o for o in objs if o.category == "bowl"]
            matched = 0
            for b in blocks:
                same = [w for w in bowls if w.colour == b.colour]
                if len(same) == 1:
                    atoms.append(GoalAtom("in", (b.id, same[0].id)))
                    matched += 1
            if not matched:
                raise Refusal("no block has a bowl of its colour to be sorted into", "impossible")
    if len(held) > 1:
        raise Refusal(f"the gripper holds one object at a time; the task names {res.describe(held)}", "impossible")
    if held:
        atoms.append(GoalAtom("held", (held[0],)))
    for a in atoms:
        for oid in a.objects:
            if oid in keep and a.predicate in ("in", "on", "pushed", "held") and oid == a.args[0]:
                raise Refusal(f"the task says both to leave the {res.by_id[oid].name} alone and to move it",
                              "ambiguous")
    for a in atoms:
        if a.predicate in ("in", "on", "pushed", "held") and set(a.objects) & contrast:
            oid = sorted(set(a.objects) & contrast)[0]
            raise Refusal(f"the task says the {res.by_id[oid].name} is not meant, and also uses it", "ambiguous")
    seen: dict[str, GoalAtom] = {}
    for a in atoms:
        if a.predicate in ("in", "on"):
            prev = seen.get(a.args[0])
            if prev is not None and prev != a:
                raise Refusal(f"the task sends the {res.by_id[a.args[0]].name} to two places", "ambiguous")
            seen[a.args[0]] = a
    return list(dict.fromkeys(atoms))


def _refers_back(ref: Ref) -> bool:
    return any(lm.pronoun or _refers_back(lm) for _, lm in ref.relative)


def _check_movable(oid: str, res: _Resolver) -> None:
    o = res.by_id[oid]
    if o.category not in MOVABLE:
        raise Refusal(f"the {o.name} is fixed furniture; the robot can only pick up and move blocks and small "
                      "objects", "fixed_object")


def _place_atom(oid: str, rel: str, dest: str, res: _Resolver) -> GoalAtom:
    if rel == "under":
        oid, dest, rel = dest, oid, "on"
    if oid == dest:
        raise Refusal(f"the {res.by_id[oid].name} cannot go {'in' if rel == 'in' else 'on'} itself", "self_reference")
    _check_movable(oid, res)
    d = res.by_id[dest]
    if d.category in CONTAINERS:
        return GoalAtom("in", (oid, dest))
    if d.category in MOVABLE:
        return GoalAtom("on", (oid, dest))
    raise Refusal(f"nothing can be put in or on the {d.name}", "impossible")
