"""Anomaly evidence -> repair-report summary examples, made through the report's own code path.

For each indexed FMEA row, a few anomaly scenarios are drawn (deterministically): the row's signature channels move the
way it says (sometimes only some of them, sometimes beside an unrelated low event on another channel), with plausible
readings for each channel's unit. The real diagnosis (`copilot.anomaly.report.diagnose`), cited actions
(`copilot.anomaly.report.cited_actions`) and urgency (`copilot.anomaly.report.urgency_of`) turn them into the
report's facts, and the prompt is `copilot.anomaly.summary.summary_messages` over
`copilot.anomaly.summary.facts`: exactly what `copilot analyse` shows the model. The completion is written from
those facts only, naming the top-ranked cause (which may not be the row the scenario started from: the model
learns to follow the ranking, not a prior) and its first cited step, and it passes
`copilot.anomaly.summary.check_summary`, the gate a model summary must pass at inference.

Rows whose manual is held out (and the assets of their type) go to the held-out split.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from copilot.anomaly import summary
from copilot.anomaly.diagnosis import FailureMode
from copilot.anomaly.events import severity_of
from copilot.anomaly.report import cited_actions, diagnose, fmea_rows, urgency_of
from copilot.records import AnomalyEvent, LikelyCause, RepairAction
from finetune.examples import Example
from finetune.facts import stable_rng
from index.search import HybridIndex

SAMPLE = timedelta(minutes=10)
# Normal operating level by channel-name suffix: (low, high, decimals). Longest suffix first.
LEVELS: tuple[tuple[str, tuple[float, float, int]], ...] = (
    ("_dp_bar", (0.2, 0.8, 2)), ("_mm_s", (1.0, 3.5, 2)), ("_m_s", (1.5, 3.2, 2)), ("_temp_c", (35.0, 85.0, 1)),
    ("_c", (35.0, 85.0, 1)), ("_bar", (1.0, 12.0, 2)), ("_m3h", (40.0, 250.0, 1)), ("_a", (20.0, 160.0, 1)),
    ("_pct", (40.0, 80.0, 1)),
)
WORDS = {"up": ("high", "rising"), "down": ("low", "falling"), "erratic": ("erratic", "fluctuating"),
         "mixed": ("abnormal", "unsteady")}


def _level(channel: str, rng: Any) -> tuple[float, int]:
    low, high, decimals = next((v for suffix, v in LEVELS if channel.endswith(suffix)), (1.0, 100.0, 1))
    return round(rng.uniform(low, high), decimals), decimals


def _event(channels: Sequence[tuple[str, str]], start: datetime, hours: float, score: float, rng: Any,
           end_cap: datetime) -> AnomalyEvent:
    """One event over `channels` ((channel, direction), strongest first) with readings drawn for their units; the
    deviation grows with the calibrated `score` (1.0 = just over the alarm threshold)."""
    end = min(start + SAMPLE * max(1, round(hours * 6)), end_cap)
    directions = dict(channels)
    peak_channel = next((ch for ch, d in channels if d != "erratic"), channels[0][0])
    normal, decimals = _level(peak_channel, rng)
    direction = directions[peak_channel]
    strength = min(score, 5.0) / 5.0
    factor = (0.1 + 1.0 * strength if direction == "up" else 0.08 + 0.5 * strength) * rng.uniform(0.8, 1.2)
    peak = round(normal * (1 + factor) if direction == "up" else normal * (1 - factor), decimals)
    z = 3.5 * score * rng.uniform(0.9, 1.3) * (-1 if direction == "down" else 1)
    normals = {peak_channel: normal}
    for channel, _ in channels:
        if channel not in normals:
            normals[channel] = _level(channel, rng)[0]
    overall = direction if len(set(directions.values())) == 1 else "mixed"
    return AnomalyEvent(
        start=start.isoformat(), end=end.isoformat(), channels=tuple(ch for ch, _ in channels),
        peak_channel=peak_channel, peak_value=peak, peak_score=round(z, 1), direction=overall,
        severity=severity_of(score), points=max(1, int((end - start) / SAMPLE)),
        peak_time=(start + (end - start) / 2).isoformat(), score=round(score, 2),
        duration_s=(end - start).total_seconds(), channel_directions=directions, normal_values=normals,
        detector="pca")


def scenario(row: FailureMode, rows: Sequence[FailureMode], assets: Sequence[str], variant: int
             ) -> tuple[str | None, tuple[str, str], list[AnomalyEvent], list[str]]:
    """(asset, window, events, log channels) for one draw of `row`'s signature."""
    rng = stable_rng("report", row.asset_type, row.failure_mode, row.component, str(variant))
    channels = sorted({ch for r in rows if r.asset_type == row.asset_type for ch, _ in r.signature})
    begin = datetime(2025, rng.randint(1, 12), rng.randint(1, 28))
    end = begin + timedelta(days=rng.randint(2, 6)) - SAMPLE
    signature = list(row.signature)
    if len(signature) > 1 and rng.random() < 0.2:
        signature = signature[:1]  # only the leading channel crossed its alarm level
    onset = begin + timedelta(hours=rng.randint(6, 40), minutes=10 * rng.randint(0, 5))
    ongoing = rng.random() < 0.25
    hours = (end - onset).total_seconds() / 3600 if ongoing else rng.uniform(1.0, 30.0)
    events = [_event(signature, onset, hours, rng.uniform(1.05, 5.0), rng, end)]
    others = [ch for ch in channels if ch not in dict(signature)]
    if others and rng.random() < 0.3:
        extra = rng.choice(others)
        when = begin + timedelta(hours=rng.randint(1, 20))
        events.append(_event([(extra, rng.choice(("up", "down")))], when, rng.uniform(0.3, 3.0),
                             rng.uniform(1.02, 1.6), rng, end))
        events.sort(key=lambda e: -e.score)
    asset = rng.choice(list(assets)) if assets else None
    return asset, (begin.isoformat(), end.isoformat()), events, channels


def reference_summary(asset: str | None, window: tuple[str, str], events: Sequence[AnomalyEvent],
                      causes: Sequence[LikelyCause], actions: Sequence[RepairAction], urgency: str,
                      rng: Any) -> str:
    """What a careful planner would write from the facts alone (every number copied from them)."""
    event = max(events, key=lambda e: e.score)
    name = asset or "The machine"
    directions = event.channel_directions or dict.fromkeys(event.channels, event.direction)
    adjective, verb = WORDS.get(directions.get(event.peak_channel, event.direction), WORDS["mixed"])
    normal = (event.normal_values or {}).get(event.peak_channel)
    against = f" against a normal {normal:g}" if normal is not None else ""
    others = [f"{ch} {WORDS.get(directions.get(ch, ''), WORDS['mixed'])[0]}" for ch in event.channels
              if ch != event.peak_channel]
    with_others = f", with {' and '.join(others)}" if others else ""
    if rng.random() < 0.5:
        first = (f"{name} has run with {event.peak_channel} {adjective} from {summary.when(event.start)} to "
                 f"{summary.when(event.end)}, peaking at "
                 f"{event.peak_value:g}{against}{with_others}.")
    else:
        first = (f"From {summary.when(event.start)} to {summary.when(event.end)}, {event.peak_channel} on {name} was "
                 f"{verb} and reached "
                 f"{event.peak_value:g}{against}{with_others}.")
    parts = [first]
    if len(events) > 1:
        parts.append("A second, smaller event was also flagged.")
    top = causes[0]
    mode = top.failure_mode.replace("_", " ")
    component = f" ({top.component})" if top.component else ""
    parts.append(rng.choice((f"The most likely cause is {mode}{component}.",
                             f"This points to {mode}{component} as the most likely cause.")))
    if actions:
        step = actions[0].step
        parts.append(f"First step: {step[:1].lower() + step[1:]} (see {summary.where(actions[0].citation)}).")
    parts.append(f"Urgency is {urgency}: {summary.URGENCY_TEXT.get(urgency, urgency)}.")
    return " ".join(parts)


def report_examples(index: HybridIndex, split_of_row: Any, split: str, total: int) -> list[Example]:
    """Up to `total` summary examples from the FMEA rows of `split` (round-robin over rows, a few draws each)."""
    rows = fmea_rows(index)
    assets_by_type: dict[str, set[str]] = {}
    for chunk in index.chunks:
        if chunk.doc_type == "work_order":
            kind = chunk.fields.get("asset_type")
            if kind:
                assets_by_type.setdefault(kind, set()).update(chunk.assets)
    own = [r for r in rows if split_of_row(r) == split]
    known_modes = sorted({r.failure_mode for r in rows})
    out: list[Example] = []
    seen: set[str] = set()
    for variant in range(8):
        for row in own:
            if len(out) >= total:
                return out
            asset, window, events, channels = scenario(row, rows, sorted(assets_by_type.get(row.asset_type, ())),
                                                       variant)
            causes = diagnose(events, rows, row.asset_type, channels)
            if not causes:
                continue
            actions = cited_actions(causes, None, index)
            urgency = urgency_of(events, causes, window[1])
            lines = summary.facts(asset, window, events, causes, urgency, 0, actions)
            rng = stable_rng("report-text", row.failure_mode, row.component, str(variant))
            completion = reference_summary(asset, window, events, causes, actions, urgency, rng)
            ranked = [cause.failure_mode for cause in causes]
            if summary.check_summary(completion, lines, ranked, known_modes):
                continue  # the reference itself would not pass the inference gate (too long): not a target
            example_id = hashlib.sha256(f"report\x1f{chr(10).join(lines)}".encode()).hexdigest()[:12]
            if example_id in seen:
                continue
            seen.add(example_id)
            out.append(Example(example_id, "report", split, summary.summary_messages(lines), completion,
                               provenance={"source": row.manual, "failure_mode": row.failure_mode,
                                           "component": row.component, "variant": variant,
                                           "ranked": ranked,
                                           "known_modes": known_modes,
                                           "first_step": actions[0].step if actions else ""}))
    return out


def score_reports(examples: Sequence[Example], replies: Sequence[str]) -> dict[str, Any]:
    """Over report examples: replies the inference gate accepts (`check_summary`: no number outside the facts, no
    unranked failure mode, a sensible length), replies naming the top-ranked cause, and replies giving its first step
    (its first four words). All three together: `report_usable`."""
    total = accepted = named = stepped = usable = 0
    for example, reply in zip(examples, replies, strict=True):
        if example.task != "report":
            continue
        total += 1
        prompt = example.messages[-1]["content"]
        lines = [line[2:] for line in prompt.splitlines() if line.startswith("- ")]
        ranked = example.provenance.get("ranked", [])
        ok = summary.check_summary(reply, lines, ranked, example.provenance.get("known_modes", [])) is None
        top = bool(ranked) and ranked[0].replace("_", " ") in reply.lower()
        first = " ".join(str(example.provenance.get("first_step", "")).lower().split()[:4])
        step = bool(first) and first in " ".join(reply.lower().split())
        accepted += ok
        named += top
        stepped += step
        usable += ok and top and step

    def share(hits: int) -> float | None:
        return round(hits / total, 3) if total else None

    return {"reports": total, "report_accepted": share(accepted), "report_top_cause": share(named),
            "report_first_step": share(stepped), "report_usable": share(usable)}
