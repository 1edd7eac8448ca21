"""Data-quality checks a detector cannot make: a channel that never moves is silent, not normal.

A dead, disconnected or stuck sensor often reports one value for hours. Detection fitted on that channel sees no
deviation, so without a check the report would say nothing about it. Pure: a validated frame in, warnings out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_FLAT_READINGS = 3  # fewer readings than this say nothing about a sensor
FLAT_TOLERANCE = 1e-9  # relative: a spread this small is one value written with rounding noise


def flat_channels(data: pd.DataFrame) -> list[tuple[str, float, int]]:
    """(channel, its one value, readings) for each channel whose readings are all the same over the frame."""
    found = []
    for column in data.columns:
        values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size < MIN_FLAT_READINGS:
            continue
        low, high = float(values.min()), float(values.max())
        if high - low <= FLAT_TOLERANCE * max(1.0, abs(low), abs(high)):
            found.append((str(column), low, int(values.size)))
    return found


def flat_channel_warnings(data: pd.DataFrame) -> list[str]:
    """One warning per flat-lined channel, naming its value and window and saying what to check."""
    if data.empty or not isinstance(data.index, pd.DatetimeIndex):
        return []
    start, end = data.index[0].isoformat(), data.index[-1].isoformat()
    return [f"channel {column!r} is flat-lined: all {count} readings are {value:g} from {start} to {end}, so no "
            "anomaly can be seen on it; check the sensor, its wiring and its logger channel (a dead or stuck "
            "sensor), or whether the machine ran at all"
            for column, value, count in flat_channels(data)]
