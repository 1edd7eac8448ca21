"""Analysing a 100,000-row, 8-channel sensor file on 2 cores, excluding the language model.

Run: .venv/bin/python bench/bench_analyse.py [--rows 100000] [--repeat 3] [--out bench/results/analyse.json]
The file is synthetic (a pump with load cycles, stops, noise, gaps and one bearing fault), written once to a temporary
folder. Timed per stage: CSV ingestion, detection (each detector), diagnosis against the corpus FMEA table, and the
plot; the headline is ingestion + default detection + diagnosis (what `copilot analyse --no-llm` does minus index
loading). Medians of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def make_log(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    load = 1.0 + 0.1 * np.sin(2 * np.pi * t / 2880)
    running = (t % 5000) > 300  # a stop every 5,000 samples
    channels = {
        "vibration_mm_s": 1.2 * load + rng.normal(0, 0.05, rows),
        "bearing_temp_c": 55 + 3 * load + rng.normal(0, 0.3, rows),
        "motor_current_a": 40 * load + rng.normal(0, 0.4, rows),
        "suction_pressure_bar": 1.2 + rng.normal(0, 0.02, rows),
        "discharge_pressure_bar": 6.5 * load + rng.normal(0, 0.05, rows),
        "flow_m3h": 108 * load + rng.normal(0, 1.0, rows),
        "seal_temp_c": 40 + rng.normal(0, 0.3, rows),
        "oil_level_pct": 80 + rng.normal(0, 0.5, rows),
    }
    fault = slice(int(rows * 0.8), rows)
    channels["vibration_mm_s"][fault] += np.linspace(0.5, 3.0, rows - fault.start)
    channels["bearing_temp_c"][fault] += np.linspace(2, 15, rows - fault.start)
    frame = pd.DataFrame(channels)
    for name in ("vibration_mm_s", "motor_current_a", "flow_m3h"):
        frame.loc[~running, name] = np.abs(rng.normal(0, 0.01, int((~running).sum())))
    frame.iloc[rng.integers(0, rows, 200), 3] = np.nan  # gaps
    frame.insert(0, "timestamp", pd.date_range("2025-01-01", periods=rows, freq="10s"))
    frame.to_csv(path, index=False, float_format="%.4f")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "analyse.json"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(2)
    from copilot.anomaly.detection import run_detection
    from copilot.anomaly.plot import plot_report
    from copilot.anomaly.report import asset_type_from_channels, diagnose
    from copilot.anomaly.sensors import read_sensor_csv
    from copilot.config import AnomalyConfig
    from copilot.evaluation.anomalies import DEFAULT_FMEA, read_fmea_csv
    from copilot.records import AnomalyReport

    cfg = AnomalyConfig()
    rows = read_fmea_csv(ROOT / DEFAULT_FMEA)
    timings: dict[str, list[float]] = {}
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "P-999.csv"
        make_log(path, args.rows)
        for _ in range(args.repeat):
            started = time.perf_counter()
            frame = read_sensor_csv(path)
            timings.setdefault("read_s", []).append(time.perf_counter() - started)
            for name in ("robust", "pca", "gru", "ensemble"):
                started = time.perf_counter()
                found = run_detection(frame.data, cfg, detector=name)
                timings.setdefault(f"detect_{name}_s", []).append(time.perf_counter() - started)
                if name == cfg.detector:
                    default = found
            started = time.perf_counter()
            kind = asset_type_from_channels(rows, list(frame.data.columns))
            causes = diagnose(default.events, rows, kind, list(frame.data.columns))
            timings.setdefault("diagnose_s", []).append(time.perf_counter() - started)
            report = AnomalyReport("P-999", (str(frame.data.index[0]), str(frame.data.index[-1])),
                                   tuple(frame.data.columns), tuple(default.events), default.detector,
                                   tuple(causes))
            started = time.perf_counter()
            plot_report(frame, report, Path(tmp) / "plot.png")
            timings.setdefault("plot_s", []).append(time.perf_counter() - started)
        result["events"] = len(default.events)
        result["top_cause"] = causes[0].failure_mode if causes else None
        result["stops"] = default.states.stops
    medians = {k: round(statistics.median(v), 3) for k, v in timings.items()}
    total = medians["read_s"] + medians[f"detect_{cfg.detector}_s"] + medians["diagnose_s"]
    result.update({"rows": args.rows, "channels": 8, "repeat": args.repeat, "detector": cfg.detector,
                   "medians": medians, "total_s": round(total, 3),
                   "total_with_plot_s": round(total + medians["plot_s"], 3),
                   "target_s": 10.0, "threads": torch.get_num_threads()})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
