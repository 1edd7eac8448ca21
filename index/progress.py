"""Progress of a long build: a bar on a terminal, and a plain line every few seconds when stderr is a log or a pipe.

A 50 MB manual takes a CPU tens of minutes to embed. With stderr redirected (a service, `make run | tee`), a tqdm bar
prints nothing useful, and a build that runs for an hour in silence looks hung. So without a terminal, one line such
as `embedding: 3,200/10,000 chunks (32%), 61 s` goes to stderr every PROGRESS_EVERY_S seconds, and nothing for a
build quicker than that.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from index.config import PROGRESS_EVERY_S


class Progress:
    """Counts the steps of one phase (`desc`: "reading", "embedding") and shows them; silent when not `enabled`."""

    def __init__(self, desc: str, total: int, unit: str, enabled: bool, every_s: float = PROGRESS_EVERY_S,
                 stream: TextIO | None = None) -> None:
        self.desc, self.total, self.unit = desc, total, unit
        self.done = 0
        self.note = ""
        self.stream = stream if stream is not None else sys.stderr
        self.every_s = every_s
        self.started = self.last = time.monotonic()
        self.bar: Any = None
        self.lines = enabled and total > 0 and not _is_terminal(self.stream)
        if enabled and total > 0 and not self.lines:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit=unit, file=self.stream)

    def update(self, n: int = 1, note: str = "") -> None:
        """Count `n` more steps done; `note` ("2 failed") is shown after the count."""
        self.done += n
        self.note = note or self.note
        if self.bar is not None:
            self.bar.update(n)
            if note:
                self.bar.set_postfix_str(note, refresh=False)
        elif self.lines and time.monotonic() - self.last >= self.every_s:
            self.last = time.monotonic()
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        """`reading: 120/500 files (24%), 2 failed, 31 s`."""
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        note = f", {self.note}" if self.note else ""
        return (f"{self.desc}: {self.done:,}/{self.total:,} {self.unit}{share}{note}, "
                f"{time.monotonic() - self.started:.0f} s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
