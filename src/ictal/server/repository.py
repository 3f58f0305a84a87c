"""The data-access layer: every query of the server lives here, none in the routes.

Every read is scoped to the clinics of the calling user (``clinic_ids``): a row of another
clinic is reported exactly like a missing one (:class:`NotFoundError`), so its existence is not
revealed. Every change appends an :class:`AuditEntry` in the same transaction. Updates and
deletes of versioned rows (patients, events, MOIs) compare the version the client read with the
row's; SQLAlchemy's ``version_id_col`` makes the ``UPDATE ... WHERE version = :read`` atomic, so
two concurrent writers can never both succeed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from ictal.server import schemas
from ictal.server.db import utcnow
from ictal.server.errors import InvalidError, NotFoundError, StaleVersionError
from ictal.server.models import (
    AuditEntry,
    BodyRegion,
    Clinic,
    Event,
    LoginSession,
    ModelRun,
    MoiAnnotation,
    MoiTerm,
    Patient,
    Prediction,
    Recording,
    User,
)

#: Alphabet of patient codes: no 0/O, 1/I/L, so a code read aloud is unambiguous.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


# --- conversions to response bodies --------------------------------------------------------------
def user_public(user: User) -> schemas.UserPublic:
    return schemas.UserPublic(
        id=user.id, username=user.username, role=user.role, active=user.active,  # type: ignore[arg-type]
        clinic_ids=user.clinic_ids, created_at=user.created_at,
    )


def recording_public(rec: Recording, storage_root: Path) -> schemas.RecordingPublic:
    path = Path(rec.path)
    inside = path.is_relative_to(storage_root)
    rel = path.relative_to(storage_root).as_posix() if inside else rec.path
    return schemas.RecordingPublic(
        id=rec.id, patient_id=rec.patient_id, patient_code=rec.patient.code,
        clinic_id=rec.clinic_id, kind=rec.kind, path=rel,  # type: ignore[arg-type]
        size_bytes=rec.size_bytes, fps=rec.fps, width=rec.width, height=rec.height,
        n_frames=rec.n_frames, duration=rec.duration, pix_fmt=rec.pix_fmt,
        preview_status=rec.preview_status, preview_progress=rec.preview_progress,  # type: ignore[arg-type]
        preview_error=rec.preview_error, created_at=rec.created_at,
    )


def event_public(ev: Event) -> schemas.EventPublic:
    return schemas.EventPublic.model_validate(ev)


def moi_public(moi: MoiAnnotation) -> schemas.MoiPublic:
    return schemas.MoiPublic(
        id=moi.id, event_id=moi.event_id, region=moi.region.code, term=moi.term.code,
        start=moi.start, end=moi.end, annotator_id=moi.annotator_id,
        annotator=moi.annotator.username if moi.annotator else None,
        created_at=moi.created_at, updated_at=moi.updated_at, version=moi.version,
    )


def run_public(run: ModelRun, n_windows: int) -> schemas.ModelRunPublic:
    return schemas.ModelRunPublic(
        id=run.id, recording_id=run.recording_id, source_recording=run.source_recording,
        model_name=run.model_name, bundle_sha256=run.bundle_sha256, model_info=run.model_info,
        labels=run.labels, decision_label=run.decision_label, decision_probs=run.decision_probs,
        n_windows=n_windows, created_by=run.created_by, created_at=run.created_at,
    )


# --- audit ---------------------------------------------------------------------------------------
def add_audit(
    db: Session, actor: User | None, action: str, entity: str, entity_id: int | None,
    clinic_id: int | None, *, before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None, username: str | None = None,
) -> None:
    """Append one entry (the only write the app ever makes to ``audit_log``)."""
    db.add(AuditEntry(
        user_id=actor.id if actor else None,
        username=username if username is not None else (actor.username if actor else ""),
        clinic_id=clinic_id, action=action, entity=entity, entity_id=entity_id,
        before=before, after=after,
    ))


def list_audit(db: Session, clinic_ids: Sequence[int], *, limit: int, before_id: int | None
               ) -> list[AuditEntry]:
    q = select(AuditEntry).where(AuditEntry.clinic_id.in_(clinic_ids))
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    return list(db.scalars(q.order_by(AuditEntry.id.desc()).limit(limit)))


def _jsonable(obj: Any) -> dict[str, Any]:
    return obj.model_dump(mode="json")


# --- clinics, users, sessions --------------------------------------------------------------------
def count_users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


def get_user(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def get_user_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.username) == username.lower()))


def list_clinics(db: Session, clinic_ids: Sequence[int]) -> list[Clinic]:
    return list(db.scalars(select(Clinic).where(Clinic.id.in_(clinic_ids)).order_by(Clinic.id)))


def get_or_create_clinic(db: Session, name: str) -> Clinic:
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


def create_user(db: Session, actor: User | None, data: schemas.UserCreate, password_hash: str,
                *, allowed_clinics: Sequence[int] | None) -> User:
    """A user in ``data.clinic_ids``; each must be one of ``allowed_clinics`` (None = any)."""
    if get_user_by_username(db, data.username) is not None:
        raise InvalidError(f"username {data.username!r} is taken")
    ids = sorted(set(data.clinic_ids))
    if allowed_clinics is not None and not set(ids) <= set(allowed_clinics):
        raise NotFoundError(f"clinic(s) {sorted(set(ids) - set(allowed_clinics))} not found")
    clinics = list(db.scalars(select(Clinic).where(Clinic.id.in_(ids))))
    if len(clinics) != len(ids):
        raise NotFoundError(f"clinic(s) {sorted(set(ids) - {c.id for c in clinics})} not found")
    user = User(username=data.username, password_hash=password_hash, role=data.role,
                clinics=clinics)
    db.add(user)
    db.flush()
    for cid in ids:
        add_audit(db, actor, "create", "user", user.id, cid,
                  after={"username": user.username, "role": user.role, "clinic_ids": ids})
    return user


def list_users(db: Session, clinic_ids: Sequence[int]) -> list[User]:
    q = (select(User).join(User.clinics).where(Clinic.id.in_(clinic_ids)).distinct()
         .order_by(User.id))
    return list(db.scalars(q))


def set_password(db: Session, user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    for cid in user.clinic_ids or [None]:
        add_audit(db, user, "update", "password", user.id, cid)


def create_session(db: Session, user: User, token_hash: str, csrf_token: str,
                   hours: float) -> LoginSession:
    now = utcnow()
    db.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    row = LoginSession(token_hash=token_hash, csrf_token=csrf_token, user_id=user.id,
                       created_at=now, expires_at=now + timedelta(hours=hours))
    db.add(row)
    db.flush()
    return row


#: Loader options of the session lookup: its user and the user's clinics, joined.
SESSION_LOADING = (joinedload(LoginSession.user).joinedload(User.clinics),)


def get_session(db: Session, token_hash: str) -> LoginSession | None:
    """The live session with this token hash, or ``None`` (unknown, expired, user inactive).

    One query on every authenticated request: the session, its user and the user's clinics
    (the scope of everything the request may read) are joined."""
    q = (select(LoginSession).where(LoginSession.token_hash == token_hash)
         .options(*SESSION_LOADING))
    row = db.scalars(q).unique().one_or_none()
    if row is None or row.expires_at <= datetime.now(UTC) or not row.user.active:
        return None
    return row


def delete_session(db: Session, token_hash: str) -> None:
    db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))


# --- patients ------------------------------------------------------------------------------------
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
              after=_jsonable(schemas.PatientPublic.model_validate(patient)))
    return patient


def list_patients(db: Session, clinic_ids: Sequence[int]) -> list[Patient]:
    q = select(Patient).where(Patient.clinic_id.in_(clinic_ids)).order_by(Patient.id)
    return list(db.scalars(q))


def get_patient(db: Session, patient_id: int, clinic_ids: Sequence[int]) -> Patient:
    patient = db.get(Patient, patient_id)
    if patient is None or patient.clinic_id not in clinic_ids:
        raise NotFoundError(f"patient {patient_id} not found")
    return patient


def _check_version(entity: str, row_id: int, row_version: int, sent: int,
                   current: dict[str, Any]) -> None:
    if row_version != sent:
        raise StaleVersionError(entity, row_id, sent, current)


def _flush_versioned(db: Session, entity: str, row: Any, sent: int, public: Any) -> None:
    """Flush an UPDATE/DELETE guarded by ``version``; a concurrent writer -> 409."""
    model, row_id = type(row), row.id
    try:
        db.flush()
    except StaleDataError as err:
        db.rollback()
        fresh = db.get(model, row_id)
        if fresh is None:
            raise NotFoundError(f"{entity} {row_id} was deleted by someone else") from err
        raise StaleVersionError(entity, row_id, sent, _jsonable(public(fresh))) from err


def update_patient(db: Session, actor: User, patient: Patient,
                   data: schemas.PatientUpdate) -> Patient:
    public = schemas.PatientPublic.model_validate
    before = _jsonable(public(patient))
    _check_version("patient", patient.id, patient.version, data.version, before)
    for field in data.model_fields_set - {"version"}:
        setattr(patient, field, getattr(data, field))
    _flush_versioned(db, "patient", patient, data.version, public)
    add_audit(db, actor, "update", "patient", patient.id, patient.clinic_id, before=before,
              after=_jsonable(public(patient)))
    return patient


# --- recordings ----------------------------------------------------------------------------------
def create_recording(db: Session, actor: User, patient: Patient, *, kind: str, path: Path,
                     size_bytes: int, fps: Fraction, width: int, height: int, n_frames: int,
                     pix_fmt: str, window: tuple[int, int] | None) -> Recording:
    """Register a probed file (``path`` absolute and resolved, inside the storage root)."""
    rec = Recording(
        patient_id=patient.id, clinic_id=patient.clinic_id, kind=kind, path=str(path),
        size_bytes=size_bytes, fps=str(fps), width=width, height=height, n_frames=n_frames,
        duration=float(n_frames / fps), pix_fmt=pix_fmt,
        window_lo=window[0] if window else None, window_hi=window[1] if window else None,
        preview_status="pending", preview_progress=0.0, created_by=actor.id,
    )
    db.add(rec)
    db.flush()
    add_audit(db, actor, "create", "recording", rec.id, rec.clinic_id,
              after={"path": str(path), "patient_id": patient.id, "kind": kind})
    return rec


def list_recordings(db: Session, clinic_ids: Sequence[int], *, patient_id: int | None = None
                    ) -> list[Recording]:
    q = select(Recording).where(Recording.clinic_id.in_(clinic_ids))
    if patient_id is not None:
        q = q.where(Recording.patient_id == patient_id)
    return list(db.scalars(q.order_by(Recording.id)))


def get_recording(db: Session, recording_id: int, clinic_ids: Sequence[int]) -> Recording:
    rec = db.get(Recording, recording_id)
    if rec is None or rec.clinic_id not in clinic_ids:
        raise NotFoundError(f"recording {recording_id} not found")
    return rec


def get_recording_unscoped(db: Session, recording_id: int) -> Recording | None:
    """For the transcoding job only (it runs for the server, not for a user)."""
    return db.get(Recording, recording_id)


def set_preview_state(db: Session, recording_id: int, *, status: str, progress: float,
                      preview_path: str | None = None, error: str | None = None) -> None:
    rec = db.get(Recording, recording_id)
    if rec is None:
        return
    rec.preview_status = status
    rec.preview_progress = round(progress, 2)
    if preview_path is not None:
        rec.preview_path = preview_path
    rec.preview_error = error


def unfinished_previews(db: Session) -> list[int]:
    q = select(Recording.id).where(Recording.preview_status.in_(("pending", "running")))
    return list(db.scalars(q.order_by(Recording.id)))


# --- vocabulary ----------------------------------------------------------------------------------
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


def _vocabulary(db: Session, region_code: str, term_code: str) -> tuple[BodyRegion, MoiTerm]:
    """The active body region and MOI term with these codes, in one query (the usual case);
    :class:`InvalidError` naming the unknown one otherwise."""
    q = (select(BodyRegion, MoiTerm).select_from(BodyRegion).join(MoiTerm, true())
         .where(BodyRegion.code == region_code, BodyRegion.active.is_(True),
                MoiTerm.code == term_code, MoiTerm.active.is_(True)))
    row = db.execute(q).first()
    if row is None:  # one of them is unknown: find out which
        return _region(db, region_code), _term(db, term_code)
    return row[0], row[1]


def _term(db: Session, code: str) -> MoiTerm:
    term = db.scalar(select(MoiTerm).where(MoiTerm.code == code, MoiTerm.active.is_(True)))
    if term is None:
        raise InvalidError(f"unknown MOI term {code!r}: see GET /api/vocabulary")
    return term


def _region(db: Session, code: str) -> BodyRegion:
    region = db.scalar(
        select(BodyRegion).where(BodyRegion.code == code, BodyRegion.active.is_(True))
    )
    if region is None:
        raise InvalidError(f"unknown body region {code!r}: see GET /api/vocabulary")
    return region


# --- events --------------------------------------------------------------------------------------
def _check_event_times(rec: Recording, t0: float, t1: float, tG: float | None) -> None:
    if t1 <= t0:
        raise InvalidError(f"offset t1={t1} must be after onset t0={t0}")
    if tG is not None and not t0 <= tG <= t1:
        raise InvalidError(f"tG={tG} must lie within [t0, t1] = [{t0}, {t1}]")
    if t1 > rec.duration + 1e-6:
        raise InvalidError(
            f"t1={t1} s is past the end of recording {rec.id} ({rec.duration:.3f} s)"
        )


def create_event(db: Session, actor: User, rec: Recording, data: schemas.EventCreate) -> Event:
    _check_event_times(rec, data.t0, data.t1, data.tG)
    now = utcnow()
    ev = Event(recording_id=rec.id, clinic_id=rec.clinic_id, t0=data.t0, t1=data.t1, tG=data.tG,
               label=data.label, seizure_types=data.seizure_types, semiology=data.semiology,
               created_by=actor.id, created_at=now, updated_at=now)
    db.add(ev)
    db.flush()
    add_audit(db, actor, "create", "event", ev.id, ev.clinic_id, after=_jsonable(event_public(ev)))
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
    before = _jsonable(event_public(ev))
    _check_version("event", ev.id, ev.version, data.version, before)
    changes = {f: getattr(data, f) for f in data.model_fields_set - {"version"}}
    for field in ("t0", "t1", "label"):
        if field in changes and changes[field] is None:
            raise InvalidError(f"{field} cannot be null")
    merged = {"t0": ev.t0, "t1": ev.t1, "tG": ev.tG} | {
        k: v for k, v in changes.items() if k in ("t0", "t1", "tG")
    }
    rec = db.get(Recording, ev.recording_id)
    assert rec is not None  # foreign key
    _check_event_times(rec, merged["t0"], merged["t1"], merged["tG"])
    for field, value in changes.items():
        setattr(ev, field, "" if value is None and field in ("seizure_types", "semiology")
                else value)
    ev.updated_at = utcnow()
    _flush_versioned(db, "event", ev, data.version, event_public)
    add_audit(db, actor, "update", "event", ev.id, ev.clinic_id, before=before,
              after=_jsonable(event_public(ev)))
    return ev


def delete_event(db: Session, actor: User, ev: Event, version: int) -> None:
    before = _jsonable(event_public(ev))
    _check_version("event", ev.id, ev.version, version, before)
    db.delete(ev)
    _flush_versioned(db, "event", ev, version, event_public)
    add_audit(db, actor, "delete", "event", ev.id, ev.clinic_id, before=before)


# --- MOI annotations -----------------------------------------------------------------------------
#: Loader options of MOI queries: the annotator (joined, for its username) without its clinics,
#: which an answer never needs (they load on access if anything ever asks).
MOI_LOADING = (joinedload(MoiAnnotation.annotator).options(lazyload(User.clinics)),)


def _check_moi_times(ev: Event, start: float, end: float) -> None:
    if end <= start:
        raise InvalidError(f"end={end} must be after start={start}")
    if start < ev.t0 - 1e-6 or end > ev.t1 + 1e-6:
        raise InvalidError(
            f"MOI [{start}, {end}] lies outside its event {ev.id} [{ev.t0}, {ev.t1}]"
        )


def create_moi(db: Session, actor: User, ev: Event, data: schemas.MoiCreate) -> MoiAnnotation:
    _check_moi_times(ev, data.start, data.end)
    region, term = _vocabulary(db, data.region, data.term)
    now = utcnow()
    moi = MoiAnnotation(
        event_id=ev.id, clinic_id=ev.clinic_id, region=region, term=term, start=data.start,
        end=data.end, annotator=actor, created_at=now, updated_at=now,
    )
    db.add(moi)
    db.flush()
    add_audit(db, actor, "create", "moi", moi.id, moi.clinic_id, after=_jsonable(moi_public(moi)))
    return moi


def list_mois_of_event(db: Session, ev: Event) -> list[MoiAnnotation]:
    q = select(MoiAnnotation).where(MoiAnnotation.event_id == ev.id).options(*MOI_LOADING)
    return list(db.scalars(q.order_by(MoiAnnotation.start, MoiAnnotation.id)))


def _moi_public_query() -> Select[Any]:
    """The columns of :class:`schemas.MoiPublic`, vocabulary codes and annotator joined."""
    return (
        select(MoiAnnotation.id, MoiAnnotation.event_id, BodyRegion.code.label("region"),
               MoiTerm.code.label("term"), MoiAnnotation.start, MoiAnnotation.end,
               MoiAnnotation.annotator_id, User.username.label("annotator"),
               MoiAnnotation.created_at, MoiAnnotation.updated_at, MoiAnnotation.version)
        .join(BodyRegion, BodyRegion.id == MoiAnnotation.region_id)
        .join(MoiTerm, MoiTerm.id == MoiAnnotation.term_id)
        .outerjoin(User, User.id == MoiAnnotation.annotator_id)
    )


def list_mois_public_of_event(db: Session, ev: Event) -> list[schemas.MoiPublic]:
    """The answer of ``GET /events/{id}/mois``, built from plain rows: the hottest read of the
    annotation UI creates no ORM objects (same content as :func:`moi_public` of
    :func:`list_mois_of_event`)."""
    q = (_moi_public_query().where(MoiAnnotation.event_id == ev.id)
         .order_by(MoiAnnotation.start, MoiAnnotation.id))
    return [schemas.MoiPublic.model_validate(row._mapping) for row in db.execute(q)]


def list_mois_public_of_recording(db: Session, rec: Recording) -> list[schemas.MoiPublic]:
    """Like :func:`list_mois_public_of_event`, for every event of a recording."""
    q = (_moi_public_query().join(Event, MoiAnnotation.event_id == Event.id)
         .where(Event.recording_id == rec.id).order_by(MoiAnnotation.start, MoiAnnotation.id))
    return [schemas.MoiPublic.model_validate(row._mapping) for row in db.execute(q)]


def get_moi(db: Session, moi_id: int, clinic_ids: Sequence[int]) -> MoiAnnotation:
    """The MOI (and, in the same query, its event: :func:`update_moi` checks the times against
    it)."""
    q = (select(MoiAnnotation).where(MoiAnnotation.id == moi_id)
         .options(*MOI_LOADING, joinedload(MoiAnnotation.event)))
    moi = db.scalar(q)
    if moi is None or moi.clinic_id not in clinic_ids:
        raise NotFoundError(f"MOI {moi_id} not found")
    return moi


def update_moi(db: Session, actor: User, moi: MoiAnnotation,
               data: schemas.MoiUpdate) -> MoiAnnotation:
    before = _jsonable(moi_public(moi))
    _check_version("MOI", moi.id, moi.version, data.version, before)
    changes = {f: getattr(data, f) for f in data.model_fields_set - {"version"}}
    if any(v is None for v in changes.values()):
        nulls = sorted(k for k, v in changes.items() if v is None)
        raise InvalidError(f"null is not allowed for {nulls}")
    ev = moi.event  # loaded by get_moi
    _check_moi_times(ev, changes.get("start", moi.start), changes.get("end", moi.end))
    if "region" in changes and "term" in changes:
        moi.region, moi.term = _vocabulary(db, changes["region"], changes["term"])
    elif "region" in changes:
        moi.region = _region(db, changes["region"])
    elif "term" in changes:
        moi.term = _term(db, changes["term"])
    for field in ("start", "end"):
        if field in changes:
            setattr(moi, field, changes[field])
    moi.annotator = actor
    moi.updated_at = utcnow()
    _flush_versioned(db, "MOI", moi, data.version, moi_public)
    add_audit(db, actor, "update", "moi", moi.id, moi.clinic_id, before=before,
              after=_jsonable(moi_public(moi)))
    return moi


def delete_moi(db: Session, actor: User, moi: MoiAnnotation, version: int) -> None:
    before = _jsonable(moi_public(moi))
    _check_version("MOI", moi.id, moi.version, version, before)
    db.delete(moi)
    _flush_versioned(db, "MOI", moi, version, moi_public)
    add_audit(db, actor, "delete", "moi", moi.id, moi.clinic_id, before=before)


# --- model runs ----------------------------------------------------------------------------------
def create_model_run(db: Session, actor: User, rec: Recording,
                     data: schemas.PredictionsImport) -> ModelRun:
    """Store an ``ictal predict`` output; windows must lie inside the recording."""
    for i, w in enumerate(data.windows):
        if w.stop_frame > rec.n_frames or w.t_stop > rec.duration + 1e-3:
            raise InvalidError(
                f"windows[{i}] ends at frame {w.stop_frame} / {w.t_stop:.3f} s, past the end of "
                f"recording {rec.id} ({rec.n_frames} frames, {rec.duration:.3f} s): is this the "
                "prediction of another recording?"
            )
    run = ModelRun(
        recording_id=rec.id, clinic_id=rec.clinic_id, source_recording=data.recording,
        model_name=data.model.name, bundle_sha256=data.model.bundle_sha256,
        model_info=data.model.model_dump(mode="json"), labels=list(data.labels),
        decision_label=data.decision.label, decision_probs=list(data.decision.probs),
        created_by=actor.id,
    )
    db.add(run)
    db.flush()
    db.add_all(
        Prediction(run_id=run.id, index=i, start_frame=w.start_frame, stop_frame=w.stop_frame,
                   t_start=w.t_start, t_stop=w.t_stop, probs=list(w.probs))
        for i, w in enumerate(data.windows)
    )
    db.flush()
    add_audit(db, actor, "create", "model_run", run.id, run.clinic_id,
              after={"recording_id": rec.id, "model": data.model.name,
                     "bundle_sha256": data.model.bundle_sha256, "windows": len(data.windows)})
    return run


def count_windows(db: Session, run_ids: Sequence[int]) -> dict[int, int]:
    q = (select(Prediction.run_id, func.count()).where(Prediction.run_id.in_(run_ids))
         .group_by(Prediction.run_id))
    return {rid: n for rid, n in db.execute(q).all()}


def list_model_runs(db: Session, rec: Recording) -> list[ModelRun]:
    q = select(ModelRun).where(ModelRun.recording_id == rec.id).order_by(ModelRun.id)
    return list(db.scalars(q))


def get_model_run(db: Session, run_id: int, clinic_ids: Sequence[int]) -> ModelRun:
    run = db.get(ModelRun, run_id)
    if run is None or run.clinic_id not in clinic_ids:
        raise NotFoundError(f"model run {run_id} not found")
    return run


def list_predictions(db: Session, run: ModelRun) -> list[Prediction]:
    q = select(Prediction).where(Prediction.run_id == run.id).order_by(Prediction.index)
    return list(db.scalars(q))


# --- export --------------------------------------------------------------------------------------
def recordings_for_export(db: Session, clinic_ids: Sequence[int],
                          req: schemas.ManifestExportRequest) -> list[Recording]:
    """The requested recordings; any id outside ``clinic_ids`` is :class:`NotFoundError`."""
    outside = sorted(set(req.clinic_ids) - set(clinic_ids))
    if outside:
        raise NotFoundError(f"clinic(s) {outside} not found")
    rows = {r.id: r for r in db.scalars(
        select(Recording).where(Recording.clinic_id.in_(req.clinic_ids))
    )}
    for rid in req.recording_ids:
        rows[rid] = get_recording(db, rid, clinic_ids)
    return [rows[k] for k in sorted(rows)]


def events_and_mois(db: Session, recording_ids: Sequence[int]
                    ) -> tuple[list[Event], list[MoiAnnotation]]:
    events = list(db.scalars(select(Event).where(Event.recording_id.in_(recording_ids))
                             .order_by(Event.recording_id, Event.t0, Event.id)))
    mois = list(db.scalars(select(MoiAnnotation)
                           .where(MoiAnnotation.event_id.in_([e.id for e in events]))
                           .order_by(MoiAnnotation.event_id, MoiAnnotation.start,
                                     MoiAnnotation.id)))
    return events, mois


def commit(db: Session) -> None:
    """Commit; a uniqueness race (two requests creating the same name) becomes a 422."""
    try:
        db.commit()
    except IntegrityError as err:
        db.rollback()
        raise InvalidError(f"the change conflicts with existing data: {err.orig}") from err


def recording_by_path(db: Session, path: Path) -> Recording | None:
    return db.scalar(select(Recording).where(Recording.path == str(path)).limit(1))


def patient_by_code(db: Session, code: str) -> Patient | None:
    return db.scalar(select(Patient).where(Patient.code == code))


def first_admin(db: Session) -> User | None:
    return db.scalar(select(User).where(User.role == "admin").order_by(User.id).limit(1))
