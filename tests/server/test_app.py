"""The app as a whole: an id no column can hold is a 4xx on every route (and the connection
stays usable), error texts never show the server's folders."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from serverkit import PASSWORD, World, make_event, make_recording

from ictal.server.app import create_app
from ictal.server.config import ServerSettings
from ictal.server.security import CSRF_HEADER

#: Past SQLite's 64-bit INTEGER, past PostgreSQL's 32-bit INTEGER, below -2^63, zero.
OUT_OF_RANGE = [2**63, 2**63 + 7, 2**31, -(2**63) - 1, 0]

#: A body each route would accept, so that only the id can be wrong.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/recordings/{recording_id}/events"): {"t0": 0.1, "t1": 0.2, "label": "x"},
    ("PATCH", "/api/events/{event_id}"): {"version": 1},
    ("POST", "/api/events/{event_id}/mois"): {"region": "head", "term": "tonic",
                                              "start": 0.1, "end": 0.2},
    ("PATCH", "/api/mois/{moi_id}"): {"version": 1},
    ("PATCH", "/api/patients/{patient_id}"): {"version": 1},
    ("POST", "/api/recordings/{recording_id}/model-runs"): {
        "format": "ictal-predictions/1", "recording": "r", "labels": ["FLE", "TLE"],
        "model": {"name": "m", "bundle_sha256": "ab" * 32},
        "decision": {"label": "FLE", "probs": [0.5, 0.5]},
        "windows": [{"start_frame": 0, "stop_frame": 1, "t_start": 0, "t_stop": 0.1,
                     "probs": [0.5, 0.5]}]},
}


def test_ids_out_of_range_in_paths_are_4xx_and_the_client_goes_on(world: World) -> None:
    client = world.client("admin_a")  # an admin passes every role check
    spec = world.app.openapi()
    checked = 0
    for template, operations in spec["paths"].items():
        names = re.findall(r"\{(\w+)\}", template)
        if not names:
            continue
        for method in operations:
            for value in OUT_OF_RANGE:
                url = template.replace(f"{{{names[0]}}}", str(value))
                params = {"version": 1} if method == "delete" else None
                r = client.request(method.upper(), url, params=params,
                                   json=BODIES.get((method.upper(), template)))
                assert 400 <= r.status_code < 500, (method, url, r.status_code, r.text)
                checked += 1
            assert client.get("/api/auth/me").status_code == 200
    assert checked >= 17 * len(OUT_OF_RANGE)


def test_ids_out_of_range_in_queries_and_bodies_are_422(world: World) -> None:
    admin, ds = world.client("admin_a"), world.client("ds_a")
    rec = make_recording(admin)
    ev = make_event(admin, rec["id"])
    for value in OUT_OF_RANGE:
        for client, method, url, kw in [
            (admin, "GET", "/api/audit", {"params": {"before_id": value}}),
            (admin, "GET", "/api/recordings", {"params": {"patient_id": value}}),
            (admin, "DELETE", f"/api/events/{ev['id']}", {"params": {"version": value}}),
            (admin, "POST", "/api/recordings/upload",
             {"params": {"patient_id": value, "filename": "a.mkv"}, "content": b"x"}),
            (admin, "POST", "/api/recordings", {"json": {"patient_id": value,
                                                         "path": "ir/clip.mkv"}}),
            (admin, "POST", "/api/patients", {"json": {"clinic_id": value}}),
            (admin, "PATCH", f"/api/events/{ev['id']}", {"json": {"version": value}}),
            (admin, "POST", "/api/users", {"json": {
                "username": "u", "password": PASSWORD, "role": "clinician",
                "clinic_ids": [value]}}),
            (ds, "POST", "/api/exports/manifest", {"json": {"recording_ids": [value]}}),
            (ds, "POST", "/api/exports/manifest", {"json": {"clinic_ids": [value]}}),
        ]:
            r = client.request(method, url, **kw)
            assert r.status_code == 422, (method, url, value, r.status_code, r.text)
            assert client.get("/api/auth/me").status_code == 200
    assert admin.get(f"/api/events/{ev['id']}").json()["version"] == 1


@pytest.fixture
def served(world: World) -> Iterator[tuple[str, int]]:
    """The world's app behind a real uvicorn on a free local port: (host, port)."""
    config = uvicorn.Config(world.app, host="127.0.0.1", port=0, lifespan="off",
                            log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_refused_id_keeps_the_keep_alive_connection_usable(world: World,
                                                             served: tuple[str, int]) -> None:
    """Over HTTP/1.1 through uvicorn: the 4xx for an impossible id is answered on the same
    connection as the request after it (no reset, no new socket)."""
    client = world.client("clin_a")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    headers = {"Cookie": cookie, CSRF_HEADER: client.headers[CSRF_HEADER]}
    conn = http.client.HTTPConnection(*served, timeout=10)
    try:
        conn.request("GET", f"/api/patients/{2**63}", headers=headers)
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        assert first.status == 422 and sock is not None
        conn.request("GET", "/api/patients", headers=headers)
        second = conn.getresponse()
        second.read()
        assert second.status == 200 and conn.sock is sock
    finally:
        conn.close()


def test_errors_name_files_relative_to_the_storage_root(world: World, settings: ServerSettings,
                                                        tmp_path: Path) -> None:
    """A file that is no video, a name too long for the file system: the answers name the
    path as the client gave it, never the server's folders."""
    storage = tmp_path / "private-storage"
    (storage / "junk").mkdir(parents=True)
    (storage / "junk" / "bad.mkv").write_bytes(b"not a video at all" * 100)
    own = settings.model_copy(update={"storage_root": storage.resolve()})
    world.app = create_app(own, database=world.database)
    client = world.client("clin_a")
    pid = client.post("/api/patients", json={}).json()["id"]
    r = client.post("/api/recordings", json={"patient_id": pid, "path": "junk/bad.mkv"})
    assert r.status_code == 422 and r.json()["detail"].startswith("junk/bad.mkv: ")
    long = "a" * 300
    r = client.get("/api/storage", params={"path": f"junk/{long}"})
    assert r.status_code == 422 and "too long" in r.json()["detail"]
    assert not [t for t in world.errors if str(storage) in t or str(tmp_path) in t]


def test_nul_characters_in_text_are_422_on_every_database(world: World) -> None:
    """PostgreSQL cannot store a NUL character (a 500 there before); every body refuses it."""
    admin, ds = world.client("admin_a"), world.client("ds_a")
    rec = make_recording(admin)
    run = dict(BODIES[("POST", "/api/recordings/{recording_id}/model-runs")])
    run["model"] = run["model"] | {"notes": {"k": ["ok", "b\x00"]}}
    for client, url, body in [
        (admin, "/api/patients", {"syndrome": "FLE\x00"}),
        (admin, "/api/auth/login", {"username": "admin_a\x00", "password": PASSWORD}),
        (admin, "/api/clinics", {"name": "\x00"}),
        (admin, "/api/vocabulary/terms", {"code": "gelastic", "label": "Gel\x00astic"}),
        (admin, f"/api/recordings/{rec['id']}/events",
         {"t0": 0.1, "t1": 0.2, "label": "FLE", "semiology": "a\x00"}),
        (ds, f"/api/recordings/{rec['id']}/model-runs", run),
    ]:
        r = client.post(url, json=body)
        assert r.status_code == 422 and "NUL" in r.json()["detail"][0]["msg"], (url, r.text)
    assert len(admin.get("/api/patients").json()) == 1  # only make_recording's
