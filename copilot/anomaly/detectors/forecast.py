"""Recurrent forecaster of normal behaviour: a small GRU predicts each sample from the ones before it, and its residuals
flag deviation (the LSTM-AD idea of Malhotra et al., 2015, with a GRU).

Trained only on the normal rows, briefly (150 Adam steps on short windows, seconds on a CPU), with a fixed seed and a
fixed step count so a report is reproducible: the same input gives the same scores however busy the machine is (an
optional `budget_s` caps the training time instead, at the price of load-dependent results). The net trains on the
first three quarters of the normal rows; its residuals are standardised and calibrated per channel like the robust
detector (`calibration.py`) on the last quarter, which it never saw: residuals on the training rows are optimistic,
and thresholds set on them alarmed on 67% of SKAB's normal rows (10.6% when set on held-out rows). torch is imported
only when this detector is used.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from copilot.anomaly.detectors.base import Scores, robust_location_scale
from copilot.anomaly.detectors.calibration import Calibration, calibrate

HOLDOUT = 0.25  # share of the normal rows held out of training to calibrate the residuals on
MIN_HOLDOUT = 50  # fewer held-out rows than this: calibrate on the training rows


class GRUForecaster:
    name = "gru"

    def __init__(self, calibration: Calibration | None = None, hidden: int = 16, seq_len: int = 64,
                 steps: int = 150, budget_s: float | None = None, smooth: int = 1, seed: int = 0) -> None:
        self.settings = calibration or Calibration()
        self.hidden = hidden
        self.seq_len = seq_len
        self.steps = steps
        self.budget_s = budget_s
        self.smooth = smooth
        self.seed = seed

    def _net(self, channels: int):  # type: ignore[no-untyped-def]
        import torch

        class Net(torch.nn.Module):
            def __init__(self, c: int, h: int) -> None:
                super().__init__()
                self.gru = torch.nn.GRU(c, h, batch_first=True)
                self.head = torch.nn.Linear(h, c)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                out, _ = self.gru(x)
                return x + self.head(out)  # predict the next sample as a correction of the current one

        return Net(channels, self.hidden)

    def _predict(self, z: np.ndarray) -> np.ndarray:
        """One-step-ahead predictions for every sample (the first repeats itself)."""
        import torch

        with torch.inference_mode():
            x = torch.as_tensor(z[None, :-1], dtype=torch.float32)
            predicted = self.model(x)[0].numpy()
        return np.vstack([z[:1], predicted])

    def fit(self, normal: np.ndarray, noise: np.ndarray | None = None) -> None:
        import torch

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.median, self.spread = robust_location_scale(normal)
        every = np.nan_to_num((normal - self.median) / self.spread).astype(np.float32)
        # Residuals on the rows the net was trained on are optimistic: calibrate on the last quarter, held out.
        cut = int(len(every) * (1 - HOLDOUT)) if len(every) * HOLDOUT >= MIN_HOLDOUT else len(every)
        z = every[:cut]
        self.model = self._net(z.shape[1])
        optimiser = torch.optim.Adam(self.model.parameters(), lr=1e-2)
        length = min(self.seq_len, len(z) - 1)
        started = time.perf_counter()
        if length >= 2:
            for _ in range(self.steps):
                starts = rng.integers(0, len(z) - length, size=32)
                batch = torch.as_tensor(np.stack([z[s:s + length + 1] for s in starts]))
                loss = torch.nn.functional.mse_loss(self.model(batch[:, :-1]), batch[:, 1:])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                if self.budget_s is not None and time.perf_counter() - started > self.budget_s:
                    break
        self.model.eval()
        residual = self._residual(every)[cut:] if cut < len(every) else self._residual(every)
        self.res_median, self.res_spread = robust_location_scale(residual)
        # Residuals are one-step innovations, already near white: no smoothing noise floor applies to them.
        fitted = calibrate((residual - self.res_median) / self.res_spread, self.settings, signed=True)
        trimmed = np.zeros(len(every), dtype=bool)  # fit rows left out, indexed over all the normal rows
        trimmed[len(every) - len(fitted.trimmed):] = fitted.trimmed
        self.calibration = replace(fitted, trimmed=trimmed)
        self.upper, self.lower = self.calibration.upper, self.calibration.lower

    def _residual(self, z: np.ndarray) -> np.ndarray:
        residual = z - self._predict(z)
        if self.smooth > 1:
            import pandas as pd

            residual = pd.DataFrame(residual).rolling(self.smooth, center=True, min_periods=1).mean().to_numpy()
        return residual

    def score(self, values: np.ndarray) -> Scores:
        z = np.nan_to_num((values - self.median) / self.spread).astype(np.float32)
        r = (self._residual(z) - self.res_median) / self.res_spread
        contribution = np.where(r >= 0, r / self.upper, -r / self.lower)
        score = contribution.max(axis=1)
        return Scores(score, (values - self.median) / self.spread, contribution)
