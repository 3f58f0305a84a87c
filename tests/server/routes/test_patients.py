"""Pseudonymised patients (routes/patients.py).

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back
transaction.
"""

from __future__ import annotations

from serverkit import World


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


def test_patch_refuses_null_where_the_column_cannot_be_empty(world: World) -> None:
    client = world.client("clin_a")
    p = client.post("/api/patients", json={"age": 40, "syndrome": "FLE", "invasive": True}).json()
    r = client.patch(f"/api/patients/{p['id']}", json={"version": 1, "invasive": None})
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "invasive"]]
    # the clinical fields may be emptied; a field left out keeps its value
    r = client.patch(f"/api/patients/{p['id']}", json={"version": 1, "age": None,
                                                        "syndrome": None})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["age"], body["syndrome"], body["invasive"], body["version"]) == (
        None, None, True, 2)
    assert client.get("/api/auth/me").status_code == 200
