"""Degenerate sensor logs get one clear line saying what is wrong and what to do; a flat-lined channel a warning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from copilot import Copilot, load_config
from copilot.anomaly.detection import run_detection
from copilot.anomaly.format import format_report
from copilot.anomaly.quality import flat_channel_warnings, flat_channels
from copilot.anomaly.sensors import read_sensor_csv, sniff_delimiter
from copilot.cli import main
from copilot.config import AnomalyConfig
from copilot.errors import USER_ERRORS, SensorDataError
from index import IndexConfig, build_index
from tests.fakes import HashingEmbedder, ScriptedGenerator
from tests.test_anomaly_report import pump_log


@pytest.fixture
def copilot(tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder) -> Copilot:
    index_dir = tmp_path / "idx"
    build_index([tiny_corpus], index_dir, lambda: fake_embedder, IndexConfig(embedder="fake"))
    cfg = load_config(None, {"index_dir": str(index_dir), "index.embedder": "fake"})
    return Copilot.load(cfg, generator=ScriptedGenerator(""), embedder=fake_embedder)


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "empty file: no header and no rows; export the sensor log again"),
    (b"\n \r\n\n", "empty file: no header and no rows"),
    (b"timestamp\n2024-01-01 00:00\n2024-01-01 00:05\n", "no sensor channels: the file holds only the timestamp"),
    (b"timestamp,vib,temp\n", "no data rows (only the header ['timestamp', 'vib', 'temp']); export a time range"),
    (b"timestamp,vib\n2024-01-01 00:00,high\n2024-01-01 00:05,low\n", "no numeric channel (columns: ['vib']): their "
     "values are text, not numbers"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "a binary file, not a CSV text export"),
])
def test_a_degenerate_sensor_csv_is_one_clear_sensor_data_error(tmp_path: Path, content: bytes,
                                                                expected: str) -> None:
    path = tmp_path / "P-901.csv"
    path.write_bytes(content)
    with pytest.raises(SensorDataError) as raised:
        read_sensor_csv(path)
    message = str(raised.value)
    assert message.startswith("P-901.csv: ") and expected in message and "\n" not in message
    assert str(tmp_path) not in message  # the file's name, not the server's path
    assert isinstance(raised.value, USER_ERRORS)  # the API answers 400, the CLI exits 1


def test_a_zero_byte_csv_through_the_cli_exits_1_with_the_message_and_no_traceback(
        copilot: Copilot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr("copilot.cli._load_copilot", lambda args: copilot)
    empty = tmp_path / "P-901.csv"
    empty.write_bytes(b"")
    assert main(["analyse", str(empty)]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == ("error: P-901.csv: empty file: no header and no rows; export the sensor log again "
                                    "(a header line with a timestamp column and the channel names, then one row per "
                                    "reading)")
    assert "Traceback" not in captured.err and captured.out == ""
    times_only = tmp_path / "P-902.csv"
    times_only.write_text("timestamp\n2024-01-01 00:00\n")
    assert main(["analyse", str(times_only)]) == 1
    assert "no sensor channels" in capsys.readouterr().err


def test_a_one_column_file_is_not_split_on_a_letter_of_its_header() -> None:
    assert sniff_delimiter("timestamp\n2024-01-01\n") == ","
    assert sniff_delimiter("\n\ntime;vib;temp\n1;2;3\n") == ";"
    assert sniff_delimiter("time\tvib\n") == "\t"


def test_a_log_of_one_row_says_it_is_too_short_to_learn_from() -> None:
    frame = pd.DataFrame({"vib": [1.2]}, index=pd.DatetimeIndex(["2024-01-01"]))
    with pytest.raises(SensorDataError, match=r"only 1 reading\(s\): anomaly detection needs at least 10"):
        run_detection(frame, AnomalyConfig())


def test_decimal_commas_of_a_semicolon_export_are_read_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "P-901.csv"
    path.write_text("timestamp;vib;temp\n" + "".join(f"2024-01-01 00:0{i};1,{i}5;45,{i}\n" for i in range(5)))
    frame = read_sensor_csv(path)
    assert frame.data["vib"].tolist() == [1.05, 1.15, 1.25, 1.35, 1.45]
    assert "column 'vib': decimal commas read as decimal points" in frame.warnings


def test_flat_channels_are_found_and_varying_ones_are_not() -> None:
    index = pd.date_range("2024-01-01", periods=50, freq="1min")
    noise = np.random.default_rng(0).normal(0, 1, 50)
    frame = pd.DataFrame({"dead": 0.0, "stuck": 4.2 + 1e-12 * noise, "live": noise,
                          "short": [7.0, 7.0] + [np.nan] * 48}, index=index)
    assert [c for c, _, _ in flat_channels(frame)] == ["dead", "stuck"]
    (warning, _) = flat_channel_warnings(frame)
    assert warning.startswith("channel 'dead' is flat-lined: all 50 readings are 0 from 2024-01-01T00:00:00 to "
                              "2024-01-01T00:49:00") and "check the sensor" in warning


def test_a_flat_lined_channel_is_a_warning_in_the_anomaly_report(copilot: Copilot) -> None:
    log = pump_log()
    log["flow_m3h"] = 108.0  # a dead flow transmitter holding its last value
    report = copilot.analyse(log, asset="P-901", fit_rows=300)
    flat = [w for w in report.warnings if "flat-lined" in w]
    assert len(flat) == 1 and flat[0].startswith("channel 'flow_m3h' is flat-lined: all 600 readings are 108")
    assert report.events  # the other channels are still analysed
    assert "warning: channel 'flow_m3h' is flat-lined" in format_report(report)
    assert not [w for w in copilot.analyse(pump_log(), asset="P-901", fit_rows=300).warnings if "flat" in w]


def test_a_flat_lined_channel_is_a_data_problem_in_the_batch_report(copilot: Copilot, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from copilot.batch import BatchOptions, load_report, run_batch

    folder = tmp_path / "in"
    folder.mkdir()
    log = pump_log()
    log["bearing_temp_c"] = 55.0
    log.to_csv(folder / "P-901.csv", index=False)
    run_batch(folder, tmp_path / "out", BatchOptions(workers=1, no_llm=True, plots=False), lambda: copilot)
    (record,) = load_report(tmp_path / "out")["records"]
    assert any(p.startswith("P-901.csv: channel 'bearing_temp_c' is flat-lined") for p in record["data_problems"])
