"""A PNG of a sensor log with the report's anomaly windows shaded: one panel per channel, events' channels marked.

`plot_report(frame, report, path)` is the public entry point (the CLI's `--plot`, the UI and the batch job use it).
matplotlib runs on the Agg backend (files only, no display), imported when a plot is asked for. Long logs are
thinned to at most `max_points` samples per channel for drawing (min/max per bucket, so spikes stay visible).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from copilot.anomaly.sensors import SensorFrame
from copilot.errors import CopilotError
from copilot.records import AnomalyReport

SEVERITY_COLOUR = {"low": "#f6d55c", "medium": "#f39c12", "high": "#e74c3c"}


def _thin(series: pd.Series, max_points: int) -> pd.Series:
    """At most ~max_points samples: the min and max of each bucket, in time order."""
    if len(series) <= max_points:
        return series
    bucket = np.arange(len(series)) // int(np.ceil(len(series) / (max_points / 2)))
    grouped = series.groupby(bucket)
    keep = np.unique(np.r_[grouped.idxmin().dropna().to_numpy(), grouped.idxmax().dropna().to_numpy()])
    return series.loc[pd.DatetimeIndex(keep).sort_values()]


def plot_report(frame: SensorFrame | pd.DataFrame, report: AnomalyReport, path: str | Path,
                max_points: int = 4000, max_channels: int = 12) -> Path:
    """Draw every channel (up to `max_channels`, event channels first) with event windows shaded; return the path.

    Raises:
        CopilotError: matplotlib is missing, or the file cannot be written.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise CopilotError("plotting needs matplotlib: pip install matplotlib") from exc
    data = frame.data if isinstance(frame, SensorFrame) else frame
    involved = [c for e in report.events for c in e.channels]
    channels = list(dict.fromkeys([c for c in involved if c in data.columns] + [str(c) for c in data.columns]))
    channels = channels[:max_channels]
    fig, axes = plt.subplots(len(channels), 1, sharex=True, figsize=(11, 1.6 * len(channels) + 1.2), squeeze=False)
    for ax, channel in zip(axes[:, 0], channels, strict=True):
        series = _thin(data[channel].dropna(), max_points)
        ax.plot(series.index, series.to_numpy(), lw=0.7, color="#2c3e50")
        ax.set_ylabel(channel, rotation=0, ha="right", va="center", fontsize=8)
        ax.tick_params(labelsize=7)
        for event in report.events:
            start, end = pd.Timestamp(event.start), pd.Timestamp(event.end)
            if end == start:
                end = start + (data.index[1] - data.index[0] if len(data.index) > 1 else pd.Timedelta(seconds=1))
            on_channel = channel in event.channels
            ax.axvspan(start, end, color=SEVERITY_COLOUR.get(event.severity, "#f39c12"),
                       alpha=0.35 if on_channel else 0.12, lw=0)
    title = f"{report.asset or 'sensor log'}: {len(report.events)} anomaly event(s), urgency {report.urgency}"
    if report.likely_causes:
        top = report.likely_causes[0]
        title += f"; most likely {top.failure_mode.replace('_', ' ')} (score {top.score})"
    axes[0, 0].set_title(title, fontsize=9, loc="left")
    fig.autofmt_xdate()
    fig.tight_layout()
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, dpi=110)
    except OSError as exc:
        raise CopilotError(f"cannot write plot {target}: {exc}") from exc
    finally:
        plt.close(fig)
    return target
