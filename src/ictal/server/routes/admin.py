"""Administration: clinics, users, the vocabulary, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from ictal.server.db import commit
from ictal.server.deps import Admin, CurrentUser, DbSession, State
from ictal.server.errors import NotFoundError
from ictal.server.presenters import user_public
from ictal.server.repositories import audit, clinics, users, vocabulary
from ictal.server.routes.responses import COMMON
from ictal.server.schemas import (
    AuditPublic,
    BodyRegionCreate,
    BodyRegionPublic,
    ClinicCreate,
    ClinicPublic,
    DbId,
    MoiTermCreate,
    MoiTermPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
    Vocabulary,
)
from ictal.server.security import hash_password

router = APIRouter(tags=["admin"], responses=COMMON)


@router.get("/clinics", response_model=list[ClinicPublic])
def list_clinics(user: CurrentUser, db: DbSession) -> list[ClinicPublic]:
    """The clinics the user belongs to."""
    return [ClinicPublic.model_validate(c) for c in clinics.list_clinics(db, user.clinic_ids)]


@router.post("/clinics", response_model=ClinicPublic, status_code=status.HTTP_201_CREATED)
def create_clinic(body: ClinicCreate, admin: Admin, db: DbSession) -> ClinicPublic:
    """A new clinic (admin); the admin becomes its member."""
    clinic = clinics.create_clinic(db, admin, body)
    commit(db)
    return ClinicPublic.model_validate(clinic)


@router.get("/users", response_model=list[UserPublic])
def list_users(admin: Admin, db: DbSession) -> list[UserPublic]:
    """Users sharing a clinic with the admin."""
    return [user_public(u) for u in users.list_users(db, admin.clinic_ids)]


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, admin: Admin, db: DbSession, state: State) -> UserPublic:
    """A new user in some of the admin's clinics."""
    user = users.create_user(db, admin, body, hash_password(state.hasher, body.password),
                             allowed_clinics=admin.clinic_ids)
    commit(db)
    return user_public(user)


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: DbId, body: UserUpdate, admin: Admin, db: DbSession) -> UserPublic:
    """Change a user's role or (de)activate them (a user sharing a clinic with the admin)."""
    user = next((u for u in users.list_users(db, admin.clinic_ids) if u.id == user_id), None)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    users.update_user(db, admin, user, role=body.role, active=body.active)
    commit(db)
    return user_public(user)


@router.get("/vocabulary", response_model=Vocabulary, tags=["vocabulary"])
def get_vocabulary(user: CurrentUser, db: DbSession) -> Vocabulary:
    """The MOI terms (ILAE semiology) and body regions an MOI may use."""
    return Vocabulary(
        terms=[MoiTermPublic.model_validate(t) for t in vocabulary.list_terms(db)],
        regions=[BodyRegionPublic.model_validate(r) for r in vocabulary.list_regions(db)],
    )


@router.post("/vocabulary/terms", response_model=MoiTermPublic,
             status_code=status.HTTP_201_CREATED, tags=["vocabulary"])
def create_term(body: MoiTermCreate, admin: Admin, db: DbSession) -> MoiTermPublic:
    term = vocabulary.create_term(db, admin, body)
    commit(db)
    return MoiTermPublic.model_validate(term)


@router.post("/vocabulary/regions", response_model=BodyRegionPublic,
             status_code=status.HTTP_201_CREATED, tags=["vocabulary"])
def create_region(body: BodyRegionCreate, admin: Admin, db: DbSession) -> BodyRegionPublic:
    region = vocabulary.create_region(db, admin, body)
    commit(db)
    return BodyRegionPublic.model_validate(region)


@router.get("/audit", response_model=list[AuditPublic])
def list_audit(admin: Admin, db: DbSession,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               before_id: DbId | None = None,
               username: Annotated[str | None, Query(max_length=64)] = None,
               action: Annotated[str | None, Query(max_length=64)] = None,
               entity: Annotated[str | None, Query(max_length=64)] = None,
               entity_id: DbId | None = None,
               since: datetime | None = None, until: datetime | None = None
               ) -> list[AuditPublic]:
    """The audit log of the admin's clinics, newest first (page with ``before_id``); filtered
    by who (``username``), what (``action``, ``entity``, ``entity_id``) and when (``since`` <=
    at < ``until``)."""
    rows = audit.list_audit(db, admin.clinic_ids, limit=limit, before_id=before_id,
                            username=username, action=action, entity=entity,
                            entity_id=entity_id, since=since, until=until)
    return [AuditPublic.model_validate(r) for r in rows]
