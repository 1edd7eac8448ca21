"""Leave-one-group-out check of the anomaly calibration defaults on SKAB (how optimistic the headline figure is).

Run: .venv/bin/python bench/skab_logo.py [--skab ../shared/data/skab] [--out bench/results/skab_logo.json]
SKAB's experiments come in three groups (valve1, valve2, other). For each group, the calibration setting is chosen on
the other two (best point F1 with a false-alarm rate under 15%, else the lowest FAR) from the same small grid the
defaults were chosen from, then scored on the held-out group; the held-out counts are pooled over the three groups.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from copilot.config import AnomalyConfig
from copilot.evaluation.anomalies import evaluate_skab, skab_family

ROOT = Path(__file__).resolve().parents[1]
GRID = {"calibration_margin": (1.2, 2.0), "tail_probability": (1e-4, 3e-5), "threshold_ceiling": (10.0, 12.0, 16.0),
        "noise_floor": (2.0, 2.5), "sustain_level": (0.7, 0.8, 0.9), "sustain_windows": (0, 4)}


def counts(cfg: AnomalyConfig, group: list[Path]) -> dict[str, Any]:
    """evaluate_skab on a subset of the files (symlinked into a temporary folder; nothing is copied)."""

    with tempfile.TemporaryDirectory() as tmp:
        for path in group:
            (Path(tmp) / path.name).symlink_to(path.resolve())
        result = evaluate_skab(Path(tmp), cfg, "robust")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skab", default=str(ROOT.parent / "shared" / "data" / "skab"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "skab_logo.json"))
    args = parser.parse_args()
    folder = Path(args.skab)
    files = sorted(p for p in folder.glob("*.csv") if skab_family(p.stem))
    groups = {g: [p for p in files if p.stem.startswith(g + "_")] for g in ("valve1", "valve2", "other")}
    settings = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    table: dict[tuple[int, str], dict[str, Any]] = {}
    for i, setting in enumerate(settings):
        cfg = replace(AnomalyConfig(), **setting)
        for name, group in groups.items():
            table[(i, name)] = counts(cfg, group)

    def pooled(i: int, names: list[str]) -> dict[str, float]:
        tp = fp = fn = tn = 0.0
        for name in names:
            c = table[(i, name)]["counts"]
            tp, fp, fn, tn = tp + c["tp"], fp + c["fp"], fn + c["fn"], tn + c["tn"]
        return {"f1": 2 * tp / max(2 * tp + fp + fn, 1), "far": fp / max(fp + tn, 1), "tp": tp, "fp": fp, "fn": fn,
                "tn": tn}

    held: dict[str, dict[str, object]] = {}
    total = {"tp": 0.0, "fp": 0.0, "fn": 0.0, "tn": 0.0}
    for name in groups:
        rest = [g for g in groups if g != name]
        scored = [(i, pooled(i, rest)) for i in range(len(settings))]
        ok = [s for s in scored if s[1]["far"] < 0.15]
        best = max(ok, key=lambda s: s[1]["f1"]) if ok else min(scored, key=lambda s: s[1]["far"])
        out = pooled(best[0], [name])
        held[name] = {"chosen": settings[best[0]], "train_f1": round(best[1]["f1"], 4),
                      "heldout_f1": round(out["f1"], 4), "heldout_far": round(out["far"], 4)}
        for k in total:
            total[k] += out[k]
    default = pooled(next(i for i, s in enumerate(settings) if all(
        getattr(AnomalyConfig(), k) == v for k, v in s.items())), list(groups))
    result = {"logo_f1": round(2 * total["tp"] / (2 * total["tp"] + total["fp"] + total["fn"]), 4),
              "logo_far": round(total["fp"] / (total["fp"] + total["tn"]), 4),
              "default_f1": round(default["f1"], 4), "default_far": round(default["far"], 4),
              "groups": held, "grid": {k: list(v) for k, v in GRID.items()}}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
