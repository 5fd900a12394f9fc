"""The one progress-bar layout of every long command (data, train, track, eval): on stderr, so that stdout stays
clean for results."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Items per second, e.g. '12.3 fps' for frames."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task) -> Text:
        return Text(f"{task.speed:.1f} {self.unit}" if task.speed else f"- {self.unit}")


def progress_bar(
    *columns: ProgressColumn, after: tuple[ProgressColumn, ...] = (), console: Console | None = None, **kwargs
) -> Progress:
    """Description, bar, done/total, ``columns``, elapsed and remaining time, then ``after``."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *columns,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        *after,
        console=console or Console(stderr=True),
        **kwargs,
    )
