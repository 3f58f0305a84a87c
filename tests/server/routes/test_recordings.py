"""Storage browsing, registering recordings, preview status (routes/recordings.py).

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back
transaction.
"""

from __future__ import annotations

from serverkit import World, make_recording


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


def test_overlong_storage_paths_are_422_with_a_clear_message(world: World) -> None:
    """A file name past the file system's limit (255 bytes) is the client's mistake: 422 that
    says so, on listing and on registering, and the client goes on."""
    client = world.client("clin_a")
    pid = client.post("/api/patients", json={}).json()["id"]
    for path in ["a" * 300, f"ir/{'b' * 300}", f"{'c' * 300}/clip.mkv"]:
        r = client.get("/api/storage", params={"path": path})
        assert r.status_code == 422 and "too long" in r.json()["detail"], r.text
        r = client.post("/api/recordings", json={"patient_id": pid, "path": path})
        assert r.status_code == 422 and "too long" in r.json()["detail"], r.text
        assert client.get("/api/storage").status_code == 200
    assert client.get("/api/recordings").json() == []
