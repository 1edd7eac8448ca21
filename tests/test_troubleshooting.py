"""Troubleshooting rows read out of documents at index time, and the route that ranks them for a symptom question."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot import Copilot, load_config
from copilot.generation.backends import NoModel
from copilot.qa import troubleshoot
from copilot.qa.query import plan_query
from index import IndexConfig, build_index, sync_index
from index.chunking import split_document
from index.records import Block, Document
from index.search import HybridIndex
from index.troubleshooting import TroubleTable, extract_rows
from tests.fakes import HashingEmbedder

TROUBLESHOOTING_MD = """# Testco TP-50 Pump Manual: troubleshooting

| Field | Value |
|-------|-------|
| Applies to | P-901, P-902 |

## 8 Troubleshooting

| Symptom | Probable cause | Corrective action |
|---------|----------------|-------------------|
| Crackling noise, low suction pressure, erratic flow | Cavitation: blocked strainer, low tank level | Clean strainer |
| High axial vibration after coupling work | Misalignment or soft foot | Realign (6.5) |
| Visible seal leak | Worn seal faces | Replace seal (6.3) |

## 9 Alarm codes

| Code | Alarm text | Meaning | Probable cause | Action |
|------|------------|---------|----------------|--------|
| E104 | LOW SUCTION PRESSURE | Suction at 0.5 bar | Blocked strainer | Clean strainer (6.7) |
"""


def _document(text: str, source: str = "manual.pdf", page: int | None = 4,
              headings: tuple[str, ...] = ("Manual",)) -> Document:
    return Document(source, source, "manual", (Block(text, page, headings),))


def _rows(doc: Document):  # type: ignore[no-untyped-def]
    return extract_rows(doc, split_document(doc, IndexConfig(embedder="fake")), "key")


def test_a_markdown_troubleshooting_table_and_a_fault_code_table_give_one_row_each_cited_to_its_chunk(
        tmp_path: Path) -> None:
    from index.loaders import load_document

    path = tmp_path / "tp50-troubleshooting.md"
    path.write_text(TROUBLESHOOTING_MD, encoding="utf-8")
    doc = load_document(path, path.name, None)
    chunks = split_document(doc, IndexConfig(embedder="fake"))
    rows = extract_rows(doc, chunks, str(path))
    assert [(r.kind, r.cause) for r in rows] == [
        ("table", "Cavitation: blocked strainer, low tank level"), ("table", "Misalignment or soft foot"),
        ("table", "Worn seal faces"), ("fault_code", "Blocked strainer")]
    assert rows[1].symptom == "High axial vibration after coupling work" and rows[1].remedy == "Realign (6.5)"
    assert rows[3].symptom == "E104 LOW SUCTION PRESSURE Suction at 0.5 bar"
    ids = {c.chunk_id for c in chunks}
    assert all(r.chunk_id in ids and r.file == str(path) for r in rows)
    assert rows[0].section == "8 Troubleshooting" and rows[3].section == "9 Alarm codes"


def test_a_pdf_table_that_kept_its_pipes_joins_wrapped_rows_back() -> None:
    text = ("Symptom | Probable cause | Corrective action\n"
            "Stack temperature 20 K above baseline | Fireside tube fouling, poor combustion | Clean\n"
            "tubes (6.3); check combustion (6.5)\n"
            "Level rising above 70 % | Valve stuck open | Check valve (6.7)")
    rows = _rows(_document(text))
    assert [(r.symptom, r.cause, r.remedy) for r in rows] == [
        ("Stack temperature 20 K above baseline", "Fireside tube fouling, poor combustion",
         "Clean tubes (6.3); check combustion (6.5)"),
        ("Level rising above 70 %", "Valve stuck open", "Check valve (6.7)")]
    assert all(r.page == 4 for r in rows)


def test_an_interleaved_pdf_figure_pairs_causes_checks_and_remedies_by_position() -> None:
    """The FAA handbook's starter figure as extracted: troubles, then remedies, then checks, then causes."""
    text = ("Small Aircraft Troubleshooting Procedures Starter drags Probable Cause Isolation Procedure Remedy "
            "Starter will not operate ? Repair circuit. ? Charge or replace battery. ? Check master circuit. "
            "? Remove starter and check the brushes. ? Defective master switch or circuit. ? Low battery. "
            "Figure 5-13. Small aircraft troubleshooting procedures. Gas turbine engines are started by ...")
    rows = _rows(_document(text))
    assert [(r.cause, r.check, r.remedy) for r in rows] == [
        ("Defective master switch or circuit.", "Check master circuit.", "Repair circuit."),
        ("Low battery.", "Remove starter and check the brushes.", "Charge or replace battery.")]
    # the first row's trouble is printed after the column headers, the later rows' before them
    assert [r.symptom for r in rows] == ["Starter will not operate", "Starter drags"]
    assert all(r.kind == "figure" and r.section == "Figure 5-13. Small aircraft troubleshooting procedures."
               for r in rows)


def test_a_symptom_section_under_a_troubleshooting_heading_gives_its_problem_and_solution() -> None:
    doc = Document("tips.md", "tips.md", "manual", (
        Block("Common problems and their fixes.", None, ("Troubleshooting Tips",)),
        Block("- **Problem**: The probe deploys but won't move down. M119 always reports TRIGGERED.\n"
              "- **Solution**: Check the probe wiring with M401 and M119.", None,
              ("Troubleshooting Tips", "Won't Probe")),
        Block("Set the baud rate in Configuration.h.", None, ("Setup", "Serial")),
    ))
    rows = _rows(doc)
    assert len(rows) == 1 and rows[0].kind == "section"
    assert rows[0].symptom.startswith("Won't Probe: The probe deploys but won't move down")
    assert rows[0].remedy.startswith("Check the probe wiring")


HEATER_ADOC = """= Brightwell WH-30 Water Heater Service Guide
:toc:

== Troubleshooting

=== No hot water

Possible cause:: The thermal cut-out has tripped.
Remedy:: Press the reset button behind the access cover.

=== Relief valve dripping

[cols="1,1,1"]
|===
|Symptom |Cause |Remedy

|Relief valve drips continuously
|Supply pressure above 6 bar
|Fit a pressure reducing valve

|Relief valve drips only during heating |Expansion vessel flat
|Recharge the expansion vessel
to 3.5 bar
|===

== Problems and solutions

Heater hums but element stays cold::
  The element has burned out. Replace the element (see 7.2).
Note:: Switch off the supply first.
"""


def test_asciidoc_troubleshooting_gives_its_table_its_labelled_sections_and_its_description_list(
        tmp_path: Path) -> None:
    from index.loaders import load_document

    source = tmp_path / "wh30.adoc"
    source.write_text(HEATER_ADOC, encoding="utf-8")
    rows = _rows(load_document(source, "wh30.adoc"))
    by_symptom = {r.symptom.split(":")[0]: r for r in rows}
    assert set(by_symptom) == {"No hot water", "Relief valve drips continuously",
                               "Relief valve drips only during heating", "Heater hums but element stays cold"}
    assert by_symptom["No hot water"].cause == "The thermal cut-out has tripped."  # the label is not the cause
    assert by_symptom["No hot water"].remedy.startswith("Press the reset button")
    flat = by_symptom["Relief valve drips only during heating"]  # cells over several lines, one wrapped
    assert (flat.kind, flat.cause, flat.remedy) == ("table", "Expansion vessel flat",
                                                    "Recharge the expansion vessel to 3.5 bar")
    hums = by_symptom["Heater hums but element stays cold"]
    assert (hums.kind, hums.cause, hums.remedy) == ("section", "The element has burned out.",
                                                    "Replace the element (see 7.2).")


def test_markdown_entries_that_lead_with_their_symptom_in_bold_give_one_row_each() -> None:
    doc = Document("pump.md", "pump.md", "manual", (
        Block("**Pump runs but no water comes out.** The impeller may be clogged with debris. Unplug the pump and "
              "clean the impeller.", None, ("AquaFlow 200", "Troubleshooting")),
        Block("* **Pump is noisy** - worn bearings or gravel in the housing. Clean the housing.\n"
              "* **Note:** unplug the pump before any work.", None, ("AquaFlow 200", "Troubleshooting")),
        Block("**Lower the pump** on its rope, never on the cable.", None, ("AquaFlow 200", "Installation")),
    ))
    rows = _rows(doc)
    assert [(r.symptom.split(":")[0], r.cause, r.remedy) for r in rows] == [
        ("Pump runs but no water comes out", "The impeller may be clogged with debris.",
         "Unplug the pump and clean the impeller."),
        ("Pump is noisy", "worn bearings or gravel in the housing.", "Clean the housing.")]


def test_a_problem_and_solution_table_without_a_cause_column_gives_the_fix_as_the_row() -> None:
    doc = Document("printer.md", "printer.md", "manual", (
        Block("| Problem | Solution |\n|---|---|\n| Nozzle clicks and under-extrudes | Raise the hotend temperature "
              "by 5 °C |\n| Layers shift sideways | Tighten the X belt |", None, ("Printer", "Common problems"),
              kind="table"),
        Block("| Setting | Value |\n|---|---|\n| Speed | 60 mm/s |", None, ("Printer", "Settings"), kind="table"),
    ))
    rows = _rows(doc)
    assert [(r.symptom, r.cause, r.kind) for r in rows] == [
        ("Nozzle clicks and under-extrudes", "Raise the hotend temperature by 5 °C", "table"),
        ("Layers shift sideways", "Tighten the X belt", "table")]


def test_fmea_rows_and_work_orders_with_a_recorded_cause_become_rows(tiny_corpus: Path) -> None:
    from index.loaders import load_document

    fmea = load_document(tiny_corpus / "fmea.csv", "fmea.csv", None)
    orders = load_document(tiny_corpus / "work_orders.csv", "work_orders.csv", None)
    fmea_rows, order_rows = _rows(fmea), _rows(orders)
    assert [r.kind for r in fmea_rows] == ["fmea", "fmea"]
    assert fmea_rows[0].cause == "bearing wear: lubricant breakdown" and fmea_rows[0].see == "pump_manual.md#6.4"
    assert fmea_rows[0].assets == ("centrifugal_pump",)
    assert {r.kind for r in order_rows} == {"work_order"} and order_rows[0].assets == ("P-901",)
    assert order_rows[0].symptom == "LKG @ SEAL" and order_rows[0].cause == "worn seal faces"


@pytest.fixture
def index_dir(tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> Path:
    (tiny_corpus / "tp50-troubleshooting.md").write_text(TROUBLESHOOTING_MD, encoding="utf-8")
    target = tmp_path / "idx"
    build_index([tiny_corpus], target, lambda: fake_embedder, IndexConfig(embedder="fake"))
    return target


def _copilot(index_dir: Path, fake_embedder: HashingEmbedder) -> Copilot:
    cfg = load_config(None, {"index_dir": str(index_dir), "index.embedder": "fake"})
    return Copilot.load(cfg, generator=NoModel(), embedder=fake_embedder)


def test_a_symptom_question_is_answered_with_ranked_causes_each_with_its_check_and_citation(
        index_dir: Path, fake_embedder: HashingEmbedder) -> None:
    copilot = _copilot(index_dir, fake_embedder)
    answer = copilot.ask("P-901 crackling noise and low suction pressure, flow erratic. what do I check?")
    assert answer.route == "troubleshoot" and not answer.abstained
    first = answer.causes[0]
    assert first.cause == "Cavitation: blocked strainer, low tank level" and first.check == "Clean strainer"
    cited = {c.n: c for c in answer.citations}
    assert cited[first.citations[0]].source == "tp50-troubleshooting.md"
    assert cited[first.citations[0]].section == "8 Troubleshooting"
    assert "1. Cavitation: blocked strainer, low tank level. First check: Clean strainer [1]." in answer.text
    payload = answer.to_dict()
    assert payload["route"] == "troubleshoot" and payload["causes"][0]["check"] == "Clean strainer"
    assert json.dumps(payload)  # JSON-ready


def test_the_assets_own_work_orders_are_counted_as_evidence_for_the_cause_they_found(
        index_dir: Path, fake_embedder: HashingEmbedder) -> None:
    copilot = _copilot(index_dir, fake_embedder)
    answer = copilot.ask("P-901 seal leak again, what could be wrong?")
    assert answer.route == "troubleshoot"
    seal = next(c for c in answer.causes if "seal faces" in c.cause.lower())
    assert seal.evidence.startswith("1 of the ") and "P-901" in seal.evidence
    assert {c.section for c in answer.citations if c.n in seal.evidence_citations} == {"WO-24-0001"}
    assert any("counted by the copilot" in note for note in answer.unsupported)


def test_a_symptom_nothing_explains_is_declined_naming_the_nearest_troubleshooting_row(
        index_dir: Path, fake_embedder: HashingEmbedder) -> None:
    copilot = _copilot(index_dir, fake_embedder)
    answer = copilot.ask("the tool magazine keeps indexing to the wrong pocket on the lathe, what could cause that?")
    assert answer.abstained and answer.causes == ()
    assert any("no troubleshooting row explains this symptom" in note for note in answer.unsupported)


@pytest.mark.parametrize("question", [
    "just fitted a new seal on P-901 and it's dripping - how much leakage is ok?",
    "What does E104 mean?",
    "When was the seal on P-901 last replaced?",
    "How do I replace the mechanical seal?",
    "What torque for the seal gland nuts?",
])
def test_look_ups_stay_with_the_other_routes(question: str) -> None:
    assert not troubleshoot.is_symptom_question(question, plan_query(question, {"P-901"}))


def test_a_sync_replaces_a_changed_files_rows_and_stats_count_them_per_document(
        index_dir: Path, tiny_corpus: Path, fake_embedder: HashingEmbedder) -> None:
    loaded = HybridIndex.load(index_dir, fake_embedder, "fake")
    before = loaded.stats()["troubleshooting_rows_by_source"]
    assert before["tp50-troubleshooting.md"] == {"table": 3, "fault_code": 1}
    assert before["fmea.csv"] == {"fmea": 2} and before["work_orders.csv"] == {"work_order": 2}
    manual = tiny_corpus / "tp50-troubleshooting.md"
    manual.write_text(TROUBLESHOOTING_MD.replace("| Visible seal leak | Worn seal faces | Replace seal (6.3) |\n", ""),
                      encoding="utf-8")
    sync_index([tiny_corpus], index_dir, lambda: fake_embedder, IndexConfig(embedder="fake"))
    after = HybridIndex.load(index_dir, fake_embedder, "fake")
    assert after.stats()["troubleshooting_rows_by_source"]["tp50-troubleshooting.md"] == {"table": 2, "fault_code": 1}
    assert len(after.troubles.rows) == len(loaded.troubles.rows) - 1
    assert len(after.troubles.vectors) == len(after.troubles.rows)
    generation = index_dir / (index_dir / "CURRENT").read_text().strip()
    assert TroubleTable.load(generation) is not None


def test_the_ui_shows_the_causes_as_a_ranked_list_each_opening_onto_its_source(
        index_dir: Path, fake_embedder: HashingEmbedder) -> None:
    from copilot.web.ui.render import answer_html

    answer = _copilot(index_dir, fake_embedder).ask("P-901 seal leak again, what could be wrong?")
    page = answer_html(answer)
    assert '<ol class="cp-causes">' in page and page.count("<li><details>") == len(answer.causes)
    assert "First check: " in page and "1 of the " in page and "tp50-troubleshooting.md" in page


def test_troubles_written_as_possible_cause_and_remedy_in_running_text_become_one_row_per_cause() -> None:
    text = ("Troubleshooting The following are examples of engine troubles and potential fixes. Engine Keeps Running "
            "With Ignition OFF Possible cause: Overheating of engine. Remedy: Let engine cool down at idling. "
            "Knocking Under Load Possible cause: Octane rating of fuel too low. Remedy: Use fuel with higher octane "
            "rating. Possible cause: Fuel starvation, lean mixture. Remedy: Check fuel supply.")
    # every row: the sentences read as labelled causes and remedies are not read again as sentence rows
    assert [(r.symptom, r.cause, r.remedy) for r in _rows(_document(text))] == [
        ("Engine Keeps Running With Ignition OFF", "Overheating of engine.", "Let engine cool down at idling."),
        ("Knocking Under Load", "Octane rating of fuel too low.", "Use fuel with higher octane rating."),
        ("Knocking Under Load", "Fuel starvation, lean mixture.", "Check fuel supply.")]


def test_an_index_without_troubleshooting_rows_answers_symptoms_through_the_other_routes(
        tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    only_manual = tmp_path / "manual-only"
    only_manual.mkdir()
    (only_manual / "pump_manual.md").write_text((tiny_corpus / "pump_manual.md").read_text(encoding="utf-8"))
    build_index([only_manual], tmp_path / "idx2", lambda: fake_embedder, IndexConfig(embedder="fake"))
    answer = _copilot(tmp_path / "idx2", fake_embedder).ask("the pump seal keeps leaking, what do I check?")
    assert answer.route != "troubleshoot" and not any("troubleshooting row" in n for n in answer.unsupported)
