"""Model runs: imported ``ictal predict`` outputs and their windows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ictal.server import schemas
from ictal.server.db import utcnow
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.models import ModelRun, Prediction, Recording, User
from ictal.server.repositories.audit import add_audit
from ictal.server.repositories.sources import check_source

#: Float round-off allowed when a window's end is compared with the recording's (seconds).
WINDOW_SLACK_S = 1e-3


def create_model_run(db: Session, actor: User, rec: Recording,
                     data: schemas.PredictionsImport) -> ModelRun:
    """Store an ``ictal predict`` output of ``rec``: it must be a prediction of ``rec``
    (:func:`~ictal.server.repositories.sources.check_source`: its ``recording`` id, and when
    ``ictal predict`` wrote ``source`` its duration within one frame and one of its streams'
    fingerprints); windows must lie inside the recording."""
    check_source(
        db, rec, what="these predictions", recording=data.recording,
        where="the file's 'recording'", source_name="'source'",
        source=data.source.model_dump(mode="json") if data.source is not None else None,
        hint="predict on a manifest exported by this server, or on the stored video (ictal "
             "predict then writes its fingerprint)")
    for i, w in enumerate(data.windows):
        if w.stop_frame > rec.n_frames or w.t_stop > rec.duration + WINDOW_SLACK_S:
            raise InvalidError(
                f"windows[{i}] ends at frame {w.stop_frame} / {w.t_stop:.3f} s, past the end of "
                f"recording {rec.id} ({rec.n_frames} frames, {rec.duration:.3f} s): is this the "
                "prediction of another recording?"
            )
    run = ModelRun(
        recording_id=rec.id, clinic_id=rec.clinic_id, source_recording=data.recording,
        model_name=data.model.name, bundle_sha256=data.model.bundle_sha256,
        model_info=data.model.model_dump(mode="json"), labels=list(data.labels),
        decision_label=data.decision.label, decision_probs=list(data.decision.probs),
        created_by=actor.id,
        source_info=data.source.model_dump(mode="json") if data.source is not None else None,
    )
    db.add(run)
    db.flush()
    db.add_all(
        Prediction(run_id=run.id, index=i, start_frame=w.start_frame, stop_frame=w.stop_frame,
                   t_start=w.t_start, t_stop=w.t_stop, probs=list(w.probs))
        for i, w in enumerate(data.windows)
    )
    db.flush()
    add_audit(db, actor, "create", "model_run", run.id, run.clinic_id,
              after={"recording_id": rec.id, "model": data.model.name,
                     "bundle_sha256": data.model.bundle_sha256, "windows": len(data.windows)})
    return run


def count_windows(db: Session, run_ids: Sequence[int]) -> dict[int, int]:
    """Windows per run, in one query."""
    q = (select(Prediction.run_id, func.count()).where(Prediction.run_id.in_(run_ids))
         .group_by(Prediction.run_id))
    return {rid: n for rid, n in db.execute(q).all()}


def list_model_runs(db: Session, rec: Recording, *, archived: bool = False) -> list[ModelRun]:
    """The runs of ``rec`` (the archived ones too with ``archived``)."""
    q = select(ModelRun).where(ModelRun.recording_id == rec.id)
    if not archived:
        q = q.where(ModelRun.archived_at.is_(None))
    return list(db.scalars(q.order_by(ModelRun.id)))


def archive_model_run(db: Session, actor: User, run: ModelRun, archived: bool) -> ModelRun:
    """Hide a run from the timeline (``archived``) or show it again; audited."""
    before = run.archived_at
    run.archived_at = utcnow() if archived else None
    db.flush()
    add_audit(db, actor, "archive" if archived else "unarchive", "model_run", run.id,
              run.clinic_id, before={"archived_at": before.isoformat() if before else None},
              after={"archived_at": run.archived_at.isoformat() if run.archived_at else None})
    return run


def delete_model_run(db: Session, actor: User, run: ModelRun) -> None:
    """Delete a run and its windows; audited."""
    add_audit(db, actor, "delete", "model_run", run.id, run.clinic_id,
              before={"recording_id": run.recording_id, "model": run.model_name,
                      "bundle_sha256": run.bundle_sha256})
    db.execute(delete(Prediction).where(Prediction.run_id == run.id))
    db.delete(run)
    db.flush()


def get_model_run(db: Session, run_id: int, clinic_ids: Sequence[int]) -> ModelRun:
    run = db.get(ModelRun, run_id)
    if run is None or run.clinic_id not in clinic_ids:
        raise NotFoundError(f"model run {run_id} not found")
    return run


def list_predictions(db: Session, run: ModelRun) -> list[Prediction]:
    q = select(Prediction).where(Prediction.run_id == run.id).order_by(Prediction.index)
    return list(db.scalars(q))
