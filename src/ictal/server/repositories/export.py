"""What a manifest export reads: the requested recordings with their events and MOIs."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ictal.server import schemas
from ictal.server.errors import NotFoundError
from ictal.server.models import Event, MoiAnnotation, Recording
from ictal.server.repositories.recordings import get_recording


def recordings_for_export(db: Session, clinic_ids: Sequence[int],
                          req: schemas.ManifestExportRequest) -> list[Recording]:
    """The requested recordings; any id outside ``clinic_ids`` is :class:`NotFoundError`."""
    outside = sorted(set(req.clinic_ids) - set(clinic_ids))
    if outside:
        raise NotFoundError(f"clinic(s) {outside} not found")
    rows = {r.id: r for r in db.scalars(
        select(Recording).where(Recording.clinic_id.in_(req.clinic_ids))
    )}
    for rid in req.recording_ids:
        rows[rid] = get_recording(db, rid, clinic_ids)
    return [rows[k] for k in sorted(rows)]


def events_and_mois(db: Session, recording_ids: Sequence[int]
                    ) -> tuple[list[Event], list[MoiAnnotation]]:
    """Events of ``recording_ids`` (by recording, onset) and their MOIs (by event, start)."""
    events = list(db.scalars(select(Event).where(Event.recording_id.in_(recording_ids))
                             .order_by(Event.recording_id, Event.t0, Event.id)))
    mois = list(db.scalars(select(MoiAnnotation)
                           .where(MoiAnnotation.event_id.in_([e.id for e in events]))
                           .order_by(MoiAnnotation.event_id, MoiAnnotation.start,
                                     MoiAnnotation.id)))
    return events, mois
