"""Events (seizures) and MOI annotations, with optimistic concurrency (``version``).

Update: ``PATCH`` with the ``version`` the client read in the body. Delete: ``DELETE
...?version=N``. A stale version is a 409 whose body holds the row as the server has it now.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from ictal.server.db import commit
from ictal.server.deps import Annotator, CurrentUser, DbSession
from ictal.server.presenters import event_public, moi_public
from ictal.server.repositories import events, mois, recordings
from ictal.server.routes.responses import COMMON
from ictal.server.schemas import (
    DbId,
    EventConflict,
    EventCreate,
    EventPublic,
    EventUpdate,
    MoiConflict,
    MoiCreate,
    MoiPublic,
    MoiUpdate,
    Version,
)

router = APIRouter(tags=["annotations"], responses=COMMON)
STALE = "stale version: reload and retry"
EVENT_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": EventConflict,
                                                         "description": STALE}}
MOI_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": MoiConflict, "description": STALE}}


@router.get("/recordings/{recording_id}/events", response_model=list[EventPublic])
def list_events(recording_id: DbId, user: CurrentUser, db: DbSession) -> list[EventPublic]:
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    return [event_public(e) for e in events.list_events(db, rec)]


@router.post("/recordings/{recording_id}/events", response_model=EventPublic,
             status_code=status.HTTP_201_CREATED)
def create_event(recording_id: DbId, body: EventCreate, user: Annotator,
                 db: DbSession) -> EventPublic:
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    ev = events.create_event(db, user, rec, body)
    commit(db)
    return event_public(ev)


@router.get("/events/{event_id}", response_model=EventPublic)
def get_event(event_id: DbId, user: CurrentUser, db: DbSession) -> EventPublic:
    return event_public(events.get_event(db, event_id, user.clinic_ids))


@router.patch("/events/{event_id}", response_model=EventPublic, responses=EVENT_CONFLICT)
def update_event(event_id: DbId, body: EventUpdate, user: Annotator,
                 db: DbSession) -> EventPublic:
    ev = events.get_event(db, event_id, user.clinic_ids)
    ev = events.update_event(db, user, ev, body)
    commit(db)
    return event_public(ev)


@router.delete("/events/{event_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=EVENT_CONFLICT)
def delete_event(event_id: DbId, version: Annotated[Version, Query()], user: Annotator,
                 db: DbSession) -> None:
    """Delete an event and its MOIs."""
    ev = events.get_event(db, event_id, user.clinic_ids)
    events.delete_event(db, user, ev, version)
    commit(db)


@router.get("/events/{event_id}/mois", response_model=list[MoiPublic])
def list_event_mois(event_id: DbId, user: CurrentUser, db: DbSession) -> list[MoiPublic]:
    ev = events.get_event(db, event_id, user.clinic_ids)
    return mois.list_mois_public_of_event(db, ev)


@router.get("/recordings/{recording_id}/mois", response_model=list[MoiPublic])
def list_recording_mois(recording_id: DbId, user: CurrentUser,
                        db: DbSession) -> list[MoiPublic]:
    """Every MOI of every event of a recording (for the timeline)."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    return mois.list_mois_public_of_recording(db, rec)


@router.post("/events/{event_id}/mois", response_model=MoiPublic,
             status_code=status.HTTP_201_CREATED)
def create_moi(event_id: DbId, body: MoiCreate, user: Annotator, db: DbSession) -> MoiPublic:
    ev = events.get_event(db, event_id, user.clinic_ids)
    moi = mois.create_moi(db, user, ev, body)
    commit(db)
    return moi_public(moi)


@router.get("/mois/{moi_id}", response_model=MoiPublic)
def get_moi(moi_id: DbId, user: CurrentUser, db: DbSession) -> MoiPublic:
    return moi_public(mois.get_moi(db, moi_id, user.clinic_ids))


@router.patch("/mois/{moi_id}", response_model=MoiPublic, responses=MOI_CONFLICT)
def update_moi(moi_id: DbId, body: MoiUpdate, user: Annotator, db: DbSession) -> MoiPublic:
    moi = mois.get_moi(db, moi_id, user.clinic_ids)
    moi = mois.update_moi(db, user, moi, body)
    commit(db)
    return moi_public(moi)


@router.delete("/mois/{moi_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=MOI_CONFLICT)
def delete_moi(moi_id: DbId, version: Annotated[Version, Query()], user: Annotator,
               db: DbSession) -> None:
    moi = mois.get_moi(db, moi_id, user.clinic_ids)
    mois.delete_moi(db, user, moi, version)
    commit(db)
