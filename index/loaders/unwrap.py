"""Join the lines a source wrapped at a fixed width back into the sentences they belong to.

Documentation kept in Markdown or AsciiDoc is often wrapped at about 72-80 characters, and PDF text comes out one
printed line at a time. A line break there is layout, not meaning: "Follow the directions in the Probe Calibrate" /
"guide to set the x_offset..." is one sentence. Left wrapped, answers quote half sentences ("guide to set the
x_offset...") and a line-by-line search for the best line never sees a whole one.

A line joins the one above it unless it starts something of its own: a list item or numbered step, a table row, a
heading, a quote, a code fence, a "field: value" line, or a safety notice (which must stay first on its line to become
a banner). Lines that end with a colon (a list or code follows), lines inside code fences, and indented code are kept
as they are. A line that ends a sentence is joined only when it is as long as the paragraph's wrapped lines: short,
complete lines are a list written without markers ("Pressure 10 bar." / "Flow 5 l/min.") and stay one per line.
"""

from __future__ import annotations

import re

# Starts a line of its own: bullets, numbered or lettered steps, table rows, headings, quotes, fences, HTML, notices.
_BLOCK_START = re.compile(
    r"^\s*(?:[-*+•▪◦]\s|\d{1,3}[.)](?:\s|$)|[a-zA-Z][.)]\s|\||#|>|```|~~~|<|\+$|([-*_=])\1{2,}\s*$|\[[^\]]+\]:"
    r"|(?i:(?:danger|warning|caution|note|notice|important|tip)\b\s*\**\s*[:!])"
    r"|(?:DANGER|WARNING|CAUTION|NOTE|NOTICE|IMPORTANT)\s*$)"
)
# Lines complete in themselves, that nothing joins: headings, rules, fences, HTML tags, link definitions.
_WHOLE = re.compile(r"^\s*(?:#|```|~~~|<|\+$|([-*_=])\1{2,}\s*$|\[[^\]]+\]:)")
# "brief: Add a line", "Design pressure: 10 bar": a field of a record or a spec list, one per line.
_FIELD = re.compile(r"^\s*[A-Za-z_][\w-]*(?: [\w-]+){0,2} ?:\s+\S")
_NOTICE_ALONE = re.compile(r"^\s*\**\s*(?:DANGER|WARNING|CAUTION|NOTE|NOTICE|IMPORTANT)\s*\**\s*$")
_ENDS_SENTENCE = re.compile(r"[.!?][\"')\]]*$")
# The longest line sets the wrap width; a sentence-ending line this close to it was wrapped, not ended on purpose.
_WRAPPED_SHARE = 0.75
_MIN_WRAP_WIDTH = 50


def _is_row(line: str) -> bool:
    """A table row: with or without its outer pipes (prose has no use for the character), or, in PDF text where the
    pipes are gone, a line mostly of numbers ("O-200 4.06 3.88 201") or with gaps between columns."""
    if "|" in line or len(re.findall(r"\S {3,}\S", line.strip())) >= 2:
        return True
    tokens = line.split()
    numbers = sum(1 for t in tokens if re.fullmatch(r"[-+±]?\d[\d.,/:-]*%?", t))
    return len(tokens) >= 3 and numbers > 0.5 * len(tokens)


def unwrap(text: str) -> str:
    """`text` with wrapped lines joined (see the module docstring); blank lines and kept line breaks stay."""
    lines = [ln.rstrip() for ln in text.split("\n")]
    width = max((len(ln) for ln in lines), default=0)
    out: list[str] = []
    above = ""  # the line above as the source wrote it (`out[-1]` may already hold several joined)
    in_fence = False
    for line in lines:
        fence = line.lstrip().startswith(("```", "~~~"))
        if in_fence or fence:
            in_fence = in_fence != fence
            out.append(line)
        elif out and _joins(above, line, width):
            # A word broken at a hyphen ("high-" / "pressure") is one word again; the hyphen stays, since most are
            # compounds, and the keyword index also reads a hyphenated word without its hyphen.
            glue = "" if re.search(r"[A-Za-z]-$", above) and line.lstrip()[:1].islower() else " "
            out[-1] = f"{out[-1]}{glue}{line.strip()}"
        else:
            out.append(line)
        above = "" if fence else line
    return "\n".join(out)


def _joins(above: str, line: str, width: int) -> bool:
    if not above.strip() or not line.strip():
        return False
    if _BLOCK_START.match(line) or _FIELD.match(line) or _is_row(line) or _is_row(above) or above.endswith(":"):
        return False
    if _WHOLE.match(above):
        return False  # a heading, rule, fence, HTML tag or link definition is whole; a list item or notice goes on
    if above.startswith(("    ", "\t")) and line.startswith(("    ", "\t")):
        return False  # indented code, or a deep list whose layout is unclear
    if _NOTICE_ALONE.match(above):
        return False  # the notice's text stays on the line below its signal word
    if _ENDS_SENTENCE.search(above):
        return width >= _MIN_WRAP_WIDTH and len(above) >= _WRAPPED_SHARE * width
    return True
