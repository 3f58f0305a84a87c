"""Temporal sampling: fixed slices with a kept leftover, overlap, sliding windows, TSN segments.

All windows are ``(start, stop)`` frame indices, ``stop`` exclusive, relative to the range they
were cut from; :class:`~ictal.timebase.FrameSpan` turns them into exact times.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ictal.timebase import FrameSpan

Window = tuple[int, int]


def fixed_windows(
    n_frames: int, length: int = 60, *, overlap: float = 0.0, min_leftover: int = 10
) -> list[Window]:
    """Cut ``n_frames`` into windows of ``length`` frames (seeds 000/001: 60 frames = 2 s).

    Windows start every ``step = length - round(overlap * length)`` frames (``overlap=0.5``
    gives dataset B0.5 of seed 000). When at least ``min_leftover`` (10) frames at the end are
    not covered by a full window ("less than 60 frames, but more than 9"), the next window,
    truncated at the end, is kept too. E.g. 941 frames -> 15 windows of 60 and one of 41
    (``[900, 941)``); with ``overlap=0.5``, 30 full windows and the same ``[900, 941)``.
    """
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    step = length - round(overlap * length)
    if step < 1:
        raise ValueError(f"overlap {overlap} leaves no step for length {length}")
    windows = [(s, s + length) for s in range(0, n_frames - length + 1, step)]
    uncovered = n_frames - (windows[-1][1] if windows else 0)
    if uncovered >= min_leftover:
        windows.append((windows[-1][0] + step if windows else 0, n_frames))
    return windows


def sliding_windows(n_frames: int, length: int, stride: int, *,
                    keep_partial: bool = False, min_leftover: int = 1) -> list[Window]:
    """Windows of ``length`` frames every ``stride`` frames (inference over a recording).

    With ``keep_partial`` the last, shorter window reaching the end (starting one ``stride``
    after the last full one) is added when at least ``min_leftover`` frames at the end are
    not covered by the full windows: the leftover rule of seeds 000/001 with
    ``min_leftover=10`` (a recording shorter than ``length`` is then one window).
    """
    if length < 1 or stride < 1:
        raise ValueError(f"length and stride must be >= 1, got {length}, {stride}")
    windows = [(s, s + length) for s in range(0, n_frames - length + 1, stride)]
    covered = windows[-1][1] if windows else 0
    if keep_partial and n_frames - covered >= max(1, min_leftover):
        start = windows[-1][0] + stride if windows else 0
        windows.append((start, n_frames))
    return windows


def exact_seconds(t: float | Fraction, fps: Fraction) -> Fraction:
    """An annotated time in seconds as an exact fraction on the timeline of ``fps``.

    A float within a millionth of a frame of a frame boundary is that boundary (``56 / 30``
    stored as the float 1.8666666666666667 is exactly ``28 / 15``, frame 56 at 30 fps; events'
    frames, :func:`ictal.preprocess.windows.event_frames`, follow the same rule); any other
    float is the decimal number it prints as (``12.345`` is ``2469 / 200``, not the binary
    double nearest to it).
    """
    if isinstance(t, Fraction):
        return t
    x = Fraction(t) * fps
    near = round(x)
    if abs(x - near) < Fraction(1, 10**6):
        return Fraction(near) / fps
    return Fraction(repr(float(t)))


def gestures_label(span: FrameSpan, t_g: float | Fraction | None) -> int:
    """Snippet label of GESTURES (seed 002, Eq. 1): 1 when the snippet's midpoint
    ``(t_k + t_{k+l}) / 2`` is at or after ``t_G``, else 0; ``t_G = None`` (a focal seizure
    that never generalises, ``t_G -> inf``) always gives 0.

    ``span`` and ``t_g`` share one time origin (seconds from the recording's start); the
    comparison is exact: ``t_g`` is read by :func:`exact_seconds` on the span's frame rate, so
    a midpoint that falls on ``t_G`` is labelled 1 (generalised), as Eq. 1 says.
    """
    if t_g is None:
        return 0
    return int(span.t_mid >= exact_seconds(t_g, span.fps))


def tsn_snippet_starts(
    n_frames: int, snippet_length: int, n_segments: int, gamma: float,
    rng: np.random.Generator | None = None,
) -> list[int]:
    """TSN sampling with a Beta(gamma, gamma) position per segment (seed 002, Sec. 2.3).

    The ``K - l + 1`` possible snippet starts are split into ``n_segments`` equal,
    non-overlapping segments; in each, one start is drawn at relative position
    ``u ~ Beta(gamma, gamma)`` (``gamma = inf``: ``u = 1/2``, the centre, used for evaluation;
    ``gamma = 1``: uniform). Snippets longer than the video start at 0.

    Args:
        n_frames: ``K``, frames in the video (or event).
        snippet_length: ``l``, frames per snippet.
        n_segments: ``n``.
        gamma: dispersion; ``math.inf`` for the deterministic centre.
        rng: random generator (seed it for reproducibility); unused when ``gamma`` is inf.

    Returns:
        ``n_segments`` start frames in ascending order.
    """
    if n_segments < 1:
        raise ValueError(f"n_segments must be >= 1, got {n_segments}")
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    n_starts = max(1, n_frames - snippet_length + 1)
    edges = np.linspace(0.0, n_starts, n_segments + 1)
    if math.isinf(gamma):
        u = np.full(n_segments, 0.5)
    else:
        if rng is None:
            raise ValueError("a seeded numpy Generator is needed when gamma is finite")
        u = rng.beta(gamma, gamma, size=n_segments)
    positions = edges[:-1] + u * (edges[1:] - edges[:-1])
    starts = np.clip(np.floor(positions).astype(np.int64), 0, n_starts - 1)
    return [int(s) for s in starts]
