"""Exact time: integer frame indices plus a rational frame rate.

Every sample, feature row and prediction carries a :class:`FrameSpan`, so it maps back to the
original frames and lines up with annotated onsets (given in seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ictal.errors import ConfigError


def as_fps(value: float | int | str | Fraction) -> Fraction:
    """Parse a frame rate: ``30``, ``29.97``, ``"30000/1001"`` or a ``Fraction``.

    Floats become the nearest fraction with denominator <= 1001; write NTSC rates exactly as
    ``"30000/1001"``.
    """
    try:
        fps = Fraction(value)
    except (ValueError, ZeroDivisionError, TypeError) as err:
        raise ConfigError(
            f"invalid frame rate {value!r}", hint="use e.g. 30 or 30000/1001"
        ) from err
    fps = fps.limit_denominator(1001)
    if fps <= 0:
        raise ConfigError(f"frame rate must be positive, got {value!r}")
    return fps


def frame_at(t: float | Fraction, fps: Fraction) -> int:
    """Index of the frame being shown at time ``t`` seconds (frame k covers [k/fps, (k+1)/fps))."""
    return math.floor(Fraction(t) * fps)


def time_of(frame: int, fps: Fraction) -> Fraction:
    """Start time in seconds of frame ``frame``."""
    return Fraction(frame) / fps


@dataclass(frozen=True, slots=True)
class FrameSpan:
    """Frames ``[start, stop)`` of a stream running at ``fps`` frames per second."""

    start: int
    stop: int
    fps: Fraction

    def __post_init__(self) -> None:
        if self.stop < self.start:
            raise ValueError(f"FrameSpan stop {self.stop} < start {self.start}")

    @property
    def n_frames(self) -> int:
        return self.stop - self.start

    @property
    def t_start(self) -> Fraction:
        return time_of(self.start, self.fps)

    @property
    def t_stop(self) -> Fraction:
        return time_of(self.stop, self.fps)

    @property
    def t_mid(self) -> Fraction:
        return (self.t_start + self.t_stop) / 2

    @classmethod
    def from_seconds(cls, t0: float | Fraction, t1: float | Fraction, fps: Fraction) -> FrameSpan:
        """The frames shown between ``t0`` and ``t1`` seconds (``t1`` exclusive)."""
        return cls(frame_at(t0, fps), max(frame_at(t0, fps), math.ceil(Fraction(t1) * fps)), fps)
