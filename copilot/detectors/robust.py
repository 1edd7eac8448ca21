"""Robust per-channel baseline: the median/MAD z-score of each smoothed channel against its normal level.

Fitted on normal rows (not a rolling window, which would absorb a slow drift such as bearing wear). Each channel's
threshold is calibrated on the normal rows: the larger of `z_threshold` and `margin` x the largest |z| seen there.
The sample score is the largest channel score over its threshold.
"""

from __future__ import annotations

import numpy as np

from copilot.detectors.base import Scores, calibrated_threshold, robust_location_scale


class RobustDetector:
    name = "robust"

    def __init__(self, z_threshold: float = 8.0, margin: float = 2.0) -> None:
        self.z_threshold = z_threshold
        self.margin = margin

    def fit(self, normal: np.ndarray) -> None:
        self.median, self.spread = robust_location_scale(normal)
        self.threshold = calibrated_threshold((normal - self.median) / self.spread, self.z_threshold, self.margin)

    def score(self, values: np.ndarray) -> Scores:
        z = (values - self.median) / self.spread
        contribution = np.abs(z) / self.threshold
        with np.errstate(all="ignore"):
            score = np.nanmax(np.where(np.isfinite(contribution), contribution, -np.inf), axis=1)
        score[~np.isfinite(score)] = np.nan
        return Scores(score, z, contribution)
