"""Phantom nights: the plan of a night, its segments on one timeline, its description."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ictal.errors import ConfigError
from ictal.io import probe
from ictal.manifest.io import load_manifest
from ictal.phantom.generate import plan_patient
from ictal.phantom.nights import (
    ACTIVITY_WEIGHTS,
    NightsConfig,
    load_night,
    night_plan,
    nights_manifest,
    render_nights,
    seizure_type,
)


def test_a_night_plan_is_seeded_and_places_its_seizures() -> None:
    nc = NightsConfig(n_nights=2, hours=1.0, seizures=3)
    patient, plan = night_plan(nc, 1)
    assert night_plan(nc, 1)[1] == plan and night_plan(nc, 0)[1] != plan
    assert len(plan) == 60 and [a for a, _ in plan].count("seizure") == 3
    assert plan[0][0] != "seizure"  # a night starts in bed life
    assert {a for a, _ in plan} - {"seizure"} <= set(ACTIVITY_WEIGHTS)
    types = [seizure_type(1, j, patient.syndrome) for j in range(3)]
    assert [g for _, g in types] == [True, False, True]
    assert types[0][0] == f"{patient.syndrome}+TCS"


def test_nights_are_a_training_manifest_of_their_patients(tmp_path: Path) -> None:
    nc = NightsConfig(n_nights=2, hours=0.05, seizures=1, seed=1000)
    segments = [{"file": "ir/seg-00000.mkv", "start_frame": 0, "n_frames": 900,
                 "activity": "scratching"},
                {"file": "ir/seg-00001.mkv", "start_frame": 900, "n_frames": 450,
                 "activity": "seizure"},
                {"file": "ir/seg-00002.mkv", "start_frame": 1350, "n_frames": 900,
                 "activity": "care"}]
    for k in (0, 1):
        folder = tmp_path / f"N0{k + 1}"
        folder.mkdir()
        (folder / "night.json").write_text(json.dumps({
            "format": "ictal-phantom-night/1", "night": folder.name, "patient": f"P00{k + 1}",
            "syndrome": plan_patient(nc.phantom(), k).syndrome, "fps": "15",
            "n_frames": 2250, "seconds": 150.0, "segments": segments,
            "seizures": [{"id": f"{folder.name}-sz1", "type": "FLE", "onset_s": 65.1,
                          "offset_s": 83.3, "generalised_s": None if k == 0 else 75.0}],
            "activities": [], "recipe": nc.__dict__}))
    m = nights_manifest(tmp_path)
    assert [p.id for p in m.patients] == ["P001", "P002"]
    # the same patients as the phantom of the nights' seed (the bundle's training cohort)
    assert [(p.sex, p.age, p.syndrome) for p in m.patients] == [
        (q.sex, q.age, q.syndrome) for q in (plan_patient(nc.phantom(), k) for k in (0, 1))]
    assert [r.id for r in m.recordings[:3]] == ["N01-seg-00000", "N01-seg-00001",
                                                "N01-seg-00002"]
    assert m.recordings[3].streams[0].path == "N02/ir/seg-00000.mkv"
    assert {r.meta["seed"] for r in m.recordings} == {1000}
    events = {e.id: e for e in m.events}
    life = events["N01-seg-00000-life"]
    assert (life.t0, life.t1, life.label, life.semiology) == (0.0, 60.0, "NE",
                                                              "bed life: scratching")
    # the seizure on its segment's timeline (the segment starts at 60 s of the night)
    sz = events["N02-seg-00001-sz"]
    assert (sz.t0, sz.t1, sz.tG, sz.label) == (5.1, 23.3, 15.0, m.patients[1].syndrome)
    assert (events["N02-seg-00001-pre"].t1, events["N02-seg-00001-post"].t0,
            events["N02-seg-00001-post"].t1) == (5.1, 23.3, 30.0)
    assert sorted({e.label for e in m.events}) == sorted({"NE", *(p.syndrome for p in
                                                                  m.patients)})
    assert m.labels == list(nc.phantom().labels)
    with pytest.raises(ConfigError, match="no rendered night"):
        nights_manifest(tmp_path / "N01")


@pytest.mark.slow
def test_a_rendered_night_is_a_segment_folder_with_its_truth(tmp_path: Path) -> None:
    nc = NightsConfig(n_nights=1, hours=80 / 3600, seizures=1, segment_s=20.0, scale=0.125,
                      fps=10)
    (folder,) = render_nights(nc, tmp_path, workers=1)
    night = load_night(folder)
    segs = night["segments"]
    assert [s["activity"] for s in segs].count("seizure") == 1 and len(segs) == 4
    start = 0
    for s in segs:
        info = probe(folder / s["file"])
        assert (info.n_frames, info.fps, info.width) == (s["n_frames"], 10, 64)
        assert s["start_frame"] == start
        start += s["n_frames"]
    assert night["n_frames"] == start and night["seconds"] == start / 10
    (sz,) = night["seizures"]
    seg = next(s for s in segs if s["activity"] == "seizure")
    assert seg["start_frame"] / 10 < sz["onset_s"] < sz["offset_s"] < (
        seg["start_frame"] + seg["n_frames"]) / 10
    assert sz["type"] == seizure_type(0, 0, night["syndrome"])[0]
    for act in night["activities"]:
        assert 0 <= act["start_s"] < act["end_s"] <= night["seconds"]
    # the nights as a training manifest, its videos where it says
    m = load_manifest(tmp_path / "manifest.yaml")
    assert [r.id for r in m.recordings] == [f"N01-seg-{j:05d}" for j in range(4)]
    assert [e.label for e in m.events].count("NE") == 3 + 2
    # resumed: nothing rendered again
    mtime = (folder / "night.json").stat().st_mtime_ns
    render_nights(nc, tmp_path, workers=1)
    assert (folder / "night.json").stat().st_mtime_ns == mtime
    with pytest.raises(ConfigError, match="another recipe"):
        render_nights(NightsConfig(n_nights=1, hours=80 / 3600, seizures=0, segment_s=20.0,
                                   scale=0.125, fps=10), tmp_path, workers=1)
    (folder / "night.json").write_text(json.dumps({"format": "x"}))
    with pytest.raises(ConfigError, match="unknown format"):
        load_night(folder)
