"""Match anomaly evidence against FMEA rows to rank likely failure modes, with the evidence for each. Pure.

An FMEA row's `signature` lists `channel:direction` pairs (e.g. `vibration_mm_s:up;bearing_temp_c:up`). Each signature
channel gets an agreement in [-0.5, 1]:
- a channel the events flag: its severity weight when it moves the expected way, -0.5 when it moves against it; an
  `erratic` expectation is met in full by an erratic channel or abnormal short-term variability
  (`copilot.anomaly.variability`), and half by a plain level change;
- a channel the events do not flag (weak evidence, at most `WEAK`): how far it went the expected way, in threshold
  units over the event (its 90th percentile), less how far it went the other way; for `erratic`, its variability.

Channels are weighted by specificity (`1 + ln((1 + modes) / (1 + modes using the channel))` among the asset type's
failure modes: a suction pressure drop points at one mode, a vibration rise at three). The score is a weighted Dice
overlap between the signature and the observations, `2 x confirmed / (signature + observed)`: a mode must be confirmed
by what moved (many matching channels, in the right direction) and must explain what moved (a one-channel signature
does not win when a second channel it does not name moved too).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from copilot.records import AnomalyEvent, LikelyCause

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


WEAK = 0.5  # below-threshold evidence counts at most half of a flagged channel
AGAINST = -0.5  # a flagged channel moving against the signature
LEVEL_FOR_ERRATIC = 0.5  # a plain level change is half the evidence for an `erratic` expectation


def _specificity(rows: Sequence[FailureMode]) -> dict[str, float]:
    """channel -> 1 + ln((1 + modes) / (1 + modes whose signature names the channel))."""
    modes: dict[str, set[str]] = {}
    names = {row.failure_mode for row in rows}
    for row in rows:
        for channel, _ in row.signature:
            modes.setdefault(channel, set()).add(row.failure_mode)
    return {ch: 1.0 + math.log((1 + len(names)) / (1 + len(found))) for ch, found in modes.items()}


def _weak_level(levels: tuple[float, float], expected: str) -> float:
    """Below-threshold agreement of a channel's (p10, p90) threshold units with an up/down expectation."""
    low, high = levels
    toward, away = (high, -low) if expected == "up" else (-low, high)
    return min(max(toward, 0.0), WEAK) - min(max(away, 0.0), WEAK)


def _agreement(channel: str, expected: str, observed: dict[str, tuple[str, str]],
               levels: dict[str, tuple[float, float]], variability: dict[str, float]) -> tuple[float, str]:
    """(agreement, kind) of one signature channel; kind: match | against | weak | none."""
    erratic = min(variability.get(channel, 0.0), 1.0)
    if channel in observed:
        direction, severity = observed[channel]
        weight = SEVERITY_WEIGHT.get(severity, 0.6)
        if expected == "erratic":
            full = direction in ("erratic", "mixed")
            return weight * (1.0 if full else max(erratic, LEVEL_FOR_ERRATIC)), "match"
        if direction == expected or direction in ("erratic", "mixed"):
            return weight, "match"
        return AGAINST, "against"
    if expected == "erratic":
        value = WEAK * erratic
    else:
        value = _weak_level(levels.get(channel, (0.0, 0.0)), expected)
    return value, "weak" if value > 0 else "none"


def _observed_mass(observed: dict[str, tuple[str, str]], levels: dict[str, tuple[float, float]],
                   variability: dict[str, float], weight: dict[str, float], default: float,
                   channels: Iterable[str]) -> float:
    """How much moved: flagged channels at their severity weight, the others at their (capped) weak evidence."""
    total = 0.0
    for channel in channels:
        if channel in observed:
            strength = SEVERITY_WEIGHT.get(observed[channel][1], 0.6)
        else:
            low, high = levels.get(channel, (0.0, 0.0))
            strength = min(max(abs(low), abs(high), WEAK * min(variability.get(channel, 0.0), 1.0)), WEAK)
        total += weight.get(channel, default) * strength
    return total


def rank_failure_modes(observed: dict[str, tuple[str, str]], table: Iterable[FailureMode],
                       asset_type: str | None = None, top: int = 3, available: Iterable[str] | None = None,
                       evidence_text: dict[str, str] | None = None,
                       levels: dict[str, tuple[float, float]] | None = None,
                       variability: dict[str, float] | None = None) -> list[LikelyCause]:
    """Rank failure modes by how well their signature and the observations overlap (module docstring).

    Args:
        observed: channel -> (direction, severity) of the strongest event on that channel (the flagged channels).
        table: FMEA rows; rows of other asset types are skipped when `asset_type` is given.
        available: the channels the log has; signature channels the log lacks neither confirm nor count against.
        evidence_text: channel -> a sentence with the detector's numbers, quoted as evidence.
        levels: channel -> (p10, p90) of its signed deviation in threshold units over the events (weak evidence).
        variability: channel -> doublings of its short-term variability beyond normal (`copilot.anomaly.variability`).
    Returns:
        The likely causes, best first (ties: the more severe, then by name). A mode is listed only when at least one
        flagged channel confirms it.
    """
    have = set(available) if available is not None else None
    levels, variability = levels or {}, variability or {}
    rows = [row for row in table if not (asset_type and row.asset_type and row.asset_type != asset_type)]
    measurable = [FailureMode(**{**row.__dict__, "signature": tuple(
        (ch, d) for ch, d in row.signature if have is None or ch in have)}) for row in rows]
    weight = _specificity(measurable)
    default = 1.0 + math.log(1 + len({row.failure_mode for row in measurable}))  # a channel no mode names
    seen = set(observed) | {ch for ch, (lo, hi) in levels.items() if lo or hi} | set(variability)
    mass = _observed_mass(observed, levels, variability, weight, default, seen if have is None else seen & have)
    best: dict[str, tuple[float, LikelyCause]] = {}
    for row in measurable:
        if not row.signature or not any(ch in observed for ch, _ in row.signature):
            continue
        confirmed, size, flagged_match = 0.0, 0.0, False
        evidence: list[str] = []
        for channel, expected in row.signature:
            agreement, kind = _agreement(channel, expected, observed, levels, variability)
            confirmed += weight[channel] * agreement
            size += weight[channel]
            if kind == "match":
                flagged_match = True
                direction, severity = observed[channel]
                evidence.append((evidence_text or {}).get(channel, f"{channel} {direction} ({severity})"))
            elif kind == "against":
                text = (evidence_text or {}).get(channel, f"{channel} {observed[channel][0]}")
                evidence.append(f"against: {text} (expected {expected})")
            elif kind == "weak":
                evidence.append(_weak_text(channel, expected, levels, variability))
        if not flagged_match:
            continue
        score = 2.0 * confirmed / max(size + mass, 1e-9)
        key = f"{row.asset_type}:{row.failure_mode}"
        if key not in best or score > best[key][0]:
            best[key] = (score, LikelyCause(
                failure_mode=row.failure_mode, asset_type=row.asset_type, score=round(max(score, 0.0), 3),
                evidence=tuple(evidence), manual=row.manual, section=row.section,
                recommended_actions=row.recommended_actions, component=row.component, severity=row.severity,
            ))
    ranked = sorted(best.values(), key=lambda item: (-item[0], -item[1].severity, item[1].failure_mode))
    return [entry for _, entry in ranked[:top]]


def _weak_text(channel: str, expected: str, levels: dict[str, tuple[float, float]],
               variability: dict[str, float]) -> str:
    if expected == "erratic":
        return (f"{channel} short-term variability {variability.get(channel, 0.0):g} doublings outside its normal "
                "range (below the alarm level)")
    low, high = levels.get(channel, (0.0, 0.0))
    reach = high if expected == "up" else -low
    return f"{channel} {expected} to {reach:g} of its threshold (below the alarm level)"


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


def weak_evidence(events: Sequence[AnomalyEvent]) -> tuple[dict[str, tuple[float, float]], dict[str, float]]:
    """Per channel over all events: the (p10, p90) threshold-unit levels averaged with the events' abnormal sample
    counts as weights (a two-day event outweighs a short blip next to it), and the largest variability excess."""
    sums: dict[str, list[float]] = {}
    variability: dict[str, float] = {}
    for event in events:
        weight = float(max(event.points, 1))
        for channel, (low, high) in (event.channel_levels or {}).items():
            acc = sums.setdefault(channel, [0.0, 0.0, 0.0])
            acc[0] += weight * float(low)
            acc[1] += weight * float(high)
            acc[2] += weight
        for channel, excess in (event.channel_variability or {}).items():
            variability[channel] = max(variability.get(channel, 0.0), float(excess))
    levels = {ch: (round(lo / w, 3), round(hi / w, 3)) for ch, (lo, hi, w) in sums.items()}
    return levels, variability


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
