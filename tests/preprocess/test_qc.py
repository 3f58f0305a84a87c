from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from ictal.preprocess.plan import KeyframeCrop, RecordingPlan
from ictal.preprocess.qc import (
    QcFrame,
    contact_sheet,
    height_above_mattress,
    qc_indices,
    score_frame,
    score_recording,
    success_rate,
)

H, W = 53, 64


def make_plan(crop=(10, 10, 50, 40), det=(15, 15, 45, 35)) -> RecordingPlan:
    return RecordingPlan(
        recording="R1", patient="P1", variant="B", source="ir", streams={}, fps=Fraction(30),
        n_frames=100, width=W, height=H, depth_planes=None, apply_depth_crop=False,
        keyframes=(KeyframeCrop(0, crop, det, None, None, True),), ir_window=None,
        qc_frames=(0, 25, 50, 74, 99), config={"detection": {"margin": 0.2}})


def make_gt(patient=(20, 18, 40, 32), bed=(16, 16, 44, 34), staff=None) -> SimpleNamespace:
    """Ground truth of a flat mattress facing the camera at 2 m (plane z = 2, normal to -z)."""
    staff_boxes = np.asarray([[staff or (-1, -1, -1, -1)]], np.int32)
    return SimpleNamespace(
        patient_box=np.asarray([patient], np.int32), bed_box=np.asarray([bed], np.int32),
        staff_boxes=staff_boxes, staff_present=np.asarray([[staff is not None]]),
        joints_2d=np.asarray([[[25.0, 20.0], [35.0, 30.0]]], np.float32),
        K=np.asarray([[50.0, 0, W / 2], [0, 50.0, H / 2], [0, 0, 1]]),
        bed_plane=np.asarray([0.0, 0.0, -1.0, 2.0]))


def qc_frame(kept: np.ndarray, depth: np.ndarray) -> QcFrame:
    return QcFrame(0, np.zeros((H, W), np.uint8), np.zeros((H, W), np.uint8), depth, kept)


def test_detection_verdict_needs_the_whole_patient_and_a_tight_box() -> None:
    depth = np.full((H, W), 2000, np.uint16)
    frame = qc_frame(np.ones((H, W), bool), depth)
    assert score_frame(frame, make_plan(), make_gt())["detection"] is True
    assert score_frame(frame, make_plan(crop=(22, 10, 50, 40)), make_gt())["detection"] is False
    # the full frame contains the patient but is far larger than the ideal crop
    assert score_frame(frame, make_plan(crop=(0, 0, W, H)), make_gt())["detection"] is False


def test_contains_and_tight_are_scored_apart() -> None:
    frame = qc_frame(np.ones((H, W), bool), np.full((H, W), 2000, np.uint16))
    gt = make_gt()  # bed + patient box (16, 16, 44, 34): 28 x 18 pixels

    def scores(crop: tuple[int, int, int, int]) -> tuple[object, ...]:
        r = score_frame(frame, make_plan(crop=crop), gt)
        return r["contains"], r["tight"], r["detection"], r["reach"]

    # the margin is 0.2: a tight crop stays inside the box grown by 0.2 + 0.1 per side
    assert scores((10, 10, 50, 40)) == (True, True, True, 0.333)
    assert scores((22, 10, 50, 40)) == (False, True, False, 0.333)  # cuts the patient
    assert scores((0, 0, W, H)) == (True, False, False, 1.056)  # the whole frame
    assert scores((5, 10, 50, 40)) == (True, False, False, 0.393)  # 11 px left of the bed
    assert score_frame(frame, make_plan(), gt, tight_slack=0.2)["tight"] is True
    assert score_frame(frame, make_plan(crop=(0, 0, W, H)), gt, tight_slack=1.0)["tight"]
    out_of_view = make_gt(patient=(-1, -1, -1, -1))
    result = score_frame(frame, make_plan(), out_of_view)
    assert result["contains"] is result["tight"] is result["reach"] is None


def test_recording_verdicts_need_every_judged_frame() -> None:
    frame = qc_frame(np.ones((H, W), bool), np.full((H, W), 2000, np.uint16))
    whole = score_recording([frame, frame], make_plan(crop=(0, 0, W, H)), make_gt())
    assert (whole["contains"], whole["tight"], whole["detection"]) == (True, False, False)
    assert len(whole["frames"]) == 2 and whole["depth"] is True
    unjudged = score_recording([frame], make_plan(), make_gt(patient=(-1, -1, -1, -1)))
    assert unjudged["contains"] is None and unjudged["tight"] is None


def test_qc_indices_spread_first_and_last() -> None:
    assert qc_indices(100) == (0, 25, 50, 74, 99)
    assert qc_indices(11, count=3) == (0, 5, 10)
    assert qc_indices(3) == (0, 1, 2)  # fewer frames than asked: each once
    assert qc_indices(1) == (0,) and qc_indices(0) == ()


def test_depth_verdict_keeps_patient_and_removes_staff_in_front() -> None:
    depth = np.full((H, W), 2000, np.uint16)
    depth[5:45, 45:55] = 1000  # staff 1 m in front of the mattress (1 m above it)
    gt = make_gt(staff=(45, 5, 55, 45), bed=(16, 16, 50, 34))
    kept_all = np.ones((H, W), bool)
    result = score_frame(qc_frame(kept_all, depth), make_plan(), gt)
    assert result["joints_kept"] == 1.0 and result["staff_left"] == 1.0
    assert result["depth"] is False
    kept = depth > 1500
    result = score_frame(qc_frame(kept, depth), make_plan(), gt)
    assert result["staff_left"] == 0.0 and result["depth"] is True
    kept[20, 25] = False  # one of the two joints lost
    assert score_frame(qc_frame(kept, depth), make_plan(), gt)["depth"] is False


def test_height_above_mattress() -> None:
    depth = np.full((H, W), 2000, np.uint16)
    depth[0, 0] = 1500
    depth[1, 1] = 0
    h = height_above_mattress(depth, make_gt().K, make_gt().bed_plane)
    assert h[10, 10] == pytest.approx(0.0) and h[0, 0] == pytest.approx(0.5)
    assert np.isnan(h[1, 1])


def test_contact_sheet_draws_solid_crop_and_dotted_detection_boxes() -> None:
    frames = [QcFrame(k, np.full((H, W), 60, np.uint8), np.zeros((H, W), np.uint8), None, None)
              for k in (0, 50, 99)]
    sheet = np.asarray(contact_sheet(frames, make_plan(), tile_width=W))
    assert sheet.shape == (H + 16, 3 * W, 3)
    red = (sheet[..., 0] > 200) & (sheet[..., 1] < 80)
    crop_top = red[16 + 10, 10:50]
    det_top = red[16 + 15, 15:45]
    assert crop_top.all()  # solid
    assert 0.3 < det_top.mean() < 0.8  # dotted
    assert red[16 + 10, W + 10:W + 50].all()  # every tile


def test_success_rate() -> None:
    assert success_rate([True, False, None, True]) == (2, 3, pytest.approx(200 / 3))
    assert success_rate([None]) == (0, 0, None)
