"""Safety first: the DANGER / WARNING / CAUTION notices of the sections an answer cites go in front of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from copilot.qa.lexicon import WARNING_RE
from copilot.qa.view import IndexView
from copilot.records import Answer


def with_safety(answer: Answer, view: IndexView) -> Answer:
    """The answer with the notices of its cited sections as a banner in front, and in `answer.safety`."""
    cited = {(c.source, c.section) for c in answer.citations if c.section}
    warnings = safety_lines(view.section_texts(cited))
    if not warnings:
        return answer
    banner = "\n".join(f"⚠ {w}" for w in warnings)
    return replace(answer, text=f"{banner}\n{answer.text}", safety=tuple(warnings))


def safety_lines(texts: Iterable[str]) -> list[str]:
    """DANGER/WARNING/CAUTION lines in the given texts, in order, without duplicates."""
    found: list[str] = []
    for text in texts:
        lines = text.splitlines()
        for i, line in enumerate(lines):
            match = WARNING_RE.match(line)
            if not match:
                continue
            body = match.group(3).strip().strip("*").strip()
            if not body:  # the signal word on its own line: the notice is the next line
                body = next((ln.strip().lstrip(">").strip() for ln in lines[i + 1:] if ln.strip()), "")
            if not body:
                continue
            warning = f"{(match.group(1) or match.group(2)).upper()}: {body}"
            if warning not in found:
                found.append(warning)
    return found
