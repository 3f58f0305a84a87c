"""Response bodies built from rows: what a client (and the audit log) sees of each entity.

Never the password hash of a user; recording paths relative to the storage root. The audit log
keeps :func:`snapshot` of the public form before and after each change, and a 409 carries the
public form of the row as the server holds it now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ictal.server import schemas
from ictal.server.models import Event, ModelRun, MoiAnnotation, Patient, Recording, User


def snapshot(public: BaseModel) -> dict[str, Any]:
    """A response body as plain JSON data (audit entries, 409 bodies)."""
    return public.model_dump(mode="json")


def user_public(user: User) -> schemas.UserPublic:
    return schemas.UserPublic(
        id=user.id, username=user.username, role=user.role, active=user.active,
        clinic_ids=user.clinic_ids, created_at=user.created_at,
    )


def patient_public(patient: Patient) -> schemas.PatientPublic:
    return schemas.PatientPublic.model_validate(patient)


def storage_relative(path: str, storage_root: Path) -> str:
    """A stored absolute path as clients see it: relative to the storage root, '/'-separated."""
    stored = Path(path)
    if stored.is_relative_to(storage_root):
        return stored.relative_to(storage_root).as_posix()
    return stored.name  # outside the root (moved storage): never the server's directories


def recording_public(rec: Recording, storage_root: Path) -> schemas.RecordingPublic:
    return schemas.RecordingPublic(
        id=rec.id, patient_id=rec.patient_id, patient_code=rec.patient.code,
        clinic_id=rec.clinic_id, kind=rec.kind,
        path=storage_relative(rec.path, storage_root),
        size_bytes=rec.size_bytes, fps=rec.fps, width=rec.width, height=rec.height,
        n_frames=rec.n_frames, duration=rec.duration, pix_fmt=rec.pix_fmt,
        preview_status=rec.preview_status, preview_progress=rec.preview_progress,
        preview_error=rec.preview_error, created_at=rec.created_at,
    )


def preview_status_public(rec: Recording) -> schemas.PreviewStatusPublic:
    return schemas.PreviewStatusPublic(recording_id=rec.id, status=rec.preview_status,
                                       progress=rec.preview_progress, error=rec.preview_error)


def event_public(ev: Event) -> schemas.EventPublic:
    return schemas.EventPublic.model_validate(ev)


def moi_public(moi: MoiAnnotation) -> schemas.MoiPublic:
    return schemas.MoiPublic(
        id=moi.id, event_id=moi.event_id, region=moi.region.code, term=moi.term.code,
        start=moi.start, end=moi.end, annotator_id=moi.annotator_id,
        annotator=moi.annotator.username if moi.annotator else None,
        created_at=moi.created_at, updated_at=moi.updated_at, version=moi.version,
    )


def run_public(run: ModelRun, n_windows: int) -> schemas.ModelRunPublic:
    return schemas.ModelRunPublic(
        id=run.id, recording_id=run.recording_id, source_recording=run.source_recording,
        model_name=run.model_name, bundle_sha256=run.bundle_sha256, model_info=run.model_info,
        labels=run.labels, decision_label=run.decision_label, decision_probs=run.decision_probs,
        n_windows=n_windows, created_by=run.created_by, created_at=run.created_at,
        source_info=run.source_info, archived_at=run.archived_at,
    )
