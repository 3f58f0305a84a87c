"""API behaviour: auth, patients, recordings, events, MOIs, conflicts, the MLOps loop.

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back
transaction.
"""

from __future__ import annotations

from typing import Any

from serverkit import PASSWORD, World, make_event, make_recording

SHA = "ab" * 32


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


def test_patient_gets_generated_code_and_no_identifiers(world: World) -> None:
    client = world.client("clin_a")
    r = client.post("/api/patients", json={"age": 40, "sex": "M", "etiology": "FCD",
                                           "invasive": True})
    assert r.status_code == 201
    p = r.json()
    assert p["code"].startswith("P-") and len(p["code"]) == 10
    assert p["clinic_id"] == world.clinic_a and p["invasive"] is True and p["version"] == 1
    # identifying fields are not part of the schema at all
    r = client.post("/api/patients", json={"age": 40, "name": "Jane Doe"})
    assert r.status_code == 422
    r = client.post("/api/patients", json={"birth_date": "1980-01-01"})
    assert r.status_code == 422
    codes = {client.post("/api/patients", json={}).json()["code"] for _ in range(5)}
    assert len(codes) == 5


def test_register_recording_probes_metadata_and_queues_preview(world: World) -> None:
    client = world.client("clin_a")
    rec = make_recording(client)
    assert (rec["fps"], rec["width"], rec["height"], rec["n_frames"]) == ("10", 64, 48, 12)
    assert abs(rec["duration"] - 1.2) < 1e-9 and rec["pix_fmt"] == "gray16le"
    assert rec["path"] == "ir/clip.mkv" and rec["preview_status"] == "pending"
    assert world.jobs.submitted == [rec["id"]]
    status = client.get(f"/api/recordings/{rec['id']}/preview/status").json()
    assert status == {"recording_id": rec["id"], "status": "pending", "progress": 0.0,
                      "error": None}
    assert [r["id"] for r in client.get("/api/recordings").json()] == [rec["id"]]
    # preview not ready yet: 404 with a reason
    r = client.get(f"/api/recordings/{rec['id']}/preview")
    assert r.status_code == 404 and "not ready" in r.json()["detail"]


def test_storage_listing(world: World) -> None:
    client = world.client("clin_a")
    top = client.get("/api/storage").json()
    names = {e["name"]: e for e in top["entries"]}
    assert names["ir"]["is_dir"] is True
    assert "escape.txt" not in names and "escape-dir" not in names  # symlinks out of the root
    sub = client.get("/api/storage", params={"path": "ir"}).json()
    assert sub["path"] == "ir" and sub["entries"][0]["path"] == "ir/clip.mkv"
    assert sub["entries"][0]["size_bytes"] > 0


def test_event_crud_and_validation(world: World) -> None:
    client = world.client("clin_a")
    rec = make_recording(client)
    ev = make_event(client, rec["id"], tG=0.5, seizure_types="FBTCS", semiology="a -> b")
    assert ev["version"] == 1 and ev["tG"] == 0.5
    listed = client.get(f"/api/recordings/{rec['id']}/events").json()
    assert [e["id"] for e in listed] == [ev["id"]]
    r = client.patch(f"/api/events/{ev['id']}", json={"version": 1, "t1": 1.1, "tG": None})
    assert r.status_code == 200, r.text
    assert r.json()["t1"] == 1.1 and r.json()["tG"] is None and r.json()["version"] == 2
    # t1 before t0, tG outside, past the end of the recording
    bad = [{"t0": 0.5, "t1": 0.4, "label": "x"}, {"t0": 0.1, "t1": 0.4, "tG": 0.9, "label": "x"},
           {"t0": 0.1, "t1": 5.0, "label": "x"}, {"t0": -1, "t1": 0.5, "label": "x"},
           {"t0": 0.1, "t1": 0.5}]
    for body in bad:
        assert client.post(f"/api/recordings/{rec['id']}/events", json=body).status_code == 422
    r = client.patch(f"/api/events/{ev['id']}", json={"version": 2, "t0": 1.5})
    assert r.status_code == 422
    assert client.delete(f"/api/events/{ev['id']}", params={"version": 2}).status_code == 204
    assert client.get(f"/api/events/{ev['id']}").status_code == 404


def test_moi_crud_vocabulary_and_annotator(world: World) -> None:
    client = world.client("clin_a")
    vocab = client.get("/api/vocabulary").json()
    terms = {t["code"] for t in vocab["terms"]}
    regions = {r["code"] for r in vocab["regions"]}
    assert {"oral-automatism", "manual-automatism", "hyperkinetic", "tonic", "clonic",
            "dystonic", "versive", "head-version", "eye-deviation", "fencing-posture",
            "figure-4", "vocalisation"} <= terms
    assert {"head", "face", "mouth", "eyes", "trunk", "left-arm", "right-hand", "left-foot",
            "whole-body"} <= regions
    rec = make_recording(client)
    ev = make_event(client, rec["id"])
    r = client.post(f"/api/events/{ev['id']}/mois",
                    json={"region": "left-hand", "term": "manual-automatism",
                          "start": 0.3, "end": 0.7})
    assert r.status_code == 201, r.text
    moi = r.json()
    assert moi["annotator"] == "clin_a" and moi["version"] == 1 and moi["region"] == "left-hand"
    for body in [{"region": "tail", "term": "tonic", "start": 0.3, "end": 0.4},
                 {"region": "head", "term": "dancing", "start": 0.3, "end": 0.4},
                 {"region": "head", "term": "tonic", "start": 0.1, "end": 0.4},  # before t0
                 {"region": "head", "term": "tonic", "start": 0.5, "end": 0.4}]:
        assert client.post(f"/api/events/{ev['id']}/mois", json=body).status_code == 422
    admin = world.client("admin_a")
    r = admin.post("/api/vocabulary/terms", json={"code": "gelastic", "label": "Gelastic",
                                                  "category": "other"})
    assert r.status_code == 201
    r = client.patch(f"/api/mois/{moi['id']}", json={"version": 1, "term": "gelastic"})
    assert r.status_code == 200 and r.json()["term"] == "gelastic" and r.json()["version"] == 2
    by_rec = client.get(f"/api/recordings/{rec['id']}/mois").json()
    assert [m["id"] for m in by_rec] == [moi["id"]]
    assert client.delete(f"/api/mois/{moi['id']}", params={"version": 2}).status_code == 204
    assert client.get(f"/api/events/{ev['id']}/mois").json() == []


def test_stale_version_is_409_with_current_state(world: World) -> None:
    alice, bob = world.client("clin_a"), world.client("admin_a")
    rec = make_recording(alice)
    ev = make_event(alice, rec["id"])
    assert alice.patch(f"/api/events/{ev['id']}", json={"version": 1, "t1": 0.9}).status_code == 200
    r = bob.patch(f"/api/events/{ev['id']}", json={"version": 1, "label": "TLE"})
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert "version 1" in detail["message"] and detail["current"]["version"] == 2
    assert detail["current"]["t1"] == 0.9 and detail["current"]["label"] == "FLE"
    assert alice.get(f"/api/events/{ev['id']}").json()["label"] == "FLE"  # nothing overwritten
    r = bob.delete(f"/api/events/{ev['id']}", params={"version": 1})
    assert r.status_code == 409 and r.json()["detail"]["current"]["version"] == 2
    # MOIs the same way
    moi = alice.post(f"/api/events/{ev['id']}/mois", json={
        "region": "head", "term": "head-version", "start": 0.3, "end": 0.5}).json()
    assert bob.patch(f"/api/mois/{moi['id']}", json={"version": 1, "end": 0.6}).status_code == 200
    r = alice.patch(f"/api/mois/{moi['id']}", json={"version": 1, "start": 0.25})
    assert r.status_code == 409
    assert r.json()["detail"]["current"]["end"] == 0.6
    assert r.json()["detail"]["current"]["annotator"] == "admin_a"
    assert alice.delete(f"/api/mois/{moi['id']}", params={"version": 1}).status_code == 409
    # patients too
    pid = rec["patient_id"]
    assert alice.patch(f"/api/patients/{pid}", json={"version": 1, "age": 35}).status_code == 200
    r = bob.patch(f"/api/patients/{pid}", json={"version": 1, "age": 36})
    assert r.status_code == 409 and r.json()["detail"]["current"]["age"] == 35


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


def predictions(labels: list[str], n: int, fps: int = 10) -> dict[str, Any]:
    windows = [{"start_frame": 4 * i, "stop_frame": 4 * i + 4, "t_start": 0.4 * i,
                "t_stop": 0.4 * i + 0.4, "probs": [0.75, 0.25]} for i in range(n)]
    return {"format": "ictal-predictions/1", "recording": "rec-1",
            "model": {"name": "lstm-ir", "bundle_sha256": SHA, "backbone": "i3d"},
            "labels": labels, "windows": windows,
            "decision": {"label": labels[0], "probs": [0.7, 0.3]}}


def test_model_run_import_and_timeline(world: World) -> None:
    clin = world.client("clin_a")
    rec = make_recording(clin)
    ds = world.client("ds_a")
    body = predictions(["FLE", "TLE"], 3)
    assert clin.post(f"/api/recordings/{rec['id']}/model-runs", json=body).status_code == 403
    r = ds.post(f"/api/recordings/{rec['id']}/model-runs", json=body)
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["n_windows"] == 3 and run["decision_label"] == "FLE"
    assert run["model_info"]["backbone"] == "i3d"
    listed = clin.get(f"/api/recordings/{rec['id']}/model-runs").json()
    assert [x["id"] for x in listed] == [run["id"]] and listed[0]["n_windows"] == 3
    detail = clin.get(f"/api/model-runs/{run['id']}").json()
    assert [w["start_frame"] for w in detail["windows"]] == [0, 4, 8]
    assert detail["windows"][1]["t_stop"] == 0.8 and detail["windows"][0]["probs"] == [0.75, 0.25]
    # malformed: wrong format tag, probs length, past the end of the recording, unknown key
    bad = [predictions(["FLE", "TLE"], 1) | {"format": "ictal-predictions/2"},
           predictions(["FLE"], 1), predictions(["FLE", "TLE"], 4),
           predictions(["FLE", "TLE"], 1) | {"extra": 1}]
    for b in bad:
        assert ds.post(f"/api/recordings/{rec['id']}/model-runs", json=b).status_code == 422


def test_manifest_export_round_trips(world: World, tmp_path: Any) -> None:
    from ictal.manifest import load_manifest, save_manifest
    from ictal.manifest.io import parse_manifest

    clin = world.client("clin_a")
    rec = make_recording(clin)
    ev = make_event(clin, rec["id"], tG=0.6)
    clin.post(f"/api/events/{ev['id']}/mois", json={"region": "mouth",
                                                    "term": "oral-automatism",
                                                    "start": 0.3, "end": 0.5})
    ds = world.client("ds_a")
    r = ds.post("/api/exports/manifest", json={"clinic_ids": [world.clinic_a]})
    assert r.status_code == 200, r.text
    data = r.json()
    patient = clin.get(f"/api/patients/{rec['patient_id']}").json()
    assert data["patients"][0]["id"] == patient["code"]
    stream = data["recordings"][0]["streams"][0]
    assert stream["path"].endswith("/ir/clip.mkv") and stream["path"].startswith("/")
    assert stream["n_frames"] == 12 and stream["fps"] == 10
    assert data["events"][0]["tG"] == 0.6 and data["labels"] == ["FLE"]
    assert data["mois"][0]["term"] == "oral-automatism" and data["mois"][0]["annotator"] == "clin_a"
    manifest = parse_manifest(data, check_files=True)
    save_manifest(manifest, tmp_path / "m.yaml")
    # the export names files in the server storage, outside the folder of m.yaml
    again = load_manifest(tmp_path / "m.yaml", allow_outside_root=True)
    assert again.recordings[0].streams[0].path == stream["path"]
    # clinicians cannot export; other clinics are not found
    assert clin.post("/api/exports/manifest", json={"clinic_ids": [world.clinic_a]}
                     ).status_code == 403
    assert ds.post("/api/exports/manifest", json={"clinic_ids": [world.clinic_b]}
                   ).status_code == 404
    assert ds.post("/api/exports/manifest", json={}).status_code == 422


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


def test_annotation_requests_stay_within_their_query_budget(world: World) -> None:
    """The hot requests of the annotation UI make a fixed, small number of queries (no N+1:
    the session, user and clinics are one query; MOI lists one query whatever their length)."""
    from sqlalchemy import event

    client = world.client("clin_a")
    rec = make_recording(client)
    ev = make_event(client, rec["id"], t0=0.0, t1=1.0)
    for i in range(5):
        r = client.post(f"/api/events/{ev['id']}/mois", json={
            "region": "head", "term": "tonic", "start": 0.1 * i, "end": 0.1 * i + 0.05})
        assert r.status_code == 201, r.text
    moi = r.json()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            statements.append(statement)

    event.listen(world.database.bind, "before_cursor_execute", count)
    try:
        budget = [  # (request, statements): auth 1 + event 1 + MOIs 1 / + vocabulary + writes
            (lambda: client.get(f"/api/events/{ev['id']}/mois"), 3),
            (lambda: client.get(f"/api/recordings/{rec['id']}/mois"), 3),
            (lambda: client.post(f"/api/events/{ev['id']}/mois", json={
                "region": "mouth", "term": "clonic", "start": 0.5, "end": 0.6}), 5),
            (lambda: client.patch(f"/api/mois/{moi['id']}", json={
                "version": moi["version"], "end": 0.48, "region": "trunk", "term": "versive"}),
             5),
            (lambda: client.delete(f"/api/mois/{moi['id']}",
                                   params={"version": moi["version"] + 1}), 4),
        ]
        for send, allowed in budget:
            statements.clear()
            r = send()
            assert r.status_code < 300, r.text
            assert len(statements) <= allowed, (r.request.method, r.request.url, statements)
    finally:
        event.remove(world.database.bind, "before_cursor_execute", count)
    listed = client.get(f"/api/events/{ev['id']}/mois").json()
    assert len(listed) == 5 and {m["term"] for m in listed} == {"tonic", "clonic"}
