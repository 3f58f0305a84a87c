"""Pseudonymised patients: a generated code and a few clinical fields, nothing identifying."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ictal.server import schemas
from ictal.server.errors import NotFoundError
from ictal.server.models import Patient, User
from ictal.server.presenters import patient_public, snapshot
from ictal.server.repositories.audit import add_audit
from ictal.server.repositories.versioning import check_version, flush_versioned

#: Alphabet of patient codes: no 0/O, 1/I/L, so a code read aloud is unambiguous.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _new_patient_code(db: Session) -> str:
    for _ in range(20):
        code = "P-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if db.scalar(select(Patient.id).where(Patient.code == code)) is None:
            return code
    raise RuntimeError("could not draw an unused patient code in 20 tries")


def create_patient(db: Session, actor: User, clinic_id: int,
                   data: schemas.PatientCreate) -> Patient:
    patient = Patient(
        code=_new_patient_code(db), clinic_id=clinic_id, age=data.age, sex=data.sex,
        syndrome=data.syndrome, etiology=data.etiology, invasive=data.invasive,
    )
    db.add(patient)
    db.flush()
    add_audit(db, actor, "create", "patient", patient.id, clinic_id,
              after=snapshot(patient_public(patient)))
    return patient


def list_patients(db: Session, clinic_ids: Sequence[int]) -> list[Patient]:
    q = select(Patient).where(Patient.clinic_id.in_(clinic_ids)).order_by(Patient.id)
    return list(db.scalars(q))


def get_patient(db: Session, patient_id: int, clinic_ids: Sequence[int]) -> Patient:
    patient = db.get(Patient, patient_id)
    if patient is None or patient.clinic_id not in clinic_ids:
        raise NotFoundError(f"patient {patient_id} not found")
    return patient


def update_patient(db: Session, actor: User, patient: Patient,
                   data: schemas.PatientUpdate) -> Patient:
    """Apply the fields ``data`` carries (the schema admits ``null`` only for nullable
    columns)."""
    before = snapshot(patient_public(patient))
    check_version("patient", patient.id, patient.version, data.version, before)
    for field in data.model_fields_set - {"version"}:
        setattr(patient, field, getattr(data, field))
    flush_versioned(db, "patient", patient, data.version, patient_public)
    add_audit(db, actor, "update", "patient", patient.id, patient.clinic_id, before=before,
              after=snapshot(patient_public(patient)))
    return patient
