from pathlib import Path

from index.chunking import split_document
from index.config import IndexConfig
from index.loaders import load_document

DATA = Path(__file__).parent / "data"


def chunks_of(text: str, tmp_path: Path, **cfg: int):
    path = tmp_path / "m.md"
    path.write_text(text, encoding="utf-8")
    return split_document(load_document(path, "m.md"), IndexConfig(**cfg))


def test_chunks_keep_heading_path_section_and_page() -> None:
    doc = load_document(DATA / "pump_manual.md", "pump_manual.md")
    chunks = split_document(doc, IndexConfig())
    seal = next(c for c in chunks if c.section == "6.3 Replacing the mechanical seal")
    assert seal.page == 2
    assert seal.headings == ("Testco TP-50 Pump Manual", "6 Maintenance", "6.3 Replacing the mechanical seal")
    assert "tighten the gland nuts evenly to 25 N·m" in seal.text
    assert seal.assets == ("P-901", "P-902")


def test_text_before_the_first_heading_is_cited_to_the_document_title(tmp_path: Path) -> None:
    text = "---\ntitle: EEPROM\n---\n\nRequires EEPROM_SETTINGS to store settings.\n\n# Enable EEPROM\n\nIt is off.\n"
    chunks = chunks_of(text, tmp_path)
    assert [c.section for c in chunks] == ["EEPROM", "Enable EEPROM"]


def test_a_long_table_is_split_between_rows_and_every_piece_repeats_the_header(tmp_path: Path) -> None:
    rows = "\n".join(f"| E{100 + i} | ALARM TEXT NUMBER {i} | meaning of alarm number {i} in words |"
                     for i in range(60))
    chunks = chunks_of(f"# T\n\n## 9 Codes\n\n| Code | Text | Meaning |\n|---|---|---|\n{rows}\n", tmp_path,
                       chunk_words=60, overlap_words=10)
    assert len(chunks) > 3
    for chunk in chunks:
        lines = chunk.text.splitlines()
        assert lines[0] == "| Code | Text | Meaning |"
        assert lines[1] == "|---|---|---|"
        assert all(line.startswith("| E") for line in lines[2:])
    all_rows = [line for c in chunks for line in c.text.splitlines()[2:]]
    assert len(all_rows) == 60  # no row lost, none duplicated


def test_chunks_never_span_two_pages(tmp_path: Path) -> None:
    text = "# T\n\n## 1 A\n\nfirst page text.\n\n<!-- page 2 -->\n\nsecond page text.\n"
    chunks = chunks_of(text, tmp_path)
    assert [(c.page, c.text) for c in chunks] == [(None, "first page text."), (2, "second page text.")]


def test_long_paragraph_is_cut_into_overlapping_windows(tmp_path: Path) -> None:
    sentence = "The pump bearing runs warm under load and must be checked. "
    chunks = chunks_of("# T\n\n## 1 A\n\n" + sentence * 40, tmp_path, chunk_words=50, overlap_words=10)
    assert len(chunks) > 5
    assert all(len(c.text.split()) <= 60 for c in chunks)


def test_chunk_ids_are_stable_and_survive_edits_elsewhere(tmp_path: Path) -> None:
    base = "# T\n\n## 1 A\n\nalpha text here.\n\n## 2 B\n\nbeta text here.\n"
    first = {c.section: c.chunk_id for c in chunks_of(base, tmp_path)}
    again = {c.section: c.chunk_id for c in chunks_of(base, tmp_path)}
    edited = {c.section: c.chunk_id for c in chunks_of(base.replace("alpha", "gamma"), tmp_path)}
    assert first == again
    assert edited["2 B"] == first["2 B"]
    assert edited["1 A"] != first["1 A"]
