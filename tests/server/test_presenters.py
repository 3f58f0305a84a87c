"""Response bodies built from rows: never the server's directories, never a password hash."""

from __future__ import annotations

from pathlib import Path

from serverkit import seed_event

from ictal.server.db import Database
from ictal.server.models import Event, Recording, User
from ictal.server.presenters import recording_public, storage_relative, user_public


def test_recording_public_hides_the_storage_root(database: Database, storage_root: Path) -> None:
    _, event_id = seed_event(database, storage_root)
    with database.sessions() as db:
        rec = db.get(Recording, db.get(Event, event_id).recording_id)
        public = recording_public(rec, storage_root.resolve())
    assert public.path == "ir/clip.mkv"


def test_a_path_outside_the_storage_root_shows_only_its_name() -> None:
    """A row whose file is no longer under the root (storage moved) still hides where the
    server keeps it."""
    root = Path("/srv/ictal/storage")
    assert storage_relative("/srv/ictal/storage/a/b.mkv", root) == "a/b.mkv"
    assert storage_relative("/mnt/old-disk/private/b.mkv", root) == "b.mkv"


def test_user_public_has_no_password_hash(database: Database, storage_root: Path) -> None:
    user_id, _ = seed_event(database, storage_root)
    with database.sessions() as db:
        body = user_public(db.get(User, user_id)).model_dump(mode="json")
    assert "password_hash" not in body and body["role"] == "clinician"
