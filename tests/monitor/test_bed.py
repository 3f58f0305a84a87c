"""Windows cut from frames as they come, gaps kept, and the assessability rules."""

from __future__ import annotations

import numpy as np

from ictal.monitor.bed import Windower, assessability, thumbnail
from ictal.monitor.sources import Frame
from ictal.preprocess.temporal import sliding_windows


def _frame(i: int) -> Frame:
    return Frame(i, np.full((4, 4), i, np.uint8), float(i))


def test_windows_come_out_as_their_last_frame_arrives() -> None:
    w = Windower(10, 5)
    got = []
    for i in range(27):
        for win in w.push(_frame(i)):
            got.append((i, win.n, win.start, win.stop, win.missing))
    assert got == [(9, 0, 0, 10, 0), (14, 1, 5, 15, 0), (19, 2, 10, 20, 0),
                   (24, 3, 15, 25, 0)]
    # the feed ends at frame 26: window 4 (20-26) has 7 frames, fewer than 10: not scored
    assert w.finish() == []


def test_the_windows_are_those_of_ictal_predict() -> None:
    # the sliding windows of `ictal predict` (the last, shorter one included) for any
    # stride: a tail counts from the end of the last full window, not the next one's start
    for n, window, stride, leftover in [(27, 10, 5, 3), (27, 10, 5, 1), (95, 60, 30, 10),
                                        (100, 60, 30, 10), (36, 10, 10, 5), (7, 10, 10, 5),
                                        (40, 20, 20, 10)]:
        w = Windower(window, stride, min_leftover=leftover)
        got = [(x.start, x.stop) for i in range(n) for x in w.push(_frame(i))]
        got += [(x.start, x.stop) for x in w.finish()]
        assert got == sliding_windows(n, window, stride, keep_partial=True,
                                      min_leftover=leftover), (n, window, stride, leftover)


def test_a_gap_leaves_windows_with_missing_frames_and_a_tail_is_kept() -> None:
    w = Windower(10, 10, min_leftover=5)
    wins = []
    for i in [*range(0, 4), *range(13, 36)]:  # frames 4-12 never came
        wins += w.push(_frame(i))
    assert [(x.n, x.missing) for x in wins] == [(0, 6), (1, 3), (2, 0)]
    assert wins[0].frames[3] is not None and wins[0].frames[4] is None
    (tail,) = w.finish()
    assert (tail.n, tail.start, tail.stop, tail.missing) == (3, 30, 36, 0)


def test_a_resumed_windower_starts_at_its_window() -> None:
    w = Windower(10, 10, first=3)
    assert w.first_frame == 30
    assert [x.n for i in range(30, 50) for x in w.push(_frame(i))] == [3, 4]


def test_assessability() -> None:
    rng = np.random.default_rng(0)
    ok = rng.uniform(-0.5, 0.5, (1, 8, 16, 16)).astype(np.float32)
    assert assessability(ok) is None
    covered = np.full((1, 8, 16, 16), -0.8, np.float32) + rng.normal(0, 0.005, (1, 8, 16, 16))
    assert "camera covered" in assessability(covered.astype(np.float32))
    off = np.full((1, 8, 16, 16), -1.0, np.float32)
    assert "nothing visible" in assessability(off)
    switched = ok.copy()
    switched[:, 4:] += 0.6
    assert "lighting switched" in assessability(switched)


def test_thumbnail_of_16_bit_and_colour_frames() -> None:
    grey16 = np.tile(np.arange(64, dtype=np.uint16) * 100, (48, 1))
    t = thumbnail(grey16)
    assert t.shape == (32, 32) and t[:, 0].max() < 10 and t[:, -1].min() > 240
    # a bright visitor does not rescale a 16-bit picture measured against a fixed top
    visited = grey16.copy()
    visited[:10, :10] = 60000
    fixed = thumbnail(visited, top=6300.0)
    assert np.abs(fixed - thumbnail(grey16, top=6300.0))[10:].max() < 1
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[:24] = 200
    t = thumbnail(rgb)
    assert t[0].min() == 200 and t[-1].max() == 0
