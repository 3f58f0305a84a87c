import numpy as np
import pytest
from scipy import ndimage as ndi

from ictal.errors import ShapeError
from ictal.preprocess.denoise import denoise_depth


def test_closes_isolated_zero_pixels() -> None:
    depth = np.full((53, 64), 2000, np.uint16)
    depth[10, 10] = 0
    depth[30, 40:42] = 0
    out = denoise_depth(depth)
    assert out.dtype == np.uint16 and out.shape == depth.shape
    assert (out == 2000).all()


def test_equals_two_passes_of_a_4x4_max_filter() -> None:
    rng = np.random.default_rng(0)
    depth = rng.integers(0, 4000, (3, 53, 64)).astype(np.uint16)
    ref = depth
    for _ in range(2):
        ref = ndi.maximum_filter(ref, size=(1, 4, 4), mode="nearest")
    np.testing.assert_array_equal(denoise_depth(depth), ref)
    np.testing.assert_array_equal(denoise_depth(depth[1]), ref[1])


def test_window_is_anchored_like_opencv() -> None:
    # one bright pixel spreads 4 up/left and 2 down/right after two 4x4 dilations (anchor 2,2)
    depth = np.zeros((20, 20), np.uint16)
    depth[10, 10] = 7
    rows, cols = np.nonzero(denoise_depth(depth))
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (8, 14, 8, 14)


def test_iterations_zero_copies_and_bad_shape_raises() -> None:
    depth = np.arange(12, dtype=np.uint16).reshape(3, 4)
    out = denoise_depth(depth, iterations=0)
    np.testing.assert_array_equal(out, depth)
    assert out is not depth
    with pytest.raises(ShapeError):
        denoise_depth(np.zeros(5, np.uint16))


def test_zeros_only_keeps_valid_measurements() -> None:
    depth = np.full((20, 20), 4000, np.uint16)
    depth[8:12, 9] = 1500  # a thin near object in front of a far wall
    depth[3, 3] = 0
    paper = denoise_depth(depth)
    assert (paper[8:12, 9] == 4000).all()  # the whole-frame dilation swallows it
    out = denoise_depth(depth, zeros_only=True)
    assert (out[8:12, 9] == 1500).all() and out[3, 3] == 4000
