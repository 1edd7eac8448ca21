"""A symptom in the technician's words -> the troubleshooting rows that explain it, ranked, with the asset's history.

The rows were read out of the documents at index time (index/troubleshooting.py): troubleshooting and fault-code
tables, FMEA rows, symptom sections, PDF troubleshooting figures, and work orders with a recorded cause. A question is
matched against each row's symptom text two ways: by meaning (the row's stored vector against the question's) and
by words, after the technician's symptom words are mapped to the tables' ("screaming" -> noise, "bouncing" ->
erratic, fluctuating; copilot/qa/lexicon.py). The two scores are added with weights from copilot/qa/thresholds.py.
The question's context is used too: a named asset (or a model name, "the CP-80") limits the rows to that machine's
documents, its type's FMEA rows and its work orders; the readings it gives ("oil temp normal") rank up the rows that
read them the same way and down those they contradict (copilot/qa/readings.py); a clause about recent work
("after a seal change") ranks up the rows whose remedy points at a section the procedure for that work refers to.
Documentary rows are the causes; the named asset's work orders with the same symptom are the evidence, counted per
cause. Pure apart from the question's embedding, which the index computes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from copilot.qa import answerability, readings
from copilot.qa.lexicon import RECENT_WORK_RE, SYMPTOM_ASK_RE, SYMPTOM_RE, SYMPTOM_SYNONYMS, VALUE_ASK_RE
from copilot.qa.query import QueryPlan
from copilot.qa.thresholds import THRESHOLDS
from copilot.qa.view import IndexView
from index.normalize import tokenize
from index.troubleshooting import TroubleRow

CAUSE_KINDS = ("table", "fault_code", "fmea", "section", "figure", "page")
SECTION_REFERENCE = re.compile(r"\((\d+(?:\.\d+)+|\d+)\)")  # "(6.5)": a manual's cross-reference
GENERIC_WORK = frozenset(tokenize("change changed replace replaced new fit fitted work job service done the a last"))


@dataclass(frozen=True)
class Ranked:
    """A row and how well it matches the question: by meaning, by words, and together."""

    row: TroubleRow
    score: float
    dense: float
    keyword: float
    state: float = 0.0  # how far the row's readings agree with the question's (copilot/qa/readings.py)


@dataclass(frozen=True)
class Diagnosis:
    """The causes to list, best first, each with the asset's work orders that found it; or why none is listed."""

    causes: tuple[Ranked, ...]
    evidence: dict[int, tuple[TroubleRow, ...]] = field(default_factory=dict)  # cause index -> work orders
    history: tuple[TroubleRow, ...] = ()  # the asset's work orders with this symptom, whatever they found
    nearest: Ranked | None = None  # the best row, also when it is too weak to answer


def is_symptom_question(question: str, plan: QueryPlan) -> bool:
    """Whether the question asks for a diagnosis ("what do I check", "why", "what's going on": lexicon.SYMPTOM_ASK_RE),
    not a look-up of a value or a limit, a code's meaning, a procedure or the records' history. Whether it describes
    a symptom is `said_as_symptom`."""
    asked = bool(SYMPTOM_ASK_RE.search(question))
    if (plan.codes and plan.meaning and not asked) or (plan.history and (plan.dates or plan.recency or not asked)):
        return False  # "what does E105 mean", "when did P-101 last trip": a look-up, not a diagnosis
    if not asked or VALUE_ASK_RE.search(question):
        return False
    slot = answerability.requested_slot(question)
    return slot is None or slot.name != "procedure"


def said_as_symptom(question: str, found: Diagnosis) -> bool:
    """Whether a diagnosis question describes a symptom: in a technician's symptom words ("keeps tripping",
    "screaming", lexicon.SYMPTOM_RE), or, in other words, close in meaning to a row's symptom (its cosine at least
    thresholds.troubleshoot_unsaid_dense). Otherwise ("why is the lagging due?") another route answers."""
    if SYMPTOM_RE.search(question):
        return True
    best = found.causes[0] if found.causes else found.nearest
    return best is not None and best.dense >= THRESHOLDS.troubleshoot_unsaid_dense


def query_tokens(question: str) -> list[str]:
    """The question's keyword tokens with the technician's symptom words mapped to the tables' words."""
    tokens = tokenize(question)
    lowered = re.findall(r"[a-z']+", question.lower())
    extra = [t for word in lowered for synonym in SYMPTOM_SYNONYMS.get(word, ()) for t in tokenize(synonym)]
    return tokens + [t for t in extra if t not in tokens]


def named_assets(question: str, plan: QueryPlan, view: IndexView) -> tuple[str, ...]:
    """The assets the question names: by id ("P-101"), or by the model of a document whose rows carry asset ids
    ("the CP-80" names the Norvane CP-80 manual, which covers P-101, P-102 and P-103)."""
    if plan.assets:
        return plan.assets
    said = set(tokenize(question))
    found: list[str] = []
    for model, assets in view_models(view).items():
        if model in said:
            found += [a for a in assets if a not in found]
    return tuple(found)


def view_models(view: IndexView) -> dict[str, tuple[str, ...]]:
    """Model names in the file names of documents whose rows carry asset ids ("cp80" -> P-101, P-102, P-103): a part
    of the name with a digit in it, as technicians name a machine by its model."""
    models: dict[str, list[str]] = {}
    for row in view.troubles.rows:
        if row.kind in ("fmea", "work_order") or not row.assets:
            continue
        for part in re.split(r"[-_.\s]+", row.source.lower()):
            if re.search(r"\d", part) and re.search(r"[a-z]", part) and len(part) >= 3:
                models.setdefault(part, [])
                models[part] += [a for a in row.assets if a not in models[part]]
    return {m: tuple(a) for m, a in models.items()}


def asset_scope(assets: Sequence[str], view: IndexView) -> set[str]:
    """The named assets and their types, when some row is about them; empty (every row) otherwise."""
    scope = set(assets) | {view.asset_types[a] for a in assets if a in view.asset_types}
    return scope if any(scope & set(r.assets) for r in view.troubles.rows) else set()


def recent_work_references(work: str, assets: Sequence[str], view: IndexView) -> set[str]:
    """The sections that the procedure for the recent work refers to: "after a seal change" finds "6.3 Replacing the
    mechanical seal", whose last step says "check alignment (6.5)"; a row whose remedy points to 6.5 (misalignment)
    is then more likely. Read from the document's own cross-references, not from a list of what follows what."""
    terms = set(tokenize(work)) - GENERIC_WORK
    if not terms:
        return set()
    scope = set(assets)
    best: tuple[int, str, str | None] | None = None
    for chunk in view.chunks:
        if chunk.kind == "record" or not chunk.section or (scope and chunk.assets and not scope & set(chunk.assets)):
            continue
        shared = len(terms & set(tokenize(chunk.section)))
        if shared and (best is None or shared > best[0]):
            best = (shared, chunk.source, chunk.section)
    if best is None:
        return set()
    own = re.match(r"\s*(\d+(?:\.\d+)*)", best[2] or "")
    text = " ".join(view.section_texts({(best[1], best[2])}))
    return set(SECTION_REFERENCE.findall(text)) - {own.group(1) if own else ""}


def rank(question: str, plan: QueryPlan, view: IndexView) -> list[Ranked]:
    """Every row in scope, scored against the question, best first."""
    table = view.troubles
    if not table.rows:
        return []
    recent = " ".join(m.group(1) for m in RECENT_WORK_RE.finditer(question))
    symptom = RECENT_WORK_RE.sub(" ", question) if recent else question  # the work done is context, not symptom
    wanted = query_tokens(symptom)
    ignore = {t for name in plan.assets for t in tokenize(name)}
    unseen = max(view.idf.values(), default=1.0)  # a word no document uses weighs as the rarest one
    weights = {t: view.idf.get(t, unseen) for t in wanted if t not in ignore}
    total = sum(weights.values()) or 1.0
    assets = named_assets(question, plan, view)
    pointed = recent_work_references(recent, assets, view) if recent else set()
    dense = np.zeros(len(table.rows), dtype=np.float32)
    if view.embed is not None and table.vectors.size:
        vector = np.asarray(view.embed(question), dtype=np.float32)
        vector = vector / (np.linalg.norm(vector) or 1.0)
        dense = table.vectors @ vector
        share = THRESHOLDS.troubleshoot_tuned_dense
        tuned = view.symptom_embed(question) if view.symptom_embed is not None and share else None
        if tuned is not None:  # the symptom encoder's match, mixed in
            mixed = (1.0 - share) * dense + share * (table.vectors @ np.asarray(tuned, dtype=np.float32))
            dense = mixed.astype(np.float32)
    scope = asset_scope(assets, view)  # a named machine's own rows; general documents answer for the others
    asked = readings.readings(symptom)
    ranked = []
    for i, row in enumerate(table.rows):
        if scope and not scope & set(row.assets) or i in view.steered_rows:
            continue
        said = set(tokenize(f"{row.said} {re.sub(r'[-_.]+', ' ', row.source)}"))
        keyword = sum(w for t, w in weights.items() if t in said) / total
        if pointed and pointed & set(SECTION_REFERENCE.findall(f"{row.remedy} {row.check}")):
            keyword += THRESHOLDS.troubleshoot_recent_work
        agree, differ = readings.agreement(asked, readings.readings(f"{row.symptom}; {row.cause}"), view.idf,
                                           match=THRESHOLDS.troubleshoot_state_match) if asked else (0.0, 0.0)
        state = THRESHOLDS.troubleshoot_state * agree - THRESHOLDS.troubleshoot_state_differ * differ
        score = (THRESHOLDS.troubleshoot_dense * float(dense[i]) + THRESHOLDS.troubleshoot_keyword * keyword
                 + state)
        ranked.append(Ranked(row, score, float(dense[i]), keyword, state))
    ranked.sort(key=lambda r: -r.score)
    return ranked


def diagnose(question: str, plan: QueryPlan, view: IndexView) -> Diagnosis:
    """The causes to list for a symptom question (none when no row explains it well enough), with their evidence."""
    ranked = rank(question, plan, view)
    documentary = [r for r in ranked if r.row.kind in CAUSE_KINDS]
    nearest = documentary[0] if documentary else (ranked[0] if ranked else None)
    if not documentary or documentary[0].score < THRESHOLDS.troubleshoot_floor:
        return Diagnosis((), nearest=nearest)
    best = documentary[0].score
    causes: list[Ranked] = []
    seen: set[str] = set()
    for candidate in documentary:
        key = " ".join(tokenize(candidate.row.cause))
        if key in seen:
            continue
        if len(causes) >= THRESHOLDS.troubleshoot_min_causes and candidate.score < best * THRESHOLDS.troubleshoot_share:
            break
        seen.add(key)
        causes.append(candidate)
        if len(causes) >= THRESHOLDS.troubleshoot_max_causes:
            break
    history: tuple[TroubleRow, ...] = ()
    evidence: dict[int, tuple[TroubleRow, ...]] = {}
    if plan.assets:  # the history of an asset named by its id (a model name covers several)
        floor = best * THRESHOLDS.troubleshoot_history_share
        history = tuple(r.row for r in ranked if r.row.kind == "work_order" and r.score >= floor
                        and set(plan.assets) & set(r.row.assets))
        for n, cause in enumerate(causes):
            found = tuple(wo for wo in history if _same_cause(wo.cause, cause.row))
            if found:
                evidence[n] = found
        # a cause the asset's own history keeps finding ranks above one it never found
        order = sorted(range(len(causes)), key=lambda n: -(causes[n].score + THRESHOLDS.troubleshoot_history_vote
                                                            * len(evidence.get(n, ())) / max(len(history), 1)))
        causes = [causes[n] for n in order]
        evidence = {order.index(n): rows for n, rows in evidence.items()}
    return Diagnosis(tuple(causes), evidence, history, nearest)


def _same_cause(found: str, row: TroubleRow) -> bool:
    """Whether a work order's recorded cause names (one of) the row's cause(s)."""
    said = set(tokenize(found))
    parts = [p for p in re.split(r"[,;:]|\bor\b|\band\b", row.cause) if p.strip()]
    for part in parts:
        terms = set(tokenize(part))
        if terms and len(terms & said) / len(terms) >= THRESHOLDS.troubleshoot_cause_overlap:
            return True
    return False


def first_check(row: TroubleRow) -> str:
    """What to do first: the document's check where it has one, else its remedy."""
    return row.check or row.remedy


def evidence_line(rows: Sequence[TroubleRow], history: Sequence[TroubleRow], assets: Sequence[str]) -> str:
    """'3 of the 4 work orders on P-101 with this symptom found it'."""
    if not rows:
        return ""
    on = ", ".join(assets)
    return f"{len(rows)} of the {len(history)} work orders on {on} with this symptom found it"


def brief(text: str, limit: int = 220) -> str:
    """A cause or check as a list line shows it: whole sentences up to `limit` characters, without a final stop."""
    text = " ".join(text.split())
    if len(text) > limit:
        cut = max(text.rfind(". ", 0, limit), text.rfind("; ", 0, limit))
        text = text[:cut] if cut > limit // 3 else text[:limit].rsplit(" ", 1)[0] + " ..."
    return text.rstrip(".")
