"""Noun phrases: colours, categories, quantities, descriptions, pronouns (see
:mod:`robomatrix.scheduler.understand`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from robomatrix.scheduler.language.lexicon import (
    CATEGORY_WORDS,
    COLOUR_NOUN,
    DETERMINERS,
    DIRECTION_WORDS,
    FILLER,
    NUMBERS,
    PLURAL_WORDS,
    UNITS,
)
from robomatrix.skills.colours import (
    NOT_COLOUR_WORDS,
    THING_COLOURS,
    colour_rgb,
)

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
    demonstrative: bool = False  # "that bowl": among several, the one the task named last
    singular_noun: bool = False  # "the other bowl" (one), not "the other bowls"
    rank: tuple[int, str] | None = None  # "the second block from the left": (2, "left")
    count_of: int | None = None  # "two of the three blocks": the whole the count is taken from
    inside: bool = False  # a destination after "in", "into", "inside", "within": a container, never a block

    def text(self) -> str:
        return " ".join(self.words) or "it"


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.t = tokens
        self.i = 0
        self.used = [False] * len(tokens)
        self.comparatives = True  # "closer to me" describes the object (False: it is where a push goes)
        self.contrasts: list[Ref] = []  # ", not the blue one": objects the task says are not meant
        self.negating = False  # inside "don't touch ...": "either yellow block" means both of them

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
        for seq in (("if", "there", "is", "one"), ("if", "there", "is", "any"), ("if", "there", "are", "any"),
                    ("where", "there", "is", "one"), ("if", "it", "exists"), ("if", "any")):
            if self.accept_seq(*seq):  # "each block into the bowl of its colour, if there is one": as always
                break
        if self.accept_seq("here", "goes") or self.accept_seq("here", "we", "go"):
            self.accept(":", ",", "-", "!")  # "OK, here goes: grab the yellow block ..."
        if self.accept_seq("any", "chance") or self.accept_seq("is", "there", "any", "chance"):
            self.accept("that")  # "any chance you could push ...?"
        if self.peek() == "is" and self.peek(1) == "it" and self.peek(2) in ("possible", "ok", "okay", "alright"):
            self.take(3)  # "is it possible to put the red block in the yellow bowl?"
            self.accept_seq("for", "you")
            self.accept("to")
        while self.peek() and not self._condition_at(0) and (self.peek() in FILLER - {"and", "then", "up", "down", "over", "out", "off",
                                                        "back", "onto", "into", "to", "of", "with", "as",
                                                        "well", "first", "second", "third", "last", "next",
                                                        "get", "gets", "got", "that", "this", "these",
                                                        "those", "the", "a", "an", "your", "my", "our",
                                                        "its", "by", "after", "when", "once", "have", "has",
                                                        "whenever", "if",
                                                        "had", "is", "are", "be", "right", "away", "here",
                                                        "there", "go", "make", "mean"}
                               or self.peek() in ("please", "kindly")):
            if self.peek() == "let" and self.peek(1) == "go":
                break  # "... and let go": a clause of its own
            if self.peek() == "so" and self.peek(1) in ("does", "do", "should", "must"):
                break  # "..., and so does the blue block"
            self.take()
        if self.peek() == "it" and self.peek(1) == "be" and self.peek(2) in ("possible", "ok", "okay", "alright",
                                                                          "great", "nice", "lovely", "good"):
            self.take(3)  # "would it be possible (for you) to put ..."
            self.accept_seq("for", "you")
            self.accept("to")
            self.skip_fillers()
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

    def _condition_at(self, k: int) -> bool:
        """"if the red block is in the yellow bowl": a condition on the world, not a request (refused whole:
        the robot does what it is asked now, it does not watch for states)."""
        if self.peek(k) not in ("if", "unless", "whenever", "when", "while"):
            return False
        if self.peek(k) in ("when", "while") and any(w.isalpha() and w not in FILLER for w in self.t[: self.i + k]):
            return False  # "close it when the block is in": a state the request before brings about, waited for

        def probe() -> bool:
            start = self.i
            r = self.noun_phrase()
            if r is None or r.pronoun:
                return False
            if self.peek() in ("is", "are", "was", "were", "has", "have", "gets", "ends", "sits", "stays"):
                return True
            # "if the blue block is on the left, ...": the noun phrase took the state as a description of the block
            inside = self.t[start : self.i]
            return any(w in ("is", "are", "was", "were") and (j == 0 or inside[j - 1] not in ("that", "which", "who"))
                       for j, w in enumerate(inside))
        return bool(self._ahead(k + 1, probe))

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
                ref.demonstrative = w in ("that", "this")
            elif w in ("only", "just") and (self.peek(1) in DETERMINERS or self._colour_at(1) or self.peek(1) in NUMBERS
                                            or self.peek(1) == "one") and self.i == start:
                self.take()  # "move only the blue block"
            elif w == "either" and (self.peek(1) in CATEGORY_WORDS or self._colour_at(1) or self.peek(1) == "of"):
                self.take()  # "don't touch either yellow block": both; "put either block in the bin": say which
                self.accept("of")
                if self.negating:
                    ref.all, ref.plural = True, True
                else:
                    ref.count = 1
            elif w in ("lone", "single", "sole", "only") and (self.i > start or self.i > 0 and self.t[self.i - 1] == "the") and (
                    self.peek(1) in CATEGORY_WORDS or self._colour_at(1)):
                self.take()  # "the lone green block": one of its kind, as every singular reference must be
            elif w in ("whichever", "whatever") and (self.peek(1) in CATEGORY_WORDS or self.peek(1) == "one"):
                self.take()  # "in whichever bowl is nearest the green block"
            elif w == "one" and self.peek(1) in CATEGORY_WORDS and ref.count is None:
                self.take()  # "put just one block in the bin: the green one"
                ref.count = 1
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
                    if self.accept("else"):  # "everything else": what the task does not name
                        ref.other = True
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
                if ref.count is not None:  # "two of the 3 blocks": a part of a whole
                    ref.count_of = int(w)
                else:
                    ref.count, ref.plural = int(w), int(w) > 1
                self.accept("of")
            elif w in ("pair", "couple") and self.peek(1) == "of":
                self.take(2)
                ref.count, ref.plural = 2, True
            elif w in NUMBERS and w not in ("one",) and self.peek(1) not in ("cm", "mm", "m"):
                self.take()
                if ref.count is not None:  # "two of the three blocks": two, out of three
                    ref.count_of = NUMBERS[w]
                else:
                    ref.count, ref.plural = NUMBERS[w], True
                self.accept("of")
            elif w in ("other", "remaining") or (w == "rest" and self.peek(1) not in CATEGORY_WORDS):
                self.take()
                ref.other, ref.plural = True, True
                self.accept("of")
            elif w in _ORDINALS and ref.rank is None and self.i > 0 and self.t[self.i - 1] == "the" and \
                    self.peek(1) in ("leftmost", "rightmost"):
                self.take(2)  # "the second leftmost block": second counted from that side
                ref.rank = (_ORDINALS[w], "left" if self.t[self.i - 1] == "leftmost" else "right")
            elif w in _ORDINALS and ref.rank is None and self.i > 0 and self.t[self.i - 1] == "the" and \
                    self.peek(1) == "from" and (self.peek(2) in ("left", "right") or self.peek(2) == "the"
                                                and self.peek(3) in ("left", "right")):
                self.take(2)  # "the second-from-left block": the side before the noun
                self.accept("the")
                ref.rank = (_ORDINALS[w], self.take()[0])
            elif w in _ORDINALS and ref.rank is None and self.i > 0 and self.t[self.i - 1] == "the" and (
                    self.peek(1) in CATEGORY_WORDS or self.peek(1) == "one" or self._colour_at(1)):
                self.take()  # "the second block from the left", "the last block on the right": the side comes
                ref.rank = (_ORDINALS[w], "")  # after the noun; none ("the last block") is refused: from where?
            elif w in ("leftmost", "rightmost", "nearest", "closest", "farthest", "furthest", "middle",
                       "centre", "lowest", "highest", "frontmost"):  # "frontmost": the largest x (forward is +x)
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
                ref.singular_noun = w not in PLURAL_WORDS
                ref.plural = ref.plural or w in PLURAL_WORDS
                while CATEGORY_WORDS.get(self.peek()) == ref.category:  # "waste bin", "rubbish bin"
                    ref.plural = ref.plural or self.take()[0] in PLURAL_WORDS
                self.accept("can")  # "trash can"
                break
            if w in ("one", "ones") and (ref.colours or ref.superlative or ref.other or ref.all or ref.count
                                         or ref.rank):
                self.take()
                ref.plural = ref.plural or w == "ones"
                ref.singular_noun = ref.singular_noun or w == "one"  # "the other one": one object, not the rest
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
        if self.i == start + 1 and self.t[start] == "the" and self.peek() in ("former", "latter"):
            ref.pronoun = True  # "the blue block and the yellow block: put the former in the bin"
            ref.words = [self.take()[0]]
            return ref
        if self.i == start + 1 and self.t[start] == "both" and ref.count == 2 and not self._np_follows(0):
            ref.pronoun = True  # "take the red and the blue block and put both in the bowl": them both
            ref.words = ["both"]
            return ref
        if (ref.superlative or ref.rank) and not ref.colours and ref.category is None and self.peek() == "of" and \
                self.peek(1) in ("the", "these", "those", "all") and self._ahead(1, self._plural_group_follows):
            self.take()  # "the leftmost of the blocks", "the second of the bowls from the left": the kind from the group
            self.accept("all")
            group = self.noun_phrase()
            if group is not None:
                ref.category = group.category
                ref.colours = list(group.colours) if len(group.colours) == 1 else []
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

    def _plural_group_follows(self) -> bool:
        self.accept("all")
        r = self.noun_phrase()
        return r is not None and r.plural and r.category is not None and not (r.relative or r.superlative or r.rank)

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
            near_words = ("nearest", "closest", "farthest", "furthest", "nearer", "closer", "next", "further",
                          "farther", "leftmost", "rightmost", "most", "near", "beside", "by")
            being = ("is", "are", "sits", "lies", "stands", "sitting", "lying", "resting", "standing", "located",
                     "placed", "positioned", "sat")
            if self.comparatives and (w == "behind" or (w, w1, w2) == ("in", "front", "of")
                                      or (w, w1, w2) == ("in", "back", "of")) or (
                    w in being + ("right", "just", "directly", "immediately") and (
                        w1 == "behind" or (w1, w2, self.peek(3)) == ("in", "front", "of"))) or (
                    w in being and w1 == "directly" and (w2 == "behind" or (w2, self.peek(3)) == ("in", "front"))):
                state = self.save()  # "the block behind the green block", "the bowl in front of the bin"
                self.accept(*being)
                direct = self.accept("directly")
                self.accept("right", "just", "immediately")
                kind = "behind" if self.accept("behind") else "front_of"
                if kind == "front_of":
                    kind = "front_of" if self.take(3)[1] == "front" else "behind"
                if direct:  # "directly behind": in line with it, not anywhere on that side
                    kind += "_direct"
                lm = self.noun_phrase()
                if lm is None or lm.pronoun and lm.words != ["it"]:
                    self.restore(state)
                    break
                ref.relative.append((kind, lm))
                continue
            if w in ("right", "just", "directly", "immediately") and w1 in ("next", "beside", "by", "near"):
                self.take()  # "right next to the bin"
                continue
            intensified = w2 in ("right", "just", "directly", "immediately") and self.peek(3) in near_words
            if w in being and (w1 in near_words or w1 in ("right", "just", "directly") and w2 in near_words) or (
                    w in being and w1 in ("on", "to", "at") and w2 in ("the", "your", "my")
                    and self.peek(3) in ("left", "right", "far", "front", "back")):
                self.take()  # "the block sitting next to the red bowl"
                continue
            if w in ("that", "which") and w1 in being and (w2 == "behind" or (w2, self.peek(3)) == ("in", "front")):
                self.take()  # "the block that is behind the bin": the relation follows
                continue
            if w in ("that", "which") and w1 in being and (w2 in near_words or intensified or w2 in ("on", "to", "at")
                                                           and self.peek(3)
                                                           in ("the", "your", "my") and self.peek(4) in
                                                           ("left", "right", "far", "front", "back")):
                self.take()  # "the block that is next to the bin"
                continue
            sided = 3  # "to the left of", "on the right-hand side of", "to the left side of": words naming the side
            while self.peek(sided) in ("hand", "side") and sided < 5:
                sided += 1
            if self.comparatives and (w in ("to", "on", "at") and w1 == "the" and w2 in ("left", "right")
                                      and self.peek(sided) == "of") or (w in ("left", "right") and w1 == "of"):
                k = sided + 1 if w in ("to", "on", "at") else 2  # "the block to the left of the red block"
                side = w2 if w in ("to", "on", "at") else w
                state = self.save()
                self.take(k)
                lm = self.noun_phrase()
                if lm is None:
                    self.restore(state)
                    break
                ref.relative.append(("left_of" if side == "left" else "right_of", lm))
                continue
            if w in ("that", "which") and w1 in being and w2 in ("more", "most", "further", "farther", "furthest",
                                                                 "farthest") and self.peek(3) == "to":
                self.take(2)  # "the red block that is more to the left"
                continue
            if w in ("furthest", "farthest", "further", "farther", "most", "more") and w1 == "to" and w2 == "the" and \
                    self.peek(3) in ("left", "right"):
                self.take(4)  # "the block furthest to the right": the rightmost, not the farthest away
                self.accept("side", "hand")
                ref.superlative = ("leftmost" if self.t[self.i - 1] == "left" or (self.t[self.i - 1] in ("side", "hand")
                                   and self.t[self.i - 2] == "left") else "rightmost", "")
                continue
            if w in ("that", "which") and w1 in ("does", "do") and w2 == "not" and self.peek(3) in ("match", "matches"):
                state = self.save()
                self.take(4)  # "the block that doesn't match any bowl"
                self.accept("any", "a", "an", "the")
                lm = self.noun_phrase()
                if lm is None:
                    self.restore(state)
                    break
                ref.relative.append(("matches_none", lm))
                continue
            if ref.rank is None and w in _ORDINALS and w1 == "from" and w2 == "the" and self.peek(3) in ("left", "right"):
                side = self.peek(3)
                self.take(4)  # "the block second from the left"
                self.accept("side", "end", "edge")
                ref.rank = (_ORDINALS[w], side)
                continue
            if ref.rank is not None and w in ("counting", "counted", "starting", "going") and w1 == "from":
                self.take()  # "the last block counting from the left"
                continue
            if ref.rank is not None and w == "from" and w1 in ("left", "right"):
                self.take(2)  # "the second block from left"
                self.accept("side", "end", "edge")
                ref.rank = (ref.rank[0], w1)
                continue
            if ref.rank is not None and w == "from" and w1 == "the" and w2 in ("left", "right"):
                self.take(3)  # "the second block from the left"
                self.accept("side", "end", "edge")
                ref.rank = (ref.rank[0], w2)
                continue
            if ref.rank is not None and not ref.rank[1] and w in ("on", "at", "to") and w1 == "the" and \
                    w2 in ("left", "right"):
                self.take(3)  # "the first block on the left", "the last block on the right": counted from that side,
                self.accept("side", "end", "edge", "hand")  # the last on a side is the first from it
                ref.rank = (1 if ref.rank[0] == -1 else ref.rank[0], w2)
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
                self.accept("side")  # "on the left-hand side"
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
            if w in ("further", "farther", "most", "furthest", "farthest") and w1 in ("forward", "forwards"):
                self.take(2)  # "the block furthest forward": the largest x (forward is +x), not the farthest away
                self.accept("one")
                ref.superlative = ("frontmost", "")
                continue
            if w in ("further", "farther", "more", "most", "furthest", "farthest") and w1 in ("left", "right"):
                self.take(2)  # "the block furthest left": the superlative before the side, no "to the"
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
            if (w in ("with", "of") and (w1 in COLOUR_NOUN or (w1 == "the" and w2 in COLOUR_NOUN))
                    and self._colour_at(2 + (w1 == "the")) and not ref.colours):
                self.take(2 + (w1 == "the"))  # "the bowl with the colour yellow", "of colour red"
                ref.colours.append(" ".join(self.take(self._colour_at(0))))
                continue
            if w == "between":
                state = self.save()
                self.take()  # "the block between the green and blue blocks" / "between X and Y"
                a = self.noun_phrase()
                if a is not None and a.plural and (len(a.colours) == 2 or a.count == 2):  # "between the two green blocks"
                    ref.relative.append(("between", a))
                    continue
                if a is not None and self.accept("and"):
                    b = self.noun_phrase()
                    if b is not None:
                        if not (a.words and a.words[-1] in ("one", "ones")):  # "between the yellow one and the
                            a.category = a.category or b.category  # green bowl": "one" is of the described kind
                        ref.relative += [("between", a), ("between", b)]
                        continue
                self.restore(state)
                break
            if w in ("coloured", "colored") and w1 == "like":
                self.take(2)  # "the bowl coloured like the green block" / "... like a leaf"
                state = self.save()
                n = self._colour_like_word()
                if n and self.peek() not in CATEGORY_WORDS:
                    ref.colours.append(n)
                    continue
                self.restore(state)
                lm = self.noun_phrase()
                if lm is not None:
                    ref.relative.append(("matches", lm))
                continue
            if w in ("that", "which") and w1 in ("are", "is") and w2 in ("not", "neither") and self._colour_at(3):
                self.take(3)  # "that is not blue", "that isn't blue or red", "that is neither red nor blue"
                ref.not_colours.append(" ".join(self.take(self._colour_at(0))))
                while True:
                    if self.peek() in ("or", "nor", ",") and self._colour_at(1) and \
                            self.peek(1 + self._colour_at(1)) not in CATEGORY_WORDS:
                        self.take()
                    elif (self.peek(), self.peek(1)) == ("and", "not") and self._colour_at(2) and \
                            self.peek(2 + self._colour_at(2)) not in CATEGORY_WORDS:
                        self.take(2)  # "that is not green and not yellow"
                    else:
                        break
                    ref.not_colours.append(" ".join(self.take(self._colour_at(0))))
                continue
            if w == "whose" and w1 in ("colour", "shade") and w2 in ("matches", "match", "is", "equals"):
                self.take(3)  # "the bowl whose colour matches the red block" / "is the same as ..."
                n = self._colour_at(0)
                if w2 == "is" and n and self.peek(n) not in CATEGORY_WORDS and self.peek(n) != "one":
                    ref.colours.append(" ".join(self.take(n)))  # "the bowl whose colour is yellow"
                    continue
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
            if w in ("the", "of") and w1 in ("same", "colour") or (w == "in" and w1 == "the" and w2 == "same"
                                                                  and self.peek(3) in ("colour", "shade", "as")) or (
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
                if not (ref.all or ref.plural or ref.other or (
                        w == "other" and ref.category in ("block", "object", "bowl") and ref.singular_noun)):
                    break  # (singular: "the block other than the red one", one object left when it is set aside)
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
            state = self.save()
            n = self._colour_like_word()  # "the same colour as the grass": a thing's colour, not an object
            if n and self.peek() not in CATEGORY_WORDS and self.peek() not in ("one", "ones"):
                ref.colours.append(n)
                return
            self.restore(state)
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
        while self.accept("fresh", "ripe", "clear", "new", "cut", "summer", "deep", "open", "cloudless", "wet",
                          "spring", "morning", "midday"):
            pass  # "the colour of a clear summer sky"
        w = self.peek()
        if w in THING_COLOURS and self.peek(1) not in CATEGORY_WORDS:
            self.take()  # "the colour of the sea": the thing's colour, not the survey's paint chip
            return THING_COLOURS[w]
        n = self._colour_at(0)
        if n:
            return " ".join(self.take(n))
        w = self.peek()
        if w in _NOT_COLOURS and colour_rgb(w) is not None and w not in CATEGORY_WORDS:
            return self.take()[0]  # "the colour of the sea": after "colour of", a thing's colour
        return ""


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}  # -1: the last counted
_NOT_COLOURS = NOT_COLOUR_WORDS  # words the colour tables list that are not colours on their own
