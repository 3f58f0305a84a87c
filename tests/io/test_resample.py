from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ictal.io import iter_resample_indices, resample_indices


def test_downsample_by_two_takes_every_other_frame() -> None:
    np.testing.assert_array_equal(resample_indices(10, 30, 15), [0, 2, 4, 6, 8])
    np.testing.assert_array_equal(resample_indices(11, 30, 15), [0, 2, 4, 6, 8, 10])


def test_upsample_repeats_nearest_frames() -> None:
    # t_j * 10 = 0, .4, .8, 1.2, 1.6, 2.0, 2.4, 2.8 -> nearest frame, clipped to the last one
    np.testing.assert_array_equal(resample_indices(3, 10, 25), [0, 0, 1, 1, 2, 2, 2, 2])


def test_identity_and_ntsc_to_30() -> None:
    np.testing.assert_array_equal(resample_indices(7, 25, 25), np.arange(7))
    out = resample_indices(3000, Fraction(30000, 1001), 30)
    assert out.size == 3003  # same duration at the faster rate
    assert np.count_nonzero(np.diff(out) == 0) == 3  # exactly three repeats


def test_lazy_indices_match(monkeypatch: pytest.MonkeyPatch) -> None:
    import ictal.io.resample as resample_module

    monkeypatch.setattr(resample_module, "_CHUNK", 7)  # several chunks
    for n, src, dst in [(50, 30, 7), (9, 25, 60), (1, 30, 30)]:
        assert list(iter_resample_indices(n, src, dst)) == resample_indices(n, src, dst).tolist()


def test_empty_and_invalid() -> None:
    assert resample_indices(0, 30, 10).size == 0
    with pytest.raises(ValueError, match="n_frames"):
        resample_indices(-1, 30, 10)


@settings(deadline=None, max_examples=60)
@given(
    n=st.integers(1, 400),
    src=st.fractions(min_value=1, max_value=120, max_denominator=1001),
    dst=st.fractions(min_value=1, max_value=120, max_denominator=1001),
)
def test_each_output_frame_is_nearest_source_frame(n: int, src: Fraction, dst: Fraction) -> None:
    out = resample_indices(n, src, dst)
    src, dst = src.limit_denominator(1001), dst.limit_denominator(1001)
    assert out.size == -(-n * dst // src)
    assert out.min() >= 0 and out.max() <= n - 1 and np.all(np.diff(out) >= 0)
    # output time of frame j, in source frames, as exact numerator / denominator
    ratio = src / dst
    num = np.arange(out.size, dtype=np.int64) * ratio.numerator
    den = ratio.denominator
    off_by = np.abs(num - out * den)  # |t_j - k| * den
    assert np.all((2 * off_by <= den) | (out == n - 1))
