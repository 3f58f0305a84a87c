"""Events: labelled segments (seizures) of a recording, versioned."""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ictal.manifest.timing import describe, event_time_problems
from ictal.server import schemas
from ictal.server.db import utcnow
from ictal.server.enums import Role
from ictal.server.errors import ForbiddenError, InvalidError, NotFoundError
from ictal.server.models import Event, Recording, User
from ictal.server.presenters import event_public, snapshot
from ictal.server.repositories.audit import add_audit
from ictal.server.repositories.versioning import check_version, flush_versioned

#: Fields a ``null`` empties, and their empty value (the columns are never NULL).
EMPTY_VALUES: dict[str, Any] = {"seizure_types": "", "semiology": "", "signs": []}
EMPTIED_BY_NULL = tuple(EMPTY_VALUES)


def check_event_times(rec: Recording, t0: float, t1: float, tG: float | None) -> None:
    """:class:`InvalidError` naming every time rule (:mod:`ictal.manifest.timing`) the event
    breaks inside recording ``rec``."""
    problems = event_time_problems(t0, t1, tG, duration=rec.duration, recording=str(rec.id))
    if problems:
        raise InvalidError(describe(problems))


def check_layer_owner(actor: User, ev: Event, what: str = "edit") -> None:
    """:class:`ForbiddenError` unless ``actor`` may change ``ev`` and its MOIs: an annotator
    event only by its author (authorship is never overwritten), a consensus event only by a
    reviewer or an admin, an event made from a monitor alarm by any clinician (the routes let
    only clinicians, reviewers and admins change events; :func:`delete_event` keeps it)."""
    if ev.layer == "monitor":
        return
    if ev.layer == "consensus":
        if actor.role not in (Role.REVIEWER, Role.ADMIN):
            raise ForbiddenError(f"event {ev.id} is in the consensus layer: only a reviewer "
                                 f"may {what} it")
        return
    if ev.created_by is not None and ev.created_by != actor.id:
        owner = getattr(ev, "author", None) or f"user {ev.created_by}"
        raise ForbiddenError(
            f"event {ev.id} is {owner}'s label: you cannot {what} another annotator's layer; "
            f"copy it into your own layer (POST /api/events/{ev.id}/copy) or add your own event")


def create_event(db: Session, actor: User, rec: Recording, data: schemas.EventCreate) -> Event:
    check_event_times(rec, data.t0, data.t1, data.tG)
    now = utcnow()
    ev = Event(recording_id=rec.id, clinic_id=rec.clinic_id, t0=data.t0, t1=data.t1, tG=data.tG,
               label=data.label, seizure_types=data.seizure_types, semiology=data.semiology,
               signs=list(data.signs),
               created_by=actor.id, created_at=now, updated_at=now)
    db.add(ev)
    db.flush()
    add_audit(db, actor, "create", "event", ev.id, ev.clinic_id, after=snapshot(event_public(ev)))
    return ev


def list_events(db: Session, rec: Recording) -> list[Event]:
    q = select(Event).where(Event.recording_id == rec.id).order_by(Event.t0, Event.id)
    return list(db.scalars(q))


def get_event(db: Session, event_id: int, clinic_ids: Sequence[int]) -> Event:
    ev = db.get(Event, event_id)
    if ev is None or ev.clinic_id not in clinic_ids:
        raise NotFoundError(f"event {event_id} not found")
    return ev


def update_event(db: Session, actor: User, ev: Event, data: schemas.EventUpdate) -> Event:
    """Apply the fields ``data`` carries; the times, merged with the row's, must still hold."""
    before = snapshot(event_public(ev))
    check_layer_owner(actor, ev)
    check_version("event", ev.id, ev.version, data.version, before)
    changes = {f: getattr(data, f) for f in data.model_fields_set - {"version"}}
    merged = {"t0": ev.t0, "t1": ev.t1, "tG": ev.tG} | {
        k: v for k, v in changes.items() if k in ("t0", "t1", "tG")
    }
    rec = db.get(Recording, ev.recording_id)
    if rec is None:  # the foreign key forbids it; a concurrent delete of the recording
        raise NotFoundError(f"recording {ev.recording_id} of event {ev.id} not found")
    check_event_times(rec, merged["t0"], merged["t1"], merged["tG"])
    for field, value in changes.items():
        if value is None and field in EMPTY_VALUES:
            value = copy(EMPTY_VALUES[field])
        setattr(ev, field, list(value) if field == "signs" else value)
    ev.updated_at = utcnow()
    flush_versioned(db, "event", ev, data.version, event_public)
    add_audit(db, actor, "update", "event", ev.id, ev.clinic_id, before=before,
              after=snapshot(event_public(ev)))
    return ev


def delete_event(db: Session, actor: User, ev: Event, version: int) -> None:
    """Delete an event (its MOIs go with it); an event made from a monitor alarm is never
    deleted: a false alarm is rejected, and stays as such a label."""
    before = snapshot(event_public(ev))
    if ev.layer == "monitor":
        raise ForbiddenError(f"event {ev.id} was made from monitor alarm {ev.monitor_alarm}: "
                             f"reject it instead of deleting it "
                             f"(POST /api/events/{ev.id}/review)")
    check_layer_owner(actor, ev, "delete")
    check_version("event", ev.id, ev.version, version, before)
    db.delete(ev)
    flush_versioned(db, "event", ev, version, event_public)
    add_audit(db, actor, "delete", "event", ev.id, ev.clinic_id, before=before)
