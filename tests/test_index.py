import shutil
from pathlib import Path

import numpy as np
import pytest

from index import HybridIndex, IndexConfig, build_index, layout, sync_index
from index.errors import IndexMismatchError, IndexNotFoundError
from tests.fakes import HashingEmbedder

CFG = IndexConfig(embedder="fake-hashing-64")


def build(corpus: Path, index_dir: Path, embedder: HashingEmbedder):
    return build_index([corpus], index_dir, lambda: embedder, CFG)


def load(index_dir: Path, embedder: HashingEmbedder) -> HybridIndex:
    return HybridIndex.load(index_dir, embedder, CFG.embedder)


def test_build_then_search_finds_the_torque_table_with_its_citation(tiny_corpus, tmp_path, fake_embedder) -> None:
    report = build(tiny_corpus, tmp_path / "idx", fake_embedder)
    assert len(report.added) == 3 and not report.failed
    hits = load(tmp_path / "idx", fake_embedder).search("seal gland nuts torque", k=3)
    top = hits[0].chunk
    assert top.source == "pump_manual.md" and "25 N·m" in top.text and top.page in (1, 2)
    assert hits[0].dense is not None and -1.0 <= hits[0].dense <= 1.0


def test_exact_codes_are_found_by_the_keyword_side(tiny_corpus, tmp_path, fake_embedder) -> None:
    build(tiny_corpus, tmp_path / "idx", fake_embedder)
    hit = load(tmp_path / "idx", fake_embedder).search("E105", k=1)[0]
    assert "E105" in hit.chunk.text and hit.ranks.get("keyword") == 1


def test_asset_filter_keeps_only_that_assets_chunks(tiny_corpus, tmp_path, fake_embedder) -> None:
    build(tiny_corpus, tmp_path / "idx", fake_embedder)
    hits = load(tmp_path / "idx", fake_embedder).search("bearing", k=10, asset="P-902")
    assert hits and all("P-902" in h.chunk.assets for h in hits)


def test_sync_adds_changes_and_deletes_without_duplicates_or_stale_chunks(tiny_corpus, tmp_path, fake_embedder):
    index_dir = tmp_path / "idx"
    build(tiny_corpus, index_dir, fake_embedder)
    manual = tiny_corpus / "pump_manual.md"
    manual.write_text(manual.read_text().replace("25 N·m", "27 N·m"))
    (tiny_corpus / "fmea.csv").unlink()
    (tiny_corpus / "notes.txt").write_text("Shift note: P-901 strainer cleaned, sludge found.\n")
    report = sync_index([tiny_corpus], index_dir, lambda: fake_embedder, CFG)
    assert report.updated == ["corpus/pump_manual.md"]
    assert report.removed == ["corpus/fmea.csv"] and report.added == ["corpus/notes.txt"]
    loaded = load(index_dir, fake_embedder)
    ids = [c.chunk_id for c in loaded.chunks]
    assert len(ids) == len(set(ids)) == loaded.vectors.index.ntotal
    texts = " ".join(c.text for c in loaded.chunks)
    assert "27 N·m" in texts and "25 N·m" not in texts and "signature" not in texts
    assert "sludge" in texts


def test_sync_of_a_small_edit_embeds_only_the_changed_chunks(tiny_corpus, tmp_path, fake_embedder) -> None:
    index_dir = tmp_path / "idx"
    build(tiny_corpus, index_dir, fake_embedder)
    manual = tiny_corpus / "pump_manual.md"
    manual.write_text(manual.read_text().replace("Never use a flame.", "Never use a flame or a torch."))
    report = sync_index([tiny_corpus], index_dir, lambda: fake_embedder, CFG)
    assert report.updated == ["corpus/pump_manual.md"] and report.chunks_embedded == 1
    loaded = load(index_dir, fake_embedder)
    assert loaded.vectors.index.ntotal == len(loaded.chunks)
    hit = loaded.search("seal gland nuts torque", k=1)[0]  # reused vectors still find their chunks
    assert "25 N·m" in hit.chunk.text


def copy_beside(corpus: Path, tmp_path: Path, edited: bool = False) -> Path:
    """The same folder name elsewhere: a second checkout of the corpus, with the same files or edited ones."""
    twin = tmp_path / "other" / corpus.name
    twin.mkdir(parents=True)
    for file in corpus.iterdir():
        (twin / file.name).write_bytes(file.read_bytes() + (b"\nEdited in the other checkout.\n" if edited else b""))
    return twin


def test_a_moved_folder_replaces_its_old_copy_instead_of_doubling_it(tiny_corpus, tmp_path, fake_embedder) -> None:
    index_dir = tmp_path / "idx"
    build(tiny_corpus, index_dir, fake_embedder)
    before = {c.chunk_id for c in load(index_dir, fake_embedder).chunks}
    names = sorted(f"corpus/{file.name}" for file in tiny_corpus.iterdir())
    moved = tmp_path / "elsewhere" / "corpus"  # a checkout cloned to another path, synced into the same index
    moved.parent.mkdir()
    tiny_corpus.rename(moved)
    report = sync_index([moved], index_dir, lambda: fake_embedder, CFG)
    assert sorted(report.added) == sorted(report.removed) == names
    assert report.chunks_embedded == 0  # same names, same text: the vectors are reused
    loaded = load(index_dir, fake_embedder)
    assert {c.chunk_id for c in loaded.chunks} == before and loaded.vectors.index.ntotal == len(before)


def test_a_copy_indexed_beside_a_vanished_one_takes_back_its_citation_name(tiny_corpus, tmp_path, fake_embedder):
    index_dir = tmp_path / "idx"
    twin = copy_beside(tiny_corpus, tmp_path, edited=True)
    natural = {f"corpus/{file.name}" for file in tiny_corpus.iterdir()}
    build(tiny_corpus, index_dir, fake_embedder)
    sync_index([twin], index_dir, lambda: fake_embedder, CFG)  # other documents: the twin is cited by absolute path
    names = {c.path for c in load(index_dir, fake_embedder).chunks}
    assert any(name.startswith("/") for name in names)
    shutil.rmtree(tiny_corpus)
    report = sync_index([twin], index_dir, lambda: fake_embedder, CFG)
    assert len(report.removed) == 3 and len(report.updated) == 3
    loaded = load(index_dir, fake_embedder)
    assert {c.path for c in loaded.chunks} == natural
    ids = [c.chunk_id for c in loaded.chunks]
    assert len(ids) == len(set(ids)) == loaded.vectors.index.ntotal


def test_a_vanished_copy_cited_by_its_absolute_path_is_dropped(tiny_corpus, tmp_path, fake_embedder) -> None:
    index_dir = tmp_path / "idx"
    twin = copy_beside(tiny_corpus, tmp_path, edited=True)
    build(tiny_corpus, index_dir, fake_embedder)
    sync_index([twin], index_dir, lambda: fake_embedder, CFG)  # the twin is cited by its absolute path ...
    shutil.rmtree(twin)  # ... and vanishes
    report = sync_index([tiny_corpus], index_dir, lambda: fake_embedder, CFG)
    assert len(report.removed) == 3 and len(report.unchanged) == 3
    loaded = load(index_dir, fake_embedder)
    assert {c.path for c in loaded.chunks} == {f"corpus/{file.name}" for file in tiny_corpus.iterdir()}
    ids = [c.chunk_id for c in loaded.chunks]
    assert len(ids) == len(set(ids)) == loaded.vectors.index.ntotal


def test_a_second_checkout_of_the_same_files_takes_their_names_instead_of_doubling_them(tiny_corpus, tmp_path,
                                                                                        fake_embedder) -> None:
    index_dir = tmp_path / "idx"
    twin = copy_beside(tiny_corpus, tmp_path)  # same bytes; the first checkout stays where it is
    build(tiny_corpus, index_dir, fake_embedder)
    before = {c.chunk_id for c in load(index_dir, fake_embedder).chunks}
    report = sync_index([twin], index_dir, lambda: fake_embedder, CFG)
    assert len(report.added) == len(report.removed) == 3 and report.chunks_embedded == 0
    loaded = load(index_dir, fake_embedder)
    assert {c.chunk_id for c in loaded.chunks} == before and loaded.vectors.index.ntotal == len(before)
    assert not any(c.path.startswith("/") for c in loaded.chunks)


def test_sync_with_nothing_changed_writes_nothing(tiny_corpus, tmp_path, fake_embedder) -> None:
    index_dir = tmp_path / "idx"
    build(tiny_corpus, index_dir, fake_embedder)
    live = layout.live_generation(index_dir)

    def no_embedder():
        raise AssertionError("an unchanged sync must not load the embedder")

    report = sync_index([tiny_corpus], index_dir, no_embedder, CFG)
    assert not report.changed and len(report.unchanged) == 3
    assert layout.live_generation(index_dir) == live


def test_an_index_built_with_another_embedder_is_refused(tiny_corpus, tmp_path, fake_embedder) -> None:
    build(tiny_corpus, tmp_path / "idx", fake_embedder)
    with pytest.raises(IndexMismatchError, match="fake-hashing-64"):
        HybridIndex.load(tmp_path / "idx", fake_embedder, "sentence-transformers/all-MiniLM-L6-v2")


def test_a_missing_index_says_how_to_build_one(tmp_path, fake_embedder) -> None:
    with pytest.raises(IndexNotFoundError, match="copilot index build"):
        load(tmp_path / "nowhere", fake_embedder)


def test_a_crash_mid_build_leaves_the_previous_index_usable(tiny_corpus, tmp_path, fake_embedder) -> None:
    index_dir = tmp_path / "idx"
    build(tiny_corpus, index_dir, fake_embedder)
    before = [c.chunk_id for c in load(index_dir, fake_embedder).chunks]

    class Exploding(HashingEmbedder):
        def embed_documents(self, texts):
            raise KeyboardInterrupt

    (tiny_corpus / "new.md").write_text("# New\n\nSomething new about the pump.\n")
    with pytest.raises(KeyboardInterrupt):
        sync_index([tiny_corpus], index_dir, lambda: Exploding(64), CFG)
    assert [c.chunk_id for c in load(index_dir, fake_embedder).chunks] == before
    assert len(list(index_dir.glob("gen-*"))) == 1


def test_one_bad_file_is_reported_and_the_rest_indexed(tiny_corpus, tmp_path, fake_embedder) -> None:
    (tiny_corpus / "scan.pdf").write_bytes(b"%PDF-1.4 garbage")
    report = build(tiny_corpus, tmp_path / "idx", fake_embedder)
    assert [Path(f.path).name for f in report.failed] == ["scan.pdf"]
    assert len(report.added) == 3


def test_a_chunking_change_re_indexes_everything_on_sync(tiny_corpus, tmp_path, fake_embedder) -> None:
    index_dir = tmp_path / "idx"
    build(tiny_corpus, index_dir, fake_embedder)
    smaller = IndexConfig(embedder=CFG.embedder, chunk_words=40, overlap_words=5)
    report = sync_index([tiny_corpus], index_dir, lambda: fake_embedder, smaller)
    assert len(report.updated) == 3 and not report.unchanged


def test_a_chunking_change_re_chunks_files_from_folders_not_given_and_drops_vanished_ones(tiny_corpus, tmp_path,
                                                                                          fake_embedder) -> None:
    index_dir = tmp_path / "idx"
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "note.txt").write_text("Shift note: P-901 strainer cleaned, sludge found in the basket.\n")
    (extra / "gone.txt").write_text("Shift note: P-902 coupling guard refitted.\n")
    build_index([tiny_corpus, extra], index_dir, lambda: fake_embedder, CFG)
    (extra / "gone.txt").unlink()
    smaller = IndexConfig(embedder=CFG.embedder, chunk_words=40, overlap_words=5)
    report = sync_index([tiny_corpus], index_dir, lambda: fake_embedder, smaller)  # an upgrade, synced as `make` does
    assert sorted(report.updated) == sorted([f"corpus/{f.name}" for f in tiny_corpus.iterdir()] + ["more/note.txt"])
    assert report.removed == ["more/gone.txt"]
    loaded = load(index_dir, fake_embedder)
    names = {c.path for c in loaded.chunks}
    assert "more/note.txt" in names and "more/gone.txt" not in names
    ids = [c.chunk_id for c in loaded.chunks]
    assert len(ids) == len(set(ids)) == loaded.vectors.index.ntotal
    assert sync_index([tiny_corpus], index_dir, lambda: fake_embedder, smaller).changed is False


def test_convex_fusion_keeps_a_standout_keyword_match_that_rank_fusion_buries() -> None:
    from index.search import _convex, _reciprocal_rank

    # "opt" is the option the question names: keywords rank it first by a wide margin, the embedder 40th.
    # "both" is ranked second by each side with middling scores.
    dense = [("x", 0.60), ("both", 0.58)] + [(f"d{i}", 0.57 - i / 1000) for i in range(37)] + [("opt", 0.40)]
    keyword = [("opt", 30.0), ("both", 9.0), ("y", 8.0)]
    cosines = dict(dense) | {"y": 0.2}
    union = list(dict.fromkeys([c for c, _ in dense] + [c for c, _ in keyword]))
    rrf = _reciprocal_rank(dense, keyword)
    convex = _convex(union, cosines, dict(keyword))
    assert max(rrf, key=lambda c: rrf[c]) == "both"
    assert max(convex, key=lambda c: convex[c]) == "opt"
    # scores are in first-place units in both fusions: the keyword side's best is worth 1.0
    assert rrf["y"] == pytest.approx(61 / 63) and convex["opt"] > 1.0


def test_search_fuses_either_way_and_refuses_an_unknown_fusion(tiny_corpus, tmp_path) -> None:
    embedder = HashingEmbedder(256)  # a ranking assertion: fewer hash collisions than the 64-slot fake
    build(tiny_corpus, tmp_path / "idx", embedder)
    loaded = load(tmp_path / "idx", embedder)
    for fusion in ("convex", "rrf"):
        assert "25 N·m" in loaded.search("seal gland nuts torque", k=1, fusion=fusion)[0].chunk.text
    with pytest.raises(ValueError, match="fusion must be one of convex, rrf"):
        loaded.search("seal", fusion="borda")


def test_filtered_dense_search_returns_the_best_allowed_chunks_however_deep_they_rank(tiny_corpus, tmp_path,
                                                                                      fake_embedder) -> None:
    import numpy as np

    build(tiny_corpus, tmp_path / "idx", fake_embedder)
    loaded = load(tmp_path / "idx", fake_embedder)
    vector = loaded.embed_query("bearing temperature alarm")
    every = loaded.dense_ranking(vector, len(loaded))
    assert len(every) == len(loaded)
    # brute force: the cosine of every chunk, from its stored vector
    brute = dict(zip([c.chunk_id for c in loaded.chunks], loaded.cosines(vector, [c.chunk_id for c in loaded.chunks]),
                     strict=True))
    assert all(score == pytest.approx(brute[cid], abs=1e-5) for cid, score in every)
    # allow only the chunks ranked last: the search must reach them without being asked for more depth
    allowed_ids = {cid for cid, _ in every[-3:]}
    mask = np.array([c.chunk_id in allowed_ids for c in loaded.chunks])
    ranked = loaded.dense_ranking(vector, 2, mask)
    assert [cid for cid, _ in ranked] == [cid for cid, _ in every[-3:-1]]
    assert loaded.dense_ranking(vector, 10, np.zeros(len(loaded), dtype=bool)) == []
    # search(mask=...) and the same filter as a predicate agree
    by_mask = loaded.search("bearing", k=10, mask=mask)
    by_predicate = loaded.search("bearing", k=10, where=lambda c: c.chunk_id in allowed_ids)
    assert by_mask and {h.chunk.chunk_id for h in by_mask} <= allowed_ids
    assert [h.chunk.chunk_id for h in by_mask] == [h.chunk.chunk_id for h in by_predicate]


class CountingEmbedder(HashingEmbedder):
    """Records every text it embeds."""

    def __init__(self) -> None:
        super().__init__(64)
        self.seen: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.seen.extend(texts)
        return super().embed_documents(texts)


def test_section_headings_are_embedded_once_and_a_sync_embeds_only_new_ones(tiny_corpus, tmp_path) -> None:
    from index.sections import SectionVectors, section_path

    embedder = CountingEmbedder()
    build(tiny_corpus, tmp_path / "idx", embedder)
    loaded = load(tmp_path / "idx", embedder)
    paths = {section_path(c) for c in loaded.chunks} - {""}
    assert set(loaded.sections.paths) == paths and loaded.stats()["sections"] == len(paths)
    stored = SectionVectors.load(layout.live_generation(tmp_path / "idx"))
    assert stored is not None and stored.paths == loaded.sections.paths
    row = stored.row_of()
    for path in list(paths)[:3]:  # the stored vector is the path's own embedding
        assert np.allclose(stored.vectors[row[path]], embedder.embed_query(path), atol=1e-6)

    manual = tiny_corpus / "pump_manual.md"
    added = "\n## Storing the pump\n\nDrain the casing before storage.\n"
    manual.write_text(manual.read_text(encoding="utf-8") + added, encoding="utf-8")
    embedder.seen.clear()
    sync_index([tiny_corpus], tmp_path / "idx", lambda: embedder, CFG)
    new_paths = [t for t in embedder.seen if t.endswith("Storing the pump")]
    assert len(new_paths) == 1  # the new section's path, and no other path, was embedded again
    assert not [t for t in embedder.seen if t in paths]


def test_a_question_naming_a_section_finds_that_section_over_text_that_merely_repeats_its_words(tmp_path,
                                                                                               monkeypatch) -> None:
    import index.search

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "printer.md").write_text(
        "# Bed leveling\n\n## Overview\n\nThe leveling mesh can be saved or reset from the menu; a bed leveling mesh "
        "corrects a warped bed. Probing a mesh takes a few minutes on a large bed.\n\n"
        "## Saving and loading the mesh\n\nAfter probing, the data lives in RAM only. Send M500 to keep it and M501 to "
        "read it back; it is read again at every power-up.\n", encoding="utf-8")
    embedder = HashingEmbedder(256)
    build(docs, tmp_path / "idx", embedder)
    loaded = load(tmp_path / "idx", embedder)
    question = "saving and loading the bed leveling mesh"
    hits = loaded.search(question, k=2)
    assert [h.chunk.section for h in hits] == ["Saving and loading the mesh", "Overview"]
    # the cosine reported (the relevance floor) is still the chunk's own, not the section's
    assert hits[0].dense == pytest.approx(loaded.cosines(loaded.embed_query(question), [hits[0].chunk.chunk_id])[0],
                                          abs=1e-5)
    assert hits[0].dense < hits[1].dense
    monkeypatch.setattr(index.search, "SECTION_WEIGHT", 0.0)  # on the chunks' text alone the overview wins
    assert loaded.search(question, k=1)[0].chunk.section == "Overview"


def test_an_index_written_before_section_vectors_still_loads_and_embeds_them(tiny_corpus, tmp_path, fake_embedder,
                                                                            caplog) -> None:
    from index.sections import SECTIONS_FILE

    build(tiny_corpus, tmp_path / "idx", fake_embedder)
    (layout.live_generation(tmp_path / "idx") / SECTIONS_FILE).unlink()
    with caplog.at_level("WARNING"):
        loaded = load(tmp_path / "idx", fake_embedder)
    assert "copilot index sync" in caplog.text and len(loaded.sections.paths) > 0
    assert loaded.search("seal gland nuts torque", k=1)


def test_only_document_sections_get_a_section_vector_not_log_records() -> None:
    from index.records import Chunk
    from index.sections import section_path

    manual = Chunk("m", "Torque to 25 N·m.", "cp80.md", "cp80.md", "manual", 3, "6.2 Seal", ("CP-80", "6.2 Seal"))
    record = Chunk("r", "E105 ALARM", "alarms.log", "alarms.log", "log", None, None, ("alarms", "P-101 2024-05-01"),
                   kind="record")
    untitled = Chunk("u", "Loose text.", "notes.txt", "notes.txt", "text", None, None, ())
    assert section_path(manual) == "CP-80 > 6.2 Seal"
    assert section_path(record) == "" and section_path(untitled) == ""
