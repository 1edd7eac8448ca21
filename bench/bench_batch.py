"""Batch-job throughput: the corpus logs and sensor logs plus the NIST excavator work orders, end to end.

Runs `copilot batch` as a user would (a fresh output folder each time): facts only (`--no-llm`) and with the default
language model, then a resumed rerun; checks the NIST per-asset top-3 major systems against the cleaned file's
columns. Writes bench/results/batch.json. Targets on 2 cores: --no-llm < 30 s, with the model < 10 min.

    .venv/bin/python bench/bench_batch.py [--skip-llm] [--engine ray]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
NIST = ROOT / "../shared/data/work_orders/nist_excavator"
COPILOT = str(Path(sys.executable).with_name("copilot"))


def make_inputs(folder: Path) -> Path:
    """An input folder linking the corpus logs, the corpus sensor logs and the NIST file (nothing copied)."""
    inputs = folder / "in"
    inputs.mkdir()
    (inputs / "logs").symlink_to(ROOT / "corpus" / "logs")
    (inputs / "sensors").symlink_to(ROOT / "corpus" / "sensors")
    (inputs / "excavators.csv").symlink_to((NIST / "excavators.csv").resolve())
    return inputs


def timed_run(inputs: Path, out: Path, *extra: str) -> dict[str, object]:
    started = time.perf_counter()
    result = subprocess.run([COPILOT, "batch", str(inputs), "--out", str(out), *extra], capture_output=True,
                            text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"copilot batch failed ({result.returncode}): {result.stderr[-2000:]}")
    records = [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]
    return {"args": list(extra), "seconds": round(seconds, 1), "exit_code": result.returncode,
            "assets": len(records), "summary": result.stdout.strip().splitlines()[0],
            "model_prose": sum(r.get("summary_source") == "model" for r in records)}


def nist_check(out: Path) -> dict[str, object]:
    """Per asset: our top-3 major systems vs the cleaned file's MajorSystem counts (ties at third place allowed)."""
    cleaned = pd.read_csv(NIST / "excavators-cleaned.csv")
    reference: dict[str, Counter[str]] = {}
    for asset, group in cleaned.groupby("Asset"):
        counter: Counter[str] = Counter()
        for value in group["MajorSystem"].dropna():
            for system in set(str(value).split("_")):
                counter["Hydraulic Cylinders" if system.startswith("Hydraulic Cylinder") else system] += 1
        reference[str(asset)] = counter
    rows = {}
    for line in (out / "report.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["asset"] not in reference:
            continue
        ours = [s["system"] for s in record["work_orders"]["top_systems"][:3]]
        ranked = reference[record["asset"]].most_common()
        allowed = {s for s, n in ranked if n >= ranked[2][1]}
        rows[record["asset"]] = {"ours": ours, "reference": [f"{s} ({n})" for s, n in ranked[:4]],
                                 "match": set(ours) <= allowed and {s for s, _ in ranked[:2]} <= set(ours)}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-llm", action="store_true", help="only the --no-llm run")
    parser.add_argument("--engine", default="local", choices=["local", "ray"])
    args = parser.parse_args()
    results: dict[str, object] = {"machine": f"{os.cpu_count()} cores", "engine": args.engine}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = make_inputs(folder)
        engine = ["--engine", args.engine]
        results["no_llm"] = timed_run(inputs, folder / "facts", "--no-llm", *engine)
        results["no_llm_resumed"] = timed_run(inputs, folder / "facts", "--no-llm", *engine)
        results["nist_top3"] = nist_check(folder / "facts")
        if not args.skip_llm:
            results["llm"] = timed_run(inputs, folder / "llm", *engine)
    target = ROOT / "bench" / "results" / ("batch.json" if args.engine == "local" else "batch_ray.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
