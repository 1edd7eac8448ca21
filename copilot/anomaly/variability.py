"""Short-term variability of each channel against its normal range: the evidence for an `erratic` FMEA signature. Pure.

A smoothed level cannot show a control loop that hunts or a valve that freezes: the mean stays near normal while the
sample-to-sample movement changes. The local spread is the mean absolute first difference of the raw signal over a
centred window of running samples; it is compared, on a log2 scale, with its own range over the fit (normal) rows.
The excess is how many doublings (or halvings) the spread goes beyond the 0.5th-99.5th percentile band of the fit
rows: 0 inside the band, 1 at twice its upper edge or half its lower edge. Used only as diagnostic evidence inside an
event, never to raise an alarm.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

BAND = (0.5, 99.5)  # percentiles of the fit rows' log2 spread ratio that count as normal
MAX_EXCESS = 4.0  # a frozen channel's spread is 0: cap its log ratio rather than report an infinity


def local_spread(raw: np.ndarray, scored: np.ndarray, window: int) -> np.ndarray:
    """(n, c) centred rolling mean of |x[t] - x[t-1]| over scored samples (NaN where too few were scored)."""
    step = np.abs(np.diff(raw, axis=0, prepend=np.nan))
    valid = scored & np.r_[False, scored[:-1]]  # both ends of the step are scored: no stop or restart in it
    step[~valid] = np.nan
    window = max(int(window), 3)
    return pd.DataFrame(step).rolling(window, center=True, min_periods=max(2, window // 2)).mean().to_numpy()


def variability_excess(raw: np.ndarray, scored: np.ndarray, fit_raw: np.ndarray, fit_scored: np.ndarray,
                       window: int) -> np.ndarray:
    """(n, c) doublings of the local spread beyond its normal band (>= 0); 0 where unknown or the channel is flat.

    Args:
        raw, scored: the analysed signal and its scored (running, settled) samples.
        fit_raw, fit_scored: the normal rows the band is taken from (may be the first rows of `raw`).
        window: samples in the rolling spread.
    """
    spread = local_spread(raw, scored, window)
    fit_spread = local_spread(fit_raw, fit_scored, window)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column (a channel never running): no band
        reference = np.nanmedian(fit_spread, axis=0)
        usable = np.isfinite(reference) & (reference > 0)  # a channel that never moves in the fit rows: no band
        ref = np.where(usable, reference, 1.0)
        tiny = 2.0 ** -MAX_EXCESS * ref
        ratio = np.log2(np.maximum(spread, tiny) / ref)
        fit_ratio = np.log2(np.maximum(fit_spread, tiny) / ref)
        if not np.isfinite(fit_ratio).any():
            return np.zeros_like(spread)
        low, high = np.nanpercentile(fit_ratio, BAND, axis=0)
        excess = np.maximum(np.maximum(ratio - high, low - ratio), 0.0)
    excess = np.where(usable & np.isfinite(low) & np.isfinite(high), excess, 0.0)
    return np.nan_to_num(np.minimum(excess, MAX_EXCESS), nan=0.0)
