"""Colour words -> the colour names objects carry, by colour distance, not a hand list.

The one colour lookup of the package: the parser (:mod:`robomatrix.scheduler.understand`), the
language-model backends' grounding and text normalisation, the planner's screen of unknown words
and object grounding (:func:`robomatrix.skills.spec.ground_object`) all use it. It lives in the
skills layer, the lowest one that needs colour words (hardware and perception report the basic
names only). Core module: imports no rclpy. The word table is the XKCD colour survey (949 names people
actually gave colours) plus the CSS colour names, both shipped by matplotlib. A word is
turned into RGB and compared with the survey's own prototypes of the basic colour names
objects carry (red, green, blue, yellow, grey, ...) in CIE LCh: a coloured word by hue first
(navy is a dark blue, not black; crimson a dark red, not brown), lightness counting little;
a grey-ish word only against grey, white and black. The nearest basic name wins when it is
clearly nearest; a word between two basic names (ochre: orange or yellow?) resolves to the
one of them present among the candidate objects, and a word near none of them stays unknown.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

__all__ = [
    "BASIC_COLOURS",
    "NOT_COLOUR_WORDS",
    "THING_COLOURS",
    "canonical_colour",
    "closest_colour_name",
    "colour_rgb",
    "edit_distance",
    "is_colour_word",
    "match_colour",
    "nearest_basic",
]

BASIC_COLOURS: tuple[str, ...] = (
    "red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "black", "grey", "brown", "cyan",
)  # fmt: skip
"""Colour names objects carry (the simulator's and the perception's vocabulary)."""

NOT_COLOUR_WORDS: frozenset[str] = frozenset("""
dark light pale bright deep dull ugly warm cool medium neon dusty off very pastel electric hot baby faded
vivid strong burnt true pure dirty toxic racing lipstick spring tree royal easter camo cement shit poop puke
vomit bile booger barney dirt mud ice water sea ocean cloud sun fire blood wine tea coffee purpleish bluish
greenish reddish yellowish leaf algae swamp sand stone steel slate silver bronze copper rust brick clay
flat key mid pinky nice old blush heather ocre dust dusk night
""".split())
"""Words the colour tables list that people mostly use for other things ("dark", "brick", "silver",
"water"): never a colour on their own, in the parser or in a model backend's text (two-word names
such as "brick red" or "sea green" still are)."""

THING_COLOURS: dict[str, str] = {
    **dict.fromkeys("sky sapphire blueberry blueberries jeans denim cornflower".split(), "blue"),
    **dict.fromkeys("grass leaf leaves lettuce frog cucumber broccoli pea peas lime limes emerald moss forest "
                    "spinach clover shamrock".split(), "green"),
    **dict.fromkeys("sun lemon lemons banana bananas sunflower sunflowers butter corn canary daffodil yolk "
                    "mustard dandelion gold golden".split(), "yellow"),  # "the gold cube" (round 34)
    **dict.fromkeys("tomato tomatoes blood cherry cherries strawberry strawberries ketchup ruby "
                    "firetruck".split(), "red"),
    **dict.fromkeys("snow milk chalk".split(), "white"),
    **dict.fromkeys("coal soot night".split(), "black"),
    **dict.fromkeys("ash concrete pebble elephant".split(), "grey"),
}
"""The colour people mean by "the colour of X" / "coloured like X" for everyday things whose colour
is not in doubt. The survey's entry for a thing is what people called a paint chip, not the thing's
colour (its "sunflower" is an orange-yellow, its "leaf" an olive). Things whose colour people do
disagree on stay out and keep the survey's reading: the sea, the ocean and water are teals, between
blue and green, so "the block the colour of the sea" is not guessed. Only for a thing named after
"colour of" or "like"."""

CLEAR_RATIO = 0.8  # the nearest basic colour wins outright when d1 <= CLEAR_RATIO * d2
NEAR_RATIO = 1.6  # else a present colour within NEAR_RATIO * d1 of the word is taken (unique only) ...
CONFIDENT = 22.0  # ... unless the word lies this close to its nearest basic colour: then it means that colour
# (violet, lilac, indigo are purples, not the blue block; ochre, 23.5 from brown, is between brown and yellow)
PALE_MAX = 16.0  # a word no chromatic colour claims, this close (full LCh distance) to a present white/grey/black
MAX_DISTANCE = 60.0  # LCh distance units: farther from every basic colour is not a colour we can match
ACHROMATIC = ("grey", "white", "black")
CHROMA_MIN = 15.0  # C* below this: the word names a grey, judged by lightness
LIGHTNESS_WEIGHT = 0.35  # a dark or light shade keeps its hue's name
CHROMA_WEIGHT = 0.5


@functools.cache
def _table() -> dict[str, tuple[float, float, float]]:
    import matplotlib._color_data as cd  # the XKCD survey and CSS names; no plotting is imported

    out: dict[str, tuple[float, float, float]] = {}
    for name, hexa in cd.CSS4_COLORS.items():
        out[name.lower()] = _hex(hexa)
    for name, hexa in cd.XKCD_COLORS.items():  # the survey's names win over CSS for the same word
        out[name.removeprefix("xkcd:").lower()] = _hex(hexa)
    out["gray"] = out["grey"]
    return out


def _hex(h: str) -> tuple[float, float, float]:
    h = h.lstrip("#")
    return tuple(int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def _lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def colour_rgb(word: str) -> tuple[float, float, float] | None:
    """RGB (0..1) of a colour word or two-word name ("sky blue"), None if no table has it."""
    return _table().get(" ".join(word.lower().replace("-", " ").split()))


def is_colour_word(word: str) -> bool:
    return colour_rgb(word) is not None


def _lch(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    L, a, b = _lab(rgb)
    return L, math.hypot(a, b), math.atan2(b, a)


def _distance(w: tuple[float, float, float], p: tuple[float, float, float]) -> float:
    (l1, c1, h1), (l2, c2, h2) = w, p
    dh = 2.0 * math.sqrt(max(c1 * c2, 0.0)) * math.sin(0.5 * (h1 - h2))
    return math.sqrt((LIGHTNESS_WEIGHT * (l1 - l2)) ** 2 + (CHROMA_WEIGHT * (c1 - c2)) ** 2 + dh**2)


@functools.cache
def _distances(word: str) -> tuple[tuple[float, str], ...]:
    rgb = colour_rgb(word)
    if rgb is None:
        return ()
    w = _lch(rgb)
    if w[1] < CHROMA_MIN:
        return tuple(sorted((abs(w[0] - _lch(_table()[b])[0]), b) for b in ACHROMATIC))
    return tuple(sorted((_distance(w, _lch(_table()[b])), b) for b in BASIC_COLOURS if b not in ACHROMATIC))


def nearest_basic(word: str) -> str | None:
    """The basic colour name a word clearly means, or None (unknown word, or between two)."""
    w = word.lower()
    if w in BASIC_COLOURS:
        return w
    if w == "gray":
        return "grey"
    d = _distances(w)
    if not d or d[0][0] > MAX_DISTANCE:
        return None
    return d[0][1] if d[0][0] <= CLEAR_RATIO * d[1][0] else None


def match_colour(word: str, present: Iterable[str]) -> tuple[str | None, str]:
    """The colour among ``present`` (colour names of the candidate objects) that ``word`` means.

    A shade word before a basic colour name ("dark blue", "light green") is that colour.

    Returns (colour, why-not). A basic colour word is itself, present or not (an absent
    object must be refused, not guessed). Another word takes its nearest basic colour when
    that is present; else, when it is not within ``CONFIDENT`` of that one, the one present colour within
    ``NEAR_RATIO`` of its distance (ochre
    is nearest brown, but among red, green, blue and yellow objects it is the yellow one);
    else its nearest basic colour, which the caller finds absent and says so."""
    w = " ".join(word.lower().split())
    if w in BASIC_COLOURS or w == "gray":
        return ("grey" if w == "gray" else w), ""
    parts = w.split()
    if len(parts) == 2 and (parts[1] in BASIC_COLOURS or parts[1] == "gray") and parts[0] not in BASIC_COLOURS \
            and parts[0] != "gray" and not parts[0].endswith("ish"):
        # "dark blue" (a shade word), "olive green", "navy blue": the head names the colour, whatever the survey's
        # swatch for the pair; two basic colours ("blue green") and "-ish" words are left to the colour distance
        return ("grey" if parts[1] == "gray" else parts[1]), ""
    d = _distances(w)
    if not d:
        return None, f"'{word}' is not a colour I know"
    if d[0][0] > MAX_DISTANCE:
        return None, f"'{word}' is not close to any colour the objects have"
    have = {p.lower() for p in present}
    if d[0][1] in have:
        return d[0][1], ""
    if d[0][0] <= CONFIDENT and d[0][0] <= CLEAR_RATIO * d[1][0]:
        return d[0][1], ""  # clearly that colour: absent here, and said so, rather than a neighbour guessed
    near = [b for dist, b in d if dist <= NEAR_RATIO * d[0][0] and b in have]
    if len(near) == 1:
        return near[0], ""
    if not near and d[0][0] > CONFIDENT:  # "the ivory drawer", "the cream drawer" (white here), "the charcoal bin" (grey
        w_lch = _lch(colour_rgb(w))  # here, no black): a pale or dark near-neutral names the one white, grey or black
        pale = sorted((_distance(w_lch, _lch(_table()[b])), b) for b in ACHROMATIC if b in have)  # object present
        if pale and pale[0][0] <= PALE_MAX and (len(pale) == 1 or pale[0][0] <= CLEAR_RATIO * pale[1][0]):
            return pale[0][1], ""
    if len(near) > 1:
        return None, f"'{word}' could be {' or '.join(near)}"
    return d[0][1], ""


def canonical_colour(word: str, present: Iterable[str] | None = None, before_noun: bool = False) -> str | None:
    """The basic colour name a colour word stands for ("Crimson" -> "red", "gray" -> "grey"), or None.

    ``present``: the colours of the objects in the world, when known; a word between two basic
    colours then takes the one present (navy: purple or blue; among red, green and blue objects it
    is blue), as :func:`match_colour` does. Without them only a word clearly nearest one basic
    colour maps. ``before_noun``: the word stands before an object noun ("the silver bin"), where
    even one of :data:`NOT_COLOUR_WORDS` is a colour."""
    w = " ".join(word.strip().lower().replace("-", " ").split())
    if w == "gray" or w in BASIC_COLOURS:
        return "grey" if w == "gray" else w
    if w in NOT_COLOUR_WORDS and not before_noun:
        return None
    if present is not None:
        return match_colour(w, present)[0]
    return nearest_basic(w)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, stopping past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@functools.cache
def _single_word_names() -> tuple[str, ...]:
    return tuple(sorted(n for n in _table() if n.isalpha() and len(n) >= 4 and n not in NOT_COLOUR_WORDS))


@functools.cache
def closest_colour_name(word: str) -> str | None:
    """The one colour name of the tables a misspelt word is (``"emarald"`` -> ``"emerald"``,
    ``"crimsen"`` -> ``"crimson"``), or None.

    Only for words of 5+ letters that are not colour names already; within one edit (two for 9+
    letters); the nearest name must be unique, or all the nearest names must mean one basic colour.
    The caller decides where a colour may stand (the parser: before an object noun), so a real
    word that happens to be near a colour name elsewhere in a sentence is not turned into one."""
    w = word.lower()
    if len(w) < 5 or not w.isalpha() or colour_rgb(w) is not None or w in NOT_COLOUR_WORDS:
        return None
    limit = 1 if len(w) < 9 else 2
    hits = [(edit_distance(w, n, limit), n) for n in _single_word_names()]
    hits = sorted((d, n) for d, n in hits if d <= limit)
    if not hits:
        return None
    best = [n for d, n in hits if d == hits[0][0]]
    if len(best) == 1 or len({nearest_basic(n) for n in best} - {None}) == 1:
        return best[0]
    return None
