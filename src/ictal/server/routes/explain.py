"""Explanations on the platform: ``ictal explain`` output imported onto its recording, for the
labelling screen's saliency overlay and its lane of per-window attribution.

A data scientist uploads ``explanation.json`` (format ``ictal-explanation/1``) of a recording;
the platform keeps the latest one per recording as a file, ``<data_dir>/explanations/
rec-<id>.json`` (written atomically; each import is in the audit log), and serves what the
screen draws: every window's span, probabilities and contribution to the decision, and for
the explained windows the heat grid over the crop box (source pixels) with the share of the
map's mass in each frame.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ictal.fsutil import write_text_atomic
from ictal.server.db import commit
from ictal.server.deps import CurrentUser, DataScientist, DbSession, Settings
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.repositories import recordings
from ictal.server.repositories.audit import add_audit
from ictal.server.routes.responses import COMMON
from ictal.server.schemas import DbId

router = APIRouter(tags=["explanations"], responses=COMMON)

FORMAT = "ictal-explanation/1"
MAX_WINDOWS = 100_000
MAX_CELLS = 64


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class HeatGrid(_Model):
    """A window's map summed over its frames, on its crop: ``box`` ``[x0, y0, x1, y1]`` in
    the recording's pixels, ``grid`` rows of values in ``[0, 1]``."""

    box: list[float] = Field(min_length=4, max_length=4)
    grid: list[list[Annotated[float, Field(ge=0, le=1)]]] = Field(max_length=MAX_CELLS)


class ExplanationWindow(_Model):
    """One window: its source frames ``[start_frame, stop_frame)``, times (s), class
    probabilities, how much it raised the decision's probability (leave one window out),
    and, when explained, the share of its map's mass per frame and its heat grid."""

    index: int = Field(ge=0)
    start_frame: int = Field(ge=0)
    stop_frame: int = Field(ge=1)
    t_start: float
    t_stop: float
    probs: list[float] | None = None
    contribution: float
    explained: bool = False
    method: str | None = None
    frame_mass: list[float] | None = None
    heat: HeatGrid | None = None


class ExplanationPublic(_Model):
    """The explanation of a recording as the labelling screen draws it."""

    recording_id: int
    model: str | None = None
    labels: list[str]
    decision: str
    decision_probs: list[float]
    target: str
    method: str | None = None
    windows: list[ExplanationWindow]
    imported_by: str | None = None
    imported_at: str | None = None


def _path(settings: Any, recording_id: int) -> Path:
    return Path(settings.data_dir) / "explanations" / f"rec-{recording_id}.json"


def _invalid(message: str) -> Exception:
    return InvalidError(message)


def _public(recording_id: int, doc: dict[str, Any]) -> ExplanationPublic:
    labels = [str(x) for x in doc.get("labels") or []]
    target = doc.get("target")
    decision = doc.get("decision") or {}
    if not labels or not isinstance(target, int) or not 0 <= target < len(labels):
        raise _invalid("the explanation names no labels or a target outside them")
    try:
        windows = [ExplanationWindow.model_validate(w) for w in doc.get("windows") or []]
    except ValidationError as err:
        raise _invalid(f"a window of the explanation is malformed: {err.errors()[0]['msg']}"
                       ) from err
    return ExplanationPublic(
        recording_id=recording_id, model=(doc.get("model") or {}).get("name"), labels=labels,
        decision=str(decision.get("label", "")),
        decision_probs=[float(p) for p in decision.get("probs") or []], target=labels[target],
        method=doc.get("method"), windows=windows, imported_by=doc.get("_imported_by"),
        imported_at=doc.get("_imported_at"))


@router.post("/recordings/{recording_id}/explanation", response_model=ExplanationPublic,
             status_code=status.HTTP_201_CREATED)
def import_explanation(recording_id: DbId, user: DataScientist, db: DbSession,
                       settings: Settings,
                       body: Annotated[dict[str, Any], Body()]) -> ExplanationPublic:
    """Import ``explanation.json`` of ``ictal explain`` onto the recording (replacing the one
    before). Refused (422) unless its format is ``ictal-explanation/1``, its windows lie
    within the recording's frames and its frame rate, when it names one, is the
    recording's."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    if body.get("format") != FORMAT:
        raise _invalid(f"not an explanation: format {body.get('format')!r}, expected {FORMAT}")
    windows = body.get("windows")
    if not isinstance(windows, list) or len(windows) > MAX_WINDOWS:
        raise _invalid("the explanation's windows must be a list of at most "
                       f"{MAX_WINDOWS}")
    public = _public(rec.id, body)
    if body.get("fps") is not None:
        try:
            same = Fraction(str(body["fps"])) == Fraction(rec.fps)
        except (ValueError, ZeroDivisionError):
            same = False
        if not same:
            raise _invalid(f"the explanation was made at {body['fps']} frames/s, the recording "
                           f"has {rec.fps}: explain this recording's video")
    late = [w.index for w in public.windows if w.stop_frame > rec.n_frames
            or w.start_frame >= w.stop_frame]
    if late:
        raise _invalid(f"window {late[0]} lies outside the recording's {rec.n_frames} frames: "
                       "explain this recording's video")
    stored = {**body, "_imported_by": user.username,
              "_imported_at": datetime.now(UTC).isoformat(timespec="seconds")}
    path = _path(settings, rec.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(stored))
    add_audit(db, user, "import", "explanation", rec.id, rec.clinic_id,
              after={"model": public.model, "windows": len(public.windows),
                     "explained": sum(w.explained for w in public.windows)})
    commit(db)
    return _public(rec.id, stored)


@router.get("/recordings/{recording_id}/explanation", response_model=ExplanationPublic)
def get_explanation(recording_id: DbId, user: CurrentUser, db: DbSession,
                    settings: Settings) -> ExplanationPublic:
    """The recording's explanation (404 when none was imported)."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    path = _path(settings, rec.id)
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise NotFoundError(f"recording {rec.id} has no explanation; import one: POST the "
                            "explanation.json of `ictal explain`") from err
    return _public(rec.id, doc)
