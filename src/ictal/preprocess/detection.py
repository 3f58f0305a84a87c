"""Detection cropping: a detector interface and the seeds' bed + person box rule.

A detector looks at one frame and returns boxes, scores and class names. The crop rule (seed
001 Sec. 3.3.1, seed 000 "Video bounding-box cropping") takes the highest-confidence bed and the
highest-confidence person, merges their boxes, expands the union by a margin (+20 % in seed
001, +30 % in seed 000) and clips it to the frame; the whole sequence is cropped with it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from scipy import ndimage as ndi

from ictal.errors import ShapeError
from ictal.preprocess.boxes import Box, clip_box, expand_box, mask_box, merge_boxes

log = logging.getLogger(__name__)

PERSON = "person"
BED = "bed"


@dataclass(frozen=True)
class Detections:
    """What a detector found on one frame.

    Attributes:
        boxes: ``(N, 4)`` ``float32`` ``(x0, y0, x1, y1)`` in pixels of the frame given.
        scores: ``(N,)`` ``float32`` confidences in ``[0, 1]``.
        classes: ``N`` class names (``"person"``, ``"bed"``, ...).
        sources: how each box was found (e.g. a box derived from another), ``N`` texts, or
            empty: every box is the detector's own.
    """

    boxes: np.ndarray
    scores: np.ndarray
    classes: tuple[str, ...]
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.classes)
        if self.boxes.shape != (n, 4) or self.scores.shape != (n,):
            raise ShapeError(f"detections need boxes (N, 4), scores (N,) and N classes; got "
                             f"{self.boxes.shape}, {self.scores.shape}, {n}")
        if self.sources and len(self.sources) != n:
            raise ShapeError(f"detections need one source per box or none; got "
                             f"{len(self.sources)} for {n} boxes")

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), ())

    def best(self, name: str) -> tuple[Box, float] | None:
        """Highest-scoring box of class ``name`` (rounded outwards to pixels) and its score."""
        i = self.best_index(name)
        if i is None:
            return None
        x0, y0, x1, y1 = self.boxes[i]
        box = (int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1)))
        return box, float(self.scores[i])

    def source_of_best(self, name: str) -> str | None:
        """How the box :meth:`best` returns was found (``None``: the detector's own box, or no
        box of that class)."""
        i = self.best_index(name)
        return None if i is None or not self.sources else self.sources[i]

    def best_index(self, name: str) -> int | None:
        """Index of the highest-scoring box of class ``name``, ``None`` when there is none."""
        idx = [i for i, c in enumerate(self.classes) if c == name]
        return max(idx, key=lambda k: float(self.scores[k])) if idx else None


def grey_to_rgb(frame: np.ndarray) -> np.ndarray:
    """A detector's input from a frame: ``(H, W)`` ``uint8`` -> ``(H, W, 3)`` ``uint8`` by
    repeating the channel; ``(H, W, 3)`` frames are returned as they are."""
    return np.repeat(frame[..., None], 3, axis=2) if frame.ndim == 2 else frame


@runtime_checkable
class Detector(Protocol):
    """Finds persons and beds on one frame.

    ``image`` is ``(H, W, 3)`` ``uint8`` RGB (grey infrared repeated to 3 channels); ``depth``
    is the matching ``(H, W)`` ``uint16`` depth after depth cropping (0 outside the volume),
    or ``None`` when the recording has no depth stream.
    """

    name: str

    def detect(self, image: np.ndarray, *, depth: np.ndarray | None = None) -> Detections: ...


@dataclass(frozen=True)
class CropDecision:
    """Outcome of :func:`detection_crop_box` (stored in the recording's plan)."""

    crop_box: Box | None
    detection_box: Box | None
    bed: tuple[Box, float] | None
    person: tuple[Box, float] | None
    margin: float
    found: tuple[str, ...] = field(default_factory=tuple)
    bed_source: str | None = None
    person_source: str | None = None

    @property
    def ok(self) -> bool:
        """Whether at least one of bed / person was found."""
        return self.crop_box is not None


def detection_crop_box(
    detections: Detections, width: int, height: int, *, margin: float,
    min_score: float = 0.0,
) -> CropDecision:
    """The seeds' rule: best bed box merged with best person box, expanded by ``margin``
    (0.2 seed 001, 0.3 seed 000) on every side, clipped to the ``width x height`` frame.

    When only one of the two classes is found its box is used alone; when neither is, the
    decision has ``crop_box=None`` (the caller decides whether to keep the full frame).
    Detections scoring below ``min_score`` are ignored.
    """
    keep = detections.scores >= min_score
    kept = Detections(detections.boxes[keep], detections.scores[keep],
                      tuple(c for c, k in zip(detections.classes, keep, strict=True) if k),
                      tuple(s for s, k in zip(detections.sources, keep, strict=True) if k)
                      if detections.sources else ())
    bed, person = kept.best(BED), kept.best(PERSON)
    boxes = [b for b, _ in (x for x in (bed, person) if x is not None)]
    if not boxes:
        return CropDecision(None, None, bed, person, margin)
    merged = boxes[0] if len(boxes) == 1 else merge_boxes(boxes[0], boxes[1])
    merged = clip_box(merged, width, height)
    crop = clip_box(expand_box(merged, margin), width, height)
    found = tuple(n for n, x in ((BED, bed), (PERSON, person)) if x is not None)
    return CropDecision(crop, merged, bed, person, margin, found, kept.source_of_best(BED),
                        kept.source_of_best(PERSON))


def consensus(frames: Sequence[Detections]) -> Detections:
    """One detection per class from several frames' detections: the coordinate-wise median of
    the best box of the class on each frame where it was found, with the median score; a
    class found on fewer than half of the frames is left out. A single wrong fit among them
    moves no side of the box (:mod:`~ictal.preprocess.pose_detector` on dark frames).

    Returns:
        :class:`Detections` of at most one box per class (``bed``, ``person``, ...), their
        sources saying how many frames made them.
    """
    classes = sorted({c for d in frames for c in d.classes})
    boxes, scores, names, sources = [], [], [], []
    for name in classes:
        found = [(d.boxes[i], d.scores[i], d.source_of_best(name)) for d in frames
                 if (i := d.best_index(name)) is not None]
        if 2 * len(found) < len(frames):
            continue
        boxes.append(np.median(np.stack([b for b, _, _ in found]), axis=0))
        scores.append(float(np.median([s for _, s, _ in found])))
        names.append(name)
        how = found[0][2]
        sources.append(f"{how + '; ' if how else ''}median of {len(found)} frames")
    if not names:
        return Detections.empty()
    return Detections(np.asarray(boxes, np.float32), np.asarray(scores, np.float32),
                      tuple(names), tuple(sources))


@dataclass
class DepthMaskDetector:
    """Weight-free detector: the largest connected component of the depth-cropped volume.

    After Algorithm 1 the valid depth pixels are mostly the bed and the patient on it; the
    bounding box of the largest 8-connected component (after a binary opening of
    ``opening`` pixels that cuts thin bridges to the surroundings) is reported as one ``bed``
    box whose score is the component's share of all kept pixels.
    """

    opening: int = 3
    min_pixels: int = 50
    name: str = "depth-mask"

    def detect(self, image: np.ndarray, *, depth: np.ndarray | None = None) -> Detections:
        if depth is None:
            raise ShapeError("the depth-mask detector needs the depth-cropped depth frame",
                             hint="for video without depth use `--variant 2d` (detector: pose)")
        mask = depth > 0
        if self.opening > 0:
            mask = ndi.binary_opening(mask, structure=np.ones((self.opening, self.opening)))
        labels, n = ndi.label(mask, structure=np.ones((3, 3)))
        if n == 0:
            return Detections.empty()
        sizes = np.bincount(labels.ravel())[1:]
        best = int(np.argmax(sizes))
        if sizes[best] < self.min_pixels:
            return Detections.empty()
        box = mask_box(labels == best + 1)
        assert box is not None  # the component is non-empty by construction
        score = float(sizes[best] / sizes.sum())
        return Detections(np.asarray([box], np.float32), np.asarray([score], np.float32), (BED,))
