"""The detector contract: fit on normal samples, then score every sample against what normal looked like.

Every detector returns the same two things, so events, plots, diagnosis and evaluation never care which one ran:
`score` (n,), already divided by its threshold calibrated on the normal (fit) samples (`calibration.py`), so 1.0 is the
alarm level for every detector; and `deviation` (n, c), the signed robust z-score of each channel's smoothed signal
against its normal level, from which events take their channels, direction and peak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from copilot.anomaly.detectors.calibration import Fitted

MAD_SCALE = 1.4826  # makes MAD a consistent estimator of the standard deviation for normal data


@dataclass(frozen=True)
class Scores:
    """A detector's output over all samples (NaN where a sample is not scored)."""

    score: np.ndarray  # (n,) calibrated: > 1.0 is abnormal
    deviation: np.ndarray  # (n, c) signed robust z of each channel
    contribution: np.ndarray  # (n, c) >= 0: how much each channel drives `score` (same units as score)


class Detector(Protocol):
    """Fit on normal rows of a smoothed, gap-filled (n, c) array; score any array with the same channels."""

    name: str

    calibration: Fitted  # set by fit: thresholds, fit rows left out, effective sample sizes

    def fit(self, normal: np.ndarray, noise: np.ndarray | None = None) -> None:
        """`noise`: per channel, the raw spread over the smoothed spread of the fit rows (scales the noise floor)."""
        ...

    def score(self, values: np.ndarray) -> Scores: ...


def robust_location_scale(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel median and a robust spread with floors, so a flat or quantised channel cannot make noise infinite."""
    median = np.nanmedian(normal, axis=0)
    mad = MAD_SCALE * np.nanmedian(np.abs(normal - median), axis=0)
    std = np.nanstd(normal, axis=0)
    spread = np.where(mad > 0, mad, std)  # a channel stuck at one value most of the time: fall back to its std
    floor = 1e-3 * np.abs(median) + 1e-9
    spread = np.maximum(np.nan_to_num(spread, nan=0.0), floor)
    return np.nan_to_num(median, nan=0.0), spread
