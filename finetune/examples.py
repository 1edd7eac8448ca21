"""The fine-tuning data set on disk: Example records in train.jsonl / heldout.jsonl, with a manifest.

Light on purpose (no index, no model): training and evaluation read data sets with this module alone, so they run
wherever torch does, e.g. on a GPU box that has no FAISS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError

FILES = {"train": "train.jsonl", "heldout": "heldout.jsonl"}


@dataclass(frozen=True)
class Example:
    """One chat prompt and the completion the model should write, with where it came from."""

    example_id: str
    task: str  # answer | abstain_removed | abstain_swapped | followup | shorthand | report | troubleshoot | qa_eval
    split: str  # train | heldout
    messages: list[dict[str, str]]
    completion: str | None  # None for evaluation-only items (the qa.jsonl questions)
    answerable: bool | None = None
    gold: list[int] = field(default_factory=list)  # passage numbers that hold the answer
    keywords: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Example:
        return cls(**json.loads(line))


def write_dataset(examples: Sequence[Example], out_dir: Path, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """train.jsonl, heldout.jsonl and manifest.json (counts per task and split, content hash) under `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    counts: dict[str, dict[str, int]] = {}
    for split, name in FILES.items():
        rows = [e for e in examples if e.split == split]
        text = "".join(e.to_json() + "\n" for e in rows)
        (out_dir / name).write_text(text, encoding="utf-8")
        digest.update(text.encode())
        for e in rows:
            counts.setdefault(split, {}).setdefault(e.task, 0)
            counts[split][e.task] += 1
    manifest = {"sha256": digest.hexdigest(), "counts": counts, **(extra or {})}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def read_split(data_dir: Path, split: str) -> list[Example]:
    """The examples of one split; a clear error when the data set has not been built."""
    path = data_dir / FILES[split]
    if not path.is_file():
        raise CopilotError(f"{path} not found: build the data set first with `copilot finetune data --out {data_dir}`")
    return [Example.from_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
