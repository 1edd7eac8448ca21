"""The prose of an asset's report: the language model phrases the computed facts; its numbers are checked.

The model gets the facts as short lines and the manual passages behind the recommendations, numbered [n], and writes
two or three sentences. A sentence survives only if every number in it occurs in the facts or passages, its
citations point at a given passage, and most of its words come from them; if none survives (or with `--no-llm`),
the prose is the template built from the same facts. One short call per asset keeps a CPU run within minutes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from copilot.errors import CopilotError
from copilot.generation.backends import Generator
from copilot.qa.citations import numbers_in, split_sentences, support
from copilot.qa.lexicon import CITATION_RE
from copilot.records import Passage

logger = logging.getLogger(__name__)

SYSTEM = (
    "You write the morning maintenance summary of one asset for a planner. Use only the facts and passages given. "
    "Write two or three short sentences: what happened in the period, what keeps failing, and the next action. "
    "Copy numbers exactly as given, next to what they count. Cite a passage you use as [n].\n"
    "Example: Pump P-7 had 12 work orders from 2023-01-02 to 2024-05-01. Seal leaks keep coming back (5 times, last "
    "on 2024-04-11). Next, replace the mechanical seal as the manual describes [1]."
)
MIN_SUPPORT = 0.6  # share of a sentence's content words found in the facts and passages
MAX_PASSAGE_WORDS = 40
MAX_PASSAGES = 2


def _fmt(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:.2f}" if value != int(value) else str(int(value))


def fact_lines(record: dict[str, Any]) -> list[str]:
    """The asset's facts as short sentences, most important first (the model's input and the template's text)."""
    asset, period, counts = record["asset"], record["period"], record["counts"]
    lines = []
    span = f"from {period['from']} to {period['to']}" if period.get("from") else "with no dated records"
    parts = []
    if counts["work_orders"]:
        parts.append(f"{counts['work_orders']} work orders ({counts['failures']} corrective)")
    if counts["alarms"]:
        parts.append(f"{counts['alarms']} alarms and {counts['trips']} trips")
    if counts["sensor_files"]:
        parts.append(f"{counts['anomaly_events']} anomaly events in {counts['sensor_files']} sensor log(s)")
    lines.append(f"Asset {asset} {span}: " + (", ".join(parts) if parts else "no records") + ".")
    orders = record.get("work_orders") or {}
    if orders.get("top_systems"):
        lines.append("Most frequent systems: " + ", ".join(f"{s['system']} ({s['count']})"
                                                          for s in orders["top_systems"][:3]) + ".")
    recurring = orders.get("recurring_failures") or []
    if recurring:
        top = recurring[0]
        lines.append(f"Most recurrent failure: {top['failure']}, {top['count']} times, last on {top['last']}.")
    if orders.get("cost_total") is not None:
        cost = f"Work-order cost total {_fmt(orders['cost_total'])}"
        if orders.get("downtime_h_total") is not None:
            cost += f", downtime {_fmt(orders['downtime_h_total'])} h"
        lines.append(cost + ".")
    alarms = record.get("alarms") or {}
    if alarms.get("top_codes"):
        code = alarms["top_codes"][0]
        lines.append(f"Most frequent alarm: {code['code']} {code['message']} ({code['count']} times).")
    for anomaly in record.get("anomalies", []):
        if anomaly.get("events"):
            cause = anomaly["likely_causes"][0]["failure_mode"].replace("_", " ") if anomaly.get("likely_causes") \
                else "no matching failure mode"
            lines.append(f"Sensor log {anomaly['source']}: {len(anomaly['events'])} anomaly event(s), likely "
                         f"{cause}, urgency {anomaly['urgency']}.")
    return lines


def template_prose(record: dict[str, Any]) -> str:
    """The prose without a model: the first facts and the first recommendation."""
    lines = fact_lines(record)[:4]
    recommendations = record.get("recommendations") or []
    if recommendations:
        lines.append(f"Next: {recommendations[0]['action']}.")
    return " ".join(lines)


def messages(record: dict[str, Any], passages: Sequence[Passage]) -> list[dict[str, str]]:
    """Chat messages: facts as lines, then the numbered passages (each cut to a few dozen words)."""
    facts = "\n".join(f"- {line}" for line in fact_lines(record))
    recs = "\n".join(f"- {r['action']}" for r in (record.get("recommendations") or [])[:3])
    blocks = [f"{p.header()}\n{' '.join(p.text.split()[:MAX_PASSAGE_WORDS])}" for p in passages[:MAX_PASSAGES]]
    user = f"Facts:\n{facts}\n\nRecommended actions:\n{recs or '- none'}"
    if blocks:
        user += "\n\nPassages:\n" + "\n\n".join(blocks)
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user + "\n\nSummary:"}]


def _source_lines(record: dict[str, Any], passages: Sequence[Passage]) -> list[str]:
    lines = fact_lines(record) + [r["action"] for r in record.get("recommendations") or []]
    for passage in passages:
        lines += split_sentences(passage.text)
    return lines


def check_prose(reply: str, record: dict[str, Any], passages: Sequence[Passage]) -> tuple[str, list[str]]:
    """(the verified sentences joined, the dropped sentences with their reasons).

    A sentence is kept when one single fact line, recommendation or passage sentence supports most of its words and
    holds every number it states: a number is only right beside what it counts ("Engine (331)" must not become
    "the engine cost 331"). Copied passage headers or table rows, cut-off and repeated sentences are dropped.
    """
    lines = _source_lines(record, passages)
    allowed_ids = numbers_in(record["asset"])
    kept: list[str] = []
    seen: list[set[str]] = []
    dropped: list[str] = []
    for sentence in split_sentences(reply):
        refs = [int(n) for g in CITATION_RE.findall(sentence) for n in re.split(r"\s*[,;]\s*", g)]
        bare = CITATION_RE.sub("", sentence).strip()
        if len(bare.split()) < 4 or bare[-1] not in ".!?":
            continue  # a fragment, or cut off by the token limit
        if bare.startswith("[") or "|" in bare or re.search(r"\bp\.\s*$", bare):
            dropped.append(f"{sentence} (copies a passage rather than summarising)")
            continue
        if any(not 1 <= n <= len(passages) for n in refs):
            dropped.append(f"{sentence} (cites a passage that was not given)")
            continue
        numbers = numbers_in(bare) - allowed_ids
        best = max(lines, key=lambda line: (numbers <= numbers_in(line), support(bare, line)), default="")
        if numbers - numbers_in(best):
            dropped.append(f"{sentence} (numbers not stated together in the facts: "
                           f"{', '.join(sorted(numbers - numbers_in(best)))})")
            continue
        if support(bare, best) < MIN_SUPPORT:
            dropped.append(f"{sentence} (not supported by the facts)")
            continue
        words = set(bare.lower().split())
        if any(len(words & other) >= 0.7 * len(words) for other in seen):
            continue  # a repeat
        seen.append(words)
        kept.append(sentence)
    return " ".join(kept), dropped


def write_prose(record: dict[str, Any], passages: Sequence[Passage], generator: Generator | None,
                max_new_tokens: int) -> dict[str, Any]:
    """{"text", "source": model | template, "dropped"}: the model's checked prose, else the template."""
    template = template_prose(record)
    passages = list(passages)[:MAX_PASSAGES]
    if generator is None:
        return {"text": template, "source": "template", "dropped": []}
    try:
        reply = generator.generate(messages(record, passages), max_new_tokens=max_new_tokens)
    except CopilotError as exc:
        logger.warning("prose for %s: model failed (%s); using the template", record["asset"], exc)
        return {"text": template, "source": "template", "dropped": [f"model failed: {exc}"]}
    text, dropped = check_prose(reply, record, passages)
    if not text:
        return {"text": template, "source": "template", "dropped": dropped or [f"model gave no usable text: "
                                                                               f"{reply[:200]}"]}
    return {"text": text, "source": "model", "dropped": dropped}
