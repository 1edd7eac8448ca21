"""Read a sensor log into a validated frame: a sorted DatetimeIndex and numeric channel columns.

Accepts wide CSV (one column per channel) or long CSV (timestamp, channel, value), any delimiter, ISO or common
date formats or epoch seconds/milliseconds. Bad input gets a SensorDataError saying what is wrong and what to do;
recoverable problems (unparsable rows, duplicate stamps) become warnings naming rows and columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from copilot.errors import SensorDataError

TIME_NAMES = ("timestamp", "time", "datetime", "date_time", "date", "ts", "time_stamp", "datetime_utc")


@dataclass
class SensorFrame:
    """A validated sensor log and what was noticed while reading it."""

    data: pd.DataFrame  # DatetimeIndex, float columns
    source: str
    warnings: list[str] = field(default_factory=list)


def _find_time_column(frame: pd.DataFrame) -> str | None:
    by_norm = {re.sub(r"[^a-z]", "_", str(c).lower()).strip("_"): c for c in frame.columns}
    for name in TIME_NAMES:
        if name in by_norm:
            return str(by_norm[name])
    for column in frame.columns:  # a column whose name mentions time and whose values parse as dates
        if "time" in str(column).lower() or "date" in str(column).lower():
            return str(column)
    return None


def _parse_times(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):  # already times (a DataFrame built in Python)
        return pd.Series(pd.DatetimeIndex(values).tz_localize(None) if getattr(values.dt, "tz", None) else values)
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().mean() > 0.95:
        median = float(numeric.median())
        unit = "ns" if median > 1e17 else "us" if median > 1e14 else "ms" if median > 1e11 else "s"
        return pd.to_datetime(numeric, unit=unit, errors="coerce")
    parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    if parsed.isna().mean() > 0.5:
        parsed = pd.to_datetime(values, errors="coerce", format="mixed", dayfirst=True)
    return parsed


def read_sensor_frame(raw: pd.DataFrame, source: str = "<frame>") -> SensorFrame:
    """Validate a frame already in memory (wide or long form)."""
    warnings: list[str] = []
    if isinstance(raw.index, pd.DatetimeIndex):
        frame = raw.copy()
    else:
        time_column = _find_time_column(raw)
        if time_column is None:
            raise SensorDataError(
                f"{source}: no timestamp column (looked for {', '.join(TIME_NAMES)} among {list(raw.columns)[:10]}): "
                "add a 'timestamp' column with ISO times or epoch seconds"
            )
        times = _parse_times(raw[time_column])
        bad = times.isna()
        if bad.all():
            raise SensorDataError(f"{source}: column {time_column!r} has no parsable timestamps")
        if bad.any():
            rows = (np.flatnonzero(bad.to_numpy()) + 2).tolist()  # +2: header line, 1-based
            warnings.append(f"{int(bad.sum())} rows with unparsable {time_column!r} dropped (file lines {rows[:10]})")
        frame = raw.loc[~bad].drop(columns=[time_column])
        frame.index = pd.DatetimeIndex(times[~bad], name="timestamp")
        frame = _pivot_long(frame, source)
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    channels = [c for c in numeric.columns if numeric[c].notna().mean() >= 0.5]
    dropped = [str(c) for c in numeric.columns if c not in channels]
    if dropped:
        warnings.append(f"non-numeric columns ignored: {dropped}")
    if not channels:
        raise SensorDataError(f"{source}: no numeric channel (columns: {list(frame.columns)[:10]})")
    numeric = numeric[channels].astype(float)
    for column in channels:
        junk = frame[column].notna() & numeric[column].isna() & (frame[column].astype(str).str.strip() != "")
        if junk.any():
            warnings.append(f"column {column!r}: {int(junk.sum())} unparsable values treated as missing")
    numeric = numeric.sort_index()
    if numeric.index.has_duplicates:
        count = int(numeric.index.duplicated().sum())
        warnings.append(f"{count} duplicate timestamps averaged")
        numeric = numeric.groupby(level=0).mean()
    numeric.columns = [str(c) for c in numeric.columns]
    return SensorFrame(numeric, source, warnings)


def _pivot_long(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Long form (channel, value columns) to wide; wide frames pass through."""
    lower = {str(c).lower(): c for c in frame.columns}
    name_col = next((lower[n] for n in ("channel", "sensor", "tag", "signal", "variable") if n in lower), None)
    value_col = next((lower[n] for n in ("value", "reading", "val", "measurement") if n in lower), None)
    if name_col is None or value_col is None or len(frame.columns) > 3:
        return frame
    long = frame[[name_col, value_col]].copy()
    long[value_col] = pd.to_numeric(long[value_col], errors="coerce")
    wide = long.pivot_table(index=long.index, columns=name_col, values=value_col, aggfunc="mean")
    wide.index.name = "timestamp"
    wide.columns.name = None
    if wide.empty:
        raise SensorDataError(f"{source}: long-form file has no numeric values in {value_col!r}")
    return wide


def read_sensor_csv(path: str | Path) -> SensorFrame:
    """Read and validate a sensor CSV file (any delimiter)."""
    file = Path(path)
    if not file.is_file():
        raise SensorDataError(f"sensor file {file} not found")
    try:
        raw = pd.read_csv(file, sep=None, engine="python", dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SensorDataError(f"{file}: cannot parse as CSV ({exc})") from exc
    if raw.empty:
        raise SensorDataError(f"{file}: no data rows")
    return read_sensor_frame(raw, file.name)
