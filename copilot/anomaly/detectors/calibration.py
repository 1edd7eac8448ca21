"""Alarm thresholds from the fit (normal) rows that hold on unseen data: trimmed, out-of-sample aware, bounded.

A threshold taken as "margin x the largest score seen on the fit rows" fails both ways on real logs: one dip inside
the fit window (a real NAB machine log has a near-total temperature drop in its first 30%) lifts it out of reach, and a
short fit window of a slow channel (SKAB's 400 rows of a thermocouple) sees too little of the channel's normal wander,
so the later wander alarms. Every detector therefore calibrates each score column the same way:

1. **Trim** (Phase I of statistical process control): fit rows whose score lies beyond `median + trim x MAD` of that
   column's fit scores, in any column, are outliers of the fit window itself and are left out of calibration (and
   reported, so the report can warn that the fit window looks abnormal).
2. **Empirical level**: `margin` x the `quantile` (99.5th) of the kept fit scores, per direction for signed scores,
   so a skewed channel (a temperature that dips far but never rises far) gets a tighter threshold on its quiet side.
3. **Prediction-interval level**: the Student-t prediction bound for one new sample, `t(1 - tail_p, n_eff - 1) x
   sqrt(1 + 1/n_eff)` robust deviations, where `n_eff` is the fit window's effective sample size (its length over the
   integrated autocorrelation time). A fit window that spans few independent stretches of a slow signal has a small
   `n_eff` and a wide bound; a long, well-mixed one a bound near the Gaussian tail. This is what makes one default work
   on 400-second SKAB windows and on a 23-day real log alike.
4. **Bounds**: the larger of the two levels is capped at `ceiling` (a contaminated or tiny fit window cannot blind the
   detector) and raised to the floor: `floor` robust z, and for smoothed signals `noise_floor` x the channel's raw
   spread over its smoothed spread (a change must exceed the raw sensor scatter, not only the smoothed one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from copilot.config import AnomalyConfig

MAD_SCALE = 1.4826


@dataclass(frozen=True)
class Calibration:
    """How thresholds are set from the fit rows (see the module docstring); `AnomalyConfig` carries the defaults."""

    floor: float = 3.0  # robust z: no threshold below this
    noise_floor: float = 2.0  # x raw/smoothed spread ratio: a smoothed change must exceed this much raw scatter
    margin: float = 1.2  # x the quantile of the kept fit scores
    quantile: float = 99.5  # percentile of the kept fit scores (100 = the largest)
    tail_p: float = 3e-5  # one-sided tail probability of the Student-t prediction bound
    ceiling: float = 12.0  # robust z: no threshold above this (except the noise floor)
    trim: float = 5.0  # fit rows beyond median + trim x MAD of a score column are left out; 0 keeps all

    @classmethod
    def from_config(cls, cfg: AnomalyConfig) -> Calibration:
        """The threshold settings of an `AnomalyConfig`, as the detectors take them."""
        return cls(floor=cfg.z_threshold, noise_floor=cfg.noise_floor, margin=cfg.calibration_margin,
                   quantile=cfg.calibration_quantile, tail_p=cfg.tail_probability, ceiling=cfg.threshold_ceiling,
                   trim=cfg.fit_trim)


@dataclass(frozen=True)
class Fitted:
    """Thresholds and what calibration saw: per column, and which fit rows it left out."""

    upper: np.ndarray  # (k,) threshold for positive scores
    lower: np.ndarray  # (k,) threshold for negative scores (== upper for magnitudes)
    trimmed: np.ndarray  # (n,) bool: fit rows left out as outliers of the fit window
    n_eff: np.ndarray  # (k,) effective sample size of each column over the kept rows


def effective_sample_size(x: np.ndarray) -> float:
    """n / integrated autocorrelation time, with Geyer's initial positive sequence (the MCMC standard estimator)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 4:
        return float(max(n, 1))
    x = x - x.mean()
    var = float(np.dot(x, x)) / n
    if var <= 0:
        return float(n)
    spectrum = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n] / (n * var)
    tau = 1.0
    for k in range(1, (n - 1) // 2):
        pair = acf[2 * k - 1] + acf[2 * k]
        if pair <= 0:
            break
        tau += 2.0 * pair
    return float(min(n, max(1.0, n / tau)))


def trimmed_rows(fit_scores: np.ndarray, trim: float) -> np.ndarray:
    """Rows with a score beyond median + trim x MAD (scaled) in any column of |fit_scores|; never more than 20%."""
    n = fit_scores.shape[0]
    if trim <= 0 or n < 20:
        return np.zeros(n, dtype=bool)
    size = np.abs(fit_scores)
    centre = np.nanmedian(size, axis=0)
    spread = MAD_SCALE * np.nanmedian(np.abs(size - centre), axis=0)
    spread = np.where(spread > 0, spread, np.nanstd(size, axis=0))
    excess = np.nanmax((size - centre) / np.maximum(spread, 1e-12) / trim, axis=1)  # > 1: beyond the cut
    excess = np.nan_to_num(excess, nan=0.0)
    out = excess > 1.0
    cap = int(0.2 * n)
    if out.sum() > cap:  # a fit window a fifth abnormal: keep the cut to its worst fifth, and the warning says so
        out = excess > max(1.0, float(np.sort(excess)[n - cap - 1]))
    return out


def _bound(n_eff: np.ndarray, tail_p: float) -> np.ndarray:
    from scipy.stats import t as student  # imported here: only fitting needs it, and `copilot --help` stays fast

    dof = np.maximum(n_eff - 1.0, 1.0)
    return np.asarray(student.ppf(1.0 - tail_p, dof) * np.sqrt(1.0 + 1.0 / np.maximum(n_eff, 1.0)))


def calibrate(fit_scores: np.ndarray, cal: Calibration, *, signed: bool, series: np.ndarray | None = None,
              noise: np.ndarray | None = None) -> Fitted:
    """Per-column thresholds for `fit_scores` (n, k) of the fit rows.

    Args:
        signed: the scores are robust z (centred 0, spread 1): upper and lower thresholds are set separately. Else the
            scores are magnitudes (T2, Q): the prediction bound is `median + bound x MAD` of the kept scores.
        series: (n, k) the signal whose autocorrelation sets `n_eff` (default: the scores themselves).
        noise: (k,) raw spread / smoothed spread per column; scales `noise_floor`.
    """
    n, k = fit_scores.shape
    if n == 0:
        full = np.full(k, max(cal.floor, cal.ceiling))
        return Fitted(full, full, np.zeros(0, bool), np.zeros(k))
    trimmed = trimmed_rows(fit_scores, cal.trim)
    kept = fit_scores[~trimmed]
    source = (series if series is not None else fit_scores)[~trimmed]
    n_eff = np.array([effective_sample_size(source[:, j]) for j in range(k)])
    bound = _bound(n_eff, cal.tail_p)
    floor = np.full(k, cal.floor)
    if noise is not None:
        floor = np.maximum(floor, cal.noise_floor * np.nan_to_num(noise, nan=1.0))

    def level(values: np.ndarray, prediction: np.ndarray) -> np.ndarray:
        empirical = cal.margin * np.nan_to_num(np.nanpercentile(values, cal.quantile, axis=0), nan=0.0)
        return np.maximum(floor, np.minimum(cal.ceiling, np.maximum(empirical, prediction)))

    if signed:
        upper = level(np.maximum(kept, 0.0), bound)
        lower = level(np.maximum(-kept, 0.0), bound)
        return Fitted(upper, lower, trimmed, n_eff)
    centre = np.nanmedian(kept, axis=0)
    spread = MAD_SCALE * np.nanmedian(np.abs(kept - centre), axis=0)
    threshold = level(kept, np.nan_to_num(centre + bound * spread, nan=0.0))
    return Fitted(threshold, threshold, trimmed, n_eff)
