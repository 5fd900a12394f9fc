"""Many videos with one model load: what `amodal-vos track-many` runs on each process.

Each video's outputs go to ``DIR/<name>/`` (``<name>.amodal.mp4`` and ``<name>.amodal.json``, as `track -o`),
written under temporary names and renamed into place as one set (tracking/outputs.py); a ``done.json`` beside them,
written last, marks the video finished. So a rerun skips finished videos and redoes any other one: a video cut off
by a kill leaves only temporary files (removed on the redo once the process that wrote them is gone), one cut off by
Ctrl-C leaves outputs marked partial (replaced on the redo).

Work is split two ways: ``shard`` gives a torchrun rank its share of the manifest (every ``world``-th video), and
``run_entries`` tracks a share in this process or in ``workers`` processes fed from one queue, each loading the
model once.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

from amodal_vos.errors import UserError
from amodal_vos.io.atomic import discard, temp_path
from amodal_vos.tracking.manifest import Entry

if TYPE_CHECKING:
    from amodal_vos.tracking.detections import Detections
    from amodal_vos.tracking.prompts import Prompt
    from amodal_vos.tracking.result import TrackResult
    from amodal_vos.tracking.tracker import AmodalTracker

DONE = "done.json"


@dataclass
class Row:
    """The outcome of one video: ``status`` is ok, skipped (finished by an earlier run) or failed (``reason``)."""

    line: int
    video: str
    name: str
    status: str
    reason: str = ""
    frames: int = 0
    objects: int = 0
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    """How each process loads the tracker (a picklable recipe: worker processes load their own copy)."""

    checkpoint: str | None = None
    config: str | None = None
    device: str = "auto"
    visible: bool = True

    def load(self) -> AmodalTracker:
        """The AmodalTracker; random weights (no checkpoint) are seeded so that every process gets the same."""
        import torch

        from amodal_vos.tracking import AmodalTracker
        from amodal_vos.tracking.loading import load_model

        torch.manual_seed(0)
        model, description = load_model(self.checkpoint, self.config, None, self.device)
        return AmodalTracker(model, visible=self.visible, description=description)


def output_paths(out: Path, entry: Entry) -> dict[str, Path]:
    """The overlay and masks JSON of one video under ``out``."""
    folder = out / entry.name
    return {"video": folder / f"{entry.name}.amodal.mp4", "masks": folder / f"{entry.name}.amodal.json"}


def finished(out: Path, entry: Entry) -> Row | None:
    """The recorded row of a video an earlier run finished (its done.json and both outputs exist), else None."""
    paths = output_paths(out, entry)
    try:
        done = json.loads((out / entry.name / DONE).read_text())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(done, dict)
        or done.get("status") != "ok"
        or not all(p.is_file() for p in paths.values())
    ):
        return None
    return Row(
        entry.line, str(entry.video), entry.name, "skipped", "finished earlier",
        int(done.get("frames", 0)), int(done.get("objects", 0)), 0.0, {k: str(p) for k, p in paths.items()},
    )  # fmt: skip


_TEMP = re.compile(r"\.(?:tmp|old)-(\d+)-[0-9a-f]+(?:\.|$)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != 0


def remove_stale_temps(folder: Path) -> None:
    """Remove temporary files left in ``folder`` by a killed run (io/atomic.py names them ``*.tmp-<pid>-<hex>*``);
    those of a process still running are left alone."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        match = _TEMP.search(path.name)
        if match and not _alive(int(match.group(1))):
            discard(path)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text if isinstance(err, UserError) else f"{type(err).__name__}: {text}"


def track_video(tracker: AmodalTracker, entry: Entry, out: Path) -> Row:
    """Track one manifest video into ``out/<name>/``; any error fails this video only (Ctrl-C still stops)."""
    from amodal_vos.io.video import open_video

    paths = output_paths(out, entry)
    row = Row(
        entry.line, str(entry.video), entry.name, "failed", outputs={k: str(p) for k, p in paths.items()}
    )
    tic = time.perf_counter()
    try:
        source = open_video(entry.video)
        prompts, detections = entry.load_prompts(source.info.num_frames)
        folder = paths["video"].parent
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(folder)
        discard(folder / DONE)
        # outputs without done.json (an interrupted, partial run, or one killed before done.json) are replaced
        leftover = any(p.exists() for p in paths.values())
        from amodal_vos.tracking.interactive import needs_predictor

        if needs_predictor(prompts, detections):
            result = _track_interactive(tracker, source, prompts, detections, paths, leftover)
        else:
            result = tracker.track(
                source, prompts, output=paths["video"], masks=paths["masks"], force=leftover
            )
        row.frames, row.objects = len(result), len(result.prompts)
        row.seconds = round(time.perf_counter() - tic, 2)
        if result.partial:
            row.reason = "some frames lack an object: the result is partial"
        else:
            row.status = "ok"
            _write_done(folder / DONE, row)
    except Exception as err:  # noqa: BLE001 - one video's failure, reported in its row, must not stop the others
        row.reason = _one_line(err)
        row.seconds = round(time.perf_counter() - tic, 2)
    return row


def _track_interactive(
    tracker: AmodalTracker,
    source,
    prompts: list[Prompt],
    detections: Detections | None,
    paths: dict[str, Path],
    force: bool,
) -> TrackResult:
    """Track through the predictor, as `track --prompts / --detections` does (interactive.py), then write the
    outputs."""
    from amodal_vos.tracking.interactive import propagate_both_ways
    from amodal_vos.tracking.predictor import AmodalPredictor

    predictor = AmodalPredictor.from_tracker(tracker)
    state = predictor.init_state(source, keep_memory=False)
    predictor.add_prompts(state, prompts)
    propagate_both_ways(predictor, state, detections)
    result = predictor.result(state)
    result.save(output=paths["video"], masks=paths["masks"], force=force)
    return result


def _write_done(path: Path, row: Row) -> None:
    temp = temp_path(path)
    temp.write_text(json.dumps(asdict(row), indent=1))
    os.replace(temp, path)


def shard(entries: Sequence[Entry], rank: int, world: int) -> list[Entry]:
    """The videos of one rank: every ``world``-th, starting at ``rank``."""
    if world < 1 or not 0 <= rank < world:
        raise UserError(f"RANK {rank} is outside WORLD_SIZE {world}")
    return list(entries[rank::world])


# -- worker processes ---------------------------------------------------------------------------------------------
_tracker = None


def _init_worker(spec: ModelSpec, threads: int) -> None:
    global _tracker
    import torch

    torch.set_num_threads(threads)
    _tracker = spec.load()


def _work(entry: Entry, out: Path) -> Row:
    return track_video(_tracker, entry, out)


def run_entries(
    entries: Sequence[Entry],
    out: Path,
    spec: ModelSpec,
    workers: int = 1,
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Track ``entries`` into ``out`` (finished ones skipped without loading a model); rows in manifest order.
    ``workers`` > 1: that many spawned processes, each loading the model once and taking the next video from a
    shared queue as it finishes one."""
    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    report = on_row or (lambda row: None)
    rows: list[Row] = []
    todo: list[Entry] = []
    for entry in entries:
        done = finished(out, entry)
        if done is None:
            todo.append(entry)
        else:
            rows.append(done)
            report(done)
    if todo and workers == 1:
        tracker = spec.load()
        for entry in todo:
            rows.append(track_video(tracker, entry, out))
            report(rows[-1])
    elif todo:
        threads = max(1, (os.cpu_count() or 1) // workers)
        # a fresh interpreter per worker: no forked torch thread pools or CUDA state
        ctx = get_context("spawn")
        with ProcessPoolExecutor(workers, ctx, _init_worker, (spec, threads)) as pool:
            futures = {pool.submit(_work, entry, out): entry for entry in todo}
            try:
                for future in as_completed(futures):
                    try:
                        row = future.result()
                    except BrokenProcessPool as err:
                        # a worker died (killed, out of memory, model load failed)
                        e = futures[future]
                        row = Row(e.line, str(e.video), e.name, "failed", f"worker process died: {err}")
                    rows.append(row)
                    report(row)
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return sorted(rows, key=lambda r: r.line)
