"""The evaluation harness behind `copilot eval ...`: one module per thing measured, each returning a JSON-able dict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError


def load_qa(path: Path) -> list[dict[str, Any]]:
    """Questions in the corpus/eval/qa.jsonl format."""
    if not path.is_file():
        raise CopilotError(f"evaluation set {path} not found")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CopilotError(f"{path} line {number} is not JSON: {exc.msg}") from exc
    return items
