"""The batch job's inputs as they arrive: the same export twice, symbolic-link loops, empty and degenerate files."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from copilot.batch import BatchOptions, load_report, run_batch
from copilot.batch.discover import list_inputs
from copilot.batch.duplicates import find_duplicates
from copilot.batch.inputs import ParsedFile, WorkOrder
from copilot.cli import main
from index import IndexConfig, build_index
from tests.fakes import HashingEmbedder
from tests.test_batch import ALARMS, WORK_ORDERS, FakeFactory, pump_log

FAST = BatchOptions(workers=1, no_llm=True, plots=False)


@pytest.fixture
def index_dir(tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> Path:
    target = tmp_path / "idx"
    build_index([tiny_corpus], target, lambda: fake_embedder, IndexConfig(embedder="fake"))
    return target


def _records(out: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["asset"]: r for r in load_report(out)["records"]}


def test_the_same_export_in_two_files_is_counted_once_and_the_report_says_so(index_dir: Path,
                                                                             tmp_path: Path) -> None:
    single, double = tmp_path / "single", tmp_path / "double"
    single.mkdir()
    double.mkdir()
    (single / "wo.csv").write_text(WORK_ORDERS)
    (double / "wo.csv").write_text(WORK_ORDERS)
    (double / "wo_copy.txt").write_text(WORK_ORDERS)
    for folder in (single, double):
        (folder / "events.csv").write_text(ALARMS)
    (double / "events_again.log").write_text(ALARMS)
    once = run_batch(single, tmp_path / "o1", FAST, FakeFactory(str(index_dir)))
    twice = run_batch(double, tmp_path / "o2", FAST, FakeFactory(str(index_dir)))
    alone, both = _records(tmp_path / "o1")["P-901"], _records(tmp_path / "o2")["P-901"]
    assert both["counts"] == alone["counts"] and both["counts"]["work_orders"] == 4
    assert both["work_orders"] == alone["work_orders"] and both["work_orders"]["cost_total"] == 1150.75
    assert both["alarms"] == alone["alarms"]
    assert not once.notes
    assert twice.notes == [
        "duplicates: events_again.log repeats 5 alarm lines of events.csv (same time, asset, code and message): "
        "counted once",
        "duplicates: wo_copy.txt repeats 5 work orders of wo.csv (same id, or same asset, date and text): counted once"]
    assert "wo_copy.txt: 4 work orders already in wo.csv left out as duplicates" in both["data_problems"]
    markdown = (tmp_path / "o2" / "report.md").read_text()
    assert "**note** duplicates: wo_copy.txt repeats 5 work orders of wo.csv" in markdown
    assert "duplicates left out: 5 work orders already in wo.csv" in markdown  # its row of the input table
    assert json.loads((tmp_path / "o2" / "run.json").read_text())["notes"] == twice.notes
    assert "note: duplicates: wo_copy.txt" in twice.summary() and twice.exit_code == 0


def test_records_without_ids_match_on_asset_date_and_text_and_repeats_within_one_file_stay() -> None:
    def order(source: str, row: int, text: str, asset: str = "P-1") -> WorkOrder:
        return WorkOrder(source, row, f"{source}:{row}", "2024-01-05", asset, text, cost=10.0)

    first = ParsedFile("a.csv", "", "work_orders", work_orders=[order("a.csv", 1, "Greased bearing"),
                                                                 order("a.csv", 2, "Greased bearing")])
    second = ParsedFile("b.csv", "", "work_orders", work_orders=[
        order("b.csv", 1, "greased  BEARING"), order("b.csv", 2, "Greased bearing"),
        order("b.csv", 3, "Greased bearing"), order("b.csv", 4, "Greased bearing", asset="P-2"),
        order("b.csv", 5, "Replaced seal")])
    found = find_duplicates([second, first])  # path order decides which file keeps a record, not list order
    assert found.work_orders == {("b.csv", 1), ("b.csv", 2)}  # b's third repeat is one more than a held
    assert found.problems() == [("P-1", "b.csv: 2 work orders already in a.csv left out as duplicates")]
    assert not find_duplicates([first])  # a record repeated within one export is left to that export


def test_same_ids_across_files_are_one_record_even_when_a_later_export_changed_them() -> None:
    old = WorkOrder("2024/wo.csv", 1, "WO-7", "2024-01-05", "P-1", "Seal leak", cost=100.0)
    new = WorkOrder("2025/wo.csv", 9, "WO-7", "2024-01-05", "P-1", "Seal leak, replaced", cost=140.0)
    other_asset = WorkOrder("2025/wo.csv", 10, "WO-7", "2024-01-05", "P-2", "Seal leak", cost=100.0)
    found = find_duplicates([ParsedFile("2024/wo.csv", "", "work_orders", work_orders=[old]),
                             ParsedFile("2025/wo.csv", "", "work_orders", work_orders=[new, other_asset])])
    assert found.work_orders == {("2025/wo.csv", 9)}
    assert found.note_for("2025/wo.csv") == "duplicates left out: 1 work order already in 2024/wo.csv"


def test_a_sensor_log_saved_twice_is_analysed_once(index_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    pump_log().to_csv(folder / "P-901.csv", index=False)
    pump_log().to_csv(folder / "P-901_copy.csv", index=False, sep=";")  # same readings, another delimiter
    run = run_batch(folder, tmp_path / "out", FAST, FakeFactory(str(index_dir)))
    record = _records(tmp_path / "out")["P-901"]
    assert [a["source"] for a in record["anomalies"]] == ["P-901.csv"] and record["counts"]["sensor_files"] == 1
    assert run.notes == ["duplicates: P-901_copy.csv repeats 1 sensor log of P-901.csv (same asset and readings): "
                         "counted once"]


def test_a_symlink_loop_and_links_out_of_the_folder_are_not_followed_and_each_file_counts_once(
        index_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "wo.csv").write_text(WORK_ORDERS)
    (folder / "sub" / "up").symlink_to("..")  # a loop: in/sub/up/sub/up/... (x41 before the fix)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.csv").write_text(WORK_ORDERS.replace("P-901", "X-1"))
    (folder / "elsewhere").symlink_to(outside)
    (folder / "secret.csv").symlink_to(outside / "secret.csv")
    (folder / "wo_link.csv").symlink_to(folder / "sub" / "wo.csv")
    (folder / "gone.csv").symlink_to(tmp_path / "missing.csv")
    os.mkfifo(folder / "pipe.csv")  # reading a pipe would wait for ever
    listing = list_inputs(folder)
    assert [p.relative_to(folder).as_posix() for p in listing.files] == ["sub/wo.csv"]
    reasons = dict(listing.skipped)
    assert set(reasons) == {"elsewhere", "gone.csv", "pipe.csv", "secret.csv", "sub/up", "wo_link.csv"}
    assert "outside the input folder" in reasons["elsewhere"] and "outside" in reasons["secret.csv"]
    assert "loop" in reasons["sub/up"] and "sub/wo.csv is read under its own name" in reasons["wo_link.csv"]
    assert "broken" in reasons["gone.csv"] and "not a regular file" in reasons["pipe.csv"]
    started = time.monotonic()
    run = run_batch(folder, tmp_path / "out", FAST, FakeFactory(str(index_dir)))
    assert time.monotonic() - started < 60
    assert run.assets == ["P-901", "P-902"] and _records(tmp_path / "out")["P-901"]["counts"]["work_orders"] == 4
    assert run.notes == ["5 symbolic link(s) not followed: elsewhere, gone.csv, secret.csv, sub/up, wo_link.csv "
                         "(see the input files)"]
    assert [f["source"] for f in run.files if f["kind"] == "skipped"] == sorted(reasons)
    assert str(outside) not in (tmp_path / "out" / "report.md").read_text()  # no path outside the folder shown


def test_empty_and_degenerate_files_never_spoil_the_others(index_dir: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wo.csv").write_text(WORK_ORDERS)
    (folder / "P-901_empty.csv").write_bytes(b"")
    (folder / "P-901_header.csv").write_text("timestamp,vibration_mm_s,bearing_temp_c\n")
    (folder / "P-901_times.csv").write_text("timestamp\n2024-06-01 00:00\n2024-06-01 00:05\n")
    (folder / "P-901_short.csv").write_text("timestamp,vibration_mm_s\n2024-06-01 00:00,1.2\n")
    monkeypatch.setattr("index.embeddings.make_embedder", lambda *a, **k: HashingEmbedder(64))
    code = main(["batch", str(folder), "--out", str(tmp_path / "out"), "--no-llm", "--no-plots",
                 "--index", str(index_dir), "--embedder", "fake"])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    files = {f["source"]: f for f in load_report(tmp_path / "out")["run"]["files"]}
    assert files["P-901_empty.csv"]["kind"] == "skipped" and files["P-901_empty.csv"]["reason"] == "empty file"
    assert files["P-901_header.csv"]["kind"] == "skipped" and "no data rows" in files["P-901_header.csv"]["reason"]
    assert files["P-901_times.csv"]["kind"] == "failed" and "no sensor channels" in files["P-901_times.csv"]["reason"]
    assert "failed: P-901_times.csv: P-901_times.csv: no sensor channels" in captured.out
    record = _records(tmp_path / "out")["P-901"]
    assert record["counts"]["work_orders"] == 4  # the good export is summarised as ever
    assert any("P-901_short.csv: not analysed (the log has only 1 reading" in p for p in record["data_problems"])


def test_a_rerun_with_duplicates_resumes_byte_identically(index_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text(WORK_ORDERS)
    (folder / "b.csv").write_text(WORK_ORDERS)
    out = tmp_path / "out"
    first = run_batch(folder, out, BatchOptions(workers=1), FakeFactory(str(index_dir)))
    before = {p.name: p.read_bytes() for p in out.glob("report.*")}
    again = run_batch(folder, out, BatchOptions(workers=1), FakeFactory(str(index_dir), interrupt_after=0))
    assert first.computed == ["P-901", "P-902"] and again.resumed == ["P-901", "P-902"]
    assert {p.name: p.read_bytes() for p in out.glob("report.*")} == before
