"""Pseudonymised patients."""

from __future__ import annotations

from fastapi import APIRouter, status

from ictal.server import repository
from ictal.server.deps import Annotator, CurrentUser, DbSession
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.schemas import PatientConflict, PatientCreate, PatientPublic, PatientUpdate

router = APIRouter(prefix="/patients", tags=["patients"])


@router.get("", response_model=list[PatientPublic])
def list_patients(user: CurrentUser, db: DbSession) -> list[PatientPublic]:
    return [PatientPublic.model_validate(p) for p in repository.list_patients(db, user.clinic_ids)]


@router.post("", response_model=PatientPublic, status_code=status.HTTP_201_CREATED)
def create_patient(body: PatientCreate, user: Annotator, db: DbSession) -> PatientPublic:
    """A new patient; the server draws the pseudonymous code (e.g. ``P-7KQ2M9XA``)."""
    if body.clinic_id is None:
        if len(user.clinic_ids) != 1:
            raise InvalidError("you belong to several clinics: give clinic_id")
        clinic_id = user.clinic_ids[0]
    elif body.clinic_id not in user.clinic_ids:
        raise NotFoundError(f"clinic {body.clinic_id} not found")
    else:
        clinic_id = body.clinic_id
    patient = repository.create_patient(db, user, clinic_id, body)
    repository.commit(db)
    return PatientPublic.model_validate(patient)


@router.get("/{patient_id}", response_model=PatientPublic)
def get_patient(patient_id: int, user: CurrentUser, db: DbSession) -> PatientPublic:
    return PatientPublic.model_validate(repository.get_patient(db, patient_id, user.clinic_ids))


@router.patch("/{patient_id}", response_model=PatientPublic,
              responses={409: {"model": PatientConflict,
                                "description": "stale version: reload and retry"}})
def update_patient(patient_id: int, body: PatientUpdate, user: Annotator,
                   db: DbSession) -> PatientPublic:
    patient = repository.get_patient(db, patient_id, user.clinic_ids)
    patient = repository.update_patient(db, user, patient, body)
    repository.commit(db)
    return PatientPublic.model_validate(patient)
