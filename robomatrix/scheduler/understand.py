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
  second request the robot must not do, a number nothing uses) refuses the whole task with the
  word named. References that match several objects are refused with the candidates listed, never
  guessed; so are plurals with a one-object description ("the blocks on the left") and requests on
  a condition of the world ("... if the red block is in the bowl").

The result is a list of :class:`~robomatrix.scheduler.symbolic.GoalAtom` over object ids; the
plan comes from :func:`~robomatrix.scheduler.symbolic.plan_for_goal`.

The parts live in :mod:`robomatrix.scheduler.language`: ``lexicon`` (word classes, spelling, typos,
tokens), ``phrases`` (noun phrases), ``clauses`` (verb phrases, terse forms, negation, towers) and
``resolution`` (world objects, phrases -> ids, :class:`Refusal`); this module turns clauses into goals.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from robomatrix.scheduler.language.clauses import (
    Clause,
    _ClauseParser,
)
from robomatrix.scheduler.language.lexicon import (
    ACT_VERBS,
    ALL_WORDS,
    BEING_WORDS,
    CATEGORY_WORDS,
    CLOSE_VERBS,
    COLOUR_NOUN,
    CONTAINERS,
    DESCRIPTOR_WORDS,
    DIRECTION_WORDS,
    DISCARD_VERBS,
    DRAWER_STATE_VERBS,
    EXCEPT_WORDS,
    FILLER,
    HOLD_VERBS,
    MOVABLE,
    NUMBERS,
    OPEN_VERBS,
    OTHER_ACTS,
    PLACE_VERBS,
    PLURAL_WORDS,
    PUSH_RANGE,
    PUSH_VERBS,
    SOCIAL,
    SORT_VERBS,
    STACK_VERBS,
    SYSTEM_WORDS,
    UNITS,
    UNSAFE_WORDS,
    _lexicon,
    is_known,
    someone_in_the_way,
    tokens_of,
)
from robomatrix.scheduler.language.phrases import (
    Ref,
)
from robomatrix.scheduler.language.repairs import repaired
from robomatrix.scheduler.language.resolution import (
    Obj,
    Refusal,
    _Resolver,
    world_objects,
)
from robomatrix.scheduler.symbolic import GoalAtom
from robomatrix.skills.colours import THING_COLOURS, colour_rgb

__all__ = ["Refusal", "interpret", "looks_like_code", "tokens_of"]


# --------------------------------------------------------------------------- the interpretation

_CODE_STRICT = re.compile(r"[{}\[\]`$\\]|&&|\|\||\b(sudo|rm\s+-|rm\s+/|chmod|reboot|shutdown|curl|wget|mkfs|"
                          r"import\s+\w+|def\s+\w+\(|lambda\s*:|print\(|exec\(|eval\(|os\.\w+|subprocess|"
                          r"drop\s+table|select\s+\*)")


def looks_like_code(text: str) -> str | None:
    m = _CODE_STRICT.search(text.lower())
    return m.group(0) if m else None


def interpret(task: str, objects: Sequence[Any]) -> list[GoalAtom]:
    """Goal atoms for ``task`` in a world of ``objects``; :class:`Refusal` with a reason."""
    bracketed = re.fullmatch(r"\s*\[([^\[\]{}\"`$\\:=]*)\]\s*[.!?]*\s*", task)
    if bracketed:  # "[put the red block in the bin]": a task set off in brackets, no code inside
        task = bracketed.group(1)
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
    toks = _without_leading_take_back(toks)  # "never mind what I said before, put ...": nothing here to take back
    if toks[:2] == ["of", "the"] and "," in toks and toks[toks.index(",") + 1 : toks.index(",") + 2] == ["the"]:
        # "of the two green blocks, the blue one goes ...": a choice among some, not read here (after the comma a
        # noun phrase; "of the two yellow blocks, put the one further right ..." is read by the grammar)
        raise Refusal("the task begins 'of the ...', a choice among several that is not clear here; name the one "
                      "object, e.g. 'the green block nearest to you'", "ambiguous")
    shifted = _after_topic_shift(toks)  # "My cat knocked ... this morning. Anyway - could you ...": the request after it
    for check, says in _NOT_A_REQUEST:  # asks for no action now: refused with what gave it away
        found = check(shifted or toks)
        if found:
            raise Refusal(says.format(repr(found)), "ambiguous")
    try:
        return _interpret_tokens(task, toks, objs, extra, names)
    except Refusal as first:
        if first.kind not in ("unknown_word", "ambiguous"):
            shifted = None
        if shifted:  # "Long day, kids wouldn't sleep. Anyway, could you ...": the request after the shift
            try:
                return _interpret_tokens(task, shifted, objs, extra, names)
            except Refusal:
                pass
        if first.kind not in ("unknown_word", "ambiguous") or first.reason.startswith(_NEGATION_LEFT):
            raise
        for variant in _without_remarks(toks):
            if _free_negations(variant) < _free_negations(toks):
                continue  # a reading never drops a negation: "put it in the bin. Don't." is taken back, not a put
            try:
                return _interpret_tokens(task, variant, objs, extra, names)
            except Refusal:
                continue
        raise


_NEGATIONS = {"not", "never", "dont"}
_NEGATION_LEFT = "the task says"
_TAKE_BACKS = (("just", "kidding"), ("kidding",), ("joking",), ("jk",), ("scratch", "that"), ("forget", "it"),
               ("forget", "that"), ("forget", "about", "it"), ("never", "mind"), ("nevermind",), ("cancel", "that"),
               ("cancel", "it"), ("cancel",), ("actually", "no"), ("or", "not"), ("do", "not"), ("dont",),
               ("on", "second", "thought"), ("on", "second", "thoughts"), ("not", "really"), ("psych",), ("undo", "that"),
               ("ignore", "that"), ("ignore", "me"), ("or", "maybe", "not"), ("maybe", "not"), ("no", "thanks"),
               ("forget",), ("ignore",), ("undo",), ("scratch",), ("take", "that", "back"), ("take", "it", "back"),
               ("nope",), ("nah",), ("nvm",), ("changed", "my", "mind"), ("change", "my", "mind"),
               ("changed", "mind"), ("change", "of", "plan"), ("change", "of", "plans"), ("disregard",),
               ("belay", "that"), ("strike", "that"), ("scrap", "that"))
"""Words that take back what came before them ("... just kidding", "... or not", "... Don't."): with nothing the
robot could do after them, the task asks for nothing."""
_AFTER_TAKE_BACK = {"it", "that", "this", "all", "everything", "then", "actually", "sorry", "please", "lol", "haha",
                    "ha", "thanks", "thank", "you", "again", "anyway", "do", "not", "dont", "no", "nah", "nope",
                    "ok", "okay", "so", "never", "mind", "i", "was", "am", "changed", "my", "just", "kidding",
                    "joking", "oh", "well", "wait", "hmm", "um", "uh", "on", "second", "thought", "thoughts", "really",
                    "maybe", "or", "cancel", "forget", "about", "scratch", "ignore", "me", "jk", "rather", "instead",
                    "bother", "need", "to", "the", "whole", "thing", "request", "change", "plan", "plans",
                    "of", "nvm", "disregard", "belay", "strike", "have", "ve"}


def _free_negations(toks: list[str]) -> int:
    """How many negations in ``toks`` are not said of a person or a condition ("if not", "if you don't mind",
    "I don't know how you do it" are remarks; "Don't." alone is not)."""
    return sum(w in _NEGATIONS and _free_negation(toks, k) for k, w in enumerate(toks))


def _free_negation(toks: list[str], k: int) -> bool:
    """Whether the negation at ``k`` may be said of the request: not one of the person ("if you don't mind", "I don't
    know how you do it", "if it's not too much trouble") nor an asking form ("can't you", "why don't you")."""
    if toks[k + 1 : k + 2] in (["you"], ["u"]):
        return False
    j = k - 1 if k and toks[k - 1] not in ("do", "does", "is", "can") else k - 2
    return j < 0 or toks[j] not in ("if", "whether", "you", "i", "we", "they", "why", "who", "it", "u")


_ASKING_OPENERS = {"can", "could", "would", "will", "should", "shall", "do", "does", "did", "is", "are", "was", "were",
                   "may", "might", "must"}
_ASKED_OF = {"you", "u", "ya", "robot", "please", "pls", "i", "we"}  # "could you ...", "may I ask you to ..."
_REQUEST_ASKED = {"go", "goes", "sit", "possible", "ok", "okay", "alright", "fine", "please", "pls", "pleease"}
_WONDERING = {"what", "how", "where", "which", "who", "whose", "suppose", "supposing", "imagine", "hypothetically",
              "pretend", "why", "wonder"}
_OPENING_FILLER = {"so", "ok", "okay", "hey", "well", "um", "uh", "oh", "and", "but", "then", "hi", "hello", "robot",
                   ",", "now", "right", "alright", "also", "just", "quick", "question", ":"}


def _question(toks: list[str]) -> str | None:
    """The opening of a sentence that asks about the world or supposes instead of asking for an action ("can the red
    block fit in the blue bowl?", "should I put ...?", "what if ...", "how would you ...", "suppose you put ..."); the
    asking forms of a request ("could you ...", "would you mind ...", "why don't you ...", "how about ...", "may I
    ask you to ...") are not questions. None when no sentence is one."""
    start = 0
    for k in range(len(toks) + 1):
        if k < len(toks) and toks[k] not in (".", "!", "?", ";"):
            continue
        words = toks[start:k]
        start = k + 1
        while words and words[0] in _OPENING_FILLER:
            words = words[1:]
        if len(words) < 3:
            continue
        w0, w1, w2 = words[0], words[1], words[2]
        if w0 == "should" and w1 in ("i", "we"):
            return " ".join(words[:3])  # "should I put the red block in the bin?": asks for advice
        for j in range(len(words) - 1):  # "if I had asked you to ..., would you have?": supposes what was not
            h = next((i for i in (j + 1, j + 2) if i < len(words) and words[i] == "have"), None)
            after = words[h + 1] if h is not None and h + 1 < len(words) else ""
            perfect = after in ("", "been", "done", "put", "had", "made", "taken", "left", "let") or (
                after.endswith("ed") and after not in ("red",))  # "would have moved"; not "should have the ..."
            if words[j] in ("would", "could", "should", "might") and h is not None and perfect or \
                    words[j] == "if" and words[j + 1 : j + 3] in (["i", "had"], ["you", "had"], ["we", "had"]):
                return " ".join(words[j : j + 3])
        if w0 in _ASKING_OPENERS and w1 not in _ASKED_OF and w1 != "not" and w0 not in ("do", "may"):
            chance_you = any(words[j] in ("chance", "way") and words[j + 1 : j + 2] in (["you"], ["u"])
                             for j in range(len(words)))  # "is there any chance you could put ...": a request
            if set(words) & _REQUEST_ASKED or chance_you or w1 in ("it", "that", "this", "there") and w2 == "be":
                continue  # "could the blue block go in the bin?", "would it be possible to ...": asked as a request
            return " ".join(words[:3])
        if w0 in _WONDERING:
            if w0 == "how" and w1 == "about" or w0 == "why" and w1 in ("not", "do", "dont") and (
                    w1 == "not" or w2 in ("not", "you", "u")):
                continue  # "how about putting ...", "why not put ...", "why don't you put ..."
            if w0 == "what" and (w1 == "about" or w1 in ("i", "we") and w2 in ("want", "need", "would", "really")):
                continue
            return " ".join(words[:3])
    return None


_PAST_MARKERS = (("yesterday",), ("ago",), ("previously",), ("last", "time"), ("last", "night"), ("last", "week"),
                 ("the", "other", "day"), ("this", "morning"), ("earlier", "today"), ("the", "day", "before"))
"""Words that place what a part says in the past ("you put the green block in the blue bowl last time")."""
_PART_ENDS = {".", "!", "?", ";", ",", ":"}


_EARLIER_WORDS = {"what", "i", "said", "say", "before", "earlier", "that", "last", "one", "the", "my", "message",
                  "all", "of", "it", "this", "request", "previous", "everything", "just", "ok", "okay", "so", "um",
                  "uh", "oh", "sorry", "about"}


def _without_leading_take_back(toks: list[str]) -> list[str]:
    """``toks`` without an opening part that takes back an earlier message ("never mind what I said before, put
    ...", "scratch that last one. put ... instead"): a task stands alone, so there is nothing in it to take back,
    and the request after it is the whole request (its "instead" then replaces nothing)."""
    cut = next((k for k, w in enumerate(toks) if w in _PART_ENDS or w == "-"), None)
    if cut is None or cut + 1 >= len(toks):
        return toks
    head = [w for w in toks[:cut] if w.isalpha()]
    for seq in _TAKE_BACKS:
        if tuple(head[: len(seq)]) == seq and seq not in (("do", "not"), ("dont",), ("or", "not"), ("or", "maybe", "not")) \
                and all(w in _EARLIER_WORDS for w in head[len(seq):]):
            rest = toks[cut + 1 :]
            while rest and rest[0] in _PART_ENDS | {"-"}:
                rest = rest[1:]
            rest = [w for i, w in enumerate(rest) if not (w == "instead" and i >= len(rest) - 2)]
            return rest if rest else toks
    return toks


_REPORTING = {"asked", "told", "said", "wanted", "suggested", "mentioned", "ordered", "instructed", "requested"}
_FIRST_PERSON = {"i", "we", "me", "you"}


def _reported_speech(toks: list[str]) -> str | None:
    """The words of someone else's request reported in the past ("she asked you to put ...", "my boss told you to
    ..."): not this person's request. "I asked you to ..." (a person repeating their own request) is not one."""
    for k, w in enumerate(toks):
        if w in _REPORTING and k > 0 and toks[k - 1] not in _FIRST_PERSON and toks[k + 1 : k + 3] in (
                ["you", "to"], ["me", "to"], ["us", "to"], ["that", "you"]) and toks[k - 1] not in ("if", "as"):
            if toks[k + 1] in ("me", "us") and toks[k + 3 : k + 4] in (["ask"], ["tell"], ["get"], ["have"]):
                continue  # "my wife asked me to ask you: please put ...": the person passes the request on
            return " ".join(toks[max(0, k - 1) : k + 3])
    return None


def _past_report(toks: list[str]) -> str | None:
    """The past-time words of a part (a sentence or a stretch set off by commas) that also names an act or an object:
    "you put the green block in the blue bowl last time", "I moved the red block yesterday" tell what happened and
    are never a request; the robot has no memory to put things back "where they were yesterday" either. A part
    with the past-time words and nothing else ("Thanks for yesterday,") is small talk and does not count."""
    part: list[str] = []
    for w in [*toks, "."]:
        if w not in _PART_ENDS:
            part.append(w)
            continue
        for k in range(len(part)):
            for seq in _PAST_MARKERS:
                if tuple(part[k : k + len(seq)]) == seq and _names_something(
                        [x for j, x in enumerate(part) if not k <= j < k + len(seq)], colours=True):
                    return " ".join(seq)
        part = []
    return None


def _taken_back(toks: list[str]) -> str | None:
    """The take-back words that end ``toks`` ("... scratch that", "... or not", "... Don't!"), when nothing after
    them is a request; None otherwise. A take-back followed by a new request is a correction (language.repairs)."""
    for k in range(len(toks)):
        for seq in _TAKE_BACKS:
            if tuple(toks[k : k + len(seq)]) != seq or k == 0:
                continue
            if seq[0] in ("do", "dont") and toks[k - 1] in ("if", "whether", "you", "i", "we", "why", "worries", "it"):
                continue  # "no worries if you don't", "why don't you ...": not a take-back
            rest = [w for w in toks[k + len(seq):] if w.isalpha()]
            # nothing after it names an object, a place or an act ("... never mind, I'll do it myself")
            said = [w for w in rest if w not in _AFTER_TAKE_BACK and w not in _CONTROL_WORDS]
            if seq in (("do", "not"), ("dont",)) and said:
                continue  # "... and don't let go", "do not touch anything else": a negated request, read by the grammar
            if not _names_something(said) and any(w.isalpha() for w in toks[:k]):
                return " ".join(toks[k:]).strip(" .,!?")
    return None


_NOT_A_REQUEST = (
    (_question, "the task asks a question or supposes ({}), it does not ask for an action; the robot answers no "
     "questions - say what it should do"),
    (_past_report, "the task tells what happened ({}) in the same breath as an action, so it reads as a report, not a "
     "request; the robot only acts on what to do now - say it plainly, e.g. 'put the red block in the bin'"),
    (_reported_speech, "the task reports what someone else said ({}), it does not ask for it; if you want it done, ask "
     "for it yourself, e.g. 'put the red block in the bin'"),
    (_taken_back, "the task takes back what it asks ({} at the end); nothing is done - say what the robot should do "
     "without taking it back"),
)
"""Checks of a task that asks for no action now (each returns the words that gave it away, or None) and the reason
each refusal gives."""




def _before_reordered(toks: list[str]) -> list[str]:
    """"before you put A, put B" and "put B before you put A" as "put B, then put A": the request after
    "before" comes second. Only where "before" (with an optional "you") is followed by an act's verb; in
    any other use it stays unknown and is refused by name."""
    for k, w in enumerate(toks):
        if w != "before":
            continue
        v = k + 1 + (toks[k + 1 : k + 2] == ["you"])
        if v >= len(toks) or toks[v] not in ACT_VERBS:
            continue
        head = [x for x in toks[:k] if x not in _OPENING_FILLER]
        if not head:  # "before you put A, put B": A runs to the first comma
            cut = next((j for j in range(v, len(toks)) if toks[j] == ","), None)
            if cut is None:
                return toks
            return toks[cut + 1 :] + [",", "then"] + toks[v:cut]
        return toks[:k] + [",", "then"] + toks[v:]  # "put B before you put A"
    return toks


def _interpret_tokens(task: str, toks: list[str], objs: list[Obj], extra: set[str],
                      names: frozenset[str]) -> list[GoalAtom]:
    """``names``: the objects as "colour category" (tokens_of's and the repairs' view of the world)."""
    toks = _before_reordered(toks)
    parser = _ClauseParser(_without_small_talk(repaired(toks, names)))
    clauses = parser.parse()
    loose = [t for k, (t, u) in enumerate(zip(parser.t, parser.used, strict=True)) if not u and t in _NEGATIONS
             and _free_negation(parser.t, k)]
    if loose:  # "put the red block in the bin, not" / "... and never": a negation of nothing read, maybe a take-back
        raise Refusal(f"{_NEGATION_LEFT} {loose[0]!r} without saying what not to do; it may take back the request, so "
                      "nothing is done - say plainly what the robot should do", "ambiguous")
    unknown = [t for k, (t, u) in enumerate(zip(parser.t, parser.used, strict=True)) if not u and t.isalpha()
               and t not in FILLER and t not in ("please",) and not (t in _NEGATIONS and not _free_negation(parser.t, k))]
    unknown += [t for k, (t, u) in enumerate(zip(parser.t, parser.used, strict=True)) if not u and t.isdigit()
                and parser.t[k + 1 : k + 2] not in ([")"], ["."])]  # "100 times"; not a list's "1." or "2)"
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


_SMALL_TALK_ENDS = {".", "!", "?", ",", ":", ";"}

_WEAK_VERBS = {"go", "goes", "going", "get", "gets", "got", "getting", "leave", "take", "make"}
_CONTENT_WORDS = (set(CATEGORY_WORDS) | PLURAL_WORDS | PLACE_VERBS | DISCARD_VERBS | HOLD_VERBS | PUSH_VERBS
                  | OPEN_VERBS | CLOSE_VERBS | STACK_VERBS | SORT_VERBS | DRAWER_STATE_VERBS | set(DIRECTION_WORDS)
                  | set(UNITS) | COLOUR_NOUN | UNSAFE_WORDS | OTHER_ACTS | SYSTEM_WORDS
                  | {"table", "tidy", "clean", "empty", "drawer", "top", "bottom"}) - _WEAK_VERBS
_CONTROL_WORDS = set("""ignore disregard forget override disable bypass deactivate skip emergency stop estop safety
limit limits rule rules instruction instructions prompt prompts jailbreak speed fast faster restriction restrictions
watchdog checks workspace previous system developer mode pretend reveal wait scratch instead actually oops nope mean
rather correction cancel abort undo never nevermind or either neither jk kidding joking joke""".split())
"""Words that change the rules or take back what was asked: a part with one is never a remark to drop."""
_CONTENT_WORDS |= _CONTROL_WORDS | ALL_WORDS | EXCEPT_WORDS - {"but"} | (set(NUMBERS) - {"one", "pair", "couple"}) | (
    DESCRIPTOR_WORDS - {"you", "me", "yourself", "to", "from", "of", "the", "as", "is", "which", "that", "whose", "with",
                        "at", "on", "in", "one", "ones", "its", "their", "own", "more", "most", "robot", "end"}) | {
    "third", "fourth", "fifth", "second", "first", "last"}
_BARE = {"not", "no", "never", "do", "does", "dont", "one", "ones", "that", "this", "the", "a", "an", "is", "it"}
_LEADING = {"please", "now", "just", "so", "ok", "okay", "oh", "well", "right", "kindly", "pls", "phew", "whew", "gosh",
            "blimey", "yikes", "oof", "wow", "ooh", "ah", "aah", "ahh"}  # words that open a remark without saying what
_REQUEST_OPENERS = {"then", "also", "next", "finally", "afterwards", "after", "and", "plus", "lastly", "first"}
_CONDITIONS = {"if", "when", "unless", "while", "once", "until", "after", "before", "whether", "whenever", "only"}
_REMARK_STARTS = {"because", "its", "lol", "haha"}
_CLAUSE_STARTS = {("that", "would"), ("it", "would"), ("you", "are"), ("you", "rock"), ("that", "will"), ("it", "is"),
                  ("i", "am"), ("that", "is"), ("they", "are"), ("this", "is"), ("she", "is"), ("he", "is"), ("we", "are")}
_MODALS = {"can", "could", "would", "will", "should", "must", "shall", "might"}
_STATEMENT_OPENERS = {"my", "our", "his", "her", "their", "i", "we", "ugh"}
_LOOSE_PLURALS = {"blocks", "cubes", "toys", "things", "stuff", "bricks"}  # "my kid left blocks everywhere": no one block
_WISH_VERBS = {"want", "wanted", "need", "needed", "wish", "like", "prefer", "would", "d", "expect", "require", "mean",
               "meant", "said", "say", "told", "asked", "hope", "think", "guess", "bet"}
_STATEMENT_KEEPS = ((set(CATEGORY_WORDS) | PLURAL_WORDS | PLACE_VERBS | DISCARD_VERBS | HOLD_VERBS | PUSH_VERBS | OPEN_VERBS
                     | CLOSE_VERBS | STACK_VERBS | SORT_VERBS | DRAWER_STATE_VERBS | UNSAFE_WORDS | COLOUR_NOUN)
                    - _WEAK_VERBS - {"make", "made", "left", "put"}) | _CONTROL_WORDS | _NEGATIONS | SYSTEM_WORDS | {
    "no", "nothing", "don't", "isn't", "robot", "yourself", "you"}
"""What a statement remark never names: an object, an act the robot does, a harm, a rule or take-back word, a
negation, or the robot itself (a sentence about "you" or "it" may be about the task)."""


def _asks_the_robot(alpha: list[str]) -> bool:
    """Whether a part asks the robot for something: "I want / need / 'd like you to ...", "you should / must / need to
    / have to ...", "could you ...", "please ...", "make sure you ...", "you're to ...", "it would be great if you
    deleted ..."."""
    for k, w in enumerate(alpha):
        nxt = alpha[k + 1] if k + 1 < len(alpha) else ""
        if w == "you" and (nxt in ("to", "need", "have", "should", "must", "can", "could", "will", "would", "shall",
                                   "gotta", "gonna", "better", "ought") or nxt == "are" and alpha[k + 2 : k + 3] == ["to"]):
            return True
        if w in _MODALS and nxt in ("you", "ya", "u"):
            return True
        if w in ("please", "pls", "plz", "kindly") or (w == "make" and nxt == "sure"):
            return True
        if w == "if" and nxt == "you" and k + 2 < len(alpha) and (alpha[k + 2].endswith("ed") or alpha[k + 2] in (
                "could", "would", "can", "will")) and any(x in ("great", "nice", "good", "appreciate", "love", "helpful",
                                                                 "brilliant", "awesome", "lovely") for x in alpha[:k]):
            return True  # "it would be great if you deleted the logs"
    return False


def _names_something(words: list[str], colours: bool = True) -> bool:
    """Whether ``words`` name an object, a colour, a place, a direction, an amount or an act (one the robot can do,
    one it cannot, or one of harm): such a part is part of the request, never conversation."""
    return any(w in _CONTENT_WORDS or w.isdigit() or (colours and (colour_rgb(w) is not None or w in THING_COLOURS))
               for w in words)


_TOPIC_SHIFTS = {"anyway", "anyways", "anyhow"}
_COPULAS = {"is", "are", "was", "were"}
_AUXILIARIES = {"would", "could", "did", "do", "does", "will", "can", "was", "were", "is", "are", "am", "had", "have",
                "has", "should"}
_CHAT_LEADS = set("""the a an this that these those it its there what such so long busy tough rough crazy hectic
weird funny strange slow quiet big fun great good bad nice lovely awful terrible today yesterday tonight morning
afternoon evening last yeah yes ok okay hi hello hey sorry finally just also whatever lol haha man wow oh well ugh
phew honestly anyhow sigh got had was were been went you he she they us them no because since""".split())
"""Words a sentence of small talk may open with (a time, a feeling, a pronoun, a past form); a sentence before
"anyway" that opens otherwise may be an imperative, a request of its own ("Order a pizza. Anyway, ...")."""


def _chat_lead(word: str) -> bool:
    """Whether a sentence opened by ``word`` may be small talk rather than an imperative (see _CHAT_LEADS)."""
    return (word in _CHAT_LEADS or word in _STATEMENT_OPENERS or word in SOCIAL or word in FILLER
            or len(word) >= 6 and (word.endswith("ing") or word.endswith("ed") and not word.endswith("eed"))
            or len(word) >= 4 and word.endswith("s") and not word.endswith(("ss", "us")))  # not "feed", "bring", "press"


def _after_topic_shift(toks: list[str]) -> list[str] | None:
    """What follows "Anyway," when all before it is talk about the person's day ("Long day, meetings all morning and
    the coffee machine's broken. Anyway - could you chuck the blue block in the yellow bowl?"); None when there is
    no such shift, or when what comes before it may matter: it names an object, a colour, an act of the robot, a
    harm, the robot's system, a rule or take-back word, a negation not said of someone ("it won't work." is kept;
    "kids wouldn't go to sleep." is not), asks the robot for something, puts someone near the arm, or opens a
    sentence with a verb (an unrelated request: "Feed the dog. Anyway, ..." is refused whole)."""
    at = None
    for k, w in enumerate(toks):
        before = toks[k - 1] if k else "."
        if w in _TOPIC_SHIFTS and k and (before in _SMALL_TALK_ENDS or before == "-" or before in ("so", "but", "ok", "okay",
                                                                                                  "well")):
            at = k
    if at is None:
        return None
    start = at - 1 if toks[at - 1] in ("so", "but", "ok", "okay", "well") else at
    context, rest = toks[:start], toks[at + 1 :]
    while rest and rest[0] in _SMALL_TALK_ENDS | {"-", ":"}:
        rest = rest[1:]
    alpha = [w for w in context if w.isalpha()]
    if not alpha or not _names_something(rest) or _asks_the_robot(alpha):
        return None
    said: list[list[str]] = [[]]
    for w in context:  # someone near the arm, said in one part ("Long day here, the kids made a mess" is not)
        if w in _SMALL_TALK_ENDS or w == "-":
            said.append([])
        elif w.isalpha():
            said[-1].append(w)
    if any(someone_in_the_way(part) for part in said):
        return None
    for k, w in enumerate(context):  # "kids wouldn't go to sleep": a negation said of someone, not of the task
        if w in _NEGATIONS and not (k >= 2 and context[k - 1] in _AUXILIARIES and (
                context[k - 2] in BEING_WORDS or context[k - 2] in ("i", "we", "he", "she", "they"))):
            return None
    if any(w not in _LOOSE_PLURALS and w in UNSAFE_WORDS | SYSTEM_WORDS | _CONTROL_WORDS | set(CATEGORY_WORDS) | PLURAL_WORDS
           | COLOUR_NOUN | (ACT_VERBS - _WEAK_VERBS - {"made", "makes", "making"}) or w in THING_COLOURS or w.isdigit()
           or colour_rgb(w) is not None and w not in OTHER_ACTS for w in alpha):
        return None
    part: list[str] = []
    for w in [*context, "."]:
        if w in _SMALL_TALK_ENDS or w in ("-", "and", "but"):
            words = [x for x in part if x.isalpha() and x not in _LEADING]
            lead = words[0] if words else ""
            copula = len(words) > 2 and (words[1] in _COPULAS or words[2] in _COPULAS and words[1] not in (
                "it", "that", "this", "the", "a", "an", "my", "your", "his", "her", "its", "their", "our"))
            if lead and not _chat_lead(lead) and not copula:  # ("Coffee machine's broken again": a statement)
                return None  # "Feed the dog.", "Order a pizza.": may be a request of its own, never small talk
            part = []
        else:
            part.append(w)
    return rest


def _without_remarks(toks: list[str]) -> list[list[str]]:
    """Readings of ``toks`` without the remarks around the request, tried only when the whole task is refused for an
    unknown word or an ambiguity: first every sentence, or part set off by punctuation or ", but", that names
    nothing (:func:`_names_something`) and is more than a bare negation or pronoun ("My kid made such a mess.",
    "I promise", "No worries if not!", "time to get going", "sorry to be a pain but ..."); then also an unpunctuated
    tail after the request that begins a new clause ("... its gonna be a tower", "... cuz red is the best", "... im
    watching") and names no object nor act (a colour may stand in a reason: "because red is the best"). A part with
    an object, colour, place, act or unsafe word is never dropped, so what is left must be a whole request and an
    unsafe or impossible one is still refused by name."""
    parts: list[tuple[list[str], list[str]]] = []  # (words, the separator after them)
    cur: list[str] = []
    for k, w in enumerate(toks):
        if w in _SMALL_TALK_ENDS or w == "-":
            parts.append((cur, [w]))
            cur = []
        elif w == "but" and cur and not _names_something(cur) and toks[k + 1 : k + 2] != ["not"]:
            parts.append((cur, []))
            cur = []
        else:
            cur.append(w)
    parts.append((cur, []))

    def droppable(words: list[str], colours: bool = True) -> bool:
        alpha = [w for w in words if w.isalpha()]
        lead = [w for w in alpha if w not in _LEADING]
        if lead and (lead[0] in _REQUEST_OPENERS or not is_known(lead[0])):
            return False  # "Then wipe your logs.": a request of a verb the parser lacks, never a remark
        if lead and not _chat_lead(lead[0]):
            return False  # "Order a pizza.": a sentence that may be a request of its own
        if _asks_the_robot(alpha):
            return False  # "I want you to wipe the logs.": a request of the robot, whatever its verb
        if someone_in_the_way(alpha):
            return False  # "my kid is right next to you.": a person near the arm is never small talk
        if not colours:  # a reason or a statement after the request may name a colour: "they are the same colour"
            alpha = [w for w in alpha if w not in COLOUR_NOUN | {"same"}]
        return bool(alpha) and not _names_something(alpha, colours) and any(w not in _BARE for w in alpha)

    def statement(words: list[str]) -> bool:
        """A sentence that tells how things are or were, said by its opening ("my coffee went cold while I was on
        a call", "I was going to do it myself", "our cat knocked everything over earlier"): dropped even with a
        direction, an "everything" or an everyday noun in it, never with an object, a colour, an act the robot
        does, a harm, a rule word, a number or a negation. A sentence opened by "I want / need / 'd like ..." is a
        request, not a statement."""
        alpha = [w for w in words if w.isalpha() and w not in _LEADING]
        if len(alpha) < 3 or alpha[0] not in _STATEMENT_OPENERS or alpha[1] in _WISH_VERBS:
            return False
        if alpha[0] in ("i", "we") and alpha[1] in ("would", "should", "could", "will", "can", "must"):
            return False
        if someone_in_the_way(alpha):
            return False  # "My hand is in there.", "my son is playing under the table": someone may be in the way
        shape = {k for k, w in enumerate(alpha) if w in STACK_VERBS and k and alpha[k - 1] in ("a", "an")}  # "my kid
        # wants to see a tower.": the shape, a noun
        return not any((w in _STATEMENT_KEEPS and w not in _LOOSE_PLURALS and k not in shape) or w.isdigit()
                       or w in THING_COLOURS or colour_rgb(w) is not None and w not in OTHER_ACTS
                       for k, w in enumerate(alpha))  # "my coffee": a drink

    kept = [(w, e) for w, e in parts if not droppable(w)]
    calm = [(w, e) for w, e in kept if not statement(w)]
    if len(calm) < len(kept) and any(_names_something(w) for w, _ in calm):
        kept = calm
    out: list[list[str]] = []
    if len(kept) < len(parts) and any(_names_something(w) for w, _ in kept):
        out.append([t for w, e in kept for t in w + e])
    base = kept if out else parts
    # an unpunctuated remark after the request, in its last part with words
    last = max((i for i, (w, _) in enumerate(base) if w), default=None)
    if last is not None:
        words, end = base[last]
        for i in range(1, len(words)):
            said = tuple(words[i : i + 2]) in _CLAUSE_STARTS or words[i] == "its"  # a statement, not a request
            starts = said or words[i] in _REMARK_STARTS
            tail = ["shape" if said and w in STACK_VERBS and words[k - 1] in ("a", "an") else w
                    for k, w in enumerate(words[i:], i)]  # "it is gonna be a tower": the shape made, a noun
            if starts and words[i - 1] not in _CONDITIONS and _names_something(words[:i]) and droppable(tail, colours=not said and words[i] != "because"):
                head = [t for w, e in base[:last] for t in w + e]
                rest = [t for w, e in base[last + 1 :] for t in w + e]
                out.append(head + words[:i] + end + rest)
                break
    return out


def _without_small_talk(toks: list[str]) -> list[str]:
    """``toks`` without the parts that are only small talk (lexicon.SOCIAL): a sentence, or a part set off by
    commas, a colon or ", but", whose words are all social or filler words, at least one of them social, and no
    object, colour or number ("Hi there!", "I hope you're having a good day.", "No rush!", "One more thing:")."""
    out: list[str] = []
    part: list[str] = []

    def close(end: list[str], before_but: bool = False) -> None:
        words = [w for w in part if w.isalpha()]
        social = [w for w in words if w in SOCIAL and w not in FILLER or before_but]  # "I'm so sorry to ask, but"
        idle = all(w in SOCIAL or w in FILLER or (w == "no" and social) for w in words)
        if words and social and idle and not someone_in_the_way(words) and not any(
                CATEGORY_WORDS.get(w, "object") != "object" or colour_rgb(w) is not None for w in words):
            if out and out[-1] not in _SMALL_TALK_ENDS and end:
                out.append(end[0])  # keep the boundary between what came before and after
            dropped[0] = True
            return
        dropped[0] = False
        out.extend(part + end)

    dropped = [False]
    for k, w in enumerate(toks):
        if w == "but" and not part and dropped[0]:
            continue  # "I know this is an odd request, but could you ...": the request follows
        if w in _SMALL_TALK_ENDS:
            close([w], w == "," and toks[k + 1 : k + 2] == ["but"] and not out)
            part = []
        else:
            part.append(w)
    close([])
    return out


def _pushed_one(res: _Resolver, r: Ref) -> list[str]:
    """What a push of "the yellow one" (a colour, no kind) names: the block, or the bowl when no block is that colour;
    refused naming both when a block and a bowl are (the push skill pushes both)."""
    found: list[list[str]] = []
    first: Refusal | None = None
    for kind in (None, "bowl"):
        try:
            found.append(res.resolve(r, "object") if kind is None else res.resolve(dataclasses.replace(r, category=kind),
                                                                                    "any"))
        except Refusal as e:
            if e.kind != "absent_object":
                raise  # "push the navy one" with a blue block and a blue bowl: refused, not read as the bowl
            first = first or e
    if len(found) == 2:
        raise Refusal(f"'{r.text()}' could be {res.describe(found[0] + found[1])} (both can be pushed); say which, e.g. "
                      f"'the {res.by_id[found[0][0]].name}'", "ambiguous")
    if not found:
        assert first is not None
        raise first
    return found[0]


def _goals(clauses: list[Clause], objs: list[Obj]) -> list[GoalAtom]:
    res = _Resolver(objs)
    atoms: list[GoalAtom] = []
    keep: set[str] = set()
    held: list[str] = []
    last_place: tuple[str, str] | None = None  # (relation, destination) of the last put: "put it there"
    # objects named anywhere first ("the other blocks" excludes them)
    for c in clauses:
        if c.action == "keep":
            for r in c.objects:
                if r.other:
                    continue  # "leave the rest alone": the rest of what the task names, resolved last
                ids = res.resolve(r, "object", many_ok=False)
                keep |= set(ids)
                res.name(ids)
    res.keep = keep
    mentioned = list(res.mentioned)  # the look-ahead passes below do not count as naming in order
    for c in clauses:  # "put the remaining blocks in the bin after putting the red one in the bowl"
        if c.action in ("place", "discard", "hold", "push", "stack"):
            for r in c.objects:
                if not (r.other or r.pronoun or r.all or r.plural):
                    try:
                        res.named_later |= set(res.resolve(r, "object"))
                    except Refusal:
                        pass
    contrast: set[str] = set()
    for c in clauses:
        if c.action == "contrast":  # ", not the blue one": must not be what the task moves or where it goes
            for r in c.objects:
                try:
                    contrast |= set(res.resolve(r, "any", many_ok=True))
                except Refusal as e:
                    if e.kind not in ("absent_object", "ambiguous"):
                        raise
    res.mentioned = mentioned
    for c in clauses:
        if c.action == "forbid":  # what it names is what a later "it" means
            ids = [i for r in c.objects for i in res.resolve(r, "object", many_ok=True)]
            res.name(ids)
            res.last = ids
            continue
        if c.action in ("keep", "noop", "contrast"):
            continue
        if c.action == "topic":
            ids = []
            for r in c.objects:  # "the block behind the green bowl, ... put that ...": one block, or refused
                ids += res.resolve(r, "any", many_ok=bool(r.plural or r.all or r.count))
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
                    new = _place_atom(oid, c.relation or "in", dest, res, c.dest)
                    atoms = [a for a in atoms if not (a.predicate in ("in", "on") and a.args[0] == new.args[0])]
                    atoms.append(new)
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
            elif c.dest is not None and c.dest.words == ["there"] and c.relation is None:
                topic_places = [i for i in res.topic if res.by_id[i].category in CONTAINERS]
                if last_place is None and len(topic_places) == 1:  # "the blue bowl: put the red block there"
                    last_place = ("in", topic_places[0])
                if last_place is None:  # "put it there": where the put before went, or refused
                    raise Refusal("'there' does not refer to a place the task named before", "ambiguous")
                rel, dest_ids = last_place[0], [last_place[1]]
            else:
                if c.dest is None or c.relation is None:
                    raise Refusal(f"the task does not say where to put {res.describe(ids)}", "ambiguous")
                rel = c.relation
                if c.dest.pronoun and c.dest.words == ["(implied)"]:  # "open the drawer and put the block in"
                    places = [i for i in reversed(res.mentioned) if res.by_id[i].category in CONTAINERS
                              and (i in res.named or i not in res.landmarks)]  # a place named, not a landmark
                    dest_ids = places[:1]
                    if not dest_ids:
                        raise Refusal("the task does not say where to put it", "ambiguous")
                else:
                    try:
                        dest_ids = res.resolve(c.dest, "dest", rel)
                    except Refusal as several:
                        # "put the red block on a block that isn't green": the block it goes on is not itself
                        if several.kind != "ambiguous" or c.dest.pronoun:
                            raise
                        try:
                            fits = res.resolve(c.dest, "dest", rel, many_ok=True)
                        except Refusal:
                            raise several from None
                        others = [d for d in fits if d not in ids]
                        if len(others) != 1 or len(fits) == len(others):
                            raise
                        dest_ids = others
            if len(dest_ids) != 1:
                raise Refusal(f"'{c.dest.text() if c.dest else 'there'}' is more than one place", "ambiguous")
            dest = dest_ids[0]
            res.name([dest])
            for oid in ids:
                # a later place for the same object wins: "put it in the bin, then move it to the bowl"; the
                # object is the one that moves ("X under Y" moves Y: "yellow under green and green under blue")
                new = _place_atom(oid, rel, dest, res, c.dest)
                if c.terse and rel != "under" and not any(r.pronoun for r in c.objects) and any(
                        a.predicate in ("in", "on") and a.args[0] == new.args[0] and a != new for a in atoms):
                    # "put the red block in the bin and the red block in the green bowl": named again, no verb
                    raise Refusal(f"the task sends the {res.by_id[oid].name} to two places", "ambiguous")
                atoms = [a for a in atoms if not (a.predicate in ("in", "on") and a.args[0] == new.args[0])]
                atoms.append(new)
            last_place = (rel, dest)
            res.last = ids
            held = [h for h in held if h not in ids]
        elif c.action == "hold":
            if not c.objects:  # "grab a ..." with a word read as nothing: never a silent no-op
                raise Refusal("the task says to pick something up but names nothing the robot can see here; "
                              f"objects present: {res.present()}", "absent_object")
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
                if r.category is None and r.colours and not r.pronoun and not r.plural and r.words[-1:] in (
                        ["one"], ["thing"], ["item"]):  # (a bare colour, "push blue left", stays a block: round 6)
                    ids += _pushed_one(res, r)  # "push the yellow one": a block or a bowl, both can be pushed
                elif r.category in (None, "object") and not r.colours and not r.pronoun and any(
                        w in ("thing", "item", "object") for w in r.words[:3]):  # "push the thing closest to me": all
                    ids += res.resolve(dataclasses.replace(r, category=None), "any")  # (fixed furniture is refused below)
                else:
                    ids += res.resolve(r, "object") if r.category != "bowl" else res.resolve(r, "any")
            if c.distance is not None and not PUSH_RANGE[0] - 1e-9 <= c.distance <= PUSH_RANGE[1] + 1e-9:
                raise Refusal(f"a push of {c.distance:.3g} m is outside what the push skill can do "
                              f"({PUSH_RANGE[0]:g}-{PUSH_RANGE[1]:g} m)", "impossible")
            for oid in ids:
                if res.by_id[oid].category not in MOVABLE + ("bowl",):  # the skills push blocks and bowls
                    raise Refusal(f"the {res.by_id[oid].name} is fixed furniture; it cannot be pushed", "fixed_object")
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
            if oid in keep and (a.predicate in ("in", "on", "pushed", "held") and oid == a.args[0] or a.predicate in (
                    "drawer_open", "drawer_closed") or res.by_id[oid].category == "drawer"):  # a drawer put into opens
                use = "to open, close or put something into it" if res.by_id[oid].category == "drawer" else "to move it"
                raise Refusal(f"the task says both to leave the {res.by_id[oid].name} alone and {use}", "ambiguous")
    for c in clauses:
        if c.action == "forbid" and c.dest is None and c.direction in ("push", "hold"):  # "don't push the red block"
            ids = [i for r in c.objects for i in res.resolve(r, "object", many_ok=True)]
            for a in atoms:
                if a.predicate == ("pushed" if c.direction == "push" else "held") and a.args[0] in ids:
                    raise Refusal(f"the task says not to {'push' if c.direction == 'push' else 'pick up'} the "
                                  f"{res.by_id[a.args[0]].name}, and also to do it", "ambiguous")
    for c in clauses:
        if c.action == "forbid" and c.dest is not None:  # "don't put the green block in the bin"
            ids = [i for r in c.objects for i in res.resolve(r, "object", many_ok=True)]
            dest = set(res.resolve(c.dest, "dest", c.relation, many_ok=True))
            for a in atoms:
                if a.predicate in ("in", "on") and a.args[0] in ids and a.args[1] in dest:
                    raise Refusal(f"the task says not to put the {res.by_id[a.args[0]].name} there, and also to "
                                  "put it there", "ambiguous")
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
    for a in atoms:
        if a.predicate == "held" and a.args[0] in seen:  # "put it on the yellow block and dont drop it"
            raise Refusal(f"the task says both to keep holding the {res.by_id[a.args[0]].name} and to put it down",
                          "ambiguous")
    for a in atoms:
        other = next((b for b in atoms if b.predicate in ("in", "on") and b.args[1] == a.args[0]), None)
        if a.predicate == "held" and other is not None:
            raise Refusal(f"the {res.by_id[other.args[0]].name} cannot stay on the {res.by_id[a.args[0]].name} while "
                          "the gripper holds it up; say where to put it", "impossible")
    for start in seen:  # "the blue block on the green block and the green block on the blue block": a loop
        chain, cur = [start], seen[start].args[1]
        while cur in seen and cur not in chain:
            chain.append(cur)
            cur = seen[cur].args[1]
        if cur == start and len(chain) > 1:
            loop = " and ".join(f"the {res.by_id[o].name} {seen[o].predicate} the {res.by_id[seen[o].args[1]].name}"
                                for o in chain)
            raise Refusal(f"the task asks for {loop}: these cannot all hold at once; say which goes where",
                          "impossible")
    return list(dict.fromkeys(atoms))


def _refers_back(ref: Ref) -> bool:
    return any(lm.pronoun or _refers_back(lm) for _, lm in ref.relative)


def _check_movable(oid: str, res: _Resolver) -> None:
    o = res.by_id[oid]
    if o.category not in MOVABLE:
        raise Refusal(f"the {o.name} is fixed furniture; the robot can only pick up and move blocks and small "
                      "objects", "fixed_object")


def _place_atom(oid: str, rel: str, dest: str, res: _Resolver, ref: Ref | None = None) -> GoalAtom:
    if ref is not None and ref.inside and rel == "in" and res.by_id[dest].category not in CONTAINERS:
        # "put the red block inside the yellow block": a block has no inside; stacking needs "on"
        raise Refusal(f"nothing can go inside the {res.by_id[dest].name}: it is not a container (say 'on' to "
                      "stack on it)", "impossible")
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
