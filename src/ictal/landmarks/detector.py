"""A single-shot detector on whole frames: letterbox, run, decode, NMS, map back to the frame.

One class serves the person detector and both face detectors (they differ only in data:
model, anchors, keypoints, threshold). Patients in bed lie in any direction in the picture,
and these detectors were trained on mostly upright people: :meth:`SsdDetector.detect` can run
on the frame turned by quarter turns and maps every detection back to the original frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ictal.landmarks.anchors import AnchorOptions, ssd_anchors
from ictal.landmarks.detections import DecodeOptions, Detections, decode_detections, weighted_nms
from ictal.landmarks.geometry import (
    Roi,
    as_rgb,
    crop_to_frame,
    letterbox_roi,
    unrotate_points,
    warp_crop,
)
from ictal.landmarks.runtime import TfliteModel


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """What a detector is: model file, anchors, decoding, NMS threshold, input value range."""

    model: str
    anchors: AnchorOptions
    decode: DecodeOptions
    iou_threshold: float = 0.3
    value_range: tuple[float, float] = (-1.0, 1.0)


@dataclass(frozen=True, slots=True)
class FrameDetections:
    """Detections in frame px and the quarter turns of the frame the detector saw.

    Attributes:
        detections: boxes ``(N, 4)`` and keypoints ``(N, K, 2)`` in frame px of the original
            (unturned) frame, scores ``(N,)``; best first.
        quarter_turns: ``(N,)`` int, the turn (``k`` of ``np.rot90(frame, k)``) each came from.
    """

    detections: Detections
    quarter_turns: np.ndarray

    def __len__(self) -> int:
        return len(self.detections)


def frame_input(frame: np.ndarray, size: int, value_range: tuple[float, float]
                ) -> tuple[np.ndarray, Roi]:
    """A whole frame letterboxed into the model's ``(size, size, 3)`` float32 input.

    Returns:
        The input scaled to ``value_range`` (black padding) and the ROI it shows (frame px;
        map points relative to the input back with :func:`crop_to_frame`).
    """
    h, w = frame.shape[:2]
    roi, _ = letterbox_roi(Roi(w / 2, h / 2, float(w), float(h)), size, size)
    crop = warp_crop(frame, roi, size, border="zero")
    lo, hi = value_range
    return crop * np.float32((hi - lo) / 255.0) + np.float32(lo), roi


class SsdDetector:
    """Run one SSD detector on frames (see :class:`DetectorSpec`).

    Args:
        spec: the detector.
        root: models directory (default ``$ICTAL_MODELS_DIR`` or ``~/.cache/ictal/models``).
        threads: interpreter threads.
        min_score: overrides the spec's score threshold.
    """

    def __init__(self, spec: DetectorSpec, root: Path | None = None, *, threads: int = 1,
                 min_score: float | None = None) -> None:
        self.spec = spec
        self.model = TfliteModel(spec.model, root, threads=threads)
        self.anchors = ssd_anchors(spec.anchors)
        self.decode = (spec.decode if min_score is None else
                       DecodeOptions(spec.decode.num_keypoints, spec.decode.scale, min_score,
                                     spec.decode.score_clip))

    def detect_upright(self, frame: np.ndarray) -> Detections:
        """Detections in ``frame`` as it is (frame px, best first)."""
        frame = as_rgb(frame)
        x, roi = frame_input(frame, self.model.input_size, self.spec.value_range)
        raw_boxes, raw_scores = self.model(x)
        found = weighted_nms(decode_detections(raw_boxes, raw_scores, self.anchors, self.decode),
                             self.spec.iou_threshold)
        if len(found) == 0:
            return found
        corners = crop_to_frame(found.boxes.reshape(-1, 2, 2), roi)
        return Detections(corners.reshape(-1, 4).astype(np.float32),
                          crop_to_frame(found.keypoints, roi).astype(np.float32), found.scores)

    def detect(self, frame: np.ndarray, quarter_turns: Sequence[int] = (0,)) -> FrameDetections:
        """Detections over the frame turned by each of ``quarter_turns`` (0-3, counter-clockwise
        quarter turns), mapped back to the frame and merged, best first."""
        frame = as_rgb(frame)
        h, w = frame.shape[:2]
        parts: list[Detections] = []
        turns: list[np.ndarray] = []
        for k in quarter_turns:
            found = self.detect_upright(np.rot90(frame, k) if k % 4 else frame)
            if len(found) == 0:
                continue
            corners = unrotate_points(found.boxes.reshape(-1, 2, 2), k, (w, h))
            boxes = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)
            parts.append(Detections(boxes.astype(np.float32),
                                    unrotate_points(found.keypoints, k, (w, h)).astype(
                                        np.float32), found.scores))
            turns.append(np.full(len(found), k % 4, np.int64))
        if not parts:
            return FrameDetections(Detections.empty(self.decode.num_keypoints),
                                   np.zeros(0, np.int64))
        merged = Detections(*(np.concatenate([getattr(p, f) for p in parts])
                              for f in ("boxes", "keypoints", "scores")))
        order = np.argsort(-merged.scores, kind="stable")
        return FrameDetections(merged.take(order), np.concatenate(turns)[order])
