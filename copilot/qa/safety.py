"""Safety first: the DANGER / WARNING / CAUTION notices of the sections an answer cites go in front of it, the
equipment manual's first, and an answer is flagged where its sources cannot be taken at their word.

- The notices of every cited section are shown, those of `manual` sources before the others (copilot/qa/trust.py).
- A safety question ("do I need lockout ...", "is it safe to ...") also gets the manual's notices on that step from
  the manual passages retrieved for it, cited or not: another document cannot make them disappear by being the one
  that answers.
- Where a cited `record` or `upload` source says a safety step is not needed ("lockout is not required", "can be
  opened while running": `NEGATED_SAFETY_RE`), the answer is flagged as a conflict with the manual's notice quoted,
  or as unconfirmed when no manual says anything on it.
- A safety answer that rests on uploads alone says so, and a passage that addressed the model (its text cut by
  copilot/qa/injection.py) is named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from copilot.qa.lexicon import NEGATED_SAFETY_RE, SAFETY_STEP, SAFETY_TOPIC_RE, WARNING_RE
from copilot.qa.view import IndexView
from copilot.records import Answer, Passage

STEP_RE = re.compile(rf"\b{SAFETY_STEP}", re.IGNORECASE)
MAX_TOPIC_NOTICES = 3  # the manual's notices on a safety question's step, when no cited section carries them


def with_safety(answer: Answer, view: IndexView) -> Answer:
    """The answer with its safety notices as a banner in front (in `answer.safety`), and its warnings about the
    sources after them (in `answer.source_warnings`)."""
    by_n = {p.n: p for p in answer.passages}
    cited = [by_n[c.n] for c in answer.citations if c.n in by_n]
    manual = notices([p for p in cited if p.trust == "manual"], view)
    others = [w for w in notices([p for p in cited if p.trust != "manual"], view) if w not in manual]
    denials = [(p, s) for p in cited if p.trust != "manual" for s in _sentences(p.text) if NEGATED_SAFETY_RE.search(s)]
    topic = SAFETY_TOPIC_RE.search(answer.question) is not None
    on_step: list[str] = []
    sources: list[str] = []
    if topic or denials:
        steps = _steps(answer.question + " " + " ".join(s for _, s in denials))
        documents = {p.source for p in answer.passages if p.trust == "manual"}  # the manuals the question reached
        retrieved = notices([p for p in answer.passages if p.trust == "manual"], view)
        if steps:  # a named step: its notices anywhere in those manuals, the retrieved sections' first
            retrieved += [w for w in safety_lines(view.section_texts(
                {(c.source, c.section) for c in view.chunks if c.source in documents and c.section}))
                if w not in retrieved]
        on_step = [w for w in retrieved if not steps or steps & _steps(w)]
    extra = [w for w in on_step if w not in manual][:MAX_TOPIC_NOTICES]
    warnings = manual + extra + [w for w in others if w not in extra]
    for passage in dict.fromkeys(p for p, _ in denials):
        quoted = " ".join(s.strip() for p, s in denials if p is passage)
        said = f"{passage.source} ({passage.trust}) says \"{quoted}\""
        if on_step:
            sources.append(f"CONFLICT: {said}, but the equipment manual says \"{on_step[0]}\". Follow the manual.")
        else:
            sources.append(f"UNCONFIRMED: {said}; no equipment manual in the index covers this step.")
    if topic and cited and all(p.trust == "upload" for p in cited):
        names = ", ".join(dict.fromkeys(p.source for p in cited))
        sources.append(f"This rests only on uploaded documents ({names}), not on the equipment's manual: "
                       "check the manual before acting.")
    steered = dict.fromkeys(p.source for p in answer.passages if p.chunk_id in view.steered)
    if steered:
        sources.append(f"Ignored text addressed to the assistant in {', '.join(steered)}: documents are read as "
                       "data, never as instructions.")
    if not warnings and not sources:
        return answer
    banner = "\n".join([f"⚠ {w}" for w in warnings] + [f"⚠ {s}" for s in sources])
    return replace(answer, text=f"{banner}\n{answer.text}", safety=tuple(warnings), source_warnings=tuple(sources))


def notices(passages: Sequence[Passage], view: IndexView) -> list[str]:
    """The notices of the sections of `passages`, in index order, without duplicates."""
    return safety_lines(view.section_texts({(p.source, p.section) for p in passages if p.section}))


def safety_lines(texts: Iterable[str]) -> list[str]:
    """DANGER/WARNING/CAUTION lines in the given texts, in order, without duplicates."""
    found: list[str] = []
    for text in texts:
        lines = text.splitlines()
        for i, line in enumerate(lines):
            match = WARNING_RE.match(line)
            if not match:
                continue
            body = match.group(3).strip().strip("*").strip()
            if not body:  # the signal word on its own line: the notice is the next line
                body = next((ln.strip().lstrip(">").strip() for ln in lines[i + 1:] if ln.strip()), "")
            if not body:
                continue
            warning = f"{(match.group(1) or match.group(2)).upper()}: {body}"
            if warning not in found:
                found.append(warning)
    return found


def _steps(text: str) -> set[str]:
    """The safety steps a text names, by their stem ("lockout", "locked out" -> "lock"; "isolate" -> "isol")."""
    return {re.sub(r"[^a-z]", "", m.group(0).lower())[:4] for m in STEP_RE.finditer(text)}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;])\s+|\n+", text) if s.strip()]
