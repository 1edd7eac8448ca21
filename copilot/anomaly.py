"""detect(frame, cfg) -> list[AnomalyEvent]: robust per-channel baseline (median/MAD) and event merging. Pure.

The baseline is fitted on rows known to be normal (the first `fit_rows`, or the first 30% of the log), so a slow
drift such as bearing wear is not absorbed into it the way a rolling window would absorb it. Scores are robust
z-scores, lightly smoothed so one spike is not an event; contiguous abnormal samples become one event.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from copilot.config import AnomalyConfig
from copilot.records import AnomalyEvent

MAD_SCALE = 1.4826  # makes MAD a consistent estimator of the standard deviation for normal data
DEFAULT_FIT_FRACTION = 0.3


def fit_rows_for(frame: pd.DataFrame, cfg: AnomalyConfig) -> int:
    rows = cfg.fit_rows if cfg.fit_rows is not None else int(len(frame) * DEFAULT_FIT_FRACTION)
    return max(min(rows, len(frame)), min(len(frame), 10))


def robust_scores(frame: pd.DataFrame, cfg: AnomalyConfig) -> pd.DataFrame:
    """Signed robust z-score of every sample against the normal-period median and MAD, smoothed over 3 samples."""
    normal = frame.iloc[: fit_rows_for(frame, cfg)]
    median = normal.median()
    spread = MAD_SCALE * (normal - median).abs().median()
    floor = 0.01 * median.abs().clip(lower=1e-6) + 1e-9  # a flat channel must not make every wiggle infinite
    spread = np.maximum(spread, floor)
    z = (frame - median) / spread
    return z.rolling(3, center=True, min_periods=1).median()


def _runs(mask: np.ndarray, merge_gap: int) -> list[tuple[int, int]]:
    """(start, end) index pairs of True runs, merging runs separated by at most `merge_gap` samples."""
    runs: list[tuple[int, int]] = []
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return runs
    start = prev = int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i - prev > merge_gap + 1:
            runs.append((start, prev))
            start = i
        prev = i
    runs.append((start, prev))
    return runs


def detect(frame: pd.DataFrame, cfg: AnomalyConfig) -> list[AnomalyEvent]:
    """Find abnormal windows; each event names its channels, peak, direction and severity."""
    if frame.empty:
        return []
    z = robust_scores(frame, cfg)
    abnormal = z.abs() > cfg.z_threshold
    any_abnormal = abnormal.any(axis=1).to_numpy()
    events = []
    for start, end in _runs(any_abnormal, cfg.merge_gap):
        window = z.iloc[start:end + 1]
        flags = abnormal.iloc[start:end + 1]
        if int(flags.any(axis=1).sum()) < cfg.min_points:
            continue
        channels = [c for c in frame.columns if flags[c].sum() >= max(1, cfg.min_points // 2)]
        if not channels:
            continue
        peak_abs = window[channels].abs()
        peak_channel = str(peak_abs.max().idxmax())
        peak_row = int(np.nanargmax(peak_abs[peak_channel].to_numpy()))
        peak_z = float(window[peak_channel].iloc[peak_row])
        signs = {np.sign(window[c][flags[c]].mean()) for c in channels}
        direction = "mixed" if len(signs) > 1 else ("up" if signs.pop() > 0 else "down")
        ratio = abs(peak_z) / cfg.z_threshold
        severity = "high" if ratio >= 2.0 else "medium" if ratio >= 1.3 else "low"
        events.append(AnomalyEvent(
            start=frame.index[start].isoformat(), end=frame.index[end].isoformat(), channels=tuple(channels),
            peak_channel=peak_channel, peak_value=float(frame[peak_channel].iloc[start + peak_row]),
            peak_score=round(peak_z, 2), direction=direction, severity=severity, points=end - start + 1,
        ))
    return events


def channel_directions(frame: pd.DataFrame, event: AnomalyEvent, cfg: AnomalyConfig) -> dict[str, str]:
    """For each channel of an event: 'up', 'down' or 'erratic' (both signs beyond the threshold)."""
    z = robust_scores(frame, cfg).loc[event.start:event.end]
    out = {}
    for channel in event.channels:
        series = z[channel]
        high = bool((series > cfg.z_threshold).any())
        low = bool((series < -cfg.z_threshold).any())
        out[channel] = "erratic" if high and low else "up" if high else "down"
    return out
