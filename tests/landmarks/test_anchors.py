"""SSD anchors against MediaPipe's published options (counts, order, centres, sizes)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ictal.landmarks.anchors import (
    FACE_FULL_RANGE_ANCHORS,
    FACE_SHORT_RANGE_ANCHORS,
    POSE_DETECTION_ANCHORS,
    AnchorOptions,
    ssd_anchors,
)


@pytest.mark.parametrize(("options", "count"), [
    (POSE_DETECTION_ANCHORS, 2254),    # 28x28x2 + 14x14x2 + 7x7x(3 layers x 2)
    (FACE_SHORT_RANGE_ANCHORS, 896),   # 16x16x2 + 8x8x(3 layers x 2)
    (FACE_FULL_RANGE_ANCHORS, 2304),   # 48x48x1 (no interpolated anchor)
])
def test_anchor_counts_match_the_models(options: AnchorOptions, count: int) -> None:
    anchors = ssd_anchors(options)
    assert anchors.shape == (count, 4)
    assert anchors.dtype == np.float32
    np.testing.assert_array_equal(anchors[:, 2:], 1.0)  # fixed anchor size


def test_pose_anchor_layout() -> None:
    a = ssd_anchors(POSE_DETECTION_ANCHORS).astype(np.float64)
    # stride 8: 28 x 28 cells, 2 anchors per cell, row by row
    np.testing.assert_allclose(a[0, :2], [0.5 / 28, 0.5 / 28], rtol=1e-6)
    np.testing.assert_allclose(a[1, :2], a[0, :2])
    np.testing.assert_allclose(a[2, :2], [1.5 / 28, 0.5 / 28], rtol=1e-6)
    np.testing.assert_allclose(a[2 * 28, :2], [0.5 / 28, 1.5 / 28], rtol=1e-6)
    # stride 16 starts after 1568 anchors
    np.testing.assert_allclose(a[1568, :2], [0.5 / 14, 0.5 / 14], rtol=1e-6)
    # the three stride-32 layers share one 7 x 7 map: 6 anchors per cell
    first32 = 1568 + 392
    np.testing.assert_allclose(a[first32:first32 + 6, :2], [[0.5 / 7, 0.5 / 7]] * 6, rtol=1e-6)
    np.testing.assert_allclose(a[first32 + 6, :2], [1.5 / 7, 0.5 / 7], rtol=1e-6)
    np.testing.assert_allclose(a[-1, :2], [6.5 / 7, 6.5 / 7], rtol=1e-6)


def test_face_short_range_anchor_layout() -> None:
    a = ssd_anchors(FACE_SHORT_RANGE_ANCHORS).astype(np.float64)
    np.testing.assert_allclose(a[0, :2], [0.5 / 16, 0.5 / 16], rtol=1e-6)
    np.testing.assert_allclose(a[511, :2], [15.5 / 16, 15.5 / 16], rtol=1e-6)
    np.testing.assert_allclose(a[512:518, :2], [[0.5 / 8, 0.5 / 8]] * 6, rtol=1e-6)


def test_anchor_sizes_when_not_fixed() -> None:
    options = AnchorOptions(64, (16, 32), min_scale=0.2, max_scale=0.6, aspect_ratios=(1.0, 4.0),
                            fixed_anchor_size=False)
    a = ssd_anchors(options).astype(np.float64)
    assert a.shape == (4 * 4 * 3 + 2 * 2 * 3, 4)
    # layer 0 (scale 0.2): ratio 1, ratio 4 (w = s*2, h = s/2), interpolated sqrt(0.2 * 0.6)
    np.testing.assert_allclose(a[:3, 2:], [[0.2, 0.2], [0.4, 0.1],
                                           [math.sqrt(0.12)] * 2], rtol=1e-6)
    # last layer (scale 0.6): its interpolated anchor uses scale 1 as the next one
    np.testing.assert_allclose(a[48:51, 2:], [[0.6, 0.6], [1.2, 0.3],
                                              [math.sqrt(0.6)] * 2], rtol=1e-6)
    np.testing.assert_allclose(a[48, :2], [0.25, 0.25])
