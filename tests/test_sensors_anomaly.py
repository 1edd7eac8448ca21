import numpy as np
import pandas as pd
import pytest

from copilot.anomaly import detect
from copilot.config import AnomalyConfig
from copilot.errors import SensorDataError
from copilot.sensors import read_sensor_csv, read_sensor_frame


def synthetic(n: int = 600, step_at: int = 400, seed: int = 0) -> pd.DataFrame:
    """A daily-cycle signal plus noise with one injected step on vibration from `step_at` on."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    vib = 2.0 + 0.3 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 0.05, n)
    temp = 45 + 2 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 0.2, n)
    vib[step_at:] += 2.0
    index = pd.date_range("2025-03-01", periods=n, freq="5min")
    return pd.DataFrame({"vibration_mm_s": vib, "bearing_temp_c": temp}, index=index)


def test_an_injected_step_is_found_on_the_right_channel_and_window() -> None:
    frame = synthetic()
    events = detect(frame, AnomalyConfig(fit_rows=300))
    assert len(events) == 1
    event = events[0]
    assert event.channels == ("vibration_mm_s",) and event.direction == "up"
    assert pd.Timestamp(event.start) == frame.index[400] or abs(
        (pd.Timestamp(event.start) - frame.index[400]) / pd.Timedelta("5min")) <= 2


def test_normal_data_gives_no_event() -> None:
    frame = synthetic(step_at=10_000)
    assert detect(frame, AnomalyConfig(fit_rows=300)) == []


def test_long_form_and_epoch_timestamps_are_read(tmp_path) -> None:
    path = tmp_path / "long.csv"
    rows = ["ts;channel;value"] + [f"{1735689600 + 60 * i};vib;{1 + i % 3}" for i in range(10)]
    rows += [f"{1735689600 + 60 * i};temp;{40 + i}" for i in range(10)]
    path.write_text("\n".join(rows))
    frame = read_sensor_csv(path)
    assert list(frame.data.columns) == ["temp", "vib"] and len(frame.data) == 10
    assert frame.data.index[0] == pd.Timestamp("2025-01-01 00:00:00")


def test_a_csv_without_timestamps_says_what_to_add(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(SensorDataError, match="no timestamp column"):
        read_sensor_csv(path)


def test_unparsable_rows_become_warnings_naming_the_lines() -> None:
    raw = pd.DataFrame({"timestamp": ["2025-01-01 00:00", "garbage", "2025-01-01 00:10"], "vib": ["1", "2", "x"]})
    frame = read_sensor_frame(raw, "raw")
    assert len(frame.data) == 2
    assert any("file lines [3]" in w for w in frame.warnings)
    assert any("unparsable values" in w for w in frame.warnings)


def test_no_numeric_channel_is_an_error() -> None:
    raw = pd.DataFrame({"timestamp": ["2025-01-01 00:00", "2025-01-01 00:05"], "note": ["ok", "fine"]})
    with pytest.raises(SensorDataError, match="no numeric channel"):
        read_sensor_frame(raw, "raw")
