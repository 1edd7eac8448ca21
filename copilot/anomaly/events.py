"""Abnormal samples -> events: hysteresis, merged windows, onset, end, peak, direction, severity and channels. Pure.

An event opens where the calibrated score exceeds 1.0 and stays open while it remains above `release` (hysteresis:
the alarm does not chatter at the threshold, and the window covers the whole excursion, not only its peak). Windows
closer than `merge_gap` samples are one event, and so are windows separated only by a stop (unscored samples) when the
same channel leads both the same way (a fault persists through a stop); a window with fewer than `min_points` abnormal
samples is dropped. A run of `sustain_windows` smoothing windows with one channel beyond `sustain_level` of its
threshold on one side is abnormal too (`sustained_shift`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from copilot.config import AnomalyConfig
from copilot.records import AnomalyEvent

ERRATIC_Z = 3.0  # both signs beyond this robust z within one event on one channel: erratic
SECONDARY = 0.5  # a channel at half its threshold or more within an event is involved


def hysteresis(score: np.ndarray, release: float) -> np.ndarray:
    """True from each crossing above 1.0 until the score falls to `release` or below (NaN ends a run)."""
    above = score > 1.0
    keep = score > release
    out = np.zeros(score.shape[0], dtype=bool)
    on = False
    for i in np.flatnonzero(keep | above):  # only candidate samples are visited
        if on and i > 0 and not keep[i - 1]:
            on = False
        if not on and above[i]:
            on = True
        out[i] = on and keep[i]
    return out


def sustained_shift(contribution: np.ndarray, deviation: np.ndarray, scored: np.ndarray, level: float,
                    length: int) -> np.ndarray:
    """Samples inside a run of at least `length` scored samples where one channel stays beyond `level` x its own
    threshold on one side (the run rule of statistical process control: a small shift that persists is as sure a
    sign as a large brief one). A stop breaks a run; so does the channel crossing back or changing side.

    Args:
        contribution: (n, c) per-channel score, 1.0 at that channel's threshold.
        deviation: (n, c) signed deviation (its sign is the side).
        scored: (n,) bool, samples that are scored (running, settled).
    """
    out = np.zeros(scored.shape[0], dtype=bool)
    if length <= 0 or level <= 0:
        return out
    beyond = (np.nan_to_num(contribution) >= level) & scored[:, None]
    side = np.sign(np.nan_to_num(deviation))
    for j in range(beyond.shape[1]):
        for sign in (1.0, -1.0):
            for start, end in runs(beyond[:, j] & (side[:, j] == sign), 0):
                if end - start + 1 >= length:
                    out[start:end + 1] = True
    return out


def runs(mask: np.ndarray, merge_gap: int) -> list[tuple[int, int]]:
    """(start, end) index pairs of True runs, merging runs separated by at most `merge_gap` samples."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > merge_gap + 1)
    starts = np.r_[idx[0], idx[breaks + 1]]
    ends = np.r_[idx[breaks], idx[-1]]
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def merge_across_stops(spans: list[tuple[int, int]], scored: np.ndarray, merge_gap: int,
                       signature: list[tuple[int, bool]]) -> list[tuple[int, int]]:
    """Join consecutive abnormal spans separated only by unscored samples (a stop, a restart settling) plus at most
    `merge_gap` scored ones, when both show the same dominant channel moving the same way: one fault that persists
    through a stop is one event; a different fault after the stop stays a separate event."""
    if not spans:
        return []
    position = np.cumsum(scored)
    merged = [spans[0]]
    last = signature[0]
    for span, sign in zip(spans[1:], signature[1:], strict=True):
        gap = int(position[span[0] - 1] - position[merged[-1][1]])  # scored samples strictly between the two
        if sign == last and gap <= merge_gap:
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
            last = sign
    return merged


def _direction(z: np.ndarray) -> str:
    top, bottom = float(np.nanmax(z)), float(np.nanmin(z))
    if top > ERRATIC_Z and bottom < -ERRATIC_Z and min(top, -bottom) > 0.3 * max(top, -bottom):
        return "erratic"
    return "up" if abs(top) >= abs(bottom) else "down"


def severity_of(score: float) -> str:
    """Calibrated peak score -> low (just over the threshold) | medium (1.8x) | high (3x)."""
    return "high" if score >= 3.0 else "medium" if score >= 1.8 else "low"


def channel_levels(deviation: np.ndarray, contribution: np.ndarray, scored: np.ndarray | None
                   ) -> list[tuple[float, float]]:
    """Per channel, the 10th and 90th percentile over an event of its signed deviation in threshold units (the
    contribution, which is 1.0 at the channel's threshold, with the sign of its deviation)."""
    signed = np.sign(np.nan_to_num(deviation)) * np.nan_to_num(contribution)
    if scored is not None and scored.any():
        signed = signed[scored]
    low, high = np.percentile(signed, [10, 90], axis=0)
    return [(round(float(a), 2), round(float(b), 2)) for a, b in zip(low, high, strict=True)]


def build_events(index: pd.DatetimeIndex, raw: np.ndarray, channels: list[str], score: np.ndarray,
                 deviation: np.ndarray, contribution: np.ndarray, abnormal: np.ndarray, cfg: AnomalyConfig,
                 normal_level: np.ndarray | None = None, detector: str = "", scored: np.ndarray | None = None,
                 variability: np.ndarray | None = None) -> list[AnomalyEvent]:
    """One AnomalyEvent per merged abnormal window, strongest channels first (`scored`: see `runs`;
    `variability`: (n, c) from `copilot.anomaly.variability`, quoted per channel as diagnostic evidence)."""
    events = []
    spans = runs(abnormal, cfg.merge_gap)
    if scored is not None and len(spans) > 1:
        signature = []
        for start, end in spans:
            peak = np.nan_to_num(contribution[start:end + 1]).max(axis=0)
            j = int(np.argmax(peak))
            signature.append((j, bool(np.nanmean(deviation[start:end + 1, j]) >= 0)))
        spans = merge_across_stops(spans, scored, cfg.merge_gap, signature)
    for start, end in spans:
        if int(abnormal[start:end + 1].sum()) < cfg.min_points:
            continue
        window_contrib = np.nan_to_num(contribution[start:end + 1])
        peak_contrib = window_contrib.max(axis=0)
        # A secondary channel must be half-way to its threshold for a tenth of the event, not in one noisy sample
        # (over a two-day event every quiet channel touches half its threshold once).
        sustained = np.percentile(window_contrib, 90, axis=0)
        order = np.argsort(-peak_contrib)
        # Channels over their own threshold, then those at least half-way there (a secondary symptom: the flow that
        # sags while the pressure alarms is evidence for the diagnosis even when it would not alarm on its own).
        involved = [int(j) for j in order if peak_contrib[j] >= 1.0 or sustained[j] >= SECONDARY]
        if not involved:  # a multivariate alarm no single channel explains: the channels carrying most of it
            involved = [int(j) for j in order if peak_contrib[j] >= 0.5 * peak_contrib[order[0]]]
        window_z = deviation[start:end + 1]
        peak_j = involved[0]
        peak_row = start + int(np.nanargmax(np.abs(np.nan_to_num(window_z[:, peak_j]))))
        score_row = start + int(np.nanargmax(np.nan_to_num(score[start:end + 1], nan=-np.inf)))
        directions = {channels[j]: _direction(window_z[:, j]) for j in involved}
        kinds = set(directions.values())
        direction = kinds.pop() if len(kinds) == 1 else "mixed"
        peak_score = float(np.nanmax(score[start:end + 1]))
        levels = channel_levels(deviation[start:end + 1], window_contrib,
                                None if scored is None else scored[start:end + 1])
        events.append(AnomalyEvent(
            start=index[start].isoformat(), end=index[end].isoformat(),
            channels=tuple(channels[j] for j in involved), peak_channel=channels[peak_j],
            peak_value=round(float(raw[peak_row, peak_j]), 4), peak_score=round(float(deviation[peak_row, peak_j]), 2),
            direction=direction, severity=severity_of(peak_score), points=int(abnormal[start:end + 1].sum()),
            peak_time=index[score_row].isoformat(), score=round(peak_score, 2),
            duration_s=float((index[end] - index[start]).total_seconds()), channel_directions=directions,
            normal_values={channels[j]: round(float(normal_level[j]), 4) for j in involved}
            if normal_level is not None else {},
            detector=detector,
            channel_levels={channels[j]: levels[j] for j in range(len(channels))},
            channel_variability={channels[j]: round(float(variability[start:end + 1, j].max()), 2)
                                 for j in range(len(channels))} if variability is not None else {},
        ))
    return events
