"""Match anomaly evidence against FMEA rows to rank likely failure modes, with the evidence for each. Pure.

An FMEA row's `signature` lists `channel:direction` pairs (e.g. `vibration_mm_s:up;bearing_temp_c:up`). A failure
mode scores the share of its signature the observed events confirm, weighted by how strong those events are; a
direction `erratic` in the table matches any observed direction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from copilot.records import AnomalyEvent

SEVERITY_WEIGHT = {"low": 0.6, "medium": 0.8, "high": 1.0}


@dataclass(frozen=True)
class FailureMode:
    """One FMEA row."""

    asset_type: str
    failure_mode: str
    component: str
    signature: tuple[tuple[str, str], ...]
    symptoms: str
    likely_causes: str
    recommended_actions: str
    manual: str
    section: str
    severity: int


def parse_signature(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in text.split(";"):
        channel, _, direction = item.strip().partition(":")
        if channel:
            pairs.append((channel.strip(), (direction or "up").strip().lower()))
    return tuple(pairs)


def failure_mode_from_record(fields: dict[str, str]) -> FailureMode | None:
    """Build a FailureMode from one FMEA table record ({column: value}); None if it is not one."""
    if "failure_mode" not in fields or "signature" not in fields:
        return None
    try:
        severity = int(float(fields.get("severity", "3") or 3))
    except ValueError:
        severity = 3
    return FailureMode(
        asset_type=fields.get("asset_type", ""), failure_mode=fields["failure_mode"],
        component=fields.get("component", ""), signature=parse_signature(fields["signature"]),
        symptoms=fields.get("symptoms", ""), likely_causes=fields.get("likely_causes", ""),
        recommended_actions=fields.get("recommended_actions", ""), manual=fields.get("manual", ""),
        section=fields.get("section", ""), severity=severity,
    )


def rank_failure_modes(observed: dict[str, tuple[str, str]], table: Iterable[FailureMode],
                       asset_type: str | None = None, top: int = 3, available: Iterable[str] | None = None,
                       evidence_text: dict[str, str] | None = None) -> list[dict[str, object]]:
    """Rank failure modes by how much of their signature the observations confirm.

    Args:
        observed: channel -> (direction, severity) of the strongest event on that channel.
        table: FMEA rows; rows of other asset types are skipped when `asset_type` is given.
        available: the channels the log has; signature channels the log lacks neither confirm nor count against.
        evidence_text: channel -> a sentence with the detector's numbers, quoted as evidence.
    Returns:
        [{failure_mode, asset_type, score, evidence, manual, section, recommended_actions, ...}], best first.
        The score is the severity-weighted share of the (measurable) signature confirmed, minus 0.5 per channel seen
        moving against the signature and 0.05 per abnormal channel the mode does not explain.
    """
    have = set(available) if available is not None else None
    best: dict[str, dict[str, object]] = {}
    for row in table:
        if asset_type and row.asset_type and row.asset_type != asset_type:
            continue
        signature = [(ch, d) for ch, d in row.signature if have is None or ch in have]
        if not signature or not any(ch in observed for ch, _ in signature):
            continue
        matched, evidence, against = 0.0, [], 0
        for channel, expected in signature:
            if channel not in observed:
                continue
            direction, severity = observed[channel]
            text = (evidence_text or {}).get(channel, f"{channel} {direction} ({severity})")
            if expected == "erratic" or direction in ("erratic", "mixed") or direction == expected:
                matched += SEVERITY_WEIGHT.get(severity, 0.6)
                evidence.append(text)
            else:
                against += 1
                evidence.append(f"against: {text} (expected {expected})")
        if matched == 0:
            continue
        unexplained = len(set(observed) - {ch for ch, _ in signature})
        score = matched / len(signature) - 0.5 * against / len(signature) - 0.05 * unexplained
        key = f"{row.asset_type}:{row.failure_mode}"
        if key not in best or score > float(best[key]["score"]):  # type: ignore[arg-type]
            best[key] = {
                "failure_mode": row.failure_mode, "asset_type": row.asset_type, "score": round(max(score, 0.0), 3),
                "evidence": evidence, "manual": row.manual, "section": row.section,
                "recommended_actions": row.recommended_actions, "component": row.component,
                "severity": row.severity,
            }
    ranked = sorted(best.values(), key=lambda r: (-float(str(r["score"])), -int(str(r["severity"])),
                                                  str(r["failure_mode"])))
    return ranked[:top]


def observations_from_events(events: Sequence[AnomalyEvent]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """channel -> (direction, strongest severity), and channel -> the evidence sentence of its strongest event."""
    observed = summarise_observations([(e.channel_directions or dict.fromkeys(e.channels, e.direction), e.severity)
                                       for e in events])
    strongest: dict[str, tuple[float, str]] = {}
    for event in events:
        for channel in event.channels:
            direction = (event.channel_directions or {}).get(channel, event.direction)
            normal = (event.normal_values or {}).get(channel)
            if channel == event.peak_channel:
                text = (f"{channel} {direction} to {event.peak_value:g} (normal {normal:g}, robust z "
                        f"{event.peak_score:+.1f}) from {event.start}" if normal is not None else
                        f"{channel} {direction} to {event.peak_value:g} (robust z {event.peak_score:+.1f}) from "
                        f"{event.start}")
                weight = abs(event.peak_score)
            else:
                text = f"{channel} {direction} from {event.start} ({event.severity})"
                weight = 0.0
            if channel not in strongest or weight > strongest[channel][0]:
                strongest[channel] = (weight, text)
    return observed, {ch: text for ch, (_, text) in strongest.items()}


def summarise_observations(directions: Sequence[tuple[dict[str, str], str]]) -> dict[str, tuple[str, str]]:
    """Merge per-event channel directions into channel -> (direction, strongest severity)."""
    order = {"low": 0, "medium": 1, "high": 2}
    merged: dict[str, tuple[str, str]] = {}
    for channel_dirs, severity in directions:
        for channel, direction in channel_dirs.items():
            if channel not in merged:
                merged[channel] = (direction, severity)
                continue
            old_dir, old_sev = merged[channel]
            new_dir = old_dir if old_dir == direction else "erratic"
            merged[channel] = (new_dir, severity if order[severity] > order[old_sev] else old_sev)
    return merged
