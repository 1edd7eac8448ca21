"""Find the input files under INPUT_DIR and recognise each by its content, not its name.

Exports arrive as `export(3).csv`, `WO_dump.txt`, `alarms_2024.LOG`: the extension says little. A file is
- an alarm/event log when most of its lines start with a timestamp;
- a sensor log when it is a table whose columns are nearly all numeric (`index.loaders.tabular.looks_like_sensor_data`);
- work orders when it is a table (CSV, TSV, JSONL) with a date column and an asset column, named or mapped;
- skipped (with the reason) when it is binary, empty, or text of another kind;
- failed when it looks like data but cannot be read.
A mapping file can force the kind, the asset and the columns of any file (`copilot.batch.mapping`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from copilot.anomaly.sensors import TIME_NAMES, sniff_delimiter
from copilot.batch.inputs import ParsedFile
from copilot.batch.mapping import InputMapping
from copilot.batch.readers import read_alarm_log, read_sensor_file, read_work_orders
from copilot.errors import CopilotError
from index.errors import DocumentLoadError
from index.loaders.logs import LINE_RE
from index.loaders.tabular import looks_like_sensor_data

logger = logging.getLogger(__name__)

SNIFF_LINES = 200
TIME_NAME_RE = re.compile("|".join(TIME_NAMES), re.IGNORECASE)


@dataclass(frozen=True)
class Listing:
    """What `list_inputs` found: the files to read, and the entries left alone with the reason."""

    files: list[Path]
    skipped: list[tuple[str, str]]  # (path relative to INPUT_DIR, why it was not read)


def _link_reason(path: Path, root: Path) -> str:
    """Why a symbolic link under INPUT_DIR is not read. Links are never followed: a folder link can leave the input
    folder or loop back into it (each loop a new copy of every file), and a link to a file inside it would count
    that file twice."""
    what = "folder" if path.is_dir() else "file"
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a broken or looping symbolic link: not followed"
    if target != root and root not in target.parents:
        return f"a symbolic link to a {what} outside the input folder: not followed (copy the {what} in to read it)"
    here = path.parent.resolve()
    if target == here or target in here.parents:
        return "a symbolic link to a folder that holds it (a loop): not followed"
    inside = target.relative_to(root).as_posix()
    return (f"a symbolic link to the {what} {inside} of the input folder: not followed ({inside} is read under its "
            "own name)")


def list_inputs(input_dir: Path, exclude: Path | None = None) -> Listing:
    """Every regular file under `input_dir`, sorted, without hidden files/folders and without `exclude` (the OUT_DIR
    when it lies inside INPUT_DIR). Symbolic links and special files (pipes, sockets, devices) are listed as skipped
    with the reason, never followed or read, so nothing outside the folder is read and no loop repeats a file."""
    if not input_dir.is_dir():
        raise CopilotError(f"input folder {input_dir} not found or not a folder: give the folder holding the exports")
    root = input_dir.resolve()
    skip = exclude.resolve() if exclude is not None else None
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for current, dirs, names in os.walk(input_dir):  # followlinks=False: a folder link is listed, never entered
        here = Path(current)
        kept = []
        for name in sorted(dirs):
            path = here / name
            if name.startswith(".") or (skip is not None and not path.is_symlink() and path.resolve() == skip):
                continue
            if path.is_symlink():
                skipped.append((path.relative_to(input_dir).as_posix(), _link_reason(path, root)))
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            path = here / name
            if name.startswith("."):
                continue
            if path.is_symlink():
                skipped.append((path.relative_to(input_dir).as_posix(), _link_reason(path, root)))
            elif not path.is_file():
                skipped.append((path.relative_to(input_dir).as_posix(), "not a regular file (a pipe, socket or "
                                                                         "device): not read"))
            else:
                files.append(path)
    return Listing(sorted(files, key=lambda p: p.relative_to(input_dir).as_posix()), sorted(skipped))


def read_regular(path: Path) -> bytes:
    """A listed file's bytes, refusing what became a link or a pipe since it was listed (O_NOFOLLOW, O_NONBLOCK).

    Raises:
        OSError: the file cannot be read, or is no longer a regular file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        return handle.read()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamped_share(lines: list[str]) -> float:
    return sum(bool(LINE_RE.match(line)) for line in lines) / len(lines) if lines else 0.0


def _is_jsonl(lines: list[str]) -> bool:
    if not lines or not lines[0].lstrip().startswith("{"):
        return False
    try:
        return all(isinstance(json.loads(line), dict) for line in lines[:20])
    except json.JSONDecodeError:
        return False


def recognise(text: str) -> tuple[str, str]:
    """(kind, why) from a file's text: alarm_log, sensor, table (work orders to be checked), or skipped."""
    lines = [ln for ln in text.splitlines()[: SNIFF_LINES * 2] if ln.strip()][:SNIFF_LINES]
    if not lines:
        return "skipped", "empty file"
    if _stamped_share(lines) >= 0.5:
        return "alarm_log", "lines start with timestamps"
    if _is_jsonl(lines):
        return "table", "JSON lines"
    sample = "\n".join(lines)
    try:
        frame = pd.read_csv(io.StringIO(sample), sep=sniff_delimiter(sample), engine="python", dtype=str,
                            keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError, TypeError) as exc:
        return "skipped", f"neither a table nor a timestamped log ({str(exc).splitlines()[0][:80]})"
    if len(frame.columns) == 1 and TIME_NAME_RE.fullmatch(str(frame.columns[0]).strip()):
        return "sensor", "a timestamp column alone"  # reading it says what is missing: the sensor channels
    if len(frame.columns) < 2:
        return "skipped", "neither a table nor a timestamped log (fewer than 2 columns)"
    if frame.empty:
        return "skipped", f"a header with no data rows ({len(frame.columns)} columns): an empty export"
    if looks_like_sensor_data(frame):
        return "sensor", "numeric time series"
    return "table", f"table of {len(frame.columns)} columns"


def parse_file(path: Path, relative: str, data: bytes, sha256: str, mapping: InputMapping) -> ParsedFile:
    """Recognise and read one file. Never raises for bad content: the reason goes into the ParsedFile."""
    rule = mapping.rule_for(relative)
    if rule is not None and rule.kind == "skip":
        return ParsedFile(relative, sha256, "skipped", "skipped by the mapping file")
    if not data.strip():
        return ParsedFile(relative, sha256, "skipped", "empty file")
    if b"\x00" in data[:8192]:
        return ParsedFile(relative, sha256, "skipped", "binary file (not a text export)")
    text = data.decode("utf-8", errors="replace")
    if rule is not None and rule.kind:
        kind, why = ("table" if rule.kind == "work_orders" else rule.kind), "kind set by the mapping file"
    else:
        kind, why = recognise(text)
    try:
        if kind == "alarm_log":
            parsed = read_alarm_log(relative, text)
        elif kind == "sensor":
            parsed = read_sensor_file(path, relative, rule.asset if rule else None)
        elif kind == "table":
            parsed = read_work_orders(path, relative, text, mapping.columns_for(relative),
                                      rule.asset if rule else None, forced=bool(rule and rule.kind))
        else:
            return ParsedFile(relative, sha256, "skipped", why)
    except (CopilotError, DocumentLoadError) as exc:
        return ParsedFile(relative, sha256, "failed", str(exc))
    except (ValueError, TypeError, KeyError, UnicodeError, pd.errors.ParserError, csv.Error) as exc:  # never fatal
        logger.debug("reading %s failed", relative, exc_info=True)
        return ParsedFile(relative, sha256, "failed", f"cannot read {relative}: {type(exc).__name__}: {exc}")
    parsed.sha256 = sha256
    if parsed.kind not in ("skipped", "failed"):
        parsed.reason = parsed.reason or why
    return parsed
