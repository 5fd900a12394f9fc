"""The summary of `amodal-vos track-many`: which rank this process is, every rank's rows brought to rank 0, the
table printed at the end and the summary JSON written into the output folder.

Under torchrun (RANK, WORLD_SIZE and MASTER_ADDR set) the ranks join a gloo process group when they start and rank 0
gathers all rows at the end, so one table and one ``summary.json`` cover the whole manifest. With RANK/WORLD_SIZE
but no rendezvous address (ranks started by hand or by a job scheduler) each rank reports its own share, in
``summary.rank-<K>.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

from amodal_vos.errors import UserError
from amodal_vos.io.atomic import temp_path
from amodal_vos.tracking.batch_run import Row

# ranks wait for each other at the end for as long as the slowest share takes; torchrun stops them all if one fails
GATHER_TIMEOUT = timedelta(days=7)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise UserError(f"environment variable {name}={value!r} is not an integer") from None


def rank_and_world() -> tuple[int, int]:
    """(RANK, WORLD_SIZE) from the environment (torchrun sets them), (0, 1) when unset."""
    return _env_int("RANK", 0), _env_int("WORLD_SIZE", 1)


def local_device(device: str) -> str:
    """``auto``/``cuda`` on a multi-GPU machine: the GPU of this process's LOCAL_RANK (torchrun sets it)."""
    local = os.environ.get("LOCAL_RANK")
    if local is None or device not in ("auto", "cuda"):
        return device
    import torch

    if not torch.cuda.is_available():
        return device
    return f"cuda:{int(local) % torch.cuda.device_count()}"


def join_group(world: int) -> bool:
    """Join torchrun's rendezvous (gloo, for the final gather) when there is one; True when joined."""
    if world <= 1 or not os.environ.get("MASTER_ADDR"):
        return False
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("gloo", timeout=GATHER_TIMEOUT)
    return True


def gather_rows(rows: list[Row], joined: bool) -> list[Row] | None:
    """Every rank's rows in manifest order on rank 0 (None on the others) when in a group; else ``rows``."""
    if not joined:
        return rows
    import torch.distributed as dist

    everything: list[list[Row]] | None = (
        [[] for _ in range(dist.get_world_size())] if dist.get_rank() == 0 else None
    )
    dist.gather_object(rows, everything, dst=0)
    dist.destroy_process_group()
    if everything is None:
        return None
    return sorted((r for part in everything for r in part), key=lambda r: r.line)


def counts(rows: list[Row]) -> dict[str, int]:
    return {s: sum(r.status == s for r in rows) for s in ("ok", "skipped", "failed")}


def table(rows: list[Row]) -> str:
    """One line per video: name, frames, objects, status, seconds and the reason of a failure."""
    width = max([len("video")] + [len(r.name) for r in rows])
    lines = [f"{'video':<{width}}  {'frames':>6}  {'objects':>7}  {'status':<7}  {'seconds':>8}  reason"]
    for r in rows:
        lines.append(
            f"{r.name:<{width}}  {r.frames:>6}  {r.objects:>7}  {r.status:<7}  {r.seconds:>8.1f}  {r.reason}".rstrip()
        )
    c = counts(rows)
    lines.append(f"{len(rows)} video(s): {c['ok']} ok, {c['skipped']} skipped, {c['failed']} failed")
    return "\n".join(lines)


def write_summary(out: Path, rows: list[Row], manifest: Path, rank: int, world: int, whole: bool) -> Path:
    """``out/summary.json`` (the whole manifest) or ``out/summary.rank-<K>.json`` (one rank's share)."""
    path = out / ("summary.json" if whole else f"summary.rank-{rank}.json")
    doc = {
        "manifest": str(manifest),
        "world_size": world,
        "rank": None if whole else rank,
        "counts": counts(rows),
        "videos": [asdict(r) for r in rows],
    }
    out.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path)
    temp.write_text(json.dumps(doc, indent=1))
    os.replace(temp, path)
    return path
