"""Records that more than one input file holds are counted once: the same export saved twice, a monthly export
beside the yearly one, the same alarm log under two names.

A work order is the same record when it has the same asset and id (its export's own id column), or, without an id,
the same asset, date and text. An alarm line is the same when its asset, time, code, state and message are. A sensor
log is the same when its asset and readings are. Files are taken in path order and the first file keeps a record;
a later file keeps only the copies beyond what an earlier file already held (a key seen twice in one file and twice
in another is two records, not four), so rows that legitimately repeat within one export are left alone. Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from copilot.batch.inputs import AlarmEvent, ParsedFile, SensorSeries, WorkOrder

KINDS = ("work order", "alarm line", "sensor log")


@dataclass
class Duplicates:
    """The copies left out, and who held them first."""

    work_orders: set[tuple[str, int]] = field(default_factory=set)  # (source, row) of left-out work orders
    alarms: set[tuple[str, int]] = field(default_factory=set)  # (source, line) of left-out alarm lines
    sensors: set[str] = field(default_factory=set)  # sources whose sensor log repeats an earlier one
    # (file with copies, file that held them first, kind, asset) -> how many
    counts: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)

    def __bool__(self) -> bool:
        return bool(self.counts)

    def keeps_order(self, order: WorkOrder) -> bool:
        """False for a work order an earlier file already held."""
        return (order.source, order.row) not in self.work_orders

    def keeps_alarm(self, event: AlarmEvent) -> bool:
        """False for an alarm line an earlier file already held."""
        return (event.source, event.line) not in self.alarms

    def _totals(self) -> Counter[tuple[str, str, str]]:
        totals: Counter[tuple[str, str, str]] = Counter()
        for (copy, first, kind, _), count in self.counts.items():
            totals[copy, first, kind] += count
        return totals

    def notes(self) -> list[str]:
        """One line per (file, earlier file, kind) for the run's report and the terminal."""
        return [f"duplicates: {copy} repeats {_many(count, kind)} of {first} ({WHY[kind]}): counted once"
                for (copy, first, kind), count in sorted(self._totals().items())]

    def problems(self) -> list[tuple[str, str]]:
        """(asset, line) for the data problems of each asset that had copies left out."""
        return [(asset, f"{copy}: {_many(count, kind)} already in {first} left out as duplicates")
                for (copy, first, kind, asset), count in sorted(self.counts.items())]

    def note_for(self, source: str) -> str:
        """What a file's row of the input table adds: how many of its records were copies ("" when none)."""
        parts = [f"{_many(count, kind)} already in {first}"
                 for (copy, first, kind), count in sorted(self._totals().items()) if copy == source]
        return f"duplicates left out: {', '.join(parts)}" if parts else ""


WHY = {"work order": "same id, or same asset, date and text", "alarm line": "same time, asset, code and message",
       "sensor log": "same asset and readings"}


def _many(count: int, kind: str) -> str:
    return f"{count} {kind}{'' if count == 1 else 's'}"


def has_own_id(order: WorkOrder) -> bool:
    """True when the id came from the export (the reader names id-less rows 'file:row')."""
    return order.id != f"{Path(order.source).name}:{order.row}"


def order_key(order: WorkOrder) -> Hashable:
    """What makes two work orders the same record: asset and own id, else asset, date and text."""
    if has_own_id(order):
        return ("id", order.asset, order.id)
    return ("text", order.asset, order.date, " ".join(order.text.lower().split()))


def alarm_key(event: AlarmEvent) -> Hashable:
    """What makes two alarm lines the same event."""
    return (event.asset, event.timestamp, event.code, event.state, " ".join(event.message.split()))


def series_key(series: SensorSeries) -> Hashable:
    """What makes two sensor logs the same: the asset and a hash of the readings (times, channels, values)."""
    sha = hashlib.sha256(pd.util.hash_pandas_object(series.data, index=True).to_numpy().tobytes())
    sha.update(json.dumps([str(c) for c in series.data.columns]).encode())
    return (series.asset, sha.hexdigest())


class _Ledger:
    """How many copies of each key the files read so far hold (the most any one file held) and which file first."""

    def __init__(self) -> None:
        self.held: dict[Hashable, int] = {}
        self.first: dict[Hashable, str] = {}

    def copies(self, source: str, keys: Sequence[Hashable]) -> list[tuple[int, str]]:
        """Positions in `keys` (one file's records, in order) that earlier files already held, with that file."""
        seen: Counter[Hashable] = Counter()
        found = []
        for position, key in enumerate(keys):
            if seen[key] < self.held.get(key, 0):
                found.append((position, self.first[key]))
            seen[key] += 1
        for key, count in seen.items():
            self.held[key] = max(self.held.get(key, 0), count)
            self.first.setdefault(key, source)
        return found


def find_duplicates(files: Sequence[ParsedFile]) -> Duplicates:
    """The records of `files` (in path order) that an earlier file already held."""
    found = Duplicates()
    orders, alarms, sensors = _Ledger(), _Ledger(), _Ledger()
    for file in sorted((f for f in files if f.kind not in ("failed", "skipped")), key=lambda f: f.source):
        for position, first in orders.copies(file.source, [order_key(o) for o in file.work_orders]):
            order = file.work_orders[position]
            found.work_orders.add((order.source, order.row))
            found.counts[file.source, first, "work order", order.asset] += 1
        for position, first in alarms.copies(file.source, [alarm_key(e) for e in file.alarms]):
            event = file.alarms[position]
            found.alarms.add((event.source, event.line))
            found.counts[file.source, first, "alarm line", event.asset] += 1
        if file.sensor is not None:
            for _, first in sensors.copies(file.source, [series_key(file.sensor)]):
                found.sensors.add(file.source)
                found.counts[file.source, first, "sensor log", file.sensor.asset] += 1
    return found
