"""Weak evidence in the diagnosis (below-threshold levels, short-term variability, channel specificity) and the slow
drift detector that finds a fault hidden inside a daily swing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from copilot.anomaly.detection import run_detection
from copilot.anomaly.diagnosis import FailureMode, parse_signature, rank_failure_modes, weak_evidence
from copilot.anomaly.variability import variability_excess
from copilot.config import AnomalyConfig
from copilot.records import AnomalyEvent


def mode(name: str, signature: str) -> FailureMode:
    return FailureMode("boiler", name, "", parse_signature(signature), "", "", "", "", "", 3)


def test_variability_flags_a_frozen_and_a_hunting_stretch_but_not_normal_noise() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(10.0, 0.5, size=(600, 1))
    raw[400:440, 0] = 9.7  # frozen: a stuck valve's flow
    raw[500:540, 0] = 10.0 + np.where(np.arange(40) % 2, 3.0, -3.0)  # hunting
    scored = np.ones(600, bool)
    excess = variability_excess(raw, scored, raw[:300], scored[:300], window=10)
    assert excess[:300, 0].max() < 0.5
    assert excess[410:430, 0].min() >= 1.0
    assert excess[505:535, 0].min() >= 1.0


def test_variability_is_zero_for_a_channel_that_never_moves_in_the_fit_rows() -> None:
    raw = np.zeros((200, 1))
    raw[150:, 0] = np.arange(50)
    scored = np.ones(200, bool)
    assert not variability_excess(raw, scored, raw[:100], scored[:100], window=10).any()


def test_erratic_variability_breaks_a_tie_on_one_flagged_channel() -> None:
    table = [mode("low_water", "level:down;feed:down"), mode("stuck_valve", "feed:erratic;level:erratic")]
    observed = {"level": ("down", "high")}
    tie = rank_failure_modes(observed, table, levels={"feed": (-0.1, 0.1)}, variability={"feed": 0.0})
    assert tie[0].failure_mode == "low_water"  # a plain level drop: the exact direction wins
    ranked = rank_failure_modes(observed, table, levels={"feed": (-0.1, 0.1)},
                                variability={"feed": 2.5, "level": 0.8})
    assert [r.failure_mode for r in ranked] == ["stuck_valve", "low_water"]
    assert any("variability" in str(e) for e in ranked[0].evidence)


def test_a_second_channel_below_threshold_favours_the_mode_that_explains_it() -> None:
    table = [mode("misalignment", "vib:up"), mode("bearing_wear", "vib:up;temp:up")]
    observed = {"vib": ("up", "high")}
    quiet = rank_failure_modes(observed, table, levels={"temp": (-0.05, 0.05)})
    assert quiet[0].failure_mode == "misalignment"
    warm = rank_failure_modes(observed, table, levels={"temp": (0.0, 0.45)})
    assert warm[0].failure_mode == "bearing_wear"
    cold = rank_failure_modes(observed, table, levels={"temp": (-0.45, 0.0)})
    assert cold[0].failure_mode == "misalignment"


def test_a_specific_channel_outweighs_a_shared_one() -> None:
    table = [mode("cavitation", "suction:down;vib:up"), mode("impeller_wear", "discharge:down;current:down"),
             mode("stuck_valve", "discharge:up;current:down"), mode("bearing_wear", "vib:up;temp:up")]
    observed = {"suction": ("down", "high"), "vib": ("up", "high"), "discharge": ("down", "high"),
                "current": ("down", "high")}
    ranked = rank_failure_modes(observed, table, top=4)
    assert ranked[0].failure_mode == "cavitation"  # suction names one mode; discharge and current two each


def test_weak_evidence_weights_events_by_their_length() -> None:
    def event(points: int, low: float, high: float) -> AnomalyEvent:
        return AnomalyEvent("a", "b", ("vib",), "vib", 1.0, 5.0, "up", "high", points,
                            channel_levels={"temp": (low, high)}, channel_variability={"temp": points / 100})

    levels, variability = weak_evidence([event(10, -0.4, 0.0), event(90, 0.0, 0.4)])
    assert levels["temp"] == (-0.04, 0.36)
    assert variability["temp"] == 0.9


def pump_with_leak(n: int = 2000, leak_at: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Flow and discharge pressure move together along a pump curve with a daily demand swing; from `leak_at` the
    flow sags by half its daily swing while the pressure follows the curve as before (a seal leak)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    demand = np.sin(2 * np.pi * t / 288)
    flow = 115 + 12 * demand + rng.normal(0, 1.0, n)
    pressure = 6.35 - 0.2 * demand + rng.normal(0, 0.02, n)
    flow[leak_at:] -= 10.0
    index = pd.date_range("2025-01-06", periods=n, freq="5min")
    return pd.DataFrame({"flow_m3h": flow, "discharge_pressure_bar": pressure}, index=index)


def test_a_drift_inside_the_daily_swing_is_found_against_the_partner_channel() -> None:
    frame = pump_with_leak()
    found = run_detection(frame, AnomalyConfig(fit_rows=900))
    assert found.fit_info.drift_pairs == {"flow_m3h": "discharge_pressure_bar",
                                             "discharge_pressure_bar": "flow_m3h"}
    late = [e for e in found.events if pd.Timestamp(e.end) >= frame.index[1500]]
    assert late and all(e.detector == "robust+drift" for e in late)
    assert any(e.channel_directions.get("flow_m3h") == "down" for e in late)
    assert not found.abnormal[:1400].any()
    without = run_detection(frame, AnomalyConfig(fit_rows=900, drift=False))
    assert not without.abnormal.any()  # the level alone stays inside its normal range


def test_drift_needs_a_fit_window_of_many_spans() -> None:
    frame = pump_with_leak()
    found = run_detection(frame, AnomalyConfig(fit_rows=400))  # 400 < 10 spans of 60 samples
    assert found.fit_info.drift_pairs is None


def test_events_carry_levels_and_variability_for_every_channel() -> None:
    frame = pump_with_leak()
    frame.iloc[1500:, 0] += 40.0  # a level fault the level detector flags
    frame.iloc[1600:1700, 1] = 6.30  # and a frozen pressure reading inside it
    found = run_detection(frame, AnomalyConfig(fit_rows=900))
    event = max(found.events, key=lambda e: e.score)
    assert set(event.channel_levels) == set(event.channel_variability) == set(frame.columns)
    low, high = event.channel_levels["flow_m3h"]
    assert high >= 1.0 and low <= high
    assert event.channel_variability["discharge_pressure_bar"] >= 1.0
    assert event.channel_variability["flow_m3h"] < 1.0
