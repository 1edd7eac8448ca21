"""Anomaly detectors behind one contract (`base.Detector`): robust per-channel, PCA T2+Q, GRU forecaster, ensemble."""

from __future__ import annotations

import numpy as np

from copilot.anomaly.detectors.base import Detector, Scores
from copilot.anomaly.detectors.calibration import Calibration, Fitted
from copilot.anomaly.detectors.forecast import GRUForecaster
from copilot.anomaly.detectors.pca import PCADetector
from copilot.anomaly.detectors.robust import RobustDetector
from copilot.config import AnomalyConfig

DETECTORS = ("robust", "pca", "gru", "ensemble")


class EnsembleDetector:
    """The mean of the calibrated scores of the three detectors (each 1.0 at its own threshold)."""

    name = "ensemble"

    def __init__(self, members: list[Detector]) -> None:
        self.members = members

    def fit(self, normal: np.ndarray, noise: np.ndarray | None = None) -> None:
        for member in self.members:
            member.fit(normal, noise)
        self.calibration = self.members[0].calibration

    def score(self, values: np.ndarray) -> Scores:
        parts = [m.score(values) for m in self.members]
        score = np.mean([p.score for p in parts], axis=0)
        contribution = np.mean([p.contribution for p in parts], axis=0)
        return Scores(score, parts[0].deviation, contribution)


def make_detector(cfg: AnomalyConfig, name: str | None = None) -> Detector:
    """The configured detector (or `name`), with the configured calibration."""
    kind = name or cfg.detector
    calibration = Calibration.from_config(cfg)
    if kind == "robust":
        return RobustDetector(calibration)
    if kind == "pca":
        return PCADetector(calibration)
    if kind == "gru":
        return GRUForecaster(calibration)  # inputs are already smoothed
    if kind == "ensemble":
        return EnsembleDetector([make_detector(cfg, k) for k in ("robust", "pca", "gru")])
    raise ValueError(f"unknown detector {kind!r}; choose one of {', '.join(DETECTORS)}")


__all__ = ["DETECTORS", "Calibration", "Detector", "EnsembleDetector", "Fitted", "GRUForecaster", "PCADetector",
           "RobustDetector", "Scores", "make_detector"]
