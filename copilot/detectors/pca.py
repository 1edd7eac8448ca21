"""Multivariate detector: PCA on normal operation, Hotelling T2 (inside the model) and Q/SPE (off the model).

Channels are robustly standardised on the normal rows; components explaining `variance` of the normal data form the
model. T2 catches a familiar pattern at an unfamiliar size; Q catches a broken correlation (flow falls while current
stays). Both are calibrated on the normal rows like the robust detector (on the square-root scale, so 1.0 is the
alarm level and the hysteresis works the same way); the score is the larger of the two.
"""

from __future__ import annotations

import numpy as np

from copilot.detectors.base import Scores, calibrated_threshold, robust_location_scale


class PCADetector:
    name = "pca"

    def __init__(self, z_threshold: float = 8.0, margin: float = 2.0, variance: float = 0.95) -> None:
        self.z_threshold = z_threshold
        self.margin = margin
        self.variance = variance

    def _stats(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        centred = np.nan_to_num(z - self.mean)
        t = centred @ self.components
        t2 = np.sqrt((t ** 2 / self.eigen).sum(axis=1))
        residual = centred - t @ self.components.T
        return t2, np.sqrt((residual ** 2).sum(axis=1)), residual

    def fit(self, normal: np.ndarray) -> None:
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
        self.threshold = calibrated_threshold(np.c_[t2, q], self.z_threshold, self.margin)

    def score(self, values: np.ndarray) -> Scores:
        z = (values - self.median) / self.spread
        t2, q, residual = self._stats(z)
        score = np.maximum(t2 / self.threshold[0], q / self.threshold[1])
        score[~np.isfinite(values).any(axis=1)] = np.nan
        # Contribution: each channel's share of the squared deviation, scaled to the score.
        weight = residual ** 2 + np.nan_to_num(z - self.mean) ** 2
        contribution = score[:, None] * weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-12)
        return Scores(score, z, contribution)
