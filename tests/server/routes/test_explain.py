"""Explanations on the platform (routes/explain.py): ``explanation.json`` imported onto its
recording and refused when it does not fit; what the labelling screen draws.

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back
transaction.
"""

from __future__ import annotations

from typing import Any

from serverkit import World, make_recording


def explanation(n_frames: int, fps: str, *, windows: int = 3) -> dict[str, Any]:
    """An ``ictal-explanation/1`` document of ``windows`` windows over ``n_frames``."""
    length = n_frames // windows
    out = []
    for i in range(windows):
        w: dict[str, Any] = {"index": i, "start_frame": i * length,
                             "stop_frame": (i + 1) * length, "t_start": i * 0.4,
                             "t_stop": (i + 1) * 0.4, "probs": [0.3, 0.7],
                             "contribution": 0.05 * (i - 1), "explained": i == 2}
        if i == 2:
            w |= {"method": "occlusion", "frame_mass": [1 / length] * length,
                  "heat": {"box": [10, 5, 50, 40], "grid": [[0.0, 1.0], [0.25, 0.5]]}}
        out.append(w)
    return {"format": "ictal-explanation/1", "recording": "clip", "fps": fps,
            "model": {"name": "fast"}, "labels": ["FLE", "TLE"],
            "decision": {"label": "TLE", "probs": [0.3, 0.7]}, "target": 1,
            "method": "occlusion", "windows": out}


def test_import_and_read_an_explanation(world: World) -> None:
    clin = world.client("clin_a")
    rec = make_recording(clin)
    rid, n, fps = rec["id"], rec["n_frames"], rec["fps"]
    ds = world.client("ds_a")
    assert clin.get(f"/api/recordings/{rid}/explanation").status_code == 404
    doc = explanation(n, fps)
    # clinicians look, data scientists import
    assert clin.post(f"/api/recordings/{rid}/explanation", json=doc).status_code == 403
    r = ds.post(f"/api/recordings/{rid}/explanation", json=doc)
    assert r.status_code == 201, r.text
    got = clin.get(f"/api/recordings/{rid}/explanation").json()
    assert got["target"] == "TLE" and got["decision"] == "TLE" and got["model"] == "fast"
    assert [w["contribution"] for w in got["windows"]] == [-0.05, 0.0, 0.05]
    last = got["windows"][2]
    assert last["explained"] and last["heat"]["grid"][0] == [0.0, 1.0]
    assert len(last["frame_mass"]) == last["stop_frame"] - last["start_frame"]
    assert got["imported_by"] == "ds_a"
    # another clinic sees nothing
    assert world.client("clin_b").get(f"/api/recordings/{rid}/explanation").status_code == 404


def test_an_explanation_of_another_video_is_refused(world: World) -> None:
    clin = world.client("clin_a")
    rec = make_recording(clin)
    rid, n, fps = rec["id"], rec["n_frames"], rec["fps"]
    ds = world.client("ds_a")
    late = explanation(n * 2, fps)
    r = ds.post(f"/api/recordings/{rid}/explanation", json=late)
    assert r.status_code == 422 and "outside the recording" in r.text
    r = ds.post(f"/api/recordings/{rid}/explanation", json=explanation(n, "7"))
    assert r.status_code == 422 and "frames/s" in r.text
    r = ds.post(f"/api/recordings/{rid}/explanation", json={**explanation(n, fps),
                                                           "format": "ictal-predictions/1"})
    assert r.status_code == 422 and "not an explanation" in r.text
    bad = explanation(n, fps)
    bad["windows"][2]["heat"]["grid"] = [[2.0]]
    assert ds.post(f"/api/recordings/{rid}/explanation", json=bad).status_code == 422
    assert clin.get(f"/api/recordings/{rid}/explanation").status_code == 404
