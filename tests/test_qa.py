from pathlib import Path

import pytest

from copilot import Copilot, load_config
from copilot.prompts import NOT_COVERED
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


def test_an_answer_no_passage_supports_becomes_an_abstention_with_nearest_sources(make_copilot) -> None:
    copilot, _ = make_copilot("The warranty lasts five years.")
    answer = copilot.ask("What torque for the seal gland nuts?")
    assert answer.abstained and "Nearest sources: pump_manual.md" in answer.text
    assert answer.passages  # the technician still sees where to look


def test_the_model_saying_not_covered_is_an_abstention(make_copilot) -> None:
    copilot, _ = make_copilot(NOT_COVERED)
    assert copilot.ask("What torque for the seal gland nuts?").abstained


def test_streaming_yields_text_then_the_checked_answer(make_copilot) -> None:
    copilot, _ = make_copilot("Tighten the seal gland nuts to 25 N·m [1].")
    pieces = list(copilot.stream("What torque for the seal gland nuts?"))
    assert all(isinstance(p, str) for p in pieces[:-1]) and "".join(pieces[:-1]).strip().startswith("Tighten")
    assert pieces[-1].citations


def test_answer_json_has_the_documented_shape(make_copilot) -> None:
    copilot, _ = make_copilot("Tighten the seal gland nuts to 25 N·m [1].")
    data = copilot.ask("What torque for the seal gland nuts?").to_dict()
    assert {"question", "answer", "abstained", "citations", "unsupported", "timings"} <= set(data)
    assert set(data["citations"][0]) == {"n", "source", "page", "section", "chunk_id", "quote"}
