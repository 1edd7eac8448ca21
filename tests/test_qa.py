from pathlib import Path

import pytest

from copilot import Copilot, load_config
from copilot.generation.prompts import NOT_COVERED
from index import IndexConfig, build_index
from tests.fakes import HashingEmbedder, ScriptedGenerator


@pytest.fixture
def make_copilot(tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder):
    index_dir = tmp_path / "idx"
    build_index([tiny_corpus], index_dir, lambda: fake_embedder, IndexConfig(embedder="fake"))

    def make(*replies: str, min_score: float = 0.3) -> tuple[Copilot, ScriptedGenerator]:
        generator = ScriptedGenerator(*replies)
        cfg = load_config(None, {"index_dir": str(index_dir), "index.embedder": "fake",
                                 "retrieval.min_score": min_score})
        return Copilot.load(cfg, generator=generator, embedder=fake_embedder), generator

    return make


def test_the_model_sees_numbered_passages_with_source_section_and_page(make_copilot) -> None:
    copilot, generator = make_copilot("Tighten the seal gland nuts to 25 N·m [1].")
    answer = copilot.ask("What torque for the seal gland nuts?")
    prompt = generator.prompts[0][-1]["content"]
    assert prompt.startswith("Passages:\n[1] pump_manual.md, ")
    assert "p. " in prompt and prompt.rstrip().endswith("Question: What torque for the seal gland nuts?")
    assert not answer.abstained
    assert answer.citations[0].source == "pump_manual.md" and "25 N·m" in answer.citations[0].quote


def test_when_nothing_relevant_is_retrieved_it_abstains_without_calling_the_model(make_copilot) -> None:
    copilot, generator = make_copilot("anything", min_score=0.99)
    answer = copilot.ask("What is the warranty period of the forklift battery?")
    assert answer.abstained and answer.text.startswith(NOT_COVERED)
    assert generator.prompts == []


def test_an_unsupported_reply_is_replaced_by_the_documents_own_line_cited(make_copilot) -> None:
    copilot, _ = make_copilot("The gland nuts take 1.2 N·m [1].")
    answer = copilot.ask("What torque for the seal gland nuts?")
    assert answer.route == "extractive" and not answer.abstained
    assert "Seal gland nuts: Thread M12; Torque 25 N·m" in answer.text and "1.2" not in answer.text
    assert answer.citations[0].source == "pump_manual.md"


def test_a_cited_reply_that_does_not_state_what_is_asked_is_replaced_by_the_line_that_does(make_copilot) -> None:
    copilot, _ = make_copilot("The seal gland nuts are tightened evenly [1].")  # cited and supported, but no torque
    answer = copilot.ask("What torque for the seal gland nuts?")
    assert answer.route == "extractive" and "25 N·m" in answer.text
    assert answer.unsupported[0].startswith("model draft not used")


def test_an_unsupported_reply_with_no_matching_line_is_an_abstention_with_nearest_sources(make_copilot) -> None:
    copilot, _ = make_copilot("The warranty lasts five years.")
    answer = copilot.ask("warranty duration?", )
    assert answer.abstained and answer.text.startswith(NOT_COVERED)


def test_a_fault_code_question_is_answered_from_the_code_table_without_the_model(make_copilot) -> None:
    copilot, generator = make_copilot("should not be asked")
    answer = copilot.ask("E105 on P-901, what does it mean?")
    assert answer.route == "fault_code" and generator.prompts == []
    assert answer.text == "E105: Alarm text SEAL LEAK DETECTED; Meaning Seal drain pot float switch operated [1]."
    assert answer.citations[0].section == "9 Fault codes" and answer.citations[0].page == 2


def test_safety_warnings_of_the_cited_procedure_come_first(make_copilot) -> None:
    copilot, _ = make_copilot("Tighten the gland nuts evenly to 25 N·m [1].")
    answer = copilot.ask("seal replacement: how tight do the gland nuts go?")
    assert answer.safety and answer.safety[0].startswith("WARNING: Lock out the pump")
    assert answer.text.startswith("⚠ WARNING: Lock out the pump")


def test_the_model_saying_not_covered_is_an_abstention(make_copilot) -> None:
    copilot, _ = make_copilot(NOT_COVERED)
    answer = copilot.ask("Which supplier gives the warranty period for the seal kit?")
    assert answer.abstained and answer.text.startswith(NOT_COVERED)


def test_a_decline_is_overruled_when_a_passage_line_covers_the_question(make_copilot) -> None:
    copilot, _ = make_copilot(NOT_COVERED)
    answer = copilot.ask("What torque for the seal gland nuts?")
    assert not answer.abstained and answer.route == "extractive" and "25 N·m" in answer.text
    assert "model found no answer" in answer.unsupported[0]


def test_streaming_yields_text_then_the_checked_answer(make_copilot) -> None:
    copilot, _ = make_copilot("Tighten the seal gland nuts to 25 N·m [1].")
    pieces = list(copilot.stream("What torque for the seal gland nuts?"))
    assert all(isinstance(p, str) for p in pieces[:-1]) and "".join(pieces[:-1]).strip().startswith("Tighten")
    assert pieces[-1].citations


def test_answer_json_has_the_documented_shape(make_copilot) -> None:
    copilot, _ = make_copilot("Tighten the seal gland nuts to 25 N·m [1].")
    data = copilot.ask("What torque for the seal gland nuts?").to_dict()
    assert {"question", "answer", "abstained", "citations", "unsupported", "timings", "source_warnings"} <= set(data)
    assert set(data["citations"][0]) == {"n", "source", "page", "page_label", "section", "chunk_id", "quote", "trust"}
    assert data["citations"][0]["trust"] == "manual" and data["source_warnings"] == []


def test_a_follow_up_question_is_searched_with_the_question_it_refers_to(make_copilot) -> None:
    copilot, generator = make_copilot("ignored")
    first = copilot.ask("how do I replace the mechanical seal on P-901?")
    follow = copilot.ask("and what torque for the gland nuts on that?", history=[(first.question, first.text)])
    assert not follow.abstained and "25 N·m" in follow.text
    assert any(m["content"] == first.question for m in generator.prompts[-1])  # the model sees the history too


def test_an_asset_the_plant_does_not_have_is_not_answered_from_a_look_alike(make_copilot) -> None:
    copilot, _ = make_copilot("ignored")
    answer = copilot.ask("when was the seal on P-909 last replaced?")
    assert answer.abstained and "no documents or records for P-909" in answer.unsupported[0]


def test_a_history_question_about_dates_with_no_records_abstains(make_copilot) -> None:
    copilot, _ = make_copilot("ignored")
    assert copilot.ask("did we replace the seal on P-901 back in 2019?").abstained
    assert not copilot.ask("did we replace the seal on P-901 in 2024?").abstained


def test_a_count_question_reads_every_record_in_scope_cites_each_and_flags_the_count(make_copilot) -> None:
    copilot, generator = make_copilot("should not be asked")
    answer = copilot.ask("how many seal jobs on P-901 in 2024?")
    assert answer.route == "count" and not generator.prompts
    assert [c.section for c in answer.citations] == ["WO-24-0001"]  # the bearing job of P-902 is not counted
    assert answer.text.startswith("1 work order recording seal for P-901 in 2024: WO-24-0001 2024-02-01")
    assert answer.unsupported and "counted by the copilot" in answer.unsupported[0]


def test_a_how_do_i_question_is_answered_with_the_manuals_numbered_steps(make_copilot) -> None:
    copilot, generator = make_copilot("Drain it [1].")
    answer = copilot.ask("how do I replace the mechanical seal on P-901?")
    assert answer.route == "procedure" and generator.prompts == []  # the steps, not the model's paraphrase
    assert "1. Lock out and tag out the motor starter" in answer.text
    assert "3. Fit the new seal and tighten the gland nuts evenly to 25 N·m" in answer.text
    assert answer.text.startswith("⚠ WARNING: Lock out the pump")  # the section's own warning first
    assert {c.section for c in answer.citations} == {"6.3 Replacing the mechanical seal"}


class CountingGenerator(ScriptedGenerator):
    """A ScriptedGenerator that counts the pieces read from it and whether its stream was closed early."""

    def __init__(self, *replies: str) -> None:
        super().__init__(*replies)
        self.read = 0
        self.closed = False

    def stream(self, messages, *, max_new_tokens):  # type: ignore[no-untyped-def]
        try:
            for piece in super().stream(messages, max_new_tokens=max_new_tokens):
                self.read += 1
                yield piece
        except GeneratorExit:
            self.closed = True
            raise


FAILING_DRAFT = ("The gland nuts take 1.2 N·m [1]. After that the pump casing is filled and vented and the motor is "
                 "started with the discharge valve closed and then opened slowly over a minute [1].")


@pytest.mark.parametrize("stop", [True, False])
def test_a_draft_is_stopped_at_its_first_sentence_the_check_rejects_with_the_same_answer(
        tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder, stop: bool) -> None:
    index_dir = tmp_path / "idx"
    build_index([tiny_corpus], index_dir, lambda: fake_embedder, IndexConfig(embedder="fake"))
    generator = CountingGenerator(FAILING_DRAFT)
    cfg = load_config(None, {"index_dir": str(index_dir), "index.embedder": "fake", "retrieval.min_score": 0.3,
                             "generation.stop_failed_drafts": stop})
    answer = Copilot.load(cfg, generator=generator, embedder=fake_embedder).ask("What torque for the seal gland nuts?")
    assert answer.route == "extractive" and "Torque 25 N·m" in answer.text and "1.2" not in answer.text
    words = len(FAILING_DRAFT.split(" "))
    if stop:  # read up to the first word of the second sentence, then closed: the rest is never decoded
        assert generator.closed and generator.read == len(FAILING_DRAFT.split(". ")[0].split(" ")) + 1
        assert "draft_stopped_s" in answer.timings
    else:
        assert not generator.closed and generator.read == words and "draft_stopped_s" not in answer.timings


def test_a_draft_that_declines_is_stopped_once_it_says_so(make_copilot) -> None:
    copilot, _ = make_copilot()
    generator = CountingGenerator(f"{NOT_COVERED} The passages describe the seal but give no figure for it at all.")
    copilot.generator = generator
    answer = copilot.ask("What torque for the seal gland nuts?")
    assert generator.closed and generator.read <= len(NOT_COVERED.split(" ")) + 1
    assert answer.route in ("extractive", "abstain")
