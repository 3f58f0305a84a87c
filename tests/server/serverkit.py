"""Helpers shared by the server tests (imported by ``conftest.py`` and the test modules)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ictal.server import schemas
from ictal.server.db import Database
from ictal.server.repositories import clinics, events, patients, recordings, users
from ictal.server.security import CSRF_HEADER

PASSWORD = "correct horse battery"
#: argon2 at its cheapest keeps the many test logins fast; production uses RFC 9106's profile.
CHEAP_ARGON2 = {"time_cost": 1, "memory_kib": 1024}
POSTGRES_ENV = "ICTAL_TEST_POSTGRES_URL"


def server_paths_in(texts: list[str], settings: Any) -> list[str]:
    """The texts that show one of the server's folders (storage root, data folder) as an
    absolute path: none may, clients see paths relative to the storage root only."""
    roots = {str(p) for p in (settings.storage, settings.data_dir)}
    roots |= {str(p.resolve()) for p in (settings.storage, settings.data_dir)}
    return [t for t in texts if any(root in t for root in roots)]


def postgres_url_or_skip() -> str:
    """The test PostgreSQL URL; skip without one, unless ``CI`` is set (then fail)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {POSTGRES_ENV} is not: start scripts/pg-test-server.sh")
        pytest.skip(f"{POSTGRES_ENV} not set (scripts/pg-test-server.sh start prints one)")
    return url


def write_ir_video(path: Path, n_frames: int = 12, size: tuple[int, int] = (48, 64),
                   fps: int = 10) -> np.ndarray:
    """A lossless 16-bit FFV1 'infrared' clip whose brightness ramps over time; returns frames
    ``(T, H, W)`` ``uint16``."""
    from ictal.io.writers import write_video

    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    frames = np.stack([(1000 + 40 * xx + 30 * yy + 200 * t).astype(np.uint16)
                       for t in range(n_frames)])
    write_video(path, list(frames), fps, codec="ffv1")
    return frames


class FakeJobs:
    """Records preview jobs instead of running them (the connection is shared with the test)."""

    def __init__(self) -> None:
        self.submitted: list[int] = []

    def submit(self, recording_id: int) -> None:
        self.submitted.append(recording_id)

    def resume_unfinished(self) -> int:
        return 0

    def shutdown(self) -> None:
        pass


@dataclass
class World:
    app: Any
    database: Database
    jobs: FakeJobs
    clinic_a: int
    clinic_b: int
    users: dict[str, int] = field(default_factory=dict)
    responses: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # bodies of every 4xx / 5xx answer

    def client(self, username: str | None = None) -> TestClient:
        """A client (logged in as ``username`` with the CSRF header set, when given) whose
        JSON answers are all kept in :attr:`responses` for the password-hash scan, and error
        answers in :attr:`errors` for the server-path scan."""
        client = TestClient(self.app, raise_server_exceptions=True)
        client.event_hooks = {"response": [self._keep]}  # type: ignore[attr-defined]
        if username is not None:
            r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            client.headers[CSRF_HEADER] = r.json()["csrf_token"]
        return client

    def _keep(self, response: Any) -> None:
        if response.status_code >= 400:
            response.read()
            self.errors.append(response.text)
        if response.headers.get("content-type", "").startswith("application/json"):
            response.read()
            self.responses.append(json.loads(response.content or b"null"))


def make_recording(client: TestClient) -> dict[str, Any]:
    patient = client.post("/api/patients", json={"age": 34, "sex": "F", "syndrome": "FLE"})
    assert patient.status_code == 201, patient.text
    rec = client.post("/api/recordings", json={"patient_id": patient.json()["id"],
                                               "path": "ir/clip.mkv", "kind": "ir"})
    assert rec.status_code == 201, rec.text
    return rec.json()


def make_event(client: TestClient, rec_id: int, **kw: Any) -> dict[str, Any]:
    body = {"t0": 0.2, "t1": 1.0, "label": "FLE"} | kw
    r = client.post(f"/api/recordings/{rec_id}/events", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def seed_event(database: Database, storage_root: Path) -> tuple[int, int]:
    """A clinic, a clinician ``racer``, a patient, a recording of ``ir/clip.mkv`` (1.2 s) and
    an event [0.1, 1.0] s, written through the data-access layer; returns (user id, event id)."""
    with database.sessions() as db:
        clinic = clinics.get_or_create_clinic(db, "Race clinic")
        user = users.create_user(db, None, schemas.UserCreate(
            username="racer", password=PASSWORD, role="clinician", clinic_ids=[clinic.id]),
            "not-a-real-hash", allowed_clinics=None)
        patient = patients.create_patient(db, user, clinic.id, schemas.PatientCreate())
        rec = recordings.create_recording(
            db, user, patient, kind="ir", path=storage_root / "ir" / "clip.mkv", size_bytes=1,
            fps=Fraction(10), width=64, height=48, n_frames=12, pix_fmt="gray16le",
            window=(0, 1))
        ev = events.create_event(db, user, rec, schemas.EventCreate(t0=0.1, t1=1.0,
                                                                    label="FLE"))
        db.commit()
        return user.id, ev.id


def keypoint_shard(recording: str, *, n_frames: int = 12, width: int = 64, height: int = 48,
                   fps: Fraction = Fraction(10), source: dict[str, Any] | None = None,
                   gaps: tuple[int, ...] = (5,)) -> bytes:
    """An ``ictal keypoints`` shard (HDF5 bytes) of a phantom-like skeleton lying in a
    ``width`` x ``height`` frame: the left wrist circles at 2.5 Hz (the other joints still),
    the face is seen on even frames only, frames ``gaps`` have no skeleton at all. Body joint
    ``j`` of frame ``f`` is at x = 10 + 4 j (+ the wrist's circle), y = 20 + f."""
    import math
    import tempfile

    from ictal.keypoints.store import KeypointTrack, write_track

    body = np.zeros((n_frames, 11, 3), np.float32)
    for f in range(n_frames):
        for j in range(11):
            body[f, j] = (10 + 4 * j, 20 + f, 0.9)
        ang = 2 * math.pi * 2.5 * f / float(fps)
        body[f, 6, :2] += (4 * math.cos(ang), 4 * math.sin(ang))
    face = np.full((n_frames, 23, 3), np.nan, np.float32)
    face[..., 2] = 0
    face[::2, :, :2] = (30.0, 10.0)
    face[::2, :, 2] = 0.5
    for g in gaps:
        body[g, :, :2], body[g, :, 2] = np.nan, 0
    attrs: dict[str, Any] = {"source": "phantom", "recording": recording}
    if source is not None:
        attrs["recording_source"] = source
    track = KeypointTrack(recording=recording, fps=fps, width=width, height=height,
                          frames=np.arange(n_frames), body=body, face=face, attrs=attrs)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_track(Path(tmp) / "shard.h5", track)
        return path.read_bytes()
