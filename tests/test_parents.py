"""Small-to-big: parent windows cut beside the chunks (index/parents.py), stored, synced and used by search."""

from dataclasses import replace
from pathlib import Path

import pytest

from copilot.config import RetrievalConfig
from index import HybridIndex, IndexConfig, build_index, sync_index
from index.chunking import split_document
from index.parents import split_parents
from index.records import Block, Document
from tests.fakes import HashingEmbedder

CFG = IndexConfig(embedder="fake-hashing-64", chunk_words=20, overlap_words=5, parent_words=60)


def _doc() -> Document:
    words = " ".join(f"w{i}" for i in range(50))
    blocks = (
        Block(f"Alpha one. {words}. Alpha two.", 1, ("Manual", "Alpha")),
        Block("Beta pump seal gland nuts are torqued to 25 N·m in a star pattern.", 1, ("Manual", "Beta")),
        Block("Beta continues on the next page with the bearing check.", 2, ("Manual", "Beta")),
    )
    return Document("m.md", "docs/m.md", "manual", blocks, title="Manual")


def test_every_chunk_gets_one_parent_of_its_own_section_and_page() -> None:
    doc = _doc()
    chunks = split_document(doc, CFG)
    pairs = split_parents(doc, chunks, CFG)
    children = [cid for _, ids in pairs for cid in ids]
    assert sorted(children) == sorted(c.chunk_id for c in chunks)  # each chunk exactly once
    by_id = {c.chunk_id: c for c in chunks}
    for parent, ids in pairs:
        for cid in ids:
            child = by_id[cid]
            # the parent carries its chunk's page and section: a hit judged on it is judged on the chunk's page
            assert (parent.page, parent.headings, parent.source) == (child.page, child.headings, child.source)
            assert set(child.text.split()) <= set(parent.text.split())
    # the long Alpha paragraph is several chunks but one window; Beta's two pages are two windows
    assert len(chunks) > len(pairs) == 3


def test_parent_words_is_validated_and_recorded_only_when_set() -> None:
    with pytest.raises(ValueError, match="parent_words must be 0"):
        IndexConfig(chunk_words=100, parent_words=100)
    assert "parent_words" not in IndexConfig().chunking_params()  # today's indexes stay valid as they are
    assert IndexConfig(parent_words=250).chunking_params()["parent_words"] == 250
    with pytest.raises(ValueError, match="parent_scoring must be one of"):
        RetrievalConfig(parent_scoring="sum")


def _load(index_dir: Path, embedder: HashingEmbedder) -> HybridIndex:
    return HybridIndex.load(index_dir, embedder, CFG.embedder)


def test_an_index_with_parents_stores_them_and_search_returns_windows(tiny_corpus, tmp_path) -> None:
    embedder = HashingEmbedder(256)
    build_index([tiny_corpus], tmp_path / "idx", lambda: embedder, CFG)
    loaded = _load(tmp_path / "idx", embedder)
    assert loaded.parents is not None and loaded.manifest.chunking["parent_words"] == 60
    parents = loaded.parents
    assert set(parents.row_of_child) == {c.chunk_id for c in loaded.chunks}
    assert parents.vectors.shape == (len(parents.parents), 256)
    plain = loaded.search("seal gland nuts torque", k=5)
    assert all(h.chunk.chunk_id in loaded.by_id for h in plain)  # "none": the chunks themselves
    for scoring in ("max", "mean", "parent"):
        hits = loaded.search("seal gland nuts torque", k=5, parent_scoring=scoring)
        shown = [h.chunk for h in hits]
        assert all(c in parents.parents for c in shown)
        assert len({c.chunk_id for c in shown}) == len(shown)  # one hit per window
        assert "25 N·m" in shown[0].text
    with pytest.raises(ValueError, match="parent_scoring must be one of"):
        loaded.search("seal", parent_scoring="sum")


def test_parent_scoring_ranks_a_window_by_its_own_score(tiny_corpus, tmp_path) -> None:
    """A question whose words are spread over one section's chunks: each of them alone loses to a chunk elsewhere
    that holds more of the words, the window holding them all wins when windows are scored."""
    embedder = HashingEmbedder(256)
    (tiny_corpus / "notes.md").write_text(
        "# Notes\n\n## Upkeep\n\nGearbox level checked weekly, filler cap wiped, breather cleared, sight glass read "
        "and logged.\n\nDrain plug magnet inspected for flakes.\n\n## Valve\n\nDrain plug magnet gearbox side valve.\n")
    cfg = replace(CFG, chunk_words=20, parent_words=80)
    build_index([tiny_corpus], tmp_path / "idx", lambda: embedder, cfg)
    loaded = _load(tmp_path / "idx", embedder)
    question = "gearbox weekly drain plug magnet"
    child = loaded.search(question, k=1, sources=["notes.md"])[0]
    assert child.chunk.chunk_id in loaded.by_id and child.chunk.section == "Valve"  # the chunk alone: the valve
    window = loaded.search(question, k=1, sources=["notes.md"], parent_scoring="parent")[0]
    assert window.chunk.section == "Upkeep" and "magnet" in window.chunk.text and "weekly" in window.chunk.text
    # "max" and "mean" combine the window's own score with its best chunk's
    by: dict[str, dict[str | None, float]] = {}
    for scoring in ("none", "parent", "max", "mean"):
        for hit in loaded.search(question, k=3, sources=["notes.md"], parent_scoring=scoring):
            by.setdefault(scoring, {}).setdefault(hit.chunk.section, hit.score)  # a section's best chunk
    for section in ("Upkeep", "Valve"):
        assert by["max"][section] == pytest.approx(max(by["none"][section], by["parent"][section]))
        assert by["mean"][section] == pytest.approx((by["none"][section] + by["parent"][section]) / 2)


def test_sync_keeps_unchanged_parents_and_a_parent_change_rechunks(tiny_corpus, tmp_path, fake_embedder) -> None:
    index_dir = tmp_path / "idx"
    build_index([tiny_corpus], index_dir, lambda: fake_embedder, CFG)
    before = _load(index_dir, fake_embedder).parents
    manual = tiny_corpus / "pump_manual.md"
    manual.write_text(manual.read_text() + "\n\n## Appendix\n\nA new closing note about the coupling guard.\n")
    report = sync_index([tiny_corpus], index_dir, lambda: fake_embedder, CFG)
    assert report.updated == ["corpus/pump_manual.md"]
    after = _load(index_dir, fake_embedder).parents
    assert before is not None and after is not None
    unchanged = [p for p in before.parents if not p.path.endswith("pump_manual.md")]
    assert unchanged and all(p in after.parents for p in unchanged)
    assert any("coupling guard" in p.text for p in after.parents)
    assert set(after.row_of_child) == {c.chunk_id for c in _load(index_dir, fake_embedder).chunks}
    # another parent size is another chunking: every file is re-chunked; none drops the parents
    report = sync_index([tiny_corpus], index_dir, lambda: fake_embedder, replace(CFG, parent_words=0))
    assert len(report.updated) == 3
    assert _load(index_dir, fake_embedder).parents is None
