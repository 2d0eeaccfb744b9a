"""Speech repairs: what people type the way they talk (see :mod:`robomatrix.scheduler.understand`).

* **self-corrections**: a repair marker set off by separators ("- no,", ", I mean", ", sorry,", ". no wait,",
  "- scratch that -", ", er, rather") followed by the corrected part. The correction replaces the last part of
  the same kind before the marker: a verb starts the request again ("put the red block - scratch that - put the
  green block in the bowl"), a preposition replaces the last place ("in the bin, actually no, in the red bowl"),
  a noun phrase replaces the last noun phrase of its category ("put the red - no, the blue block in the bowl";
  "put the green block in the red bowl. no wait, the blue block"). A marker followed by anything else (", no
  wait, don't") is left as it is, for the grammar to refuse;
* **hesitations** inside a phrase ("to the, uh, yellow bowl", "in the... hmm... green bowl"): a phrase cannot
  stop after "the" or "in", so separators and hesitation sounds right after one are dropped.

Token lists in, token lists out; nothing here resolves objects.
"""

from __future__ import annotations

from robomatrix.scheduler.language.lexicon import (
    CATEGORY_WORDS,
    CLOSE_VERBS,
    CONTAINERS,
    DETERMINERS,
    DIRECTION_WORDS,
    DISCARD_VERBS,
    HOLD_VERBS,
    OPEN_VERBS,
    PLACE_VERBS,
    PREP_IN,
    PREP_ON,
    PREP_UNDER,
    PUSH_VERBS,
    STACK_VERBS,
)
from robomatrix.scheduler.language.lexicon import (
    HESITATIONS as SPOKEN_HESITATIONS,
)
from robomatrix.scheduler.language.phrases import _Parser
from robomatrix.scheduler.language.resolution import Refusal

SEPARATORS = {",", "-", ".", ";", "!", "?"}
HESITATIONS = SPOKEN_HESITATIONS | {"hm", "ah", "eh", "oh"}  # the lexicon's, and the exclamations a repair opens with
REPAIR_WORDS = {"no", "sorry", "rather", "wait", "actually", "oops", "correction", "instead", "nope", "meant", "jk"}
REPAIR_PAIRS = {("i", "mean"), ("scratch", "that"), ("scrap", "that"), ("make", "that"), ("or", "rather"), ("no", "wait"),
                ("i", "meant"), ("cancel", "that"), ("forget", "that"), ("ignore", "that"),
                ("my", "bad"), ("just", "kidding")}
VERBS = (PLACE_VERBS | HOLD_VERBS | PUSH_VERBS | OPEN_VERBS | CLOSE_VERBS | DISCARD_VERBS | STACK_VERBS) - {
    "should", "needs", "must", "belongs", "belong", "go", "goes", "leave"} - set(CATEGORY_WORDS)  # "bin": a noun
PLACE_PREPS = (PREP_IN | PREP_ON | PREP_UNDER) - {"->", ":", "toward", "towards", "top"}
_OPENERS = DETERMINERS | {"in", "into", "on", "onto", "to", "inside", "under", "of"}


def repaired(tokens: list[str], names: frozenset[str] = frozenset()) -> list[str]:
    """``tokens`` with hesitations inside phrases dropped and self-corrections applied; ``names`` are the world's
    objects as "colour category" (to tell which phrase "no, the green one" corrects)."""
    t = _without_hesitations(tokens)
    repairs = 0
    for _ in range(4):  # a task may correct itself more than once
        nxt = _one_repair(t, names)
        if nxt is None:
            break
        t, repairs = nxt, repairs + 1
    if repairs:  # "... scratch that, put it in the green bowl instead": 'instead' is the repair, already done
        t = [w for k, w in enumerate(t) if not (w == "instead" and (k + 1 == len(t) or t[k + 1] in SEPARATORS))]
    return t


def _without_hesitations(tokens: list[str]) -> list[str]:
    out: list[str] = []
    k = 0
    while k < len(tokens):
        if tokens[k] in ("please", "kindly") and out and out[-1] in VERBS and k + 1 < len(tokens) and \
                tokens[k + 1] not in SEPARATORS:
            k += 1  # "push please the red block": a learner's "please" after the verb
            continue
        out.append(tokens[k])
        if tokens[k] in _OPENERS or tokens[k] in VERBS:
            j = k + 1
            while j < len(tokens) and (tokens[j] in SEPARATORS - {"?", "!"} or tokens[j] in HESITATIONS):
                j += 1
            hesitant = any(w in HESITATIONS for w in tokens[k + 1 : j])
            if j > k + 1 and j < len(tokens) and tokens[j].isalpha() and (tokens[k] in _OPENERS or hesitant):
                # "put, um, the green block": after a verb only with a hesitation sound in it
                k = j  # "the, uh, yellow bowl": the phrase goes on
                continue
        k += 1
    return out


def _marker(t: list[str]) -> tuple[int, int] | None:
    """The first repair marker as (start, end): separators, hesitations and repair words around at least one
    repair word, opened by a separator."""
    for k, w in enumerate(t):
        pair = tuple(t[k : k + 2])
        width = 2 if pair in REPAIR_PAIRS else 1 if w in REPAIR_WORDS else 0
        if not width or k == 0:
            continue
        a = k
        while a > 0 and (t[a - 1] in SEPARATORS or t[a - 1] in HESITATIONS):
            a -= 1
        if a == k or t[a] not in SEPARATORS | HESITATIONS or a == 0 or "?" in t[a:k]:
            continue  # "I'd rather you put ...": not set off; "in the bin? no, ...": a question, not a correction
        b = k + width
        while b < len(t):
            if tuple(t[b : b + 2]) in REPAIR_PAIRS:
                b += 2
            elif t[b] in SEPARATORS or t[b] in HESITATIONS or t[b] in REPAIR_WORDS:
                b += 1
            else:
                break
        if b < len(t):
            return a, b
    return None


def _np_at(t: list[str], k: int) -> tuple[int, str | None] | None:
    """(end, category) of the noun phrase starting at ``k``, or None."""
    p = _Parser(t)
    p.i = k
    r = p.noun_phrase()
    if r is None or r.pronoun:
        return None
    return p.i, r.category


def _one_repair(t: list[str], names: frozenset[str] = frozenset()) -> list[str] | None:
    m = _marker(t)
    if m is None:
        return None
    a, b = m
    if t[b] == "not":  # "wait, not the bin, the green bowl": what is taken back, then what replaces it
        skipped = _np_at(t, b + 1)
        if skipped is not None and skipped[0] < len(t) and t[skipped[0]] in SEPARATORS:
            b = skipped[0]
            while b < len(t) and t[b] in SEPARATORS:
                b += 1
            if b == len(t):
                return None
    w = t[b]
    if w in VERBS:
        starts = [v for v in range(a) if t[v] in VERBS and (v == 0 or t[v - 1] in SEPARATORS | {"and", "then", "please"})]
        if not starts:
            return None
        new = t[b:]
        if len(new) > 1 and new[1] in ("it", "them"):  # "put the red block in the bowl, wait, no, put it in the bin":
            v = starts[-1] + 1  # the restarted request's "it" is what the request it replaces named
            while v < a and t[v] in ("up", "down", "away", "out"):
                v += 1
            old_np = _np_at(t, v)
            if old_np is not None and old_np[0] <= a:
                new = new[:1] + t[v : old_np[0]] + new[2:]
        return t[: starts[-1]] + new
    if w in DIRECTION_WORDS and t[b + 1 : b + 2] in ([], ["."], ["!"], [","]):
        # "push the blue block left, I mean right": the new direction replaces the last one before the marker
        dirs = [p for p in range(a) if t[p] in DIRECTION_WORDS]
        if not dirs:
            return None
        return t[: dirs[-1]] + [w] + t[dirs[-1] + 1 : a] + t[b + 1 :]
    if w in PLACE_PREPS:
        preps = [p for p in range(a) if t[p] in PLACE_PREPS and not any(t[j] in VERBS for j in range(p, a))]
        if not preps:
            return None
        return t[: preps[-1]] + t[b:]
    new = _np_at(t, b)
    if new is None:
        return None
    end, cat = new
    if cat is None and names:
        # "..., no, the green one": 'one' names no category. Of the phrases before the marker, it replaces the one
        # whose category has an object of that colour here; with two such ("the yellow block in the blue bowl",
        # a green block and a green bowl here) it could be either, so it is left for the grammar to refuse.
        cats = set()
        for s in range(a):
            if t[s] in DETERMINERS and (s == 0 or t[s - 1] not in DETERMINERS):
                old = _np_at(t, s)
                if old is not None and old[0] <= a and old[1] is not None:
                    cats.add(old[1])
        colours = {w for w in t[b:end] if any(n.split()[0] == w for n in names)}
        fits = {c for c in cats if any(f"{w} {c}" in names for w in colours)}
        if len(fits) > 1:
            said = " ".join(w for w in t[b:end])
            raise Refusal(f"'{said}' after the correction could be the {' or the '.join(sorted(fits))} named before; "
                          f"say which, e.g. 'no, the {' '.join(w for w in t[b:end] if w not in DETERMINERS | {'one'})} "
                          f"{sorted(fits)[0]}'", "ambiguous")
        if len(fits) == 1:
            cat = fits.pop()
    for places in (False, True):  # a phrase of the same category; else a place for a place ("in the bin. I mean
        for s in range(a - 1, -1, -1):  # the red bowl")
            if t[s] not in DETERMINERS or (s > 0 and t[s - 1] in DETERMINERS):
                continue
            old = _np_at(t, s)
            if old is None or old[0] > a:
                continue
            if old[1] is not None and cat is not None and old[1] != cat and not (
                    places and old[1] in CONTAINERS and cat in CONTAINERS and s > 0 and t[s - 1] in PLACE_PREPS):
                continue
            tail = t[end:]
            if t[a] in (",", "-") and tail[:1] == [t[a]]:
                tail = tail[1:]  # "the blue block, I mean the green block, goes ...": the aside's closing comma
            new_np = t[b:end]
            if new_np[:2] == ["the", "other"] and len(new_np) > 2:  # "in the red bowl, no wait, the other bowl": the
                new_np = ["the"] + new_np[2:] + ["other", "than"] + t[s : old[0]]  # bowl other than the red one
            if old[0] == a:  # the corrected phrase ends where the marker starts
                return t[:s] + new_np + tail
            return t[:s] + new_np + t[old[0] : a] + tail
    return None
