"""Rotated ROIs, crops and the mapping of points between crop and frame."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ictal.errors import ShapeError
from ictal.landmarks.geometry import (
    Roi,
    as_rgb,
    crop_to_frame,
    frame_to_crop,
    letterbox_roi,
    normalize_radians,
    roi_from_alignment,
    roi_from_box,
    rotate_points,
    scale_roi,
    unrotate_points,
    warp_crop,
)


def _frame(h: int = 60, w: int = 80, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_crop_frame_round_trip() -> None:
    rng = np.random.default_rng(1)
    pts = rng.uniform(-0.2, 1.2, (50, 2))
    for rotation in (0.0, 0.3, -2.0, math.pi / 2, math.pi):
        roi = Roi(40.5, 31.25, 27.0, 19.0, rotation)
        np.testing.assert_allclose(frame_to_crop(crop_to_frame(pts, roi), roi), pts, atol=1e-12)
    # the centre of the crop is the ROI's centre; an upright crop's corner its corner
    roi = Roi(10, 20, 8, 6)
    np.testing.assert_allclose(crop_to_frame([0.5, 0.5], roi), [10, 20])
    np.testing.assert_allclose(roi.corners(), [[6, 17], [14, 17], [14, 23], [6, 23]])
    assert roi.bounds() == (6, 17, 14, 23)


def test_upright_grid_aligned_crop_is_the_sub_array() -> None:
    frame = _frame()
    crop = warp_crop(frame, Roi(30, 25, 20, 20), 20)  # x 20..40, y 15..35
    np.testing.assert_array_equal(crop, frame[15:35, 20:40].astype(np.float32))


def test_quarter_turn_crop_is_rot90_of_the_region() -> None:
    """A ROI rotated +90 degrees (clockwise on screen) shows the region turned counter-clockwise
    (the crop's up is the frame's right)."""
    frame = _frame()
    region = frame[15:35, 20:40].astype(np.float32)
    np.testing.assert_array_equal(warp_crop(frame, Roi(30, 25, 20, 20, math.pi / 2), 20),
                                  np.rot90(region, 1))
    np.testing.assert_allclose(warp_crop(frame, Roi(30, 25, 20, 20, -math.pi / 2), 20),
                               np.rot90(region, -1), atol=1e-3)
    np.testing.assert_allclose(warp_crop(frame, Roi(30, 25, 20, 20, math.pi), 20),
                               np.rot90(region, 2), atol=1e-3)


def test_borders() -> None:
    frame = np.full((10, 10, 3), 200, np.uint8)
    roi = Roi(0, 0, 10, 10)  # three quarters outside the frame
    zero = warp_crop(frame, roi, 10, border="zero")
    rep = warp_crop(frame, roi, 10, border="replicate")
    np.testing.assert_allclose(zero[:5, :5], 0, atol=1e-3)
    np.testing.assert_allclose(zero[5:, 5:], 200, atol=1e-3)
    np.testing.assert_allclose(rep, 200, atol=1e-3)


@pytest.mark.parametrize(("size", "side"), [(32, 40.0), (32, 150.0)])  # direct / reduced first
def test_a_point_mapped_into_the_crop_and_back(size: int, side: float) -> None:
    frame = np.zeros((200, 240, 3), np.uint8)
    frame[118:123, 141:146] = 255  # a 5 x 5 blob centred on (143.5, 120.5)
    roi = Roi(130.0, 110.0, side, side, 0.6)
    weight = warp_crop(frame, roi, size).sum(axis=2)
    rows, cols = np.mgrid[:size, :size] + 0.5
    found = np.array([(cols * weight).sum(), (rows * weight).sum()]) / weight.sum()  # crop px
    expected = frame_to_crop([143.5, 120.5], roi) * size
    assert np.hypot(*(found - expected)) <= 0.5
    back = crop_to_frame(found / size, roi)
    assert np.hypot(*(back - [143.5, 120.5])) <= 0.5 * side / size


def test_rotate_points_follows_np_rot90() -> None:
    frame = np.zeros((30, 50), np.uint8)
    frame[7, 41] = 255  # pixel centre (41.5, 7.5)
    point = np.array([41.5, 7.5])
    for k in range(-1, 6):
        turned = np.rot90(frame, k)
        r, c = np.unravel_index(np.argmax(turned), turned.shape)
        np.testing.assert_allclose(rotate_points(point, k, (50, 30)), [c + 0.5, r + 0.5])
        np.testing.assert_allclose(unrotate_points([c + 0.5, r + 0.5], k, (50, 30)), point)


def test_letterbox_roi() -> None:
    roi, pad = letterbox_roi(Roi(100, 50, 200, 100), 224, 224)
    assert (roi.width, roi.height) == (200, 200) and pad == (0.0, 0.25, 0.0, 0.25)
    roi, pad = letterbox_roi(Roi(100, 50, 50, 100), 256, 256)
    assert (roi.width, roi.height) == (100, 100) and pad == (0.25, 0.0, 0.25, 0.0)
    with pytest.raises(ShapeError):
        letterbox_roi(Roi(0, 0, 0, 10), 8, 8)


def test_alignment_roi_puts_the_scale_point_straight_up() -> None:
    """Whatever the direction hips -> scale point, the crop shows it straight above the centre
    (the body upright), at the top edge (half side = the distance)."""
    centre = np.array([100.0, 80.0])
    for angle in np.linspace(-math.pi, math.pi, 13):
        scale_point = centre + 30 * np.array([math.cos(angle), math.sin(angle)])
        roi = roi_from_alignment(centre, scale_point, 90.0)
        assert roi.width == pytest.approx(60) and roi.height == pytest.approx(60)
        np.testing.assert_allclose(frame_to_crop(scale_point, roi), [0.5, 0.0], atol=1e-9)
    up = centre + np.array([0.0, -30.0])
    upright = roi_from_alignment(centre, up, 90.0)  # already pointing up: no rotation
    assert upright.rotation == pytest.approx(0.0)


def test_box_roi_levels_the_eyes_and_squares() -> None:
    box = np.array([10.0, 20.0, 50.0, 80.0])  # 40 x 60
    eyes = np.array([[20.0, 40.0], [40.0, 60.0]])  # tilted 45 degrees down to the right
    roi = roi_from_box(box, eyes[0], eyes[1], 0.0)
    assert (roi.cx, roi.cy, roi.width, roi.height) == (30, 50, 40, 60)
    a, b = frame_to_crop(eyes, roi)
    assert a[1] == pytest.approx(b[1]) and a[0] < b[0]  # level, left to right
    big = scale_roi(roi, 1.5)
    assert (big.width, big.height, big.rotation) == (90, 90, roi.rotation)


def test_normalize_radians() -> None:
    for a in np.linspace(-20, 20, 81):
        n = normalize_radians(float(a))
        assert -math.pi <= n < math.pi
        assert math.isclose(math.cos(n), math.cos(a), abs_tol=1e-9)
        assert math.isclose(math.sin(n), math.sin(a), abs_tol=1e-9)


def test_as_rgb() -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb = as_rgb(grey)
    assert rgb.shape == (3, 4, 3)
    np.testing.assert_array_equal(rgb[..., 2], grey)
    with pytest.raises(ShapeError, match="uint8"):
        as_rgb(grey.astype(np.uint16))
    with pytest.raises(ShapeError, match=r"\(H, W, 3\)"):
        as_rgb(np.zeros((3, 4, 4), np.uint8))
