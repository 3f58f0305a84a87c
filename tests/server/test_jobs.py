"""Background transcoding: a failed preview records why, in words a client may see."""

from __future__ import annotations

from pathlib import Path

from serverkit import seed_event

from ictal.server.config import ServerSettings
from ictal.server.db import Database
from ictal.server.enums import PreviewStatus
from ictal.server.jobs import TranscodeJobs
from ictal.server.models import Event, Recording


def test_a_failed_preview_names_the_file_relative_to_the_storage_root(
        database: Database, settings: ServerSettings, tmp_path: Path) -> None:
    storage = (tmp_path / "private-storage").resolve()
    (storage / "ir").mkdir(parents=True)
    (storage / "ir" / "clip.mkv").write_bytes(b"this is not a video" * 50)
    own = settings.model_copy(update={"storage_root": storage})
    _, event_id = seed_event(database, storage)  # its recording is storage/ir/clip.mkv
    with database.sessions() as db:
        rec_id = db.get(Event, event_id).recording_id
    TranscodeJobs(own, database).run(rec_id)
    with database.sessions() as db:
        rec = db.get(Recording, rec_id)
        assert rec.preview_status == PreviewStatus.FAILED and rec.preview_error
        assert "ir/clip.mkv" in rec.preview_error
        assert str(storage) not in rec.preview_error and str(tmp_path) not in rec.preview_error
