"""Frame-rate resampling by picking source frames (no interpolation)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction

import numpy as np

from ictal.timebase import as_fps

#: Output frames computed per chunk by :func:`iter_resample_indices`.
_CHUNK = 4096


def _plan(n_frames: int, src_fps: Fraction | float | str,
          dst_fps: Fraction | float | str) -> tuple[int, int, int]:
    """(output frames, p, q) with ``p / q`` = source frames per output frame."""
    if n_frames < 0:
        raise ValueError(f"n_frames must be >= 0, got {n_frames}")
    src, dst = as_fps(src_fps), as_fps(dst_fps)
    ratio = src / dst
    return math.ceil(Fraction(n_frames) * dst / src), ratio.numerator, ratio.denominator


def _pick(j: np.ndarray, p: int, q: int, n_frames: int) -> np.ndarray:
    # round-half-down(j p / q) = ceil((2 j p - q) / 2 q) = -floor((q - 2 j p) / 2 q), exactly.
    return np.minimum(-((q - 2 * j * p) // (2 * q)), max(n_frames - 1, 0))


def resample_indices(
    n_frames: int, src_fps: Fraction | float | str, dst_fps: Fraction | float | str
) -> np.ndarray:
    """Source frame indices that make a ``dst_fps`` stream out of ``n_frames`` at ``src_fps``.

    Output frame ``j`` is shown at ``t_j = j / dst_fps``; it takes the source frame whose start
    time ``k / src_fps`` is nearest to ``t_j`` (a tie goes to the earlier frame, the one already
    on screen, so doubling the rate shows every frame twice). The output covers the source's
    duration: ``ceil(n_frames * dst_fps / src_fps)`` frames, all indices in ``[0, n_frames)``.
    Returns ``(n_out,)`` ``int64``, non-decreasing (repeats when upsampling).
    """
    n_out, p, q = _plan(n_frames, src_fps, dst_fps)
    return _pick(np.arange(n_out, dtype=np.int64), p, q, n_frames)


def iter_resample_indices(
    n_frames: int, src_fps: Fraction | float | str, dst_fps: Fraction | float | str
) -> Iterator[int]:
    """:func:`resample_indices` one index at a time, in constant memory (long recordings)."""
    n_out, p, q = _plan(n_frames, src_fps, dst_fps)
    for lo in range(0, n_out, _CHUNK):
        j = np.arange(lo, min(lo + _CHUNK, n_out), dtype=np.int64)
        yield from (int(k) for k in _pick(j, p, q, n_frames))
