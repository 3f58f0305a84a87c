"""Alarms of ``ictal monitor`` on the recordings' timelines.

A bed is seen in recordings of the platform (:class:`~ictal.server.models.MonitorBedRecording`:
the bed's timeline second ``offset`` is the recording's second 0). An alarm a clinician turns
into a draft, confirms or rejects becomes an event of the recording whose span holds the
alarm's onset: layer ``monitor``, ``monitor_alarm`` ``<bed>/<alarm id>`` (one event per alarm
and recording), ``origin`` the alarm, ``review`` ``draft`` / ``confirmed`` / ``rejected``.
Every change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ictal.server.db import utcnow
from ictal.server.errors import InvalidError
from ictal.server.models import Event, MonitorBedRecording, Recording, User
from ictal.server.presenters import event_public, snapshot
from ictal.server.repositories.audit import add_audit
from ictal.server.repositories.events import check_event_times
from ictal.server.repositories.versioning import check_version, flush_versioned

Review = Literal["draft", "confirmed", "rejected"]


@dataclass(frozen=True)
class AlarmSpan:
    """What an event needs of an alarm (read from the bed's journal by the route).

    Attributes:
        bed, alarm: the bed's name and the alarm's id (``<bed>-<number>``).
        label: the class the alarm named.
        onset_t, end_t: the stretch of the bed's timeline it stands for (s): from the start
            of the first window that counted to the end of the last one (the last window
            journaled while the alarm is still raised).
        raised_t: when it was raised (the raising window's end, s).
        score, reason: the raising window's seizure score and the rule's reason.
        background: the monitor's background labels (a rejected alarm's export label is the
            first).
        open: the alarm was still raised when the span was read (``end_t`` is the end of
            the last window so far; :func:`decide_alarm` and :func:`review_event` extend an
            event made then to the alarm's end once it has cleared).
    """

    bed: str
    alarm: str
    label: str
    onset_t: float
    end_t: float
    raised_t: float
    score: float
    reason: str
    background: tuple[str, ...] = ("NE",)
    open: bool = False

    @property
    def key(self) -> str:
        return alarm_key(self.bed, self.alarm)


def alarm_key(bed: str, alarm: str) -> str:
    """An event's ``monitor_alarm``: ``<bed>/<alarm id>``."""
    return f"{bed}/{alarm}"


def bed_recordings(db: Session, beds: Sequence[str], clinic_ids: Sequence[int]
                   ) -> list[MonitorBedRecording]:
    """The recordings of ``clinic_ids`` that ``beds`` are seen in, by bed and offset."""
    q = (select(MonitorBedRecording)
         .where(MonitorBedRecording.bed.in_(beds), MonitorBedRecording.clinic_id.in_(clinic_ids))
         .order_by(MonitorBedRecording.bed, MonitorBedRecording.offset,
                   MonitorBedRecording.id))
    return list(db.scalars(q))


def assign_recording(db: Session, actor: User, bed: str, rec: Recording,
                     offset: float) -> MonitorBedRecording:
    """Say that ``bed`` is seen in ``rec`` from the bed's second ``offset`` (again: the new
    offset replaces the old); audited."""
    row = db.scalar(select(MonitorBedRecording).where(MonitorBedRecording.bed == bed,
                                                      MonitorBedRecording.recording_id == rec.id))
    before = None if row is None else _assignment(row)
    if row is None:
        row = MonitorBedRecording(bed=bed, recording_id=rec.id, clinic_id=rec.clinic_id,
                                  offset=offset, assigned_by=actor.id, assigned_at=utcnow())
        db.add(row)
    else:
        row.offset, row.assigned_by, row.assigned_at = offset, actor.id, utcnow()
    db.flush()
    db.refresh(row)
    add_audit(db, actor, "monitor.bed.assign", "monitor_bed", row.id, rec.clinic_id,
              before=before, after=_assignment(row))
    return row


def unassign_recording(db: Session, actor: User, row: MonitorBedRecording) -> None:
    """Forget that the bed is seen in that recording (its events stay); audited."""
    add_audit(db, actor, "monitor.bed.unassign", "monitor_bed", row.id, row.clinic_id,
              before=_assignment(row))
    db.delete(row)
    db.flush()


def _assignment(row: MonitorBedRecording) -> dict[str, object]:
    return {"bed": row.bed, "recording_id": row.recording_id, "offset": row.offset}


def covering(rows: Sequence[MonitorBedRecording], bed: str, t: float
             ) -> MonitorBedRecording | None:
    """The recording of ``bed`` whose span holds the bed's second ``t`` (the latest assigned
    when several do), or ``None``."""
    fits = [r for r in rows if r.bed == bed
            and r.offset <= t < r.offset + r.recording.duration]
    return max(fits, key=lambda r: (r.assigned_at, r.id), default=None)


def alarm_events(db: Session, keys: Sequence[str], clinic_ids: Sequence[int]
                 ) -> dict[str, Event]:
    """The events of ``clinic_ids`` made from the alarms ``keys`` (``<bed>/<alarm id>``)."""
    if not keys:
        return {}
    q = select(Event).where(Event.monitor_alarm.in_(keys), Event.clinic_id.in_(clinic_ids))
    return {e.monitor_alarm: e for e in db.scalars(q.order_by(Event.id)) if e.monitor_alarm}


def decide_alarm(db: Session, actor: User, span: AlarmSpan, review: Review,
                 rows: Sequence[MonitorBedRecording]) -> Event | None:
    """The event of the alarm ``span`` with ``review`` (made on the recording whose span holds
    the alarm's onset, or its review changed); ``None`` when no recording of ``rows`` holds
    it. A ``draft`` answer leaves an event already decided as it is."""
    ev = alarm_events(db, [span.key], actor.clinic_ids).get(span.key)
    if ev is not None:
        if review != "draft":
            before = snapshot(event_public(ev))
            extended = _close_span(db, ev, span)
            if extended or ev.review != review:
                ev.review, ev.updated_at = review, utcnow()
                db.flush()
                add_audit(db, actor, "update", "event", ev.id, ev.clinic_id, before=before,
                          after=snapshot(event_public(ev)))
        return ev
    row = covering(rows, span.bed, span.onset_t)
    if row is None:
        return None
    rec = row.recording
    t0 = max(0.0, span.onset_t - row.offset)
    t1 = _event_end(span.end_t, span.raised_t, row.offset, rec.duration)
    check_event_times(rec, t0, t1, None)
    now = utcnow()
    ev = Event(recording_id=rec.id, clinic_id=rec.clinic_id, t0=t0, t1=t1, tG=None,
               label=span.label, seizure_types="", semiology="", created_by=actor.id,
               created_at=now, updated_at=now, layer="monitor", review=review,
               monitor_alarm=span.key,
               origin={"monitor": asdict(span) | {"background": list(span.background),
                                                  "recording_offset": row.offset}})
    db.add(ev)
    db.flush()
    db.refresh(ev)
    add_audit(db, actor, "create", "event", ev.id, ev.clinic_id, after=snapshot(event_public(ev)))
    return ev


def _event_end(end_t: float, raised_t: float, offset: float, duration: float) -> float:
    """The recording time (s) an event ends at, made from an alarm raised at the bed's
    second ``raised_t`` whose stretch ends at ``end_t`` (the bed's seconds)."""
    return min(duration, max(end_t, raised_t) - offset)


def _close_span(db: Session, ev: Event, span: AlarmSpan) -> bool:
    """Extend ``ev``, made while its alarm was still raised, to the alarm's end now that it
    has cleared (``span`` read after the clearing); an event whose offset a clinician has
    edited since keeps it. Returns whether ``ev`` changed."""
    made = dict((ev.origin or {}).get("monitor") or {})
    if not made.get("open") or span.open:
        return False
    offset = float(made.get("recording_offset", 0.0))
    rec = db.get(Recording, ev.recording_id)
    if rec is None:
        return False
    drafted_t1 = _event_end(float(made["end_t"]), float(made["raised_t"]), offset,
                            rec.duration)
    if abs(ev.t1 - drafted_t1) > 1e-6:
        return False
    ev.t1 = max(ev.t0, _event_end(span.end_t, span.raised_t, offset, rec.duration))
    ev.origin = {**(ev.origin or {}),
                 "monitor": made | {"end_t": span.end_t, "open": False}}
    return True


def review_event(db: Session, actor: User, ev: Event, review: Review, version: int,
                 span: AlarmSpan | None = None) -> Event:
    """A clinician's decision on an event made from a monitor alarm (confirmed: a seizure;
    rejected: a false alarm; back to draft); audited. Stale ``version`` -> 409. ``span``: the
    alarm as journaled now (an event made while it was raised is extended to its end)."""
    before = snapshot(event_public(ev))
    if ev.layer != "monitor":
        raise InvalidError(f"event {ev.id} was not made from a monitor alarm: only those are "
                           "confirmed or rejected")
    check_version("event", ev.id, ev.version, version, before)
    if span is not None:
        _close_span(db, ev, span)
    ev.review, ev.updated_at = review, utcnow()
    flush_versioned(db, "event", ev, version, event_public)
    add_audit(db, actor, "update", "event", ev.id, ev.clinic_id, before=before,
              after=snapshot(event_public(ev)))
    return ev
