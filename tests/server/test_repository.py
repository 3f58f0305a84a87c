"""The data-access layer: the version check is atomic, the audit log only grows."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from serverkit import PASSWORD

from ictal.server import repository, schemas
from ictal.server.db import Database
from ictal.server.errors import InvalidError, NotFoundError, StaleVersionError
from ictal.server.models import AuditEntry, Recording, User


def _setup(database: Database, storage_root: Path) -> tuple[int, int]:
    with database.sessions() as db:
        clinic = repository.get_or_create_clinic(db, "Race clinic")
        user = repository.create_user(db, None, schemas.UserCreate(
            username="racer", password=PASSWORD, role="clinician", clinic_ids=[clinic.id]),
            "not-a-real-hash", allowed_clinics=None)
        patient = repository.create_patient(db, user, clinic.id, schemas.PatientCreate())
        rec = repository.create_recording(
            db, user, patient, kind="ir", path=storage_root / "ir" / "clip.mkv", size_bytes=1,
            fps=Fraction(10), width=64, height=48, n_frames=12, pix_fmt="gray16le",
            window=(0, 1))
        ev = repository.create_event(db, user, rec, schemas.EventCreate(t0=0.1, t1=1.0,
                                                                        label="FLE"))
        db.commit()
        return user.id, ev.id


def test_concurrent_update_loses_atomically(database: Database, storage_root: Path) -> None:
    """Both writers read version 1; the second one's UPDATE ... WHERE version = 1 matches no
    row even though its in-memory copy still says 1 -> 409 with the winner's state."""
    user_id, event_id = _setup(database, storage_root)
    with database.sessions() as s1, database.sessions() as s2:
        u1, u2 = s1.get(User, user_id), s2.get(User, user_id)
        ev1 = repository.get_event(s1, event_id, u1.clinic_ids)
        ev2 = repository.get_event(s2, event_id, u2.clinic_ids)
        s2.commit()  # ends s2's transaction; ev2 stays in memory at version 1
        repository.update_event(s1, u1, ev1, schemas.EventUpdate(version=1, label="TLE"))
        s1.commit()
        assert ev2.version == 1
        with pytest.raises(StaleVersionError) as info:
            repository.update_event(s2, u2, ev2, schemas.EventUpdate(version=1, label="NES"))
        assert info.value.current["version"] == 2 and info.value.current["label"] == "TLE"
    with database.sessions() as db:
        assert db.get(type(ev1), event_id).label == "TLE"


def test_delete_of_a_deleted_row_is_404(database: Database, storage_root: Path) -> None:
    user_id, event_id = _setup(database, storage_root)
    with database.sessions() as s1, database.sessions() as s2:
        u1, u2 = s1.get(User, user_id), s2.get(User, user_id)
        ev1 = repository.get_event(s1, event_id, u1.clinic_ids)
        ev2 = repository.get_event(s2, event_id, u2.clinic_ids)
        s2.commit()
        repository.delete_event(s1, u1, ev1, 1)
        s1.commit()
        with pytest.raises(NotFoundError):
            repository.delete_event(s2, u2, ev2, 1)


def test_audit_log_is_append_only(database: Database, storage_root: Path) -> None:
    user_id, event_id = _setup(database, storage_root)
    with database.sessions() as db:
        before = {(a.id, a.action, a.entity) for a in db.query(AuditEntry)}
        user = db.get(User, user_id)
        ev = repository.get_event(db, event_id, user.clinic_ids)
        repository.update_event(db, user, ev, schemas.EventUpdate(version=1, t1=0.9))
        repository.delete_event(db, user, ev, 2)
        db.commit()
        after = {(a.id, a.action, a.entity) for a in db.query(AuditEntry)}
    assert before < after  # nothing removed or rewritten
    assert {(a, e) for _, a, e in after - before} == {("update", "event"), ("delete", "event")}
    # the data-access layer has no function that changes or removes audit rows
    names = [n for n in dir(repository) if "audit" in n]
    assert sorted(names) == ["add_audit", "list_audit"]


def test_recording_public_hides_the_storage_root(database: Database, storage_root: Path) -> None:
    _setup(database, storage_root)
    with database.sessions() as db:
        rec = db.query(Recording).first()
        public = repository.recording_public(rec, storage_root.resolve())
    assert public.path == "ir/clip.mkv"


def test_moi_lists_built_from_rows_equal_the_orm_answers(database: Database,
                                                         storage_root: Path) -> None:
    """The row-built MOI lists carry exactly what ``moi_public`` of the ORM rows says, also
    for an MOI whose annotator was removed (``annotator`` null)."""
    user_id, event_id = _setup(database, storage_root)
    with database.sessions() as db:
        user = db.get(User, user_id)
        ev = repository.get_event(db, event_id, user.clinic_ids)
        for start, region, term in [(0.5, "head", "tonic"), (0.2, "mouth", "oral-automatism"),
                                    (0.2, "trunk", "versive")]:
            repository.create_moi(db, user, ev, schemas.MoiCreate(
                region=region, term=term, start=start, end=start + 0.1))
        orphan = repository.create_moi(db, user, ev, schemas.MoiCreate(
            region="head", term="clonic", start=0.3, end=0.4))
        orphan.annotator = None
        db.commit()
        orm = [repository.moi_public(m) for m in repository.list_mois_of_event(db, ev)]
        rec = db.get(Recording, ev.recording_id)
        assert repository.list_mois_public_of_event(db, ev) == orm
        assert repository.list_mois_public_of_recording(db, rec) == orm
        assert [m.start for m in orm] == [0.2, 0.2, 0.3, 0.5]
        assert sum(m.annotator is None for m in orm) == 1
        assert {m.annotator for m in orm} == {"racer", None}


def test_unknown_vocabulary_is_named(database: Database, storage_root: Path) -> None:
    user_id, event_id = _setup(database, storage_root)
    with database.sessions() as db:
        user = db.get(User, user_id)
        ev = repository.get_event(db, event_id, user.clinic_ids)
        with pytest.raises(InvalidError, match="unknown body region 'elbowz'"):
            repository.create_moi(db, user, ev, schemas.MoiCreate(
                region="elbowz", term="tonic", start=0.2, end=0.3))
        with pytest.raises(InvalidError, match="unknown MOI term 'wobble'"):
            repository.create_moi(db, user, ev, schemas.MoiCreate(
                region="head", term="wobble", start=0.2, end=0.3))
        moi = repository.create_moi(db, user, ev, schemas.MoiCreate(
            region="head", term="tonic", start=0.2, end=0.3))
        moi = repository.update_moi(db, user, repository.get_moi(db, moi.id, user.clinic_ids),
                                    schemas.MoiUpdate(version=1, region="mouth", term="clonic"))
        assert (moi.region.code, moi.term.code, moi.version) == ("mouth", "clonic", 2)
        with pytest.raises(InvalidError, match="unknown MOI term 'wobble'"):
            repository.update_moi(db, user, moi, schemas.MoiUpdate(
                version=2, region="trunk", term="wobble"))
