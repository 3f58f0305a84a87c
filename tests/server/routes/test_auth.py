"""Login, logout, the current user, password change (routes/auth.py).

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back
transaction.
"""

from __future__ import annotations

from serverkit import PASSWORD, World


def test_login_me_logout(world: World) -> None:
    client = world.client()
    r = client.post("/api/auth/login", json={"username": "clin_a", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["username"] == "clin_a" and body["user"]["role"] == "clinician"
    assert body["user"]["clinic_ids"] == [world.clinic_a]
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("ictal_session="))
    csrf = next(c for c in cookies if c.startswith("ictal_csrf="))
    assert "HttpOnly" in session and "SameSite=strict" in session.replace("Strict", "strict")
    assert "HttpOnly" not in csrf and body["csrf_token"] in csrf
    me = client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["csrf_token"] == body["csrf_token"]
    out = client.post("/api/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204
    assert client.get("/api/auth/me").status_code == 401


def test_wrong_password_is_401(world: World) -> None:
    r = world.client().post("/api/auth/login", json={"username": "clin_a", "password": "nope"})
    assert r.status_code == 401 and r.json() == {"detail": "wrong username or password"}
    r = world.client().post("/api/auth/login", json={"username": "ghost", "password": "x"})
    assert r.status_code == 401


def test_password_change_ends_sessions(world: World) -> None:
    client = world.client("clin_a")
    r = client.post("/api/auth/password", json={"current_password": "wrong",
                                                "new_password": "n" * 14})
    assert r.status_code == 403
    r = client.post("/api/auth/password", json={"current_password": PASSWORD,
                                                "new_password": "n" * 14})
    assert r.status_code == 204
    assert client.get("/api/auth/me").status_code == 401
    fresh = world.client()
    ok = fresh.post("/api/auth/login", json={"username": "clin_a", "password": "n" * 14})
    assert ok.status_code == 200
