"""-1 pre-padding of feature sequences (seeds 000/001)."""

from __future__ import annotations

import numpy as np
import pytest

from ictal.backbones import pad_timesteps
from ictal.errors import ShapeError


def test_short_sequences_are_pre_padded_with_minus_one() -> None:
    features = np.arange(6, dtype=np.float32).reshape(3, 2) + 1
    out, mask = pad_timesteps(features, 7)
    assert out.shape == (7, 2) and out.dtype == np.float32
    assert mask.tolist() == [False] * 4 + [True] * 3
    assert (out[:4] == -1).all()
    np.testing.assert_array_equal(out[4:], features)


def test_full_and_empty_sequences() -> None:
    full = np.ones((7, 3), dtype=np.float32)
    out, mask = pad_timesteps(full, 7)
    assert mask.all() and np.array_equal(out, full)
    out, mask = pad_timesteps(np.zeros((0, 3), dtype=np.float32), 2)
    assert not mask.any() and (out == -1).all()


@pytest.mark.parametrize("bad", [np.zeros((8, 2)), np.zeros(5)])
def test_bad_shapes_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(ShapeError):
        pad_timesteps(bad, 7)
