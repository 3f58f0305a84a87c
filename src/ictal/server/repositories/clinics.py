"""Clinics: the scope of every row a user may see."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ictal.server import schemas
from ictal.server.errors import InvalidError
from ictal.server.models import Clinic, User
from ictal.server.repositories.audit import add_audit


def list_clinics(db: Session, clinic_ids: Sequence[int]) -> list[Clinic]:
    return list(db.scalars(select(Clinic).where(Clinic.id.in_(clinic_ids)).order_by(Clinic.id)))


def get_or_create_clinic(db: Session, name: str) -> Clinic:
    """The clinic named ``name``, created (without audit entry) when missing: first start and
    tests."""
    clinic = db.scalar(select(Clinic).where(Clinic.name == name))
    if clinic is None:
        clinic = Clinic(name=name)
        db.add(clinic)
        db.flush()
    return clinic


def create_clinic(db: Session, actor: User, data: schemas.ClinicCreate) -> Clinic:
    """A new clinic; its creator (an admin) becomes a member so they can add users to it."""
    if db.scalar(select(Clinic).where(Clinic.name == data.name)) is not None:
        raise InvalidError(f"a clinic named {data.name!r} exists already")
    clinic = Clinic(name=data.name)
    db.add(clinic)
    actor.clinics.append(clinic)
    db.flush()
    add_audit(db, actor, "create", "clinic", clinic.id, clinic.id, after={"name": clinic.name})
    return clinic
