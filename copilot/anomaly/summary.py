"""The prose summary of an anomaly report: written by the language model from the report's facts only, then checked.

The model sees a numbered list of facts (events with the detector's numbers, ranked causes with their evidence, the
first cited repair steps, the urgency) and is asked for a few plain sentences: what is abnormal, the likely cause, the
first step with its manual section, how urgent. `finetune/reports.py` trains on exactly these prompts. Its reply is
used only if every number in it occurs in the facts, it names the top-ranked cause and no failure mode outside the
ranking, and it is not empty or rambling; otherwise (or with no model) the summary is the template below, built from
the same facts. Numbers come from the detector, never the model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime

from copilot.errors import CopilotError
from copilot.generation.backends import Generator, Messages
from copilot.qa.citations import numbers_in
from copilot.records import AnomalyEvent, LikelyCause, RepairAction, SourceRef
from index.records import page_reference

logger = logging.getLogger(__name__)

URGENCY_TEXT = {"high": "act now", "medium": "plan a repair this week", "low": "watch", "none": "no action"}
_CAUSE_CLAIM = re.compile(r"\b(likely|probable|root)? ?causes?( is| was| are)?\b|\bcaused by\b|\bdue to\b")
_STEP_CLAIM = re.compile(r"\b(first|next|second|repair) (repair )?steps?\b|\bsteps?:")
_URGENCY_CLAIM = re.compile(r"\burgency(?: is|:)? (high|medium|low|none)\b")
MAX_WORDS = 120
MAX_ACTIONS = 2  # repair steps shown to the model: the first ones of the top cause

SYSTEM = ("You write the summary of a sensor anomaly report for a maintenance planner. Use only the facts given. "
          "Copy every number exactly as written in the facts and add no other number. Write three or four plain "
          "sentences: what is abnormal and since when, the most likely cause, the first repair step with the manual "
          "section it comes from, and how urgent it is.")


def _name(mode: str) -> str:
    return mode.replace("_", " ")


def _short(evidence: str) -> str:
    """An evidence sentence without its ' from <onset>' (the event line above already gives the times)."""
    return re.sub(r" from \d{4}-\d\d-\d\dT[\d:.]+", "", evidence)


def when(iso: str) -> str:
    """'2025-01-13 23:15' for '2025-01-13T23:15:00' (seconds kept when not zero; other text as given): shorter for
    the model to read and to copy."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    return moment.strftime("%Y-%m-%d %H:%M" if not moment.second and not moment.microsecond else "%Y-%m-%d %H:%M:%S")


def where(citation: SourceRef) -> str:
    """'manual.md, section 6.5 Gearbox, p. 12' for an action's citation."""
    parts = [citation.source or ""]
    if citation.section:
        parts.append(f"section {citation.section}")
    if (page := page_reference(citation.page, citation.page_label)) is not None:
        parts.append(page)
    return ", ".join(p for p in parts if p)


def facts(asset: str | None, window: tuple[str, str], events: Sequence[AnomalyEvent],
          causes: Sequence[LikelyCause], urgency: str, stops: int = 0,
          actions: Sequence[RepairAction] = ()) -> list[str]:
    """The report's facts as short lines: the only material the model may use."""
    lines = [f"Asset: {asset or 'unknown'}; log from {when(window[0])} to {when(window[1])}."]
    if stops:
        lines.append(f"The machine stopped {stops} time(s); stops are normal operation, not anomalies.")
    if not events:
        lines.append("No anomaly was found.")
    # strongest first: "Event 1" is the one a summary leads with, at inference as in the fine-tuning data
    for n, event in enumerate(sorted(events, key=lambda e: -e.score)[:3], 1):
        normal = (event.normal_values or {}).get(event.peak_channel)
        level = f" (normal {normal:g})" if normal is not None else ""
        lines.append(f"Event {n}: {', '.join(event.channels)} {event.direction} from {when(event.start)} to "
                     f"{when(event.end)}; "
                     f"peak {event.peak_channel} {event.peak_value:g}{level}; severity {event.severity}.")
    if len(events) > 3:
        lines.append(f"{len(events) - 3} further event(s).")
    for n, cause in enumerate(causes[:3], 1):
        component = f"{cause.component}; " if cause.component else ""
        # the top cause with its evidence; the runners-up by name only (short prompts: prefill dominates on a CPU)
        evidence = f"; evidence: {'; '.join(_short(e) for e in cause.evidence[:2])}" if n == 1 else ""
        lines.append(f"Cause {n}: {_name(cause.failure_mode)} ({component}score {cause.score}){evidence}.")
    for n, action in enumerate(actions[:MAX_ACTIONS], 1):
        lines.append(f"Action {n}: {action.step} (see {where(action.citation)}).")
    lines.append(f"Urgency: {urgency} ({URGENCY_TEXT.get(urgency, urgency)}).")
    return lines


def summary_messages(fact_lines: Sequence[str]) -> Messages:
    """The chat prompt for the summary, exactly as fine-tuning renders it."""
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Facts:\n" + "\n".join(f"- {line}" for line in fact_lines) + "\n\nSummary:"}]


def template_summary(asset: str | None, window: tuple[str, str], events: Sequence[AnomalyEvent],
                     causes: Sequence[LikelyCause], urgency: str, actions: Sequence[RepairAction] = ()) -> str:
    """The summary without a model: the same facts in fixed sentences."""
    name = asset or "this asset"
    if not events:
        return f"No anomalies on {name} between {when(window[0])} and {when(window[1])}."
    first = max(events, key=lambda e: e.score)
    normal = (first.normal_values or {}).get(first.peak_channel)
    level = f" against a normal {normal:g}" if normal is not None else ""
    parts = [f"{len(events)} anomaly event(s) on {name}; the strongest from {when(first.start)} to "
             f"{when(first.end)} on {', '.join(first.channels)} ({first.direction}), peak {first.peak_channel} "
             f"{first.peak_value:g}{level} "
             f"(robust z {first.peak_score:+.1f}, {first.severity})."]
    if causes:
        top = causes[0]
        parts.append(f"Most likely: {_name(top.failure_mode)} (score {top.score}; evidence: "
                     f"{'; '.join(top.evidence[:2])}); see {top.manual} section {top.section}.")
    if actions:
        parts.append(f"First step: {actions[0].step} (see {where(actions[0].citation)}).")
    parts.append(f"Urgency: {urgency} ({URGENCY_TEXT.get(urgency, urgency)}).")
    return " ".join(parts)


def check_summary(text: str, fact_lines: Sequence[str], ranked: Sequence[str],
                  known_modes: Sequence[str] = ()) -> str | None:
    """Why a model-written summary cannot be used, or None when it passes.

    Args:
        ranked: the failure modes the report ranks, best first (only their names are checked, so fine-tuning can
            score a reply against the names its example recorded).
        known_modes: every failure mode of the FMEA table; a summary may name only the ranked ones.
    """
    words = text.split()
    if len(words) < 5:
        return "empty or too short"
    if len(words) > MAX_WORDS:
        return f"too long ({len(words)} words)"
    allowed = numbers_in("\n".join(fact_lines))
    invented = sorted(numbers_in(text) - allowed)
    if invented:
        return f"numbers not in the evidence: {', '.join(invented)}"
    named = set(ranked)
    lower = text.lower()
    for mode in known_modes:
        if mode not in named and re.search(rf"\b{re.escape(_name(mode))}\b", lower):
            return f"names a failure mode the evidence does not rank: {_name(mode)}"
    if ranked and _name(ranked[0]) not in lower:
        return f"does not name the most likely cause ({_name(ranked[0])})"
    # What the facts do not hold, a summary must not claim: a cause when none is ranked (a log from an asset of
    # unknown type: "the most likely cause is low"), a step when no action is cited, another urgency than the facts'.
    if not ranked and (claim := _CAUSE_CLAIM.search(lower)):
        return f"claims a cause ({claim.group(0)!r}) but the evidence ranks none"
    if not any(line.startswith("Action ") for line in fact_lines) and (claim := _STEP_CLAIM.search(lower)):
        return f"gives a step ({claim.group(0)!r}) but the evidence cites no action"
    stated = {m.group(1) for m in _URGENCY_CLAIM.finditer(lower)}
    given = {m.group(1) for line in fact_lines for m in _URGENCY_CLAIM.finditer(line.lower())}
    if stated and given and stated != given:
        return f"states urgency {', '.join(sorted(stated))} but the evidence gives {', '.join(sorted(given))}"
    return None


def write_summary(generator: Generator | None, asset: str | None, window: tuple[str, str],
                  events: Sequence[AnomalyEvent], causes: Sequence[LikelyCause], urgency: str, stops: int = 0,
                  known_modes: Sequence[str] = (), max_new_tokens: int = 160,
                  actions: Sequence[RepairAction] = ()) -> tuple[str, str, str | None]:
    """(summary, source 'model' | 'template', why the model's draft was rejected or None)."""
    fallback = template_summary(asset, window, events, causes, urgency, actions)
    if generator is None or not events:
        return fallback, "template", None
    lines = facts(asset, window, events, causes, urgency, stops, actions)
    try:
        draft = generator.generate(summary_messages(lines), max_new_tokens=max_new_tokens).strip()
    except CopilotError as exc:  # an unreachable endpoint must not cost the report
        logger.warning("summary model failed, using the template: %s", exc)
        return fallback, "template", f"model failed: {exc}"
    if not draft:
        return fallback, "template", None
    problem = check_summary(draft, lines, [cause.failure_mode for cause in causes], known_modes)
    if problem:
        logger.info("model summary rejected (%s): %s", problem, draft[:200])
        return fallback, "template", problem
    return draft, "model", None
