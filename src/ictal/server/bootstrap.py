"""First start: the first admin (password printed once) and the optional demo data."""

from __future__ import annotations

import logging
from pathlib import Path

from argon2 import PasswordHasher

from ictal.errors import ConfigError, IctalError
from ictal.manifest import load_manifest
from ictal.manifest.signs import SIGNS
from ictal.server import schemas
from ictal.server.config import ServerSettings
from ictal.server.db import Database
from ictal.server.enums import Role, as_stream_kind
from ictal.server.errors import InvalidError, OutsideRootError
from ictal.server.media import check_inside, probe_video
from ictal.server.models import Patient
from ictal.server.repositories import clinics, events, mois, patients, recordings, users
from ictal.server.security import random_password

log = logging.getLogger(__name__)

#: Manifest terms written differently from the vocabulary's codes (the phantom's plural).
TERM_SYNONYMS = {"automatisms": "automatism"}
FIRST_CLINIC = "Default clinic"
FIRST_ADMIN = "admin"


def ensure_first_admin(database: Database, hasher: PasswordHasher) -> str | None:
    """Create clinic + admin when the database has no user; return the random password
    (shown to the operator once, stored only as an argon2 hash), else ``None``."""
    with database.writes() as db:
        if users.count_users(db) > 0:
            return None
        password = random_password()
        clinic = clinics.get_or_create_clinic(db, FIRST_CLINIC)
        users.create_user(
            db, None,
            schemas.UserCreate(username=FIRST_ADMIN, password=password, role=Role.ADMIN,
                               clinic_ids=[clinic.id]),
            hasher.hash(password), allowed_clinics=None,
        )
        db.commit()
        return password


def seed_demo(database: Database, settings: ServerSettings, manifest_path: Path) -> list[int]:
    """Register the recordings of a (phantom) manifest, with its events and MOIs, in the first
    admin's clinic; return the new recording ids. Files must lie under the storage root;
    recordings already registered are skipped, so a second run adds nothing."""
    manifest = load_manifest(manifest_path)
    new_ids: list[int] = []
    with database.writes() as db:
        admin = users.first_admin(db)
        if admin is None or not admin.clinic_ids:
            raise ConfigError("no admin to own the demo data", hint="start `ictal serve` once")
        clinic_id = admin.clinic_ids[0]
        by_code: dict[str, Patient] = {}
        for rec in manifest.recordings:
            streams = [(s, kind) for s in rec.streams
                       if (kind := as_stream_kind(s.kind)) is not None]
            if not streams:
                continue
            stream, kind = streams[0]
            try:
                path = check_inside(settings.storage, manifest.resolve(stream))
            except OutsideRootError as err:
                raise ConfigError(
                    f"{manifest_path}: recording {rec.id} is outside the storage root "
                    f"{settings.storage}", hint="pass --storage-root with a folder holding the "
                    "manifest's files",
                ) from err
            if recordings.recording_by_path(db, path) is not None:
                continue
            patient = by_code.get(rec.patient)
            if patient is None:
                mp = manifest.patient(rec.patient)
                patient = patients.create_patient(db, admin, clinic_id, schemas.PatientCreate(
                    age=mp.age, sex=mp.sex, syndrome=mp.syndrome, etiology=mp.etiology,
                    invasive=mp.invasive))
                by_code[rec.patient] = patient
            try:
                info = probe_video(path)
            except IctalError as err:
                log.warning("demo: skipping %s: %s", rec.id, err)
                continue
            row = recordings.create_recording(
                db, admin, patient, kind=kind, path=path, size_bytes=path.stat().st_size,
                fps=info.fps, width=info.width, height=info.height, n_frames=info.n_frames,
                pix_fmt=info.pix_fmt, window=info.window)
            new_ids.append(row.id)
            for ev in manifest.events_of(rec.id):
                try:
                    event = events.create_event(db, admin, row, schemas.EventCreate(
                        t0=ev.t0, t1=ev.t1, tG=ev.tG, label=ev.label,
                        seizure_types=ev.seizure_types, semiology=ev.semiology,
                        signs=[s for s in dict.fromkeys(ev.signs) if s in SIGNS]))
                except InvalidError as err:
                    log.warning("demo: skipping event %s: %s", ev.id, err.message)
                    continue
                for moi in manifest.mois_of(ev.id):
                    try:
                        mois.create_moi(db, admin, event, schemas.MoiCreate(
                            region=moi.region, term=TERM_SYNONYMS.get(moi.term, moi.term),
                            start=moi.start, end=moi.end))
                    except (InvalidError, ValueError) as err:
                        log.warning("demo: skipping MOI %s: %s", moi.id, err)
        db.commit()
    return new_ids
