"""Slow drift against a channel's normal relationship: a seal leak that lowers the flow for the same pressure.

Many channels follow the operating point: flow and discharge pressure move along the pump curve, a temperature
follows the load. A slow fault hides inside that daily swing, so a per-channel level never leaves its normal range
(the corpus P-101 seal leak: flow 97 m3/h where 104-130 is normal, but 110 would be normal at that pressure). Each
channel is therefore also predicted from its most correlated partner channel (a straight line fitted on the normal
rows, only where the two correlate at `min_correlation` or more), and the residual, averaged over `span` samples so
only a sustained departure counts, is calibrated like every other score (`calibration.py`).

A drift event must last at least one span (anything shorter is noise in the averaged residual, not a drift). Used
only where the level detector sees nothing (`run_detection` keeps drift events apart from level events, so a
level fault's knock-on residuals never add channels to its diagnosis), and only when the fit window is long enough
to have seen the relationship over at least `min_spans` spans.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from copilot.anomaly.detectors.base import Scores, robust_location_scale
from copilot.anomaly.detectors.calibration import Calibration, calibrate


class RelationshipDrift:
    name = "drift"

    def __init__(self, calibration: Calibration | None = None, span: int = 60, min_correlation: float = 0.9,
                 min_spans: int = 10, own_move: float = 1.0) -> None:
        self.settings = calibration or Calibration()
        self.span = max(int(span), 1)
        self.min_correlation = min_correlation
        self.min_spans = min_spans
        self.own_move = own_move
        self.partner = np.zeros(0, dtype=int)

    def usable(self, fit_rows: int) -> bool:
        """Whether a fit window of this many running samples can show the relationships' normal drift."""
        return fit_rows >= self.min_spans * self.span

    def _residual(self, z: np.ndarray, scored: np.ndarray | None = None) -> np.ndarray:
        safe = np.where(self.partner >= 0, self.partner, 0)
        raw = z - (self.intercept + self.slope * z[:, safe])
        raw[:, self.partner < 0] = 0.0
        if scored is not None:
            raw[~scored] = np.nan  # a stop or a restart transient is not averaged into the drift
        if self.span > 1:
            raw = pd.DataFrame(raw).rolling(self.span, center=True, min_periods=max(1, self.span // 2)).mean()
            raw = raw.to_numpy()
        return raw

    def fit(self, normal: np.ndarray, noise: np.ndarray | None = None) -> None:
        """Pair each channel with its most correlated partner on the normal rows and calibrate the residuals."""
        self.median, self.spread = robust_location_scale(normal)
        z = np.nan_to_num((normal - self.median) / self.spread)
        c = z.shape[1]
        with np.errstate(all="ignore"):
            corr = np.nan_to_num(np.corrcoef(z.T)) if c > 1 else np.zeros((1, 1))
        np.fill_diagonal(corr, 0.0)
        self.partner = np.full(c, -1)
        self.slope, self.intercept = np.zeros(c), np.zeros(c)
        for j in range(c):
            p = int(np.argmax(np.abs(corr[j])))
            if c > 1 and abs(corr[j, p]) >= self.min_correlation and np.var(z[:, p]) > 0:
                self.partner[j] = p
                self.slope[j] = np.cov(z[:, j], z[:, p])[0, 1] / np.var(z[:, p], ddof=1)
                self.intercept[j] = z[:, j].mean() - self.slope[j] * z[:, p].mean()
        residual = self._residual(z)
        self.res_median, self.res_spread = robust_location_scale(residual)
        self.calibration = calibrate((residual - self.res_median) / self.res_spread, self.settings, signed=True)
        self.upper, self.lower = self.calibration.upper, self.calibration.lower

    def score(self, values: np.ndarray, scored: np.ndarray | None = None) -> Scores:
        """Calibrated drift scores; `scored` (n,) bool leaves stops and restarts out of the rolling residual."""
        z = np.nan_to_num((values - self.median) / self.spread)
        rz = np.nan_to_num((self._residual(z, scored) - self.res_median) / self.res_spread)
        contribution = np.where(rz >= 0, rz / self.upper, -rz / self.lower)
        contribution[:, self.partner < 0] = 0.0
        # A residual moves when either channel of the pair moves: it is this channel's drift only where the channel
        # itself has left its median the same way (else its partner moved, and the partner's residual says so).
        contribution[(np.sign(rz) != np.sign(z)) | (np.abs(z) < self.own_move)] = 0.0
        score = contribution.max(axis=1) if contribution.size else np.zeros(len(values))
        score = np.where(np.isfinite(values).any(axis=1), score, np.nan)
        return Scores(score, rz, contribution)
