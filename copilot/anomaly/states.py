"""Operating states of a machine: running vs off/idle, found from the channels that drop to near zero together. Pure.

A pump that stops is not failing: its current, flow and vibration fall to zero together, its temperatures cool. The
detectors therefore fit and score the running state only, skip the first `settle` samples after each start (and the
last sample before a stop), and the report counts the stops instead of flagging them. A channel is state-bearing when
it has a distinct near-zero mode (a share of samples below 10% of its running level, separated by a gap from the
running values); a sample is off when at least half of the state-bearing channels are near zero. At least two
state-bearing channels are required, so a single signal that collapses (a real failure) is never explained away as
a stop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOW_SHARE = 0.10  # a value below 10% of the running level counts as "near zero"
MIN_OFF_SHARE = 0.002  # at least this share of samples near zero for a channel to carry the state
MAX_OFF_SHARE = 0.95


@dataclass(frozen=True)
class OperatingStates:
    """Per-sample running flags, the samples to score, and what was found."""

    running: np.ndarray  # bool (n,)
    scored: np.ndarray  # bool (n,): running, settled, and with data
    state_channels: tuple[str, ...]
    stops: int  # running -> off transitions

    @property
    def off_share(self) -> float:
        return float(1.0 - self.running.mean()) if self.running.size else 0.0


def _near_zero(values: np.ndarray) -> np.ndarray | None:
    """Mask of near-zero samples when the channel has a distinct off mode, else None."""
    finite = values[np.isfinite(values)]
    if finite.size < 20:
        return None
    level = float(np.percentile(np.abs(finite), 90))
    if level <= 0:
        return None
    low = np.abs(values) < LOW_SHARE * level
    share = float(low[np.isfinite(values)].mean())
    if not MIN_OFF_SHARE <= share <= MAX_OFF_SHARE:
        return None
    between = ((np.abs(finite) >= LOW_SHARE * level) & (np.abs(finite) < 0.5 * level)).mean()
    if between > share:  # no gap between the off mode and the running values: a continuum, not two states
        return None
    return low


def operating_states(values: np.ndarray, channels: list[str], settle: int = 3, enabled: bool = True
                     ) -> OperatingStates:
    """Find running/off samples in an (n, c) array whose columns are `channels`."""
    n = values.shape[0]
    has_data = np.isfinite(values).any(axis=1)
    lows, names = [], []
    if enabled:
        for j, name in enumerate(channels):
            low = _near_zero(values[:, j])
            if low is not None:
                lows.append(low)
                names.append(name)
    if len(lows) < 2:
        return OperatingStates(np.ones(n, bool), has_data, (), 0)
    off = np.vstack(lows).mean(axis=0) >= 0.5
    running = ~off
    scored = running & has_data
    starts = np.flatnonzero(running[1:] & ~running[:-1]) + 1
    stops = np.flatnonzero(~running[1:] & running[:-1])  # last running sample before a stop
    for s in starts:
        scored[s:s + settle] = False
    scored[stops] = False
    return OperatingStates(running, scored, tuple(names), int(stops.size))
