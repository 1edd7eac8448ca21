"""Free-text event logs (control-system alarm lines) into one block per asset and day.

A single alarm line is too short to retrieve well and too many to index one by one; an asset's events of one day
read like a shift log entry and cite as "alarms.log, P-101 2024-03-11".
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

from index.loaders.encoding import read_text
from index.records import Block

LINE_RE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\S*\s+(.*)$")
ASSET_RE = re.compile(r"\b([A-Z]{1,3}-\d{3})\b")


def parse_log(path: Path) -> tuple[str, tuple[Block, ...]] | None:
    """Group timestamped lines by (asset, date); None when fewer than half the lines carry a timestamp."""
    lines = [ln for ln in read_text(path, errors="replace").splitlines() if ln.strip()]
    if not lines:
        return None
    groups: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
    stamped = 0
    for line in lines:
        match = LINE_RE.match(line)
        if not match:
            continue
        stamped += 1
        date, rest = match.group(1), match.group(3)
        asset_match = ASSET_RE.search(rest)
        asset = asset_match.group(1) if asset_match else "plant"
        groups.setdefault((asset, date), []).append(line.strip())
    if stamped < len(lines) / 2:
        return None
    title = path.stem.replace("_", " ")
    blocks = tuple(
        Block(text="\n".join(group), page=None, headings=(title, f"{asset} {date}"), kind="record",
              assets=(asset,) if asset != "plant" else (), date=date)
        for (asset, date), group in groups.items()
    )
    return title, blocks
