"""Request plumbing: every request gives back its database connection and the SQLite write
gate when it ends, whether the route succeeded, failed inside, or never ran (401 / 403)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serverkit import PASSWORD, FakeJobs, make_event, make_recording
from sqlalchemy import text

from ictal.server import schemas
from ictal.server.app import create_app
from ictal.server.config import ServerSettings
from ictal.server.deps import AppState
from ictal.server.repositories import clinics, users
from ictal.server.security import CSRF_HEADER


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def own_app(request: pytest.FixtureRequest, settings: ServerSettings,
            password_hash: str) -> Iterator[tuple[TestClient, AppState]]:
    """An app owning its database, as in production (SQLite: the write gate is on;
    PostgreSQL: read sessions in autocommit mode), one clinician logged in. On PostgreSQL it
    works in the test schema, and what it commits stays there until the schema is dropped."""
    if request.param == "postgres":
        engine = request.getfixturevalue("postgres_engine")
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
        settings = settings.model_copy(update={
            "database_url": url.render_as_string(hide_password=False)})
    app = create_app(settings)
    state: AppState = app.state.ictal
    state.jobs = FakeJobs()  # type: ignore[assignment]
    tag = uuid.uuid4().hex[:8]
    with state.database.writes() as db:
        clinic = clinics.get_or_create_clinic(db, f"Gate clinic {tag}")
        users.create_user(db, None, schemas.UserCreate(
            username=f"gatekeeper_{tag}", password=PASSWORD, role="clinician",
            clinic_ids=[clinic.id]), password_hash, allowed_clinics=None)
        db.commit()
    with TestClient(app) as client:
        r = client.post("/api/auth/login",
                        json={"username": f"gatekeeper_{tag}", "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.headers[CSRF_HEADER] = r.json()["csrf_token"]
        yield client, state


def _assert_released(state: AppState) -> None:
    sqlite = state.database.bind.dialect.name == "sqlite"
    assert (state.write_lock is not None) == sqlite
    assert state.write_lock is None or not state.write_lock.locked()
    assert state.database.bind.pool.checkedout() == 0  # type: ignore[union-attr]


def test_connections_and_write_gate_are_released(own_app: tuple[TestClient, AppState]) -> None:
    client, state = own_app
    rec = make_recording(client)
    ev = make_event(client, rec["id"], t0=0.0, t1=1.0)
    _assert_released(state)
    requests: list[tuple[Any, int]] = [
        (lambda: client.get(f"/api/events/{ev['id']}/mois"), 200),  # read, rolled back
        (lambda: client.post(f"/api/events/{ev['id']}/mois", json={  # committed write
            "region": "head", "term": "tonic", "start": 0.1, "end": 0.2}), 201),
        (lambda: client.post(f"/api/events/{ev['id']}/mois", json={  # fails in the route
            "region": "head", "term": "tonic", "start": 0.5, "end": 3.0}), 422),
        (lambda: client.patch(f"/api/events/{ev['id']}", json={  # stale version
            "version": 7, "label": "TLE"}), 409),
        (lambda: client.post(f"/api/events/{ev['id']}/mois", json={  # CSRF: before the route
            "region": "head", "term": "tonic", "start": 0.1, "end": 0.2},
            headers={CSRF_HEADER: "wrong"}), 403),
        (lambda: client.get("/api/events/999999/mois"), 404),
    ]
    for send, expected in requests:
        r = send()
        assert r.status_code == expected, r.text
        _assert_released(state)
    listed = client.get(f"/api/events/{ev['id']}/mois").json()  # only the committed one
    assert [(m["start"], m["end"]) for m in listed] == [(0.1, 0.2)]
    client.cookies.clear()
    assert client.post(f"/api/events/{ev['id']}/mois", json={
        "region": "head", "term": "tonic", "start": 0.1, "end": 0.2}).status_code == 401
    _assert_released(state)
