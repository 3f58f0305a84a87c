"""Annotator and consensus layers: copying another's event into one's own layer, a reviewer's
adjudication into the consensus layer, the history of labels, labelling progress per
annotator, and the stamp that tells an open page its labels changed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ictal.server import schemas
from ictal.server.db import utcnow
from ictal.server.errors import InvalidError
from ictal.server.models import AuditEntry, Event, ModelRun, MoiAnnotation, Recording, User
from ictal.server.presenters import event_public, moi_public, snapshot
from ictal.server.repositories.audit import add_audit


def _copy(db: Session, actor: User, source: Event, mois: Sequence[MoiAnnotation], *,
          layer: str, origin: dict[str, Any]) -> Event:
    now = utcnow()
    ev = Event(recording_id=source.recording_id, clinic_id=source.clinic_id, t0=source.t0,
               t1=source.t1, tG=source.tG, label=source.label,
               seizure_types=source.seizure_types, semiology=source.semiology,
               signs=list(source.signs or []), created_by=actor.id, created_at=now,
               updated_at=now, layer=layer, origin=origin)
    db.add(ev)
    db.flush()
    copies = []
    for m in mois:
        start, end = max(m.start, ev.t0), min(m.end, ev.t1)
        if end <= start:
            raise InvalidError(f"MOI {m.id} ({m.start:.3f}-{m.end:.3f} s) lies outside event "
                               f"{source.id} ({ev.t0:.3f}-{ev.t1:.3f} s): leave it out")
        copy = MoiAnnotation(event_id=ev.id, clinic_id=ev.clinic_id, region=m.region,
                             term=m.term, start=start, end=end, annotator=actor,
                             created_at=now, updated_at=now)
        db.add(copy)
        copies.append(copy)
    db.flush()
    for copy in copies:
        add_audit(db, actor, "create", "moi", copy.id, copy.clinic_id,
                  after=snapshot(moi_public(copy)))
    db.refresh(ev)
    add_audit(db, actor, "create", "event", ev.id, ev.clinic_id,
              after=snapshot(event_public(ev)))
    return ev


def mois_of(db: Session, event_ids: Sequence[int]) -> list[MoiAnnotation]:
    q = (select(MoiAnnotation).where(MoiAnnotation.event_id.in_(event_ids))
         .order_by(MoiAnnotation.start, MoiAnnotation.id))
    return list(db.scalars(q))


def copy_to_own_layer(db: Session, actor: User, source: Event) -> Event:
    """A copy of ``source`` and its MOIs in ``actor``'s layer (the way to build on a
    colleague's label without touching it)."""
    return _copy(db, actor, source, mois_of(db, [source.id]), layer="annotator",
                 origin={"copied_from_event": source.id})


def adjudicate(db: Session, actor: User, rec: Recording, source: Event,
               moi_ids: Sequence[int] | None) -> Event:
    """A consensus event of ``rec`` from ``source`` (any layer) with the MOIs ``moi_ids`` (any
    event of ``rec``; default: ``source``'s own)."""
    if source.recording_id != rec.id:
        raise InvalidError(f"event {source.id} is not an event of recording {rec.id}")
    if moi_ids is None:
        chosen = mois_of(db, [source.id])
    else:
        events = {e.id for e in db.scalars(select(Event).where(Event.recording_id == rec.id))}
        chosen = list(db.scalars(select(MoiAnnotation).where(MoiAnnotation.id.in_(moi_ids))))
        missing = sorted(set(moi_ids) - {m.id for m in chosen if m.event_id in events})
        if missing:
            raise InvalidError(f"MOI(s) {missing} are not MOIs of recording {rec.id}")
    return _copy(db, actor, source, chosen, layer="consensus",
                 origin={"event": source.id, "mois": [m.id for m in chosen]})


def history(db: Session, ev: Event) -> list[AuditEntry]:
    """Every audit entry of ``ev`` and of the MOIs it holds or held, oldest first."""
    moi_ids = {m.id for m in mois_of(db, [ev.id])}
    q = select(AuditEntry).where(AuditEntry.clinic_id == ev.clinic_id,
                                 AuditEntry.entity == "moi", AuditEntry.at >= ev.created_at)
    for entry in db.scalars(q):
        for side in (entry.before, entry.after):
            if isinstance(side, dict) and side.get("event_id") == ev.id:
                moi_ids.add(entry.entity_id or 0)
    q = select(AuditEntry).where(or_(
        (AuditEntry.entity == "event") & (AuditEntry.entity_id == ev.id),
        (AuditEntry.entity == "moi") & AuditEntry.entity_id.in_(moi_ids),
    ), AuditEntry.clinic_id == ev.clinic_id)
    return list(db.scalars(q.order_by(AuditEntry.id)))


def labelling_status(db: Session, clinic_ids: Sequence[int]
                     ) -> list[schemas.RecordingLabelling]:
    """Per recording of ``clinic_ids``: events and MOIs per annotator, consensus events,
    events made from monitor alarms."""
    recs = list(db.scalars(select(Recording.id).where(Recording.clinic_id.in_(clinic_ids))
                           .order_by(Recording.id)))
    ev_q = (select(Event.recording_id, Event.layer, Event.created_by, User.username,
                   func.count(Event.id), func.max(Event.updated_at))
            .outerjoin(User, User.id == Event.created_by)
            .where(Event.clinic_id.in_(clinic_ids))
            .group_by(Event.recording_id, Event.layer, Event.created_by, User.username))
    moi_q = (select(Event.recording_id, Event.created_by, func.count(MoiAnnotation.id),
                    func.max(MoiAnnotation.updated_at))
             .join(Event, Event.id == MoiAnnotation.event_id)
             .where(Event.clinic_id.in_(clinic_ids), Event.layer == "annotator")
             .group_by(Event.recording_id, Event.created_by))
    people: dict[int, dict[int | None, dict[str, Any]]] = defaultdict(dict)
    consensus: dict[int, int] = defaultdict(int)
    monitor: dict[int, int] = defaultdict(int)
    for rid, layer, uid, name, n, last in db.execute(ev_q):
        if layer in ("consensus", "monitor"):
            (consensus if layer == "consensus" else monitor)[rid] += n
            continue
        people[rid][uid] = {"user_id": uid, "username": name or "(removed user)", "events": n,
                            "mois": 0, "last_edit": last}
    for rid, uid, n, last in db.execute(moi_q):
        row = people[rid].get(uid)
        if row is not None:
            row["mois"] = n
            row["last_edit"] = _latest(row["last_edit"], last)
    return [schemas.RecordingLabelling(
        recording_id=rid, consensus_events=consensus[rid], monitor_events=monitor[rid],
        annotators=[schemas.AnnotatorProgress(**p) for p in
                    sorted(people[rid].values(), key=lambda p: p["username"])])
        for rid in recs]


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((x for x in (a, b) if x is not None), default=None)


def labels_stamp(db: Session, recording_id: int) -> str:
    """A value that changes whenever an event, MOI or model run of the recording is created,
    changed or deleted (counts, the sum of versions, the newest update): an open page compares
    it to know when to reload."""
    ev = db.execute(select(func.count(Event.id), func.coalesce(func.sum(Event.version), 0),
                           func.max(Event.updated_at))
                    .where(Event.recording_id == recording_id)).one()
    moi = db.execute(select(func.count(MoiAnnotation.id),
                            func.coalesce(func.sum(MoiAnnotation.version), 0),
                            func.max(MoiAnnotation.updated_at))
                     .join(Event, Event.id == MoiAnnotation.event_id)
                     .where(Event.recording_id == recording_id)).one()
    runs = db.execute(select(func.count(ModelRun.id), func.count(ModelRun.archived_at))
                      .where(ModelRun.recording_id == recording_id)).one()
    return "|".join(str(v) for v in (*ev, *moi, *runs))
