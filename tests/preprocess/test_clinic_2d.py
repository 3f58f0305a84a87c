"""Variant 2d on the phantom's 2D clinic camera: the pose detector's crop against the ground
truth, and ``ictal preprocess --variant 2d`` end to end through the command line."""

from __future__ import annotations

import csv
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.io import open_video
from ictal.io.montage import split_montage
from ictal.manifest import Manifest, load_manifest
from ictal.manifest.groundtruth import load_ground_truth
from ictal.preprocess.boxes import clip_box, contains, expand_box, merge_boxes
from ictal.preprocess.detection import detection_crop_box
from ictal.preprocess.pose_detector import MAX_REGION, PoseBoxDetector, PoseDetections

pytestmark = pytest.mark.slow


def clinic(out: Path, *, night: float, montage: float) -> Path:
    """Three short recordings of the clinic camera at 704x576 (seed 0)."""
    from ictal.phantom import PhantomConfig, generate_dataset

    cfg = PhantomConfig.clinic(
        n_patients=3, pre_s=(0.5, 0.5), post_s=(0.5, 0.5), duration_scale=0.05,
        clinic_camera={"sizes": ((704, 576),), "size_weights": (1.0,), "p_night": night,
                       "p_montage": montage})
    assert generate_dataset(cfg, out, workers=1, progress=False).report.exit_code == 0
    return out


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Colour video by day; two of the three recordings are montages (seed 0)."""
    return clinic(tmp_path_factory.mktemp("clinic-day"), night=0.0, montage=0.5)


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Night-vision infrared: grey in a colour container, the room falling off into the dark."""
    return clinic(tmp_path_factory.mktemp("clinic-night"), night=1.0, montage=0.0)


def _crop_holds(crop: tuple[int, int, int, int], patient: np.ndarray, bed: np.ndarray,
                size: tuple[int, int]) -> tuple[bool, bool]:
    """The QC's verdicts: the crop contains the patient, and lies within the true bed +
    patient box grown by the margin (0.3) plus 10 %."""
    person = tuple(int(v) for v in patient)
    truth = merge_boxes(person, tuple(int(v) for v in bed))  # type: ignore[arg-type]
    return (contains(crop, person),  # type: ignore[arg-type]
            contains(clip_box(expand_box(truth, 0.4), *size), crop))


def test_pose_detector_crop_against_the_ground_truth(day: Path, models: None) -> None:
    """On the first frame of each picture (a whole frame, or each view of a montage) the
    person and the bed derived from them make a crop that holds the patient and is tight."""
    manifest = load_manifest(day / "manifest.yaml")
    detector = PoseBoxDetector()
    judged = 0
    for rec in manifest.recordings:
        gt = load_ground_truth(day / "groundtruth" / f"{rec.id}.npz")
        with open_video(manifest.resolve(rec.streams[0])) as reader:
            frame = reader.read(0, 1)[0]
        pictures = ({"": frame} if rec.montage is None
                    else dict(split_montage(frame, rec.montage)))
        for view, picture in pictures.items():
            truth = gt.for_view(view) if rec.montage is not None else gt
            h, w = picture.shape[:2]
            decision = detection_crop_box(detector.detect(picture), w, h, margin=0.3)
            assert decision.ok and decision.person is not None and decision.bed is not None
            assert decision.crop_box is not None and decision.crop_box != (0, 0, w, h)
            holds, tight = _crop_holds(decision.crop_box, truth.patient_box[0],
                                       truth.bed_box[0], (w, h))
            assert holds and tight, f"{rec.id} {view}: {decision.crop_box}"
            judged += 1
    assert judged == 5  # one recording of one view, two montages of two


def test_pose_detector_finds_each_person_of_a_picture(day: Path, models: None) -> None:
    """Two rooms one above the other (the first frame of a recording twice): the detector
    keeps a person in each half, the best as the detection and the other among its others."""
    manifest = load_manifest(day / "manifest.yaml")
    rec = next(r for r in manifest.recordings if r.montage is None)
    with open_video(manifest.resolve(rec.streams[0])) as reader:
        frame = reader.read(0, 1)[0]
    h = frame.shape[0]
    twice = np.concatenate([frame, frame], axis=0)
    detector = PoseBoxDetector()
    people = detector.poses(twice)
    halves = [int(np.median(p.landmarks[:, 1]) >= h) for p in people]
    assert set(halves) == {0, 1}, [np.median(p.landmarks[:, :2], axis=0) for p in people]
    found = detector.detect(twice)
    assert isinstance(found, PoseDetections) and len(found.others) == len(people) - 1
    np.testing.assert_array_equal(found.landmarks, people[0].landmarks)
    pose = detector.pose(twice)
    assert pose is not None and np.array_equal(pose.landmarks, people[0].landmarks)


def test_pose_detector_leaves_out_regions_wider_than_the_picture(day: Path,
                                                                 models: None) -> None:
    """A detection whose landmark region is wider than ``max_region`` picture diagonals is
    left out before the landmark model runs (:data:`MAX_REGION`)."""
    manifest = load_manifest(day / "manifest.yaml")
    rec = next(r for r in manifest.recordings if r.montage is None)
    with open_video(manifest.resolve(rec.streams[0])) as reader:
        frame = reader.read(0, 1)[0]
    diagonal = math.hypot(frame.shape[1], frame.shape[0])

    def regions(detector: PoseBoxDetector) -> list[float]:
        return [max(p.roi.width, p.roi.height) / diagonal for p in detector.poses(frame)]

    found = regions(PoseBoxDetector())
    assert found and max(found) <= MAX_REGION
    limit = 0.9 * min(found)  # narrower than every region found by default
    assert all(r <= limit for r in regions(PoseBoxDetector(max_region=limit)))


def _cli_preprocess(data: Path, out: Path) -> list[dict[str, str]]:
    res = CliRunner().invoke(build_app(), ["preprocess", str(data / "manifest.yaml"), "--out",
                                           str(out), "--variant", "2d", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "variant 2d" in res.output
    return list(csv.DictReader((out / "summary.csv").open()))


def test_preprocess_variant_2d_end_to_end(day: Path, tmp_path: Path, models: None) -> None:
    rows = _cli_preprocess(day, tmp_path / "pre")
    manifest: Manifest = load_manifest(day / "manifest.yaml")
    assert [r["recording"] for r in rows] == [r.id for r in manifest.recordings]
    for row, rec in zip(rows, manifest.recordings, strict=True):
        assert row["status"] == "done" and row["variant"] == "2d" and row["depth_crop"] == ""
        assert (row["detection"], row["detected"]) == ("pose", "True")
        assert (row["crop_contains"], row["crop_tight"], row["detection_qc"]) == (
            "True", "True", "True"), row
        folder = tmp_path / "pre" / rec.id
        with Image.open(folder / "qc.png") as sheet:
            assert sheet.width == 5 * 256  # five QC frames, first and last included
        plan = json.loads((folder / "plan.json").read_text())
        assert plan["source"] == "rgb" and plan["config"]["source"] == "auto"
        assert plan["light_window"] is not None and plan["ir_window"] is None
        crops = plan["keyframes"][0]["views"] or [plan["keyframes"][0]]
        assert len(crops) == (1 if rec.montage is None else 2)
        fps = Fraction(plan["fps"])  # searched every 0.5 s within the first 10 s
        assert plan["config"]["detection"]["search_seconds"] == 10
        searched = range(0, min(math.floor(10 * fps), plan["n_frames"] - 1) + 1, round(fps / 2))
        for crop in crops:  # what found the boxes, and how the bed was derived
            assert crop["detector"] == "pose" and crop["ok"]
            assert crop["person_from"].startswith("pose landmarks")
            assert "median of" in crop["person_from"]
            assert "body axis" in crop["bed_from"] and "3rd most extreme" in crop["bed_from"]
            # the consensus of the searched frames with somebody on them (the first 11)
            found = crop["detected_on"]
            assert set(found) <= set(searched) and len(found) <= 11
            assert len(found) >= min(5, len(searched))
        qc = json.loads((folder / "qc.json").read_text())["scores"]
        assert len(qc["frames"]) == 5
        if rec.montage is not None:  # scored on each view against its own ground truth
            assert set(qc["frames"][0]["views"]) == {"large", "small"}
            assert "; small: " in row["crop_box"]


def test_preprocess_variant_2d_on_night_infrared(night: Path, tmp_path: Path,
                                                 models: None) -> None:
    rows = _cli_preprocess(night, tmp_path / "pre")
    for row in rows:
        plan = json.loads((tmp_path / "pre" / row["recording"] / "plan.json").read_text())
        assert plan["source"] == "ir" and "source: ir (auto)" in plan["notes"]
        light = plan["light_window"]  # the dark room is lifted: median grey to 0.4
        assert light["gamma"] < 1 and light["median"] < 80
        assert row["crop_contains"] == "True"
    assert sum(r["detection_qc"] == "True" for r in rows) >= 2
