from __future__ import annotations

import numpy as np
import pytest

from ictal.errors import ShapeError
from ictal.io import split_montage, split_montage_clip
from ictal.manifest import Montage


def test_split_cuts_small_view_and_blanks_it_in_large() -> None:
    frame = np.arange(10 * 16 * 3, dtype=np.uint8).reshape(10, 16, 3) | 1  # no zeros
    montage = Montage(small_box=(0, 0, 6, 4), large_view="cam_a", small_view="cam_b")
    views = split_montage(frame, montage)
    assert set(views) == {"cam_a", "cam_b"}
    np.testing.assert_array_equal(views["cam_b"], frame[0:4, 0:6])
    large = views["cam_a"]
    assert large.shape == frame.shape and large.dtype == frame.dtype
    assert not large[0:4, 0:6].any()
    np.testing.assert_array_equal(large[4:], frame[4:])
    np.testing.assert_array_equal(large[:4, 6:], frame[:4, 6:])
    assert frame.all()  # the input is untouched


def test_split_grey_and_clip() -> None:
    clip = np.ones((3, 8, 8), np.uint16)
    montage = Montage(small_box=(4, 2, 8, 5))
    views = split_montage_clip(clip, montage)
    assert views["small"].shape == (3, 3, 4)
    assert views["large"][:, 2:5, 4:8].sum() == 0 and views["large"].sum() == clip.sum() - 36
    assert split_montage(clip[0], montage)["small"].shape == (3, 4)


def test_box_outside_frame() -> None:
    with pytest.raises(ShapeError, match="does not fit"):
        split_montage(np.zeros((4, 4), np.uint8), Montage(small_box=(0, 0, 5, 2)))
    with pytest.raises(ShapeError):
        split_montage(np.zeros((2, 4, 4, 3), np.uint8), Montage(small_box=(0, 0, 1, 1)))
