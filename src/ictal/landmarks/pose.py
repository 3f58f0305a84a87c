"""BlazePose on frames: person detection, 33 body landmarks, and tracking across frames.

Follows MediaPipe 0.10.21's pose graphs (``pose_detection_cpu``, ``pose_detection_to_roi``,
``pose_landmark_by_roi_cpu``, ``tensors_to_pose_landmarks_and_segmentation``,
``pose_landmarks_to_roi``, ``pose_landmark_cpu``); the code is ours. Differences: no landmark
smoothing filter (the raw per-frame landmarks are returned), and when tracking loses the pose the
detector runs again on the same frame rather than on the next one.

Layouts: frames ``(H, W, 3)`` uint8 RGB or ``(H, W)`` uint8 grey (replicated to 3 channels);
landmarks ``(33, 5)`` float32 ``(x px, y px, z, visibility, presence)`` in frame pixels
(continuous: pixel ``i`` covers ``[i, i + 1)``), ``z`` the depth relative to the hips in the
same pixel scale as ``x`` (smaller = nearer the camera), visibility and presence in ``[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ictal.landmarks.anchors import POSE_DETECTION_ANCHORS
from ictal.landmarks.detections import DecodeOptions, sigmoid
from ictal.landmarks.detector import DetectorSpec, SsdDetector
from ictal.landmarks.geometry import (
    Roi,
    as_rgb,
    crop_to_frame,
    letterbox_roi,
    roi_from_alignment,
    scale_roi,
    warp_crop,
)
from ictal.landmarks.runtime import TfliteModel

#: The 33 BlazePose landmarks, in the model's order ("left" = the person's left).
POSE_LANDMARKS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
#: The detector's 4 keypoints: hips centre, a point whose distance and direction from it give
#: the full-body ROI's size and rotation, shoulders centre, the same for the upper body.
POSE_DETECTION_KEYPOINTS = ("hips", "body_scale", "shoulders", "upper_body_scale")

POSE_DETECTOR = DetectorSpec(
    "pose_detection", POSE_DETECTION_ANCHORS, DecodeOptions(num_keypoints=4, scale=224.0))
LANDMARK_SIZE = 256
ROI_SCALE = 1.25  # pose_detection_to_roi / pose_landmarks_to_roi: margin used in training
HEATMAP_KERNEL = 7
HEATMAP_MIN_CONFIDENCE = 0.5


@dataclass(frozen=True, slots=True)
class PoseDetection:
    """One person found by the detector, in frame px.

    Attributes:
        score: detector score in ``[0, 1]``.
        box: ``(4,)`` the face box ``(x0, y0, x1, y1)``.
        keypoints: ``(4, 2)`` see :data:`POSE_DETECTION_KEYPOINTS`.
        quarter_turns: quarter turns (counter-clockwise) of the frame the detector saw.
    """

    score: float
    box: np.ndarray
    keypoints: np.ndarray
    quarter_turns: int = 0

    def roi(self) -> Roi:
        """The landmark model's region: square around the hips, rotated body-up."""
        return pose_detection_roi(self.keypoints)


@dataclass(frozen=True, slots=True)
class Pose:
    """The body landmarks of one frame.

    Attributes:
        landmarks: ``(33, 5)`` float32 (see the module's docstring).
        auxiliary: ``(2, 5)`` float32, the hips centre and body-scale point the next frame's ROI
            is taken from (same layout).
        score: the pose flag in ``[0, 1]`` (whether a person fills the ROI).
        roi: the region the landmarks were computed in (frame px).
        detection: the detection this frame's ROI came from, ``None`` when tracked from the
            previous frame.
    """

    landmarks: np.ndarray
    auxiliary: np.ndarray
    score: float
    roi: Roi
    detection: PoseDetection | None = None

    def box(self, min_visibility: float = 0.5) -> tuple[float, float, float, float]:
        """Bounding box ``(x0, y0, x1, y1)`` px of the landmarks at least that visible (all
        landmarks when none is)."""
        points = self.landmarks[self.landmarks[:, 3] >= min_visibility, :2]
        if len(points) == 0:
            points = self.landmarks[:, :2]
        return (float(points[:, 0].min()), float(points[:, 1].min()),
                float(points[:, 0].max()), float(points[:, 1].max()))


def pose_detection_roi(keypoints: np.ndarray) -> Roi:
    """Landmark ROI from the detector's keypoints ``(4, 2)`` px (or the 2 auxiliary landmarks):
    centred on the hips, side twice the hips-to-scale-point distance, rotated so the body
    points up, enlarged 1.25 times."""
    return scale_roi(roi_from_alignment(keypoints[0], keypoints[1], 90.0), ROI_SCALE)


def refine_from_heatmap(landmarks: np.ndarray, heatmap: np.ndarray, *,
                        kernel: int = HEATMAP_KERNEL,
                        min_confidence: float = HEATMAP_MIN_CONFIDENCE) -> np.ndarray:
    """Move each landmark to the confidence-weighted mean of its heatmap around it.

    Args:
        landmarks: ``(N, >=2)`` with ``x, y`` relative to the crop (``[0, 1]``).
        heatmap: ``(h, w, N)`` logits.

    Returns:
        A copy with ``x, y`` refined where the window's highest confidence (sigmoid) reaches
        ``min_confidence``; landmarks outside the heatmap are kept.
    """
    out = landmarks.copy()
    h, w, n = heatmap.shape
    half = (kernel - 1) // 2
    for i in range(n):
        col, row = int(landmarks[i, 0] * w), int(landmarks[i, 1] * h)
        if not (0 <= col < w and 0 <= row < h):
            continue
        r0, r1 = max(0, row - half), min(h, row + half + 1)
        c0, c1 = max(0, col - half), min(w, col + half + 1)
        conf = sigmoid(heatmap[r0:r1, c0:c1, i]).astype(np.float64)
        total = conf.sum()
        if conf.max() >= min_confidence and total > 0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            out[i, 0] = (cols * conf).sum() / w / total
            out[i, 1] = (rows * conf).sum() / h / total
    return out


def decode_pose_landmarks(raw: np.ndarray, heatmap: np.ndarray | None = None) -> np.ndarray:
    """The landmark model's ``(195,)`` output -> ``(39, 5)`` float32 relative to the crop.

    ``x, y`` in ``[0, 1]`` of the crop, ``z`` in crop widths, visibility and presence through
    the sigmoid; refined by the ``(64, 64, 39)`` heatmap when given.
    """
    values = np.asarray(raw, np.float32).reshape(39, 5).copy()
    values[:, :3] /= LANDMARK_SIZE
    values[:, 3:] = sigmoid(values[:, 3:])
    if heatmap is not None:
        values = refine_from_heatmap(values, np.asarray(heatmap).reshape(64, 64, 39))
    return values


def landmarks_to_frame(landmarks: np.ndarray, roi: Roi) -> np.ndarray:
    """Landmarks ``(N, >=3)`` relative to the crop of ``roi`` -> frame px (``z`` scaled like
    ``x``: times the ROI's width in px)."""
    out = landmarks.astype(np.float32).copy()
    out[:, :2] = crop_to_frame(landmarks[:, :2], roi)
    out[:, 2] = landmarks[:, 2] * roi.width
    return out


class PoseLandmarker:
    """The landmark model on one ROI of a frame."""

    def __init__(self, root: Path | None = None, *, threads: int = 1) -> None:
        self.model = TfliteModel("pose_landmark_full", root, threads=threads)

    def __call__(self, frame: np.ndarray, roi: Roi) -> tuple[np.ndarray, float]:
        """Landmarks of the person in ``roi``.

        Returns:
            ``(39, 5)`` float32 in frame px (33 landmarks, then 6 auxiliary, of which the first
            2 give the next ROI) and the pose flag in ``[0, 1]``.
        """
        crop_roi, pad = letterbox_roi(roi, LANDMARK_SIZE, LANDMARK_SIZE)
        x = warp_crop(frame, crop_roi, LANDMARK_SIZE, border="replicate") / np.float32(255.0)
        raw, flag, _segmentation, heatmap, _world = self.model(x)
        rel = decode_pose_landmarks(raw[0], heatmap[0])
        left, top, right, bottom = pad  # letterbox removal: back to the ROI's own extent
        rel[:, 0] = (rel[:, 0] - left) / (1 - left - right)
        rel[:, 1] = (rel[:, 1] - top) / (1 - top - bottom)
        rel[:, 2] = rel[:, 2] / (1 - left - right)
        return landmarks_to_frame(rel, roi), float(np.asarray(flag).reshape(-1)[0])


class PoseDetector:
    """The person detector on whole frames, optionally turned (patients lie in any direction).

    Args:
        root: models directory.
        threads: interpreter threads.
        min_score: detections below are dropped (MediaPipe: 0.5).
    """

    def __init__(self, root: Path | None = None, *, threads: int = 1,
                 min_score: float = 0.5) -> None:
        self.detector = SsdDetector(POSE_DETECTOR, root, threads=threads, min_score=min_score)

    def __call__(self, frame: np.ndarray, quarter_turns: Sequence[int] = (0,)
                 ) -> list[PoseDetection]:
        """All detections over the given turns of the frame, frame px, best first."""
        found = self.detector.detect(frame, quarter_turns)
        d = found.detections
        return [PoseDetection(float(d.scores[i]), d.boxes[i], d.keypoints[i],
                              int(found.quarter_turns[i])) for i in range(len(found))]


class PoseTracker:
    """Body landmarks frame after frame: detect once, then follow the person.

    The ROI of the next frame comes from this frame's auxiliary landmarks; when the pose flag
    drops below ``min_presence`` (or no ROI is known) the detector runs on the frame, turned
    by each of ``quarter_turns``. The best detection of each turn gets its landmarks, and the
    pose kept is the one whose detector score times mean landmark visibility is highest (ours:
    on phantom patients in bed, under blankets, the detector's score alone picks a wrong turn
    more often).

    Args:
        root: models directory.
        threads: interpreter threads (each model).
        min_detection_score: detector threshold (MediaPipe: 0.5).
        min_presence: pose-flag threshold for a tracked pose (MediaPipe: 0.5).
        quarter_turns: turns of the frame the detector is run on (``(0,)`` for upright people,
            ``(0, 1, 2, 3)`` for people lying in any direction).
    """

    def __init__(self, root: Path | None = None, *, threads: int = 1,
                 min_detection_score: float = 0.5, min_presence: float = 0.5,
                 quarter_turns: Sequence[int] = (0, 1, 2, 3)) -> None:
        self.detector = PoseDetector(root, threads=threads, min_score=min_detection_score)
        self.landmarker = PoseLandmarker(root, threads=threads)
        self.min_presence = min_presence
        self.quarter_turns = tuple(quarter_turns)
        self._roi: Roi | None = None

    def reset(self) -> None:
        """Forget the tracked person (the next frame runs the detector)."""
        self._roi = None

    def __call__(self, frame: np.ndarray) -> Pose | None:
        """The pose in ``frame``, or ``None`` when no person is found."""
        frame = as_rgb(frame)
        if self._roi is not None:
            pose = self._landmarks(frame, self._roi, None)
            if pose is not None:
                return pose
        best: tuple[float, Pose] | None = None
        for detection in _best_per_turn(self.detector(frame, self.quarter_turns)):
            pose = self._landmarks(frame, detection.roi(), detection)
            if pose is not None:
                rank = detection.score * float(pose.landmarks[:, 3].mean())
                if best is None or rank > best[0]:
                    best = (rank, pose)
        if best is None:
            self._roi = None
            return None
        self._roi = pose_detection_roi(best[1].auxiliary[:, :2])
        return best[1]

    def _landmarks(self, frame: np.ndarray, roi: Roi, detection: PoseDetection | None
                   ) -> Pose | None:
        values, score = self.landmarker(frame, roi)
        if score < self.min_presence:
            self._roi = None
            return None
        self._roi = pose_detection_roi(values[33:35, :2])
        return Pose(values[:33], values[33:35], score, roi, detection)


def _best_per_turn(detections: list[PoseDetection]) -> list[PoseDetection]:
    """The best detection of each quarter turn (``detections`` sorted by score)."""
    seen: set[int] = set()
    best = []
    for d in detections:
        if d.quarter_turns not in seen:
            seen.add(d.quarter_turns)
            best.append(d)
    return best
