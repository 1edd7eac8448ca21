from pathlib import Path

import pytest

from index.errors import DocumentLoadError
from index.loaders import discover, load_document
from index.loaders.markdown import html_to_markdown, parse_markdown

DATA = Path(__file__).parent / "data"


def test_asciidoc_saved_as_txt_reads_as_text_with_its_sections_and_admonitions(tmp_path: Path) -> None:
    source = tmp_path / "config__ini-homing.adoc.txt"
    source.write_text(":lang: en\n:toc:\n\n[[cha:homing]]\n= Homing Configuration\n\n== Overview\n\n"
                      "Homing sets the zero origin((G53)) of the <<sec:machine,machine coordinates>>.\n\n"
                      "[WARNING]\n====\nA wrong HOME_OFFSET crashes the axis.\n====\n\n"
                      "=== HOME_IGNORE_LIMITS\n(((HOME IGNORE LIMITS)))\n.Example layout\n"
                      "image::images/home.png[\"Home\",align=\"center\"]\nSee link:https://x.org/h[the guide].\n")
    doc = load_document(source, "linuxcnc/config__ini-homing.adoc.txt")
    assert doc.title == "config ini-homing"
    texts = [(b.headings[1:], b.text) for b in doc.blocks]
    assert texts == [
        (("Homing Configuration", "Overview"), "Homing sets the zero originG53 of the machine coordinates."),
        (("Homing Configuration", "Overview"), "WARNING: A wrong HOME_OFFSET crashes the axis."),
        (("Homing Configuration", "Overview", "HOME_IGNORE_LIMITS"), "Example layout:\nSee the guide."),
    ]


def test_asciidoc_description_lists_read_as_term_and_definition_and_listings_keep_their_lines(tmp_path: Path) -> None:
    source = tmp_path / "common__glossary.adoc.txt"  # only a valued attribute (":lang: en") marks it as AsciiDoc
    source.write_text(":lang: en\n\n= Glossary\n\nBacklash Compensation::\n     (((backlash compensation))) Any "
                      "technique that attempts to reduce\n    the effect of backlash without removing it.\n\n"
                      "Jog:: To move an axis by hand.\n\n----\nloadrt motmod\nnet x-pos joint.0.pos\n----\n")
    doc = load_document(source, "linuxcnc/common__glossary.adoc.txt")
    assert [b.text for b in doc.blocks] == [
        "Backlash Compensation: Any technique that attempts to reduce the effect of backlash without removing it.",
        "Jog: To move an axis by hand.",
        "```\nloadrt motmod\nnet x-pos joint.0.pos\n```",
    ]


def test_an_asciidoc_table_reads_as_a_pipe_table_whatever_the_layout_of_its_cells(tmp_path: Path) -> None:
    source = tmp_path / "table.adoc"
    source.write_text("= Manual\n\n== Limits\n\n[cols=\"2*,1\"]\n|===\n|Item |Limit |Unit\n\n|Oil\n|4.5\n|L\n"
                      "|Grease |12 |g\n|===\n\nAfter the table.\n", encoding="utf-8")
    blocks = load_document(source, "table.adoc").blocks
    assert [b.text for b in blocks] == [
        "| Item | Limit | Unit |\n| --- | --- | --- |\n| Oil | 4.5 | L |\n| Grease | 12 | g |", "After the table."]


def test_a_pipe_table_without_outer_pipes_is_a_table_with_its_header() -> None:
    _, blocks = parse_markdown("# Menu\n\nItem|Description|Requirements\n----|-----------|------------\n"
                               "Reset BLTouch || `BLTOUCH`\nCase Light|Toggle the case light|`CASE_LIGHT`\n\n"
                               "Use the pipe | in prose.\n")
    table = next(b for b in blocks if b.kind == "table")
    assert table.table_header == "| Item|Description|Requirements |\n| ----|-----------|------------ |"
    assert table.text.split("\n") == ["| Reset BLTouch || `BLTOUCH` |",
                                      "| Case Light|Toggle the case light|`CASE_LIGHT` |"]
    assert [b.kind for b in blocks] == ["table", "text"]  # a pipe in prose, with no separator below, is no table


def test_printed_page_labels_are_stripped_only_where_they_count_the_pages() -> None:
    from index.loaders.pdf import page_labels

    pages = ["10-1 Reciprocating Engine Overhaul", "10-2 Figure 10-1. Engine on a stand.", "10-3 Visual inspection",
             "Blank page"]
    assert [p.strip() for p in page_labels(pages)[0]] == [
        "Reciprocating Engine Overhaul", "Figure 10-1. Engine on a stand.", "Visual inspection", "Blank page"]
    steps = ["7 bolts hold the cover.", "The pump.", "Torque to 25 N·m.", "Check 4"]  # numbers that count nothing
    assert page_labels(steps) == (steps, [None] * 4)


def test_printed_page_labels_are_kept_for_citations_beside_the_pdf_page() -> None:
    from index import IndexConfig
    from index.chunking import split_document
    from index.loaders.pdf import page_labels
    from index.loaders.text import parse_text
    from index.records import Document, page_reference

    texts, labels = page_labels(["10-1 Overhaul intervals.", "10-2 Inspection of the crankcase.", "10-3 Cleaning.",
                                 "Notes"])
    assert labels == ["10-1", "10-2", "10-3", None]
    _, blocks = parse_text("", pages=texts, title="ch10", page_labels=labels)
    chunks = split_document(Document("ch10.pdf", "ch10.pdf", "manual", blocks), IndexConfig())
    assert [(c.page, c.page_label) for c in chunks] == [(1, "10-1"), (2, "10-2"), (3, "10-3"), (4, None)]
    assert page_reference(2, "10-2") == "p. 2, printed 10-2"
    assert page_reference(7, "7") == page_reference(7) == "p. 7" and page_reference(None, "10-2") is None


def test_markdown_links_read_as_their_labels_and_code_keeps_its_brackets() -> None:
    text = ("# Saving\n\nUse [`M500`](/docs/gcode/M500.html \"M500\") to save, see ![the wiring](img/w.png) and "
            "[the FAQ][faq].\nDrivers: TMC2208<br/>TMC2225. Call `lookup[0](x)` as is.\n\n```\n[kept](as/is)\n```\n")
    _, blocks = parse_markdown(text)
    assert blocks[0].text == ("Use `M500` to save, see the wiring and the FAQ.\nDrivers: TMC2208 TMC2225. "
                              "Call `lookup[0](x)` as is.")
    assert "[kept](as/is)" in blocks[1].text  # fenced code is verbatim


def test_markdown_pages_and_headings_come_from_markers_and_hashes() -> None:
    title, blocks = parse_markdown((DATA / "pump_manual.md").read_text())
    assert title == "Testco TP-50 Pump Manual"
    codes = next(b for b in blocks if b.kind == "table" and "E103" in b.text)
    assert codes.page == 2 and codes.headings[-1] == "9 Fault codes"
    assert codes.table_header is not None and codes.table_header.startswith("| Code |")


def test_work_order_csv_gives_one_record_per_row_with_asset_and_date() -> None:
    doc = load_document(DATA / "work_orders.csv", "work_orders.csv")
    assert doc.doc_type == "work_order"
    assert [b.assets for b in doc.blocks] == [("P-901",), ("P-902",)]
    assert [b.date for b in doc.blocks] == ["2024-02-01", "2024-06-11"]
    assert doc.blocks[0].headings[-1] == "WO-24-0001"
    assert "action: Replaced mech seal kit TS-MS-1" in doc.blocks[0].text


def test_work_order_columns_can_be_mapped_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Ref;When;Kit;Notes\nA1;2023-01-02;P-101;seal replaced\n", encoding="utf-8")
    doc = load_document(path, "export.csv", {"id": "Ref", "date": "When", "asset": "Kit"})
    assert doc.blocks[0].assets == ("P-101",) and doc.blocks[0].date == "2023-01-02"


def test_a_corrupt_pdf_fails_with_a_reason(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(DocumentLoadError, match="broken.pdf"):
        load_document(bad, "broken.pdf")


def test_sensor_csv_is_refused_with_a_pointer_to_analyse(tmp_path: Path) -> None:
    path = tmp_path / "P-101.csv"
    path.write_text("timestamp,vib,temp\n" + "".join(f"2025-01-01 00:{i:02d},1.{i},40\n" for i in range(30)))
    with pytest.raises(DocumentLoadError, match="copilot analyse"):
        load_document(path, "P-101.csv")


def test_html_headings_paragraphs_and_tables_survive() -> None:
    md = html_to_markdown("<html><body><h2>6.3 Seal</h2><p>Fit the seal.</p><table><tr><th>Joint</th><th>Torque</th>"
                          "</tr><tr><td>Gland</td><td>25 N·m</td></tr></table><script>x()</script></body></html>")
    title, blocks = parse_markdown(md)
    table = next(b for b in blocks if b.kind == "table")
    assert table.headings == ("6.3 Seal",) and "| Gland | 25 N·m |" in table.text
    assert "x()" not in md


def test_discover_honours_copilotignore_and_reports_unsupported_files(tmp_path: Path) -> None:
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "qa.jsonl").write_text('{"question": "q"}\n')
    (tmp_path / "manual.md").write_text("# M\n")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / ".copilotignore").write_text("# evaluation data is not a document\neval/\n")
    files, skipped = discover([tmp_path])
    assert [f.name for f, _ in files] == ["manual.md"]
    assert [Path(s.path).name for s in skipped] == ["photo.jpg"]


def test_yaml_front_matter_gives_the_title_and_inner_blocks_give_sections() -> None:
    text = ("---\ntitle: Filament Sensor\ndescription: detect runout\n---\n\nBody text here.\n\n"
            "---\ntag: m600\ntitle: Filament Change\nbrief: Change filament mid-print\n---\n\nPark the head.\n")
    title, blocks = parse_markdown(text)
    assert title == "Filament Sensor"
    assert blocks[0].headings == ("Filament Sensor",) and blocks[0].text == "Body text here."
    assert blocks[-1].headings[-1] == "Filament Change" and blocks[-1].text == "Park the head."


def test_heading_markup_goes_but_an_options_underscores_stay() -> None:
    text = ("# Probes\n\n#### Z_ENDSTOP_SERVO_NR\n\nServo arm probe.\n\n## **Bold** and _italic_ `M3I`:\n\nBody.\n")
    _, blocks = parse_markdown(text)
    assert blocks[0].headings == ("Probes", "Z_ENDSTOP_SERVO_NR")
    assert blocks[1].headings == ("Probes", "Bold and italic M3I:")
