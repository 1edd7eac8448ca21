"""Sensors tab handlers: analyse an uploaded sensor CSV (or a corpus asset's log), plot it with the anomaly windows
shaded, and show the repair report beside it.

The plot is drawn with matplotlib's object API (`Figure`, no pyplot), which holds no global state and is safe in the
web server's worker threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from copilot.errors import CopilotError
from copilot.records import AnomalyReport
from copilot.sensors import read_sensor_csv
from copilot.service import CopilotService
from copilot.ui.render import report_markdown

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

SEVERITY_COLOURS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#f2c94c"}
MAX_PLOTTED_CHANNELS = 8


def corpus_sensor_files(folder: Path | None) -> dict[str, Path]:
    """Sensor logs offered for picking: '{name}' -> path, for every CSV in `folder` (none when it is absent)."""
    if folder is None or not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.csv"))}


def sensor_figure(frame: pd.DataFrame, report: AnomalyReport) -> Figure:
    """One panel per channel over time, each anomaly window shaded by severity on every panel."""
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    channels = [c for c in frame.columns if c in report.channels][:MAX_PLOTTED_CHANNELS] or \
        list(frame.columns[:MAX_PLOTTED_CHANNELS])
    figure = Figure(figsize=(10, 1.5 * len(channels) + 0.8), layout="constrained")
    axes = figure.subplots(len(channels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, channel in zip(axes, channels, strict=True):
        ax.plot(frame.index, frame[channel], linewidth=0.9, color="#1f4e79")
        ax.set_ylabel(channel, rotation=0, ha="right", va="center", fontsize=9)
        ax.grid(alpha=0.3)
        for event in report.events:
            start, end = pd.Timestamp(event.start), pd.Timestamp(event.end)
            colour = SEVERITY_COLOURS.get(event.severity, "#d62728")
            ax.axvspan(start, end, color=colour, alpha=0.35 if channel in event.channels else 0.12, linewidth=0)
    title = f"{report.asset or 'sensor log'}: {len(report.events)} anomaly window(s)"
    axes[0].set_title(title, loc="left", fontsize=11)
    shown = sorted({e.severity for e in report.events}, key=list(SEVERITY_COLOURS).index)
    if shown:
        axes[0].legend(handles=[Patch(color=SEVERITY_COLOURS[s], alpha=0.5, label=f"{s} severity") for s in shown],
                       loc="upper right", fontsize=8)
    figure.autofmt_xdate()
    return figure


def analyse_sensor_log(service: CopilotService, upload: str | Path | None, corpus_choice: str | None,
                       corpus_files: dict[str, Path], asset: str | None = None,
                       fit_rows: float | None = None) -> tuple[Figure, str, dict[str, Any]]:
    """(plot, report Markdown, report JSON as `copilot analyse --json`) for an uploaded file or a picked corpus log.

    An upload wins over a picked corpus log. Raises CopilotError when neither is given, or the file is unusable.
    """
    if upload:
        path = Path(upload)
    elif corpus_choice:
        if corpus_choice not in corpus_files:
            raise CopilotError(f"no sensor log named {corpus_choice!r}; pick one from the list")
        path = corpus_files[corpus_choice]
    else:
        raise CopilotError("upload a sensor CSV or pick an asset's sensor log first")
    rows = int(fit_rows) if fit_rows else None
    report = service.analyse(path, asset=(asset or "").strip() or None, fit_rows=rows)
    frame = read_sensor_csv(path).data
    return sensor_figure(frame, report), report_markdown(report.to_dict()), report.to_dict()
