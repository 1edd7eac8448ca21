import numpy as np
import pandas as pd
import pytest

from copilot.anomaly.detection import run_detection, smooth
from copilot.anomaly.detectors.base import robust_location_scale
from copilot.anomaly.events import hysteresis, runs, sustained_shift
from copilot.anomaly.sensors import read_sensor_csv, read_sensor_frame
from copilot.anomaly.states import operating_states
from copilot.config import AnomalyConfig
from copilot.errors import SensorDataError


def synthetic(n: int = 600, step_at: int = 400, step: float = 3.0, seed: int = 0) -> pd.DataFrame:
    """A daily-cycle signal plus noise with one injected step on vibration from `step_at` on."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    vib = 2.0 + 0.3 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 0.05, n)
    temp = 45 + 2 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 0.2, n)
    vib[step_at:] += step
    index = pd.date_range("2025-03-01", periods=n, freq="5min")
    return pd.DataFrame({"vibration_mm_s": vib, "bearing_temp_c": temp}, index=index)


def with_stops(frame: pd.DataFrame, stops: list[tuple[int, int]]) -> pd.DataFrame:
    """A pump that stops: vibration, current and flow fall to ~0 together, the bearing cools."""
    out = frame.copy()
    rng = np.random.default_rng(1)
    out["motor_current_a"] = 40 + rng.normal(0, 0.3, len(out))
    out["flow_m3h"] = 110 + rng.normal(0, 1.0, len(out))
    for start, end in stops:
        out.iloc[start:end, [0, 2, 3]] = np.abs(rng.normal(0, 0.02, (end - start, 3)))
        out.iloc[start:end, 1] -= np.linspace(0, 8, end - start)
    return out


@pytest.mark.parametrize("detector", ["robust", "pca", "gru", "ensemble"])
def test_every_detector_finds_an_injected_step_on_the_right_channel_and_window(detector: str) -> None:
    frame = synthetic(step=4.0)
    events = run_detection(frame, AnomalyConfig(fit_rows=300, detector=detector)).events
    assert events, detector
    event = max(events, key=lambda e: e.score)
    assert event.peak_channel == "vibration_mm_s"
    assert event.channel_directions["vibration_mm_s"] == "up"
    assert abs((pd.Timestamp(event.start) - frame.index[400]) / pd.Timedelta("5min")) <= 20
    if detector != "gru":  # a one-step forecaster adapts to a new level: it flags the change, not the whole shift
        assert pd.Timestamp(event.end) == frame.index[-1]


@pytest.mark.parametrize("detector", ["robust", "pca", "gru"])
def test_normal_data_gives_no_event(detector: str) -> None:
    frame = synthetic(step_at=10_000)
    assert run_detection(frame, AnomalyConfig(fit_rows=300, detector=detector)).events == []


def test_a_small_sustained_shift_below_the_calibrated_threshold_is_not_an_event() -> None:
    frame = synthetic(step=0.3)  # within the normal daily swing
    assert run_detection(frame, AnomalyConfig(fit_rows=300)).events == []


def _one_channel(level: float, start: int, end: int, n: int = 400, sign: float = 1.0) -> tuple[np.ndarray, ...]:
    contribution = np.full((n, 2), 0.2)
    contribution[start:end, 0] = level
    deviation = np.ones((n, 2)) * sign
    return contribution, deviation, np.ones(n, dtype=bool)


def test_a_long_run_just_below_the_threshold_is_abnormal_a_short_one_is_not() -> None:
    contribution, deviation, scored = _one_channel(0.85, 100, 250)  # 150 samples at 0.85 of the threshold
    flagged = sustained_shift(contribution, deviation, scored, level=0.8, length=120)
    assert flagged[100:250].all() and not flagged[:100].any() and not flagged[250:].any()
    contribution, deviation, scored = _one_channel(0.85, 100, 200)  # 100 samples: too short
    assert not sustained_shift(contribution, deviation, scored, level=0.8, length=120).any()
    assert not sustained_shift(*_one_channel(0.85, 100, 250), level=0.8, length=0).any()  # turned off


def test_a_run_is_broken_by_a_stop_and_by_a_change_of_side() -> None:
    contribution, deviation, scored = _one_channel(0.9, 100, 300)
    scored[190:200] = False  # a stop in the middle: 90 and 100 samples either side
    assert not sustained_shift(contribution, deviation, scored, level=0.8, length=120).any()
    contribution, deviation, scored = _one_channel(0.9, 100, 300)
    deviation[200:300, 0] = -1.0  # wandering above then below normal is not one sustained shift
    assert not sustained_shift(contribution, deviation, scored, level=0.8, length=120).any()


def test_a_sustained_shift_under_the_threshold_becomes_a_low_severity_event() -> None:
    frame = synthetic(step_at=10_000)
    found = run_detection(frame, AnomalyConfig(fit_rows=300))
    threshold = found.fit_info.upper[0]  # vibration, in robust z of the smoothed signal
    fitted = frame.to_numpy()[:300]
    _, spread = robust_location_scale(smooth(fitted, np.ones(300, dtype=bool), AnomalyConfig().window))
    spread = float(spread[0])
    shifted = frame.copy()
    shifted.iloc[400:, 0] += 0.9 * threshold * spread  # 200 samples at 0.9 of the threshold, never over it
    events = run_detection(shifted, AnomalyConfig(fit_rows=300)).events
    assert [(e.peak_channel, e.severity) for e in events] == [("vibration_mm_s", "low")]
    assert run_detection(shifted, AnomalyConfig(fit_rows=300, sustain_windows=0)).events == []


def test_pump_stops_are_operating_states_not_anomalies() -> None:
    frame = with_stops(synthetic(step_at=10_000), [(150, 180), (350, 380), (500, 520)])
    found = run_detection(frame, AnomalyConfig(fit_rows=120))
    assert found.events == []
    assert found.states.stops == 3
    assert set(found.states.state_channels) >= {"vibration_mm_s", "motor_current_a", "flow_m3h"}
    assert not found.states.scored[150:180].any()


def test_without_state_awareness_the_same_stops_raise_alarms() -> None:
    frame = with_stops(synthetic(step_at=10_000), [(150, 180), (350, 380), (500, 520)])
    assert run_detection(frame, AnomalyConfig(fit_rows=120, states=False)).events


def test_a_fault_while_running_is_still_found_between_stops() -> None:
    frame = with_stops(synthetic(step_at=420), [(150, 180), (350, 380)])
    events = run_detection(frame, AnomalyConfig(fit_rows=120)).events
    assert [e.peak_channel for e in events] == ["vibration_mm_s"]


def test_a_single_collapsing_channel_is_not_explained_away_as_a_stop() -> None:
    values = np.c_[np.r_[np.full(500, 80.0), np.full(100, 2.0)] + np.random.default_rng(0).normal(0, 1, 600)]
    states = operating_states(values, ["temp"])
    assert states.running.all()


def test_a_separate_fit_log_is_used_and_must_have_the_same_channels() -> None:
    normal = synthetic(step_at=10_000, seed=3)
    frame = synthetic(step_at=100, step=4.0)
    found = run_detection(frame, AnomalyConfig(), fit=normal)
    assert found.fit_info.source == "fit log"
    assert pd.Timestamp(found.events[0].start) <= frame.index[110]
    with pytest.raises(SensorDataError, match="no column"):
        run_detection(frame, AnomalyConfig(), fit=normal[["bearing_temp_c"]])


def test_too_few_fit_rows_say_what_to_do() -> None:
    frame = with_stops(synthetic(), [(0, 200)])
    with pytest.raises(SensorDataError, match="--fit-rows"):
        run_detection(frame, AnomalyConfig(fit_rows=150))


def test_hysteresis_holds_an_event_until_the_score_falls_below_release() -> None:
    score = np.array([0.2, 1.2, 0.9, 0.8, 0.5, 1.1, 0.2])
    assert hysteresis(score, 0.7).tolist() == [False, True, True, True, False, True, False]
    assert hysteresis(score, 1.0).tolist() == [False, True, False, False, False, True, False]
    assert runs(np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 1], bool), merge_gap=2) == [(0, 4), (9, 9)]


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
