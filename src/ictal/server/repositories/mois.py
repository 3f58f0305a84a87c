"""Movements of interest (MOIs) inside events, versioned; their hot lists are built from plain
rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, lazyload

from ictal.manifest.timing import describe, moi_time_problems
from ictal.server import schemas
from ictal.server.db import utcnow
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.models import BodyRegion, Event, MoiAnnotation, MoiTerm, Recording, User
from ictal.server.presenters import moi_public, snapshot
from ictal.server.repositories import vocabulary
from ictal.server.repositories.audit import add_audit
from ictal.server.repositories.events import check_layer_owner
from ictal.server.repositories.versioning import check_version, flush_versioned

#: Loader options of MOI queries: the annotator (joined, for its username) without its clinics,
#: which an answer never needs (they load on access if anything ever asks).
MOI_LOADING = (joinedload(MoiAnnotation.annotator).options(lazyload(User.clinics)),)


def check_moi_times(ev: Event, start: float, end: float) -> None:
    """:class:`InvalidError` naming every time rule (:mod:`ictal.manifest.timing`) the MOI
    breaks inside event ``ev``."""
    problems = moi_time_problems(start, end, event_span=(ev.t0, ev.t1), event=str(ev.id))
    if problems:
        raise InvalidError(describe(problems))


def create_moi(db: Session, actor: User, ev: Event, data: schemas.MoiCreate) -> MoiAnnotation:
    check_layer_owner(actor, ev, "add MOIs to")
    check_moi_times(ev, data.start, data.end)
    region, term = vocabulary.region_and_term(db, data.region, data.term)
    now = utcnow()
    moi = MoiAnnotation(
        event_id=ev.id, clinic_id=ev.clinic_id, region=region, term=term, start=data.start,
        end=data.end, annotator=actor, created_at=now, updated_at=now,
    )
    db.add(moi)
    db.flush()
    add_audit(db, actor, "create", "moi", moi.id, moi.clinic_id, after=snapshot(moi_public(moi)))
    return moi


def list_mois_of_event(db: Session, ev: Event) -> list[MoiAnnotation]:
    q = select(MoiAnnotation).where(MoiAnnotation.event_id == ev.id).options(*MOI_LOADING)
    return list(db.scalars(q.order_by(MoiAnnotation.start, MoiAnnotation.id)))


def _moi_public_query() -> Select[*tuple[Any, ...]]:
    """The columns of :class:`schemas.MoiPublic`, vocabulary codes and annotator joined."""
    return (
        select(MoiAnnotation.id, MoiAnnotation.event_id, BodyRegion.code.label("region"),
               MoiTerm.code.label("term"), MoiAnnotation.start, MoiAnnotation.end,
               MoiAnnotation.annotator_id, User.username.label("annotator"),
               MoiAnnotation.created_at, MoiAnnotation.updated_at, MoiAnnotation.version)
        .join(BodyRegion, BodyRegion.id == MoiAnnotation.region_id)
        .join(MoiTerm, MoiTerm.id == MoiAnnotation.term_id)
        .outerjoin(User, User.id == MoiAnnotation.annotator_id)
    )


def list_mois_public_of_event(db: Session, ev: Event) -> list[schemas.MoiPublic]:
    """The answer of ``GET /events/{id}/mois``, built from plain rows: the hottest read of the
    annotation UI creates no ORM objects (same content as
    :func:`~ictal.server.presenters.moi_public` of :func:`list_mois_of_event`)."""
    q = (_moi_public_query().where(MoiAnnotation.event_id == ev.id)
         .order_by(MoiAnnotation.start, MoiAnnotation.id))
    return [schemas.MoiPublic.model_validate(row._mapping) for row in db.execute(q)]


def list_mois_public_of_recording(db: Session, rec: Recording) -> list[schemas.MoiPublic]:
    """Like :func:`list_mois_public_of_event`, for every event of a recording."""
    q = (_moi_public_query().join(Event, MoiAnnotation.event_id == Event.id)
         .where(Event.recording_id == rec.id).order_by(MoiAnnotation.start, MoiAnnotation.id))
    return [schemas.MoiPublic.model_validate(row._mapping) for row in db.execute(q)]


def get_moi(db: Session, moi_id: int, clinic_ids: Sequence[int]) -> MoiAnnotation:
    """The MOI (and, in the same query, its event: :func:`update_moi` checks the times against
    it)."""
    q = (select(MoiAnnotation).where(MoiAnnotation.id == moi_id)
         .options(*MOI_LOADING, joinedload(MoiAnnotation.event)))
    moi = db.scalar(q)
    if moi is None or moi.clinic_id not in clinic_ids:
        raise NotFoundError(f"MOI {moi_id} not found")
    return moi


def update_moi(db: Session, actor: User, moi: MoiAnnotation,
               data: schemas.MoiUpdate) -> MoiAnnotation:
    """Apply the fields ``data`` carries; only the owner of the MOI's event may (its annotator
    stays who created it)."""
    before = snapshot(moi_public(moi))
    check_layer_owner(actor, moi.event)
    check_version("MOI", moi.id, moi.version, data.version, before)
    changes = {f: getattr(data, f) for f in data.model_fields_set - {"version"}}
    check_moi_times(moi.event, changes.get("start", moi.start), changes.get("end", moi.end))
    if "region" in changes and "term" in changes:
        moi.region, moi.term = vocabulary.region_and_term(db, changes["region"], changes["term"])
    elif "region" in changes:
        moi.region = vocabulary.region(db, changes["region"])
    elif "term" in changes:
        moi.term = vocabulary.term(db, changes["term"])
    for field in ("start", "end"):
        if field in changes:
            setattr(moi, field, changes[field])
    moi.updated_at = utcnow()
    flush_versioned(db, "MOI", moi, data.version, moi_public)
    add_audit(db, actor, "update", "moi", moi.id, moi.clinic_id, before=before,
              after=snapshot(moi_public(moi)))
    return moi


def delete_moi(db: Session, actor: User, moi: MoiAnnotation, version: int) -> None:
    before = snapshot(moi_public(moi))
    check_layer_owner(actor, moi.event, "delete")
    check_version("MOI", moi.id, moi.version, version, before)
    db.delete(moi)
    flush_versioned(db, "MOI", moi, version, moi_public)
    add_audit(db, actor, "delete", "moi", moi.id, moi.clinic_id, before=before)
