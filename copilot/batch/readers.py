"""Read recognised files into records: work-order tables, alarm/event logs and sensor logs.

Real exports are messy, so reading is forgiving row by row and strict per file: a row with an unreadable date or a
blank asset is dropped and counted as a data problem; a file whose columns cannot be mapped fails with a reason that
says how to map them. Column roles are guessed by name (`index.loaders.tabular.guess_columns` for id/date/asset,
the patterns below for the rest), then by content (a column of dates), and a mapping file overrides both.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from copilot.anomaly.sensors import sniff_delimiter
from copilot.batch.inputs import AlarmEvent, ParsedFile, SensorSeries, WorkOrder
from copilot.errors import CopilotError
from index.loaders.logs import ASSET_RE, LINE_RE
from index.loaders.tabular import guess_columns

# Roles beyond id/date/asset, by normalised column name (exact first, then "contains" for the first few).
EXTRA_ROLES: dict[str, tuple[str, ...]] = {
    "text": ("originalshorttext", "shorttext", "short_text", "description", "work_description", "complaint",
             "symptom", "text", "notes", "details", "comment", "comments", "title", "summary"),
    "problem": ("problem", "fault", "defect", "issue"),
    "cause": ("cause", "root_cause", "reason"),
    "action": ("action", "action_taken", "work_done", "resolution", "remedy", "repair"),
    "cost": ("cost", "cost_usd", "cost_aud", "cost_eur", "total_cost", "actual_cost", "amount", "costs"),
    "downtime": ("downtime_h", "downtime", "downtime_hours", "down_time", "hours_down", "outage_h"),
    "type": ("wo_type", "pmtype", "pm_type", "order_type", "work_type", "maintenance_type", "type"),
    "failure_mode": ("failure_mode", "failure_code", "fm", "failure"),
}
STATES = ("ALARM", "ACK", "CLEAR", "TRIP", "START", "STOP")
CODE_RE = re.compile(r"\b([A-Z]{1,2}\d{2,4})\b")
MAX_ROWS_NAMED = 5  # data problems name at most this many rows


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_ROWS_NAMED])
    return shown + (f" and {len(numbers) - MAX_ROWS_NAMED} more" if len(numbers) > MAX_ROWS_NAMED else "")


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _looks_like_dates(values: pd.Series) -> float:
    sample = values[values.str.strip() != ""].head(200)
    if sample.empty or pd.to_numeric(sample, errors="coerce").notna().mean() > 0.5:
        return 0.0
    return float(pd.to_datetime(sample, errors="coerce", format="mixed").notna().mean())


def column_roles(frame: pd.DataFrame, mapping: dict[str, Any]) -> dict[str, list[str]]:
    """Role -> column names (text roles may have several). Mapping first, then names, then content for dates."""
    columns = [str(c) for c in frame.columns]
    for role, value in mapping.items():
        for name in _as_list(value):
            if name not in columns:
                raise CopilotError(f"mapped column {name!r} for {role!r} is not in the file; its columns are "
                                   f"{columns}")
    base = guess_columns(columns, {k: v for k, v in mapping.items() if k in ("id", "date", "asset")
                                   and isinstance(v, str)})
    roles: dict[str, list[str]] = {k: [v] for k, v in base.items() if v}
    if "date" not in roles:
        scored = [(share, c) for c in columns if (share := _looks_like_dates(frame[c])) >= 0.8]
        if scored:
            roles["date"] = [max(scored, key=lambda sc: sc[0])[1]]
    by_norm = {_norm(c): c for c in columns}
    taken = {c for names in roles.values() for c in names}
    for role, patterns in EXTRA_ROLES.items():
        if role in mapping:
            roles[role] = _as_list(mapping[role])
            continue
        found = next((by_norm[p] for p in patterns if p in by_norm and by_norm[p] not in taken), None)
        if found is None:
            found = next((c for p in patterns[:3] for n, c in by_norm.items() if p in n and c not in taken), None)
        if found is not None:
            roles[role] = [found]
            taken.add(found)
    return roles


def _numbers(values: pd.Series) -> pd.Series:
    cleaned = values.str.replace(r"[^\d.\-eE]", "", regex=True)
    return pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")


def _read_frame(relative: str, text: str) -> tuple[pd.DataFrame, list[int]]:
    """The table as strings, and the line numbers of rows that could not be read."""
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if first.lstrip().startswith("{"):
        rows, bad = [], []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                bad.append(number)
                continue
            if isinstance(row, dict):
                rows.append(row)
            else:
                bad.append(number)
        return pd.DataFrame(rows).fillna("").astype(str), bad
    bad_rows: list[int] = []

    def skip(fields: list[str]) -> None:
        bad_rows.append(len(bad_rows) + 1)
        return None

    frame = pd.read_csv(io.StringIO(text), sep=sniff_delimiter(text), engine="python", dtype=str,
                        keep_default_na=False, on_bad_lines=skip)
    return frame.astype(str), bad_rows


def read_work_orders(path: Path, relative: str, text: str, mapping: dict[str, Any], asset: str | None,
                     forced: bool = False) -> ParsedFile:
    """A work-order table -> WorkOrder records and the data problems of its rows.

    Raises:
        CopilotError: when the table has no usable asset column (and no asset from the mapping or file name), or a
            mapped column is missing. A table without any date column is returned as skipped (not work orders).
    """
    frame, bad = _read_frame(relative, text)
    if frame.empty:
        raise CopilotError(f"{relative}: the table has no rows")
    roles = column_roles(frame, mapping)
    if "date" not in roles:
        if forced:
            raise CopilotError(f"{relative}: no date column found; map it in the mapping file "
                               f"(columns: {{date: NAME}}); columns are {list(frame.columns)}")
        return ParsedFile(relative, "", "skipped", "a table without dates or assets (not work orders or sensor data); "
                          "map its columns in a mapping file if it holds work orders")
    fixed_asset = asset or (None if "asset" in roles else asset_in_name(Path(relative).stem))
    if "asset" not in roles and fixed_asset is None:
        raise CopilotError(f"{relative}: work orders without an asset column; map it (columns: {{asset: NAME}}) or "
                           f"set the file's asset in the mapping file; columns are {list(frame.columns)}")
    problems: list[tuple[str, str]] = []
    if bad:
        problems.append(("", f"{relative}: {len(bad)} malformed line(s) skipped"))
    dates = pd.to_datetime(frame[roles["date"][0]], errors="coerce", format="mixed")
    if dates.isna().mean() > 0.5:
        dates = pd.to_datetime(frame[roles["date"][0]], errors="coerce", format="mixed", dayfirst=True)
    text_columns = roles.get("text", []) + [c for r in ("problem", "cause", "action") for c in roles.get(r, [])]
    text_columns = list(dict.fromkeys(text_columns))
    texts = frame[text_columns].agg(" | ".join, axis=1) if text_columns else pd.Series([""] * len(frame))
    costs = _numbers(frame[roles["cost"][0]]) if "cost" in roles else None
    downtime = _numbers(frame[roles["downtime"][0]]) if "downtime" in roles else None
    no_date: dict[str, list[int]] = {}
    no_asset: list[int] = []
    blank: dict[str, list[int]] = {}
    negative: dict[str, list[int]] = {}
    unreadable_cost: dict[str, list[int]] = {}
    seen_ids: dict[str, int] = {}
    duplicates: dict[str, list[str]] = {}
    orders = []
    for position in range(len(frame)):
        row = frame.iloc[position]
        number = position + 1
        owner = fixed_asset or str(row[roles["asset"][0]]).strip()
        if not owner:
            no_asset.append(number)
            continue
        when = dates.iloc[position]
        if pd.isna(when):
            no_date.setdefault(owner, []).append(number)
            continue
        body = " | ".join(p for p in (s.strip() for s in str(texts.iloc[position]).split(" | ")) if p)
        if not body:
            blank.setdefault(owner, []).append(number)
        cost = None if costs is None or pd.isna(costs.iloc[position]) else float(costs.iloc[position])
        if costs is not None and cost is None and str(row[roles["cost"][0]]).strip():
            unreadable_cost.setdefault(owner, []).append(number)
        if cost is not None and cost < 0:
            negative.setdefault(owner, []).append(number)
        hours = None if downtime is None or pd.isna(downtime.iloc[position]) else float(downtime.iloc[position])
        record_id = str(row[roles["id"][0]]).strip() if "id" in roles else ""
        if record_id:
            if record_id in seen_ids:
                duplicates.setdefault(owner, []).append(record_id)
            seen_ids[record_id] = number
        orders.append(WorkOrder(
            source=relative, row=number, id=record_id or f"{Path(relative).name}:{number}",
            date=when.strftime("%Y-%m-%d"), asset=owner, text=body,
            wo_type=str(row[roles["type"][0]]).strip() if "type" in roles else "",
            failure_mode=str(row[roles["failure_mode"][0]]).strip() if "failure_mode" in roles else "",
            cost=cost, downtime_h=hours))
    if no_asset:
        problems.append(("", f"{relative}: {len(no_asset)} row(s) without an asset skipped (rows {_rows(no_asset)})"))
    for owner, rows in sorted(no_date.items()):
        problems.append((owner, f"{relative}: {len(rows)} row(s) with an unreadable date skipped (rows {_rows(rows)})"))
    for owner, rows in sorted(blank.items()):
        problems.append((owner, f"{relative}: {len(rows)} work order(s) with no text (rows {_rows(rows)})"))
    for owner, rows in sorted(negative.items()):
        problems.append((owner, f"{relative}: {len(rows)} negative cost(s) (rows {_rows(rows)})"))
    for owner, rows in sorted(unreadable_cost.items()):
        problems.append((owner, f"{relative}: {len(rows)} unreadable cost value(s) (rows {_rows(rows)})"))
    for owner, ids in sorted(duplicates.items()):
        problems.append((owner, f"{relative}: {len(ids)} duplicate work-order id(s) ({', '.join(ids[:5])})"))
    if "cost" not in roles:
        problems.append(("", f"{relative}: no cost column, so no cost totals"))
    if not text_columns:
        problems.append(("", f"{relative}: no free-text column, so no systems or failure modes"))
    if not orders:
        raise CopilotError(f"{relative}: no usable work orders (every row lacked a date or an asset)")
    used = {role: names[0] if len(names) == 1 else names for role, names in roles.items()}
    return ParsedFile(relative, "", "work_orders", f"work orders ({len(orders)} rows)", work_orders=orders,
                      problems=problems, columns=used)


def read_alarm_log(relative: str, text: str) -> ParsedFile:
    """Timestamped event lines -> AlarmEvent records; unstamped lines are counted as a data problem."""
    events = []
    unstamped = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = LINE_RE.match(line)
        if not match:
            unstamped.append(number)
            continue
        date, clock, rest = match.groups()
        asset_match = ASSET_RE.search(rest)
        asset = asset_match.group(1) if asset_match else "plant"
        after = rest[asset_match.end():] if asset_match else rest
        code_match = CODE_RE.search(after)
        code = code_match.group(1) if code_match else ""
        words = after.upper().split()
        state = "TRIP" if "CMD=TRIP" in words else next((w for w in words if w in STATES), "EVENT")
        message = (after[code_match.end():] if code_match else after).strip()
        message = re.sub(rf"^{state}\b\s*", "", message, flags=re.IGNORECASE)
        stamp = f"{date}T{clock if len(clock) == 8 else clock + ':00'}"
        events.append(AlarmEvent(relative, number, stamp, asset, code, state, message))
    problems = [("", f"{relative}: {len(unstamped)} line(s) without a timestamp ignored (lines {_rows(unstamped)})")]
    if not events:
        raise CopilotError(f"{relative}: no timestamped lines")
    return ParsedFile(relative, "", "alarm_log", f"event log ({len(events)} lines)", alarms=events,
                      problems=problems if unstamped else [])


def asset_in_name(stem: str) -> str | None:
    """'P-101', 'p101_trend', 'line3 P-101 2024' -> 'P-101' (`copilot.app.asset_from_name`, per name part too)."""
    from copilot.app import asset_from_name

    return next((a for part in (stem, *re.split(r"[_\s.]+", stem)) if (a := asset_from_name(part))), None)


def read_sensor_file(path: Path, relative: str, asset: str | None) -> ParsedFile:
    """A sensor CSV -> SensorSeries (validated by `copilot.anomaly.sensors`); the asset comes from the mapping or the
    name."""
    from copilot.anomaly.sensors import read_sensor_csv

    owner = asset or asset_in_name(Path(relative).stem)
    if owner is None:
        raise CopilotError(f"{relative}: sensor data, but no asset id in its name; rename it after the asset "
                           "(P-101.csv) or set `files: {\"" + relative + "\": {asset: ID}}` in the mapping file")
    frame = read_sensor_csv(path)
    series = SensorSeries(relative, owner, frame.data, list(frame.warnings))
    problems = [(owner, f"{relative}: {w}") for w in frame.warnings]
    return ParsedFile(relative, "", "sensor", f"sensor log ({len(frame.data)} rows, {len(frame.data.columns)} "
                      "channels)", sensor=series, problems=problems)
