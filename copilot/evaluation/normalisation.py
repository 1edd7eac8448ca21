"""Shorthand normalisation accuracy on MaintNorm (real mining work-order texts, token-aligned raw -> normalised).

Read from ../shared/data/work_orders/maintnorm (never copied). Comparison is case-blind (keyword search lower-cases
everything). Tokens whose gold form is a mask (`<id>`, `<num>`, ...) are excluded: masking identifiers is MaintNorm's
task, not ours. Reported: accuracy over all other tokens, accuracy on the tokens that need a change (gold differs from
the lower-cased raw token), and the lower-case-only baseline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from copilot.errors import CopilotError
from index.normalize import normalize_token

DEFAULT_DIR = Path("../shared/data/work_orders/maintnorm")


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """(raw, gold) token pairs of a `.norm.txt` file (tab-separated, blank lines between texts)."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw, sep, gold = line.partition("\t")
        if sep and raw.strip():
            pairs.append((raw.strip(), gold.strip()))
    return pairs


def evaluate_normalisation(folder: Path = DEFAULT_DIR, split: str = "test") -> dict[str, Any]:
    files = sorted(folder.glob(f"company_*_{split}.norm.txt"))
    if not files:
        raise CopilotError(f"no MaintNorm {split} files in {folder} (expected company_X_{split}.norm.txt)")
    result: dict[str, Any] = {"split": split, "companies": {}}
    totals = {"tokens": 0, "correct": 0, "baseline": 0, "changed": 0, "changed_correct": 0}
    for file in files:
        counts = dict.fromkeys(totals, 0)
        for raw, gold in read_pairs(file):
            if gold.startswith("<") and gold.endswith(">"):
                continue
            counts["tokens"] += 1
            gold = gold.lower()  # keyword search is case-blind; MaintNorm's acronym casing is not our concern
            counts["correct"] += normalize_token(raw) == gold
            counts["baseline"] += raw.lower() == gold
            if raw.lower() != gold:
                counts["changed"] += 1
                counts["changed_correct"] += normalize_token(raw) == gold
        result["companies"][file.name.split(f"_{split}")[0]] = _rates(counts)
        for key in totals:
            totals[key] += counts[key]
    result["all"] = _rates(totals)
    return result


def _rates(counts: dict[str, int]) -> dict[str, Any]:
    return {
        "tokens": counts["tokens"],
        "accuracy": round(counts["correct"] / max(1, counts["tokens"]), 4),
        "lowercase_baseline": round(counts["baseline"] / max(1, counts["tokens"]), 4),
        "tokens_needing_change": counts["changed"],
        "accuracy_on_changed": round(counts["changed_correct"] / max(1, counts["changed"]), 4),
    }
