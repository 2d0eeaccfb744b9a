"""Clauses: verb phrases, terse forms, negation, towers (see :mod:`robomatrix.scheduler.understand`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from robomatrix.scheduler.language.lexicon import (
    ASIDES,
    CLOSE_VERBS,
    CONTAINERS,
    DIRECTION_WORDS,
    DISCARD_VERBS,
    DRAWER_STATE_VERBS,
    FILLER,
    HEADING_WORDS,
    HOLD_VERBS,
    NUMBERS,
    OPEN_VERBS,
    PLACE_VERBS,
    PREP_IN,
    PREP_ON,
    PREP_UNDER,
    PUSH_VERBS,
    SORT_VERBS,
    STACK_VERBS,
    UNITS,
    participle_verb,
)
from robomatrix.scheduler.language.phrases import (
    Ref,
    _Parser,
)
from robomatrix.scheduler.language.resolution import Refusal


@dataclass
class Clause:
    action: str  # place | discard | hold | open | close | push | stack | sort | state
    objects: list[Ref] = field(default_factory=list)
    relation: str | None = None  # in | on | under
    dest: Ref | None = None
    direction: str | None = None
    distance: float | None = None
    order: str | None = None  # stack: bottom_up | top_down
    terse: bool = False  # no verb: "X in Y", "X goes in Y", "X -> Y" (a second one for X is a contradiction)


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
            if self._heading():
                continue
            if self.peek() in ("unless", "if") and self._already(1):
                continue  # "... unless it is already there": the goal is the same either way
            if self._condition_at(0):
                j = self.i + 1
                while j < len(self.t) and self.t[j] not in (",", ";", ".", "then"):
                    j += 1
                k = j + 1 if j < len(self.t) and self.t[j] != "then" else j
                while k < len(self.t) and self.t[k] in ("then", "please", ","):
                    k += 1
                cond = self.t[self.i + 1 : j]
                if "drawer" in cond and set(cond) & {"open", "opened", "closed", "shut"} and k < len(self.t) and \
                        self.t[k] in OPEN_VERBS | CLOSE_VERBS:
                    # "if the drawer is closed, open it": the goal holds whichever way the condition goes; the
                    # drawer is what "it" means next
                    self.take()
                    r = self.noun_phrase()
                    for m in range(self.i, j):
                        self.used[m] = True
                    self.i = j
                    if r is not None:
                        clauses.append(Clause("topic", [r]))
                    continue
                raise Refusal(f"the task asks for something only on a condition ({' '.join(self.t[self.i : j])!r}); "
                              "the robot does what it is asked now and does not wait for states: say what to do "
                              "without the condition", "unknown_word")
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

    def _already(self, k: int) -> bool:
        """"unless it's already there", "if they are not already in it": true of any goal; read and dropped."""
        j = k
        if self.peek(j) not in ("it", "they", "that", "this"):
            return False
        j += 1
        if self.peek(j) not in ("is", "are"):
            return False
        j += 1
        j += self.peek(j) == "not"
        if self.peek(j) != "already":
            return False
        j += 1
        for tail in (("there",), ("in", "it"), ("in", "place"), ("inside",), ("in", "there"), ("done",), ("open",),
                     ("closed",), ("shut",), ("held",)):
            if tuple(self.peek(j + m) for m in range(len(tail))) == tail:
                self.take(j + len(tail))
                return True
        return False

    def _heading(self) -> bool:
        """"the end state: ...", "final arrangement - ...", "at the end(,) ...": words naming the state to reach
        before what it is; they ask for nothing themselves."""
        w = self.peek()
        if w in ("at", "in", "by") and self.peek(1) == "the" and self.peek(2) == "end" and self.peek(3) not in (
                "of", "on", "in"):
            self.take(3)
            self.accept(",", ":", "-")
            return True
        j = 0
        while self.peek(j) in HEADING_WORDS | {"the", "my", "our", "a", "an", "what", "i", "want", "is"} and j < 6:
            j += 1
        if j and self.peek(j) in (":", "-") and any(self.peek(k) in HEADING_WORDS for k in range(j)):
            self.take(j + 1)
            return True
        return False

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

    def _objects_or_backtrack(self, state: tuple[int, list[bool]]) -> list[Ref] | None:
        """The object phrases here, or None with the cursor back at ``state`` when there are none."""
        objs = self._objects()
        if not objs:
            self.restore(state)
            return None
        return objs

    def _objects(self) -> list[Ref]:
        refs: list[Ref] = []
        while True:
            r = self.noun_phrase()
            if r is None:
                break
            refs.append(r)
            if self.peek() == "," and self.peek(1) in ("and", "or") and self._np_follows(2) and \
                    not self._verb_follows(2) and len(refs) >= 2:
                self.take(2)  # "the blue block, the green block, and the red block": a list's last comma
                continue
            if self.peek() in ("and", ",", "or") and self._np_follows(1) and not self._verb_follows(1) and \
                    not self._ahead(1, lambda: (self.noun_phrase() or Ref()).pronoun):  # ", both into the bowl"
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
            if w == "in" and self.peek() == "to":
                self.take()  # "in to the blue bowl"
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
        if self.peek() == "same" and (self.peek(1) in ("bowl", "bin", "drawer", "place", "one", "container")):
            self.take(2)  # "and then the yellow one to the same bowl": the place named last
            return rel, Ref(pronoun=True, words=["the same place"])
        if rel == "in" and self.peek() == "there" and self.peek(1) in ("", ",", ".", "and", "then", "!", "?", "too",
                                                                       "as", "also", ";"):
            self.take()  # "then put the blue block in there too": the place named last
            return rel, Ref(pronoun=True, words=["there"])
        dest = self.noun_phrase()
        if dest is not None and w in ("in", "into", "inside", "within"):
            dest.inside = True  # "inside the yellow block": a place to be in, which a block is not
        if dest is None:
            if rel == "in" and self.peek() in ("", ",", ".", "and", "then", "!", "?", "too", "also", "as"):
                return rel, Ref(pronoun=True, words=["(implied)"])  # "then put the blue block in too"
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
        if w in ("a", "just") and w1 in ("bit", "little", "touch", "few", "couple", "tad", "smidge", "smidgen", "hair",
                                         "fraction"):
            self.take(2)  # a small amount, not a number: the skill's small push
            self.accept("of")
            self.accept("centimetres", "centimeters", "cm", "mm", "millimetres", "millimeters", "inches")
            c.distance = 0.05
            return True
        if w in ("slightly", "gently"):
            self.take()
            c.distance = 0.05
            return True
        if w == "far" or (w in ("really", "very", "so", "quite", "pretty") and w1 == "far"):
            self.take(1 if w == "far" else 2)  # "push it really far": the skill's longest push
            c.distance = 0.20
            return True
        if w in ("by", "about", "around", "roughly", "some", "for", "over", "approximately", "approx") and (
            re.fullmatch(r"\d+(\.\d+)?", w1) or w1 in NUMBERS or w1 in ("a",)
        ):
            self.take()
            return self._distance(c)
        return False

    def _clause(self, done: list[Clause]) -> Clause | list[Clause] | None:
        w, w1 = self.peek(), self.peek(1)
        if w == "only" and self._verb_follows(1):
            self.take()  # "only move the blue block": nothing else moves in any goal
            w, w1 = self.peek(), self.peek(1)
        if w == "make" and (w1 in PLACE_VERBS - {"make"} | PUSH_VERBS | HOLD_VERBS | OPEN_VERBS | CLOSE_VERBS
                            and w1 not in ("sure", "certain") or self._ahead(1, lambda: self.noun_phrase() is not None
                                                                 and self.peek() in ("go", "move", "get", "end"))):
            self.take()  # "make the yellow block go in the bowl", a learner's "make push the block": the request itself
            w, w1 = self.peek(), self.peek(1)
        if self.i == 0 and w in ("is", "are", "was", "were", "does", "did", "has") and self._np_follows(1) and \
                self.t[-1] == "?":
            raise Refusal("the task asks a question about the world; the robot answers no questions: say what it "
                          "should do", "unknown_word")  # "is the green block in the bin?"
        if w in ("move", "touch", "disturb") and w1 == "nothing":
            self.take(2)  # "move nothing but the red block; it goes into the green bowl"
            only = self._only_these()
            if only is not None:
                return only
            return Clause("noop")
        if w == "nothing" and w1 in ("but", "except", "besides", "other", "apart", "save"):
            self.take()  # "nothing but the blue block should move: put it in the yellow bowl"
            only = self._only_these()
            if only is not None:
                self.accept("should", "must", "may", "can", "will", "is", "gets", "needs")
                self.accept("to")
                self.accept("be")
                self.accept("move", "moved", "touched", "moving")
                return only
            self.i -= 1
            self.used[self.i] = False
        if w == "there" and w1 in ("is", "are") and self._np_follows(2):
            state = self.save()
            self.take(2)  # "there's a red block; put it in the yellow bowl": what "it" means next
            objs = self._objects()
            if self.peek() in (";", ",", ".", "?", "!", "-", ":") and self._verb_with_pronoun(1):
                return Clause("topic", objs)
            self.restore(state)
        if w in ("once", "after", "when") and done and done[-1].action in ("open", "close", "place", "discard") and \
                self._np_follows(1):
            state = self.save()
            self.take()  # "shut the drawer once the block is inside": the state the clause before waits for
            c = self._np_first(done)
            if isinstance(c, Clause) and c.action == "place" and self.peek() in ("", ".", ",", ";", "!", "and", "then"):
                for r in c.objects:
                    r.demonstrative = True  # "the block": among several, the one the task named last
                c.terse = False
                return c
            self.restore(state)
        if w == "the" and w1 == "only":
            only = self._the_only()  # "the only thing to move is the blue block, into the bin"
            if only is not None:
                return only
        if w in ("so", "as") and w1 in ("does", "do", "should", "must") and done and \
                done[-1].action in ("place", "discard", "push") and self._np_follows(2):
            self.take(2)  # "the yellow block goes in the red bowl, and so does the blue block"
            prev = done[-1]
            return Clause(prev.action, self._objects(), prev.relation, prev.dest, prev.direction, prev.distance)
        if w in ("do", "same", "likewise") or (w == "the" and w1 == "same"):
            again = self._same_again(done)  # "... then do the same with the blue block"
            if again is not None:
                return again
        if w in ("which", "that") and done and w1 in ("goes", "go", "should", "must", "needs", "belongs", "is",
                                                    "are", "has", "have"):
            rel = self._relative_place(done[-1])  # "... except the blue block, which goes in the red bowl"
            if rel is not None:
                return rel
        # "make sure / ensure / see that": a state follows
        if w in ("make", "ensure") and (w1 in ("sure", "certain") or w == "ensure"):
            self.take(2 if w == "make" else 1)
            self.accept("that")
            return self._state_clause()
        # negation: leave X (where it is | alone), do not touch/move X
        if w == "without" and w1 in ("touching", "moving", "disturbing") and self.peek(2) in (
                "anything", "everything", "any"):
            self.take(3)  # "without moving anything else, put ...": true of every goal
            self.accept("block", "blocks", "object", "objects", "thing", "things")
            only = self._only_these()
            if only is not None:
                return only
            self.accept("else", "other")
            return Clause("noop")
        if w == "without" and w1 in ("touching", "moving", "disturbing") and self._np_follows(2):
            self.take(2)  # "put the red block in the bin without touching the blue block"
            return Clause("keep", self._objects())
        if w in ("keep", "let") and self._np_follows(1):
            state = self.save()
            self.take()  # "keep the blue block where it is", "let the red block stay put"
            objs = self._objects()
            self.accept("stay", "stays", "remain", "be")
            if objs and (self.accept_seq("where", "it", "is") or self.accept_seq("where", "they", "are")
                         or self.accept_seq("in", "place") or self.accept_seq("as", "it", "is")
                         or self.accept_seq("where", "it", "sits") or self.accept("untouched", "still", "put")):
                return Clause("keep", objs)
            self.restore(state)
        if w in ("leave", "leaving") or (w in ("do", "dont") and w1 in ("not", "touch", "move")) or w == "not" or \
                w == "never":
            c = self._negation()
            if c is not None:
                return c
        # "find the yellow block and put it in the bin": the object becomes what "it" means
        if w in ("find", "locate", "spot") and self._np_follows(1) and not self._dest_follows_np(1):
            self.take()
            return Clause("topic", self._objects())
        # a drawer pushed shut or pulled open
        if w in PUSH_VERBS | DRAWER_STATE_VERBS and self._drawer_state_follows(1):
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
        if (w in ("top", "bottom") and w1 in ("to", "up", "down", ":")) or (w == "from" and w1 == "the" and self.peek(2) in (
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

    _WISH = {"to", "should", "must", "needs", "need", "will", "gonna", "going", "end", "ends", "ought", "wants",
             "want"}
    _HAVE = {"have", "has", "contain", "contains", "hold", "holds", "get", "gets", "receive", "receives", "with",
             "needs", "need", "wants", "want", "holding", "containing", "having"}

    def _container_holds(self, objs: list[Ref]) -> Clause | None:
        """"the red bowl needs the blue block in it", "I want the bowl to have the green block in it", "the yellow
        bowl should end up with the blue block (in it)", "the green bowl to contain the yellow block": a place named
        first, then what it should hold: a put. Only with a wish ("to", "should", "needs", "end up"): "the bowl has
        the red block in it" describes the world and is not a request."""
        if len(objs) != 1 or objs[0].pronoun or objs[0].category not in CONTAINERS + ("container",):
            return None
        state = self.save()
        words: list[str] = []
        while self.peek() in self._WISH | self._HAVE | {"be", "up", "would", "could", "can", "got", "going"} and                 len(words) < 5:
            words.append(self.take()[0])
            if words[-1] in self._HAVE - {"needs", "need", "wants", "want"} and words[-1] != "with" and self._np_follows(0):
                break
        if not (set(words) & self._WISH and set(words) & self._HAVE) or not self._np_follows(0):
            self.restore(state)
            return None
        things = self._objects_or_backtrack(state)
        if things is None:
            return None
        if not (self.accept_seq("in", "it") or self.accept_seq("inside", "it") or self.accept_seq("in", "there")
                or self.accept("inside", "in")):
            pass
        if self.peek() not in ("", ".", ",", ";", "!", "?", "and", "then", "please"):
            self.restore(state)
            return None
        return Clause("place", things, "in", objs[0])

    def _only_these(self) -> Clause | None:
        """After "move nothing" / "don't touch anything": "but X", "except X", "other than X" names what
        the task is about (a topic: a later "it" means it); everything else stays, as in every goal."""
        w, w1 = self.peek(), self.peek(1)
        n = 0
        if w in ("except", "but", "besides", "excluding", "bar"):
            n = 1
        elif (w, w1) in (("other", "than"), ("apart", "from"), ("save", "for")):
            n = 2
        if not n or not self._np_follows(n + (self.peek(n) == "for")):
            return None
        self.take(n)
        self.accept("for")
        return Clause("topic", self._objects())

    def _the_only(self) -> Clause | None:
        """"the only block to move is X[, into Y]", "the only thing you should touch is X": X is the topic
        (or, with a place, the object of a put); nothing else moves, as in every goal."""
        state = self.save()
        self.take(2)
        if not self.accept("thing", "block", "object", "one", "cube", "item"):
            self.restore(state)
            return None
        while self.peek() in ("to", "you", "should", "can", "may", "must", "that", "i", "want", "need", "be",
                              "move", "moved", "moves", "touch", "touched", "need", "needs", "will", "is"):
            if self.peek() == "is" and self._np_follows(1):
                break
            self.take()
        if not self.accept("is", "are"):
            self.restore(state)
            return None
        objs = self._objects_or_backtrack(state)
        if objs is None:
            return None
        inner = self.save()
        self.accept(",", "-", ":")
        self.accept("which", "it")
        self.accept("goes", "go")
        d = self._destination()
        if d is not None:
            return Clause("place", objs, d[0], d[1])
        self.restore(inner)
        return Clause("topic", objs)

    def _same_again(self, done: list[Clause]) -> Clause | None:
        """"do the same with / for / to X", "(and) the same for X": the clause before, for other objects."""
        state = self.save()
        self.accept("do")
        self.accept("the")
        if not self.accept("same", "likewise", "similarly"):
            self.restore(state)
            return None
        self.accept("thing")
        if not (self.accept("with", "for", "to") and done and done[-1].action in ("place", "discard", "push")):
            self.restore(state)
            return None
        objs = self._objects_or_backtrack(state)
        if objs is None:
            return None
        self.accept("too", "also")
        prev = done[-1]
        return Clause(prev.action, objs, prev.relation, prev.dest, prev.direction, prev.distance)

    def _relative_place(self, before: Clause) -> Clause | None:
        """", which goes in the red bowl": a place for what the clause before named last (its destination
        if it has one: "the green block goes on the yellow block, which goes on the blue block")."""
        state = self.save()
        self.take()
        while self.peek() in ("goes", "go", "should", "must", "needs", "need", "belongs", "belong", "is", "are",
                              "has", "have", "to", "be", "end", "ends", "up"):
            self.take()
        d = self._destination()
        if d is None:
            self.restore(state)
            return None
        if before.dest is not None and not before.dest.pronoun:
            return Clause("place", [before.dest], d[0], d[1])
        return Clause("place", [Ref(pronoun=True, words=["it"])], d[0], d[1])

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
        """"clear the table", "tidy up the table", "empty the table into the bin", "clean the whole table off",
        "tidy everything up on the table", "clear all the blocks off the table": every movable object into the
        bin (the one place for what is cleared away in these worlds)."""
        state = self.save()
        if not self.accept("clear", "clean", "tidy", "empty"):
            return None
        self.accept("up", "off", "away")
        table = self._the_table()
        if not table:  # "tidy everything up (on the table)", "clear all the blocks off the table"
            if not self._everything():
                self.restore(state)
                return None
            if not self._ahead(0, lambda: self.accept("on", "off", "from") and self._the_table()):
                self.accept("up", "off", "away")
            if self.accept("on", "off", "from"):
                if not self._the_table():
                    self.restore(state)
                    return None
            elif self.peek() not in ("", ",", ".", "!", "?", "please", "but", "except", "and", "then", ";", "into",
                                     "in"):
                self.restore(state)
                return None
        self.accept("up", "off")
        if table:  # "clear the table please, all the blocks": what the clearing takes, said after it
            after = self.save()
            self.accept("please")
            if not (self.accept(",") and self._everything() and self.peek() in ("", ".", "!", "?", "please")):
                self.restore(after)
        everything = Ref(all=True, plural=True, words=["everything on the table"])
        if self.peek() == "," and self.peek(1) in ("in", "into", "inside"):
            self.take()  # "clear off all the blocks, straight in the bin"
        d = self._destination()
        return Clause("place", [everything], d[0], d[1]) if d is not None else Clause("discard", [everything])

    def _everything(self) -> bool:
        """"everything", "it all", "all (the) blocks", "every block": all that a clearing takes."""
        return (self.accept("everything") or self.accept_seq("it", "all") or self.accept_seq("all", "the", "blocks")
                or self.accept_seq("all", "blocks") or self.accept_seq("every", "block"))

    def _the_table(self) -> bool:
        """"the table", "the tabletop", "table", "the whole table", "the entire table"."""
        state = self.save()
        if self.accept("the"):
            self.accept("whole", "entire")
        if self.accept("table", "tabletop"):
            return True
        self.restore(state)
        return False

    def _verb_with_pronoun(self, k: int) -> bool:
        verbs = PLACE_VERBS | HOLD_VERBS | PUSH_VERBS | DISCARD_VERBS
        return self.peek(k) in verbs and any(self.peek(j) in ("it", "them", "that", "former", "latter", "both")
                                             for j in range(k + 1, k + 4))

    def _verb_with_there(self, k: int) -> bool:
        """"the blue bowl: put the red block there": a put whose place is the phrase before it."""
        if self.peek(k) not in PLACE_VERBS | DISCARD_VERBS:
            return False
        j = k + 1
        while self.peek(j) not in ("", ",", ";", ".", "!", "?", "and", "then") and j < k + 9:
            if self.peek(j) == "there":
                return True
            j += 1
        return False

    def _drawer_state_follows(self, k: int) -> bool:
        drawer_named = any(w in ("drawer", "drawers") for w in self.t[: self.i])

        def probe() -> bool:
            r = self.noun_phrase()
            self.accept_seq("all", "the", "way")
            return r is not None and (r.category == "drawer" or r.pronoun and drawer_named) and self.peek() in (
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
        if self.peek() == "," and self.peek(1) in ("both", "all", "each") and self.peek(2) in PREP_IN | PREP_ON | PREP_UNDER:
            self.take(2)  # "move the red block and the green block, both into the blue bowl"
        if self.peek() in (":", ";", ",", "-", ".") and self.peek(1) in ("it", "they") and self.peek(2) in (
                "goes", "go", "should", "must", "needs", "belongs", "is", "are", "has", "will"):
            self.take()  # "move only the green block: it goes in the blue bowl": the next clause says where
            return Clause("topic", objs)
        j = self._aside(0)
        if j and self.peek(j) in PREP_IN | PREP_ON | PREP_UNDER | {"down"} - {":", "->"}:
            self.take(j)  # "put the red block... in the bin", "put it - carefully - in the bin"
        while self.peek() in ASIDES and self.peek().endswith("ly") and self.peek(1) in PREP_IN | PREP_ON | PREP_UNDER:
            self.take()  # "place the blue block gently on the red block": how, not where
        d = self._destination()
        if d is None and self.peek() == "at" and self._ahead(1, lambda: (self.noun_phrase() or Ref()).category in CONTAINERS + ("container",)):
            self.take()  # "drop the yellow block off at the green bowl": a container is a place to be in
            d = ("in", self.noun_phrase())
        if d is None and self.peek() == "there" and self.peek(1) in ("", ",", ".", "and", "then", "!", "too", "as",
                                                                     "also", ";"):
            self.take()  # "then get the blue block and put it there too": where the last put went
            self.accept("too", "also")
            return Clause("place", objs, None, Ref(pronoun=True, words=["there"]))
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
            if verb in HOLD_VERBS or verb in ("get", "fetch"):  # "get the blue block and put it there too"
                return Clause("hold", objs)
            return Clause("place", objs)  # no destination: reported as unclear
        rel, dest = d
        self.accept("please")
        n = self._colour_at(3)
        if self.peek() == "," and self.peek(1) in ("which", "that") and self.peek(2) in ("is", "are") and n and \
                self.peek(3 + n) in ("", ".", "!", ",", ";", "and", "then"):
            self.take(3)  # "put the yellow block in the bin, which is grey": the place must be that colour too
            dest.colours.append(" ".join(self.take(n)))
        self._trailing_except(objs)
        if len(objs) == 1 and (objs[0].count or objs[0].plural) and not (objs[0].colours or objs[0].pronoun) and \
                self.peek() in (":", "-", ","):
            state = self.save()
            self.take()  # "put two blocks in the green bowl: the yellow one and the blue one"
            listed = self._objects()
            if listed and self.peek() in ("", ".", "!", ";") and (
                    objs[0].count == len(listed) or objs[0].count is None and len(listed) > 1):
                for r in listed:
                    r.category = r.category or objs[0].category
                objs = listed
            else:
                self.restore(state)
        return self._chain(Clause("place", objs, rel, dest))

    def _aside(self, k: int) -> int:
        """Tokens from offset ``k`` of an aside set off by separators: "...", " - carefully - ", ", um,"."""
        j = k
        while self.peek(j) in (",", ".", "-", ";", "!") or (j > k and self.peek(j) in ASIDES):
            j += 1
        return j - k if j > k and self.peek(j - 1) in (",", ".", "-", ";", "!") or j == k else 0

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
        for seq in (("and", "nothing", "else"), ("but", "nothing", "else"), ("and", "no", "others"),
                    ("and", "nothing", "more"), ("and", "no", "other", "blocks"), ("but", "no", "others")):
            if self.accept_seq(*seq):  # "the two red blocks and nothing else": as in every goal
                break
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
        if n and w in ("but", "not") and not any(r.all or r.plural or r.other for r in objs):
            self.take(n)  # "put the red block in the bin but not the blue one": a contrast
            ex = self.noun_phrase()
            if ex is not None:
                self.contrasts.append(ex)
                return
            self.restore(state)
            return
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
        descriptions must hold); ", not the blue one," is a contrast, checked not to be what moves;
        ", which is next to the green bowl," describes it too."""
        if objs and self.peek() == "," and self.peek(1) in ("which", "that") and self.peek(2) in (
                "is", "are", "sits", "lies", "stands"):
            state = self.save()
            self.take(2)
            tmp = Ref(category=objs[-1].category)
            self._post_modifiers(tmp)
            if (tmp.relative or tmp.superlative or tmp.not_colours) and self.peek() == ",":
                self.take()
                last = objs[-1]
                last.relative += tmp.relative
                last.not_colours += tmp.not_colours
                if tmp.superlative is not None:
                    last.superlative = tmp.superlative
                last.words = last.words + [", which ..."]
            else:
                self.restore(state)
        while objs and self.peek() in (",", "-") and self._np_follows(1 + (self.peek(1) == "not")):
            state = self.save()
            sep = self.take()[0]
            contrast = self.accept("not")
            ap = self.noun_phrase()
            while self.peek() in ("!", "?") and self.peek(1) in (sep, ""):
                self.take()  # "put the green block (not the red one!) in the bowl"
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
        if first is not None and first.category not in CONTAINERS + ("container",) and self.peek() == ",":
            inner = self.save()
            self.take()
            dest = self.noun_phrase()
            self.accept("please", "thanks", "ta", "cheers")
            if dest is not None and dest.category in CONTAINERS + ("container",) and self.peek() in ("", ".", ";", "!", "?"):
                return Clause("place", terse=True, objects=[first], relation="in", dest=dest)  # "Blue block, bin. Green block, red bowl."
            self.restore(inner)
        self.restore(state)
        topic = self.accept("of")
        self.accept("whichever", "whatever")
        objs = self._objects_or_backtrack(state)
        if objs is None:
            return None
        self._apposition(objs)  # "the yellow block, which is next to the green bowl, goes in the bin"
        held = self._container_holds(objs)
        if held is not None:
            return held
        modal = 1 if self.peek(1) in ("must", "should", "can", "could", "will", "need", "have") else 0
        if modal and self.peek(2) == "to":
            modal = 2  # "you have to put", "you need to put"
        if self.peek() in ("you", "u") and self.peek(1 + modal) in PLACE_VERBS - {"should", "needs", "must", "go", "goes"}:
            st = self.save()
            self.take(2 + modal)  # "the yellow block you put on the red bowl": the object said first
            d = self._destination()
            if d is not None:
                return Clause("place", objs, d[0], d[1])
            self.restore(st)
        listed = self.save()
        more: list[Ref] = []
        while self.peek() == ";" and self.peek(1) not in ("both", "all", "each") and self._np_follows(1):
            self.take()  # "red block; green block; both into the yellow bowl": a list the last words gather
            r = self.noun_phrase()
            if r is None:
                break
            more.append(r)
        if more and self.peek() in (";", ",", ":", "-") and self.peek(1) in ("both", "all", "each") and \
                self.peek(2) in PREP_IN | PREP_ON | PREP_UNDER:
            objs = objs + more
            self.take()
        else:
            self.restore(listed)
        if all(r.colours and not (r.plural or r.pronoun or r.relative) for r in objs) and len(objs) >= 2:
            st = self.save()
            self.accept(",")
            if self.accept("stacked", "piled"):  # "red, green and blue, stacked from the bottom"
                self.accept("up")
                order = "bottom_up" if self._any_seq(self._UP) else "top_down" if self._any_seq(self._DOWN) else None
                if order is not None:
                    c = Clause("stack", objs)
                    c.order = order
                    return c
            self.restore(st)
        st = self.save()
        for seq in (("needs", "moving"), ("needs", "to", "be", "moved"), ("needs", "to", "move"), ("has", "to", "move"),
                    ("has", "to", "be", "moved"), ("must", "be", "moved"), ("should", "be", "moved")):
            if self.accept_seq(*seq):  # "the green block needs moving: put it into the yellow bowl"
                if self.peek() in (":", ";", ",", ".", "-", "!") and self._verb_with_pronoun(1):
                    return Clause("topic", objs)
                self.restore(st)
                break
        for seq in (("stays", "where", "it", "is"), ("stay", "where", "they", "are"), ("stays", "put"),
                    ("stay", "put"), ("remains", "where", "it", "is"), ("remain", "where", "they", "are"),
                    ("stays", "as", "it", "is"), ("stays", "untouched"), ("remains", "untouched"),
                    ("stays", "where", "it", "sits"), ("should", "stay", "where", "it", "is"), ("stays", "there"),
                    ("stay", ","), ("stays", ","), ("stay", ";"), ("stays", ";"), ("stay", "."), ("stays", "."),
                    ("stay", "there"), ("remain", ","), ("remains", ",")):
            if self.accept_seq(*seq):  # "the blue block stays where it is; move the yellow block to the bin"
                return Clause("keep", objs)
        state_only = self.save()
        if self.accept_seq("is", "the", "only") or self.accept_seq("are", "the", "only"):
            if self.accept("one", "thing", "block", "object", "ones", "things", "blocks"):
                while self.peek() in ("that", "which", "to", "should", "can", "may", "will", "be", "is", "move",
                                      "moved", "moving", "allowed", "i", "you", "want", "need", "touch", "touched"):
                    self.take()  # "the yellow block is the only one that should move: put it in the bin"
                if self.peek() in (":", ";", ",", ".", "-", "!", ""):
                    return Clause("topic", objs)
            self.restore(state_only)
        for seq in (("is", "in", "the", "way"), ("are", "in", "the", "way"), ("is", "in", "my", "way"),
                    ("are", "in", "my", "way"), ("is", "in", "your", "way"), ("is", "blocking"), ("are", "blocking")):
            if self.accept_seq(*seq):  # "the green block is in the way. move it to the bin": a topic
                self.accept("me", "you", "us", "everything")
                return Clause("topic", objs)
        # "X goes in Y", "X should be in Y", "X in Y", "X -> Y", "X: Y"
        while self.peek() in ("go", "goes", "should", "must", "needs", "need", "be", "belongs", "belong", "is", "both",
                              "are", "to", "has", "have", "want", "wants", "ends", "end", "ended", "up", "sits",
                              "sit", "placed", "put", "moved", "gets", "get", "got", "stay", "stays", "sitting",
                              "resting", "lying", "standing", "sat", "stacked", "stored", "kept", "be", "going",
                              "getting", "ending", "really", "definitely", "just", "ideally", "absolutely", "simply",
                              "eventually", "also", "now", "finally", "honestly", "please") or (
                self.peek() in ("can", "could", "may", "might", "will", "would", "shall")
                and (self.peek(1) in ("go", "be", "sit", "end", "stay") or self.peek(1) in ("just", "simply", "also")
                     and self.peek(2) in ("go", "be"))):  # "the mustard one can (just) go in the bin"
            if self.peek() == "to" and self.peek(1) not in ("be", "go", "end", "sit"):
                break
            self.take()
        verb = participle_verb(self.peek()) or (self.peek() if self.peek() in PLACE_VERBS | DISCARD_VERBS
                                                 and self.peek() not in HOLD_VERBS | {"leave", "get"} else None)
        if verb is not None and self.peek(1) in PREP_IN | PREP_ON | PREP_UNDER:
            self.take()  # "I'd like it dropped in the green bowl", "the red block needs to be popped into the bin"
        elif verb in DISCARD_VERBS and self.peek(1) in ("", ",", ".", "!", ";", "and", "then",
                                                                                   "please", "too", "as"):
            self.take()  # "the red block should be binned": into the bin
            return Clause("discard", objs)
        if self.peek() in (":", "->") and self.peek(1) in ("open", "opened", "closed", "shut", "close"):
            self.take()  # "drawer: open."
        if self.peek() in ("open", "opened", "closed", "shut") or self.peek() == "close" and self.t[self.i - 1] in (":", "->"):
            return Clause("open" if self.take()[0] in ("open", "opened") else "close", objs)
        if self.peek() in ("held", "lifted", "raised") and self.peek(1) in ("", "up", "in", ",", ".", "please", "!"):
            self.take()  # "I need the blue block held up"
            self.accept("up")
            self._in_hand()
            return Clause("hold", objs)
        self._trailing_except(objs)  # "all blocks, except the yellow, into the green bowl"
        inner = self.save()
        self.take(self._aside(0))
        while self.peek() in (",", "please", ".", "...", "-", ";") or (self.peek() == "?" and (self._np_follows(1) or self.peek(1) == "?")):
            self.take()  # "Red block?? Green bowl.": a terse put asked as a question
        if self.peek() in ("both", "all", "each") and self.peek(1) in PREP_IN | PREP_ON | PREP_UNDER and (
                len(objs) > 1 or any(r.plural or len(r.colours) > 1 for r in objs)):
            self.take()  # "the yellow and green blocks, both into the blue bowl"
        d = self._destination()
        if d is not None:
            self._trailing_except(objs)
            return Clause("place", terse=True, objects=objs, relation=d[0], dest=d[1])
        if inner[0] < len(self.t) and self.t[inner[0]] == "-" and self.t[self.i - 1] == "-":  # "red block - bin, ..."
            dest = self.noun_phrase()
            if dest is not None and dest.category in CONTAINERS + ("container",) and self.peek() in (
                    "", ",", ";", ".", "!", "and", "then", "please"):  # "the red block - drawer please"
                self.accept("please")
                return Clause("place", terse=True, objects=objs, relation="in", dest=dest)
            self.restore(inner)
        # "X... Y" / "X, Y" / "X; Y" at the end of the task: a terse put
        dest = self.noun_phrase()
        if dest is not None and self.peek() in ("", ".", "?", "!") and self.t[inner[0]] in (",", ".", ";", "-", "?"):
            while self.peek() in (".", "?", "!"):
                self.take()
            return Clause("place", terse=True, objects=objs, relation="in", dest=dest)
        self.restore(inner)
        if done and done[-1].action == "hold" and self.peek() in (",", "and") and (
                self._verb_with_pronoun(1) or self._verb_with_pronoun(2)):
            done[-1].objects.extend(objs)  # "take the blue block, then the yellow block, and put them both ..."
            return Clause("noop")
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
                                               or self._verb_with_pronoun(1) or self._verb_with_there(1)) or (
                self.peek() in ("?", ".", ";", "!") and self._verb_with_pronoun(1)):
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
        state = self.save()  # a failed reading gives its words back: a negation left unread is refused, not lost
        if self.accept_seq("never", "mind"):  # "never mind the yellow block; the blue one goes in the bin"
            self.negating = True
            objs = self._objects()
            self.negating = False
            if objs:
                return Clause("keep", objs)
            self.restore(state)
            return None
        if self.accept("leave", "leaving"):
            objs = self._objects()
            if not objs:
                self.restore(state)
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
            if self.accept_seq("as", "they", "are") or self.accept_seq("as", "is") or \
                    self.peek() in ("", ".", ",", ";", "!", "and", "then"):
                return Clause("keep", objs)  # "... and leave the rest", "leave the green block, and ..."
            self.restore(state)
            return None
        self.accept("do", "dont")
        self.accept("not", "never")
        if self.accept_seq("let", "go") or self.accept("drop", "release"):  # "grab it and don't let go"
            self.accept("of")
            self._objects()
            return Clause("hold", [Ref(pronoun=True, words=["it"])])
        if self.accept_seq("do", "anything", "to") or self.accept_seq("do", "anything", "with"):
            return Clause("keep", self._objects())  # "don't do anything to the green block"
        if self.peek() in ("want", "wanna", "need") and self._np_follows(1):
            self.take()  # "I don't want the drawer open" asks for it closed; "I don't want X in Y" rules that out
            objs = self._objects()
            if objs and self.peek() in ("open", "opened", "closed", "shut") and self.peek(1) in (
                    "", ",", ".", ";", "!", "and", "then", "so", "please"):
                return Clause("close" if self.take()[0] in ("open", "opened") else "open", objs)
            d = self._destination() if objs else None
            if d is not None:
                return Clause("forbid", objs, d[0], d[1])
            self.restore(state)
            return None
        if self.peek() in OPEN_VERBS | CLOSE_VERBS | PUSH_VERBS | HOLD_VERBS - {"hold"} and self._np_follows(
                1 + (self.peek(1) == "up")):
            verb = self.take()[0]  # "don't open the drawer": that object is left as it is
            self.accept("up")
            objs = self._objects()
            if objs:
                self.accept("up")
                if verb in PUSH_VERBS - {"slide"} or verb in HOLD_VERBS:  # "don't push the red block, just pick it
                    return Clause("forbid", objs, direction="push" if verb in PUSH_VERBS else "hold")  # up": that act
                return Clause("keep", objs)
            self.restore(state)
            return None
        if self.accept("touch", "move", "disturb", "put", "place", "drop"):
            if self.accept("anything", "everything", "nothing", "any"):
                self.accept("block", "blocks", "object", "objects", "thing", "things", "cube", "cubes")
                only = self._only_these()  # "don't move anything except the blue block, which goes ..."
                if only is not None:
                    return only
                self.accept("else", "other")  # "do not touch anything else": true of every goal
                self.accept("blocks", "block", "objects", "object", "thing", "things")
                d = self._destination()
                if d is not None:  # "don't put anything in the bin": no goal may use the bin
                    self.contrasts.append(d[1])
                return Clause("noop")
            verb = self.t[self.i - 1]
            self.negating = True  # "don't touch either yellow block": neither of them
            objs = self._objects()
            self.negating = False
            if verb in ("put", "place", "drop"):
                d = self._destination()
                if d is not None:  # "do not put the green block in the bin": that pair is ruled out
                    return Clause("forbid", objs, d[0], d[1])
            return Clause("keep", objs)
        if self.t[start] == "not" and self.i == start + 1 and self.peek() in PREP_IN | PREP_ON | PREP_UNDER:
            d = self._destination()  # "in the bin and not in the yellow bowl"
            if d is not None and self.peek() in ("", ",", ".", ";", "!", "and", "then", "but"):
                self.contrasts.append(d[1])
                return Clause("noop")
            self.restore(state)
            return None
        if self.t[start] == "not" and self.i == start + 1:
            one = self.noun_phrase()  # "not the blue block, the green one goes in the bowl"
            if one is not None and self.peek() in (",", ";", ":", "-") and self._np_follows(1):
                self.contrasts.append(one)
                return Clause("noop")
            self.i = start + 1
            objs = self._objects()  # "put it in the red bowl, not the yellow bowl"
            if objs and self.peek() in ("", ",", ".", ";", "!", "and", "then", "but", ":", "-"):
                self.contrasts.extend(objs)
                return Clause("noop")
        self.restore(state)
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
                    ("in", "hand"), ("in", "its", "gripper"), ("up", "high"), ("high",), ("up", "in", "the", "air")):
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
            self.accept("over", "across")  # "scoot the green block over to the right"
            if self.peek() == "," and c.direction is not None and c.distance is None and self._ahead(
                    1, lambda: self._distance(Clause("push"))):
                self.take()  # "a shove to the left, about 4 cm"
            if not (self._direction(c) or self._distance(c)):
                break
        return c

    def _sort(self) -> Clause:
        self.take()
        objs = self._objects()
        self.accept("into", "in", "to", "by", "with", "according")
        self.accept("to")
        self.accept("the", "their", "its")
        self.accept("own", "matching")
        dest = self.noun_phrase()
        while self.peek() in ("of", "that", "by", "according", "to", "the", "same", "their", "its", "own",
                              "colour", "matching", "match", "matches", "corresponding", "they", "it",
                              "with", "as", "colours"):
            self.take()
        if dest is None and self.peek() in ("into", "in", "to"):
            state = self.save()
            self.take()  # "sort the blocks by colour into the bowls"
            self.accept("the", "their")
            dest = self.noun_phrase()
            if dest is None or dest.category != "bowl":
                self.restore(state)
                dest = None
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

    @staticmethod
    def _stacked(c: Clause) -> Clause:
        """A put said with "stack" / "pile": one block on another, never on a container ("stack the yellow block
        on top of the bin" is not "put it in the bin")."""
        if c.relation == "on" and c.dest is not None and c.dest.category in CONTAINERS + ("container",):
            raise Refusal(f"a stack is built on blocks; '{c.dest.text()}' is not a block to stack on", "impossible")
        return c

    def _names_again(self, before: Ref) -> bool:
        self.accept("top")
        self.accept("of")
        r = self.noun_phrase()
        return r is not None and _same_description(before, r)

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
        if self.t[self.i - 1] in ("tower", "stack", "stacking") and self.peek() == "time" and self.peek(1) in (":", ",", "-", "!"):
            self.take()  # "tower time: ...": a heading, as "tower: ..."
        if self.accept("a", "the", "one"):
            if (self.peek() in NUMBERS or self.peek().isdigit()) and (
                    self.peek(1) in ("high", "level", "storey", "story")
                    or self.peek(1) in ("block", "blocks") and self.peek(2) in ("tower", "stack", "pile", "high")):
                self.take(2)  # "a three-block tower" (not "stack the three blocks with ...": a group)
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
            if not order and not c.objects and self.peek() in ("blocks", "cubes", "bricks"):
                self.take()  # "stack the blocks with yellow at the top ...": the group the tower is made of
                c.objects.append(Ref(category="block", plural=True, words=["the blocks"]))
                continue
            if not order and self.peek() == "." and self._np_follows(1):
                self.take()  # "build a tower. Green first, then yellow, then blue."
                continue
            if self._any_seq(self._TOGETHER):
                sequenced = sequenced or self.t[self.i - 1] in ("order", "given", "named")  # no take: matched
                continue
            if self.accept("with", ":", ",", ";", "of", "using", "them", "out", "order", "sequence", "-", "(", ")", "where",
                           "is", "are", "goes", "go", "sits", "comes", "placed", "put", "block", "blocks", "up",
                           "please", "like", "so", "this"):
                continue
            if self.peek() in ("then", "and", "next", "finally", "lastly", "followed", "by", "after", "that",
                               "above", "over") and not (self.peek() == "next" and self.peek(1) in ("to",)):
                word = self.take()[0]
                sequenced = sequenced or word not in ("and", "by", "that")
                continue
            if self.peek() in ("top", "bottom", "middle") and (self.peek(1) in (":", "-", "=", "->") or (
                    self._colour_at(1) and self._np_follows(1))):
                label = self.take()[0]  # "top: red. bottom: green." / "bottom blue, middle yellow, top green"
                self.accept(":", "-", "=", "->")
                r = self.noun_phrase()  # "top: red. bottom: green."
                if r is None:
                    break
                position[len(order)] = label
                order.append(r)
                while self.accept(".", ";", ","):
                    pass
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
                if self.peek() in ("on", "onto", "upon", "atop") or self.peek() in PREP_UNDER:
                    d = self._destination()  # "pick up the red block and stack it on the blue one"
                    if d is not None:
                        return self._chain(self._stacked(Clause("place", [r], d[0], d[1])))
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
                    return self._chain(self._stacked(Clause("place", [r], d[0], d[1])))
            if order and self.peek() in ("on", "onto", "atop", "above") and self._ahead(1, lambda: self._names_again(
                    order[-1])):
                self.take()  # "green first, red on it, blue on the red": on the one named just before, as "on it"
                self.noun_phrase()
                sequenced = True
            pos = ""
            if self.peek() in ("is", "are", "goes", "sits") and self._ahead(1, lambda: self._any_seq(
                    self._BOTTOM + self._TOP + self._MIDDLE)):
                self.take()  # "a tower where the yellow block is on the bottom and the red block is on top"
            if self._any_seq(self._NEXT):
                sequenced = True
            elif self._any_seq(self._BOTTOM):
                pos = "bottom"
            elif self._any_seq(self._TOP):
                pos = "top"
            elif self._any_seq(self._MIDDLE):
                pos = "middle"
            elif (self.peek() in ("on", "onto", "upon", "atop") or self.peek() in PREP_UNDER) and not order:
                d = self._destination()
                if d is not None:
                    return self._chain(self._stacked(Clause("place", [r], d[0], d[1])))
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
