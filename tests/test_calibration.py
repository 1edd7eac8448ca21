import numpy as np
import pandas as pd
import pytest

from copilot.anomaly.detection import run_detection
from copilot.anomaly.detectors.calibration import Calibration, calibrate, effective_sample_size, trimmed_rows
from copilot.anomaly.events import merge_across_stops
from copilot.config import AnomalyConfig


def wandering_log(n: int = 3000, dips: tuple[int, ...] = (400, 2300), depth: float = 50.0, seed: int = 0
                  ) -> pd.DataFrame:
    """A machine temperature that wanders around 90 (a random walk pulled back to its level) with deep dips."""
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = 0.98 * x[i - 1] + rng.normal(0, 1.0)
    temp = 90 + 1.0 * x
    for at in dips:
        temp[at:at + 120] -= depth * np.hanning(120)
    return pd.DataFrame({"temp_c": temp}, index=pd.date_range("2025-01-01", periods=n, freq="5min"))


def test_effective_sample_size_is_n_for_white_noise_and_small_for_a_slow_signal() -> None:
    rng = np.random.default_rng(0)
    assert effective_sample_size(rng.normal(size=2000)) > 1500
    slow = np.sin(np.linspace(0, 4 * np.pi, 2000)) + rng.normal(0, 0.01, 2000)
    assert effective_sample_size(slow) < 50


def test_trimming_leaves_out_the_dip_inside_the_fit_window_only() -> None:
    z = np.random.default_rng(1).normal(size=(1000, 1))
    z[500:520] -= 20
    out = trimmed_rows(z, 5.0)
    assert out[500:520].all() and out.sum() <= 22  # the dip, and at most a stray noise sample


def test_a_dip_inside_the_fit_window_no_longer_lifts_the_threshold_out_of_reach() -> None:
    z = np.random.default_rng(2).normal(size=(2000, 1))
    clean = calibrate(z, Calibration(), signed=True)
    z[300:340] -= 15
    dirty = calibrate(z, Calibration(), signed=True)
    assert dirty.trimmed[300:340].all()
    assert dirty.lower[0] == pytest.approx(clean.lower[0], rel=0.15)
    assert dirty.lower[0] < 8  # the largest fit score (15) times any margin would be out of reach


def test_thresholds_stay_between_floor_and_ceiling_and_the_noise_floor_raises_them() -> None:
    slow = np.sin(np.linspace(0, np.pi, 400))[:, None]  # half a cycle: n_eff tiny, the t bound explodes
    fitted = calibrate(slow, Calibration(ceiling=12.0), signed=True)
    assert fitted.upper[0] == 12.0
    quiet = np.random.default_rng(3).normal(size=(5000, 1))
    assert calibrate(quiet, Calibration(floor=3.0), signed=True).upper[0] >= 3.0
    noisy = calibrate(quiet, Calibration(noise_floor=2.0), signed=True, noise=np.array([5.0]))
    assert noisy.upper[0] == pytest.approx(10.0)


def test_a_real_looking_log_with_a_dip_in_its_fit_window_still_gets_its_later_dip_and_a_warning() -> None:
    found = run_detection(wandering_log(), AnomalyConfig())
    assert any(pd.Timestamp(e.start) >= found.index[2290] for e in found.events), found.events
    assert len(found.events) <= 4
    assert "looks abnormal" in (found.fit_info.warning or "")


def test_a_clean_fit_window_gives_no_warning() -> None:
    found = run_detection(wandering_log(dips=(2300,)), AnomalyConfig())
    assert found.fit_info.warning is None
    assert found.events


def test_a_fault_that_persists_through_a_stop_is_one_event_but_a_new_fault_after_it_is_not() -> None:
    scored = np.ones(100, bool)
    scored[40:60] = False  # a stop
    spans = [(30, 39), (60, 70)]
    assert merge_across_stops(spans, scored, 6, [(0, True), (0, True)]) == [(30, 70)]
    assert merge_across_stops(spans, scored, 6, [(0, True), (1, False)]) == spans
    assert merge_across_stops([(10, 20), (40, 50)], np.ones(100, bool), 6, [(0, True)] * 2) == [(10, 20), (40, 50)]


def test_calibration_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="threshold_ceiling"):
        AnomalyConfig(z_threshold=5.0, threshold_ceiling=4.0)
    with pytest.raises(ValueError, match="tail_probability"):
        AnomalyConfig(tail_probability=0.7)
