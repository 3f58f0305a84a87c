"""Events (seizures) and MOI annotations, with optimistic concurrency (``version``).

Update: ``PATCH`` with the ``version`` the client read in the body. Delete: ``DELETE
...?version=N``. A stale version is a 409 whose body holds the row as the server has it now.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from ictal.server import repository
from ictal.server.deps import Annotator, CurrentUser, DbSession
from ictal.server.schemas import (
    EventConflict,
    EventCreate,
    EventPublic,
    EventUpdate,
    MoiConflict,
    MoiCreate,
    MoiPublic,
    MoiUpdate,
)

router = APIRouter(tags=["annotations"])
STALE = "stale version: reload and retry"
EVENT_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": EventConflict,
                                                         "description": STALE}}
MOI_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": MoiConflict, "description": STALE}}


@router.get("/recordings/{recording_id}/events", response_model=list[EventPublic])
def list_events(recording_id: int, user: CurrentUser, db: DbSession) -> list[EventPublic]:
    rec = repository.get_recording(db, recording_id, user.clinic_ids)
    return [repository.event_public(e) for e in repository.list_events(db, rec)]


@router.post("/recordings/{recording_id}/events", response_model=EventPublic,
             status_code=status.HTTP_201_CREATED)
def create_event(recording_id: int, body: EventCreate, user: Annotator,
                 db: DbSession) -> EventPublic:
    rec = repository.get_recording(db, recording_id, user.clinic_ids)
    ev = repository.create_event(db, user, rec, body)
    repository.commit(db)
    return repository.event_public(ev)


@router.get("/events/{event_id}", response_model=EventPublic)
def get_event(event_id: int, user: CurrentUser, db: DbSession) -> EventPublic:
    return repository.event_public(repository.get_event(db, event_id, user.clinic_ids))


@router.patch("/events/{event_id}", response_model=EventPublic, responses=EVENT_CONFLICT)
def update_event(event_id: int, body: EventUpdate, user: Annotator, db: DbSession) -> EventPublic:
    ev = repository.get_event(db, event_id, user.clinic_ids)
    ev = repository.update_event(db, user, ev, body)
    repository.commit(db)
    return repository.event_public(ev)


@router.delete("/events/{event_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=EVENT_CONFLICT)
def delete_event(event_id: int, version: Annotated[int, Query()], user: Annotator,
                 db: DbSession) -> None:
    """Delete an event and its MOIs."""
    ev = repository.get_event(db, event_id, user.clinic_ids)
    repository.delete_event(db, user, ev, version)
    repository.commit(db)


@router.get("/events/{event_id}/mois", response_model=list[MoiPublic])
def list_event_mois(event_id: int, user: CurrentUser, db: DbSession) -> list[MoiPublic]:
    ev = repository.get_event(db, event_id, user.clinic_ids)
    return repository.list_mois_public_of_event(db, ev)


@router.get("/recordings/{recording_id}/mois", response_model=list[MoiPublic])
def list_recording_mois(recording_id: int, user: CurrentUser, db: DbSession) -> list[MoiPublic]:
    """Every MOI of every event of a recording (for the timeline)."""
    rec = repository.get_recording(db, recording_id, user.clinic_ids)
    return repository.list_mois_public_of_recording(db, rec)


@router.post("/events/{event_id}/mois", response_model=MoiPublic,
             status_code=status.HTTP_201_CREATED)
def create_moi(event_id: int, body: MoiCreate, user: Annotator, db: DbSession) -> MoiPublic:
    ev = repository.get_event(db, event_id, user.clinic_ids)
    moi = repository.create_moi(db, user, ev, body)
    repository.commit(db)
    return repository.moi_public(moi)


@router.get("/mois/{moi_id}", response_model=MoiPublic)
def get_moi(moi_id: int, user: CurrentUser, db: DbSession) -> MoiPublic:
    return repository.moi_public(repository.get_moi(db, moi_id, user.clinic_ids))


@router.patch("/mois/{moi_id}", response_model=MoiPublic, responses=MOI_CONFLICT)
def update_moi(moi_id: int, body: MoiUpdate, user: Annotator, db: DbSession) -> MoiPublic:
    moi = repository.get_moi(db, moi_id, user.clinic_ids)
    moi = repository.update_moi(db, user, moi, body)
    repository.commit(db)
    return repository.moi_public(moi)


@router.delete("/mois/{moi_id}", status_code=status.HTTP_204_NO_CONTENT, responses=MOI_CONFLICT)
def delete_moi(moi_id: int, version: Annotated[int, Query()], user: Annotator,
               db: DbSession) -> None:
    moi = repository.get_moi(db, moi_id, user.clinic_ids)
    repository.delete_moi(db, user, moi, version)
    repository.commit(db)
