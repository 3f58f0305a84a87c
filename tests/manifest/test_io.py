from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from ictal.errors import ManifestError
from ictal.manifest import (
    Event,
    Manifest,
    MoiAnnotation,
    Montage,
    Patient,
    Recording,
    Stream,
    load_manifest,
    manifest_to_dict,
    save_manifest,
    summarize,
)


def _manifest(root: Path) -> Manifest:
    (root / "videos").mkdir(parents=True, exist_ok=True)
    for name in ("R1_ir.mkv", "R1_depth.mkv", "R2_rgb.mp4"):
        (root / "videos" / name).write_bytes(b"x")
    return Manifest(
        name="tiny",
        labels=["FLE", "TLE", "NE"],
        patients=[
            Patient(id="P01", sex="F", age=31, syndrome="FLE", etiology="FCD", invasive=True,
                    meta={"site": "A"}),
            Patient(id="P02", syndrome="TLE-left"),
        ],
        recordings=[
            Recording(id="R1", patient="P01", camera="bed-3", streams=[
                Stream(kind="ir", path="videos/R1_ir.mkv", fps=30, width=512, height=424,
                       n_frames=900),
                Stream(kind="depth", path="videos/R1_depth.mkv", fps=30, width=512,
                       height=424, n_frames=900),
            ]),
            Recording(id="R2", patient="P02", streams=[
                Stream(kind="rgb", path="videos/R2_rgb.mp4", fps=Fraction(30000, 1001),
                       width=1280, height=720),
            ], montage=Montage(small_box=(960, 540, 1280, 720))),
        ],
        events=[
            Event(id="E1", recording="R1", t0=5.0, t1=20.0, label="FLE",
                  seizure_types="hypermotor", semiology="hyperkinetic -> tonic"),
            Event(id="E2", recording="R1", t0=0.0, t1=5.0, label="NE"),
            Event(id="E3", recording="R2", t0=10.0, t1=70.5, tG=50.0, label="TLE"),
        ],
        mois=[MoiAnnotation(id="M1", event="E3", region="right-hand", term="automatisms",
                            start=12.0, end=20.0, annotator="dr-x")],
    )


def test_save_load_round_trip_is_lossless(tmp_path: Path) -> None:
    m = _manifest(tmp_path)
    # every value declared: nothing is taken from the (placeholder) files when loading
    r2 = m.recording("R2")
    m.recordings[1] = r2.model_copy(update={"streams": [
        r2.streams[0].model_copy(update={"n_frames": 2400})]})
    save_manifest(m, tmp_path / "manifest.yaml")
    loaded = load_manifest(tmp_path / "manifest.yaml")
    assert manifest_to_dict(loaded) == manifest_to_dict(m)
    assert loaded.recording("R2").streams[0].fps == Fraction(30000, 1001)
    assert loaded.resolve(loaded.recording("R1").streams[0]) == tmp_path / "videos/R1_ir.mkv"
    # saved a second time, the file is byte-identical
    save_manifest(loaded, tmp_path / "again.yaml")
    assert (tmp_path / "again.yaml").read_text() == (tmp_path / "manifest.yaml").read_text()


def test_paths_are_relative_to_the_manifest(tmp_path: Path) -> None:
    save_manifest(_manifest(tmp_path), tmp_path / "manifest.yaml")
    text = (tmp_path / "manifest.yaml").read_text()
    assert "videos/R1_ir.mkv" in text and str(tmp_path) not in text


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_every_problem_is_reported_at_once_with_row_and_field(tmp_path: Path) -> None:
    data = manifest_to_dict(_manifest(tmp_path))
    data["patients"].append({"id": "P01"})  # duplicate id
    data["patients"].append({"id": "P03", "name": "Jane Doe"})  # identifying field
    data["recordings"][1]["patient"] = "P99"  # unknown patient
    data["recordings"][0]["streams"][0]["path"] = "videos/missing.mkv"
    data["events"][0]["t1"] = 4.0  # t1 <= t0
    data["events"][2]["tG"] = 80.0  # tG outside [t0, t1]
    data["events"][1]["label"] = "PNES"  # unknown label
    data["events"][1]["t1"] = 100.0  # past the end of R1 (30 s)
    data["mois"][0]["end"] = 11.0  # end <= start
    data["mois"].append({"id": "M2", "event": "E9", "region": "head", "term": "version",
                         "start": 1.0, "end": 2.0})
    with pytest.raises(ManifestError) as info:
        load_manifest(_write(tmp_path, data))
    problems = "\n".join(info.value.problems)
    expected = [
        "duplicate id 'P01'",
        "field 'name': identifying data is never stored",
        "unknown patient 'P99'",
        "file not found",
        "field 't1': offset 4.0 must be after onset",
        "field 'tG': 80.0 lies outside",
        "unknown label 'PNES'",
        "past the end of recording 'R1'",
        "field 'end': 11.0 must be after start 12.0",
        "unknown event 'E9'",
    ]
    for fragment in expected:
        assert fragment in problems, fragment
    assert len(info.value.problems) >= len(expected)
    # each problem names the row (section[index] and line) it comes from
    assert "events[2] (id=E3)" in problems and "line " in problems


def test_type_errors_name_the_field(tmp_path: Path) -> None:
    data = manifest_to_dict(_manifest(tmp_path))
    data["patients"][0]["age"] = "thirty"
    data["recordings"][0]["streams"][0]["fps"] = "fast"
    del data["events"][0]["label"]
    with pytest.raises(ManifestError) as info:
        load_manifest(_write(tmp_path, data))
    problems = "\n".join(info.value.problems)
    assert "patients[0] (id=P01): field 'age'" in problems
    assert "field 'streams.0.fps'" in problems
    assert "events[0] (id=E1): field 'label': required field is missing" in problems


def test_unreadable_and_non_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read"):
        load_manifest(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("patients: [\n")
    with pytest.raises(ManifestError, match="not valid YAML"):
        load_manifest(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(ManifestError, match="YAML mapping"):
        load_manifest(bad)


def test_check_files_can_be_skipped(tmp_path: Path) -> None:
    data = manifest_to_dict(_manifest(tmp_path))
    data["recordings"][0]["streams"][0]["path"] = "elsewhere/R1_ir.mkv"
    m = load_manifest(_write(tmp_path, data), check_files=False)
    assert m.recording("R1").stream("ir").path == "elsewhere/R1_ir.mkv"


def test_summary_counts_classes_and_durations(tmp_path: Path) -> None:
    s = summarize(_manifest(tmp_path))
    assert s["patients"] == 2 and s["events"] == 3
    assert s["events_per_class"] == {"FLE": 1, "NE": 1, "TLE": 1}
    assert s["event_seconds"] == pytest.approx(15.0 + 5.0 + 60.5)
    assert s["patients_per_class"]["TLE"] == 1
    assert s["recording_seconds"] == pytest.approx(30.0)


def test_lookups_name_what_is_missing(tmp_path: Path) -> None:
    m = _manifest(tmp_path)
    assert m.patient_of_event(m.event("E3")).id == "P02"
    assert [e.id for e in m.events_of("R1")] == ["E1", "E2"]
    with pytest.raises(KeyError, match="R1 has no rgb stream"):
        m.recording("R1").stream("rgb")
    with pytest.raises(KeyError, match="no event with id 'E42'"):
        m.event("E42")
