"""Team labelling (routes/team.py, the layer rules of repositories/events.py and mois.py, the
model-run checks of repositories/runs.py): two annotators never overwrite each other, a
reviewer's consensus is what the export gives, agreement, streams of a recording, model runs
tied to their recording, live updates.

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from serverkit import PASSWORD, World, make_event, make_recording, write_ir_video

from ictal.fsutil import file_fingerprint


def _user(world: World, name: str, role: str) -> TestClient:
    admin = world.client("admin_a")
    r = admin.post("/api/users", json={"username": name, "password": PASSWORD, "role": role,
                                       "clinic_ids": [world.clinic_a]})
    assert r.status_code == 201, r.text
    return world.client(name)


def _moi(client: TestClient, event_id: int, **kw: Any) -> dict[str, Any]:
    body = {"region": "head", "term": "versive", "start": 0.3, "end": 0.6} | kw
    r = client.post(f"/api/events/{event_id}/mois", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_two_annotators_never_overwrite_each_other(world: World) -> None:
    dr_a = world.client("clin_a")
    dr_b = _user(world, "dr_b", "clinician")
    rec = make_recording(dr_a)
    ev = make_event(dr_a, rec["id"], t0=0.4, t1=1.0)
    moi = _moi(dr_a, ev["id"], start=0.4)
    assert ev["author"] == "clin_a" and ev["layer"] == "annotator"
    # dr_b pressing 'o' on dr_a's event: refused, naming whose it is and what to do
    r = dr_b.patch(f"/api/events/{ev['id']}", json={"version": 1, "t0": 0.2})
    assert r.status_code == 403 and "clin_a" in r.json()["detail"] and "/copy" in r.json()["detail"]
    assert dr_b.patch(f"/api/mois/{moi['id']}", json={"version": 1, "end": 0.7}).status_code == 403
    assert dr_b.delete(f"/api/mois/{moi['id']}", params={"version": 1}).status_code == 403
    assert dr_b.delete(f"/api/events/{ev['id']}", params={"version": 1}).status_code == 403
    assert dr_b.post(f"/api/events/{ev['id']}/mois", json={
        "region": "head", "term": "tonic", "start": 0.5, "end": 0.6}).status_code == 403
    assert dr_a.get(f"/api/events/{ev['id']}").json()["t0"] == 0.4
    # dr_b builds on it in their own layer
    r = dr_b.post(f"/api/events/{ev['id']}/copy")
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine["author"] == "dr_b" and mine["origin"] == {"copied_from_event": ev["id"]}
    assert dr_b.patch(f"/api/events/{mine['id']}", json={"version": 1, "t0": 0.2}
                      ).status_code == 200
    copied = dr_b.get(f"/api/events/{mine['id']}/mois").json()
    assert [(m["annotator"], m["start"]) for m in copied] == [("dr_b", 0.4)]
    # dr_a's own edit of their MOI keeps its annotator
    r = dr_a.patch(f"/api/mois/{moi['id']}", json={"version": 1, "end": 0.7})
    assert r.status_code == 200 and r.json()["annotator"] == "clin_a"
    # the history names who did what, with before / after
    hist = dr_b.get(f"/api/events/{ev['id']}/history").json()
    assert [(h["username"], h["action"], h["entity"]) for h in hist] == [
        ("clin_a", "create", "event"), ("clin_a", "create", "moi"), ("clin_a", "update", "moi")]
    assert hist[-1]["before"]["end"] == 0.6 and hist[-1]["after"]["end"] == 0.7
    status = {s["recording_id"]: s for s in dr_a.get("/api/labelling-status").json()}
    people = status[rec["id"]]["annotators"]
    assert [(p["username"], p["events"], p["mois"]) for p in people] == [
        ("clin_a", 1, 1), ("dr_b", 1, 1)]


def test_reviewer_consensus_is_what_the_export_gives(world: World) -> None:
    dr_a = world.client("clin_a")
    dr_b = _user(world, "dr_b", "clinician")
    rev = _user(world, "rev", "reviewer")
    ds = world.client("ds_a")
    rec = make_recording(dr_a)
    ea = make_event(dr_a, rec["id"], t0=0.2, t1=1.0)
    eb = make_event(dr_b, rec["id"], t0=0.3, t1=1.1)
    ma = _moi(dr_a, ea["id"], region="head", term="versive", start=0.3, end=0.6)
    mb = _moi(dr_b, eb["id"], region="left-hand", term="clonic", start=0.5, end=0.9)
    # two annotators, nobody adjudicated: no events exported, the recording is listed
    data = ds.post("/api/exports/manifest", json={"recording_ids": [rec["id"]]}).json()
    assert data["events"] == [] and data["meta"]["not_adjudicated"] == [f"rec-{rec['id']}"]
    # a clinician is no reviewer
    body = {"event_id": ea["id"], "moi_ids": [ma["id"], mb["id"]]}
    assert dr_a.post(f"/api/recordings/{rec['id']}/consensus", json=body).status_code == 403
    r = rev.post(f"/api/recordings/{rec['id']}/consensus", json=body)
    assert r.status_code == 201, r.text
    cons = r.json()
    assert cons["layer"] == "consensus" and cons["author"] == "rev"
    assert cons["origin"] == {"event": ea["id"], "mois": [ma["id"], mb["id"]]}
    # annotators cannot edit the consensus; the reviewer can
    assert dr_a.patch(f"/api/events/{cons['id']}", json={"version": 1, "t0": 0.25}
                      ).status_code == 403
    assert rev.patch(f"/api/events/{cons['id']}", json={"version": 1, "t0": 0.25}
                     ).status_code == 200
    data = ds.post("/api/exports/manifest", json={"recording_ids": [rec["id"]]}).json()
    assert [(e["id"], e["t0"], e["meta"]["layer"]) for e in data["events"]] == [
        (f"ev-{cons['id']}", 0.25, "consensus")]
    assert sorted((m["region"], m["term"]) for m in data["mois"]) == [
        ("head", "versive"), ("left-hand", "clonic")]
    assert "not_adjudicated" not in data["meta"]
    every = ds.post("/api/exports/manifest", json={"recording_ids": [rec["id"]],
                                                   "layers": "all"}).json()
    assert sorted((e["meta"]["annotator"], e["meta"]["layer"]) for e in every["events"]) == [
        ("clin_a", "annotator"), ("dr_b", "annotator"), ("rev", "consensus")]
    status = {s["recording_id"]: s for s in dr_a.get("/api/labelling-status").json()}
    assert status[rec["id"]]["consensus_events"] == 1
    # a MOI of another recording cannot be adjudicated into this one
    other = make_recording(dr_a)
    e_other = make_event(dr_a, other["id"])
    m_other = _moi(dr_a, e_other["id"])
    r = rev.post(f"/api/recordings/{rec['id']}/consensus",
                 json={"event_id": ea["id"], "moi_ids": [m_other["id"]]})
    assert r.status_code == 422 and str(m_other["id"]) in r.text


def test_agreement_of_a_recording_and_of_the_team(world: World) -> None:
    dr_a = world.client("clin_a")
    dr_b = _user(world, "dr_b", "clinician")
    rec = make_recording(dr_a)
    ea = make_event(dr_a, rec["id"], t0=0.2, t1=1.0)
    eb = make_event(dr_b, rec["id"], t0=0.3, t1=1.1)
    _moi(dr_a, ea["id"], start=0.3, end=0.7)
    _moi(dr_b, eb["id"], start=0.3, end=0.7)
    r = dr_a.get(f"/api/recordings/{rec['id']}/agreement", params={"grid_s": 0.1})
    assert r.status_code == 200, r.text
    [pair] = r.json()["pairs"]
    assert (pair["annotator_a"], pair["annotator_b"]) == ("clin_a", "dr_b")
    [m] = pair["matches"]
    assert m["onset_diff_s"] == pytest.approx(0.1) and m["offset_diff_s"] == pytest.approx(0.1)
    assert pair["moi_iou"] == {"head": 1.0} and pair["kappa"] == pytest.approx(1.0)
    team_view = dr_a.get(f"/api/clinics/{world.clinic_a}/agreement").json()
    assert team_view["summary"]["pairs"] == 1
    assert team_view["summary"]["onset_abs_diff_s"]["mean"] == pytest.approx(0.1)
    assert dr_a.get(f"/api/clinics/{world.clinic_b}/agreement").status_code == 404


def test_streams_of_a_recording_and_their_export(world: World, storage_root: Path) -> None:
    clin = world.client("clin_a")
    rec = make_recording(clin)  # ir/clip.mkv: 12 frames at 10 fps
    (storage_root / "depth").mkdir(exist_ok=True)
    write_ir_video(storage_root / "depth" / "clip.mkv")
    write_ir_video(storage_root / "depth" / "short.mkv", n_frames=10)
    np.save(storage_root / "depth" / "joints.npy", np.zeros((12, 25, 3), np.float32))
    url = f"/api/recordings/{rec['id']}/streams"
    r = clin.post(url, json={"path": "depth/short.mkv", "kind": "depth"})
    assert r.status_code == 422 and "10 frames" in r.text and "offset_frames" in r.text
    r = clin.post(url, json={"path": "depth/clip.mkv", "kind": "depth"})
    assert r.status_code == 201, r.text
    assert r.json()["path"] == "depth/clip.mkv" and r.json()["n_frames"] == 12
    assert clin.post(url, json={"path": "depth/clip.mkv", "kind": "depth"}).status_code == 422
    r = clin.post(url, json={"path": "depth/short.mkv", "kind": "rgb", "offset_frames": 2})
    assert r.status_code == 201 and r.json()["offset_frames"] == 2
    assert clin.post(url, json={"path": "depth/joints.npy", "kind": "joints"}).status_code == 201
    assert clin.post(url, json={"path": "../secret.txt", "kind": "depth"}).status_code == 400
    assert [s["kind"] for s in clin.get(url).json()] == ["depth", "joints", "rgb"]
    data = world.client("ds_a").post("/api/exports/manifest",
                                     json={"recording_ids": [rec["id"]]}).json()
    [exported] = data["recordings"]
    assert [(s["kind"], s["path"]) for s in exported["streams"]] == [
        ("ir", "ir/clip.mkv"), ("depth", "depth/clip.mkv"), ("joints", "depth/joints.npy"),
        ("rgb", "depth/short.mkv")]
    assert exported["meta"]["stream_offsets"] == {"rgb": 2}
    rgb = next(s for s in clin.get(url).json() if s["kind"] == "rgb")
    assert clin.delete(f"{url}/{rgb['id']}").status_code == 204
    assert [s["kind"] for s in clin.get(url).json()] == ["depth", "joints"]


def _doc(rec_name: str, **source: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "ictal-predictions/1", "recording": rec_name,
        "model": {"name": "lstm", "bundle_sha256": "ab" * 32},
        "labels": ["FLE", "TLE"], "decision": {"label": "FLE", "probs": [0.6, 0.4]},
        "windows": [{"start_frame": 0, "stop_frame": 4, "t_start": 0.0, "t_stop": 0.4,
                     "probs": [0.6, 0.4]}]}
    if source:
        doc["source"] = {"recording": rec_name} | source
    return doc


def test_model_runs_are_tied_to_their_recording(world: World, storage_root: Path) -> None:
    clin, ds = world.client("clin_a"), world.client("ds_a")
    r4, r6 = make_recording(clin), make_recording(clin)
    url = f"/api/recordings/{r6['id']}/model-runs"
    r = ds.post(url, json=_doc(f"rec-{r4['id']}"))
    assert r.status_code == 422
    assert f"rec-{r4['id']}" in r.text and f"rec-{r6['id']}" in r.text
    r = ds.post(url, json=_doc("clip"))
    assert r.status_code == 422 and "cannot tell" in r.text
    r = ds.post(url, json=_doc("clip", duration=9.0))
    assert r.status_code == 422 and "9.000 s" in r.text and "1.200 s" in r.text
    other = storage_root / "other.bin"
    other.write_bytes(b"not the recording")
    r = ds.post(url, json=_doc("clip", duration=1.2, streams=[
        {"kind": "ir", "fps": "10", "n_frames": 12, "fingerprint": file_fingerprint(other)}]))
    assert r.status_code == 422 and "none of which" in r.text
    good = _doc("clip", duration=1.2, streams=[
        {"kind": "ir", "fps": "10", "n_frames": 12,
         "fingerprint": file_fingerprint(storage_root / "ir" / "clip.mkv")}])
    r = ds.post(url, json=good)
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["source_info"]["streams"][0]["kind"] == "ir" and run["archived_at"] is None
    # archive: hidden from the timeline's list, kept; then deleted
    assert clin.post(f"/api/model-runs/{run['id']}/archive",
                     json={"archived": True}).status_code == 403
    r = ds.post(f"/api/model-runs/{run['id']}/archive", json={"archived": True})
    assert r.status_code == 200 and r.json()["archived_at"] is not None
    assert ds.get(url).json() == []
    assert [x["id"] for x in ds.get(url, params={"archived": True}).json()] == [run["id"]]
    assert ds.delete(f"/api/model-runs/{run['id']}").status_code == 204
    assert ds.get(f"/api/model-runs/{run['id']}").status_code == 404
    audit = world.client("admin_a").get("/api/audit").json()
    assert [a["action"] for a in audit if a["entity"] == "model_run"][:3] == [
        "delete", "archive", "create"]
