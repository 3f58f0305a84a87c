"""BlazePose: decoding on synthetic tensors, and end to end on a real clip and on the phantom."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ictal.landmarks.geometry import Roi, rotate_points, unrotate_points
from ictal.landmarks.pose import (
    POSE_LANDMARKS,
    PoseDetector,
    PoseLandmarker,
    PoseTracker,
    decode_pose_landmarks,
    pose_detection_roi,
    refine_from_heatmap,
)

L = {name: i for i, name in enumerate(POSE_LANDMARKS)}
#: Where the umpire (in red, centre) stands in frames 0 and 75 of the cricket clip, read by eye
#: (x0, y0, x1, y1) px; the camera pans, so he moves left.
UMPIRE = {0: (100, 85, 155, 195), 50: (75, 85, 125, 195), 75: (22, 85, 75, 195)}


def _inside(points: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    return ((points[:, 0] >= box[0]) & (points[:, 0] <= box[2]) & (points[:, 1] >= box[1])
            & (points[:, 1] <= box[3]))


def test_decode_pose_landmarks() -> None:
    raw = np.zeros((39, 5), np.float32)
    raw[:, 0] = np.arange(39) * 4.0          # x in input pixels (256)
    raw[:, 1] = 128.0
    raw[:, 2] = -64.0
    raw[:, 3] = 0.0                          # visibility logit -> 0.5
    raw[:, 4] = np.log(3.0)                  # presence logit -> 0.75
    out = decode_pose_landmarks(raw.reshape(1, 195))
    assert out.shape == (39, 5)
    np.testing.assert_allclose(out[:, 0], np.arange(39) * 4 / 256)
    np.testing.assert_allclose(out[:, 1:3], [[0.5, -0.25]] * 39)
    np.testing.assert_allclose(out[:, 3:], [[0.5, 0.75]] * 39, rtol=1e-6)


def test_refine_from_heatmap() -> None:
    heat = np.full((64, 64, 3), -10.0, np.float32)
    heat[9:12, 19:22, 0] = 10.0               # a peak centred on row 10, column 20
    heat[30, 30, 1] = -1.0                    # landmark 1: nothing confident
    lms = np.array([[19.2 / 64, 9.3 / 64, 0], [30 / 64, 30 / 64, 0], [1.2, 0.5, 0]], np.float32)
    out = refine_from_heatmap(lms, heat)
    np.testing.assert_allclose(out[0, :2], [20 / 64, 10 / 64], atol=1e-4)
    np.testing.assert_array_equal(out[1:], lms[1:])  # not confident / outside: kept


def test_pose_roi_from_detection_keypoints() -> None:
    kp = np.array([[100.0, 100.0], [100.0, 40.0], [0, 0], [0, 0]])  # body pointing up
    roi = pose_detection_roi(kp)
    assert (roi.cx, roi.cy) == (100, 100)
    assert roi.width == pytest.approx(150) and roi.height == pytest.approx(150)  # 2 x 60 x 1.25
    assert roi.rotation == pytest.approx(0)
    lying = pose_detection_roi(np.array([[100.0, 100.0], [40.0, 100.0], [0, 0], [0, 0]]))
    assert lying.rotation == pytest.approx(-math.pi / 2)  # head to the left: turn back


def test_the_umpire_is_found_and_followed(models: None, cricket: list[np.ndarray]) -> None:
    tracker = PoseTracker(quarter_turns=(0,))
    poses = [tracker(frame) for frame in cricket]
    assert sum(p is not None for p in poses) >= 75
    first = poses[0]
    assert first is not None and first.detection is not None  # found by the detector
    assert poses[1] is not None and poses[1].detection is None  # then tracked
    for i, box in UMPIRE.items():
        pose = poses[i]
        assert pose is not None and pose.score > 0.9
        lm = pose.landmarks
        assert lm.shape == (33, 5) and lm.dtype == np.float32
        assert _inside(lm[:, :2], box).mean() >= 0.9
        hips = lm[[L["left_hip"], L["right_hip"]], 1].mean()
        assert lm[L["nose"], 1] < lm[[L["left_shoulder"], L["right_shoulder"]], 1].mean() < hips
        assert hips < lm[[L["left_knee"], L["right_knee"]], 1].mean() < lm[
            [L["left_ankle"], L["right_ankle"]], 1].mean()
        assert np.all((lm[:, 3:] >= 0) & (lm[:, 3:] <= 1))
        x0, y0, x1, y1 = pose.box()
        assert box[0] <= x0 < x1 <= box[2] and box[1] <= y0 < y1 <= box[3]


def test_detector_finds_the_umpire(models: None, cricket: list[np.ndarray]) -> None:
    found = PoseDetector()(cricket[50])
    assert found and found[0].score > 0.9
    best = found[0]
    assert best.keypoints.shape == (4, 2) and best.quarter_turns == 0
    assert _inside(best.keypoints[[0, 2]], UMPIRE[50]).all()  # hips and shoulders centres
    assert best.box[1] < best.keypoints[2, 1] < best.keypoints[0, 1]  # face above shoulders
    assert PoseDetector()(np.zeros((120, 160, 3), np.uint8)) == []


def test_a_turned_frame_gives_the_same_landmarks(models: None, cricket: list[np.ndarray]
                                                 ) -> None:
    frame = cricket[0]
    size = (frame.shape[1], frame.shape[0])
    upright = PoseTracker(quarter_turns=(0,))(frame)
    assert upright is not None
    landmarker = PoseLandmarker()
    reference, _ = landmarker(frame, upright.roi)
    for k in (1, 2, 3):
        turned = np.ascontiguousarray(np.rot90(frame, k))
        # the same ROI, turned with the frame: the crop is the same pixels
        centre = rotate_points([upright.roi.cx, upright.roi.cy], k, size)
        roi = Roi(float(centre[0]), float(centre[1]), upright.roi.width, upright.roi.height,
                  upright.roi.rotation - k * math.pi / 2)
        values, score = landmarker(turned, roi)
        assert score > 0.9
        back = unrotate_points(values[:, :2], k, size)
        assert np.abs(back - reference[:, :2]).max() < 0.5
        # the tracker alone, searching the turns, finds the person again
        pose = PoseTracker()(turned)
        assert pose is not None and pose.detection is not None
        back = unrotate_points(pose.landmarks[:, :2], k, size)
        err = np.hypot(*(back - upright.landmarks[:, :2]).T)
        assert np.median(err) < 3.0 and np.percentile(err, 90) < 6.0


def test_grey_frames_are_replicated_to_rgb(models: None, cricket: list[np.ndarray]) -> None:
    """Night-vision infrared is grey: it runs as the RGB frame with three equal channels."""
    rgb = cricket[50].astype(np.float32)
    grey = (rgb @ np.array([0.299, 0.587, 0.114], np.float32)).round().astype(np.uint8)
    from_grey = PoseTracker(quarter_turns=(0,))(grey)
    from_rgb = PoseTracker(quarter_turns=(0,))(np.repeat(grey[:, :, None], 3, axis=2))
    assert from_grey is not None and from_rgb is not None
    np.testing.assert_array_equal(from_grey.landmarks, from_rgb.landmarks)


def test_nothing_in_an_empty_frame(models: None) -> None:
    tracker = PoseTracker()
    assert tracker(np.full((90, 160, 3), 128, np.uint8)) is None
    assert tracker(np.zeros((90, 160), np.uint8)) is None


@pytest.mark.slow
def test_phantom_patients_in_bed(models: None, tmp_path: Path) -> None:
    """RGB phantom of patients lying in bed: the tracker finds the body in nearly every frame
    and its hips, shoulders and head lie near the phantom's skeleton.

    The ground truth's ``joints_2d`` are for the infrared camera; the RGB camera has the same
    pose and horizontal field of view at another size, so the 3D joints are projected with it.
    """
    from ictal.io.video import open_video
    from ictal.manifest.groundtruth import load_ground_truth
    from ictal.phantom import PhantomConfig, generate_dataset
    from ictal.phantom.body import J
    from ictal.phantom.scene import Camera

    cfg = PhantomConfig.tiny(n_patients=2, streams=("rgb",), pre_s=(0.5, 0.5),
                             post_s=(0.5, 0.5))
    result = generate_dataset(cfg, tmp_path, workers=1, progress=False)
    assert result.report.exit_code == 0
    for video in sorted((tmp_path / "rgb").glob("*.mp4")):
        gt = load_ground_truth(tmp_path / "groundtruth" / f"{video.stem}.npz")
        with open_video(video) as reader:
            frames = [f for _, f in reader.iter_frames()]
        h, w = frames[0].shape[:2]
        ir = Camera(gt.K[0, 0], gt.K[1, 1], gt.K[0, 2], gt.K[1, 2], gt.width, gt.height, gt.R,
                    gt.t)
        joints = ir.resized(w, h).project_camera(gt.joints_3d) + 0.5  # pixel centres -> px
        tracker = PoseTracker()
        found = good = 0
        for frame, g in zip(frames, joints, strict=True):
            pose = tracker(frame)
            if pose is None:
                continue
            found += 1
            lm = pose.landmarks
            torso = np.hypot(*(g[J["SpineShoulder"]] - g[J["SpineBase"]]))
            pairs = [(lm[[L["left_hip"], L["right_hip"]], :2].mean(0),
                      g[[J["HipLeft"], J["HipRight"]]].mean(0)),
                     (lm[[L["left_shoulder"], L["right_shoulder"]], :2].mean(0),
                      g[[J["ShoulderLeft"], J["ShoulderRight"]]].mean(0)),
                     (lm[L["nose"], :2], g[J["Head"]])]
            good += all(np.hypot(*(a - b)) < 0.5 * torso for a, b in pairs)
        n = len(frames)
        assert found >= 0.9 * n, f"{video.stem}: pose in {found} of {n} frames"
        assert good >= 0.8 * n, f"{video.stem}: right place in {good} of {n} frames"
