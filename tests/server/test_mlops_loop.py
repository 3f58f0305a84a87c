"""The MLOps loop end to end, with documented commands only: recordings registered with their
infrared and depth streams and labelled in the platform, exported as a manifest, saved as
YAML outside the storage root, then ``ictal preprocess -> extract -> train -> predict`` on it
unchanged (no ``--allow-outside-root``, no hand edits), and the predictions imported back onto
the right recording (and refused on the other)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from serverkit import CHEAP_ARGON2, PASSWORD, FakeJobs

from ictal.cli import main
from ictal.manifest import load_manifest
from ictal.phantom import PhantomConfig, generate_dataset
from ictal.server.app import create_app
from ictal.server.bootstrap import ensure_first_admin
from ictal.server.config import ServerSettings
from ictal.server.models import User
from ictal.server.security import CSRF_HEADER

pytestmark = pytest.mark.slow

TINY = ["--model", "fast", "--set", "lstm_units=[8,8]", "--set", "fc_units=[8,8]",
        "--set", "train.epochs=2", "--no-mlflow"]


def _ictal(monkeypatch: pytest.MonkeyPatch, *args: object) -> None:
    monkeypatch.setattr(sys, "argv", ["ictal", *(str(a) for a in args)])
    with pytest.raises(SystemExit) as info:
        main.app()
    assert info.value.code == 0, f"ictal {' '.join(map(str, args))} exited {info.value.code}"


def _login(app: object, username: str) -> TestClient:
    client = TestClient(app)  # type: ignore[arg-type]
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers[CSRF_HEADER] = r.json()["csrf_token"]
    return client


def test_export_train_predict_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = tmp_path / "storage"
    phantom = generate_dataset(PhantomConfig.tiny(n_patients=2, seed=3), storage, workers=1,
                               progress=False)
    truth = load_manifest(phantom.manifest_path)
    settings = ServerSettings(
        data_dir=tmp_path / "data", storage_root=storage, static_dir=tmp_path / "static",
        argon2_time_cost=CHEAP_ARGON2["time_cost"], argon2_memory_kib=CHEAP_ARGON2["memory_kib"])
    app = create_app(settings)
    state = app.state.ictal
    state.jobs = FakeJobs()
    ensure_first_admin(state.database, state.hasher)
    with state.database.writes() as db:
        root = db.query(User).one()
        root.username, root.password_hash = "root", state.hasher.hash(PASSWORD)
        db.commit()
    admin = _login(app, "root")
    clinic = admin.get("/api/clinics").json()[0]["id"]
    for name, role in (("dr_a", "clinician"), ("ds", "data_scientist")):
        assert admin.post("/api/users", json={"username": name, "password": PASSWORD,
                                              "role": role, "clinic_ids": [clinic]}
                          ).status_code == 201
    clin, ds = _login(app, "dr_a"), _login(app, "ds")

    # the clinician registers each recording's infrared and depth streams and labels it
    server_ids = {}
    for rec in truth.recordings:
        patient = clin.post("/api/patients", json={"sex": "U"}).json()
        ir, depth = rec.stream("ir"), rec.stream("depth")
        r = clin.post("/api/recordings", json={"patient_id": patient["id"], "path": ir.path,
                                               "kind": "ir"})
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        server_ids[rec.id] = rid
        r = clin.post(f"/api/recordings/{rid}/streams", json={"path": depth.path,
                                                              "kind": "depth"})
        assert r.status_code == 201, r.text
        for ev in truth.events_of(rec.id):
            r = clin.post(f"/api/recordings/{rid}/events", json={
                "t0": ev.t0, "t1": ev.t1, "tG": ev.tG, "label": ev.label})
            assert r.status_code == 201, r.text

    # the data scientist exports and saves it somewhere else: it is used as it is
    r = ds.post("/api/exports/manifest", json={"clinic_ids": [clinic], "name": "loop"})
    assert r.status_code == 200, r.text
    work = tmp_path / "work"
    work.mkdir()
    exported = work / "export.yaml"
    exported.write_text(yaml.safe_dump(r.json(), sort_keys=False))
    _ictal(monkeypatch, "manifest", "check", exported)
    _ictal(monkeypatch, "preprocess", exported, "--out", work / "plans")
    _ictal(monkeypatch, "extract", exported, "--out", work / "store.h5", "--plans",
           work / "plans")
    _ictal(monkeypatch, "train", work / "store.h5", "--out", work / "model", "--final", *TINY)
    _ictal(monkeypatch, "predict", exported, "--model", work / "model" / "bundle", "--out",
           work / "pred")

    # each recording's predictions go back onto it, and only onto it
    first, second = (server_ids[r.id] for r in truth.recordings)
    doc = json.loads((work / "pred" / f"rec-{first}.json").read_text())
    assert doc["recording"] == f"rec-{first}" and doc["source"]["streams"][0]["fingerprint"]
    wrong = ds.post(f"/api/recordings/{second}/model-runs", json=doc)
    assert wrong.status_code == 422 and f"rec-{first}" in wrong.text
    r = ds.post(f"/api/recordings/{first}/model-runs", json=doc)
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["source_info"]["recording"] == f"rec-{first}"
    assert run["n_windows"] == len(doc["windows"]) > 0
    assert [x["id"] for x in clin.get(f"/api/recordings/{first}/model-runs").json()] == [
        run["id"]]
    state.database.dispose()
