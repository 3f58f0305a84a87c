"""Events in the data-access layer: the version check is atomic, a deleted row is a 404, the
time rules name what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from serverkit import seed_event

from ictal.server import schemas
from ictal.server.db import Database
from ictal.server.errors import InvalidError, NotFoundError, StaleVersionError
from ictal.server.models import User
from ictal.server.repositories import events


def test_concurrent_update_loses_atomically(database: Database, storage_root: Path) -> None:
    """Both writers read version 1; the second one's UPDATE ... WHERE version = 1 matches no
    row even though its in-memory copy still says 1 -> 409 with the winner's state."""
    user_id, event_id = seed_event(database, storage_root)
    with database.sessions() as s1, database.sessions() as s2:
        u1, u2 = s1.get(User, user_id), s2.get(User, user_id)
        ev1 = events.get_event(s1, event_id, u1.clinic_ids)
        ev2 = events.get_event(s2, event_id, u2.clinic_ids)
        s2.commit()  # ends s2's transaction; ev2 stays in memory at version 1
        events.update_event(s1, u1, ev1, schemas.EventUpdate(version=1, label="TLE"))
        s1.commit()
        assert ev2.version == 1
        with pytest.raises(StaleVersionError) as info:
            events.update_event(s2, u2, ev2, schemas.EventUpdate(version=1, label="NES"))
        assert info.value.current["version"] == 2 and info.value.current["label"] == "TLE"
    with database.sessions() as db:
        assert db.get(type(ev1), event_id).label == "TLE"


def test_delete_of_a_deleted_row_is_404(database: Database, storage_root: Path) -> None:
    user_id, event_id = seed_event(database, storage_root)
    with database.sessions() as s1, database.sessions() as s2:
        u1, u2 = s1.get(User, user_id), s2.get(User, user_id)
        ev1 = events.get_event(s1, event_id, u1.clinic_ids)
        ev2 = events.get_event(s2, event_id, u2.clinic_ids)
        s2.commit()
        events.delete_event(s1, u1, ev1, 1)
        s1.commit()
        with pytest.raises(NotFoundError):
            events.delete_event(s2, u2, ev2, 1)


def test_times_merged_with_the_row_are_checked(database: Database,
                                               storage_root: Path) -> None:
    """A PATCH of one time is checked together with the row's other times and the recording's
    end (1.2 s), with the messages of ictal.manifest.timing."""
    user_id, event_id = seed_event(database, storage_root)
    with database.sessions() as db:
        user = db.get(User, user_id)
        ev = events.get_event(db, event_id, user.clinic_ids)
        with pytest.raises(InvalidError, match=r"t1: offset 0\.05 must be after onset t0=0\.1"):
            events.update_event(db, user, ev, schemas.EventUpdate(version=1, t1=0.05))
        with pytest.raises(InvalidError, match=r"t1: 5.0 s is past the end of recording '\d+'"):
            events.update_event(db, user, ev, schemas.EventUpdate(version=1, t1=5.0))
        with pytest.raises(InvalidError, match=r"tG: 1.1 lies outside \[t0, t1\]"):
            events.update_event(db, user, ev, schemas.EventUpdate(version=1, tG=1.1))
        ev = events.update_event(db, user, ev, schemas.EventUpdate(version=1, semiology=None))
        assert ev.semiology == "" and ev.version == 2
