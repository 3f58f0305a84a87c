"""The ``pose`` detector: the person from the packaged BlazePose model, a bed derived from them.

Ordinary clinic video has no depth, so neither the depth detectors nor the bed volume apply.
The person comes from the pose model of :mod:`ictal.landmarks` (run offline, on every quarter
turn of the frame, since a patient in bed lies in any direction in the picture). No packaged
model finds beds: the MediaPipe files detect people and faces only, and the COCO detectors
that know beds (Mask R-CNN, YOLO) ship no weights with any package we depend on (bring one as
an ONNX file: ``detector: onnx``). So the bed is derived from the person, as the rectangle a
lying patient's body axis implies:

* **person box**: the box of the 33 landmarks (joints, eyes, ears, fingers, heels; those
  hidden under a blanket included, as the model places them), grown on every side by
  ``allowance`` (default 0.15) times its longest side, for the outline beyond the joints
  (the top of the head, shoulders, hips, a blanket) -- on the phantom's RGB patients the
  outline reaches a median 0.11 and a 90th percentile 0.20 of the longest side beyond the
  landmarks, and the crop margin covers the rest;
* **bed**: the body axis runs from the feet (ankles and heels) to the head (nose and ears),
  length ``L`` in the picture; the bed is a rectangle along it from :data:`BED_FOOT` ``L``
  beyond the feet to :data:`BED_HEAD` ``L`` beyond the nose (the pillow), and to either side
  :data:`BED_HALF_WIDTH` ``L`` or :data:`BED_HALF_WIDTH_SHOULDERS` shoulder spans, whichever
  is wider (the body length shrinks in the picture when the camera looks along the bed, the
  shoulder span when it looks at a patient on their side); its box in the frame is the bed
  box. These proportions are smaller than a mattress's (2.0 x 0.9 m around a nose-to-ankle
  length of ~1.4 m would be 0.25 L, 0.15 L and 0.32 L): a bed seen in perspective shows its
  near side below the mattress and hides half its far side, so the full mattress drawn around
  the body axis overshoots the true bed box as often as it falls short, and a crop is tight
  only when the merged box overshoots by less than ~8 % per side (the QC allows the margin plus
  10 %). The smaller rectangle was chosen on a phantom held out from the QC figures
  (``ictal phantom --preset clinic --seed 1``, 16 patients): 10 of 16 recordings contained
  and tight against 7 with the full mattress; the crop margin covers the rest of the bed.

The seeds' rule (:func:`~ictal.preprocess.detection.detection_crop_box`) then merges the two
boxes and grows the union by the margin.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ictal.landmarks import POSE_LANDMARKS, Pose, PoseDetection, PoseDetector, PoseLandmarker
from ictal.landmarks.geometry import as_rgb
from ictal.preprocess.detection import BED, PERSON, Detections

_L = {name: i for i, name in enumerate(POSE_LANDMARKS)}
HEAD_POINTS = (_L["nose"], _L["left_ear"], _L["right_ear"])
FEET_POINTS = (_L["left_ankle"], _L["right_ankle"], _L["left_heel"], _L["right_heel"])
#: The bed around a lying patient, in body lengths ``L`` (nose to ankles) along and across the
#: body axis (see the module docstring): beyond the nose, beyond the ankles, to either side.
BED_HEAD = 0.2
BED_FOOT = 0.1
BED_HALF_WIDTH = 0.25
#: ... or this many shoulder spans to either side, when wider.
BED_HALF_WIDTH_SHOULDERS = 1.0
SHOULDERS = (_L["left_shoulder"], _L["right_shoulder"])
#: No bed is derived from a body axis shorter than this many pixels (a person seen end on).
MIN_AXIS_PX = 8.0
#: How much the detector's windows enlarge the frame (:func:`search_windows`).
ZOOM = 1.5

PERSON_SOURCE = "pose landmarks"
BED_SOURCE = "derived from the person's body axis"


def landmarks_box(landmarks: np.ndarray, width: int, height: int, *,
                  allowance: float = 0.15) -> np.ndarray:
    """The person's box from the pose landmarks.

    Args:
        landmarks: ``(N, >=2)`` points ``(x, y)`` px (BlazePose: ``(33, 5)``).
        width, height: of the frame (the box is clipped to it).
        allowance: every side grows by this share of the landmark box's longest side.

    Returns:
        ``(4,)`` ``float32`` ``(x0, y0, x1, y1)`` px.
    """
    xy = np.asarray(landmarks, np.float64)[:, :2]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    grow = allowance * float((hi - lo).max())
    box = np.concatenate([lo - grow, hi + grow])
    return np.clip(box, 0, [width, height, width, height]).astype(np.float32)


def body_axis(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The feet point (mean of ankles and heels) and head point (mean of nose and ears),
    ``(2,)`` px each, of ``(33, >=2)`` BlazePose landmarks."""
    xy = np.asarray(landmarks, np.float64)[:, :2]
    return xy[list(FEET_POINTS)].mean(axis=0), xy[list(HEAD_POINTS)].mean(axis=0)


def derived_bed_box(landmarks: np.ndarray, width: int, height: int, *,
                    head: float = BED_HEAD, foot: float = BED_FOOT,
                    half_width: float = BED_HALF_WIDTH,
                    half_width_shoulders: float = BED_HALF_WIDTH_SHOULDERS) -> np.ndarray | None:
    """The box of the bed a lying person's body axis implies (see the module docstring).

    Args:
        landmarks: ``(33, >=2)`` BlazePose landmarks, px.
        width, height: of the frame (the box is clipped to it).
        head, foot, half_width: the bed's extent beyond the head point, beyond the feet point
            and to either side of the axis, in body lengths.
        half_width_shoulders: the extent to either side in shoulder spans, when wider.

    Returns:
        ``(4,)`` ``float32`` box px, or ``None`` when the axis is shorter than
        :data:`MIN_AXIS_PX`.
    """
    feet, top = body_axis(landmarks)
    length = float(np.hypot(*(top - feet)))
    if length < MIN_AXIS_PX:
        return None
    u = (top - feet) / length
    n = np.array([-u[1], u[0]])
    xy = np.asarray(landmarks, np.float64)[:, :2]
    shoulders = float(np.hypot(*(xy[SHOULDERS[0]] - xy[SHOULDERS[1]])))
    ends = (feet - foot * length * u, top + head * length * u)
    side = max(half_width * length, half_width_shoulders * shoulders) * n
    corners = np.array([e + s for e in ends for s in (side, -side)])
    box = np.concatenate([corners.min(axis=0), corners.max(axis=0)])
    return np.clip(box, 0, [width, height, width, height]).astype(np.float32)


def pose_detections(pose: Pose, width: int, height: int, *, allowance: float = 0.15,
                    derive_bed: bool = True) -> Detections:
    """The person (and derived bed) of one pose as :class:`Detections`, scored by the person
    detector's score (the pose flag when the pose was tracked), with their sources."""
    score = pose.detection.score if pose.detection is not None else pose.score
    boxes = [landmarks_box(pose.landmarks, width, height, allowance=allowance)]
    classes, sources = [PERSON], [f"{PERSON_SOURCE} + {allowance:g} of the longest side"]
    bed = derived_bed_box(pose.landmarks, width, height) if derive_bed else None
    if bed is not None:
        boxes.append(bed)
        classes.append(BED)
        sources.append(f"{BED_SOURCE} ({BED_FOOT:g} L beyond the feet, {BED_HEAD:g} L beyond "
                       f"the nose, {BED_HALF_WIDTH:g} L or {BED_HALF_WIDTH_SHOULDERS:g} "
                       "shoulder span to either side)")
    return Detections(np.stack(boxes).astype(np.float32),
                      np.full(len(boxes), score, np.float32), tuple(classes), tuple(sources))


def search_windows(width: int, height: int, zoom: float = ZOOM
                   ) -> list[tuple[int, int, int, int]]:
    """The parts of a ``width x height`` frame the person detector also looks at, enlarged:
    three windows ``1 / zoom`` of the long side (its start, centre and end) by the whole short
    side, ``(x0, y0, x1, y1)`` px."""
    long_side = max(width, height)
    part = round(long_side / zoom)
    starts = sorted({0, (long_side - part) // 2, long_side - part})
    if width >= height:
        return [(x, 0, x + part, height) for x in starts]
    return [(0, y, width, y + part) for y in starts]


class PoseBoxDetector:
    """Person and derived bed from the packaged pose model (:mod:`ictal.landmarks`).

    On each frame given (no tracking across calls), the person detector runs on the whole
    frame and on :func:`search_windows` of it, enlarged ``zoom`` times, each turned by each of
    ``quarter_turns``: the detector was trained on people filling much of the picture, and a
    patient in bed under a wide-angle clinic camera fills little of it. The best detection of
    each window and turn gets its landmarks (on the whole frame), and the pose kept is the one
    whose detector score times mean landmark visibility is highest, as
    :class:`~ictal.landmarks.PoseTracker` re-detects. On the first 5 s of the clinic phantom's
    recordings (115 frames and views, 2026-12-02), the whole frame alone put the pose on the
    patient on 65 and elsewhere on 13; with the windows, on 100 and elsewhere on 4 (detector
    threshold 0.4; 0.5: 94 and 4).

    Args:
        root: models directory (default ``$ICTAL_MODELS_DIR`` or ``~/.cache/ictal/models``).
        allowance: see :func:`landmarks_box`.
        derive_bed: add the derived bed box.
        min_score: person detector threshold (MediaPipe: 0.5; ours 0.4, see above).
        min_presence: pose-flag threshold of the landmark model (MediaPipe: 0.5).
        quarter_turns: turns of the frame the detector runs on.
        threads: interpreter threads of each model.

    Raises:
        CheckpointError: the model files are not installed (``ictal landmarks install``).
    """

    name = "pose"

    def __init__(self, root: Path | None = None, *, allowance: float = 0.15,
                 derive_bed: bool = True, min_score: float = 0.4, min_presence: float = 0.5,
                 quarter_turns: Sequence[int] = (0, 1, 2, 3), threads: int = 2) -> None:
        self.detector = PoseDetector(root, threads=threads, min_score=min_score)
        self.landmarker = PoseLandmarker(root, threads=threads)
        self.allowance = allowance
        self.derive_bed = derive_bed
        self.min_presence = min_presence
        self.quarter_turns = tuple(quarter_turns)

    def pose(self, image: np.ndarray) -> Pose | None:
        """The person of ``(H, W, 3)`` or ``(H, W)`` ``uint8`` ``image``, or ``None``."""
        frame = as_rgb(image)
        h, w = frame.shape[:2]
        return self._best(frame, [(0, 0, w, h), *search_windows(w, h)])

    def _best(self, frame: np.ndarray, windows: list[tuple[int, int, int, int]]
              ) -> Pose | None:
        best: tuple[float, Pose] | None = None
        for x0, y0, x1, y1 in windows:
            part = np.ascontiguousarray(frame[y0:y1, x0:x1])
            seen: set[int] = set()
            for d in self.detector(part, self.quarter_turns):  # best first
                if d.quarter_turns in seen:
                    continue
                seen.add(d.quarter_turns)
                shift = np.array([x0, y0], np.float32)
                d = PoseDetection(d.score, d.box + np.tile(shift, 2), d.keypoints + shift,
                                  d.quarter_turns)
                roi = d.roi()
                values, flag = self.landmarker(frame, roi)
                if flag < self.min_presence:
                    continue
                rank = d.score * float(values[:33, 3].mean())
                if best is None or rank > best[0]:
                    best = (rank, Pose(values[:33], values[33:35], flag, roi, d))
        return None if best is None else best[1]

    def detect(self, image: np.ndarray, *, depth: np.ndarray | None = None) -> Detections:
        """Person and bed on ``(H, W, 3)`` ``uint8`` RGB ``image``; ``depth`` is unused."""
        pose = self.pose(image)
        if pose is None:
            return Detections.empty()
        h, w = image.shape[:2]
        return pose_detections(pose, w, h, allowance=self.allowance, derive_bed=self.derive_bed)
