"""BlazeFace and the face mesh on frames: face detection, 468 landmarks, tracking.

Follows MediaPipe 0.10.21's face graphs (``face_detection_short_range`` /
``face_detection_full_range``, ``face_detection_front_detection_to_roi``,
``face_landmark_cpu``, ``face_landmark_landmarks_to_roi``, ``face_landmark_front_cpu`` for one
face); the code is ours. Differences as for the pose: no smoothing, and a lost face is detected
again on the same frame.

Layouts: frames ``(H, W, 3)`` uint8 RGB or ``(H, W)`` uint8 grey; face landmarks ``(468, 3)``
float32 ``(x px, y px, z)`` in frame pixels (continuous), ``z`` in the pixel scale of ``x``
(smaller = nearer the camera).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ictal.landmarks.anchors import FACE_FULL_RANGE_ANCHORS, FACE_SHORT_RANGE_ANCHORS
from ictal.landmarks.detections import DecodeOptions, sigmoid
from ictal.landmarks.detector import DetectorSpec, SsdDetector
from ictal.landmarks.geometry import (
    Roi,
    as_rgb,
    crop_to_frame,
    roi_from_box,
    scale_roi,
    warp_crop,
)
from ictal.landmarks.runtime import TfliteModel

#: BlazeFace's 6 keypoints (the person's right eye is on the image's left for a frontal face).
FACE_DETECTION_KEYPOINTS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear_tragion",
                            "left_ear_tragion")

FACE_DETECTORS: dict[str, DetectorSpec] = {
    "short": DetectorSpec("face_detection_short_range", FACE_SHORT_RANGE_ANCHORS,
                          DecodeOptions(num_keypoints=6, scale=128.0, min_score=0.5)),
    "full": DetectorSpec("face_detection_full_range", FACE_FULL_RANGE_ANCHORS,
                         DecodeOptions(num_keypoints=6, scale=192.0, min_score=0.6)),
}
MESH_SIZE = 192
ROI_SCALE = 1.5  # face_detection_front_detection_to_roi / face_landmark_landmarks_to_roi
#: Mesh landmarks that give the rotation of the next ROI: the outer corners of the eyes.
MESH_EYE_CORNERS = (33, 263)


@dataclass(frozen=True, slots=True)
class FaceDetection:
    """One face found by BlazeFace, in frame px.

    Attributes:
        score: detector score in ``[0, 1]``.
        box: ``(4,)`` ``(x0, y0, x1, y1)``.
        keypoints: ``(6, 2)``, see :data:`FACE_DETECTION_KEYPOINTS`.
        quarter_turns: quarter turns (counter-clockwise) of the frame the detector saw.
    """

    score: float
    box: np.ndarray
    keypoints: np.ndarray
    quarter_turns: int = 0

    def roi(self) -> Roi:
        """The mesh model's region: the box, rotated so the eyes are level, square, x1.5."""
        return face_detection_roi(self.box, self.keypoints)


@dataclass(frozen=True, slots=True)
class Face:
    """The face mesh of one frame.

    Attributes:
        landmarks: ``(468, 3)`` float32 (see the module's docstring).
        score: the face flag in ``[0, 1]``.
        roi: the region the mesh was computed in (frame px).
        detection: the detection this frame's ROI came from, ``None`` when tracked.
    """

    landmarks: np.ndarray
    score: float
    roi: Roi
    detection: FaceDetection | None = None

    def box(self) -> tuple[float, float, float, float]:
        """Bounding box ``(x0, y0, x1, y1)`` px of the mesh."""
        p = self.landmarks[:, :2]
        return (float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()),
                float(p[:, 1].max()))


def face_detection_roi(box: np.ndarray, keypoints: np.ndarray) -> Roi:
    """Mesh ROI from a detection: the box (px), rotated so that eye -> eye is horizontal,
    squared on its long side and enlarged 1.5 times."""
    return scale_roi(roi_from_box(box, keypoints[0], keypoints[1], 0.0), ROI_SCALE)


def face_landmarks_roi(landmarks: np.ndarray) -> Roi:
    """Next frame's mesh ROI from this frame's mesh ``(468, >=2)`` px: the mesh's box, rotated
    so that the eyes' outer corners are level, squared, enlarged 1.5 times."""
    p = landmarks[:, :2]
    box = np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])
    a, b = MESH_EYE_CORNERS
    return scale_roi(roi_from_box(box, p[a], p[b], 0.0), ROI_SCALE)


class FaceDetector:
    """BlazeFace on whole frames.

    Args:
        model: ``short`` (faces within ~2 m, 128 px input) or ``full`` (within ~5 m, 192 px).
        root: models directory.
        threads: interpreter threads.
        min_score: detections below are dropped (default: MediaPipe's 0.5 short, 0.6 full).
    """

    def __init__(self, model: Literal["short", "full"] = "short", root: Path | None = None, *,
                 threads: int = 1, min_score: float | None = None) -> None:
        self.detector = SsdDetector(FACE_DETECTORS[model], root, threads=threads,
                                    min_score=min_score)

    def __call__(self, frame: np.ndarray, quarter_turns: Sequence[int] = (0,)
                 ) -> list[FaceDetection]:
        """All faces over the given turns of the frame, frame px, best first."""
        found = self.detector.detect(frame, quarter_turns)
        d = found.detections
        return [FaceDetection(float(d.scores[i]), d.boxes[i], d.keypoints[i],
                              int(found.quarter_turns[i])) for i in range(len(found))]


class FaceLandmarker:
    """The face-mesh model on one ROI of a frame."""

    def __init__(self, root: Path | None = None, *, threads: int = 1) -> None:
        self.model = TfliteModel("face_landmark", root, threads=threads)

    def __call__(self, frame: np.ndarray, roi: Roi) -> tuple[np.ndarray, float]:
        """The mesh ``(468, 3)`` float32 in frame px and the face flag in ``[0, 1]``."""
        x = warp_crop(frame, roi, MESH_SIZE, border="replicate") / np.float32(255.0)
        raw, flag = self.model(x)
        rel = np.asarray(raw, np.float32).reshape(468, 3) / MESH_SIZE
        out = np.empty_like(rel)
        out[:, :2] = crop_to_frame(rel[:, :2], roi)
        out[:, 2] = rel[:, 2] * roi.width
        return out, float(sigmoid(np.asarray(flag).reshape(-1))[0])


class FaceTracker:
    """One face, frame after frame: detect, then follow it with the mesh.

    Args:
        model: the detector, ``short`` or ``full`` range.
        root: models directory.
        threads: interpreter threads (each model).
        min_detection_score: detector threshold (default: the model's).
        min_presence: face-flag threshold (MediaPipe: 0.5).
        quarter_turns: turns of the frame the detector is run on.
    """

    def __init__(self, model: Literal["short", "full"] = "short", root: Path | None = None, *,
                 threads: int = 1, min_detection_score: float | None = None,
                 min_presence: float = 0.5, quarter_turns: Sequence[int] = (0, 1, 2, 3)) -> None:
        self.detector = FaceDetector(model, root, threads=threads, min_score=min_detection_score)
        self.landmarker = FaceLandmarker(root, threads=threads)
        self.min_presence = min_presence
        self.quarter_turns = tuple(quarter_turns)
        self._roi: Roi | None = None

    def reset(self) -> None:
        """Forget the tracked face."""
        self._roi = None

    def __call__(self, frame: np.ndarray) -> Face | None:
        """The face in ``frame``, or ``None`` when none is found."""
        frame = as_rgb(frame)
        if self._roi is not None:
            face = self._mesh(frame, self._roi, None)
            if face is not None:
                return face
        for detection in self.detector(frame, self.quarter_turns)[:1]:
            face = self._mesh(frame, detection.roi(), detection)
            if face is not None:
                return face
        self._roi = None
        return None

    def _mesh(self, frame: np.ndarray, roi: Roi, detection: FaceDetection | None
              ) -> Face | None:
        mesh, score = self.landmarker(frame, roi)
        if score < self.min_presence:
            self._roi = None
            return None
        self._roi = face_landmarks_roi(mesh)
        return Face(mesh, score, roi, detection)
