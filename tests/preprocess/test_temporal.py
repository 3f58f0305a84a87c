import math
from fractions import Fraction

import numpy as np
import pytest

from ictal.preprocess.temporal import (
    fixed_windows,
    gestures_label,
    sliding_windows,
    tsn_snippet_starts,
)
from ictal.timebase import FrameSpan


def test_941_frames_give_15_full_samples_and_a_leftover_of_41() -> None:
    windows = fixed_windows(941)
    assert len(windows) == 16
    assert windows[:15] == [(60 * i, 60 * i + 60) for i in range(15)]
    assert windows[15] == (900, 941)


@pytest.mark.parametrize(("n", "count", "last"), [
    (609, 10, (540, 600)),  # leftover of 9 frames is dropped ("more than 9")
    (610, 11, (600, 610)),  # leftover of 10 is kept
    (600, 10, (540, 600)),
    (59, 1, (0, 59)),
    (9, 0, None),
])
def test_leftover_rule(n: int, count: int, last: tuple[int, int] | None) -> None:
    windows = fixed_windows(n)
    assert len(windows) == count
    assert (windows[-1] if windows else None) == last


def test_half_overlap_counts() -> None:
    windows = fixed_windows(600, overlap=0.5)
    assert len(windows) == 19 and windows[1] == (30, 90) and windows[-1] == (540, 600)
    windows = fixed_windows(941, overlap=0.5)
    assert len(windows) == 31  # 30 full windows, then [900, 941) with 41 frames
    assert windows[-1] == (900, 941)


def test_sliding_windows() -> None:
    assert sliding_windows(100, 60, 20) == [(0, 60), (20, 80), (40, 100)]
    assert sliding_windows(105, 60, 20, keep_partial=True)[-1] == (60, 105)
    assert sliding_windows(50, 60, 20) == []


def test_gestures_eq1_at_the_boundary() -> None:
    fps = Fraction(15)
    span = FrameSpan(0, 8, fps)  # midpoint (0 + 8/15) / 2 = 4/15 s
    assert gestures_label(span, Fraction(4, 15)) == 1  # midpoint == t_G -> 1
    assert gestures_label(span, Fraction(4, 15) + Fraction(1, 10**9)) == 0
    assert gestures_label(span, None) == 0
    assert gestures_label(FrameSpan(30, 38, fps), 2.0) == 1


def test_tsn_centre_when_gamma_is_infinite() -> None:
    # 1000 frames, snippets of 8: 993 starts, 4 segments of 248.25 -> centres
    starts = tsn_snippet_starts(1000, 8, 4, math.inf)
    assert starts == [124, 372, 620, 868]


def test_tsn_beta_statistics() -> None:
    n_starts = 10_000 - 8 + 1
    for gamma, var in [(1.0, 1 / 12), (4.0, 1 / (4 * 9))]:
        rng = np.random.default_rng(1)
        u = np.array([tsn_snippet_starts(10_000, 8, 1, gamma, rng)[0] for _ in range(4000)])
        u = u / n_starts
        assert u.mean() == pytest.approx(0.5, abs=0.02)
        assert u.var() == pytest.approx(var, rel=0.1)
    a = tsn_snippet_starts(500, 8, 16, 2.0, np.random.default_rng(7))
    b = tsn_snippet_starts(500, 8, 16, 2.0, np.random.default_rng(7))
    assert a == b and a == sorted(a) and len(a) == 16
    edges = np.linspace(0, 493, 17)
    assert all(edges[i] - 1 <= s < edges[i + 1] for i, s in enumerate(a))


def test_tsn_needs_a_generator_for_finite_gamma() -> None:
    with pytest.raises(ValueError, match="Generator"):
        tsn_snippet_starts(100, 8, 4, 2.0)
    assert tsn_snippet_starts(5, 8, 3, math.inf) == [0, 0, 0]


@pytest.mark.parametrize(("n", "stride", "last"), [
    (145, 60, (120, 145)),  # 4.8 s at 30 fps: the last 25 frames are scored
    (145, 15, (90, 145)),  # overlapping windows: the tail after [75, 135) too
    (129, 60, None),  # 9 frames left: "less than 60 frames, but more than 9" is not met
    (130, 60, (120, 130)),  # 10 frames left: kept
    (45, 60, (0, 45)),  # a recording shorter than one window is one window
])
def test_sliding_windows_keep_the_seeds_leftover(n: int, stride: int,
                                                 last: tuple[int, int] | None) -> None:
    windows = sliding_windows(n, 60, stride, keep_partial=True, min_leftover=10)
    full = sliding_windows(n, 60, stride)
    assert windows[:len(full)] == full
    assert (windows[len(full)] if len(windows) > len(full) else None) == last
    covered = set().union(*(range(a, b) for a, b in windows)) if windows else set()
    assert n - len(covered) < 10  # no tail of 10 frames or more goes unscored
