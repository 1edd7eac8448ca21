"""Validate the default corpus in corpus/ (manuals, PDF, FMEA table, logs, sensor labels, eval questions).

Data checks only: stdlib + pandas + pypdf, never the copilot or index packages. The generator checks run
corpus/tools/generate_logs.py and corpus/tools/make_pdf.py into a temporary folder and compare bytes.
"""

from __future__ import annotations

import csv
import fnmatch
import importlib.util
import json
import re
import subprocess
import sys
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
MANUALS = CORPUS / "manuals"
PDF_DIR = MANUALS / "pdf"
TOOLS = CORPUS / "tools"
QA_FILE = CORPUS / "eval" / "qa.jsonl"
FMEA_FILE = CORPUS / "knowledge" / "failure_modes.csv"
WO_FILE = CORPUS / "logs" / "work_orders.csv"
ALARM_FILE = CORPUS / "logs" / "alarms.log"
LABELS_FILE = CORPUS / "sensors" / "labels.json"
BOILER_MD = MANUALS / "halden-ft2000-steam-boiler.md"
BOILER_PDF = PDF_DIR / "halden-ft2000-steam-boiler.pdf"

FMEA_HEADER = [
    "asset_type", "failure_mode", "component", "signature", "symptoms", "likely_causes",
    "recommended_actions", "manual", "section", "severity",
]  # fmt: skip

PAGE_MARKER = re.compile(r"^<!--\s*page\s+(\d+)\s*-->\s*$")
HEADING = re.compile(r"^(#{1,4})\s+(.*\S)\s*$")
NUMBER_OR_CODE = re.compile(r"\d")

# minimum counts the evaluation set must meet
MIN_QUESTIONS = 150
MIN_UNANSWERABLE_SHARE = 0.20
MIN_NUMBER_QUESTIONS = 30
MIN_WORK_ORDER_QUESTIONS = 20


# ---------------------------------------------------------------------------------------------- helpers


@lru_cache(maxsize=1)
def make_pdf_module():
    """corpus/tools/make_pdf.py as a module (for REPLACEMENTS / pdf_text; fpdf2 is imported lazily there)."""
    spec = importlib.util.spec_from_file_location("corpus_make_pdf", TOOLS / "make_pdf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def collapse(text: str) -> str:
    return " ".join(text.split())


def pdf_normal(text: str) -> str:
    """Text as it appears in the PDF: the make_pdf.py character replacements, whitespace collapsed."""
    return collapse(make_pdf_module().pdf_text(text))


def spec_tables() -> dict[str, list[list[str]]]:
    """The pipe tables of SPEC.md, keyed by the `## ` heading they stand under (first table only)."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in (CORPUS / "SPEC.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
            continue
        if line.startswith("|") and heading:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                continue
            tables.setdefault(heading, []).append(cells)
    return tables


def spec_table(prefix: str) -> list[list[str]]:
    for heading, rows in spec_tables().items():
        if heading.startswith(prefix):
            return rows[1:]  # without the header row
    raise AssertionError(f"SPEC.md has no table under a heading starting {prefix!r}")


@lru_cache(maxsize=1)
def assets() -> dict[str, dict]:
    """asset type -> {"ids": [...], "manual": file name}."""
    out = {}
    for row in spec_table("Assets"):
        out[row[0]] = {"ids": [a.strip() for a in row[1].split(",")], "manual": row[2]}
    return out


@lru_cache(maxsize=1)
def channels() -> dict[str, list[str]]:
    return {row[0]: [c.strip() for c in row[1].split(",")] for row in spec_table("Sensor channels")}


@lru_cache(maxsize=1)
def failure_mode_keys() -> dict[str, set[str]]:
    """asset type -> its failure-mode keys, from SPEC.md ("fan bearing_wear (...)" gives bearing_wear)."""
    out = {}
    for row in spec_table("Failure modes"):
        bare = re.sub(r"\([^)]*\)", "", row[1])
        out[row[0]] = {re.findall(r"[a-z_]+", item)[-1] for item in bare.split(";") if item.strip()}
    return out


@lru_cache(maxsize=1)
def required_codes() -> dict[str, dict[str, str]]:
    out = {}
    for row in spec_table("Required fault codes"):
        out[row[0]] = dict(re.findall(r"(E\d{3}) ([^;]+?)\s*(?:;|$)", row[1]))
    return out


def asset_type_of(asset_id: str) -> str:
    for asset_type, info in assets().items():
        if asset_id in info["ids"]:
            return asset_type
    raise AssertionError(f"unknown asset id {asset_id}")


@cache
def manual_lines(name: str) -> tuple[tuple[int | None, str | None, str], ...]:
    """Every line of a Markdown manual with the page marker and the deepest heading above it."""
    page, section, out = None, None, []
    for line in (MANUALS / name).read_text(encoding="utf-8").splitlines():
        m = PAGE_MARKER.match(line)
        if m:
            page = int(m.group(1))
            continue
        h = HEADING.match(line)
        if h:
            section = h.group(2)
        out.append((page, section, line))
    return tuple(out)


def manual_files() -> list[Path]:
    return sorted(MANUALS.glob("*.md"))


@lru_cache(maxsize=1)
def pdf_pages() -> tuple[str, ...]:
    from pypdf import PdfReader

    return tuple(collapse(page.extract_text() or "") for page in PdfReader(str(BOILER_PDF)).pages)


@lru_cache(maxsize=1)
def questions() -> tuple[dict, ...]:
    lines = QA_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


@lru_cache(maxsize=1)
def work_orders() -> pd.DataFrame:
    return pd.read_csv(WO_FILE, dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def fmea() -> pd.DataFrame:
    return pd.read_csv(FMEA_FILE, dtype=str, keep_default_na=False)


def labels() -> list[dict]:
    return json.loads(LABELS_FILE.read_text(encoding="utf-8"))


def asks_for_number(question: dict) -> bool:
    """Heuristic: answerable, and a required keyword holds a digit (a value, limit, code, date or count)."""
    return question["answerable"] and any(NUMBER_OR_CODE.search(k) for k in question["keywords"])


def is_work_order_question(question: dict) -> bool:
    return question["id"].startswith("wo-")


def ignore_patterns() -> list[str]:
    lines = (CORPUS / ".copilotignore").read_text(encoding="utf-8").splitlines()
    return [ln.strip().rstrip("/") for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def is_ignored(rel: str) -> bool:
    return any(fnmatch.fnmatch(rel, pat) or rel.startswith(pat + "/") for pat in ignore_patterns())


def source_path(name: str) -> Path:
    for folder in (MANUALS, PDF_DIR, CORPUS / "logs"):
        if (folder / name).is_file():
            return folder / name
    raise AssertionError(f"gold source {name} not found in corpus/")


# ---------------------------------------------------------------------------------------------- manuals


def test_every_manual_named_in_the_spec_exists():
    for asset_type, info in assets().items():
        assert (MANUALS / info["manual"]).is_file(), f"{asset_type}: missing manual {info['manual']}"


@pytest.mark.parametrize("path", manual_files(), ids=lambda p: p.stem)
def test_page_markers_are_consecutive_from_one(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert PAGE_MARKER.match(lines[0]), f"{path.name} must start with <!-- page 1 -->"
    numbers = [int(m.group(1)) for m in map(PAGE_MARKER.match, lines) if m]
    assert numbers == list(range(1, len(numbers) + 1)), f"{path.name}: page markers {numbers}"


@pytest.mark.parametrize("path", manual_files(), ids=lambda p: p.stem)
def test_page_markers_never_split_a_table_or_numbered_list(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if not PAGE_MARKER.match(line) or i == 0:
            continue
        before = next((x for x in reversed(lines[:i]) if x.strip()), "")
        after = next((x for x in lines[i + 1 :] if x.strip()), "")
        assert not (before.startswith("|") and after.startswith("|")), f"{path.name}: {line} inside a table"
        in_list = re.match(r"^\d+\.\s", before) and re.match(r"^([2-9]|\d\d+)\.\s", after)
        assert not in_list, f"{path.name}: {line} inside a numbered list"


@pytest.mark.parametrize("asset_type", sorted(required_codes()))
def test_every_required_fault_code_is_in_its_manuals_code_table(asset_type):
    manual = assets()[asset_type]["manual"]
    table: dict[str, str] = {}
    in_table = False
    for _, _, line in manual_lines(manual):
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if cells[:2] == ["Code", "Alarm text"]:
            in_table = True
            continue
        if in_table and cells:
            if re.fullmatch(r"E\d{3}", cells[0]):
                table[cells[0]] = cells[1]
        elif in_table and not cells:
            in_table = False
    for code, text in required_codes()[asset_type].items():
        assert code in table, f"{manual}: code table lacks {code}"
        assert table[code] == text, f"{manual}: {code} alarm text {table[code]!r}, SPEC says {text!r}"


# ---------------------------------------------------------------------------------------------- PDF


def test_pdf_has_one_page_per_page_marker():
    markers = [ln for ln in BOILER_MD.read_text(encoding="utf-8").splitlines() if PAGE_MARKER.match(ln)]
    assert len(pdf_pages()) == len(markers)


def test_every_pdf_page_holds_the_headings_of_its_marker_page():
    for page, section, line in manual_lines(BOILER_MD.name):
        if HEADING.match(line):
            assert pdf_normal(section) in pdf_pages()[page - 1], f"PDF page {page} lacks heading {section!r}"


def test_pdf_metadata_title_is_the_manual_title():
    from pypdf import PdfReader

    title = next(
        h.group(2) for h in map(HEADING.match, BOILER_MD.read_text(encoding="utf-8").splitlines()) if h
    )
    assert PdfReader(str(BOILER_PDF)).metadata.title == pdf_normal(title)


@pytest.mark.skipif(importlib.util.find_spec("fpdf") is None, reason="fpdf2 not installed (extra 'pdf')")
def test_make_pdf_rebuilds_the_committed_pdf_byte_for_byte(tmp_path):
    out = tmp_path / "boiler.pdf"
    subprocess.run(
        [sys.executable, str(TOOLS / "make_pdf.py"), "--src", str(BOILER_MD), "--out", str(out)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert out.read_bytes() == BOILER_PDF.read_bytes()


# ---------------------------------------------------------------------------------------------- FMEA


def test_fmea_table_has_the_spec_header_and_valid_rows():
    with FMEA_FILE.open(newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == FMEA_HEADER
    table = fmea()
    assert len(table) > 0
    for row in table.itertuples(index=False):
        assert row.asset_type in assets(), row
        assert row.failure_mode in failure_mode_keys()[row.asset_type], row
        assert row.manual == assets()[row.asset_type]["manual"], row
        assert row.severity in {"1", "2", "3", "4", "5"}, row
        for pair in row.signature.split(";"):
            channel, direction = pair.split(":")
            assert channel in channels()[row.asset_type], (row.failure_mode, pair)
            assert direction in {"up", "down", "erratic"}, (row.failure_mode, pair)
    keys = list(zip(table.asset_type, table.failure_mode, strict=True))
    assert keys == sorted(keys), "rows must be sorted by asset_type, then failure_mode"


def test_every_failure_mode_of_the_spec_has_an_fmea_row():
    table = fmea()
    for asset_type, keys in failure_mode_keys().items():
        present = set(table.failure_mode[table.asset_type == asset_type])
        assert keys <= present, f"{asset_type}: no FMEA row for {sorted(keys - present)}"


def test_every_fmea_section_resolves_to_a_heading_in_its_manual():
    for row in fmea().itertuples(index=False):
        headings = [s for _, s, line in manual_lines(row.manual) if HEADING.match(line)]
        assert any(h.startswith(row.section + " ") for h in headings), (
            f"{row.manual} has no section {row.section}"
        )


def test_work_order_and_label_failure_modes_exist_in_the_fmea_table():
    known = set(zip(fmea().asset_type, fmea().failure_mode, strict=True))
    wo = work_orders()
    for row in wo[wo.failure_mode != ""].itertuples(index=False):
        assert (row.asset_type, row.failure_mode) in known, (row.wo_id, row.asset_type, row.failure_mode)
    for label in labels():
        key = (asset_type_of(label["asset"]), label["failure_mode"])
        assert key in known, (label["asset"], label["failure_mode"])


# ------------------------------------------------------------------------------------------ logs and sensors


def test_work_orders_name_known_assets_with_their_asset_type():
    wo = work_orders()
    assert wo.wo_id.is_unique
    for row in wo.itertuples(index=False):
        assert asset_type_of(row.asset) == row.asset_type, row.wo_id


def test_every_label_window_exists_in_its_sensor_file():
    for label in labels():
        path = CORPUS / "sensors" / label["file"]
        assert path.is_file(), label
        data = pd.read_csv(path, dtype={"timestamp": str})
        assert set(label["channels"]) <= set(data.columns), (label["file"], label["channels"])
        assert set(label["channels"]) <= set(channels()[asset_type_of(label["asset"])]), label
        stamps = set(data.timestamp)
        assert label["start"] in stamps and label["end"] in stamps, (
            label["file"],
            label["start"],
            label["end"],
        )
        assert label["start"] < label["end"], label


def test_sensor_files_have_the_spec_channels_of_their_asset():
    for path in sorted((CORPUS / "sensors").glob("*.csv")):
        header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        assert header == ["timestamp", *channels()[asset_type_of(path.stem)]], path.name


def test_generate_logs_rebuilds_logs_and_sensors_byte_for_byte(tmp_path):
    subprocess.run(
        [sys.executable, str(TOOLS / "generate_logs.py"), "--out", str(tmp_path)],
        check=True, capture_output=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    produced = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert produced, "generate_logs.py wrote nothing"
    committed = sorted(
        p.relative_to(CORPUS) for sub in ("logs", "sensors") for p in (CORPUS / sub).rglob("*") if p.is_file()
    )
    assert produced == committed
    for rel in produced:
        assert (tmp_path / rel).read_bytes() == (CORPUS / rel).read_bytes(), f"{rel} differs"


def test_work_order_questions_match_their_generator(tmp_path):
    out = tmp_path / "qa_workorders.jsonl"
    subprocess.run(
        [sys.executable, str(TOOLS / "make_wo_questions.py"), "--corpus", str(CORPUS), "--out", str(out)],
        check=True, capture_output=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    generated = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    merged = [q for q in questions() if is_work_order_question(q)]
    assert merged == generated


# ---------------------------------------------------------------------------------------------- eval set


def test_questions_follow_the_spec_format():
    ids = [q["id"] for q in questions()]
    assert len(ids) == len(set(ids)), "question ids must be unique"
    for q in questions():
        assert set(q) == {"id", "question", "answerable", "gold", "keywords"}, q["id"]
        assert isinstance(q["question"], str) and q["question"].strip(), q["id"]
        if not q["answerable"]:
            assert q["gold"] == [] and q["keywords"] == [], q["id"]
            continue
        assert q["gold"] and 1 <= len(q["keywords"]) <= 4, q["id"]
        for g in q["gold"]:
            assert set(g) == {"source", "page", "section", "quote"}, q["id"]
            assert 20 <= len(g["quote"]) <= 160, (q["id"], g["quote"])
            assert "\n" not in g["quote"] and not any(m in g["quote"] for m in ("|", "**", "#")), q["id"]


def test_every_gold_quote_is_found_on_its_page():
    for q in questions():
        for g in q["gold"]:
            name, quote = g["source"], g["quote"]
            path = source_path(name)
            if path.suffix == ".md":
                hits = {(page, section) for page, section, line in manual_lines(name) if quote in line}
                assert (g["page"], g["section"]) in hits, (
                    f"{q['id']}: quote not on page/section, found at {hits}"
                )
            elif path.suffix == ".pdf":
                assert path == BOILER_PDF, q["id"]
                assert pdf_normal(quote) in pdf_pages()[g["page"] - 1], (
                    f"{q['id']}: quote not on PDF page {g['page']}"
                )
                # the PDF is rendered from the Markdown manual: the section is the one above the quote there
                hits = {
                    (page, section) for page, section, line in manual_lines(BOILER_MD.name) if quote in line
                }
                assert (g["page"], g["section"]) in hits, (
                    f"{q['id']}: not on page/section in the source, {hits}"
                )
            elif name == WO_FILE.name:
                assert quote in WO_FILE.read_text(encoding="utf-8"), q["id"]
                row = work_orders()[work_orders().wo_id == g["section"]]
                assert len(row) == 1, f"{q['id']}: no work order {g['section']}"
                assert any(quote in str(v) for v in row.iloc[0].tolist()), (
                    f"{q['id']}: quote not in {g['section']}"
                )
            elif name == ALARM_FILE.name:
                assert quote in ALARM_FILE.read_text(encoding="utf-8"), q["id"]
            else:
                raise AssertionError(f"{q['id']}: unexpected source {name}")


def test_gold_sources_are_indexed_not_ignored():
    for q in questions():
        for g in q["gold"]:
            rel = source_path(g["source"]).relative_to(CORPUS).as_posix()
            assert not is_ignored(rel), f"{q['id']}: gold source {rel} is excluded by .copilotignore"


def test_copilotignore_keeps_eval_tools_and_the_boiler_markdown_out_of_the_index():
    for rel in ("eval/qa.jsonl", "tools/make_pdf.py", "sensors/labels.json", "sensors/B-801.csv", "SPEC.md",
                "CARD.md", "SOURCES.md", "manuals/halden-ft2000-steam-boiler.md"):  # fmt: skip
        assert is_ignored(rel), rel
    for rel in ("manuals/norvane-cp80-centrifugal-pump.md", "manuals/pdf/halden-ft2000-steam-boiler.pdf",
                "knowledge/failure_modes.csv", "logs/work_orders.csv", "logs/alarms.log"):  # fmt: skip
        assert not is_ignored(rel), rel


def test_eval_set_meets_the_required_counts():
    qs = questions()
    unanswerable = sum(not q["answerable"] for q in qs)
    numbers = sum(asks_for_number(q) for q in qs)
    work_order = sum(is_work_order_question(q) for q in qs)
    cites_work_orders = sum(any(g["source"] == WO_FILE.name for g in q["gold"]) for q in qs)
    assert len(qs) >= MIN_QUESTIONS
    assert unanswerable >= MIN_UNANSWERABLE_SHARE * len(qs)
    assert numbers >= MIN_NUMBER_QUESTIONS
    assert work_order >= MIN_WORK_ORDER_QUESTIONS
    assert cites_work_orders >= MIN_WORK_ORDER_QUESTIONS
