"""Live updates of an open recording (the WebSocket of routes/team.py) against an app that
owns its database (a SQLite file, as ``ictal serve`` runs it): the socket's polling runs in
threads of its own, which the rolled-back single-connection test databases cannot serve."""

from __future__ import annotations

from pathlib import Path

import pytest
from serverkit import CHEAP_ARGON2, PASSWORD, FakeJobs, World, make_event, make_recording

from ictal.server import schemas
from ictal.server.app import create_app
from ictal.server.config import ServerSettings
from ictal.server.repositories import clinics, users
from ictal.server.routes import team


def _user(world: World, name: str, role: str) -> object:
    admin = world.client("admin_a")
    r = admin.post("/api/users", json={"username": name, "password": PASSWORD, "role": role,
                                       "clinic_ids": [world.clinic_a]})
    assert r.status_code == 201, r.text
    return world.client(name)


def _own_world(tmp_path: Path, storage_root: Path) -> World:
    settings = ServerSettings(
        data_dir=tmp_path / "data", storage_root=storage_root, static_dir=tmp_path / "static",
        argon2_time_cost=CHEAP_ARGON2["time_cost"], argon2_memory_kib=CHEAP_ARGON2["memory_kib"])
    app = create_app(settings)
    state = app.state.ictal
    jobs = FakeJobs()
    state.jobs = jobs
    hashed = state.hasher.hash(PASSWORD)
    with state.database.writes() as db:
        a = clinics.get_or_create_clinic(db, "Clinic A")
        b = clinics.get_or_create_clinic(db, "Clinic B")
        for name, role, clinic in [("admin_a", "admin", a.id), ("clin_a", "clinician", a.id),
                                   ("clin_b", "clinician", b.id)]:
            users.create_user(db, None, schemas.UserCreate(
                username=name, password=PASSWORD, role=role, clinic_ids=[clinic]),
                hashed, allowed_clinics=None)
        db.commit()
        return World(app, state.database, jobs, a.id, b.id)


def test_live_updates_and_presence(tmp_path: Path, storage_root: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(team, "LIVE_POLL_S", 0.05)
    world = _own_world(tmp_path, storage_root)
    dr_a = world.client("clin_a")
    rec = make_recording(dr_a)
    dr_b = _user(world, "dr_b", "clinician")
    with dr_a.websocket_connect(f"/api/recordings/{rec['id']}/live") as ws_a:
        assert ws_a.receive_json() == {"type": "presence", "viewers": ["clin_a"]}
        with dr_b.websocket_connect(f"/api/recordings/{rec['id']}/live") as ws_b:
            assert ws_a.receive_json() == {"type": "presence", "viewers": ["clin_a", "dr_b"]}
            assert ws_b.receive_json()["viewers"] == ["clin_a", "dr_b"]
            # one watcher of the recording's labels, however many pages have it open
            assert list(world.app.state.ictal_live.watchers) == [rec["id"]]
            make_event(dr_b, rec["id"])
            assert ws_a.receive_json() == {"type": "changed"}
        assert ws_a.receive_json() == {"type": "presence", "viewers": ["clin_a"]}
    # no session, or another clinic's recording: closed before it opens
    from starlette.websockets import WebSocketDisconnect

    for client in (world.client(), world.client("clin_b")):
        with pytest.raises(WebSocketDisconnect), \
                client.websocket_connect(f"/api/recordings/{rec['id']}/live") as ws:
            ws.receive_json()
