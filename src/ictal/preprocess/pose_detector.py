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
  ``allowance`` times its longest side (variant ``2d``: 0.1), for the outline beyond the
  joints (the top of the head, shoulders, hips, a blanket); the crop margin covers the rest;
* **bed**: the body axis runs between the feet (ankles and heels) and the head (nose and
  ears), length ``L`` in the picture; the bed is a rectangle along it reaching
  :data:`BED_END` ``L`` beyond either end and, to either side, :data:`BED_HALF_WIDTH` ``L`` or
  :data:`BED_HALF_WIDTH_SHOULDERS` shoulder spans, whichever is wider (the body length shrinks
  in the picture when the camera looks along the bed, the shoulder span when it looks at a
  patient on their side); its box in the frame is the bed box. Both ends get the same room
  because under a blanket the model often lies the person the wrong way round: on the tuning
  phantoms (``ictal phantom --preset clinic --seed 1`` and ``--seed 2``, 40 recordings) the
  fitted feet-to-head axis pointed from the head to the feet on 135 of 261 frames of patients
  under a blanket (6 % of frames without one). These proportions are smaller than a
  mattress's (2.0 x 0.9 m around a nose-to-ankle length of ~1.4 m would be 0.2 L per end and
  0.32 L to a side): a bed seen in perspective shows its near side below the mattress and
  hides half its far side, so the full mattress drawn around the body axis overshoots the
  true bed box as often as it falls short, and a crop is tight only when the merged box
  overshoots by less than ~8 % per side (the QC allows the margin plus 10 %); the crop
  margin covers the rest of the bed;
* **a body seen along its length** (:func:`bed_direction`): when the shoulders set the width
  (``BED_HALF_WIDTH L < BED_HALF_WIDTH_SHOULDERS S``, i.e. the body is shorter in the
  picture than its shoulder span implies: ``f = 0.25 L / S < 1``) and the axis runs up the
  picture (within 45 degrees of the vertical), the camera looks along the body -- a camera
  mounted level sees the floor's depth direction as the picture's vertical, compressed by the
  sine of the angle it looks down at, and the picture's horizontal not at all. A sideways
  offset ``dx`` between head and feet then turns the short axis by ``atan(dx / dy)``, ``1 / f``
  times the body's own turn from the line of sight, and that offset is mostly posture (head
  turned on the pillow, legs to one side) and fit noise, which the camera's foreshortening
  does not shrink. A rectangle turned with the axis adds about ``1.2 dx`` to the bed's width in
  the picture, though the bed itself runs along the line of sight. So the bed is drawn along
  the axis with its sideways offset shrunk by ``f`` (the turn the body would show were it not
  foreshortened), centred on the axis's middle; its width stays the shoulders', its length the
  axis's. Turning it all the way to the vertical was not taken: on the tuning phantoms (seeds
  1-3, 72 recordings, the crop QC of the README) it cut off the patient in 2 crops that hold
  them now, where shrinking the offset by ``f`` changed no verdict and brought the crops of
  cameras at the foot of the bed closer to the truth (seed 1 P017, the closest to failing:
  reach 0.39 -> 0.33 of 0.40).

**Several frames** (:meth:`PoseBoxDetector.consensus`, the first seconds of a recording): the
person box is the per-side median of the frames' boxes, and the bed is derived once from the
frames' common body axis (:func:`axis_consensus`): a fit often collapses -- the landmarks
squeezed onto the head and chest when a blanket hides the rest, which shortens the axis -- and
seldom runs beyond the body, so each end of the axis is the third most extreme of the frames'
ends rather than their median. The fits that run farthest beyond the body run out of the
picture (on the tuning phantoms every fit whose axis was more than twice the diagonal of the
patient's true box), so fits whose body axis ends outside the frame are left out first, when
that keeps at least half of them. Their lengths tell them apart less well: there fits lying
within a patient's true box were up to 7 times the median length of that patient's (mostly
collapsed) fits. The proportions above, the rank of the ends, the 0.1
allowance and the frame rule were chosen on clinic phantoms held out from the README's figures
(seeds 1, 2 and 3; see the README).

**Regions wider than the picture** (:data:`MAX_REGION`): the pose model reads a square
around the person the detector reports, about 1.25 times the body's length for a person seen
whole. Under a camera at the foot of the bed the detector sometimes takes the blanket or the
bed's end for a body much larger than the picture, and the landmarks fitted in that square
run far beyond the patient. A detection whose square is wider than twice the picture's
diagonal is left out before the landmark model runs: on the tuning phantoms (seeds 1-5, 2,799
fits kept) the fits overlapping the true patient box by IoU >= 0.3 read squares of 0.10-1.58
diagonals (the widest in montage insets the patient fills), while 22 of the 169 fits with IoU
< 0.1 read squares of 2.0-3.9 diagonals.

**Several people** (:func:`person_who_stays`): a nurse or a relative at the bedside is often in
the picture in a recording's first seconds, and the detector finds a standing, uncovered
person more readily than a patient under a blanket: on the tuning phantoms 26 of the 976 fits
the search kept were of staff (by the ground truth's staff boxes; 7 of 11 on seed 3's P007,
whose crop then held the visitor and not the patient). So every frame keeps up to
:data:`MAX_PEOPLE` distinct people (the best detection of each search window and turn, the
same person found twice counted once), and the consensus takes the person found on the most
frames -- the patient stays in bed while visitors come and go -- from each frame its best fit
of them (a box overlapping theirs by half the smaller box: a collapsed fit of the patient
still counts), leaving out frames where only somebody else was found. Chosen on clinic
phantoms 1-5 (seeds 4 and 5 had been measured once before, so they count as tuning seeds
now): see the README.

The seeds' rule (:func:`~ictal.preprocess.detection.detection_crop_box`) then merges the two
boxes and grows the union by the margin.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ictal.landmarks import POSE_LANDMARKS, Pose, PoseDetection, PoseDetector, PoseLandmarker, Roi
from ictal.landmarks.detections import box_intersection, box_iou
from ictal.landmarks.geometry import as_rgb, crop_to_frame, warp_crop
from ictal.preprocess.detection import BED, PERSON, Detections, consensus

_L = {name: i for i, name in enumerate(POSE_LANDMARKS)}
HEAD_POINTS = (_L["nose"], _L["left_ear"], _L["right_ear"])
FEET_POINTS = (_L["left_ankle"], _L["right_ankle"], _L["left_heel"], _L["right_heel"])
#: The bed around a lying patient, in body lengths ``L`` (nose to ankles) along and across the
#: body axis (see the module docstring): beyond either end, to either side.
BED_END = 0.1
BED_HALF_WIDTH = 0.25
#: ... or this many shoulder spans to either side, when wider.
BED_HALF_WIDTH_SHOULDERS = 1.0
SHOULDERS = (_L["left_shoulder"], _L["right_shoulder"])
#: No bed is derived from a body axis shorter than this many pixels (a person seen end on).
MIN_AXIS_PX = 8.0
#: How much the detector's windows enlarge the frame (:func:`search_windows`).
ZOOM = 1.5
#: The frame is also searched turned by this many degrees when nobody is found upright
#: (:func:`turned_picture`; with the detector's quarter turns: every 45 degrees).
TURN_DEGREES = 45.0
#: A detection whose landmark region (the square the pose model reads, 1.25 times the body's
#: length for a person seen whole) is wider than this many picture diagonals is left out: the
#: detector took a small part of the picture for a body 1.6 times as long as the picture
#: (:meth:`PoseBoxDetector.poses`).
MAX_REGION = 2.0
#: At most this many people are kept of a frame (:meth:`PoseBoxDetector.poses`) ...
MAX_PEOPLE = 4
#: ... fits whose boxes overlap more than this (intersection over union) counting as one.
DUPLICATE_IOU = 0.5
#: Of several frames (:func:`person_who_stays`): a fit is the person who stays when its person
#: box and theirs overlap by at least this share of the smaller box.
SAME_PERSON_OVERLAP = 0.5
#: Of several frames' body axes (:func:`axis_consensus`): each end is the n-th most extreme.
AXIS_END_RANK = 3
#: ... among the axes within this many degrees of their common direction.
AXIS_TOLERANCE_DEGREES = 25.0

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


def shoulder_span(landmarks: np.ndarray) -> float:
    """The distance between the shoulders of ``(33, >=2)`` BlazePose landmarks, px."""
    xy = np.asarray(landmarks, np.float64)[:, :2]
    return float(np.hypot(*(xy[SHOULDERS[0]] - xy[SHOULDERS[1]])))


def bed_around_axis(start: np.ndarray, end: np.ndarray, shoulders: float, width: int,
                    height: int, *, beyond: float = BED_END,
                    half_width: float = BED_HALF_WIDTH,
                    half_width_shoulders: float = BED_HALF_WIDTH_SHOULDERS) -> np.ndarray | None:
    """The box of the bed around a body axis from ``start`` to ``end`` (``(2,)`` px each, in
    either order; see the module docstring): a rectangle along :func:`bed_direction`, from
    ``beyond`` body lengths before the first end to as far past the other, and to either side
    of the axis's middle by the wider of ``half_width`` body lengths and
    ``half_width_shoulders`` shoulder spans.

    Args:
        shoulders: the shoulder span, px.
        width, height: of the frame (the box is clipped to it).
        beyond: the bed's extent beyond either end of the axis, in body lengths.
        half_width: its extent to either side of the axis, in body lengths ...
        half_width_shoulders: ... or in shoulder spans, when wider.

    Returns:
        ``(4,)`` ``float32`` box px, or ``None`` when the axis is shorter than
        :data:`MIN_AXIS_PX`.
    """
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    length = float(np.hypot(*(end - start)))
    if length < MIN_AXIS_PX:
        return None
    across_length, across_shoulders = half_width * length, half_width_shoulders * shoulders
    u = bed_direction(start, end, across_length / across_shoulders
                      if across_length < across_shoulders else 1.0)
    n = np.array([-u[1], u[0]])
    low, high = sorted((float(start @ u), float(end @ u)))
    middle = float((start + end) @ n) / 2
    half = max(across_length, across_shoulders)
    corners = np.array([a * u + b * n for a in (low - beyond * length, high + beyond * length)
                        for b in (middle - half, middle + half)])
    box = np.concatenate([corners.min(axis=0), corners.max(axis=0)])
    return np.clip(box, 0, [width, height, width, height]).astype(np.float32)


def bed_direction(start: np.ndarray, end: np.ndarray, foreshortening: float) -> np.ndarray:
    """The unit direction ``(2,)`` (x, y) of the bed along a body axis from ``start`` to
    ``end`` (``(2,)`` px each): the axis's own, unless it runs up the picture (within 45
    degrees of the vertical) and is foreshortened (``foreshortening < 1``: the axis's length in
    the picture over what its shoulders imply) -- then its sideways offset (x) is shrunk by
    ``foreshortening`` (see the module docstring: a body seen along its length)."""
    d = np.asarray(end, np.float64) - np.asarray(start, np.float64)
    if foreshortening < 1.0 and abs(d[1]) >= abs(d[0]):
        d = np.array([max(foreshortening, 0.0) * d[0], d[1]])
    return d / float(np.hypot(*d))


def derived_bed_box(landmarks: np.ndarray, width: int, height: int, *,
                    beyond: float = BED_END, half_width: float = BED_HALF_WIDTH,
                    half_width_shoulders: float = BED_HALF_WIDTH_SHOULDERS) -> np.ndarray | None:
    """The box of the bed one fit's body axis implies (:func:`bed_around_axis` from the feet
    to the head of ``(33, >=2)`` BlazePose landmarks, px); ``None`` for an axis shorter than
    :data:`MIN_AXIS_PX`."""
    feet, head = body_axis(landmarks)
    return bed_around_axis(feet, head, shoulder_span(landmarks), width, height, beyond=beyond,
                           half_width=half_width, half_width_shoulders=half_width_shoulders)


@dataclass(frozen=True)
class BodyAxis:
    """The body axis common to several fits (:func:`axis_consensus`).

    Attributes:
        start, end: ``(2,)`` px, the axis's two ends (which is the head is not decided).
        shoulders: the median shoulder span of the fits used, px.
        used: how many fits lie along it (the others turn away from it or leave the frame).
        outside: how many fits were left out because their axis ends outside the frame.
    """

    start: np.ndarray
    end: np.ndarray
    shoulders: float
    used: int
    outside: int = 0


def axis_consensus(fits: Sequence[np.ndarray], *, rank: int = AXIS_END_RANK,
                   tolerance_degrees: float = AXIS_TOLERANCE_DEGREES,
                   frame: tuple[int, int] | None = None) -> BodyAxis | None:
    """One body axis from several frames' fits of the same person.

    With ``frame``, fits whose body axis (:func:`body_axis`) has an end outside the
    ``width x height`` picture are left out first, when that keeps at least half of the fits
    with an axis: such a fit has run beyond the body, and three of them would otherwise set
    the ends and, being long, turn the direction (the mean below is weighted by length). A
    body the frame really cuts on most frames keeps its fits. The axes' common direction is
    their length-weighted mean orientation (doubled angles: an axis and its reverse count
    alike, as a blanket makes the model confuse head and feet);
    fits turned more than ``tolerance_degrees`` from it are left out when that keeps at least
    half of them. Along the direction, the axis spans from the ``rank``-th lowest to the
    ``rank``-th highest of the fits' ends: a collapsed fit shortens its axis, a fit beyond the
    body that stays in the picture is rarer. With ``rank`` fits or fewer that is the innermost
    of their ends (one fit: its own), so an axis from few fits is short -- variant ``2d``
    searches on for more frames (``detection.search_seconds``). Across it, the axis lies at the
    median of the fits' centres.

    Args:
        fits: ``(33, >=2)`` BlazePose landmarks of each frame, px.
        frame: ``(width, height)`` of the picture the fits are in, px; ``None`` keeps every
            fit however far it runs.

    Returns:
        The axis, or ``None`` when no fit has an axis of :data:`MIN_AXIS_PX` or more.
    """
    ends = [body_axis(f) for f in fits]
    keep = [i for i, (a, b) in enumerate(ends) if np.hypot(*(b - a)) >= MIN_AXIS_PX]
    if not keep:
        return None
    outside = 0
    if frame is not None:
        inside = [i for i in keep if all(_in_frame(p, *frame) for p in ends[i])]
        if 2 * len(inside) >= len(keep):
            outside, keep = len(keep) - len(inside), inside
    start = np.array([ends[i][0] for i in keep])
    end = np.array([ends[i][1] for i in keep])
    spans = np.array([shoulder_span(fits[i]) for i in keep])
    d = end - start
    lengths, angles = np.hypot(d[:, 0], d[:, 1]), np.arctan2(d[:, 1], d[:, 0])
    mean = 0.5 * math.atan2(float((lengths * np.sin(2 * angles)).sum()),
                            float((lengths * np.cos(2 * angles)).sum()))
    along = np.abs(np.cos(angles - mean)) >= math.cos(math.radians(tolerance_degrees))
    if 2 * int(along.sum()) >= len(along):
        start, end, spans = start[along], end[along], spans[along]
    u = np.array([math.cos(mean), math.sin(mean)])
    n = np.array([-u[1], u[0]])
    low = np.sort(np.minimum(start @ u, end @ u))
    high = np.sort(np.maximum(start @ u, end @ u))[::-1]
    k = min(rank, len(low)) - 1
    offset = float(np.median((start + end) @ n / 2))
    return BodyAxis(low[k] * u + offset * n, high[k] * u + offset * n, float(np.median(spans)),
                    len(low), outside)


def _in_frame(point: np.ndarray, width: int, height: int) -> bool:
    """Whether ``point`` ``(2,)`` (x, y) px lies in the ``width x height`` picture (its edges
    included)."""
    return _point_in(point, (0.0, 0.0, width, height))


def _point_in(point: np.ndarray, box: Sequence[float] | np.ndarray) -> bool:
    """Whether ``point`` ``(2,)`` (x, y) lies in ``box`` ``(x0, y0, x1, y1)``, edges included."""
    return bool(box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3])


def _median_point(landmarks: np.ndarray) -> np.ndarray:
    """The median ``(2,)`` (x, y) px of ``(N, >=2)`` landmarks."""
    return np.median(np.asarray(landmarks)[:, :2], axis=0)


@dataclass(frozen=True)
class PoseDetections(Detections):
    """:class:`~ictal.preprocess.detection.Detections` of one frame with the pose they came
    from: ``landmarks`` ``(33, 5)`` px (:meth:`PoseBoxDetector.consensus` needs them)."""

    landmarks: np.ndarray | None = None
    #: The other people found on the frame, best first, each as its own detections.
    others: tuple[PoseDetections, ...] = ()


def pose_detections(pose: Pose, width: int, height: int, *, allowance: float = 0.15,
                    derive_bed: bool = True) -> PoseDetections:
    """The person (and derived bed) of one pose as :class:`PoseDetections`, scored by the
    person detector's score (the pose flag when the pose was tracked), with their sources."""
    score = pose.detection.score if pose.detection is not None else pose.score
    boxes = [landmarks_box(pose.landmarks, width, height, allowance=allowance)]
    classes, sources = [PERSON], [f"{PERSON_SOURCE} + {allowance:g} of the longest side"]
    bed = derived_bed_box(pose.landmarks, width, height) if derive_bed else None
    if bed is not None:
        boxes.append(bed)
        classes.append(BED)
        sources.append(_bed_source())
    return PoseDetections(np.stack(boxes).astype(np.float32),
                          np.full(len(boxes), score, np.float32), tuple(classes),
                          tuple(sources), landmarks=pose.landmarks)


def _bed_source() -> str:
    return (f"{BED_SOURCE} ({BED_END:g} L beyond either end, {BED_HALF_WIDTH:g} L or "
            f"{BED_HALF_WIDTH_SHOULDERS:g} shoulder span to either side; a foreshortened "
            f"axis's sideways offset shrunk by its foreshortening)")


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


def turned_picture(frame: np.ndarray, degrees: float = TURN_DEGREES, *,
                   max_side: int = 1024) -> tuple[np.ndarray, Roi]:
    """``frame`` turned by ``degrees`` (clockwise on the screen) in a square picture that holds
    all of it, at most ``max_side`` px across; around the frame the picture has the frame's
    median colour (black corners make the person detector miss people it finds otherwise).

    Args:
        frame: ``(H, W, 3)`` uint8 RGB or ``(H, W)`` uint8 grey.

    Returns:
        The picture ``(S, S, 3)`` uint8, and the region of the frame it shows: a point ``p``
        px of the picture is ``crop_to_frame(p / S, roi)`` px of the frame.
    """
    rgb = as_rgb(frame)
    h, w = rgb.shape[:2]
    t = math.radians(degrees)
    c, s = abs(math.cos(t)), abs(math.sin(t))
    side = max(w * c + h * s, w * s + h * c)
    size = min(max_side, math.ceil(side))
    roi = Roi(w / 2, h / 2, side, side, t)
    picture = np.clip(np.rint(warp_crop(rgb, roi, size)), 0, 255).astype(np.uint8)
    grid = (np.arange(size) + 0.5) / size
    source = crop_to_frame(np.stack(np.meshgrid(grid, grid), axis=-1), roi)
    outside = ((source[..., 0] < 0) | (source[..., 0] >= w) | (source[..., 1] < 0)
               | (source[..., 1] >= h))
    picture[outside] = np.median(rgb.reshape(-1, 3), axis=0).astype(np.uint8)
    return picture, roi


def distinct_people(poses: Sequence[Pose], width: int, height: int) -> list[Pose]:
    """``poses`` (best first) without those whose landmark box overlaps a better one's by
    more than :data:`DUPLICATE_IOU` (the same person found in another window or turn)."""
    kept: list[Pose] = []
    boxes = np.zeros((0, 4), np.float32)
    for pose in poses:
        box = landmarks_box(pose.landmarks, width, height, allowance=0.0)
        if not (box_iou(box, boxes) > DUPLICATE_IOU).any():
            kept.append(pose)
            boxes = np.vstack([boxes, box[None]])
    return kept


def person_who_stays(frames: Sequence[Detections]) -> tuple[list[Detections], int]:
    """Of several frames' people, the one found on the most frames (see the module
    docstring: someone at the bedside comes and goes, the patient stays).

    Each frame offers its best person and :attr:`PoseDetections.others`. A fit is found again
    on another frame when that frame has a fit whose landmark median lies in its person box
    and whose person box holds its own landmark median. The person who stays is the fit found
    again on the most frames (a tie goes to a frame's best, then to the earlier frame); each
    frame gives its best-ranked fit whose person box overlaps that fit's by at least
    :data:`SAME_PERSON_OVERLAP` of the smaller box (so a fit squeezed onto the head and chest
    of a patient under a blanket is still the patient), and a frame without one is left out.
    Frames that are not :class:`PoseDetections` are kept as they are.

    Returns:
        The detections of that person, one per frame where they were found (in the frames'
        order), and how many frames were left out.
    """
    people = [[f, *f.others] if isinstance(f, PoseDetections) and f.landmarks is not None
              else [] for f in frames]
    fits = [d for ps in people for d in ps]
    if not fits:
        return list(frames), 0
    box = {id(d): d.boxes[d.classes.index(PERSON)] for d in fits}
    middle = {id(d): _median_point(d.landmarks) for d in fits}

    def same_place(a: PoseDetections, b: PoseDetections) -> bool:
        return _point_in(middle[id(b)], box[id(a)]) and _point_in(middle[id(a)], box[id(b)])

    def support(fit: PoseDetections) -> int:
        return sum(any(same_place(fit, d) for d in ps) for ps in people)

    ranks = [(support(d), j == 0, -i) for i, ps in enumerate(people) for j, d in enumerate(ps)]
    anchor = box[id(fits[max(range(len(fits)), key=ranks.__getitem__)])]
    chosen: list[Detections] = []
    for frame, ps in zip(frames, people, strict=True):
        same = [d for d in ps if _overlap(anchor, box[id(d)]) >= SAME_PERSON_OVERLAP]
        if same or not ps:
            chosen.append(same[0] if same else frame)
    return chosen, len(frames) - len(chosen)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """The intersection of boxes ``a`` and ``b`` ``(x0, y0, x1, y1)`` over the smaller one's
    area (0 for an empty box)."""
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(box_intersection(a, b[None])[0] / smaller) if smaller > 0 else 0.0


class PoseBoxDetector:
    """Person and derived bed from the packaged pose model (:mod:`ictal.landmarks`).

    On each frame given (no tracking across calls), the person detector runs on the whole
    frame and on :func:`search_windows` of it, enlarged ``zoom`` times, each turned by each of
    ``quarter_turns``: the detector was trained on people filling much of the picture, and a
    patient in bed under a wide-angle clinic camera fills little of it. The best detection of
    each window and turn gets its landmarks (on the whole frame), and the pose kept is the one
    whose detector score times mean landmark visibility is highest, as
    :class:`~ictal.landmarks.PoseTracker` re-detects (:meth:`pose`); :meth:`detect` keeps the
    other people found too (:meth:`poses`, for :func:`person_who_stays`). On the first 5 s of
    the clinic phantom's recordings (115 frames and views, 2026-12-02), the whole frame alone
    put the pose on the patient on 65 and elsewhere on 13; with the windows, on 100 and
    elsewhere on 4 (detector threshold 0.4; 0.5: 94 and 4). When nobody is found so, the same
    search runs on the frame turned by :data:`TURN_DEGREES` (:func:`turned_picture`): the
    detector misses people lying diagonally in the picture, and on the tuning phantoms' night
    infrared (seed 2: 16 views, 6 frames each) the turned search found the patient on 13 more
    frames (and a wrong place on 10 more) where the upright one found nobody.

    Args:
        root: models directory (default ``$ICTAL_MODELS_DIR`` or ``~/.cache/ictal/models``).
        allowance: see :func:`landmarks_box`.
        derive_bed: add the derived bed box.
        min_score: person detector threshold (MediaPipe: 0.5; ours 0.4, see above).
        min_presence: pose-flag threshold of the landmark model (MediaPipe: 0.5).
        quarter_turns: turns of the frame the detector runs on.
        turned: search the frame turned by :data:`TURN_DEGREES` when nobody is found upright.
        max_region: see :data:`MAX_REGION`.
        threads: interpreter threads of each model.

    Raises:
        CheckpointError: the model files are not installed (``ictal landmarks install``).
    """

    name = "pose"

    def __init__(self, root: Path | None = None, *, allowance: float = 0.15,
                 derive_bed: bool = True, min_score: float = 0.4, min_presence: float = 0.5,
                 quarter_turns: Sequence[int] = (0, 1, 2, 3), turned: bool = True,
                 max_region: float = MAX_REGION, threads: int = 2) -> None:
        self.detector = PoseDetector(root, threads=threads, min_score=min_score)
        self.landmarker = PoseLandmarker(root, threads=threads)
        self.allowance = allowance
        self.derive_bed = derive_bed
        self.min_presence = min_presence
        self.quarter_turns = tuple(quarter_turns)
        self.turned = turned
        self.max_region = max_region

    def pose(self, image: np.ndarray) -> Pose | None:
        """The person of ``(H, W, 3)`` or ``(H, W)`` ``uint8`` ``image`` (the best of
        :meth:`poses`), or ``None``."""
        found = self.poses(image, limit=1)
        return found[0] if found else None

    def poses(self, image: np.ndarray, *, limit: int = MAX_PEOPLE) -> list[Pose]:
        """The people of ``(H, W, 3)`` or ``(H, W)`` ``uint8`` ``image``, best first (the first
        is :meth:`pose`'s): at most ``limit``, one per place (:func:`distinct_people`)."""
        frame = as_rgb(image)
        h, w = frame.shape[:2]
        found = self._candidates(frame, frame, [(0, 0, w, h), *search_windows(w, h)])
        if not found and self.turned:
            picture, roi = turned_picture(frame)
            size = picture.shape[0]
            found = self._candidates(frame, picture,
                                     [(0, 0, size, size), *search_windows(size, size)],
                                     lambda p: crop_to_frame(p / size, roi))
        return distinct_people(found, frame.shape[1], frame.shape[0])[:limit]

    def _candidates(self, frame: np.ndarray, picture: np.ndarray,
                    windows: list[tuple[int, int, int, int]],
                    to_frame: Callable[[np.ndarray], np.ndarray] | None = None) -> list[Pose]:
        """Every pose the detector finds in ``windows`` of ``picture`` (``frame`` itself, or a
        picture of it whose points ``to_frame`` maps to the frame's) -- the best detection of
        each window and quarter turn, its landmarks computed on ``frame`` -- best first by
        detector score times mean landmark visibility."""
        found: list[tuple[float, Pose]] = []
        diagonal = math.hypot(frame.shape[1], frame.shape[0])
        for x0, y0, x1, y1 in windows:
            part = np.ascontiguousarray(picture[y0:y1, x0:x1])
            seen: set[int] = set()
            for d in self.detector(part, self.quarter_turns):  # best first
                if d.quarter_turns in seen:
                    continue
                seen.add(d.quarter_turns)
                shift = np.array([x0, y0], np.float32)
                box, keypoints = d.box + np.tile(shift, 2), d.keypoints + shift
                if to_frame is not None:
                    corners = to_frame(_corners(box))
                    box = np.concatenate([corners.min(axis=0), corners.max(axis=0)])
                    keypoints = to_frame(keypoints)
                d = PoseDetection(d.score, box.astype(np.float32), keypoints.astype(np.float32),
                                  d.quarter_turns)
                roi = d.roi()
                if max(roi.width, roi.height) > self.max_region * diagonal:
                    continue
                values, flag = self.landmarker(frame, roi)
                if flag < self.min_presence or not _centred_in(values[:33], frame):
                    continue
                found.append((d.score * float(values[:33, 3].mean()),
                              Pose(values[:33], values[33:35], flag, roi, d)))
        found.sort(key=lambda rp: -rp[0])  # stable: the first found wins a tie
        return [pose for _, pose in found]

    def detect(self, image: np.ndarray, *, depth: np.ndarray | None = None) -> Detections:
        """Person and bed on ``(H, W, 3)`` ``uint8`` RGB ``image`` (:class:`PoseDetections`
        when somebody is found); ``depth`` is unused."""
        people = self.poses(image)
        if not people:
            return Detections.empty()
        h, w = image.shape[:2]
        best, *others = (pose_detections(p, w, h, allowance=self.allowance,
                                         derive_bed=self.derive_bed) for p in people)
        return replace(best, others=tuple(others))

    def consensus(self, frames: Sequence[Detections], width: int, height: int) -> Detections:
        """One detection from several frames' (:func:`pose_consensus`)."""
        return pose_consensus(frames, width, height, derive_bed=self.derive_bed)


def pose_consensus(frames: Sequence[Detections], width: int, height: int, *,
                   derive_bed: bool = True) -> Detections:
    """One detection from several frames' (:meth:`PoseBoxDetector.detect` on the first
    seconds of a recording; see the module docstring): of the person found on the most frames
    (:func:`person_who_stays`), the person box is the per-side median of the frames' boxes
    (:func:`~ictal.preprocess.detection.consensus`), the bed is derived from the frames'
    common body axis (:func:`axis_consensus`, of the frames that are :class:`PoseDetections`,
    fits whose axis leaves the ``width x height`` frame left out) in that frame.

    Returns:
        :class:`~ictal.preprocess.detection.Detections` of one person and one bed at most,
        their sources saying how many frames made them.
    """
    posed = sum(isinstance(f, PoseDetections) and f.landmarks is not None for f in frames)
    frames, elsewhere = person_who_stays(frames)
    found = consensus(frames)
    fits = [f.landmarks for f in frames
            if isinstance(f, PoseDetections) and f.landmarks is not None]
    left_out = f" ({elsewhere} of someone or somewhere else left out)" if elsewhere else ""
    keep = [i for i, c in enumerate(found.classes) if c != BED]
    boxes = [found.boxes[i] for i in keep]
    scores = [float(found.scores[i]) for i in keep]
    classes = [found.classes[i] for i in keep]
    sources = [(found.sources[i] if found.sources else "") + left_out for i in keep]
    axis = axis_consensus(fits, frame=(width, height)) if derive_bed and fits else None
    bed = None if axis is None else bed_around_axis(axis.start, axis.end, axis.shoulders,
                                                    width, height)
    if axis is not None and bed is not None:
        boxes.append(bed)
        scores.append(float(np.median([f.scores.max() for f in frames if len(f.scores)])))
        classes.append(BED)
        sources.append(f"{_bed_source()}; the body axis of {axis.used} of {posed} "
                       f"frames, each end the {_ordinal(AXIS_END_RANK)} most extreme"
                       + (f" ({axis.outside} leaving the picture left out)"
                          if axis.outside else "") + left_out)
    if not boxes:
        return Detections.empty()
    return Detections(np.stack(boxes).astype(np.float32), np.asarray(scores, np.float32),
                      tuple(classes), tuple(sources))


def _centred_in(landmarks: np.ndarray, frame: np.ndarray) -> bool:
    """Whether the median of the landmarks ``(N, >=2)`` px lies in the frame (a fit in the fill
    around a turned frame does not)."""
    return _in_frame(_median_point(landmarks), frame.shape[1], frame.shape[0])


def _corners(box: np.ndarray) -> np.ndarray:
    """The 4 corners ``(4, 2)`` of box ``(x0, y0, x1, y1)``."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def _ordinal(n: int) -> str:
    return f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'}"
