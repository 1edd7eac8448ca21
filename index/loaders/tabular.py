"""Work-order exports (CSV, JSONL) and FMEA-style tables into one record block per row.

Real CMMS exports name their columns every which way, so the roles a citation needs (record id, date, asset) are
guessed from the column names and can be set explicitly with a mapping (`IndexConfig.log_columns`).
Sensor time series are recognised and refused here: they belong to `copilot analyse`, not to the text index.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from index.errors import DocumentLoadError
from index.loaders.encoding import SAMPLE_BYTES, read_text, text_encoding
from index.records import Block

ROLE_PATTERNS: dict[str, tuple[str, ...]] = {
    "id": ("wo_id", "work_order", "workorder", "wo_number", "wo", "order_id", "ticket", "id", "number", "record"),
    "date": ("opened", "open_date", "date_opened", "reported", "created", "start_date", "date", "timestamp", "start"),
    "asset": ("asset", "asset_id", "equipment", "equipment_id", "unit", "machine", "tag", "asset_type"),
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def guess_columns(columns: list[str], mapping: dict[str, str] | None = None) -> dict[str, str | None]:
    """Map the roles id/date/asset to column names: explicit mapping first, then name patterns."""
    mapping = mapping or {}
    by_norm = {_norm(c): c for c in columns}
    roles: dict[str, str | None] = {}
    for role, patterns in ROLE_PATTERNS.items():
        if role in mapping:
            if mapping[role] not in columns:
                raise ValueError(f"mapped column {mapping[role]!r} for {role} not in columns {columns}")
            roles[role] = mapping[role]
            continue
        roles[role] = next((by_norm[p] for p in patterns if p in by_norm), None)
        if roles[role] is None:  # looser: a column whose name contains the pattern (e.g. "Equipment No.")
            roles[role] = next((c for p in patterns[:4] for n, c in by_norm.items() if p in n), None)
    return roles


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV (any common delimiter) or JSONL file as strings, failing with the reason."""
    try:
        if path.suffix.lower() == ".jsonl":
            rows = []
            for number, line in enumerate(read_text(path, errors="replace").splitlines(), 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise DocumentLoadError(path, f"line {number} is not JSON ({exc.msg})") from exc
            frame = pd.DataFrame(rows)
        else:
            with open(path, "rb") as handle:
                encoding = text_encoding(path, handle.read(SAMPLE_BYTES)) or "utf-8"
            frame = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False,
                                encoding=encoding, encoding_errors="replace")
    except DocumentLoadError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError, csv.Error) as exc:
        raise DocumentLoadError(path, f"cannot parse as a table ({exc})") from exc
    if frame.empty:
        raise DocumentLoadError(path, "table has no rows")
    return frame.astype(str)


def looks_like_sensor_data(frame: pd.DataFrame) -> bool:
    """True for numeric time series (most columns numeric): those go to anomaly analysis, not the text index."""
    sample = frame.head(200)
    numeric = sum(pd.to_numeric(sample[c], errors="coerce").notna().mean() > 0.9 for c in sample.columns)
    return len(sample.columns) >= 2 and numeric >= len(sample.columns) - 1


def parse_records(path: Path, mapping: dict[str, str] | None = None) -> tuple[str, tuple[Block, ...], str]:
    """One block per row: `name: value` lines, with id/date/asset roles first. Returns (title, blocks, doc_type)."""
    frame = read_table(path)
    if looks_like_sensor_data(frame):
        raise DocumentLoadError(path, "looks like sensor data (numeric time series): use `copilot analyse` on it")
    try:
        roles = guess_columns(list(frame.columns), mapping)
    except ValueError as exc:
        raise DocumentLoadError(path, str(exc)) from exc
    doc_type = "work_order" if roles["date"] and roles["asset"] else "table"
    title = path.stem.replace("_", " ")
    blocks = []
    for position, row in enumerate(frame.to_dict(orient="records")):
        blocks.append(_record_block(row, roles, position, title))
    return title, tuple(blocks), doc_type


def _record_block(row: dict[str, Any], roles: dict[str, str | None], position: int, title: str) -> Block:
    record_id = str(row.get(roles["id"], "")).strip() if roles["id"] else ""
    label = record_id or f"row {position + 1}"
    lines = []
    for column, value in row.items():
        text = str(value).strip()
        if text and text.lower() not in ("nan", "none", "null"):
            lines.append(f"{column}: {text}")
    asset = str(row.get(roles["asset"], "")).strip() if roles["asset"] else ""
    date = str(row.get(roles["date"], "")).strip()[:10] if roles["date"] else ""
    return Block(text="\n".join(lines), page=None, headings=(title, label), kind="record",
                 assets=(asset,) if asset else (), date=date or None)
