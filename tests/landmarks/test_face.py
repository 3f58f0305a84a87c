"""BlazeFace and the face mesh on a photograph with a face located by eye."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ictal.landmarks.face import (
    FaceDetector,
    FaceLandmarker,
    FaceTracker,
    face_detection_roi,
    face_landmarks_roi,
)
from ictal.landmarks.geometry import Roi, frame_to_crop, rotate_points, unrotate_points

#: Read by eye in tests/data/samples/astronaut_face.jpg (px): eye centres (the person's right
#: eye on the image's left), nose tip, mouth centre.
RIGHT_EYE, LEFT_EYE, NOSE, MOUTH = (109, 84), (150, 88), (129, 110), (126, 128)
#: Face-mesh indices: eye corners (outer, inner) of each eye, nose tip, inner lips.
MESH_RIGHT_EYE, MESH_LEFT_EYE, MESH_NOSE, MESH_LIPS = (33, 133), (263, 362), 4, (13, 14)


def _near(point: np.ndarray, target: tuple[float, float], tol: float) -> bool:
    return bool(np.hypot(*(np.asarray(point)[:2] - target)) <= tol)


@pytest.mark.parametrize("model", ["short", "full"])
def test_detector_finds_the_face(models: None, astronaut: np.ndarray, model: str) -> None:
    found = FaceDetector(model)(astronaut)  # type: ignore[arg-type]
    assert len(found) == 1
    face = found[0]
    assert face.score > 0.8
    x0, y0, x1, y1 = face.box
    assert x0 < RIGHT_EYE[0] < LEFT_EYE[0] < x1 and y0 < RIGHT_EYE[1] < MOUTH[1] < y1
    assert 70 < x1 - x0 < 130 and 70 < y1 - y0 < 130
    assert _near(face.keypoints[0], RIGHT_EYE, 8) and _near(face.keypoints[1], LEFT_EYE, 8)
    assert _near(face.keypoints[3], MOUTH, 10)


def test_mesh_lands_on_the_face(models: None, astronaut: np.ndarray) -> None:
    tracker = FaceTracker()
    face = tracker(astronaut)
    assert face is not None and face.detection is not None and face.score > 0.9
    mesh = face.landmarks
    assert mesh.shape == (468, 3) and mesh.dtype == np.float32
    assert _near(mesh[list(MESH_RIGHT_EYE)].mean(0), RIGHT_EYE, 5)
    assert _near(mesh[list(MESH_LEFT_EYE)].mean(0), LEFT_EYE, 5)
    assert _near(mesh[MESH_NOSE], NOSE, 6)
    assert _near(mesh[list(MESH_LIPS)].mean(0), MOUTH, 6)
    # tracked on the next frame: no detection, the same mesh within a pixel or two
    again = tracker(astronaut)
    assert again is not None and again.detection is None
    assert np.median(np.hypot(*(again.landmarks[:, :2] - mesh[:, :2]).T)) < 2.0


def test_face_rois_level_the_eyes() -> None:
    box = np.array([100.0, 100.0, 160.0, 180.0])
    kps = np.array([[110.0, 130.0], [150.0, 110.0], [0, 0], [0, 0], [0, 0], [0, 0]])
    roi = face_detection_roi(box, kps)
    assert (roi.cx, roi.cy) == (130, 140)
    assert roi.width == pytest.approx(120) and roi.height == pytest.approx(120)  # 80 x 1.5
    a, b = frame_to_crop(kps[:2], roi)
    assert a[1] == pytest.approx(b[1]) and a[0] < b[0]
    mesh = np.zeros((468, 3), np.float32)
    mesh[:, 0] = np.linspace(10, 50, 468)
    mesh[:, 1] = np.linspace(20, 80, 468)
    mesh[33, :2], mesh[263, :2] = (20, 40), (40, 40)
    roi = face_landmarks_roi(mesh)
    assert (roi.cx, roi.cy, roi.rotation) == (30, 50, 0)
    assert roi.width == pytest.approx(90)  # long side 60 x 1.5


def test_a_turned_face(models: None, astronaut: np.ndarray) -> None:
    size = (astronaut.shape[1], astronaut.shape[0])
    upright = FaceTracker(quarter_turns=(0,))(astronaut)
    assert upright is not None
    landmarker = FaceLandmarker()
    for k in (1, 2, 3):
        turned = np.ascontiguousarray(np.rot90(astronaut, k))
        centre = rotate_points([upright.roi.cx, upright.roi.cy], k, size)
        roi = Roi(float(centre[0]), float(centre[1]), upright.roi.width, upright.roi.height,
                  upright.roi.rotation - k * math.pi / 2)
        mesh, score = landmarker(turned, roi)
        assert score > 0.9
        back = unrotate_points(mesh[:, :2], k, size)
        assert np.abs(back - upright.landmarks[:, :2]).max() < 0.5
        face = FaceTracker()(turned)  # searching the turns
        assert face is not None
        back = unrotate_points(face.landmarks[:, :2], k, size)
        assert np.median(np.hypot(*(back - upright.landmarks[:, :2]).T)) < 3.0


def test_grey_face(models: None, astronaut: np.ndarray) -> None:
    grey = (astronaut.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32))
    face = FaceTracker(quarter_turns=(0,))(grey.round().astype(np.uint8))
    assert face is not None
    assert _near(face.landmarks[list(MESH_RIGHT_EYE)].mean(0), RIGHT_EYE, 6)
    assert _near(face.landmarks[list(MESH_LEFT_EYE)].mean(0), LEFT_EYE, 6)


def test_no_face_in_a_blank_frame(models: None) -> None:
    assert FaceTracker()(np.full((128, 128, 3), 90, np.uint8)) is None
    assert FaceDetector("full")(np.zeros((100, 150), np.uint8)) == []
