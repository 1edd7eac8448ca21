"""The answerability check: requested slot, key terms, and the near-miss decisions it exists for."""

from pathlib import Path

import pytest

from copilot import Copilot, load_config
from copilot.generation.prompts import NOT_COVERED
from copilot.qa import answerability
from copilot.qa.answerability import assess, document_terms, key_terms, requested_slot
from copilot.qa.thresholds import THRESHOLDS
from copilot.records import Passage
from index import IndexConfig, build_index
from tests.fakes import HashingEmbedder, ScriptedGenerator

IDF = {"strainer": 4.0, "basket": 5.0, "suction": 3.0, "seal": 2.5, "gland": 4.0, "nut": 3.0, "impel": 4.5,
       "bearing": 2.0, "cartridg": 4.0, "flush": 5.0, "backstop": 5.0, "cover": 3.0, "bolt": 3.0, "gearbox": 3.0,
       "feet": 4.0, "flow": 3.0, "current": 3.0, "drop": 4.0, "valv": 2.5, "discharg": 3.0, "stuck": 4.5}


def _passage(text: str, section: str = "3.4 Bolt torques", source: str = "norvane-cp80-pump.md") -> Passage:
    return Passage(1, "c1", text, source, source, 3, section, 0.5)


@pytest.mark.parametrize(("question", "slot"), [
    ("What's the part number for the suction strainer basket on P-101?", "part_number"),
    ("What torque does the impeller nut get?", "torque"),
    ("What seal flush rate in l/min does the CP-80 cartridge seal need?", "flow_rate"),
    ("How do I replace the slide valve solenoid coil?", "procedure"),
    ("How often is a full oil change due?", "interval"),
    ("What is the BLTouch probe offset?", "distance"),
    ("how do I calibrate the BLTouch probe offset", "procedure"),  # calibrating finds the value: the method is asked
    ("How to measure the impeller clearance?", "procedure"),
    ("how do I set the probe z offset", "procedure"),  # the command that stores it, not a distance
    ("What gap should I set on the coupling?", "distance"),
    ("steps to drain and refill the spindle chiller coolant", "procedure"),
    ("walk me through brushing the condenser tubes", "procedure"),
    ("how to rebuild the inlet valve and MPV on the RS37", "procedure"),
    ("gearbox oil change on the Torvik conveyor, steps?", "procedure"),
    ("how to tell what torque the impeller nut takes", "torque"),  # a value asked "how to" is still that value
    ("What should the gas pressure be at the gas train inlet?", "pressure"),
    ("P-103 flow is down and the amps dropped. cause?", None),
    ("Do I still use the normal regrease intervals?", None),  # a yes/no question names intervals, asks for none
])
def test_the_requested_slot_is_read_from_the_question(question: str, slot: str | None) -> None:
    found = requested_slot(question)
    assert (found.name if found else None) == slot


def test_key_terms_drop_request_words_ids_and_weigh_unseen_terms_as_the_rarest() -> None:
    terms = {t.term: t.weight for t in key_terms("What part number fits the DE labyrinth seal on the CP-80?", IDF,
                                                 ignore={"cp80"}, slot=requested_slot("part number"))}
    assert "part" not in terms and "number" not in terms and "cp-80" not in terms
    assert terms["labyrinth"] == max(IDF.values())  # the documents never use the word
    assert terms["seal"] == IDF["seal"]


def test_a_reported_reading_and_verdict_words_are_not_key_terms() -> None:
    """The manual states the limit, never the technician's reading or the words asking for a verdict."""
    question = "Portable meter reads 7.4 mm/s on the discharge bearing. Is that a problem, can we keep running?"
    terms = {t.term for t in key_terms(question, {**IDF, "300": 6.0})}
    assert {"discharg", "bearing"} <= terms
    assert not {"7.4", "problem", "keep", "read"} & terms
    # a number the documents do contain still discriminates ("the 300 mm test bar")
    assert "300" in {t.term for t in key_terms("runout with the 300 mm test bar", {**IDF, "300": 6.0})}


def test_a_reply_covers_only_the_key_terms_its_cited_passage_also_carries() -> None:
    question = "P-103 flow is down and the current dropped, discharge valve stuck?"
    cited = [_passage("Low flow, low current: Probable cause Discharge valve stuck closed", "8 Troubleshooting")]
    assert answerability.reply_states(question, "Low flow and low current: the discharge valve is stuck [1].", cited,
                                      IDF, threshold=0.5)
    echo = "P-103 flow is down and the current dropped; check the discharge valve is not stuck [1]."
    assert answerability.reply_states(question, echo, cited, IDF, threshold=0.5)  # the passage says the same words
    unrelated = [_passage("Check the coupling guard bolts.", "6.5 Coupling")]
    assert not answerability.reply_states(question, echo, unrelated, IDF, threshold=0.5)  # only the question says them


def test_due_phrases_an_interval_request() -> None:
    slot = requested_slot("How often is a full oil change due on the power unit?")
    terms = {t.term for t in key_terms("How often is a full oil change due on the power unit?", IDF, slot=slot)}
    assert slot is not None and slot.name == "interval" and "due" not in terms


def test_a_compact_id_is_one_key_term_not_two() -> None:
    assert [t.term for t in key_terms("what does the kc-3 show", {"kc-3": 6.0, "kc3": 6.0})] == ["kc-3"]


def test_a_part_number_line_about_another_part_is_a_near_miss() -> None:
    question = "What's the part number for the suction strainer basket?"
    rows = [("CP80-301: Description Cartridge mechanical seal 45 mm", _passage("x", "10 Spare parts")),
            ("Clean the suction strainer basket every 3 months.", _passage("y", "6.7 Suction strainer"))]
    verdict = assess(question, rows, IDF, threshold=0.3)
    assert not verdict.answerable and verdict.slot == "part_number"
    assert "part number" in verdict.reason()


def test_a_line_that_names_the_part_and_its_number_answers() -> None:
    question = "What's the part number for the suction strainer basket?"
    rows = [("CP80-110: Description Suction strainer basket, 3 mm mesh", _passage("x", "10 Spare parts"))]
    verdict = assess(question, rows, IDF, threshold=0.3)
    assert verdict.answerable and verdict.line.startswith("CP80-110") and verdict.coverage == 1.0


def test_a_torque_for_another_joint_does_not_answer() -> None:
    rows = [("Gearbox feet to baseplate (M24, 8.8): Torque 660 N·m", _passage("x"))]
    verdict = assess("What torque for the backstop cover bolts?", rows, IDF, threshold=0.3)
    assert not verdict.answerable and verdict.coverage < 0.3 and "backstop" in verdict.missing


def test_an_open_question_is_answered_by_a_line_sharing_its_key_terms() -> None:
    rows = [("Low flow, low current: Probable cause Discharge valve stuck closed", _passage("x", "8 Troubleshooting"))]
    verdict = assess("P-103 flow is down and the current dropped, cause?", rows, IDF, threshold=0.3)
    assert verdict.answerable and verdict.slot is None


def test_an_open_question_in_the_users_own_words_needs_less_coverage_when_the_first_passage_is_close() -> None:
    # "stuck" is the only key term the line shares (coverage 0.21): enough for a symptom question the passage ranked
    # first is close to in meaning, not when it is far, and never for a question asking for a value
    rows = [("If the discharge valve is stuck, open it fully.", _passage("x", "8 Troubleshooting"))]
    question = "gland drips and the seal feels stuck"
    close = assess(question, rows, IDF, threshold=0.3, top_cosine=0.6)
    far = assess(question, rows, IDF, threshold=0.3, top_cosine=0.4)
    assert 0.2 <= close.coverage < 0.3
    assert close.answerable and close.threshold == 0.2
    assert not far.answerable and not assess(question, rows, IDF, threshold=0.3).answerable
    value = assess("What torque when the valve is stuck?", rows, IDF, threshold=0.3, top_cosine=0.9)
    assert not value.answerable and value.threshold == 0.3


def test_document_names_are_not_key_terms() -> None:
    assert {"norvan", "cp80"} <= document_terms([_passage("x", source="manuals/norvane-cp80-pump.md")])


@pytest.fixture
def copilot_with(tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder):
    index_dir = tmp_path / "idx"
    build_index([tiny_corpus], index_dir, lambda: fake_embedder, IndexConfig(embedder="fake"))

    def make(reply: str) -> tuple[Copilot, ScriptedGenerator]:
        generator = ScriptedGenerator(reply)
        cfg = load_config(None, {"index_dir": str(index_dir), "index.embedder": "fake", "retrieval.min_score": 0.0})
        return Copilot.load(cfg, generator=generator, embedder=fake_embedder), generator

    return make


def test_a_near_miss_abstains_before_the_model_runs_and_says_why(copilot_with) -> None:
    copilot, generator = copilot_with("Use part TP-50-999 [1].")
    answer = copilot.ask("What is the part number of the seal gland nuts on P-901?")
    assert answer.abstained and answer.text.startswith(NOT_COVERED)
    assert generator.prompts == []
    assert "part number" in answer.unsupported[0]


def test_a_question_the_manual_answers_still_reaches_the_model(copilot_with) -> None:
    copilot, generator = copilot_with("Tighten the seal gland nuts to 25 N·m [1].")
    answer = copilot.ask("What torque for the seal gland nuts on P-901?")
    assert not answer.abstained and generator.prompts
    assert THRESHOLDS.min_coverage > 0


def test_an_extractive_answer_cites_a_second_passage_that_states_the_answer_too() -> None:
    from copilot.qa.extractive import Line, supporting_lines

    table = Passage(1, "c1", "| Joint | Torque |\n|---|---|\n| Impeller nut | 95 N·m |", "m.md", "m.md", 3,
                    "3.4 Bolt torques", 0.5)
    step = Passage(2, "c2", "Tighten the impeller nut to 95 N·m.", "m.md", "m.md", 5, "6.3 Refitting the impeller", 0.4)
    other = Passage(3, "c3", "Check the casing gasket for damage.", "m.md", "m.md", 6, "6.4 Casing", 0.3)
    lead = Line("Impeller nut: Torque 95 N·m", table, 1.0)
    lines = supporting_lines("What torque for the impeller nut?", [table, step, other], lead, idf=IDF)
    assert [line.passage.n for line in lines] == [1, 2]


def test_a_last_time_question_always_quotes_the_newest_record() -> None:
    from copilot.qa.extractive import supporting_lines

    newest = Passage(1, "w2", "wo_id: WO-25-0001\nclosed: 2025-01-02\nproblem: belt slip\naction: tensioned belt",
                     "work_orders.csv", "work_orders.csv", None, "WO-25-0001", 0.3, doc_type="work_order")
    older = Passage(2, "w1", "wo_id: WO-22-0001\nclosed: 2022-01-02\nproblem: belt slipping on drive pulley\n"
                    "action: relagged pulley", "work_orders.csv", "work_orders.csv", None, "WO-22-0001", 0.4,
                    doc_type="work_order")
    lines = supporting_lines("belt slipping on drive pulley, last time?", [newest, older], newest_first=True)
    assert lines[0].passage.n == 1


def test_the_newest_record_is_quoted_once_when_it_is_also_the_lead_line() -> None:
    from copilot.qa.extractive import Line, candidate_lines, supporting_lines

    newest = Passage(1, "w2", "wo_id: WO-24-0028\nclosed: 2024-03-07\nproblem: SEP DP HI\naction: replaced separator",
                     "work_orders.csv", "work_orders.csv", None, "WO-24-0028", 0.3, doc_type="work_order")
    older = Passage(2, "w1", "wo_id: WO-23-0035\nclosed: 2023-04-16\nproblem: oil filter dp\naction: new oil filter",
                    "work_orders.csv", "work_orders.csv", None, "WO-23-0035", 0.4, doc_type="work_order")
    lead = Line(next(iter(candidate_lines(newest))), newest, 1.0)
    lines = supporting_lines("when did we last replace the separator?", [newest, older], lead, newest_first=True)
    texts = [line.text for line in lines]
    assert texts[0] == lead.text and len(texts) == len(set(texts))


def test_safety_notices_are_signal_words_with_a_colon_or_in_capitals_alone_not_prose_that_uses_the_word() -> None:
    from copilot.qa.safety import safety_lines

    text = ("> **WARNING:** Apply lockout/tagout (1.2) before work.\nWarning Systems Many of the gauges indicate\n"
            "CAUTION Maximum allowable\nthe panel shows a warning indicator.\nuse with caution as a wrong command can\n"
            "Caution: hot surface.\nDANGER\nKeep hands clear of the belt.\n")
    assert safety_lines([text]) == ["WARNING: Apply lockout/tagout (1.2) before work.", "CAUTION: hot surface.",
                                    "DANGER: Keep hands clear of the belt."]


def test_a_line_counts_the_topic_its_section_heading_names() -> None:
    from copilot.qa.extractive import best_lines

    # The procedure step never repeats "gearbox": its section heading says it. The schedule row names the gearbox
    # in its own words but comes from a less specific place; with the heading counted, the step is as good a match.
    step = Passage(1, "c1", "Change the mineral oil after the first 500 hours, then every 10,000 hours.", "m.md",
                   "m.md", 6, "6.3 Changing the gearbox oil", 0.6)
    row = Passage(2, "c2", "| Interval | Task |\n|---|---|\n| 10,000 h | Change gearbox oil (mineral) |", "m.md",
                  "m.md", 8, "7 Preventive maintenance schedule", 0.5)
    lines = best_lines("How often does the gearbox get an oil change on mineral oil?", [step, row], idf=IDF)
    assert lines[0].passage.n == 1
    # a heading alone never makes a line an answer: the line must say one of the question's words itself
    off_topic = Passage(1, "c3", "Wear gloves.", "m.md", "m.md", 6, "6.3 Changing the gearbox oil", 0.6)
    assert best_lines("gearbox oil change interval?", [off_topic], idf=IDF) == []


def _key_terms_word_by_word(question: str, idf: dict[str, float], ignore: set[str], slot: object) -> list:
    """key_terms as it was before it skipped repeated words (issue 24): the reference for its output."""
    import re

    from copilot.qa.answerability import READING, REQUEST_WORDS, KeyTerm
    from index.normalize import QUERY_SYNONYMS, expand_shorthand, tokenize

    skip = set(REQUEST_WORDS) | set(ignore) | (slot.words if slot else set())  # type: ignore[attr-defined]
    unseen = max(idf.values(), default=1.0)
    terms: dict[str, KeyTerm] = {}
    for word in expand_shorthand(question).split():
        bare = word.strip(".,;:?!()\"'")
        synonyms = frozenset(t for s in QUERY_SYNONYMS.get(bare, ()) for t in tokenize(s))
        tokens = tokenize(bare)
        for i, term in enumerate(tokens):
            if i and term == re.sub(r"[-.]", "", tokens[i - 1]):
                continue
            compact = re.sub(r"[-.]", "", term)
            if {term, compact} & skip or term in terms or len(term) < 2 and not term.isdigit():
                continue
            forms = frozenset({term, compact}) | synonyms
            seen = [idf[f] for f in forms if f in idf]
            if not seen and READING.fullmatch(term):
                continue
            terms[term] = KeyTerm(term, forms, max(seen) if seen else unseen)
    return list(terms.values())


@pytest.mark.parametrize("question", [
    "What part number fits the DE labyrinth seal on the CP-80?",
    "Portable meter reads 7.4 mm/s on the discharge bearing. Is that a problem, can we keep running?",
    "P-103 flow is down and the amps dropped. cause? P-103 flow down, amps dropped, KC-3 stuck, kc-3 valve stuck",
    "What torque does the impeller nut get? torque the nut, the NUT, nut. REPL BRG, brg, bearings",
    "",
])
def test_key_terms_are_unchanged_by_reading_each_distinct_word_once(question: str) -> None:
    slot = requested_slot(question)
    assert key_terms(question, IDF, {"cp80"}, slot) == _key_terms_word_by_word(question, IDF, {"cp80"}, slot)
    long_question = question * 300
    assert key_terms(long_question, IDF, (), slot) == _key_terms_word_by_word(long_question, IDF, set(), slot)
