"""The ``pose`` detector: person box from landmarks, the bed a body axis implies, the body axis
of several frames, the search windows and the turned picture."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ictal.landmarks import POSE_LANDMARKS, Pose, Roi
from ictal.landmarks.geometry import crop_to_frame
from ictal.preprocess.detection import BED, PERSON, Detections, detection_crop_box
from ictal.preprocess.pose_detector import (
    AXIS_END_RANK,
    BED_END,
    BED_HALF_WIDTH,
    BED_HALF_WIDTH_SHOULDERS,
    PoseDetections,
    axis_consensus,
    bed_around_axis,
    bed_direction,
    body_axis,
    derived_bed_box,
    distinct_people,
    landmarks_box,
    person_who_stays,
    pose_consensus,
    pose_detections,
    search_windows,
    turned_picture,
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
    np.testing.assert_allclose(box, [100 - BED_END * 200, 200 - BED_HALF_WIDTH * 200,
                                     300 + BED_END * 200, 200 + BED_HALF_WIDTH * 200],
                               atol=1e-3)
    # head down in the picture: the bed reaches as far beyond the head as beyond the feet
    down = derived_bed_box(lying((320, 40), (320, 240)), 640, 360)
    assert down is not None and down[3] == pytest.approx(240 + BED_END * 200, abs=1e-3)
    assert down[1] == pytest.approx(40 - BED_END * 200, abs=1e-3)
    # a fit lying the wrong way round (head at the feet, as under a blanket) gives the same bed
    upside_down = derived_bed_box(lying((300, 200), (100, 200)), 640, 360)
    assert upside_down is not None
    np.testing.assert_allclose(upside_down, box, atol=1e-3)
    # clipped to the frame
    edge = bed_around_axis(np.array([10.0, 20.0]), np.array([210.0, 20.0]), 0.0, 640, 360)
    assert edge is not None and edge[0] == 0 and edge[1] == 0


def test_bed_width_follows_the_shoulders_when_the_body_is_foreshortened() -> None:
    # seen along the bed: the body is 60 px long, the shoulders 50 px apart across it
    marks = lying((300, 100), (300, 160), shoulder_span=50)
    box = derived_bed_box(marks, 640, 360)
    assert box is not None
    assert box[2] - box[0] == pytest.approx(2 * BED_HALF_WIDTH_SHOULDERS * 50, abs=1e-3)
    assert derived_bed_box(lying((300, 100), (303, 102)), 640, 360) is None  # seen end on


def test_bed_direction_shrinks_the_sideways_offset_of_a_foreshortened_axis() -> None:
    start, end = np.array([300.0, 100.0]), np.array([330.0, 160.0])
    np.testing.assert_allclose(bed_direction(start, end, 1.0), [30 / np.hypot(30, 60),
                                                                60 / np.hypot(30, 60)])
    np.testing.assert_allclose(bed_direction(start, end, 0.5), [15 / np.hypot(15, 60),
                                                                60 / np.hypot(15, 60)])
    np.testing.assert_allclose(bed_direction(start, end, 0.0), [0.0, 1.0])
    np.testing.assert_allclose(bed_direction(end, start, 0.0), [0.0, -1.0])
    # an axis across the picture is not foreshortened by a level camera: kept as it is
    across = bed_direction(np.array([100.0, 100.0]), np.array([160.0, 130.0]), 0.3)
    np.testing.assert_allclose(across, [60 / np.hypot(60, 30), 30 / np.hypot(60, 30)])


def test_bed_of_a_body_seen_along_its_length_is_not_widened_by_its_tilt() -> None:
    # a camera at the foot: 67 px of body running up the picture, 30 px sideways, shoulders
    # 50 px apart (the shoulders set the width: 0.25 L = 16.8 px < 50 px)
    feet, head, span = np.array([300.0, 100.0]), np.array([330.0, 160.0]), 50.0
    length = float(np.hypot(30, 60))
    f = BED_HALF_WIDTH * length / (BED_HALF_WIDTH_SHOULDERS * span)
    box = bed_around_axis(feet, head, span, 640, 360)
    assert box is not None
    # by hand: the rectangle along (f * 30, 60), centred on the axis's middle (315, 130)
    u = np.array([f * 30, 60.0]) / np.hypot(f * 30, 60.0)
    n = np.array([-u[1], u[0]])
    along = (np.array([30.0, 60.0]) @ u) / 2 + BED_END * length
    half = BED_HALF_WIDTH_SHOULDERS * span
    corners = np.array([[315.0, 130.0] + a * u + b * n for a in (-along, along)
                        for b in (-half, half)])
    np.testing.assert_allclose(box, [*corners.min(axis=0), *corners.max(axis=0)], atol=1e-3)
    # turned with the axis, the rectangle would be 125 px wide (36 px of it the 30 px offset
    # of its ends); the bed is 111 px (13 of them the offset)
    turned = np.array([30.0, 60.0]) / length
    turned_width = (1 + 2 * BED_END) * length * turned[0] + 2 * half * turned[1]
    assert turned_width == pytest.approx(125.4, abs=0.1)
    assert box[2] - box[0] == pytest.approx(111.4, abs=0.1)
    assert (box[0] + box[2]) / 2 == pytest.approx(315, abs=1e-3)
    # not foreshortened (narrow shoulders: the body length sets the width): turned with the
    # axis, as before
    slim = bed_around_axis(feet, head, 5.0, 640, 360)
    assert slim is not None
    assert slim[2] - slim[0] == pytest.approx(
        (1 + 2 * BED_END) * length * turned[0] + 2 * BED_HALF_WIDTH * length * turned[1],
        abs=1e-3)


def test_person_and_bed_make_the_seeds_crop() -> None:
    marks = lying((100, 200), (300, 200), shoulder_span=40)
    pose = Pose(marks, marks[:2], 0.9, Roi(200, 200, 260, 260))
    found = pose_detections(pose, 640, 360)
    assert found.classes == (PERSON, BED) and found.scores.tolist() == pytest.approx([0.9] * 2)
    assert "body axis" in (found.source_of_best(BED) or "")
    assert isinstance(found, PoseDetections) and found.landmarks is marks  # for the consensus
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


def test_axis_of_frames_reaches_past_collapsed_fits() -> None:
    """Most fits collapsed onto the head end (a blanket hides the legs): the axis spans the
    third most extreme ends, which one overlong fit does not move."""
    full = [lying((100, 200), (300, 200)) for _ in range(3)]
    collapsed = [lying((240 + 5 * i, 200), (300, 200)) for i in range(6)]
    overlong = lying((100, 200), (600, 200))
    axis = axis_consensus([*collapsed, *full, overlong])
    assert axis is not None and axis.used == 10 and AXIS_END_RANK == 3
    ends = sorted([axis.start[0], axis.end[0]])
    assert ends == pytest.approx([100, 300])
    assert axis.start[1] == pytest.approx(200) and axis.end[1] == pytest.approx(200)
    # the per-side median of the frames' own beds would have kept the collapsed length
    medians = np.median([derived_bed_box(f, 640, 360) for f in [*collapsed, *full, overlong]],
                        axis=0)
    assert medians[0] > 200


def test_axis_of_frames_takes_reversed_fits_alike_and_leaves_out_turned_ones() -> None:
    fits = [lying((100, 200), (300, 200)), lying((300, 202), (100, 202)),
            lying((110, 198), (290, 198)), lying((200, 100), (200, 300))]  # the last turned
    axis = axis_consensus(fits, rank=1)
    assert axis is not None and axis.used == 3
    direction = (axis.end - axis.start) / np.hypot(*(axis.end - axis.start))
    assert abs(direction[0]) == pytest.approx(1.0, abs=1e-6)  # along x: the turned fit left out
    assert sorted([axis.start[0], axis.end[0]]) == pytest.approx([100, 300], abs=1e-6)
    assert axis.start[1] == pytest.approx(200, abs=1.5)  # the median of the centres across
    # fewer fits than the rank: the most extreme ends
    assert axis_consensus(fits[:1], rank=3) is not None
    assert axis_consensus([lying((300, 100), (303, 102))]) is None  # seen end on only


def test_axis_of_frames_leaves_out_fits_that_run_out_of_the_picture() -> None:
    """Three of eleven fits run past the body and out of a 640 x 360 frame, turned 9.5 degrees
    from it: kept, they set the third most extreme end and, being long, turn the mean
    direction; with the frame they are left out and the axis is the body's."""
    body = [lying((100 + 2 * i, 200), (300 - 2 * i, 200), shoulder_span=40) for i in range(8)]
    runaway = [lying((100, 200), (700 + 50 * i, 300), shoulder_span=120) for i in range(3)]
    fits = [*body[:4], *runaway, *body[4:]]
    kept = axis_consensus(fits)
    assert kept is not None and kept.used == 11 and kept.outside == 0
    assert max(kept.start[0], kept.end[0]) > 600  # the runaways' third most extreme end
    turned = (kept.end - kept.start) / np.hypot(*(kept.end - kept.start))
    assert abs(turned[1]) > 0.05
    axis = axis_consensus(fits, frame=(640, 360))
    assert axis is not None and axis.used == 8 and axis.outside == 3
    assert sorted([axis.start[0], axis.end[0]]) == pytest.approx([104, 296], abs=1e-6)
    assert axis.start[1] == pytest.approx(200) and axis.end[1] == pytest.approx(200)
    assert axis.shoulders == pytest.approx(40)  # the runaways' shoulders left out too
    # a fit ending on the frame's edge is in it
    edge = [lying((100, 200), (640, 200)) for _ in range(3)]
    on_edge = axis_consensus([*body, *edge], frame=(640, 360))
    assert on_edge is not None and on_edge.outside == 0 and on_edge.used == 11


def test_axis_of_frames_keeps_a_body_the_frame_cuts_on_most_frames() -> None:
    """The feet beyond the picture's left edge on 7 of 11 fits (the camera cuts the body): the
    fits are kept -- leaving them out would leave fewer than half -- and the axis reaches past
    the edge as before."""
    cut = [lying((-60 + 5 * i, 200), (300, 200)) for i in range(7)]
    collapsed = [lying((240 + 5 * i, 200), (300, 200)) for i in range(4)]
    fits = [*cut, *collapsed]
    axis = axis_consensus(fits, frame=(640, 360))
    assert axis is not None and axis.used == 11 and axis.outside == 0
    assert min(axis.start[0], axis.end[0]) == pytest.approx(-50, abs=1e-6)
    plain = axis_consensus(fits)
    assert plain is not None
    np.testing.assert_allclose([axis.start, axis.end], [plain.start, plain.end])
    # with half of them in the frame, those are what is left
    half = axis_consensus([*cut[:4], *collapsed], frame=(640, 360))
    assert half is not None and half.used == 4 and half.outside == 4
    assert sorted([half.start[0], half.end[0]]) == pytest.approx([250, 300], abs=1e-6)


def test_pose_consensus_leaves_out_fits_that_leave_the_picture() -> None:
    def frame(feet: tuple[float, float], head: tuple[float, float]) -> Detections:
        marks = lying(feet, head, shoulder_span=40)
        return pose_detections(Pose(marks, marks[:2], 0.9, Roi(200, 200, 260, 260)), 500, 360,
                               allowance=0.1)

    body = [frame((100 + 2 * i, 200), (300, 200)) for i in range(8)]
    # the same person (each one's landmark median in the other's box), run out of the picture
    runaway = [frame((100, 200), (510 + 10 * i, 200)) for i in range(3)]
    found = pose_consensus([*runaway, *body], 500, 360)
    bed = found.boxes[found.classes.index(BED)]
    # along the body's ends, 104 and 300, plus 0.1 L beyond each (not out to the frame's edge)
    assert bed[0] == pytest.approx(104 - BED_END * 196, abs=1e-3)
    assert bed[2] == pytest.approx(300 + BED_END * 196, abs=1e-3)
    source = found.source_of_best(BED) or ""
    assert "body axis of 8 of 11 frames" in source
    assert "(3 leaving the picture left out)" in source and "else" not in source


def test_the_person_who_stays_not_who_comes_and_goes() -> None:
    """Someone standing by the bed is the best fit on 7 of 11 frames, the patient is found on
    8 (as the best on 4, as another person on 4): the boxes are the patient's, from their 8
    fits, and the 3 frames with the visitor alone are left out."""
    def fit(feet: tuple[float, float], head: tuple[float, float]) -> PoseDetections:
        marks = lying(feet, head, shoulder_span=40)
        return pose_detections(Pose(marks, marks[:2], 0.9, Roi(200, 200, 260, 260)), 640, 360,
                               allowance=0.1)

    def patient() -> PoseDetections:
        return fit((100, 200), (300, 200))  # lying, person box x 80 .. 320

    def visitor() -> PoseDetections:
        return fit((520, 340), (520, 100))  # standing at the bed's side, x 496 .. 544

    frames = ([patient() for _ in range(4)]
              + [replace(visitor(), others=(patient(),)) for _ in range(4)]
              + [visitor() for _ in range(3)])
    chosen, elsewhere = person_who_stays(frames)
    assert len(chosen) == 8 and elsewhere == 3
    assert all(np.allclose(c.boxes[0], patient().boxes[0]) for c in chosen)
    found = pose_consensus(frames, 640, 360)
    person = found.boxes[found.classes.index(PERSON)]
    np.testing.assert_allclose(person, patient().boxes[0], atol=1e-3)
    assert "body axis of 8 of 11 frames" in (found.source_of_best(BED) or "")
    assert "(3 of someone or somewhere else left out)" in (found.source_of_best(PERSON) or "")
    # the per-side medians of the frames' best fits alone would have taken the visitor
    assert pose_consensus([replace(f, others=()) for f in frames], 640, 360).boxes[0][0] > 400
    # frames of another detector pass through untouched
    plain = [Detections(f.boxes, f.scores, f.classes) for f in frames]
    assert person_who_stays(plain) == (plain, 0)


def test_distinct_people_drops_the_same_person_found_twice() -> None:
    def pose(feet: tuple[float, float], head: tuple[float, float]) -> Pose:
        marks = lying(feet, head, shoulder_span=40)
        return Pose(marks, marks[:2], 0.9, Roi(200, 200, 260, 260))

    first, again, other = pose((100, 200), (300, 200)), pose((105, 200), (300, 200)), \
        pose((520, 340), (520, 100))
    assert distinct_people([first, again, other], 640, 360) == [first, other]
    assert distinct_people([], 640, 360) == []


def test_pose_consensus_person_median_bed_from_the_common_axis() -> None:
    def frame(feet: tuple[float, float], score: float) -> Detections:
        marks = lying(feet, (300, 200), shoulder_span=40)  # a tracked pose: scored by its flag
        return pose_detections(Pose(marks, marks[:2], score, Roi(200, 200, 260, 260)), 640, 360,
                               allowance=0.1)

    # three fits of the whole body, four collapsed onto the head end
    frames = [frame((100, 200), 0.9), frame((110, 200), 0.8), frame((120, 200), 0.7),
              frame((280, 200), 0.6), frame((285, 200), 0.5), frame((290, 200), 0.4),
              frame((295, 200), 0.3)]
    found = pose_consensus(frames, 640, 360)
    assert found.classes == (PERSON, BED)
    person, bed = found.boxes
    # the person: per-side median of the frames' boxes (the 4th frame's: 280 - 0.1 * 40)
    assert person[0] == pytest.approx(280 - 0.1 * 40, abs=1e-3)
    # the bed: along the third most extreme ends, 120 and 300, plus 0.1 L beyond each -- not
    # the median of the frames' own beds (their left sides: 80, 91, 102, 278, ...)
    assert bed[0] == pytest.approx(120 - BED_END * 180, abs=1e-3)
    assert bed[2] == pytest.approx(300 + BED_END * 180, abs=1e-3)
    assert bed[3] - bed[1] == pytest.approx(2 * max(BED_HALF_WIDTH * 180, 40), abs=1e-3)
    assert found.scores.tolist() == pytest.approx([0.6, 0.6])
    source = found.source_of_best(BED) or ""
    # the last fit's axis (5 px) is too short to give a direction
    assert "body axis of 6 of 7 frames" in source and "3rd most extreme" in source
    assert "median of 7 frames" in (found.source_of_best(PERSON) or "")
    no_bed = pose_consensus(frames, 640, 360, derive_bed=False)
    assert no_bed.classes == (PERSON,)
    # frames without landmarks (another detector's) keep the per-side medians alone
    plain = [Detections(f.boxes, f.scores, f.classes, f.sources) for f in frames]
    assert pose_consensus(plain, 640, 360).classes == (PERSON,)


def test_turned_picture_holds_the_frame_and_maps_back() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(60, 200, (60, 100, 3), dtype=np.uint8)
    frame[20:30, 70:80] = (255, 0, 0)  # a red square, centre (75, 25)
    picture, roi = turned_picture(frame, 45.0)
    side = (100 + 60) * np.sqrt(0.5)
    assert picture.shape == (int(np.ceil(side)), int(np.ceil(side)), 3)
    assert picture.dtype == np.uint8
    size = picture.shape[0]
    red = np.argwhere((picture[..., 0] > 200) & (picture[..., 1] < 60) & (picture[..., 2] < 60))
    centre = crop_to_frame((red[:, ::-1].mean(axis=0) + 0.5) / size, roi)
    np.testing.assert_allclose(centre, [75, 25], atol=1.0)
    # around the turned frame: its median colour, not black
    np.testing.assert_array_equal(picture[0, 0], np.median(frame.reshape(-1, 3), axis=0)
                                  .astype(np.uint8))
    # at most max_side across, the mapping scaled with it
    small, small_roi = turned_picture(frame, 45.0, max_side=50)
    assert small.shape == (50, 50, 3) and small_roi == roi
    grey = turned_picture(frame[..., 0], 45.0)[0]
    assert grey.shape == picture.shape and (grey[..., 0] == grey[..., 1]).all()
