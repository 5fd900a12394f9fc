"""Evaluation output: tables on the terminal, the full result as JSON (options, protocol, summary, per-object rows,
per-clip collapse counts) and the per-object rows as CSV (list cells, the per-bucket IoU, as JSON).

Two tables: the protocol's metrics (``results_table``), then the track-keeping figures of presence.py
(``tracks_table``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rich.table import Table

from amodal_vos.eval.evaluate import EvalResult
from amodal_vos.io.atomic import commit, temp_path

COLUMNS = (
    ("miou_full", "full"),
    ("miou_occ_c2f", "occ C2F"),
    ("miou_occ_only", "occ only"),
    ("miou_full_occluded", "full@occ"),
    ("modal_prompted", "modal f0"),
    ("modal_propagated", "modal later"),
)
LEGEND = (
    "full: mIoU_full; occ C2F: mIoU_occ, empty occluded region scores 0; occ only: mIoU_occ on occluded frames; "
    "full@occ: full IoU on occluded frames; modal f0 / later: IoU with the visible mask on the prompted / "
    "propagated frames. Percent; mean per object, then over objects."
)
LABELS = {"amodal": "amodal model", "modal": "modal (no SCA)", "copy-first": "f0 mask copied"}
TRACK_LEGEND = (
    "On the frames after each prompt frame, pooled over objects (counts in brackets). present in view / hidden: "
    "share of the frames with a non-empty GT amodal mask / of those with no visible part where the prediction is "
    "non-empty; absent out of view: share of the frames with an empty GT amodal mask predicted empty; absent "
    "prec.: share of the frames predicted empty that are out of view; id switch: frames where the prediction "
    "overlaps another GT object more than its own (IoU > 0.3); objects switched: with one or more; collapse: clip "
    "frames where two predictions overlap at IoU > 0.7 / clip frames with 2+ tracked objects; full A-B: mIoU_full "
    "on frames A-B counted from the prompt frame (= frame 1), first and last bucket of 8; drop = first - last. "
    "Percent."
)


def _pct(value: float | None, count: int | None = None) -> str:
    text = "-" if value is None else f"{value:.1f}"
    return text if count is None else f"{text} ({count})"


def tracks_table(result: EvalResult, title: str = "") -> Table:
    """One row per method, the presence, identity, collapse and frame-index figures (presence.py). The counts that
    depend on the GT only (frames in view, hidden, out of view; objects per bucket) are in the headers."""
    summary = result.summary()
    s0 = next(iter(summary.values()), None)
    if s0 is None:
        return Table(title=title or None)
    buckets = [b for b in s0["miou_full_by_frame"] if b["miou_full"] is not None]  # the same for every method
    ends = [buckets[0], buckets[-1]] if buckets else []
    table = Table(title=title or None, caption=TRACK_LEGEND)
    table.add_column("method", no_wrap=True)
    table.add_column(f"present\nin view\n({s0['in_view_frames']} fr.)", justify="right")
    table.add_column(f"present\nhidden\n({s0['hidden_frames']} fr.)", justify="right")
    table.add_column(f"absent\nout of view\n({s0['out_of_view_frames']} fr.)", justify="right")
    table.add_column("absent\nprec.\n(fr.)", justify="right")
    table.add_column("id switch\n(fr.)", justify="right")
    table.add_column("objects\nswitched", justify="right")
    table.add_column("collapse\nframes", justify="right")
    for b in ends:
        table.add_column(f"full\n{b['frames']}\n({b['objects']} obj.)", justify="right")
    table.add_column("drop", justify="right")
    for method, s in summary.items():
        objects = sum(1 for r in result.rows if r["method"] == method)
        collapse = (
            "-" if s["collapse_frames"] is None else f"{s['collapse_frames']}/{s['multi_object_frames']}"
        )
        by_label = {b["frames"]: b["miou_full"] for b in s["miou_full_by_frame"]}
        table.add_row(
            LABELS.get(method, method),
            _pct(s["presence_recall"]),
            _pct(s["hidden_presence_recall"]),
            _pct(s["absent_recall"]),
            _pct(s["absent_precision"], s["reported_absent_frames"]),
            _pct(s["switch_rate"], s["switch_frames"]),
            f"{s['objects_switched']}/{objects}",
            collapse,
            *(_pct(by_label.get(b["frames"])) for b in ends),
            _pct(s["miou_full_drop"]),
        )
    return table


def results_table(result: EvalResult, title: str = "") -> Table:
    """One row per method, the summary metrics in percent."""
    table = Table(title=title or None, caption=result.options.describe() + "\n" + LEGEND)
    table.add_column("method")
    for _, label in COLUMNS:
        table.add_column(label, justify="right")
    table.add_column("objects (occl.)", justify="right")
    for method, s in result.summary().items():
        cells = ["-" if s[key] is None else f"{s[key]:.1f}" for key, _ in COLUMNS]
        table.add_row(LABELS.get(method, method), *cells, f"{s['objects']} ({s['objects_occluded']})")
    return table


def write_results(result: EvalResult, out_dir: str | Path, extra: dict | None = None) -> tuple[Path, Path]:
    """Write results.json (everything, plus ``extra`` such as the checkpoint and dataset) and objects.csv."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = {**(extra or {}), **result.as_dict()}
    json_path = out / "results.json"
    temp = temp_path(json_path)
    temp.write_text(json.dumps(data, indent=1, default=str))
    commit(temp, json_path)
    csv_path = out / "objects.csv"
    temp = temp_path(csv_path)
    with temp.open("w", newline="") as f:
        fields = list(result.rows[0]) if result.rows else ["method"]
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in result.rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()})
    commit(temp, csv_path)
    return json_path, csv_path
