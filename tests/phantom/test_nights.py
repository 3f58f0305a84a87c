"""Phantom nights: the plan of a night, its segments on one timeline, its description."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ictal.errors import ConfigError
from ictal.io import probe
from ictal.phantom.nights import (
    ACTIVITY_WEIGHTS,
    NightsConfig,
    load_night,
    night_plan,
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
