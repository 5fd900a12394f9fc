"""Evaluation output: a table on the terminal, the full result as JSON (options, protocol, summary, per-object rows)
and the per-object rows as CSV."""

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
        writer.writerows(result.rows)
    commit(temp, csv_path)
    return json_path, csv_path
