"""Troubleshooting knowledge read out of the documents at index time: rows of {symptom, cause, check/remedy, source}.

A technician describes a symptom in their own words ("pump screaming, gauge bouncing"); the documents hold what
explains it in several shapes, each read here into the same row:
- troubleshooting tables ("Symptom | Probable cause | Corrective action", "Trouble | Cause | Remedy") in Markdown,
  HTML and PDF text that kept its pipes: one row per table row (`table`);
- fault-code tables ("Code | Alarm text | Meaning | Probable cause | Action"): the alarm is the symptom (`fault_code`);
- FMEA records (symptoms, likely causes, recommended actions: `fmea`) and work orders (problem, cause, action, per
  asset: `work_order`);
- symptom sections: the subsections of a "Troubleshooting" / "Problems" heading, in Markdown or AsciiDoc, whose
  heading names the symptom and whose text the cause and the fix (`section`);
- troubleshooting figures of PDFs whose columns were lost in extraction (the text runs troubles, then causes, then
  checks, then remedies): the page is kept as the symptom text, its bulleted items are sorted into causes, checks and
  remedies by their first word, and causes are paired with checks and remedies by position when the counts agree
  (`figure`).
Rows are extracted per file with its chunks, so a sync re-reads only changed files; each row cites the chunk that
holds it. `TroubleTable` keeps the rows with a vector of each row's symptom text (reused across syncs, like the
section vectors) for matching a question by meaning as well as by words.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.figures import Similarity, find_figure, item_role
from index.records import Block, Chunk, Document, record_fields

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

ROWS_FILE = "troubleshooting.jsonl"
VECTORS_FILE = "troubleshooting.npz"

# -- how the documents label troubleshooting knowledge (calibrated on the corpus manuals, Marlin's troubleshooting
# page and the FAA powerplant chapters; docs/troubleshooting.md) ---------------------------------------------------
SYMPTOM_COLUMN = re.compile(r"symptom|trouble|problem|fault(?!\s*code)|condition|observ|indication|complaint", re.I)
CAUSE_COLUMN = re.compile(r"cause|reason", re.I)
PROBLEM_COLUMN = re.compile(r"symptom|trouble|problem|fault(?!\s*code)|complaint", re.I)  # without a cause column
REMEDY_COLUMN = re.compile(r"remed|correct|action|solution|fix|repair|what to do", re.I)
CHECK_COLUMN = re.compile(r"check|isolation|test|inspect", re.I)
CODE_COLUMN = re.compile(r"^(?:fault |alarm |error |trouble )?code$|^code\b", re.I)
MESSAGE_COLUMN = re.compile(r"alarm text|message|meaning|description|display|text", re.I)
TROUBLE_HEADING = re.compile(r"troubleshoot|trouble\s*shooting|fault[- ]finding|problems?\b|symptoms?\b|"
                             r"common (?:issues|faults)|diagnos", re.I)
FIGURE_MARK = re.compile(r"\bprobable\s+causes?\b|\btrouble\b.{0,80}\b(?:remedy|correction|cause)\b", re.I | re.S)
FIGURE_TITLE = re.compile(r"troubleshooting(?:\s+(?:procedures?|chart|guide|table))?", re.I)
BULLET = re.compile(r"(?:^|\s)[?•▪●◦·]\s+")
PROSE_MARK = re.compile(r"\b(?:[A-Z][\w&]*\s+){0,4}Troubleshooting\b(?:\s+&?\s*[A-Z][\w&]*){0,3}")
SENTENCE_END = re.compile(r"(?<=[.:;])\s+(?=(?:\d{1,2}\.\s)?[A-Z])")
MAX_PROSE_SENTENCES = 40
CAUSE_LABEL = re.compile(r"\b(?:Possible|Probable|Likely) causes?\s*:\s*", re.I)
REMEDY_LABEL = re.compile(r"\b(?:Remedy|Remedies|Correction|Corrective action|Solution)\s*:\s*", re.I)
FIGURE_CAPTION = re.compile(r"\bFigure\s+\d+-\d+\.")
PROBLEM_LABEL = re.compile(r"\*{0,2}(?:problem|symptom)s?\*{0,2}\s*:\s*", re.I)
SOLUTION_LABEL = re.compile(r"\*{0,2}(?:solution|remedy|fix|action)s?\*{0,2}\s*:\s*", re.I)
CAUSE_SENTENCE = re.compile(r"\b(?:caused by|is caused|cause[sd]?\b|due to|because|result of|means)\b", re.I)
# An entry under a troubleshooting heading that leads with its symptom: "Heater hums but element stays cold: The
# element has burned out. Replace it." (an AsciiDoc description list item), "**The pump does not start.** Check
# the fuse." or "* **Pump is noisy** - worn bearings ..." (Markdown bold leads, in paragraphs or list items).
BOLD_LEAD = re.compile(r"^(?:[-*+]\s+)?\*\*([^*\n]{3,120}?)\*\*\s*[:\-\u2013\u2014]?\s*(\S.*)$", re.S)
TERM_LEAD = re.compile(r"^(?:[-*+]\s+)?([^:*\n]{3,120}?)\s*:\s+(\S.*)$", re.S)
LIST_ITEM = re.compile(r"\n(?=[-*+]\s)")
NOT_A_SYMPTOM_TERM = re.compile(r"(?i)(note|warning|caution|tip|important|example|see also|for example|e\.g\.)")
SECTION_SYMPTOM_TEXT = 300  # characters of a symptom section's text kept with its heading as the symptom
MAX_TEXT = 400  # characters kept of a row's symptom, cause or remedy (a figure page keeps more: FIGURE_TEXT)
FIGURE_TEXT = 1500


@dataclass(frozen=True)
class TroubleRow:
    """One piece of troubleshooting knowledge: a symptom, what causes it, what to check and do, and where it is."""

    symptom: str
    cause: str
    remedy: str
    source: str
    path: str
    section: str | None
    page: int | None
    kind: str  # table | fault_code | fmea | work_order | section | figure | page
    chunk_id: str  # the chunk a citation points to
    file: str = ""  # the indexed file's key, so a sync replaces a changed file's rows
    check: str = ""  # a first check, where the document separates it from the remedy
    assets: tuple[str, ...] = ()  # asset ids, or an asset type (FMEA rows)
    page_label: str | None = None
    date: str | None = None  # work orders
    record_id: str | None = None  # work orders: their id
    see: str | None = None  # FMEA rows: "manual.md#6.6", the manual section that describes the repair

    @property
    def match_text(self) -> str:
        """What a symptom question is matched against by meaning: the symptom, with the cause (its words often name it
        too); for a figure's row, the figure's title too ("Air turbine starter system ..."), as several figures list
        the same trouble. A figure whose troubles were not read keeps its whole text as every row's symptom, so
        there the rows' own items tell them apart."""
        if self.kind == "figure":
            if len(self.symptom) > MAX_TEXT:
                return " ".join(x for x in (self.cause, self.check, self.remedy) if x)
            return f"{self.section or ''}: {self.symptom}\n{self.cause}"
        return f"{self.symptom}\n{self.cause}"

    @property
    def said(self) -> str:
        """What a symptom question's words are matched against."""
        if self.kind == "figure" and len(self.symptom) <= MAX_TEXT:
            return f"{self.section or ''} {self.symptom} {self.cause}"
        return f"{self.symptom} {self.cause}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TroubleRow:
        data = dict(data)
        data["assets"] = tuple(data.get("assets") or ())
        return cls(**data)


# -- extraction ------------------------------------------------------------------------------------------------------

def extract_rows(doc: Document, chunks: Sequence[Chunk], file_key: str = "",
                 similarity: Similarity | None = None) -> list[TroubleRow]:
    """Every troubleshooting row of one loaded document, each citing the chunk that holds it. `similarity` (the
    index's embedder, index.figures.embedding_similarity) places an interleaved figure's causes under their
    troubles; without it, shared words do."""
    rows: list[TroubleRow] = []
    sections: dict[tuple[str, ...], list[Block]] = {}
    pages: dict[int, list[Block]] = {}
    for block in doc.blocks:
        if block.kind == "record":
            rows += _record_rows(doc, block)
        elif block.kind == "table" or _looks_like_table(block.text):
            rows += _table_rows(doc, block)
        else:
            sections.setdefault(block.headings, []).append(block)
            if block.page is not None and doc.path.lower().endswith(".pdf"):
                pages.setdefault(block.page, []).append(block)
    for headings, blocks in sections.items():
        rows += _section_rows(doc, headings, blocks)
    continued = False
    for page, blocks in sorted(pages.items()):
        found = _figure_rows(doc, page, blocks, continued, similarity)
        continued = bool(found) and found[-1].kind == "page" and not continued  # prose runs on to one more page
        rows += found
    unique = {(r.kind, r.page, r.section, r.symptom, r.cause): r for r in reversed(rows)}  # a page printed twice
    return [_cited(row, chunks, file_key) for row in reversed(unique.values())]


def _looks_like_table(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) >= 3 and sum(ln.lstrip().startswith("|") for ln in lines) >= 3:
        return True
    return bool(lines) and lines[0].count("|") >= 2 and bool(CAUSE_COLUMN.search(lines[0]))  # PDF: pipes kept


def _pipe_rows(text: str) -> list[str]:
    """A table's rows as '| a | b |' lines. PDF text keeps the pipes between cells but not the outer ones, and wraps
    a long row onto lines of its own: a line with fewer cells than the header continues the row above it."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines or lines[0].startswith("|"):
        return [ln for ln in lines if ln.startswith("|")]
    width = lines[0].count("|")
    rows: list[str] = []
    for line in lines:
        if rows and line.count("|") < width and rows[-1].count("|") < width + 2:
            rows[-1] = f"{rows[-1]} {line}"
        elif "|" in line:
            rows.append(line)
    return [f"| {row} |" for row in rows]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _is_rule(line: str) -> bool:
    return bool(re.fullmatch(r"\|?[\s:\-|]+\|?", line.strip())) and "-" in line


def _column(header: Sequence[str], pattern: re.Pattern[str], taken: Iterable[int | None] = ()) -> int | None:
    used = {i for i in taken if i is not None}
    return next((i for i, cell in enumerate(header) if i not in used and pattern.search(cell)), None)


def _table_rows(doc: Document, block: Block) -> list[TroubleRow]:
    """Rows of a table whose header has a cause column and a symptom (or code) column."""
    lines = _pipe_rows((block.table_header or "") + "\n" + block.text)
    if len(lines) < 2:
        return []
    header = _cells(lines[0])
    cause = _column(header, CAUSE_COLUMN)
    if cause is None:  # "Problem | Solution": the fix stands for the cause, as a symptom section's does
        problem = _column(header, PROBLEM_COLUMN)
        cause = _column(header, REMEDY_COLUMN, [problem]) if problem is not None else None
        if cause is None:
            return []
    code = _column(header, CODE_COLUMN, [cause])
    symptom = _column(header, SYMPTOM_COLUMN, [cause] + ([code] if code is not None else []))
    if code is None and symptom is None:
        return []
    message = [i for i, cell in enumerate(header) if i not in (cause, code, symptom) and MESSAGE_COLUMN.search(cell)
               and not REMEDY_COLUMN.search(cell)]
    remedy = _column(header, REMEDY_COLUMN, [cause, code, symptom, *message])
    check = _column(header, CHECK_COLUMN, [cause, code, symptom, remedy, *message])
    found = []
    seen = {lines[0]}
    for line in lines[1:]:
        if _is_rule(line) or line in seen:
            continue
        seen.add(line)
        cells = _cells(line)
        if len(cells) < len(header) - 1 or cells == header:
            continue

        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i] if i is not None and i < len(cells) else ""
        if code is not None:
            parts = [cell(code)] + [cell(i) for i in message] + ([cell(symptom)] if symptom is not None else [])
            said, kind = " ".join(p for p in parts if p), "fault_code"
        else:
            said, kind = cell(symptom), "table"
        if not said or not cell(cause):
            continue
        found.append(_row(doc, block, said, cell(cause), cell(remedy), kind, check=cell(check), raw=line))
    return found


def _record_rows(doc: Document, block: Block) -> list[TroubleRow]:
    """An FMEA row (symptoms -> likely causes -> actions) or a work order with a recorded cause."""
    fields = {k.lower(): v for k, v in record_fields(block.text).items()}
    if fields.get("symptoms") and fields.get("likely_causes"):
        mode = fields.get("failure_mode", "").replace("_", " ")
        cause = f"{mode}: {fields['likely_causes']}" if mode else fields["likely_causes"]
        see = f"{fields['manual']}#{fields.get('section', '')}" if fields.get("manual") else None
        return [_row(doc, block, fields["symptoms"], cause, fields.get("recommended_actions", ""), "fmea",
                     raw=block.text, see=see)]
    if fields.get("problem") and fields.get("cause"):
        label = block.headings[-1] if block.headings else None
        return [_row(doc, block, fields["problem"], fields["cause"], fields.get("action", ""), "work_order",
                     raw=block.text, record_id=label)]
    return []


def _section_rows(doc: Document, headings: tuple[str, ...], blocks: Sequence[Block]) -> list[TroubleRow]:
    """A subsection of a troubleshooting heading: its heading is the symptom, its text the cause and the fix."""
    if headings and TROUBLE_HEADING.search(headings[-1]) and not PROBLEM_LABEL.search(" ".join(b.text for b in blocks)):
        # the troubleshooting heading itself: its table or an introduction, or symptoms as "Term: what to do"
        return [row for block in blocks for entry in LIST_ITEM.split(block.text)
                if (lead := BOLD_LEAD.match(entry) or TERM_LEAD.match(entry)) and _is_symptom_term(lead.group(1))
                for row in _described_rows(doc, [block], lead.group(1), lead.group(2))]
    if len(headings) < 2 or not any(TROUBLE_HEADING.search(h) for h in headings[:-1]):
        return []
    return _described_rows(doc, blocks, headings[-1], " ".join(" ".join(b.text.split()) for b in blocks))


def _is_symptom_term(term: str) -> bool:
    """A description-list term that names a symptom ("Heater hums but element stays cold"), not a label ("Note",
    "Possible cause") or a list item's lead ("- ch3")."""
    term = term.strip(" .:")
    labels = (CAUSE_LABEL, REMEDY_LABEL, PROBLEM_LABEL, SOLUTION_LABEL)
    return (term[:1].isalpha() and len(re.findall(r"[A-Za-z]{2,}", term)) >= 2 and len(term.split()) <= 14
            and not any(label.fullmatch(f"{term}: ") for label in labels) and not NOT_A_SYMPTOM_TERM.fullmatch(term))


def _described_rows(doc: Document, blocks: Sequence[Block], title: str, text: str) -> list[TroubleRow]:
    """A symptom named by `title` and described by `text`: the sentence naming a cause, and the fix."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)(\{[^}]*\})?", "", " ".join(text.split())).strip()  # images
    if len(text.split()) < 4:
        return []
    symptom = title.strip(" ?!:.*")
    problem = PROBLEM_LABEL.search(text)
    solution = SOLUTION_LABEL.search(text)
    if problem:
        end = solution.start() if solution and solution.start() > problem.end() else len(text)
        symptom = f"{symptom}: {text[problem.end():end].strip(' -*')}"
    else:  # the heading names the symptom in a few words; the text often describes it as a user sees it
        symptom = f"{symptom}: {text[:SECTION_SYMPTOM_TEXT]}"
    body = text[:problem.start()] if problem else text
    if solution:
        remedy = text[solution.end():].strip(" -*")
        body = body[:solution.start()] if not problem and solution.start() < len(body) else body
    else:
        remedy = ""
    sentences = [s.strip(" -*") for s in re.split(r"(?<=[.!?])\s+|\s+-\s+", body) if len(s.split()) >= 3]
    labelled = next((s for s in sentences if CAUSE_LABEL.match(s)), None)
    cause = labelled or next((s for s in sentences if CAUSE_SENTENCE.search(s)), sentences[0] if sentences else "")
    if not remedy:
        remedy = next((s for s in sentences if s != cause), "")
    cause = CAUSE_LABEL.sub("", cause, count=1) if labelled else cause
    if not cause and not remedy:
        return []
    return [_row(doc, blocks[0], symptom, cause or remedy, remedy, "section", raw=blocks[0].text)]


def _figure_rows(doc: Document, page: int, blocks: Sequence[Block], continued: bool = False,
                 similarity: Similarity | None = None) -> list[TroubleRow]:
    """A PDF troubleshooting figure whose columns ran together, read back into rows (index/figures.py): each cause
    under its trouble, with the check and remedy printed beside it, titled by the figure's caption. A figure whose
    items cannot be read back still answers as a whole page: its text is the symptom of one row."""
    text = " ".join(" ".join(b.text.split()) for b in blocks)
    mark = FIGURE_MARK.search(text)
    if not mark:
        return _prose_rows(doc, page, blocks, text, continued)
    block = blocks[0]
    figure = find_figure(text, similarity)
    if figure is not None:
        return [_row(doc, block, row.trouble or figure.text[:FIGURE_TEXT], row.cause, row.remedy, "figure",
                     raw=figure.text, page=page, check=row.check, section=figure.title)
                for row in figure.rows]
    titles = list(FIGURE_TITLE.finditer(text[:mark.start()]))  # the figure's title: the last before its header
    start = titles[-1].start() if titles else max(0, mark.start() - 600)
    caption = FIGURE_CAPTION.search(text, mark.end())
    region = text[start:caption.end() if caption else min(len(text), mark.start() + 4000)]
    items = [i.strip() for i in BULLET.split(region[region.lower().find(mark.group(0).lower()):])]
    items = [FIGURE_CAPTION.split(i)[0].strip() for i in items[1:] if len(i.split()) >= 2]
    return [_row(doc, block, region[:FIGURE_TEXT], "; ".join(items[:6]) or region[:MAX_TEXT], "", "figure",
                 raw=region, page=page)]


def _prose_rows(doc: Document, page: int, blocks: Sequence[Block], text: str, continued: bool) -> list[TroubleRow]:
    """A troubleshooting section in running text ("Troubleshooting Propellers ... Hunting & Surging Hunting is
    characterized by ... If propeller is hunting, ... check: 1. Governor, 2. ..."), its headings lost in extraction:
    one row per sentence after the heading, matched on the sentence with the two before it (where its symptom is
    named), so the page is found from the symptom and the sentences that answer it are quoted. Sentences read as
    labelled causes and remedies ("Possible cause: ... Remedy: ...") are not read again as sentences. A section that
    began on the page before (`continued`) is read from the top of this one."""
    heading = PROSE_MARK.search(text)
    if not heading and not continued:
        return []
    region = text[heading.start():] if heading else text
    sentences = [s.strip() for s in SENTENCE_END.split(region) if len(s.split()) >= 4]
    rows = _labelled_rows(doc, page, blocks, region)
    labelled = [t for r in rows for t in (r.cause, r.remedy) if len(t) >= 10]
    for n, sentence in enumerate(sentences[1:MAX_PROSE_SENTENCES + 1], 1):
        if CAUSE_LABEL.search(sentence) or REMEDY_LABEL.search(sentence) or any(t in sentence for t in labelled):
            continue  # read already, with its title, as a labelled cause or remedy
        context = " ".join(sentences[max(0, n - 2):n + 1])
        role = item_role(sentence)
        rows.append(_row(doc, blocks[0], context, sentence, sentence if role == "remedy" else "", "page",
                         raw=sentence, page=page, check=sentence if role == "check" else ""))
    return rows


def _labelled_rows(doc: Document, page: int, blocks: Sequence[Block], region: str) -> list[TroubleRow]:
    """Troubles written as "<Trouble title> Possible cause: ... Remedy: ..." in running text (a light-sport engine
    chapter: "Knocking Under Load Possible cause: Octane rating of fuel too low. Remedy: Use fuel with higher octane
    rating. Possible cause: Fuel starvation ..."): one row per cause, under the title before it (a cause that follows
    another's remedy shares its title)."""
    parts = CAUSE_LABEL.split(region)
    if len(parts) < 2:
        return []
    title = _trailing_title(parts[0])
    rows = []
    for part in parts[1:]:
        pieces = REMEDY_LABEL.split(part, maxsplit=1)
        cause, rest = pieces[0].strip(), pieces[1].strip() if len(pieces) > 1 else ""
        end = rest.find(". ")
        remedy, after = (rest[:end + 1], rest[end + 1:]) if end >= 0 else (rest, "")
        if title and cause:
            rows.append(_row(doc, blocks[0], title, cause, remedy.strip(), "page", raw=f"{title} {cause}",
                             page=page))
        title = _trailing_title(after) or title
    return rows


def _trailing_title(text: str) -> str:
    """The heading-like run of capitalised words that ends a stretch of text ("... potential fixes. Engine Keeps
    Running With Ignition OFF"), or ""."""
    tail = re.split(r"(?<=[.:?!])\s+", text.strip())[-1] if text.strip() else ""
    words = tail.split()
    capitals = sum(w[:1].isupper() for w in words)
    return tail if 2 <= len(words) <= 10 and capitals >= len(words) / 2 and not tail.endswith(".") else ""


def _row(doc: Document, block: Block, symptom: str, cause: str, remedy: str, kind: str, *, raw: str,
         check: str = "", record_id: str | None = None, page: int | None = None, see: str | None = None,
         section: str | None = None) -> TroubleRow:
    """A row as read; its chunk_id holds the start of its raw text until `_cited` finds the chunk that holds it."""
    limit = FIGURE_TEXT if kind == "figure" else MAX_TEXT  # a figure whose troubles were not read: its whole text
    if section is None:
        section = next((h for h in reversed(block.headings) if h), None) if block.headings else None
    if kind in ("fmea", "work_order"):
        section = block.headings[-1] if block.headings else None
    return TroubleRow(symptom=symptom.strip()[:limit], cause=cause.strip()[:MAX_TEXT], remedy=remedy.strip()[:MAX_TEXT],
                      source=doc.source, path=doc.path, section=section, page=block.page if page is None else page,
                      kind=kind, chunk_id=raw[:120], check=check.strip()[:MAX_TEXT],
                      assets=block.assets or doc.assets, page_label=block.page_label, date=block.date,
                      record_id=record_id, see=see)


def _cited(row: TroubleRow, chunks: Sequence[Chunk], file_key: str) -> TroubleRow:
    """The row with the id of the chunk it sits in: the chunk holding its text, else one on its page and section."""
    probe = " ".join(row.chunk_id.split())[:60]
    words = set(re.findall(r"\w+", row.cause.lower()))
    best, best_score = None, -1.0
    for chunk in chunks:
        if row.page is not None and chunk.page != row.page:
            continue
        flat = " ".join(chunk.text.split())
        score = 2.0 if probe and probe in flat else 0.0
        if words:
            score += len(words & set(re.findall(r"\w+", flat.lower()))) / len(words)
        if chunk.section == row.section:
            score += 0.1
        if score > best_score:
            best, best_score = chunk, score
    chunk_id = best.chunk_id if best is not None else (chunks[0].chunk_id if chunks else "")
    return TroubleRow(**{**asdict(row), "chunk_id": chunk_id, "file": file_key})


# -- storage and matching --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TroubleTable:
    """The index's troubleshooting rows and a normalised vector of each row's match text, row for row."""

    rows: tuple[TroubleRow, ...]
    vectors: np.ndarray  # float32, len(rows) x dimension
    texts: tuple[str, ...] = ()  # the text each vector was computed from (reused by a sync only for the same text)

    def save(self, gen: Path) -> None:
        with open(gen / ROWS_FILE, "w", encoding="utf-8") as handle:
            for row in self.rows:
                handle.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
        np.savez(gen / VECTORS_FILE, vectors=self.vectors, texts=np.array(self.texts, dtype=str))

    @classmethod
    def load(cls, gen: Path) -> TroubleTable | None:
        """The generation's rows, or None for an index written before they were extracted."""
        rows_file, vectors_file = gen / ROWS_FILE, gen / VECTORS_FILE
        if not rows_file.is_file() or not vectors_file.is_file():
            return None
        with open(rows_file, encoding="utf-8") as handle:
            rows = tuple(TroubleRow.from_dict(json.loads(line)) for line in handle if line.strip())
        with np.load(vectors_file, allow_pickle=False) as data:
            texts = tuple(str(x) for x in data["texts"]) if "texts" in data.files else ()
            return cls(rows, np.asarray(data["vectors"], dtype=np.float32), texts)

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per document and kind, for `copilot index stats`."""
        by_source: dict[str, Counter[str]] = {}
        for row in self.rows:
            by_source.setdefault(row.source, Counter())[row.kind] += 1
        return {source: dict(kinds) for source, kinds in sorted(by_source.items())}


def embed_rows(rows: Sequence[TroubleRow], embedder: Embeddings, previous: TroubleTable | None = None) -> TroubleTable:
    """Vectors of every row's match text, reusing those `previous` already holds for the same text."""
    known: dict[str, np.ndarray] = {}
    if previous is not None and len(previous.texts) == len(previous.vectors):
        known = {text: previous.vectors[i] for i, text in enumerate(previous.texts)}
    missing = sorted({r.match_text for r in rows if r.match_text not in known})
    if missing:
        fresh = embedder.embed_documents(missing)
        known.update({text: np.asarray(v, dtype=np.float32) for text, v in zip(missing, fresh, strict=True)})
        logger.info("embedded %d troubleshooting rows (%d kept)", len(missing), len(rows) - len(missing))
    if not rows:
        return TroubleTable((), np.zeros((0, 0), dtype=np.float32))
    vectors = np.vstack([known[r.match_text] for r in rows]).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return TroubleTable(tuple(rows), vectors / np.where(norms == 0, 1.0, norms), tuple(r.match_text for r in rows))
