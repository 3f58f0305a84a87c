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
