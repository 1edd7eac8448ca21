"""An `AnomalyReport` as plain text for a terminal (`copilot analyse` without `--json`).

Kept apart from `report.py`, which builds the report: the wording here may change for readers without touching what
the report holds or how it is made.
"""

from __future__ import annotations

from copilot.records import AnomalyEvent, AnomalyReport, LikelyCause, RepairAction
from index.records import page_reference


def _event(event: AnomalyEvent) -> str:
    """'event <start> .. <end>: channels direction, peak channel=value (z, score, severity)'."""
    return (f"event {event.start} .. {event.end}: {', '.join(event.channels)} {event.direction}, peak "
            f"{event.peak_channel}={event.peak_value:g} (z {event.peak_score:+.1f}, score {event.score}, "
            f"{event.severity})")


def _cause(cause: LikelyCause) -> str:
    """'likely: <mode> score <s> (<evidence>; ...)'."""
    return f"likely: {cause.failure_mode} score {cause.score} ({'; '.join(cause.evidence)})"


def _action(action: RepairAction) -> str:
    """'do: <step>  [source, section, p. N]': the citation in brackets, as far as it goes."""
    cite = action.citation
    page = page_reference(cite.page, cite.page_label)
    where = ", ".join(str(x) for x in (cite.section, page) if x)
    return f"do: {action.step}  [{cite.source}{', ' + where if where else ''}]"


def format_report(report: AnomalyReport) -> str:
    """The report as plain text for a terminal."""
    lines = [report.summary]
    lines += [f"  {_event(event)}" for event in report.events]
    lines += [f"  {_cause(cause)}" for cause in report.likely_causes]
    lines += [f"  {_action(action)}" for action in report.actions]
    fit = report.fit
    if fit:
        lines.append(f"  fitted on {fit.running_samples_fitted} normal running samples ({fit.source}); "
                     f"detector {report.detector}; {fit.stops} stop(s) seen and not flagged")
    for warning in report.warnings:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)
