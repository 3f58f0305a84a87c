"""The ``pose`` detector: person box from landmarks, the bed a body axis implies, the search
windows."""

from __future__ import annotations

import numpy as np
import pytest

from ictal.landmarks import POSE_LANDMARKS, Roi
from ictal.preprocess.detection import BED, PERSON, detection_crop_box
from ictal.preprocess.pose_detector import (
    BED_FOOT,
    BED_HALF_WIDTH,
    BED_HALF_WIDTH_SHOULDERS,
    BED_HEAD,
    body_axis,
    derived_bed_box,
    landmarks_box,
    search_windows,
)

L = {name: i for i, name in enumerate(POSE_LANDMARKS)}


def lying(feet: tuple[float, float], head: tuple[float, float], shoulder_span: float = 0.0,
          ) -> np.ndarray:
    """``(33, 5)`` landmarks of a body from ``feet`` to ``head`` (px): every landmark on the
    axis between them, the shoulders ``shoulder_span`` apart across it."""
    f, h = np.asarray(feet, float), np.asarray(head, float)
    out = np.zeros((33, 5), np.float32)
    out[:, 3:] = 1.0
    t = np.linspace(0.0, 1.0, 33)
    out[:, :2] = f + t[:, None] * (h - f)
    for name in ("nose", "left_ear", "right_ear"):
        out[L[name], :2] = h
    for name in ("left_ankle", "right_ankle", "left_heel", "right_heel"):
        out[L[name], :2] = f
    u = (h - f) / np.hypot(*(h - f))
    n = np.array([-u[1], u[0]])
    mid = f + 0.8 * (h - f)
    out[L["left_shoulder"], :2] = mid + n * shoulder_span / 2
    out[L["right_shoulder"], :2] = mid - n * shoulder_span / 2
    return out


def test_landmarks_box_grows_by_the_allowance_and_stays_in_the_frame() -> None:
    marks = lying((100, 50), (300, 50))  # 200 px long, 0 px thick
    np.testing.assert_allclose(landmarks_box(marks, 640, 360, allowance=0.15),
                               [70, 20, 330, 80])
    np.testing.assert_allclose(landmarks_box(marks, 640, 360, allowance=0.0), [100, 50, 300, 50])
    np.testing.assert_allclose(landmarks_box(marks, 310, 60, allowance=0.15), [70, 20, 310, 60])


def test_bed_along_the_body_axis() -> None:
    marks = lying((100, 200), (300, 200))  # feet left, head right, L = 200 px
    feet, head = body_axis(marks)
    np.testing.assert_allclose(feet, [100, 200])
    np.testing.assert_allclose(head, [300, 200])
    box = derived_bed_box(marks, 640, 360)
    assert box is not None
    np.testing.assert_allclose(box, [100 - BED_FOOT * 200, 200 - BED_HALF_WIDTH * 200,
                                     300 + BED_HEAD * 200, 200 + BED_HALF_WIDTH * 200],
                               atol=1e-3)
    # head down in the picture: the room for the pillow is below the head
    down = derived_bed_box(lying((320, 40), (320, 240)), 640, 360)
    assert down is not None and down[3] == pytest.approx(240 + BED_HEAD * 200, abs=1e-3)
    assert down[1] == pytest.approx(40 - BED_FOOT * 200, abs=1e-3)


def test_bed_width_follows_the_shoulders_when_the_body_is_foreshortened() -> None:
    # seen along the bed: the body is 60 px long, the shoulders 50 px apart across it
    marks = lying((300, 100), (300, 160), shoulder_span=50)
    box = derived_bed_box(marks, 640, 360)
    assert box is not None
    assert box[2] - box[0] == pytest.approx(2 * BED_HALF_WIDTH_SHOULDERS * 50, abs=1e-3)
    assert derived_bed_box(lying((300, 100), (303, 102)), 640, 360) is None  # seen end on


def test_person_and_bed_make_the_seeds_crop() -> None:
    from ictal.landmarks import Pose
    from ictal.preprocess.pose_detector import pose_detections

    marks = lying((100, 200), (300, 200), shoulder_span=40)
    pose = Pose(marks, marks[:2], 0.9, Roi(200, 200, 260, 260))
    found = pose_detections(pose, 640, 360)
    assert found.classes == (PERSON, BED) and found.scores.tolist() == pytest.approx([0.9] * 2)
    assert "body axis" in (found.source_of_best(BED) or "")
    decision = detection_crop_box(found, 640, 360, margin=0.3)
    assert decision.ok and decision.bed_source == found.source_of_best(BED)
    assert decision.person_source is not None and "landmarks" in decision.person_source
    # the crop holds the person and the bed, grown by 30 %
    x0, y0, x1, y1 = decision.crop_box
    half = BED_HALF_WIDTH * 200
    assert x0 <= 70 and x1 >= 330 and y0 < 200 - half and y1 > 200 + half
    no_bed = pose_detections(pose, 640, 360, derive_bed=False)
    assert no_bed.classes == (PERSON,)


def test_search_windows_cover_the_frame_enlarged() -> None:
    wide = search_windows(640, 360, zoom=1.5)
    assert wide == [(0, 0, 427, 360), (106, 0, 533, 360), (213, 0, 640, 360)]
    tall = search_windows(360, 640, zoom=2.0)
    assert tall == [(0, 0, 360, 320), (0, 160, 360, 480), (0, 320, 360, 640)]
