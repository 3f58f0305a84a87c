"""Recordings (raw stream files on the server) and the state of their browser previews."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ictal.fsutil import file_fingerprint
from ictal.server.enums import PreviewStatus, StreamKind
from ictal.server.errors import NotFoundError
from ictal.server.models import Patient, Recording, User
from ictal.server.repositories.audit import add_audit


def _fingerprint_or_none(path: Path) -> str | None:
    try:
        return file_fingerprint(path)
    except OSError:
        return None


def create_recording(db: Session, actor: User, patient: Patient, *, kind: StreamKind,
                     path: Path, size_bytes: int, fps: Fraction, width: int, height: int,
                     n_frames: int, pix_fmt: str, window: tuple[int, int] | None) -> Recording:
    """Register a probed file (``path`` absolute and resolved, inside the storage root)."""
    rec = Recording(
        patient_id=patient.id, clinic_id=patient.clinic_id, kind=kind, path=str(path),
        size_bytes=size_bytes, fps=str(fps), width=width, height=height, n_frames=n_frames,
        duration=float(n_frames / fps), pix_fmt=pix_fmt,
        window_lo=window[0] if window else None, window_hi=window[1] if window else None,
        preview_status=PreviewStatus.PENDING, preview_progress=0.0, created_by=actor.id,
        fingerprint=_fingerprint_or_none(path),
    )
    db.add(rec)
    db.flush()
    add_audit(db, actor, "create", "recording", rec.id, rec.clinic_id,
              after={"path": str(path), "patient_id": patient.id, "kind": kind})
    return rec


def list_recordings(db: Session, clinic_ids: Sequence[int], *, patient_id: int | None = None
                    ) -> list[Recording]:
    q = select(Recording).where(Recording.clinic_id.in_(clinic_ids))
    if patient_id is not None:
        q = q.where(Recording.patient_id == patient_id)
    return list(db.scalars(q.order_by(Recording.id)))


def get_recording(db: Session, recording_id: int, clinic_ids: Sequence[int]) -> Recording:
    rec = db.get(Recording, recording_id)
    if rec is None or rec.clinic_id not in clinic_ids:
        raise NotFoundError(f"recording {recording_id} not found")
    return rec


def get_recording_unscoped(db: Session, recording_id: int) -> Recording | None:
    """For the transcoding job only (it runs for the server, not for a user)."""
    return db.get(Recording, recording_id)


def recording_by_path(db: Session, path: Path) -> Recording | None:
    return db.scalar(select(Recording).where(Recording.path == str(path)).limit(1))


def set_preview_state(db: Session, recording_id: int, *, status: PreviewStatus,
                      progress: float, preview_path: str | None = None,
                      error: str | None = None) -> None:
    rec = db.get(Recording, recording_id)
    if rec is None:
        return
    rec.preview_status = status
    rec.preview_progress = round(progress, 2)
    if preview_path is not None:
        rec.preview_path = preview_path
    rec.preview_error = error


def unfinished_previews(db: Session) -> list[int]:
    """Recordings whose preview is queued or was interrupted (to queue again at start)."""
    q = select(Recording.id).where(
        Recording.preview_status.in_((PreviewStatus.PENDING, PreviewStatus.RUNNING)))
    return list(db.scalars(q.order_by(Recording.id)))
