"""The page's downloads: the masks JSON (written after every Track), and on request the overlay mp4 and the
standard exports of ``amodal-vos convert`` (COCO, YouTube-VIS, MOT, DAVIS as a zip), all in the session's folder.

Everything goes through the same code as the CLI (``TrackResult.save``, ``amodal_vos.io.formats.convert``), so a
file from the page is the file ``amodal-vos track`` / ``convert`` would write.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from amodal_vos.app.session import Session
from amodal_vos.errors import UserError
from amodal_vos.io.formats import convert
from amodal_vos.tracking.predictor import AmodalPredictor
from amodal_vos.tracking.result import TrackResult


def tracked_result(predictor: AmodalPredictor, session: Session) -> TrackResult:
    """The session's results as a TrackResult; a UserError before anything was tracked."""
    if not session.tracked_frames():
        raise UserError("nothing tracked yet: add an object and press Track")
    return predictor.result(session.state)


def _stem(session: Session) -> str:
    return session.video.stem if session.video.is_file() else session.video.name or "video"


def write_masks_json(predictor: AmodalPredictor, session: Session) -> Path:
    """The masks JSON (schema: amodal_vos/io/masks_json.py) of what is tracked so far; ``partial`` is set in it
    while some frame lacks an object."""
    path = session.out_dir / f"{_stem(session)}.masks.json"
    tracked_result(predictor, session).save(masks=path, force=True)
    return path


def write_exports(predictor: AmodalPredictor, session: Session) -> list[Path]:
    """Overlay mp4, masks JSON, COCO JSON, YouTube-VIS JSON, MOT txt and a zip of the DAVIS folder. COCO is
    written without frame images (the video itself holds them; ``amodal-vos convert --images`` writes them)."""
    result = tracked_result(predictor, session)
    stem, out = _stem(session), session.out_dir
    overlay, masks = out / f"{stem}.amodal.mp4", out / f"{stem}.masks.json"
    result.save(output=overlay, masks=masks, force=True)
    files = [overlay, masks]
    targets = {
        "coco": out / f"{stem}.coco.json",
        "ytvis": out / f"{stem}.ytvis.json",
        "mot": out / f"{stem}.mot.txt",
    }
    for to, path in targets.items():
        convert(masks, to, path, force=True, images=False if to == "coco" else None)
        files.append(path)
    davis = out / f"{stem}.davis"
    convert(masks, "davis", davis, force=True)
    archive = Path(shutil.make_archive(str(davis), "zip", root_dir=davis))
    shutil.rmtree(davis, ignore_errors=True)
    files.append(archive)
    return files
