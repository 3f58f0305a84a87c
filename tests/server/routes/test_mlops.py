"""The MLOps loop: manifest export, model-run import and timeline (routes/mlops.py).

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back
transaction.
"""

from __future__ import annotations

from typing import Any

from serverkit import World, make_event, make_recording

SHA = "ab" * 32


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
    body = predictions(["FLE", "TLE"], 3) | {"recording": f"rec-{rec['id']}"}
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
    bad = [b | {"recording": f"rec-{rec['id']}"} for b in bad]
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
    assert stream["path"] == "ir/clip.mkv"  # relative to the storage root the manifest names
    assert data["root"] == str(world.app.state.ictal.settings.storage)
    assert stream["n_frames"] == 12 and stream["fps"] == 10
    assert data["events"][0]["tG"] == 0.6 and data["labels"] == ["FLE"]
    assert data["mois"][0]["term"] == "oral-automatism" and data["mois"][0]["annotator"] == "clin_a"
    manifest = parse_manifest(data, check_files=True)
    save_manifest(manifest, tmp_path / "m.yaml")
    # saved anywhere, it loads without --allow-outside-root (its root: is the storage root)
    again = load_manifest(tmp_path / "m.yaml")
    assert again.recordings[0].streams[0].path == stream["path"]
    assert again.resolve(again.recordings[0].streams[0]).is_file()
    assert data["events"][0]["meta"]["annotator"] == "clin_a"
    # clinicians cannot export; other clinics are not found
    assert clin.post("/api/exports/manifest", json={"clinic_ids": [world.clinic_a]}
                     ).status_code == 403
    assert ds.post("/api/exports/manifest", json={"clinic_ids": [world.clinic_b]}
                   ).status_code == 404
    assert ds.post("/api/exports/manifest", json={}).status_code == 422
