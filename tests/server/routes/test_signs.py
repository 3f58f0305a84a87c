"""Semiological signs of an event (seed 004): labelled through the API, kept through edits and
copies, exported as the manifest's ``meta.signs`` and read back by the semiology tables.

Runs on SQLite and (marker ``postgres``) on PostgreSQL, each in a rolled-back transaction.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from serverkit import PASSWORD, World, make_event, make_recording

from ictal.features.semiology import SemiologyInputs, event_signs, semiology_table, task_label
from ictal.keypoints.store import KeypointTrack, shard_path, write_track
from ictal.manifest import Manifest, load_manifest


def test_signs_round_trip_from_labels_to_the_semiology_tables(world: World,
                                                              tmp_path: Path) -> None:
    clin = world.client("clin_a")
    rec = make_recording(clin)
    # labelled with the event, or edited later; unknown or repeated signs are refused
    dyst = make_event(clin, rec["id"], t0=0.1, t1=0.5, label="HKN",
                      signs=["dystonia", "dystonia-right"])
    assert dyst["signs"] == ["dystonia", "dystonia-right"]
    plain = make_event(clin, rec["id"], t0=0.6, t1=1.1, label="HKN")
    assert plain["signs"] == []
    for bad in (["tremor"], ["emotion", "emotion"], "dystonia", [1]):
        r = clin.post(f"/api/recordings/{rec['id']}/events",
                      json={"t0": 0.2, "t1": 0.4, "label": "HKN", "signs": bad})
        assert r.status_code == 422, (bad, r.text)
    emo = make_event(clin, rec["id"], t0=0.2, t1=0.9, label="HKN", signs=["emotion"])
    r = clin.patch(f"/api/events/{emo['id']}",
                   json={"version": 1, "signs": ["emotion", "emotion-fear", "dystonia"]})
    assert r.status_code == 200 and r.json()["signs"] == ["emotion", "emotion-fear", "dystonia"]
    r = clin.patch(f"/api/events/{emo['id']}", json={"version": 2, "signs": None})
    assert r.status_code == 200 and r.json()["signs"] == []
    r = clin.patch(f"/api/events/{emo['id']}",
                   json={"version": 3, "signs": ["emotion", "emotion-fear"]})
    assert r.status_code == 200 and r.json()["version"] == 4
    assert clin.patch(f"/api/events/{emo['id']}", json={"version": 4, "signs": ["fear"]}
                      ).status_code == 422
    # a label edit leaves the signs alone; the audit log has them before and after
    r = clin.patch(f"/api/events/{emo['id']}", json={"version": 4, "label": "FLE"})
    assert r.json()["signs"] == ["emotion", "emotion-fear"]
    hist = clin.get(f"/api/events/{emo['id']}/history").json()
    assert hist[1]["before"]["signs"] == ["emotion"]
    assert hist[1]["after"]["signs"] == ["emotion", "emotion-fear", "dystonia"]
    # another annotator's copy keeps them
    admin = world.client("admin_a")
    assert admin.post("/api/users", json={"username": "dr_b", "password": PASSWORD,
                                          "role": "clinician",
                                          "clinic_ids": [world.clinic_a]}).status_code == 201
    copy = world.client("dr_b").post(f"/api/events/{dyst['id']}/copy").json()
    assert copy["signs"] == ["dystonia", "dystonia-right"]

    # exported (every layer) as meta.signs, only where there are signs
    r = world.client("ds_a").post("/api/exports/manifest",
                                  json={"clinic_ids": [world.clinic_a], "layers": "all"})
    assert r.status_code == 200, r.text
    exported = {e["id"]: e for e in r.json()["events"]}
    assert exported[f"ev-{dyst['id']}"]["meta"]["signs"] == ["dystonia", "dystonia-right"]
    assert exported[f"ev-{copy['id']}"]["meta"]["signs"] == ["dystonia", "dystonia-right"]
    assert exported[f"ev-{emo['id']}"]["meta"]["signs"] == ["emotion", "emotion-fear"]
    assert "signs" not in exported[f"ev-{plain['id']}"]["meta"]
    path = tmp_path / "emu.yaml"
    path.write_text(yaml.safe_dump(r.json(), sort_keys=False))
    manifest = load_manifest(path, check_files=False)
    by_id = {e.id: e for e in manifest.events}
    assert by_id[f"ev-{emo['id']}"].signs == ("emotion", "emotion-fear")

    # read back by the seed-004 tables, on a keypoint shard of the recording (12 frames, 10 fps)
    keypoints = tmp_path / "keypoints"
    rng = np.random.default_rng(0)
    body = np.concatenate([rng.uniform(10, 50, (12, 11, 2)), np.ones((12, 11, 1))], axis=2)
    face = np.concatenate([rng.uniform(10, 50, (12, 23, 2)), np.ones((12, 23, 1))], axis=2)
    rec_id = f"rec-{rec['id']}"
    write_track(shard_path(keypoints, rec_id), KeypointTrack(
        recording=rec_id, fps=Fraction(10), width=64, height=48, frames=np.arange(12),
        body=body, face=face))
    inputs = SemiologyInputs(manifest, keypoints)
    want = {"dystonia": {dyst["id"]: "dystonia", plain["id"]: "no-dystonia",
                         emo["id"]: "no-dystonia", copy["id"]: "dystonia"},
            "emotion": {dyst["id"]: "no-emotion", plain["id"]: "no-emotion",
                        emo["id"]: "emotion", copy["id"]: "no-emotion"},
            "lateralisation": {dyst["id"]: "right", copy["id"]: "right"}}
    for task, labels in want.items():
        table = semiology_table(inputs, task, frames=4)
        assert dict(zip(table.event.tolist(), table.label.tolist(), strict=True)) == {
            f"ev-{i}": label for i, label in labels.items()}, task
    # a side alone is a dystonia (the refined sign implies its base)
    side_only = make_event(clin, rec["id"], t0=0.3, t1=0.7, label="HKN",
                           signs=["dystonia-left"])
    r = world.client("ds_a").post("/api/exports/manifest",
                                  json={"clinic_ids": [world.clinic_a], "layers": "all"})
    ev = next(e for e in load_manifest_from(r.json(), tmp_path).events
              if e.id == f"ev-{side_only['id']}")
    assert task_label(event_signs(ev), "dystonia") == "dystonia"
    assert task_label(event_signs(ev), "lateralisation") == "left"


def load_manifest_from(data: dict[str, Any], folder: Path) -> Manifest:
    """``data`` (an export's JSON) saved as YAML and loaded as ictal reads a manifest."""
    path = folder / "again.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_manifest(path, check_files=False)
