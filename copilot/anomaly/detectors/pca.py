"""Multivariate detector: PCA on normal operation, Hotelling T2 (inside the model) and Q/SPE (off the model).

Channels are robustly standardised on the normal rows; components explaining `variance` of the normal data form the
model. T2 catches a familiar pattern at an unfamiliar size; Q catches a broken correlation (flow falls while current
stays). Both are calibrated on the normal rows (`calibration.py`, on the square-root scale, so 1.0 is the alarm level
and the hysteresis works the same way); the score is the larger of the two.
"""

from __future__ import annotations

import numpy as np

from copilot.anomaly.detectors.base import Scores, robust_location_scale
from copilot.anomaly.detectors.calibration import Calibration, calibrate


class PCADetector:
    name = "pca"

    def __init__(self, calibration: Calibration | None = None, variance: float = 0.95) -> None:
        self.settings = calibration or Calibration()
        self.variance = variance

    def _stats(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        centred = np.nan_to_num(z - self.mean)
        t = centred @ self.components
        t2 = np.sqrt((t ** 2 / self.eigen).sum(axis=1))
        residual = centred - t @ self.components.T
        return t2, np.sqrt((residual ** 2).sum(axis=1)), residual

    def fit(self, normal: np.ndarray, noise: np.ndarray | None = None) -> None:
        self.median, self.spread = robust_location_scale(normal)
        z = np.nan_to_num((normal - self.median) / self.spread)
        self.mean = z.mean(axis=0)
        _, s, vt = np.linalg.svd(z - self.mean, full_matrices=False)
        eigen = s ** 2 / max(len(z) - 1, 1)
        share = np.cumsum(eigen) / max(eigen.sum(), 1e-12)
        k = int(np.searchsorted(share, self.variance) + 1)
        k = max(1, min(k, z.shape[1] - 1)) if z.shape[1] > 1 else 1
        self.components = vt[:k].T
        self.eigen = np.maximum(eigen[:k], 1e-9)
        t2, q, _ = self._stats(z)
        # T2 and Q are magnitudes over all channels: the noise floor uses the channels' median raw/smoothed ratio.
        shared = None if noise is None else np.full(2, float(np.median(noise)))
        self.calibration = calibrate(np.c_[t2, q], self.settings, signed=False, noise=shared)
        self.threshold = self.calibration.upper

    def score(self, values: np.ndarray) -> Scores:
        z = (values - self.median) / self.spread
        t2, q, residual = self._stats(z)
        score = np.maximum(t2 / self.threshold[0], q / self.threshold[1])
        score[~np.isfinite(values).any(axis=1)] = np.nan
        # Contribution: each channel's share of the squared deviation, scaled to the score.
        weight = residual ** 2 + np.nan_to_num(z - self.mean) ** 2
        contribution = score[:, None] * weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-12)
        return Scores(score, z, contribution)
