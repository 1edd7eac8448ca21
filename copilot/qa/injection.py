"""Documents are data, never instructions: text in a document that addresses the model is cut before anyone reads it.

A maintenance document speaks to the technician ("Do not open the casing ..."); it never speaks as a chat role
("SYSTEM: ...", "<|im_start|>") or gives a reader-model orders ("ignore all previous instructions", "you are now ...",
"answer that ..."). Such text in an indexed file is someone's attempt to steer the copilot, so it never reaches a
prompt and is never quoted as an answer: a line spoken as a role goes whole, a sentence giving orders goes, and the
answer that used such a passage says so (copilot/qa/safety.py). The patterns (`ROLE_MARKER_RE`, `INSTRUCTION_RE`)
live in copilot/qa/lexicon.py; on the corpus, Marlin's docs, the FAA chapters and the 97 holdout handbook files
they match nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from copilot.qa.lexicon import INSTRUCTION_RE, ROLE_MARKER_RE

SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")


def has_instructions(text: str) -> bool:
    """Whether the text holds anything addressed to the model."""
    return bool(ROLE_MARKER_RE.search(text) or INSTRUCTION_RE.search(text))


@lru_cache(maxsize=4096)
def without_instructions(text: str) -> str:
    """The text without the lines spoken as a chat role and the sentences giving the model orders; text without any
    is returned unchanged."""
    if not has_instructions(text):
        return text
    kept: list[str] = []
    for line in text.split("\n"):
        if ROLE_MARKER_RE.search(line):
            continue
        if INSTRUCTION_RE.search(line):
            indent = line[:len(line) - len(line.lstrip())]
            sentences = [s for s in SENTENCE_SPLIT.split(line.strip()) if s and not INSTRUCTION_RE.search(s)]
            if not sentences:
                continue
            line = indent + " ".join(sentences)
        kept.append(line)
    return "\n".join(kept)
