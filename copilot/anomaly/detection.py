"""Sensor frame -> Detection: operating states, smoothing, a detector fitted on normal rows, calibrated scores, events.

The detector is fitted on rows known to be normal: a separate normal-operation log (`fit`), the first `fit_rows`, or
the first `fit_fraction` of the log. Off/idle samples are left out of fitting and scoring
(`copilot.anomaly.states`), so a stop is not an anomaly. Signals are smoothed with a centred window before scoring
(a sustained change is what a planner acts on; a one-sample spike is not), and every detector's score is calibrated
on the fit rows so 1.0 is the alarm level. Pure apart from the detector's own fitting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from copilot.anomaly.detectors import Calibration, make_detector
from copilot.anomaly.detectors.base import robust_location_scale
from copilot.anomaly.detectors.drift import RelationshipDrift
from copilot.anomaly.events import build_events, hysteresis, sustained_shift
from copilot.anomaly.states import OperatingStates, operating_states
from copilot.anomaly.variability import variability_excess
from copilot.config import AnomalyConfig
from copilot.errors import SensorDataError
from copilot.records import AnomalyEvent, FitSummary

MIN_FIT_ROWS = 10
WARN_TRIMMED_SHARE = 0.005  # warn when calibration leaves out more than 0.5% of the fit rows ...
MIN_TRIMMED_ROWS = 5  # ... and at least this many


@dataclass(frozen=True)
class Detection:
    """Everything one detector run found, aligned with the frame's rows."""

    detector: str
    index: pd.DatetimeIndex
    channels: list[str]
    score: np.ndarray  # (n,) calibrated, NaN where not scored (off, settling, no data)
    deviation: np.ndarray  # (n, c) signed robust z of each smoothed channel
    abnormal: np.ndarray  # (n,) bool after hysteresis
    events: list[AnomalyEvent]
    states: OperatingStates
    fit_info: FitSummary


def fit_rows_for(n: int, cfg: AnomalyConfig) -> int:
    rows = cfg.fit_rows if cfg.fit_rows is not None else int(n * cfg.fit_fraction)
    return max(min(rows, n), min(n, MIN_FIT_ROWS))


def smooth(values: np.ndarray, running: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling mean over running samples only (off samples neither count nor get pulled in), gap-filled."""
    masked = np.where(running[:, None], values, np.nan)
    frame = pd.DataFrame(masked)
    if window > 1:
        frame = frame.rolling(window, center=True, min_periods=1).mean()
    return frame.ffill().bfill().fillna(0.0).to_numpy()


def noise_ratio(raw: np.ndarray, smoothed: np.ndarray) -> np.ndarray:
    """Per channel, the robust spread of the raw fit rows over that of the smoothed ones (1.0: smoothing removed no
    noise). Smoothing divides white noise by up to sqrt(window), which inflates the robust z of any change; the
    calibration's noise floor uses this ratio to ask a change to exceed the raw scatter too."""
    _, raw_spread = robust_location_scale(raw)
    _, smooth_spread = robust_location_scale(smoothed)
    return np.maximum(raw_spread / smooth_spread, 1.0)


def fit_window_warning(index: pd.DatetimeIndex, fit_positions: np.ndarray, trimmed: np.ndarray, source: str
                       ) -> str | None:
    """A warning when calibration left out a noticeable share of the fit rows: the 'normal' window was not normal."""
    count = int(trimmed.sum())
    if count == 0 or count < max(MIN_TRIMMED_ROWS, WARN_TRIMMED_SHARE * trimmed.size):
        return None
    rows = fit_positions[trimmed]
    where = (f" from {index[rows[0]].isoformat()} to {index[rows[-1]].isoformat()}"
             if rows.size and len(index) > int(rows[-1]) else "")
    advice = ("pass --fit FILE with a log of normal operation" if source == "fit log" else
              "pass --fit-rows N or --fit FILE with a period of normal operation")
    return (f"the fit window ({source}) looks abnormal: {count} of its {trimmed.size} running samples"
            f"{where} lie far outside the rest and were left out of the calibration; if that period was not normal "
            f"operation, {advice}")


def dilate(mask: np.ndarray, width: int) -> np.ndarray:
    """`mask` widened by `width` samples on each side."""
    if width <= 0 or not mask.any():
        return mask.copy()
    counts = np.convolve(mask.astype(int), np.ones(2 * width + 1, dtype=int), mode="same")
    return counts > 0


def run_detection(frame: pd.DataFrame, cfg: AnomalyConfig, fit: pd.DataFrame | None = None,
                  detector: str | None = None) -> Detection:
    """Fit the configured detector on normal rows and score every row of `frame`.

    Args:
        frame: DatetimeIndex, numeric channel columns (as `read_sensor_frame` gives).
        fit: a separate normal-operation frame with the same channels; else the first rows of `frame` are used.
        detector: override `cfg.detector` (the evaluation compares all of them on the same data).
    Raises:
        SensorDataError: a log too short to learn from, too few normal running rows to fit on, or a fit log without
            the frame's channels.
    """
    if fit is None and len(frame) < MIN_FIT_ROWS:
        raise SensorDataError(f"the log has only {len(frame)} reading(s): anomaly detection needs at least "
                              f"{MIN_FIT_ROWS} to learn normal behaviour; export a longer time range, or pass --fit "
                              "FILE with a normal-operation log")
    channels = [str(c) for c in frame.columns]
    raw = frame.to_numpy(dtype=float)
    states = operating_states(raw, channels, cfg.settle, cfg.states)
    values = smooth(raw, states.running, cfg.window)
    if fit is not None:
        missing = [c for c in channels if c not in fit.columns]
        if missing:
            raise SensorDataError(f"the fit log has no column(s) {missing}: give a normal-operation log with the "
                                  f"same channels as the analysed one ({channels})")
        fit_raw = fit[channels].to_numpy(dtype=float)
        fit_states = operating_states(fit_raw, channels, cfg.settle, cfg.states)
        normal = smooth(fit_raw, fit_states.running, cfg.window)[fit_states.scored]
        normal_raw = fit_raw[fit_states.scored]
        fit_index, fit_positions = fit.index, np.flatnonzero(fit_states.scored)
        variability = variability_excess(raw, states.scored, fit_raw, fit_states.scored, max(3, cfg.window // 2))
        source, offered = "fit log", int(len(fit_raw))
    else:
        rows = fit_rows_for(len(raw), cfg)
        normal = values[:rows][states.scored[:rows]]
        normal_raw = raw[:rows][states.scored[:rows]]
        fit_index, fit_positions = frame.index, np.flatnonzero(states.scored[:rows])
        variability = variability_excess(raw, states.scored, raw[:rows], states.scored[:rows],
                                         max(3, cfg.window // 2))
        source, offered = "first rows", rows
    if len(normal) < MIN_FIT_ROWS:
        raise SensorDataError(
            f"only {len(normal)} normal running samples to fit on (need {MIN_FIT_ROWS}): pass --fit-rows N with more "
            "rows, or --fit FILE with a normal-operation log")
    model = make_detector(cfg, detector)
    model.fit(normal, noise_ratio(normal_raw, normal) if cfg.window > 1 else None)
    calibration = model.calibration
    scores = model.score(values)
    score = np.where(states.scored, scores.score, np.nan)
    abnormal = hysteresis(np.nan_to_num(score, nan=0.0), cfg.release) & states.scored
    abnormal |= sustained_shift(scores.contribution, scores.deviation, states.scored, cfg.sustain_level,
                                cfg.sustain_windows * cfg.window)
    normal_level = np.nanmedian(normal, axis=0)
    events = build_events(frame.index, raw, channels, score, scores.deviation, scores.contribution, abnormal, cfg,
                          normal_level, model.name, states.scored, variability)
    drift = RelationshipDrift(Calibration.from_config(cfg), span=2 * cfg.window)
    drift_pairs = None
    if cfg.drift and drift.usable(len(normal)):
        drift.fit(normal)
        found = drift.score(values, states.scored)
        quiet = states.scored & ~dilate(abnormal, cfg.merge_gap)  # drift events never touch a level event
        drift_score = np.where(quiet, found.score, np.nan)
        drift_abnormal = hysteresis(np.nan_to_num(drift_score, nan=0.0), cfg.release) & quiet
        drift_events = build_events(frame.index, raw, channels, drift_score, found.deviation, found.contribution,
                                    drift_abnormal, replace(cfg, min_points=max(cfg.min_points, drift.span)),
                                    normal_level, f"{model.name}+drift", states.scored,
                                    variability)
        events = sorted(events + drift_events, key=lambda e: e.start)
        abnormal = abnormal | drift_abnormal
        score = np.fmax(score, drift_score)
        drift_pairs = {channels[j]: channels[int(p)] for j, p in enumerate(drift.partner) if p >= 0}
    warning = fit_window_warning(fit_index, fit_positions, calibration.trimmed, source)
    info = FitSummary(source, offered, int(len(normal)), model.name, cfg.window, tuple(states.state_channels),
                      states.stops, round(states.off_share, 4), int(calibration.trimmed.sum()),
                      tuple(round(float(x), 2) for x in calibration.upper),
                      tuple(round(float(x), 2) for x in calibration.lower), drift_pairs, warning or None)
    return Detection(model.name, frame.index, channels, score, scores.deviation, abnormal, events, states, info)

