#!/usr/bin/env python3
"""Render the Halden FT-2000 steam boiler manual (Markdown) to a PDF, deterministically.

One PDF page per ``<!-- page N -->`` marker, so PDF page N holds exactly the text of marker page N and the
eval questions can cite the same page numbers for the .md and the .pdf. If a page's content does not fit at
the default font size, the font is shrunk for that page only. The script fails loudly if the page count of
the result differs from the number of markers.

Rendering rules: headings on their own lines, exactly as "6.3 Title" (numbers kept); paragraphs wrapped;
tables as text rows with cells joined by " | " (header row first, separator row dropped); blockquote
warnings in bold; numbered/bulleted list items as their own wrapped lines. The core font Helvetica only
covers latin-1, so a few characters are spelled in ASCII (see REPLACEMENTS); tests import
``REPLACEMENTS`` / ``pdf_text`` from here to compare gold quotes with the PDF text.

The output is byte-identical on every run: fixed creation date, fixed metadata, no timestamps.

Usage (from the repository root):
    .venv/bin/python corpus/tools/make_pdf.py [--src MANUAL.md] [--out OUT.pdf]
Needs fpdf2 (``pip install 'maintenance-copilot[pdf]'``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import re
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1]
DEFAULT_SRC = CORPUS / "manuals" / "halden-ft2000-steam-boiler.md"
DEFAULT_OUT = CORPUS / "manuals" / "pdf" / "halden-ft2000-steam-boiler.pdf"

# Characters spelled in ASCII in the PDF (applied to every piece of text, in this order).
REPLACEMENTS: tuple[tuple[str, str], ...] = (
    ("\u00b7", " "),  # middle dot: "N·m" -> "N m"
    ("\u00b3", "3"),  # superscript three: "m³/h" -> "m3/h"
    ("\u00b2", "2"),  # superscript two
    ("\u00d7", "x"),  # multiplication sign: "58 × 63.5 mm" -> "58 x 63.5 mm"
    ("\u00b1", "+/-"),  # plus-minus: "±2 %" -> "+/-2 %"
    ("\u2013", "-"),  # en dash
    ("\u2014", "-"),  # em dash
    ("\u2212", "-"),  # minus sign
    ("\u2264", "<="),  # less-than or equal
    ("\u2265", ">="),  # greater-than or equal
    ("\u03a9", "ohm"),  # capital omega
    ("\u00b5", "u"),  # micro sign
    ("\u03bc", "u"),  # greek mu
    ("\u03b2", "beta"),  # greek beta
    ("\u2018", "'"),
    ("\u2019", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u2026", "..."),
    ("\u00a0", " "),  # no-break space
)

CREATION_DATE = _dt.datetime(2022, 11, 7, 0, 0, 0, tzinfo=_dt.timezone.utc)  # the manual's revision date

PAGE_MARKER = re.compile(r"^<!--\s*page\s+(\d+)\s*-->\s*$")
HEADING = re.compile(r"^(#{1,4})\s+(.*\S)\s*$")
TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
LIST_ITEM = re.compile(r"^(\d+\.|[-*])\s+")

BASE_SIZE = 10.0  # body font size (pt)
MIN_SIZE = 5.0  # smallest font size tried before giving up
HEADING_SCALE = {1: 1.5, 2: 1.3, 3: 1.15, 4: 1.05}
MARGIN = 18.0  # mm


def pdf_text(text: str) -> str:
    """Apply the PDF character replacements to ``text`` (the same ones the PDF is rendered with)."""
    for old, new in REPLACEMENTS:
        text = text.replace(old, new)
    return text


def _inline(text: str) -> str:
    """Strip inline Markdown markup and apply the PDF character replacements."""
    text = text.replace("**", "").replace("`", "")
    text = pdf_text(text)
    try:
        text.encode("latin-1")
    except UnicodeEncodeError as exc:  # a character the core font cannot show: add it to REPLACEMENTS
        raise SystemExit(f"make_pdf: character outside latin-1 in {text!r}: {exc}") from exc
    return text


def parse_pages(markdown: str) -> tuple[str, list[list[tuple[str, object]]]]:
    """Split the manual into pages of blocks: (kind, payload) with kind in heading/para/item/table/warning."""
    title = ""
    pages: list[list[tuple[str, object]]] = []
    cur: list[tuple[str, object]] | None = None
    para: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        nonlocal para, table
        if para and cur is not None:
            cur.append(("para", _inline(" ".join(para))))
        if table and cur is not None:
            cur.append(("table", [" | ".join(_inline(c) for c in row) for row in table]))
        para, table = [], []

    for lineno, raw in enumerate(markdown.splitlines(), 1):
        line = raw.rstrip()
        m = PAGE_MARKER.match(line)
        if m:
            flush()
            n = int(m.group(1))
            if n != len(pages) + 1:
                raise SystemExit(f"make_pdf: page marker {n} on line {lineno}, expected {len(pages) + 1}")
            cur = []
            pages.append(cur)
            continue
        if cur is None:
            if line.strip():
                raise SystemExit(f"make_pdf: text before the first page marker on line {lineno}")
            continue
        if not line.strip():
            flush()
            continue
        if line.lstrip().startswith("|"):
            if para:
                flush()
            if TABLE_SEP.match(line.strip()):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            table.append(cells)
            continue
        if table:
            flush()
        h = HEADING.match(line)
        if h:
            flush()
            level, text = len(h.group(1)), _inline(h.group(2))
            if level == 1 and not title:
                title = text
            cur.append(("heading", (level, text)))
            continue
        if line.startswith(">"):
            flush()
            cur.append(("warning", _inline(line.lstrip(">").strip())))
            continue
        if LIST_ITEM.match(line):
            flush()
            cur.append(("item", _inline(line.strip())))
            continue
        if para or not cur or cur[-1][0] != "item":
            para.append(line.strip())
        else:  # continuation line of a list item
            kind, prev = cur.pop()
            cur.append((kind, f"{prev} {_inline(line.strip())}"))
    flush()
    if not pages:
        raise SystemExit("make_pdf: no <!-- page N --> markers found")
    if not title:
        raise SystemExit("make_pdf: no '# Title' line found")
    return title, pages


def _new_pdf(title: str):
    from fpdf import FPDF  # imported here so tests can import REPLACEMENTS without fpdf2

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.set_title(title)
    pdf.set_subject("Installation, operation and maintenance manual (fictional; maintenance-copilot corpus)")
    pdf.set_creator("maintenance-copilot corpus/tools/make_pdf.py")
    pdf.set_producer("fpdf2")
    pdf.set_creation_date(CREATION_DATE)
    pdf.set_lang("en")
    return pdf


def _render_page(pdf, blocks, size: float) -> None:
    pdf.add_page()
    lh = size * 0.50  # line height in mm for a font size in pt
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for kind, payload in blocks:
        if kind == "heading":
            level, text = payload
            hs = size * HEADING_SCALE[level]
            pdf.ln(lh * 0.5)
            pdf.set_font("Helvetica", "B", hs)
            pdf.multi_cell(width, hs * 0.5, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(lh * 0.3)
        elif kind == "para":
            pdf.set_font("Helvetica", "", size)
            pdf.multi_cell(width, lh, payload, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(lh * 0.5)
        elif kind == "item":
            pdf.set_font("Helvetica", "", size)
            pdf.multi_cell(width, lh, payload, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(lh * 0.2)
        elif kind == "warning":
            pdf.set_font("Helvetica", "B", size)
            pdf.multi_cell(width, lh, payload, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(lh * 0.5)
        elif kind == "table":
            for i, row in enumerate(payload):
                pdf.set_font("Helvetica", "B" if i == 0 else "", size * 0.95)
                pdf.multi_cell(width, lh * 0.95, row, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(lh * 0.5)
        else:  # pragma: no cover
            raise SystemExit(f"make_pdf: unknown block {kind}")


def _fitting_size(title: str, blocks, page_no: int) -> float:
    size = BASE_SIZE
    while size >= MIN_SIZE:
        trial = _new_pdf(title)
        _render_page(trial, blocks, size)
        if trial.page == 1:
            return size
        size = round(size - 0.5, 2)
    raise SystemExit(f"make_pdf: page {page_no} does not fit on one PDF page even at {MIN_SIZE} pt")


def render(src: Path, out: Path) -> int:
    title, pages = parse_pages(src.read_text(encoding="utf-8"))
    pdf = _new_pdf(title)
    for n, blocks in enumerate(pages, 1):
        size = _fitting_size(title, blocks, n)
        _render_page(pdf, blocks, size)
        if pdf.page != n:
            raise SystemExit(f"make_pdf: marker page {n} became PDF page {pdf.page}")
    if pdf.pages_count != len(pages):
        raise SystemExit(f"make_pdf: PDF has {pdf.pages_count} pages, manual has {len(pages)} page markers")
    out.parent.mkdir(parents=True, exist_ok=True)
    data = bytes(pdf.output())
    out.write_bytes(data)
    return len(pages)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="Markdown manual (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output PDF (default: %(default)s)")
    args = ap.parse_args(argv)
    n = render(args.src, args.out)
    print(f"wrote {args.out} ({n} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
