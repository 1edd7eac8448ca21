"""A PDF troubleshooting figure whose columns ran together, read back into rows of {trouble, cause, check, remedy}.

Text extraction of a troubleshooting figure ("Trouble | Probable cause | Isolation procedure | Remedy", the FAA
powerplant handbook's) can lose the table: the page text gives the column headers, then one column after another
(remedies, checks, causes, then troubles; or troubles first), with the first row's trouble often printed after the
header and the others before it. The layout cannot be recovered (those PDFs were re-flowed), but the structure can:
- items are separated by bullets ("?", "•"), by item letters ("a Loose air ducts b Leaking intake pipes"), or, where
  neither is printed, by the capital that starts each sentence-case item;
- an item's first words say whether it is a check ("Check ...", "Remove starter and examine ...") or a remedy
  ("Replace ...") (`item_role`); the others are troubles and causes;
- a table has a remedy for each cause, so the cause count is the remedy count and the items beyond it are troubles:
  the leading ones when the troubles were printed before the causes, the trailing ones when after;
- causes are listed in their troubles' order, each trouble's together. Item letters restarting at "a" mark where
  a trouble's causes begin; without them the causes are cut into as many consecutive runs as there are troubles,
  by the cut that fits best: each cause, read with the check and remedy printed beside it (a remedy often names the
  part or the fault the cause leaves out), close in meaning to its trouble (the index's embedder), and near where its
  trouble's share of the list would put it (`align`, a small dynamic programme).
A figure whose troubles cannot be told from its causes gives its causes without troubles; the caller keeps the
figure's text as their symptom.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# -- how figure items read (calibrated on the five FAA powerplant chapters; docs/troubleshooting.md) ------------------
HEADER = re.compile(r"(?:\b(?:Trouble|Problem|Symptom|Probable\s+[Cc]auses?|Possible\s+[Cc]auses?|Cause|"
                    r"Isolation\s+[Pp]rocedures?|Check|Remedy|Correction|Corrective\s+[Aa]ction)\b\s*){2,}")
CHECK_HEADER = re.compile(r"Isolation|Check")
TITLE = re.compile(r"\bTroubleshooting(?:\s+(?:Procedures?|Chart|Guide|Table))?\b")
CAPTION = re.compile(r"\bFigure\s+\d+-\d+\.")
BULLET = re.compile(r"(?:^|\s)[?•▪●◦·]\s+")
ITEM_LETTER = re.compile(r"(?:^|\s)([a-h])\s+(?=[A-Z])")  # "a Loose air ducts b Leaking intake pipes"
SENTENCE_CASE_START = re.compile(r"\s+(?=[A-Z][a-z])")  # "Damaged compressor wheel Exhaust system leaks"
NUMBERED_TROUBLE = re.compile(r"(?<=[a-z])\d$")  # "Engine fails to start1 Engine runs rough2"
MAX_TITLE_TROUBLES_WORDS = 40  # troubles printed between a figure's title and its header: a short run, not prose
REMEDY_VERBS = frozenset(
    "repair replace adjust charge turn install tighten overhaul reset correct secure lubricate service refer rework "
    "reseat free open close drain fill renew fit clean realign align bleed top re-service recharge rewire reconnect "
    "remove place use set restore connect disconnect".split())
PREPARING_VERBS = frozenset("remove clean open disconnect drain".split())
CHECK_VERBS = frozenset("check inspect test examine measure verify look determine ensure confirm monitor listen "
                        "observe feel".split())
NO_ACTION = re.compile(r"^no\s+(?:remedial\s+|corrective\s+|further\s+)?action", re.I)
# An item that states a trouble rather than a cause ("Starter will not accelerate to normal cutoff speed", "Oil
# leakage at drive coupling", "Starter runs, but engine does not turn over").
TROUBLE_ITEM = re.compile(r"\b(will not|does not|do not|doesn'?t|won'?t|fails? to|no rotation|runs, but|leakage|"
                          r"excessively|noisy|particles on)\b", re.I)
# How much a cause's place in the list counts beside its meaning when cutting the causes: a tie-break. Chosen on the
# four interleaved FAA figures without item letters (66 causes; docs/troubleshooting.md): causes under their own
# trouble 0.561 with raw cosines and weight 0.3, 0.682 with each cause's ranking of the troubles and weight 0.05.
POSITION_WEIGHT = 0.05

Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]  # (troubles, causes) -> len(troubles) x len(causes)


@dataclass(frozen=True)
class FigureRow:
    """One row of a troubleshooting figure as read back: the trouble ("" when it could not be told), a cause, and
    the check and remedy printed beside it ("" when the columns' counts did not agree)."""

    trouble: str
    cause: str
    check: str
    remedy: str


@dataclass(frozen=True)
class Figure:
    """A figure read back: its title or caption ("Figure 5-25. Air turbine starter system troubleshooting
    procedures"), its rows, and the text it spans."""

    title: str
    rows: tuple[FigureRow, ...]
    text: str


def item_role(item: str) -> str:
    """'check' ("Check battery.", "Remove starter and check the drive."), 'remedy' ("Replace defective parts.",
    "No remedial action required."), or 'cause' ("Low battery."): how a figure's item reads, by its first words."""
    words = [re.sub(r"[^a-z\-]", "", w.lower()) for w in item.split()]
    if not words:
        return "cause"
    if NO_ACTION.match(item.strip()):
        return "remedy"
    if words[0] in CHECK_VERBS:
        return "check"
    if words[0] in REMEDY_VERBS:  # "Remove the starter and turn the engine by hand to examine ..." prepares a check
        reach = len(words) if words[0] in PREPARING_VERBS else 4
        return "check" if any(w in CHECK_VERBS for w in words[1:reach]) else "remedy"
    return "check" if any(w in CHECK_VERBS for w in words[:6]) else "cause"


def find_figure(text: str, similarity: Similarity | None = None) -> Figure | None:
    """The troubleshooting figure on a page of text (whitespace already collapsed), or None when it has none."""
    header = HEADER.search(text)
    if header is None or not re.search(r"[Cc]ause", header.group(0)):
        return None
    caption = CAPTION.search(text, header.end())
    end = caption.start() if caption else min(len(text), header.end() + 4000)
    titled = list(TITLE.finditer(text, max(0, header.start() - 600), header.start()))
    before = text[titled[-1].end():header.start()] if titled else ""
    title_words = text[max(0, (titled[-1].start() if titled else header.start()) - 80):
                       titled[-1].end() if titled else header.start()]
    title = _caption(text, caption) or " ".join(title_words.split()[-8:])
    start = titled[-1].start() if titled else header.start()
    items = _items(text[header.end():end])
    rows = _rows(items, _title_troubles(before), bool(CHECK_HEADER.search(header.group(0))), similarity)
    return Figure(title, tuple(rows), text[start:caption.end() if caption else end]) if rows else None


def _caption(text: str, caption: re.Match[str] | None) -> str:
    """'Figure 5-25. Air turbine starter system troubleshooting procedures': the caption's first sentence."""
    if caption is None:
        return ""
    stop = text.find(".", caption.end())
    return text[caption.start():stop + 1 if 0 < stop < caption.end() + 160 else caption.end() + 120].strip()


def _title_troubles(before: str) -> list[str]:
    """Troubles printed between the figure's title and its column headers (rows after the first one)."""
    words = before.split()
    if not words or len(words) > MAX_TITLE_TROUBLES_WORDS:
        return []
    return [t for t in SENTENCE_CASE_START.split(before.strip()) if len(t.split()) >= 2]


def _items(body: str) -> list[tuple[str, str | None]]:
    """The figure's items in print order, each with its item letter ('a'...) where it had one."""
    pieces = [p.strip() for p in BULLET.split(body)]
    bulleted = len(pieces) >= 3
    items: list[tuple[str, str | None]] = []
    for n, piece in enumerate(pieces):
        if not piece:
            continue
        if bulleted and n > 0:  # a bullet's item is whole, capitals and all
            items.append((piece, None))
            continue
        marks = list(ITEM_LETTER.finditer(" " + piece))
        cuts = [(m.start(), m.end(), m.group(1)) for m in marks]
        spans: list[tuple[str, str | None]] = []
        if cuts:
            head = (" " + piece)[:cuts[0][0]]
            spans.append((head, None))
            for i, (_, stop, letter) in enumerate(cuts):
                tail = (" " + piece)[stop:cuts[i + 1][0] if i + 1 < len(cuts) else None]
                first, *rest = SENTENCE_CASE_START.split(tail.strip()) or [""]
                spans.append((first, letter))  # a lettered cause is one sentence-case item; what follows is not
                spans += [(r, None) for r in rest]
        else:
            spans = [(piece, None)]
        for span, letter in spans:
            parts = [span] if letter is not None else SENTENCE_CASE_START.split(span.strip())
            items += [(p.strip(), letter) for p in parts if len(p.split()) >= 1 and p.strip()]
    return [(i, letter) for i, letter in items if len(i.split()) >= 2 or letter is not None or len(i) >= 6]


def _rows(items: Sequence[tuple[str, str | None]], title_troubles: Sequence[str], check_column: bool,
          similarity: Similarity | None) -> list[FigureRow]:
    roles = [item_role(text) for text, _ in items]
    if check_column:
        roles = _two_runs(roles)
    checks = [t for (t, _), r in zip(items, roles, strict=True) if r == "check"] if check_column else []
    remedies = [t for (t, _), r in zip(items, roles, strict=True)
                if r == "remedy" or (r == "check" and not check_column)]  # no check column: checks are remedies
    rest = [(t, letter) for (t, letter), r in zip(items, roles, strict=True) if r == "cause"]
    numbered = [NUMBERED_TROUBLE.sub("", t) for t, letter in rest if letter is None and NUMBERED_TROUBLE.search(t)]
    groups: list[list[str]] = []
    if sum(1 for _, letter in rest if letter == "a") >= 2:  # item letters: each restart at "a" is the next trouble
        leading = [t for t, letter in rest if letter is None and not NUMBERED_TROUBLE.search(t)]
        troubles = numbered + leading
        for t, letter in rest:
            if letter == "a" or (letter is not None and not groups):
                groups.append([])
            if letter is not None:
                groups[-1].append(t)
        causes = [c for group in groups for c in group]
    else:
        plain = [t for t, _ in rest if not NUMBERED_TROUBLE.search(t)]
        extra = len(plain) - (len(remedies) or len(checks))
        if remedies and 0 < extra < len(plain):
            head, tail = plain[:extra], plain[-extra:]
            trailing = sum(bool(TROUBLE_ITEM.search(t)) for t in tail) > sum(bool(TROUBLE_ITEM.search(t)) for t in head)
            causes = plain[:-extra] if trailing else plain[extra:]
            troubles = numbered + (tail if trailing else head)
        else:  # the counts do not tell: troubles are the items that read as one
            causes = [t for t in plain if not TROUBLE_ITEM.search(t)]
            troubles = numbered + [t for t in plain if TROUBLE_ITEM.search(t)]
    troubles = _first_then_titled(troubles, title_troubles)
    if not causes:
        return []
    if groups and len(groups) == len(troubles):
        owner = [j for j, group in enumerate(groups) for _ in group]
    elif troubles:  # a cause is matched to its trouble with what the table prints beside it (its check and remedy)
        said = [" ".join(filter(None, (cause, checks[n] if len(checks) == len(causes) else "",
                                      remedies[n] if len(remedies) == len(causes) else "")))
                for n, cause in enumerate(causes)]
        owner = align(troubles, said, similarity)
    else:
        owner = []
    return [FigureRow(troubles[owner[n]] if owner else "", cause,
                      checks[n] if len(checks) == len(causes) else "",
                      remedies[n] if len(remedies) == len(causes) else "")
            for n, cause in enumerate(causes)]


def _two_runs(roles: Sequence[str]) -> list[str]:
    """The roles with the actions read as two columns printed one after the other (checks then remedies, or
    remedies then checks): each action takes its column's role, the cut between the two placed where most items'
    own reading agrees ("Turn on system and listen for spark-igniter operation" is a check among checks)."""
    actions = [i for i, r in enumerate(roles) if r != "cause"]
    if len(actions) < 2:
        return list(roles)
    said = [roles[i] for i in actions]
    best: tuple[int, int, str, str] | None = None
    for first, second in (("remedy", "check"), ("check", "remedy")):
        for cut in range(1, len(said)):
            agree = sum(r == first for r in said[:cut]) + sum(r == second for r in said[cut:])
            key = (agree, -abs(2 * cut - len(said)), first, second)
            if best is None or key[:2] > best[:2]:
                best = (agree, -abs(2 * cut - len(said)), first, second)
                chosen = (cut, first, second)
    cut, first, second = chosen
    out = list(roles)
    for n, i in enumerate(actions):
        out[i] = first if n < cut else second
    return out


def _first_then_titled(troubles: Sequence[str], title_troubles: Sequence[str]) -> list[str]:
    """The troubles in table order: extraction prints the first row's trouble after the header and the later rows'
    between the title and the header, so those after the header (the first rows) come first."""
    return list(troubles) + [t for t in title_troubles if t not in troubles]


def align(troubles: Sequence[str], causes: Sequence[str], similarity: Similarity | None = None) -> list[int]:
    """For each cause (in print order) the index of its trouble: the causes cut into len(troubles) consecutive,
    non-empty runs, one per trouble in order, maximising how close each cause is to its trouble in meaning plus
    POSITION_WEIGHT times how close it is to where its trouble's share of the list would put it. A cause's closeness
    to a trouble is its ranking of the troubles (1 for the nearest, 0 for the farthest), not the raw cosine, so a
    generic cause ("Defective starter.") close to every trouble does not pull the cut its way."""
    t, c = len(troubles), len(causes)
    if t == 1 or c == 0:
        return [0] * c
    if c == t:  # a cause per trouble
        return list(range(c))
    if c <= t:  # fewer causes than troubles: each to its nearest trouble in meaning
        scores = _scores(troubles, causes, similarity)
        return [int(np.argmax(scores[:, i])) for i in range(c)]
    scores = _scores(troubles, causes, similarity)
    place = 1.0 - np.abs((np.arange(c)[None, :] + 0.5) / c - (np.arange(t)[:, None] + 0.5) / t)
    gain = scores + POSITION_WEIGHT * place
    prefix = np.concatenate([np.zeros((t, 1)), np.cumsum(gain, axis=1)], axis=1)
    best = np.full((t + 1, c + 1), -np.inf)
    back = np.zeros((t + 1, c + 1), dtype=int)
    best[0, 0] = 0.0
    for j in range(1, t + 1):
        for i in range(j, c - (t - j) + 1):
            for k in range(j - 1, i):
                value = best[j - 1, k] + prefix[j - 1, i] - prefix[j - 1, k]
                if value > best[j, i]:
                    best[j, i], back[j, i] = value, k
    owner = [0] * c
    i = c
    for j in range(t, 0, -1):
        k = back[j, i]
        owner[k:i] = [j - 1] * (i - k)
        i = k
    return owner


def _scores(troubles: Sequence[str], causes: Sequence[str], similarity: Similarity | None) -> np.ndarray:
    """len(troubles) x len(causes): each cause's ranking of the troubles by meaning (or shared words), 1 to 0."""
    if similarity is not None:
        close = np.asarray(similarity(troubles, causes), dtype=np.float64)
    else:
        words = [set(re.findall(r"[a-z]{3,}", x.lower())) for x in (*troubles, *causes)]
        a, b = words[:len(troubles)], words[len(troubles):]
        close = np.array([[len(x & y) / (len(x | y) or 1) for y in b] for x in a])
    ranks = np.argsort(np.argsort(-close, axis=0, kind="stable"), axis=0, kind="stable")
    return 1.0 - ranks / max(len(troubles) - 1, 1)


def embedding_similarity(embed: Callable[[list[str]], list[list[float]]]) -> Similarity:
    """Cosine similarity by an embedder's `embed_documents`."""
    def similarity(troubles: Sequence[str], causes: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(embed([*troubles, *causes]), dtype=np.float64)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors[:len(troubles)] @ vectors[len(troubles):].T
    return similarity
