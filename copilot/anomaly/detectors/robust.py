"""Robust per-channel baseline: the median/MAD z-score of each smoothed channel against its normal level.

Fitted on normal rows (not a rolling window, which would absorb a slow drift such as bearing wear). Each channel gets
an upper and a lower threshold calibrated on the normal rows (`calibration.py`: trimmed fit window, empirical quantile
and Student-t prediction bound, floor and ceiling). The sample score is the largest channel score over its threshold.
"""

from __future__ import annotations

import numpy as np

from copilot.anomaly.detectors.base import Scores, robust_location_scale
from copilot.anomaly.detectors.calibration import Calibration, calibrate


class RobustDetector:
    name = "robust"

    def __init__(self, calibration: Calibration | None = None) -> None:
        self.settings = calibration or Calibration()

    def fit(self, normal: np.ndarray, noise: np.ndarray | None = None) -> None:
        self.median, self.spread = robust_location_scale(normal)
        z = (normal - self.median) / self.spread
        self.calibration = calibrate(z, self.settings, signed=True, noise=noise)
        self.upper, self.lower = self.calibration.upper, self.calibration.lower

    def score(self, values: np.ndarray) -> Scores:
        z = (values - self.median) / self.spread
        contribution = np.where(z >= 0, z / self.upper, -z / self.lower)
        with np.errstate(all="ignore"):
            score = np.nanmax(np.where(np.isfinite(contribution), contribution, -np.inf), axis=1)
        score[~np.isfinite(score)] = np.nan
        return Scores(score, z, contribution)
