"""Read a sensor log into a validated frame: a sorted DatetimeIndex and numeric channel columns.

Accepts wide CSV (one column per channel) or long CSV (timestamp, channel, value), any delimiter, ISO or common
date formats or epoch seconds/milliseconds. Bad input gets a SensorDataError saying what is wrong and what to do;
recoverable problems (unparsable rows, duplicate stamps) become warnings naming rows and columns.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from copilot.anomaly.quality import flat_channel_warnings
from copilot.errors import SensorDataError

TIME_NAMES = ("timestamp", "time", "datetime", "date_time", "date", "ts", "time_stamp", "datetime_utc")
# The delimiters a sniffer may choose: left unrestricted, it picks a letter for a one-column file ("timestamp" split
# on "t") and gives up ("Could not determine delimiter") on others.
DELIMITERS = ",;\t| "
DECIMAL_COMMA_RE = r"[-+]?\d{1,3}(?:\.\d{3})*,\d+|[-+]?\d+,\d+"


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
        if time_column is not None and len(raw.columns) == 1:
            raise SensorDataError(
                f"{source}: no sensor channels: the file holds only the timestamp column {time_column!r}; export "
                "the channel readings too (one column per sensor beside the timestamp)")
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
    numeric = frame.apply(_to_numbers)
    channels = [c for c in numeric.columns if numeric[c].notna().mean() >= 0.5]
    dropped = [str(c) for c in numeric.columns if c not in channels]
    if dropped:
        warnings.append(f"non-numeric columns ignored: {dropped}")
    if not channels:
        raise SensorDataError(f"{source}: no numeric channel (columns: {list(frame.columns)[:10]}): their values "
                              "are text, not numbers; export the readings as plain numbers (no units in the cells)")
    numeric = numeric[channels].astype(float)
    for column in channels:
        if numeric[column].notna().sum() > pd.to_numeric(frame[column], errors="coerce").notna().sum():
            warnings.append(f"column {column!r}: decimal commas read as decimal points")
        junk = frame[column].notna() & numeric[column].isna() & (frame[column].astype(str).str.strip() != "")
        if junk.any():
            warnings.append(f"column {column!r}: {int(junk.sum())} unparsable values treated as missing")
    numeric = numeric.sort_index()
    if numeric.index.has_duplicates:
        count = int(numeric.index.duplicated().sum())
        warnings.append(f"{count} duplicate timestamps averaged")
        numeric = numeric.groupby(level=0).mean()
    numeric.columns = [str(c) for c in numeric.columns]
    warnings.extend(flat_channel_warnings(numeric))
    return SensorFrame(numeric, source, warnings)


def _to_numbers(column: pd.Series) -> pd.Series:
    """A column as floats; decimal commas ("1,25", as European exports write them) count as numbers too."""
    values = pd.to_numeric(column, errors="coerce")
    if values.notna().mean() >= 0.5 or pd.api.types.is_numeric_dtype(column):
        return values
    text = column.astype(str).str.strip()
    if text.str.fullmatch(DECIMAL_COMMA_RE).mean() < 0.5:
        return values
    return pd.to_numeric(text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False), errors="coerce")


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


def sniff_delimiter(text: str) -> str:
    """The delimiter of a text's first non-blank line (its header), among `DELIMITERS`, sniffed as pandas does with
    `sep=None`; a comma when that line has none of them (a one-column file)."""
    first = next((line for line in text.splitlines(keepends=True) if line.strip()), "")
    try:
        return csv.Sniffer().sniff(first, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise SensorDataError(f"{name}: a binary file, not a CSV text export; export the sensor log as CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # an older logger's export; every byte is a character there


def read_sensor_csv(path: str | Path) -> SensorFrame:
    """Read and validate a sensor CSV file (any of the usual delimiters; UTF-8, UTF-16 with a BOM, or Latin-1).

    Raises:
        SensorDataError: a missing, empty, header-only or binary file, no timestamp column, no sensor channel.
    """
    file = Path(path)
    if not file.is_file():
        raise SensorDataError(f"sensor file {file} not found")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise SensorDataError(f"{file.name}: cannot read ({exc.strerror or exc})") from exc
    text = _decode(data, file.name)
    if not text.strip():
        raise SensorDataError(f"{file.name}: empty file: no header and no rows; export the sensor log again (a header "
                              "line with a timestamp column and the channel names, then one row per reading)")
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sniff_delimiter(text), engine="python", dtype=str,
                          keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise SensorDataError(f"{file.name}: cannot parse as CSV ({str(exc).splitlines()[0]}); check that every "
                              "row has as many fields as the header") from exc
    if raw.empty:
        raise SensorDataError(f"{file.name}: no data rows (only the header {list(raw.columns)[:10]}); export a "
                              "time range that holds readings")
    return read_sensor_frame(raw, file.name)
