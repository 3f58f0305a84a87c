"""Security: authentication on every route, roles, clinic scoping, CSRF, rate limiting, path
traversal, upload limit, malformed bodies, cookie flags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serverkit import PASSWORD, World, make_event, make_recording

from ictal.server.security import LoginRateLimiter

PUBLIC = {("GET", "/api/health"), ("POST", "/api/auth/login")}


def all_api_routes(world: World) -> list[tuple[str, str]]:
    spec = world.app.openapi()
    out = []
    for path, ops in spec["paths"].items():
        for method in ops:
            out.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return out


def test_every_route_but_public_ones_needs_login(world: World) -> None:
    client = world.client()
    routes = all_api_routes(world)
    assert len(routes) >= 35
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        r = client.request(method, path, json={})
        assert r.status_code == 401, (method, path, r.status_code)
        assert isinstance(r.json()["detail"], str)
    assert client.get("/api/health").status_code == 200


def test_csrf_required_on_state_changes(world: World) -> None:
    client = world.client("clin_a")
    token = client.headers.pop("X-CSRF-Token")
    r = client.post("/api/patients", json={})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = client.post("/api/patients", json={}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    # a matching cookie + header pair that is not the session's token is refused too
    client.cookies.set("ictal_csrf", "attacker")
    r = client.post("/api/patients", json={}, headers={"X-CSRF-Token": "attacker"})
    assert r.status_code == 403
    client.cookies.set("ictal_csrf", token)
    assert client.get("/api/patients").status_code == 200  # reads need no token
    assert client.post("/api/patients", json={},
                       headers={"X-CSRF-Token": token}).status_code == 201


def test_login_rate_limit_429(world: World) -> None:
    client = world.client()
    for _ in range(5):
        r = client.post("/api/auth/login", json={"username": "clin_a", "password": "bad"})
        assert r.status_code == 401
    r = client.post("/api/auth/login", json={"username": "clin_a", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # other users are not affected
    r = client.post("/api/auth/login", json={"username": "ds_a", "password": PASSWORD})
    assert r.status_code == 200


def test_rate_limiter_window_slides() -> None:
    now = [0.0]
    limiter = LoginRateLimiter(3, 60.0, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("Bob", "1.2.3.4") == 0
        limiter.record_failure("Bob", "1.2.3.4")
    assert limiter.retry_after("bob", "1.2.3.4") == pytest.approx(60.0)
    assert limiter.retry_after("bob", "5.6.7.8") == 0  # per username + IP
    now[0] = 59.0
    assert limiter.retry_after("bob", "1.2.3.4") == pytest.approx(1.0)
    now[0] = 60.0
    assert limiter.retry_after("bob", "1.2.3.4") == 0
    limiter.record_failure("bob", "1.2.3.4")
    limiter.reset("bob", "1.2.3.4")
    assert limiter.retry_after("bob", "1.2.3.4") == 0


def test_roles_are_enforced(world: World) -> None:
    clin, ds = world.client("clin_a"), world.client("ds_a")
    rec = make_recording(clin)
    ev = make_event(clin, rec["id"])
    # data scientists read but do not label
    assert ds.get(f"/api/recordings/{rec['id']}/events").status_code == 200
    r = ds.post(f"/api/recordings/{rec['id']}/events", json={"t0": 0.1, "t1": 0.2, "label": "x"})
    assert r.status_code == 403 and "data_scientist" in r.json()["detail"]
    assert ds.patch(f"/api/events/{ev['id']}", json={"version": 1}).status_code == 403
    assert ds.post("/api/patients", json={}).status_code == 403
    # clinicians do not administer
    for method, path, body in [("GET", "/api/users", None), ("GET", "/api/audit", None),
                               ("POST", "/api/clinics", {"name": "X"}),
                               ("POST", "/api/vocabulary/terms", {"code": "x", "label": "X"}),
                               ("POST", "/api/users", {"username": "u", "password": "p" * 12,
                                                        "role": "admin", "clinic_ids": [1]})]:
        assert clin.request(method, path, json=body).status_code == 403, path


def test_other_clinics_data_is_404(world: World) -> None:
    a, b = world.client("clin_a"), world.client("clin_b")
    rec = make_recording(a)
    ev = make_event(a, rec["id"])
    moi = a.post(f"/api/events/{ev['id']}/mois", json={"region": "head", "term": "tonic",
                                                       "start": 0.3, "end": 0.4}).json()
    pid = rec["patient_id"]
    for method, path, body in [
        ("GET", f"/api/patients/{pid}", None),
        ("PATCH", f"/api/patients/{pid}", {"version": 1, "age": 1}),
        ("GET", f"/api/recordings/{rec['id']}", None),
        ("GET", f"/api/recordings/{rec['id']}/preview", None),
        ("GET", f"/api/recordings/{rec['id']}/preview/status", None),
        ("GET", f"/api/recordings/{rec['id']}/events", None),
        ("POST", f"/api/recordings/{rec['id']}/events", {"t0": 0.1, "t1": 0.2, "label": "x"}),
        ("GET", f"/api/events/{ev['id']}", None),
        ("PATCH", f"/api/events/{ev['id']}", {"version": 1, "label": "TLE"}),
        ("DELETE", f"/api/events/{ev['id']}?version=1", None),
        ("GET", f"/api/mois/{moi['id']}", None),
        ("PATCH", f"/api/mois/{moi['id']}", {"version": 1, "end": 0.5}),
        ("DELETE", f"/api/mois/{moi['id']}?version=1", None),
        ("POST", f"/api/events/{ev['id']}/mois", {"region": "head", "term": "tonic",
                                                 "start": 0.3, "end": 0.4}),
        ("POST", "/api/recordings", {"patient_id": pid, "path": "ir/clip.mkv"}),
        ("POST", "/api/patients", {"clinic_id": world.clinic_a}),
    ]:
        r = b.request(method, path, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    assert b.get("/api/patients").json() == [] and b.get("/api/recordings").json() == []
    admin_b = world.client("admin_b")
    assert admin_b.get(f"/api/events/{ev['id']}").status_code == 404
    assert all(e["clinic_id"] == world.clinic_b for e in admin_b.get("/api/audit").json())
    # nothing was changed by the attempts
    assert a.get(f"/api/events/{ev['id']}").json()["version"] == 1


TRAVERSALS = ["../secret.txt", "ir/../../secret.txt", "/etc/passwd", "escape.txt",
              "escape-dir/secret.txt", "..%2fsecret.txt", "%2e%2e/secret.txt", "..\\secret.txt"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_refused_on_register(world: World, path: str) -> None:
    client = world.client("clin_a")
    pid = client.post("/api/patients", json={}).json()["id"]
    # the JSON body carries the raw string; URL-encoded forms arrive still encoded and name
    # no file, so they are at best "not found" - never a file outside the root
    r = client.post("/api/recordings", json={"patient_id": pid, "path": path})
    assert r.status_code in (400, 404), r.text
    if path in ("../secret.txt", "ir/../../secret.txt", "/etc/passwd", "escape.txt",
                "escape-dir/secret.txt"):
        detail = r.json()["detail"]
        assert r.status_code == 400 and ("outside" in detail or "absolute" in detail)
    assert client.get("/api/recordings").json() == []


@pytest.mark.parametrize("raw", ["..", "../", "ir/../..", "/", "/etc", "escape-dir",
                                 "%2e%2e", "%2E%2E%2F"])
def test_path_traversal_refused_on_storage_listing(world: World, raw: str) -> None:
    client = world.client("clin_a")
    # build the query by hand so the percent-encoded forms reach the server as typed
    r = client.get(f"/api/storage?path={raw}")
    assert r.status_code == 400, (raw, r.status_code, r.text)
    assert "secret.txt" not in r.text


def test_static_route_does_not_leave_its_folder(world: World, settings: Any) -> None:
    static: Path = settings.static_dir
    client = world.client()
    r = client.get("/")
    assert "front-end not built: run" in r.text and "make frontend" in r.text
    static.mkdir(parents=True)
    (static / "index.html").write_text("<html>spa</html>", encoding="utf-8")
    (static / "app.js").write_text("console.log(1)", encoding="utf-8")
    (static.parent / "private.txt").write_text("secret", encoding="utf-8")
    assert client.get("/app.js").text == "console.log(1)"
    assert client.get("/labelling/12").text == "<html>spa</html>"  # SPA fallback
    for raw in ["/../private.txt", "/%2e%2e/private.txt", "/..%2fprivate.txt",
                "/%2E%2E%2Fprivate.txt"]:
        r = client.get(raw)
        assert "secret" not in r.text, raw
    assert client.get("/api/nope").status_code == 404


def test_upload_limit_413_and_nothing_kept(world: World, settings: Any) -> None:
    client = world.client("clin_a")
    pid = client.post("/api/patients", json={}).json()["id"]
    url = f"/api/recordings/upload?patient_id={pid}&filename=big.mkv&kind=ir"
    body = b"\0" * (settings.max_upload_bytes + 1)
    r = client.post(url, content=body, headers={"content-type": "application/octet-stream"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def chunks() -> Any:  # no Content-Length: the limit must hold while streaming
        for _ in range(settings.max_upload_bytes // 50_000 + 2):
            yield b"\0" * 50_000

    r = client.post(url, content=chunks(), headers={"content-type": "application/octet-stream"})
    assert r.status_code == 413
    uploads = settings.upload_root
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))
    assert client.get("/api/recordings").json() == []


def test_upload_of_a_video(world: World, settings: Any, storage_root: Path) -> None:
    client = world.client("clin_a")
    pid = client.post("/api/patients", json={}).json()["id"]
    data = (storage_root / "ir" / "clip.mkv").read_bytes()
    r = client.post(f"/api/recordings/upload?patient_id={pid}&filename=../../evil name.mkv",
                    content=data, headers={"content-type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["n_frames"] == 12 and rec["path"].startswith("uploads/")
    stored = settings.storage / rec["path"]
    assert stored.read_bytes() == data and ".." not in rec["path"] and " " not in rec["path"]
    stored.unlink()
    r = client.post(f"/api/recordings/upload?patient_id={pid}&filename=notes.txt",
                    content=b"hello", headers={"content-type": "application/octet-stream"})
    assert r.status_code == 422
    r = client.post(f"/api/recordings/upload?patient_id={pid}&filename=fake.mp4",
                    content=b"not a video", headers={"content-type": "application/octet-stream"})
    assert r.status_code == 422 and not any(settings.upload_root.rglob("*fake*"))


@pytest.mark.parametrize("body", [
    "not json", "[]", '{"t0": "soon", "t1": 1, "label": "x"}', '{"t0": 0.1}',
    '{"t0": 0.1, "t1": 0.5, "label": "x", "unknown": 1}', '{"t0": NaN, "t1": 1, "label": "x"}',
])
def test_malformed_bodies_are_422(world: World, body: str) -> None:
    client = world.client("clin_a")
    rec = make_recording(client)
    r = client.post(f"/api/recordings/{rec['id']}/events", content=body,
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], list)


def test_secure_cookie_flag(world: World, settings: Any) -> None:
    from ictal.server.app import create_app

    app = create_app(settings.model_copy(update={"cookie_secure": True}), database=world.database)
    r = TestClient(app).post("/api/auth/login", json={"username": "clin_a", "password": PASSWORD})
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2 and all("Secure" in c for c in cookies)
    assert all("samesite=strict" in c.lower() for c in cookies)


def test_sql_injection_strings_are_stored_verbatim(world: World) -> None:
    client = world.client("clin_a")
    rec = make_recording(client)
    evil = "x'); DROP TABLE events; --"
    ev = make_event(client, rec["id"], label="FLE' OR '1'='1", semiology=evil)
    got = client.get(f"/api/events/{ev['id']}").json()
    assert got["semiology"] == evil and got["label"] == "FLE' OR '1'='1"
    r = client.post("/api/patients", json={"syndrome": "'; DELETE FROM patients; --"})
    assert r.json()["syndrome"] == "'; DELETE FROM patients; --"
    assert len(client.get("/api/patients").json()) == 2
    assert len(client.get(f"/api/recordings/{rec['id']}/events").json()) == 1
    r = world.client().post("/api/auth/login", json={"username": "' OR 1=1 --",
                                                     "password": "' OR 1=1 --"})
    assert r.status_code == 401
    assert client.get("/api/recordings", params={"patient_id": "1 OR 1=1"}).status_code == 422
