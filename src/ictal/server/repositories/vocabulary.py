"""The controlled vocabulary of MOIs: ILAE semiology terms and body regions."""

from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from ictal.server import schemas
from ictal.server.errors import InvalidError
from ictal.server.models import BodyRegion, MoiTerm, User
from ictal.server.repositories.audit import add_audit


def list_terms(db: Session) -> list[MoiTerm]:
    return list(db.scalars(select(MoiTerm).order_by(MoiTerm.category, MoiTerm.code)))


def list_regions(db: Session) -> list[BodyRegion]:
    return list(db.scalars(select(BodyRegion).order_by(BodyRegion.id)))


def create_term(db: Session, actor: User, data: schemas.MoiTermCreate) -> MoiTerm:
    if db.scalar(select(MoiTerm).where(MoiTerm.code == data.code)) is not None:
        raise InvalidError(f"MOI term {data.code!r} exists already")
    term = MoiTerm(code=data.code, label=data.label, category=data.category, active=True)
    db.add(term)
    db.flush()
    for cid in actor.clinic_ids:
        add_audit(db, actor, "create", "moi_term", term.id, cid, after=data.model_dump())
    return term


def create_region(db: Session, actor: User, data: schemas.BodyRegionCreate) -> BodyRegion:
    if db.scalar(select(BodyRegion).where(BodyRegion.code == data.code)) is not None:
        raise InvalidError(f"body region {data.code!r} exists already")
    region = BodyRegion(code=data.code, label=data.label, active=True)
    db.add(region)
    db.flush()
    for cid in actor.clinic_ids:
        add_audit(db, actor, "create", "body_region", region.id, cid, after=data.model_dump())
    return region


def region_and_term(db: Session, region_code: str, term_code: str) -> tuple[BodyRegion, MoiTerm]:
    """The active body region and MOI term with these codes, in one query (the usual case);
    :class:`InvalidError` naming the unknown one otherwise."""
    q = (select(BodyRegion, MoiTerm).select_from(BodyRegion).join(MoiTerm, true())
         .where(BodyRegion.code == region_code, BodyRegion.active.is_(True),
                MoiTerm.code == term_code, MoiTerm.active.is_(True)))
    row = db.execute(q).first()
    if row is None:  # one of them is unknown: find out which
        return region(db, region_code), term(db, term_code)
    return row[0], row[1]


def term(db: Session, code: str) -> MoiTerm:
    """The active MOI term ``code``; :class:`InvalidError` when there is none."""
    found = db.scalar(select(MoiTerm).where(MoiTerm.code == code, MoiTerm.active.is_(True)))
    if found is None:
        raise InvalidError(f"unknown MOI term {code!r}: see GET /api/vocabulary")
    return found


def region(db: Session, code: str) -> BodyRegion:
    """The active body region ``code``; :class:`InvalidError` when there is none."""
    found = db.scalar(
        select(BodyRegion).where(BodyRegion.code == code, BodyRegion.active.is_(True))
    )
    if found is None:
        raise InvalidError(f"unknown body region {code!r}: see GET /api/vocabulary")
    return found
