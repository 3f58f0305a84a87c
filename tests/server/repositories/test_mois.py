"""MOIs in the data-access layer: the row-built lists equal the ORM answers, unknown
vocabulary is named, times are checked against the event."""

from __future__ import annotations

from pathlib import Path

import pytest
from serverkit import seed_event

from ictal.server import schemas
from ictal.server.db import Database
from ictal.server.errors import InvalidError
from ictal.server.models import Recording, User
from ictal.server.presenters import moi_public
from ictal.server.repositories import events, mois


def test_moi_lists_built_from_rows_equal_the_orm_answers(database: Database,
                                                         storage_root: Path) -> None:
    """The row-built MOI lists carry exactly what ``moi_public`` of the ORM rows says, also
    for an MOI whose annotator was removed (``annotator`` null)."""
    user_id, event_id = seed_event(database, storage_root)
    with database.sessions() as db:
        user = db.get(User, user_id)
        ev = events.get_event(db, event_id, user.clinic_ids)
        for start, region, term in [(0.5, "head", "tonic"), (0.2, "mouth", "oral-automatism"),
                                    (0.2, "trunk", "versive")]:
            mois.create_moi(db, user, ev, schemas.MoiCreate(
                region=region, term=term, start=start, end=start + 0.1))
        orphan = mois.create_moi(db, user, ev, schemas.MoiCreate(
            region="head", term="clonic", start=0.3, end=0.4))
        orphan.annotator = None
        db.commit()
        orm = [moi_public(m) for m in mois.list_mois_of_event(db, ev)]
        rec = db.get(Recording, ev.recording_id)
        assert mois.list_mois_public_of_event(db, ev) == orm
        assert mois.list_mois_public_of_recording(db, rec) == orm
        assert [m.start for m in orm] == [0.2, 0.2, 0.3, 0.5]
        assert sum(m.annotator is None for m in orm) == 1
        assert {m.annotator for m in orm} == {"racer", None}


def test_unknown_vocabulary_is_named(database: Database, storage_root: Path) -> None:
    user_id, event_id = seed_event(database, storage_root)
    with database.sessions() as db:
        user = db.get(User, user_id)
        ev = events.get_event(db, event_id, user.clinic_ids)
        with pytest.raises(InvalidError, match="unknown body region 'elbowz'"):
            mois.create_moi(db, user, ev, schemas.MoiCreate(
                region="elbowz", term="tonic", start=0.2, end=0.3))
        with pytest.raises(InvalidError, match="unknown MOI term 'wobble'"):
            mois.create_moi(db, user, ev, schemas.MoiCreate(
                region="head", term="wobble", start=0.2, end=0.3))
        moi = mois.create_moi(db, user, ev, schemas.MoiCreate(
            region="head", term="tonic", start=0.2, end=0.3))
        moi = mois.update_moi(db, user, mois.get_moi(db, moi.id, user.clinic_ids),
                              schemas.MoiUpdate(version=1, region="mouth", term="clonic"))
        assert (moi.region.code, moi.term.code, moi.version) == ("mouth", "clonic", 2)
        with pytest.raises(InvalidError, match="unknown MOI term 'wobble'"):
            mois.update_moi(db, user, moi, schemas.MoiUpdate(
                version=2, region="trunk", term="wobble"))


def test_times_are_checked_against_the_event(database: Database, storage_root: Path) -> None:
    """The event spans [0.1, 1.0] s: an MOI (or an update of one end) outside it is refused."""
    user_id, event_id = seed_event(database, storage_root)
    with database.sessions() as db:
        user = db.get(User, user_id)
        ev = events.get_event(db, event_id, user.clinic_ids)
        with pytest.raises(InvalidError, match=r"MOI \[0.05, 0.3\] lies outside its event"):
            mois.create_moi(db, user, ev, schemas.MoiCreate(
                region="head", term="tonic", start=0.05, end=0.3))
        moi = mois.create_moi(db, user, ev, schemas.MoiCreate(
            region="head", term="tonic", start=0.2, end=0.3))
        with pytest.raises(InvalidError, match=r"end: 0\.15 must be after start 0\.2"):
            mois.update_moi(db, user, moi, schemas.MoiUpdate(version=1, end=0.15))
