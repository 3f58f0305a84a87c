"""Clinics, users, the vocabulary, the audit log (routes/admin.py).

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back
transaction.
"""

from __future__ import annotations

from serverkit import PASSWORD, World, make_event, make_recording


def test_audit_log_records_changes(world: World) -> None:
    client = world.client("clin_a")
    rec = make_recording(client)
    ev = make_event(client, rec["id"])
    client.patch(f"/api/events/{ev['id']}", json={"version": 1, "label": "TLE"})
    entries = world.client("admin_a").get("/api/audit", params={"limit": 50}).json()
    update = next(e for e in entries if e["entity"] == "event" and e["action"] == "update")
    assert update["username"] == "clin_a" and update["entity_id"] == ev["id"]
    assert update["before"]["label"] == "FLE" and update["after"]["label"] == "TLE"
    actions = {(e["entity"], e["action"]) for e in entries}
    assert {("patient", "create"), ("recording", "create"), ("event", "create"),
            ("user", "login")} <= actions
    assert all(e["clinic_id"] == world.clinic_a for e in entries)


def test_admin_creates_users_only_in_own_clinics(world: World) -> None:
    admin = world.client("admin_a")
    r = admin.post("/api/users", json={"username": "new_c", "password": PASSWORD,
                                       "role": "clinician", "clinic_ids": [world.clinic_a]})
    assert r.status_code == 201 and r.json()["clinic_ids"] == [world.clinic_a]
    r = admin.post("/api/users", json={"username": "new_d", "password": "x" * 12,
                                       "role": "clinician", "clinic_ids": [world.clinic_b]})
    assert r.status_code == 404
    r = admin.post("/api/users", json={"username": "short", "password": "x",
                                       "role": "clinician", "clinic_ids": [world.clinic_a]})
    assert r.status_code == 422
    names = {u["username"] for u in admin.get("/api/users").json()}
    assert "new_c" in names and "clin_b" not in names
    clinic = admin.post("/api/clinics", json={"name": "Porto"}).json()
    assert {c["id"] for c in admin.get("/api/clinics").json()} == {world.clinic_a, clinic["id"]}
    assert world.client("new_c").get("/api/auth/me").status_code == 200


def test_admin_changes_role_and_deactivates(world: World) -> None:
    admin = world.client("admin_a")
    clin = world.client("clin_a")
    assert clin.get("/api/auth/me").status_code == 200
    uid = world.users["clin_a"]
    r = admin.patch(f"/api/users/{uid}", json={"role": "reviewer"})
    assert r.status_code == 200 and r.json()["role"] == "reviewer" and r.json()["active"]
    r = admin.patch(f"/api/users/{uid}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert clin.get("/api/auth/me").status_code == 401  # the session ended
    r = admin.post("/api/auth/login", json={"username": "clin_a", "password": PASSWORD})
    assert r.status_code == 401
    # another clinic's user is not found; an admin cannot demote or deactivate themselves
    assert admin.patch(f"/api/users/{world.users['clin_b']}",
                       json={"active": False}).status_code == 404
    r = admin.patch(f"/api/users/{world.users['admin_a']}", json={"role": "clinician"})
    assert r.status_code == 422 and "another admin" in r.json()["detail"]
    assert world.client("clin_b").get("/api/auth/me").status_code == 200
    assert world.client("ds_a").patch(f"/api/users/{uid}",
                                      json={"active": True}).status_code == 403
    entries = admin.get("/api/audit", params={"entity": "user", "action": "update"}).json()
    assert [(e["before"], e["after"]) for e in entries] == [
        ({"role": "reviewer", "active": True}, {"role": "reviewer", "active": False}),
        ({"role": "clinician", "active": True}, {"role": "reviewer", "active": True})]


def test_audit_filters(world: World) -> None:
    client = world.client("clin_a")
    rec = make_recording(client)
    ev = make_event(client, rec["id"])
    client.patch(f"/api/events/{ev['id']}", json={"version": 1, "label": "TLE"})
    world.client("ds_a").get("/api/recordings")
    admin = world.client("admin_a")
    every = admin.get("/api/audit", params={"limit": 1000}).json()
    mine = admin.get("/api/audit", params={"username": "clin_a"}).json()
    assert mine and {e["username"] for e in mine} == {"clin_a"}
    assert len(mine) < len(every)
    on_event = admin.get("/api/audit", params={"entity": "event",
                                                "entity_id": ev["id"]}).json()
    assert [e["action"] for e in on_event] == ["update", "create"]
    newest = every[0]["at"]
    assert admin.get("/api/audit", params={"since": newest}).json()[-1]["at"] >= newest
    assert admin.get("/api/audit", params={"until": every[-1]["at"]}).json() == []
    assert admin.get("/api/audit", params={"username": "nobody"}).json() == []
    assert admin.get("/api/audit", params={"since": "yesterday"}).status_code == 422
