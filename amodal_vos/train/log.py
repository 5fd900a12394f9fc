"""What a training run reports: a rich progress bar (it/s, ETA, current losses) on a terminal, one plain line per
log interval otherwise, and a CSV log (``log.csv``) of the averaged losses that survives --resume.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from rich.console import Console
from rich.progress import TextColumn

from amodal_vos.io.progress import progress_bar

FIXED_COLUMNS = ["iteration", "stage", "lr", "sec_per_it", "wall_s"]


class CsvLog:
    """Append-only CSV with a fixed header; on resume, rows after the resumed iteration are dropped."""

    def __init__(self, path: Path, loss_columns: list[str], resume_from: int | None = None) -> None:
        self.path = Path(path)
        self.columns = FIXED_COLUMNS + list(loss_columns)
        rows = []
        if resume_from is not None and self.path.is_file():
            with self.path.open(newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["iteration"]) <= resume_from]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    def write(self, row: dict) -> None:
        with self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns, extrasaction="ignore")
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


class RunningMean:
    """Averages of logged scalars since the last ``pop``."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, values: dict[str, float]) -> None:
        for k, v in values.items():
            self.sums[k] = self.sums.get(k, 0.0) + float(v)
        self.count += 1

    def pop(self) -> dict[str, float]:
        out = {k: v / max(self.count, 1) for k, v in self.sums.items()}
        self.sums, self.count = {}, 0
        return out


def summary(values: dict[str, float], keys: tuple[str, ...] = ("total",)) -> str:
    """'amodal/total 0.812 visible/total 0.402 ...' for the progress line."""
    shown = [(k, v) for k, v in values.items() if k.split("/")[-1] in keys or k == "disc"]
    return " ".join(f"{k} {v:.3f}" for k, v in shown)


class Reporter:
    """Progress display for the main process (silent elsewhere or with ``quiet``)."""

    def __init__(self, total: int, start: int, enabled: bool = True, quiet: bool = False) -> None:
        self.console = Console(stderr=True)
        self.enabled = enabled and not quiet
        self.live = self.enabled and self.console.is_terminal
        self.total = total
        self.t0 = time.perf_counter()
        self.start = start
        self.progress = None
        if self.live:
            self.progress = progress_bar(
                TextColumn("{task.fields[rate]}"),
                after=(TextColumn("{task.fields[losses]}"),),
                console=self.console,
            )
            self.task = self.progress.add_task("train", total=total, completed=start, rate="", losses="")
            self.progress.start()

    def update(self, iteration: int, stage: str, values: dict[str, float]) -> None:
        """Called at each log interval with the averaged losses; ``iteration`` is the number of finished steps."""
        if not self.enabled:
            return
        done = iteration - self.start
        elapsed = time.perf_counter() - self.t0
        rate = done / elapsed if elapsed > 0 else 0.0
        text = summary(values)
        if self.live:
            self.progress.update(
                self.task, completed=iteration, description=stage, rate=f"{rate:.2f} it/s", losses=text
            )
        else:
            eta = (self.total - iteration) / rate if rate > 0 else float("nan")
            self.console.print(
                f"[{stage}] {iteration}/{self.total} {rate:.2f} it/s eta {eta / 60:.1f} min {text}"
            )

    def note(self, message: str) -> None:
        if self.enabled:
            self.console.print(message)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
