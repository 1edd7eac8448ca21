"""Records of the batch job: what a file held (work orders, alarm events, a sensor series) and what an asset got.

Plain dataclasses that pickle, so the same objects travel to Ray workers and into the resume cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# What a file was recognised as. "skipped" is not data (a README, an image); "failed" looked like data but could
# not be read, and makes the run exit with code 1.
KINDS = ("work_orders", "alarm_log", "sensor", "skipped", "failed")


@dataclass(frozen=True)
class WorkOrder:
    """One maintenance work order, with the roles the summary needs (others stay in the export)."""

    source: str  # file, relative to INPUT_DIR
    row: int  # 1-based data row in that file
    id: str
    date: str  # ISO date, YYYY-MM-DD
    asset: str
    text: str  # the technician's free text: problem, cause and action joined
    wo_type: str = ""  # PM01, CM, INSP, ... as exported
    failure_mode: str = ""  # the export's own failure code, when it has one
    cost: float | None = None
    downtime_h: float | None = None


@dataclass(frozen=True)
class AlarmEvent:
    """One stamped line of a control-system event log."""

    source: str
    line: int
    timestamp: str  # ISO, seconds
    asset: str
    code: str  # E104, or "" for START/STOP lines
    state: str  # ALARM | ACK | CLEAR | TRIP | START | STOP | EVENT
    message: str


@dataclass
class SensorSeries:
    """A validated sensor log of one asset (DatetimeIndex, numeric channels)."""

    source: str
    asset: str
    data: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


@dataclass
class ParsedFile:
    """One input file after recognition and reading: its kind, its records, and what was wrong with it."""

    source: str  # relative path
    sha256: str
    kind: str
    reason: str = ""  # why skipped or failed; how it was recognised otherwise
    work_orders: list[WorkOrder] = field(default_factory=list)
    alarms: list[AlarmEvent] = field(default_factory=list)
    sensor: SensorSeries | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (asset or "", data problem)
    columns: dict[str, Any] = field(default_factory=dict)  # the column roles used (work orders)

    def assets(self) -> list[str]:
        found = {w.asset for w in self.work_orders} | {a.asset for a in self.alarms}
        if self.sensor is not None:
            found.add(self.sensor.asset)
        return sorted(found)

    def summary(self) -> dict[str, Any]:
        """The JSON line of this file in run.json and the report's input table."""
        count = len(self.work_orders) or len(self.alarms) or (len(self.sensor.data) if self.sensor is not None else 0)
        return {"source": self.source, "sha256": self.sha256, "kind": self.kind, "reason": self.reason,
                "records": count, "assets": self.assets(), "columns": self.columns,
                "problems": [p for _, p in self.problems]}


@dataclass
class AssetJob:
    """Everything one asset's summary needs; built by the driver, run by a local thread or a Ray task."""

    asset: str
    work_orders: list[WorkOrder]
    alarms: list[AlarmEvent]
    sensors: list[SensorSeries]
    problems: list[str]  # data problems found while reading this asset's files
    sources: list[str]  # the input files that contributed
    key: str = ""  # resume key: content hashes of the inputs + options


@dataclass
class AssetResult:
    """One asset's report record (JSON-ready) and its plots (name -> base64 PNG)."""

    asset: str
    record: dict[str, Any]
    plots: dict[str, str] = field(default_factory=dict)
    error: str = ""  # set when the asset's own work failed (recorded, the run goes on)
