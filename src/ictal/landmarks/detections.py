"""Decoding SSD detector tensors and weighted non-maximum suppression.

Facts from MediaPipe 0.10.21's ``tensors_to_detections_calculator.cc`` (with
``reverse_output_order: true``, i.e. boxes as ``x, y, w, h``) and
``non_max_suppression_calculator.cc`` (``WEIGHTED``, intersection over union); the code is ours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ictal.errors import ShapeError


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """Options of MediaPipe's ``TensorsToDetectionsCalculator`` (the subset these models use).

    Attributes:
        num_keypoints: keypoints per box (``x, y`` each, after the 4 box values).
        scale: the model's input side; raw offsets are in input pixels.
        min_score: detections scoring below are dropped (after the sigmoid).
        score_clip: raw scores are clipped to ``[-score_clip, score_clip]`` before the sigmoid.
    """

    num_keypoints: int
    scale: float
    min_score: float = 0.5
    score_clip: float = 100.0


@dataclass(frozen=True, slots=True)
class Detections:
    """``N`` detections; the unit (relative to the model input, or frame px) is the caller's.

    Attributes:
        boxes: ``(N, 4)`` float32 ``(x0, y0, x1, y1)``.
        keypoints: ``(N, K, 2)`` float32 ``(x, y)``.
        scores: ``(N,)`` float32 in ``[0, 1]``.
    """

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, index: np.ndarray) -> Detections:
        return Detections(self.boxes[index], self.keypoints[index], self.scores[index])

    @classmethod
    def empty(cls, num_keypoints: int) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros((0, num_keypoints, 2), np.float32),
                   np.zeros(0, np.float32))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, float32 (no overflow warning for large negative inputs)."""
    x = np.asarray(x, np.float32)
    return (0.5 * (1.0 + np.tanh(0.5 * x))).astype(np.float32)


def decode_detections(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray,
                      options: DecodeOptions) -> Detections:
    """Raw detector outputs -> detections relative to the model input, best first.

    Args:
        raw_boxes: ``(N, 4 + 2K)`` (or with a leading batch axis of 1): per anchor the box
            centre offset ``dx, dy``, its size ``w, h`` and ``K`` keypoint offsets ``dx, dy``,
            all in input pixels.
        raw_scores: ``(N, 1)`` or ``(N,)`` logits.
        anchors: ``(N, 4)`` ``(x_centre, y_centre, width, height)`` from
            :func:`~ictal.landmarks.anchors.ssd_anchors`.

    Returns:
        Detections scoring at least ``options.min_score``, with positive width and height,
        sorted by decreasing score; boxes and keypoints relative to the input (``[0, 1]``
        inside it).
    """
    boxes = np.asarray(raw_boxes, np.float32).reshape(-1, raw_boxes.shape[-1])
    logits = np.asarray(raw_scores, np.float32).reshape(-1)
    k = options.num_keypoints
    if boxes.shape != (len(anchors), 4 + 2 * k) or logits.shape != (len(anchors),):
        raise ShapeError(f"raw boxes {boxes.shape} and scores {logits.shape} do not match "
                         f"{len(anchors)} anchors with {k} keypoints")
    scores = sigmoid(np.clip(logits, -options.score_clip, options.score_clip))
    s = options.scale
    ax, ay, aw, ah = (anchors[:, i:i + 1] for i in range(4))
    cx = boxes[:, 0:1] / s * aw + ax
    cy = boxes[:, 1:2] / s * ah + ay
    w = boxes[:, 2:3] / s * aw
    h = boxes[:, 3:4] / s * ah
    decoded = np.concatenate([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kx = boxes[:, 4::2] / s * aw + ax
    ky = boxes[:, 5::2] / s * ah + ay
    keypoints = np.stack([kx, ky], axis=-1)
    keep = (scores >= options.min_score) & (w[:, 0] >= 0) & (h[:, 0] >= 0)
    index = np.flatnonzero(keep)
    index = index[np.argsort(-scores[index], kind="stable")]
    return Detections(decoded[index].astype(np.float32), keypoints[index].astype(np.float32),
                      scores[index])


def box_intersection(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Area ``(N,)`` shared by ``box`` ``(4,)`` ``(x0, y0, x1, y1)`` and each of ``boxes``
    ``(N, 4)`` (0 where they do not overlap)."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    return np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of ``box`` ``(4,)`` with each of ``boxes`` ``(N, 4)``."""
    inter = box_intersection(box, boxes)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def weighted_nms(detections: Detections, iou_threshold: float = 0.3) -> Detections:
    """MediaPipe's weighted non-maximum suppression.

    Repeatedly takes the best remaining detection and every remaining one that overlaps it by
    more than ``iou_threshold`` (itself included); the output box and keypoints are their
    score-weighted mean, the score that of the best. ``detections`` must be sorted by
    decreasing score (as :func:`decode_detections` returns them).
    """
    if len(detections) == 0:
        return detections
    boxes, kps, scores = detections.boxes, detections.keypoints, detections.scores
    remaining = np.arange(len(scores))
    out_boxes, out_kps, out_scores = [], [], []
    while len(remaining):
        best = remaining[0]
        overlap = box_iou(boxes[best], boxes[remaining]) > iou_threshold
        overlap[0] = True
        group = remaining[overlap]
        weights = scores[group].astype(np.float64)
        total = weights.sum()
        out_boxes.append((boxes[group] * weights[:, None]).sum(0) / total)
        out_kps.append((kps[group] * weights[:, None, None]).sum(0) / total)
        out_scores.append(scores[best])
        remaining = remaining[~overlap]
    return Detections(np.asarray(out_boxes, np.float32), np.asarray(out_kps, np.float32),
                      np.asarray(out_scores, np.float32))
