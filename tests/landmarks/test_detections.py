"""Decoding raw detector tensors and weighted NMS, on synthetic tensors with known answers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ictal.errors import ShapeError
from ictal.landmarks.detections import (
    DecodeOptions,
    Detections,
    box_iou,
    decode_detections,
    sigmoid,
    weighted_nms,
)

ANCHORS = np.array([[0.25, 0.25, 1, 1], [0.75, 0.5, 1, 1], [0.5, 0.5, 0.5, 0.5],
                    [0.5, 0.5, 1, 1]], np.float32)
OPTIONS = DecodeOptions(num_keypoints=1, scale=100.0, min_score=0.5)


def test_decode_known_answer() -> None:
    raw = np.array([
        [10, -5, 20, 40, 0, 10],     # anchor 0: centre (0.35, 0.2), size 0.2 x 0.4
        [0, 0, 10, 10, 0, 0],        # anchor 1: below the score threshold
        [20, 0, 40, 20, -10, 10],    # anchor 2 (half-size anchor): offsets and sizes halved
        [0, 0, -5, 10, 0, 0],        # anchor 3: negative width, dropped
    ], np.float32)[None]
    logits = np.array([2.0, -1.0, 500.0, 3.0], np.float32)[None, :, None]
    found = decode_detections(raw, logits, ANCHORS, OPTIONS)
    assert len(found) == 2
    np.testing.assert_allclose(found.scores, [1.0, 1 / (1 + np.exp(-2.0))], rtol=1e-6)
    np.testing.assert_allclose(found.boxes, [[0.5, 0.45, 0.7, 0.55], [0.25, 0.0, 0.45, 0.4]],
                               atol=1e-6)
    np.testing.assert_allclose(found.keypoints, [[[0.45, 0.55]], [[0.25, 0.35]]], atol=1e-6)


def test_decode_checks_shapes_and_survives_huge_logits() -> None:
    with pytest.raises(ShapeError):
        decode_detections(np.zeros((4, 5)), np.zeros(4), ANCHORS, OPTIONS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow in exp
        s = sigmoid(np.array([-1e6, -100.0, 0.0, 100.0, 1e6]))
    np.testing.assert_allclose(s, [0, 0, 0.5, 1, 1], atol=1e-7)


def test_box_iou() -> None:
    boxes = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [5, 5, 6, 6], [0, 0, 2, 2]], np.float64)
    np.testing.assert_allclose(box_iou(boxes[0], boxes), [1.0, 1 / 7, 0.0, 1.0])


def test_weighted_nms_averages_overlapping_boxes_by_score() -> None:
    dets = Detections(
        boxes=np.array([[0, 0, 1, 1], [2, 2, 3, 3], [0.1, 0, 1.1, 1]], np.float32),
        keypoints=np.array([[[0, 0]], [[5, 5]], [[1, 1]]], np.float32),
        scores=np.array([0.9, 0.7, 0.6], np.float32))
    out = weighted_nms(dets, 0.3)
    assert len(out) == 2
    np.testing.assert_allclose(out.scores, [0.9, 0.7])  # the best one's score
    np.testing.assert_allclose(out.boxes[0], [0.06 / 1.5, 0, 1.56 / 1.5, 1], rtol=1e-6)
    np.testing.assert_allclose(out.keypoints[0], [[0.4, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(out.boxes[1], [2, 2, 3, 3])
    np.testing.assert_allclose(out.keypoints[1], [[5, 5]])


def test_weighted_nms_keeps_boxes_overlapping_less_than_the_threshold() -> None:
    dets = Detections(np.array([[0, 0, 2, 2], [1, 1, 3, 3]], np.float32),
                      np.zeros((2, 0, 2), np.float32), np.array([0.8, 0.7], np.float32))
    assert len(weighted_nms(dets, 0.3)) == 2       # IoU 1/7
    assert len(weighted_nms(dets, 0.1)) == 1
    assert len(weighted_nms(Detections.empty(3))) == 0
