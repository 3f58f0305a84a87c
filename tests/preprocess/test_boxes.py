import numpy as np

from ictal.preprocess.boxes import clip_box, contains, crop, expand_box, mask_box, merge_boxes


def test_merge_expand_clip() -> None:
    merged = merge_boxes((10, 20, 30, 40), (5, 25, 20, 60))
    assert merged == (5, 20, 30, 60)
    assert expand_box((10, 10, 20, 30), 0.2) == (8, 6, 22, 34)
    assert expand_box((10, 10, 20, 30), 0.0) == (10, 10, 20, 30)
    assert clip_box((-5, 3, 70, 80), 64, 53) == (0, 3, 64, 53)
    assert contains((0, 0, 10, 10), (2, 2, 10, 10)) and not contains((0, 0, 10, 10), (2, 2, 11, 9))


def test_crop_and_mask_box() -> None:
    frames = np.arange(2 * 5 * 6).reshape(2, 5, 6)
    assert crop(frames, (1, 2, 4, 5)).shape == (2, 3, 3)
    mask = np.zeros((5, 6), bool)
    assert mask_box(mask) is None
    mask[1:3, 2:5] = True
    assert mask_box(mask) == (2, 1, 5, 3)
