"""Read a technician's question for what retrieval should prefer: named assets, fault codes, history intent, dates.

"E105 on P-103, what does it mean?" is a manual question about one pump; "last time we swapped the seal on P-101?"
is a work-order question where the newest record wins. Pure functions over the question text; the asset register
(asset id -> type) comes from the index. The patterns are in copilot/qa/lexicon.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from copilot.qa.lexicon import (
    ASSET_RE,
    CODE_RE,
    DAY_MONTH_YEAR_RE,
    EVENT_RE,
    FOLLOW_UP_RE,
    HISTORY_RE,
    ISO_DATE_RE,
    MEANING_RE,
    MONTHS,
    RECENCY_RE,
    WORK_RE,
    YEAR_RE,
)


def without_recency(question: str) -> str:
    """The question less its "last"/"latest"/"most recent": for "last time" questions these pick among records by
    date; as keywords they would only match records that happen to say "at last service"."""
    return re.sub(r"\s{2,}", " ", RECENCY_RE.sub(" ", question)).strip()


@dataclass(frozen=True)
class QueryPlan:
    """What the question names and wants."""

    assets: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    unknown_assets: tuple[str, ...] = ()  # ids shaped like this plant's assets (same prefix) but not in its register
    history: bool = False  # about past work (work orders, alarm logs) rather than the manuals
    recency: bool = False  # "last time": the newest matching record wins
    events: bool = False  # about alarm/event lines (readings, trips, acknowledgements), not the work done about them
    meaning: bool = False  # asks what a code means ("what does E105 mean", "E203, what is it")
    dates: tuple[str, ...] = ()  # ISO date prefixes named in the question ("2024", "2025-02-27")

    @property
    def days(self) -> tuple[str, ...]:
        """The dates named to the day ("on 7 May 2025"), as opposed to a year or month."""
        return tuple(d for d in self.dates if len(d) == 10)


def plan_query(question: str, known_assets: set[str] | None = None) -> QueryPlan:
    """Analyse a question (pure). `known_assets` keeps model numbers like 'CP-80' from passing as assets."""
    assets, unknown = [], []
    prefixes = {a.split("-")[0] for a in known_assets or ()}
    for letters, digits in ASSET_RE.findall(question):
        asset = f"{letters.upper()}-{digits}"
        if known_assets is None or asset in known_assets:
            assets.append(asset)
        elif letters.upper() in prefixes:  # "P-109" in a plant of P-101..P-103; "IM-200" is a model number
            unknown.append(asset)
    codes = [f"{a}{d}" for a, d in CODE_RE.findall(question) if f"{a}-{d}" not in assets]
    dates = list(ISO_DATE_RE.findall(question))
    for day, month, year in DAY_MONTH_YEAR_RE.findall(question):
        if month.lower()[:3] in MONTHS:
            dates.append(f"{year}-{MONTHS[month.lower()[:3]]:02d}-{int(day):02d}")
    if not dates:
        dates = YEAR_RE.findall(question)
    history = bool(HISTORY_RE.search(question)) or bool(dates)
    return QueryPlan(
        assets=tuple(dict.fromkeys(assets)), codes=tuple(dict.fromkeys(codes)), history=history,
        unknown_assets=tuple(dict.fromkeys(unknown)),
        recency=history and bool(RECENCY_RE.search(question)), dates=tuple(dict.fromkeys(dates)),
        events=history and bool(EVENT_RE.search(question)) and not WORK_RE.search(question),
        meaning=bool(codes) and bool(MEANING_RE.search(question)),
    )


def contextual_query(question: str, history: Sequence[tuple[str, str]]) -> str:
    """A follow-up ("and what torque for that?") searched together with the previous question it refers to.

    A question counts as a follow-up when there is history and it is short or leans on a pronoun without naming an
    asset or code of its own; the earlier question then lends its words (and its asset ids) to the search.
    """
    if not history:
        return question
    own = plan_query(question)
    short = len(question.split()) <= 6
    if (own.assets or own.codes) and not short:
        return question
    if short or FOLLOW_UP_RE.search(question):
        return f"{question} {history[-1][0]}"
    return question
