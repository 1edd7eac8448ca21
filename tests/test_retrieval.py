from pathlib import Path

import pytest

from copilot.config import RetrievalConfig
from copilot.qa.retrieval import Retriever
from index import HybridIndex, IndexConfig, build_index
from tests.fakes import HashingEmbedder

CFG = IndexConfig(embedder="fake")


@pytest.fixture
def retriever(tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> Retriever:
    extra = tiny_corpus / "work_orders.csv"
    extra.write_text(extra.read_text() + "WO-25-0009,2025-03-02 08:00,2025-03-02 12:00,P-901,centrifugal_pump,"
                     "LKG @ SEAL again,worn seal faces,Replaced mech seal kit TS-MS-1 and flushed,TS-MS-1\n"
                     "WO-25-0010,2025-04-01 08:00,2025-04-01 12:00,Q-777,centrifugal_pump,LKG @ SEAL,"
                     "worn seal faces,Replaced mech seal kit TS-MS-1 on the other pump,TS-MS-1\n")
    build_index([tiny_corpus], tmp_path / "idx", lambda: fake_embedder, CFG)
    index = HybridIndex.load(tmp_path / "idx", fake_embedder, CFG.embedder)
    return Retriever(index, RetrievalConfig(min_score=0.0))


def test_a_code_meaning_question_finds_the_code_table_row_first(retriever: Retriever) -> None:
    top = retriever.hits("E105 on P-901, what does it mean?", k=3)[0].chunk
    assert top.section == "9 Fault codes" and "| E105 |" in top.text


def test_last_time_finds_the_newest_matching_work_order_of_that_asset(retriever: Retriever) -> None:
    top = retriever.hits("last time we replaced the seal on P-901?", k=3)[0].chunk
    assert top.section == "WO-25-0009"  # newer than WO-24-0001; WO-25-0010 is another asset's


def test_last_is_a_date_order_not_a_keyword(tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    orders = tiny_corpus / "work_orders.csv"
    orders.write_text(orders.read_text() + "WO-25-0011,2025-05-02 08:00,2025-05-02 12:00,P-901,centrifugal_pump,"
                      "filter dp alarm,wrong filter fitted at last service,changed filter at last service again,F-1\n")
    build_index([tiny_corpus], tmp_path / "idx", lambda: fake_embedder, CFG)
    retriever = Retriever(HybridIndex.load(tmp_path / "idx", fake_embedder, CFG.embedder),
                          RetrievalConfig(min_score=0.0))
    records = [h.chunk for h in retriever.hits("when was the seal last replaced on P-901?", k=6)
               if h.chunk.doc_type == "work_order"]
    assert records[0].section == "WO-24-0001"  # the newest seal job, not the newer job that says "last service"


def test_a_day_named_in_a_history_question_restricts_the_records_to_that_day(retriever: Retriever) -> None:
    hits = retriever.hits("what was done on the P-901 seal on 2 March 2025?", k=6)
    records = [h.chunk for h in hits if h.chunk.doc_type != "manual"]
    assert records and all(c.date and c.date.startswith("2025-03-02") for c in records)
    # without the day, the older seal job of the same asset is found as well
    assert "WO-24-0001" in {h.chunk.section for h in retriever.hits("what was done on the P-901 seal?", k=6)}


def test_another_assets_records_never_answer_for_a_named_asset(retriever: Retriever) -> None:
    hits = retriever.hits("seal replaced on P-901", k=10)
    assert all("Q-777" not in h.chunk.assets for h in hits)


def test_passages_are_numbered_in_rank_order_with_their_citation_fields(retriever: Retriever) -> None:
    passages = retriever.relevant("seal gland nut torque")
    assert [p.n for p in passages] == list(range(1, len(passages) + 1))
    assert passages[0].source == "pump_manual.md" and passages[0].section and passages[0].page


def test_a_gold_section_matches_the_section_and_its_subsections_only() -> None:
    from copilot.evaluation.retrieval import matches_gold
    from index.records import Chunk

    def chunk(section: str, headings: tuple[str, ...], source: str = "troubleshooting.md") -> Chunk:
        return Chunk("c", "text", source, source, "manual", None, section, headings)

    gold = {"source": "troubleshooting.md", "page": None, "section": "Graphical LCD Artifacts", "quote": ""}
    assert matches_gold(chunk("Graphical LCD Artifacts", ("Troubleshooting", "Graphical LCD Artifacts")), gold)
    assert matches_gold(chunk("Alternative Solutions", ("Troubleshooting", "Graphical LCD Artifacts",
                                                        "Alternative Solutions")), gold)
    assert not matches_gold(chunk("Hanging LCD?", ("Troubleshooting", "Hanging LCD?")), gold)
    assert not matches_gold(chunk("Graphical LCD Artifacts", ("Other", "Graphical LCD Artifacts"), "other.md"), gold)
