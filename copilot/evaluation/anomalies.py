"""Anomaly detection and diagnosis measured on labelled data: SKAB (real pump testbed) and the corpus sensors.

SKAB protocol (its leaderboard, ../shared/data/README.md): for each of the 34 labelled files, fit on the first 400
rows and score the rest; point F1, false-alarm rate (FP / (FP + TN)) and missed-alarm rate (FN / (FN + TP)) are
computed over all scored rows of all files pooled, with the `anomaly` column as truth. The labels are read only to
score. Also reported: event-level precision (detected events that overlap a labelled anomaly) and recall (labelled
anomalies hit by an event), the detection delay (labelled start to the first abnormal sample), and whether the named
failure mode is the labelled one (top-1, top-3). For SKAB the causes are ranked against a small FMEA table of the
testbed's fault families written from pump physics (below), never fitted to the data; on the corpus, against the
corpus FMEA table.

Every detector runs on the same data with the same fit rows, events and calibration; only the score differs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from copilot.anomaly.detection import run_detection
from copilot.anomaly.detectors import DETECTORS
from copilot.anomaly.diagnosis import FailureMode, failure_mode_from_record, parse_signature
from copilot.anomaly.events import runs
from copilot.anomaly.report import asset_type_from_channels, diagnose
from copilot.anomaly.sensors import read_sensor_csv
from copilot.config import AnomalyConfig
from copilot.errors import CopilotError

DEFAULT_SKAB = Path("../shared/data/skab")
DEFAULT_CORPUS = Path("corpus/sensors")
DEFAULT_FMEA = Path("corpus/knowledge/failure_modes.csv")
SKAB_FIT_ROWS = 400
LABEL_COLUMNS = ("anomaly", "changepoint")

# The SKAB testbed's fault families (its data README) as FMEA rows over its channels, from pump physics: closing a
# valve cuts flow and motor load (an inlet valve also drops the pressure after the pump, an outlet valve raises it);
# a leak or a change of water amount moves flow and pressure; rotor imbalance raises both vibration channels;
# cavitation drops pressure with unsteady flow and rising vibration; a hotter fluid raises the thermocouple.
SKAB_FMEA = (
    ("valve_closure", "Volume Flow RateRMS:down;Current:down;Pressure:down"),
    ("valve_closure", "Volume Flow RateRMS:down;Current:down;Pressure:up"),
    ("leak_flow_change", "Volume Flow RateRMS:erratic;Pressure:down"),
    ("leak_flow_change", "Volume Flow RateRMS:up;Pressure:up"),
    ("rotor_imbalance", "Accelerometer1RMS:up;Accelerometer2RMS:up"),
    ("cavitation", "Pressure:down;Volume Flow RateRMS:erratic;Accelerometer1RMS:up;Accelerometer2RMS:up"),
    ("temperature", "Thermocouple:up;Temperature:up"),
)


def skab_family(name: str) -> str | None:
    """The labelled fault family of a SKAB file, from its folder and number (SKAB's data README)."""
    match = re.match(r"(valve1|valve2|other)_(\d+)", name)
    if not match:
        return None
    group, number = match.group(1), int(match.group(2))
    if group != "other":
        return "valve_closure"
    if number <= 4 or number in (10, 11):
        return "leak_flow_change"
    if 5 <= number <= 9:
        return "rotor_imbalance"
    if number in (12, 13):
        return "cavitation"
    return "temperature" if number == 14 else None


def skab_fmea() -> list[FailureMode]:
    return [FailureMode("skab_testbed", mode, "testbed", parse_signature(sig), "", "", "", "", "", 3)
            for mode, sig in SKAB_FMEA]


class Tally:
    """Pooled point counts, event hits and delays over files."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = self.tn = 0
        self.events = self.events_hit = self.labels = self.labels_hit = 0
        self.delays: list[float] = []
        self.top1: list[bool] = []
        self.top3: list[bool] = []
        self.seconds = 0.0

    def add_points(self, truth: np.ndarray, predicted: np.ndarray) -> None:
        self.tp += int((truth & predicted).sum())
        self.fp += int((~truth & predicted).sum())
        self.fn += int((truth & ~predicted).sum())
        self.tn += int((~truth & ~predicted).sum())

    def add_events(self, truth: np.ndarray, predicted: np.ndarray, index: pd.DatetimeIndex) -> None:
        found = runs(predicted, 0)
        labelled = runs(truth, 0)
        self.events += len(found)
        self.events_hit += sum(bool(truth[s:e + 1].any()) for s, e in found)
        self.labels += len(labelled)
        for s, e in labelled:
            hit = np.flatnonzero(predicted[s:e + 1])
            if hit.size:
                self.labels_hit += 1
                self.delays.append(float((index[s + int(hit[0])] - index[s]).total_seconds()))

    def result(self) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return {
            "f1": ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn), "far": ratio(self.fp, self.fp + self.tn),
            "mar": ratio(self.fn, self.fn + self.tp), "precision": ratio(self.tp, self.tp + self.fp),
            "recall": ratio(self.tp, self.tp + self.fn),
            "event_precision": ratio(self.events_hit, self.events), "event_recall": ratio(self.labels_hit, self.labels),
            "events": self.events, "labelled_events": self.labels,
            "delay_s_median": round(float(np.median(self.delays)), 1) if self.delays else None,
            "top1": ratio(sum(self.top1), len(self.top1)), "top3": ratio(sum(self.top3), len(self.top3)),
            "diagnosed": len(self.top1), "seconds": round(self.seconds, 1),
            "counts": {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn},
        }


def _ranked_modes(events: Sequence[Any], rows: list[FailureMode], asset_type: str | None,
                  channels: list[str]) -> list[str]:
    ranked: list[str] = []
    for cause in diagnose(list(events), rows, asset_type, channels, top=10):
        if cause.failure_mode not in ranked:
            ranked.append(cause.failure_mode)
    return ranked


def evaluate_skab(folder: Path, cfg: AnomalyConfig, detector: str) -> dict[str, Any]:
    """The SKAB protocol for one detector."""
    files = sorted(p for p in folder.glob("*.csv") if skab_family(p.stem))
    if not files:
        raise CopilotError(f"no SKAB experiment files (valve1_*.csv, other_*.csv, ...) in {folder}: pass --skab DIR")
    cfg = replace(cfg, fit_rows=SKAB_FIT_ROWS, fit_fraction=1.0)
    tally, rows = Tally(), skab_fmea()
    for path in files:
        frame = read_sensor_csv(path).data
        truth = frame["anomaly"].fillna(0).to_numpy() > 0
        data = frame.drop(columns=[c for c in LABEL_COLUMNS if c in frame.columns])
        started = time.perf_counter()
        found = run_detection(data, cfg, detector=detector)
        tally.seconds += time.perf_counter() - started
        scored = slice(SKAB_FIT_ROWS, None)
        tally.add_points(truth[scored], found.abnormal[scored])
        tally.add_events(truth[scored], found.abnormal[scored], data.index[scored])
        late = [e for e in found.events if pd.Timestamp(e.end) >= data.index[SKAB_FIT_ROWS]]
        if truth[scored].any():
            ranked = _ranked_modes(late, rows, None, list(data.columns))
            family = skab_family(path.stem)
            tally.top1.append(bool(ranked) and ranked[0] == family)
            tally.top3.append(family in ranked[:3])
    return dict(tally.result(), files=len(files))


def read_fmea_csv(path: Path) -> list[FailureMode]:
    table = pd.read_csv(path, dtype=str).fillna("")
    return [row for row in (failure_mode_from_record(r) for r in table.to_dict("records")) if row is not None]


def evaluate_corpus(folder: Path, fmea: Path, cfg: AnomalyConfig, detector: str) -> dict[str, Any]:
    """The corpus sensors: each file fitted on its first rows (the default), scored whole; labels.json is truth."""
    labels_path = folder / "labels.json"
    if not labels_path.is_file():
        raise CopilotError(f"{labels_path} not found: pass the folder holding the sensor CSVs and labels.json")
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    rows = read_fmea_csv(fmea)
    tally = Tally()
    for path in sorted(folder.glob("*.csv")):
        frame = read_sensor_csv(path).data
        mine = [lab for lab in labels if lab["file"] == path.name]
        truth = np.zeros(len(frame), dtype=bool)
        for label in mine:
            truth |= (frame.index >= pd.Timestamp(label["start"])) & (frame.index <= pd.Timestamp(label["end"]))
        started = time.perf_counter()
        found = run_detection(frame, cfg, detector=detector)
        tally.seconds += time.perf_counter() - started
        tally.add_points(truth, found.abnormal)
        tally.add_events(truth, found.abnormal, frame.index)
        kind = asset_type_from_channels(rows, list(frame.columns))
        for label in mine:
            start, end = pd.Timestamp(label["start"]), pd.Timestamp(label["end"])
            overlapping = [e for e in found.events if pd.Timestamp(e.start) <= end and pd.Timestamp(e.end) >= start]
            ranked = _ranked_modes(overlapping, rows, kind, list(frame.columns))
            tally.top1.append(bool(ranked) and ranked[0] == label["failure_mode"])
            tally.top3.append(label["failure_mode"] in ranked[:3])
    return tally.result()


def evaluate_anomalies(skab: Path | None = DEFAULT_SKAB, corpus: Path | None = DEFAULT_CORPUS,
                       fmea: Path = DEFAULT_FMEA, cfg: AnomalyConfig | None = None,
                       detectors: Sequence[str] = DETECTORS) -> dict[str, Any]:
    """Every detector on SKAB (when the folder exists) and on the corpus sensors.

    Returns {"detector", "f1", "far", "mar" (the configured detector on SKAB, else on the corpus), "detectors":
    {name: {"f1", "far", "mar", "skab": {...}, "corpus": {...}}}, "skab_available"}.
    """
    cfg = cfg or AnomalyConfig()
    use_skab = skab is not None and skab.is_dir()
    if skab is not None and not use_skab and skab != DEFAULT_SKAB:
        raise CopilotError(f"SKAB folder {skab} not found")
    result: dict[str, Any] = {"detector": cfg.detector, "skab_available": use_skab, "detectors": {}}
    for name in detectors:
        entry: dict[str, Any] = {}
        if use_skab and skab is not None:
            entry["skab"] = evaluate_skab(skab, cfg, name)
        if corpus is not None:
            entry["corpus"] = evaluate_corpus(corpus, fmea, cfg, name)
        headline = entry.get("skab") or entry.get("corpus") or {}
        entry.update({k: headline.get(k) for k in ("f1", "far", "mar")})
        result["detectors"][name] = entry
    chosen: dict[str, Any] = result["detectors"].get(cfg.detector) or next(iter(result["detectors"].values()), {})
    result.update({k: chosen.get(k) for k in ("f1", "far", "mar")})
    return result


def format_anomaly_eval(result: dict[str, Any]) -> str:
    """A table per data set: one row per detector."""
    keys = ("f1", "far", "mar", "event_precision", "event_recall", "delay_s_median", "top1", "top3", "seconds")
    lines = []
    for dataset in ("skab", "corpus"):
        rows = [(name, entry[dataset]) for name, entry in result["detectors"].items() if dataset in entry]
        if not rows:
            continue
        lines.append(f"{dataset}: " + " ".join(f"{k:>15}" for k in keys))
        for name, metrics in rows:
            lines.append(f"{name:<9}" + " ".join(f"{str(metrics.get(k)):>15}" for k in keys))
    lines.append(f"default detector {result['detector']}: f1 {result['f1']} far {result['far']} mar {result['mar']}")
    return "\n".join(lines)
