"""Events and MOIs, their versions and the query budget of the annotation UI
(routes/annotations.py).

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back
transaction.
"""

from __future__ import annotations

from typing import Any

from serverkit import World, make_event, make_recording


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
    # the same clinician in two tabs: the stale one gets the row as it is now
    alice, tab2 = world.client("clin_a"), world.client("clin_a")
    bob = world.client("admin_a")
    rec = make_recording(alice)
    ev = make_event(alice, rec["id"])
    assert alice.patch(f"/api/events/{ev['id']}", json={"version": 1, "t1": 0.9}).status_code == 200
    r = tab2.patch(f"/api/events/{ev['id']}", json={"version": 1, "label": "TLE"})
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert "version 1" in detail["message"] and detail["current"]["version"] == 2
    assert detail["current"]["t1"] == 0.9 and detail["current"]["label"] == "FLE"
    assert alice.get(f"/api/events/{ev['id']}").json()["label"] == "FLE"  # nothing overwritten
    r = tab2.delete(f"/api/events/{ev['id']}", params={"version": 1})
    assert r.status_code == 409 and r.json()["detail"]["current"]["version"] == 2
    # MOIs the same way
    moi = alice.post(f"/api/events/{ev['id']}/mois", json={
        "region": "head", "term": "head-version", "start": 0.3, "end": 0.5}).json()
    assert tab2.patch(f"/api/mois/{moi['id']}", json={"version": 1, "end": 0.6}).status_code == 200
    r = alice.patch(f"/api/mois/{moi['id']}", json={"version": 1, "start": 0.25})
    assert r.status_code == 409
    assert r.json()["detail"]["current"]["end"] == 0.6
    assert r.json()["detail"]["current"]["annotator"] == "clin_a"
    assert alice.delete(f"/api/mois/{moi['id']}", params={"version": 1}).status_code == 409
    # another user (even an admin) never edits alice's layer: 403, nothing changed
    assert bob.patch(f"/api/events/{ev['id']}", json={"version": 2, "t1": 0.8}).status_code == 403
    assert bob.patch(f"/api/mois/{moi['id']}", json={"version": 2, "end": 0.4}).status_code == 403
    # patients too
    pid = rec["patient_id"]
    assert alice.patch(f"/api/patients/{pid}", json={"version": 1, "age": 35}).status_code == 200
    r = bob.patch(f"/api/patients/{pid}", json={"version": 1, "age": 36})
    assert r.status_code == 409 and r.json()["detail"]["current"]["age"] == 35


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


def test_patch_refuses_null_for_times_labels_and_vocabulary(world: World) -> None:
    """``null`` is refused by the schema (422 naming the field) wherever the column cannot be
    empty; ``tG`` may be removed, the texts emptied."""
    client = world.client("clin_a")
    rec = make_recording(client)
    ev = make_event(client, rec["id"], tG=0.5, semiology="a")
    for field in ("t0", "t1", "label"):
        r = client.patch(f"/api/events/{ev['id']}", json={"version": 1, field: None})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", field]
    moi = client.post(f"/api/events/{ev['id']}/mois", json={
        "region": "head", "term": "tonic", "start": 0.3, "end": 0.4}).json()
    for field in ("region", "term", "start", "end"):
        r = client.patch(f"/api/mois/{moi['id']}", json={"version": 1, field: None})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", field]
    r = client.patch(f"/api/events/{ev['id']}", json={"version": 1, "tG": None,
                                                      "semiology": None})
    assert r.status_code == 200 and (r.json()["tG"], r.json()["semiology"]) == (None, "")
