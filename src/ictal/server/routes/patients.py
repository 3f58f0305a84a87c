"""Pseudonymised patients."""

from __future__ import annotations

from fastapi import APIRouter, status

from ictal.server.db import commit
from ictal.server.deps import Annotator, CurrentUser, DbSession
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.presenters import patient_public
from ictal.server.repositories import patients
from ictal.server.routes.responses import COMMON
from ictal.server.schemas import DbId, PatientConflict, PatientCreate, PatientPublic, PatientUpdate

router = APIRouter(prefix="/patients", tags=["patients"], responses=COMMON)


@router.get("", response_model=list[PatientPublic])
def list_patients(user: CurrentUser, db: DbSession) -> list[PatientPublic]:
    return [patient_public(p) for p in patients.list_patients(db, user.clinic_ids)]


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
    patient = patients.create_patient(db, user, clinic_id, body)
    commit(db)
    return patient_public(patient)


@router.get("/{patient_id}", response_model=PatientPublic)
def get_patient(patient_id: DbId, user: CurrentUser, db: DbSession) -> PatientPublic:
    return patient_public(patients.get_patient(db, patient_id, user.clinic_ids))


@router.patch("/{patient_id}", response_model=PatientPublic,
              responses={409: {"model": PatientConflict,
                                "description": "stale version: reload and retry"}})
def update_patient(patient_id: DbId, body: PatientUpdate, user: Annotator,
                   db: DbSession) -> PatientPublic:
    patient = patients.get_patient(db, patient_id, user.clinic_ids)
    patient = patients.update_patient(db, user, patient, body)
    commit(db)
    return patient_public(patient)
