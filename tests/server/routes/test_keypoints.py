"""Keypoints on the platform (routes/keypoints.py): shards imported onto their recording and
refused on another, the skeleton per frame range with its gaps, the per-limb activity lanes.

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back
transaction.
"""

from __future__ import annotations

from fractions import Fraction

from serverkit import World, keypoint_shard, make_recording

from ictal.fsutil import file_fingerprint

HDF5 = {"Content-Type": "application/x-hdf5"}


def test_import_frames_and_lanes(world: World) -> None:
    clin = world.client("clin_a")
    rec = make_recording(clin)
    rid = rec["id"]
    shard = keypoint_shard(f"rec-{rid}")
    ds = world.client("ds_a")
    # clinicians review, data scientists import
    assert clin.post(f"/api/recordings/{rid}/keypoints", content=shard,
                     headers=HDF5).status_code == 403
    r = ds.post(f"/api/recordings/{rid}/keypoints", content=shard, headers=HDF5)
    assert r.status_code == 201, r.text
    kp = r.json()
    assert (kp["n_rows"], kp["first_frame"], kp["last_frame"]) == (12, 0, 11)
    assert kp["body_frames"] == 11 and kp["face_frames"] == 6 and kp["has_3d"] is False
    assert kp["source"] == "phantom" and kp["fps"] == "10"
    assert (kp["width"], kp["height"]) == (64, 48)
    assert kp["joints"][6] == "left_wrist" and [1, 0] in kp["bones"] and len(kp["landmarks"]) == 23
    assert [k["id"] for k in clin.get(f"/api/recordings/{rid}/keypoints").json()] == [kp["id"]]

    frames = clin.get(f"/api/keypoint-sets/{kp['id']}/frames", params={"start": 3, "stop": 8})
    assert frames.status_code == 200, frames.text
    data = frames.json()
    assert data["frames"] == [3, 4, 5, 6, 7]
    # joint 1 (neck) of frame 4 at (10 + 4, 20 + 4); frame 5 a gap (null, not invented)
    assert data["body"][1][1] == [14.0, 24.0, 0.9]
    assert data["body"][2] is None
    assert data["face"][0] is None and data["face"][1][0] == [30.0, 10.0, 0.5]  # frames 3, 4
    # the frames of a range past the set's end: none; a reversed or too long range: 422
    assert clin.get(f"/api/keypoint-sets/{kp['id']}/frames",
                    params={"start": 20, "stop": 30}).json()["frames"] == []
    for bad in ({"start": 5, "stop": 5}, {"start": 0, "stop": 3001}, {"start": -1, "stop": 2}):
        assert clin.get(f"/api/keypoint-sets/{kp['id']}/frames", params=bad).status_code == 422

    lanes = clin.get(f"/api/keypoint-sets/{kp['id']}/lanes").json()
    assert lanes["window_s"] == 1.0 and lanes["unit"].endswith("/s")
    by_limb = {lane["limb"]: lane["windows"] for lane in lanes["limbs"]}
    assert set(by_limb) == {"head", "left_arm", "right_arm", "left_forearm", "right_forearm",
                            "trunk"}
    first = by_limb["left_forearm"][0]
    assert (first["start_frame"], first["stop_frame"]) == (0, 10)
    # the circling left wrist is the fastest limb; the still right arm does not move
    assert first["level"] == 1.0
    assert by_limb["right_forearm"][0]["speed"] == 0.0

    # another clinic sees nothing; data scientists delete (audited)
    other = world.client("clin_b")
    assert other.get(f"/api/keypoint-sets/{kp['id']}").status_code == 404
    assert other.get(f"/api/keypoint-sets/{kp['id']}/frames",
                     params={"start": 0, "stop": 2}).status_code == 404
    assert clin.delete(f"/api/keypoint-sets/{kp['id']}").status_code == 403
    assert ds.delete(f"/api/keypoint-sets/{kp['id']}").status_code == 204
    assert clin.get(f"/api/keypoint-sets/{kp['id']}/lanes").status_code == 404
    audit = world.client("admin_a").get("/api/audit", params={
        "entity": "keypoint_set", "entity_id": kp["id"]}).json()
    assert [e["action"] for e in audit] == ["delete", "create"]


def test_import_refused_on_another_recording(world: World) -> None:
    clin = world.client("clin_a")
    rec, other = make_recording(clin), make_recording(clin)
    ds = world.client("ds_a")
    url = f"/api/recordings/{rec['id']}/keypoints"

    def refused(shard: bytes, *words: str) -> None:
        r = ds.post(url, content=shard, headers=HDF5)
        assert r.status_code == 422, r.text
        text = r.text
        assert all(w in text for w in words), text

    # the shard names the other recording
    refused(keypoint_shard(f"rec-{other['id']}"), f"rec-{other['id']}", str(rec["id"]))
    # a name this server does not know, and no recording_source
    refused(keypoint_shard("P01_r0"), "'P01_r0'", "recording_source")
    # computed on other files (fingerprints) or of another length
    stream = {"kind": "ir", "fps": "10", "n_frames": 12, "fingerprint": "sz1:" + "0" * 64}
    refused(keypoint_shard("P01_r0", source={"recording": "P01_r0", "duration": 1.2,
                                             "streams": [stream]}), "none of which")
    refused(keypoint_shard("P01_r0", source={"recording": "P01_r0", "duration": 3.0,
                                             "streams": []}), "3.000 s", "1.200 s")
    # other frame rate, frame size, length
    refused(keypoint_shard(f"rec-{rec['id']}", fps=Fraction(25)), "25 fps")
    refused(keypoint_shard(f"rec-{rec['id']}", width=640, height=480), "640x480", "64x48")
    refused(keypoint_shard(f"rec-{rec['id']}", n_frames=30), "frame 29", "12 frames")
    refused(keypoint_shard(f"rec-{rec['id']}", n_frames=8), "8 frames")
    # not a keypoint file at all
    refused(b"not an hdf5 file", "not a readable ictal keypoint file")
    assert ds.post(url, content=b"", headers=HDF5).status_code == 422
    # the right files under another name: accepted by their fingerprint
    storage = world.app.state.ictal.settings.storage
    good = dict(stream, fingerprint=file_fingerprint(storage / "ir" / "clip.mkv"))
    r = ds.post(url, content=keypoint_shard("P01_r0", source={
        "recording": "P01_r0", "duration": 1.2, "streams": [good]}), headers=HDF5)
    assert r.status_code == 201, r.text
    assert r.json()["provenance"]["recording_source"]["recording"] == "P01_r0"
    assert ds.get(f"/api/recordings/{other['id']}/keypoints").json() == []
