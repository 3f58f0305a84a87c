"""16-bit infrared -> 8 bit by a window fixed once per recording, never per frame.

Rescaling every frame by its own range would turn global brightness changes into fake motion and
flatten real motion, so the window is fitted once (on the first seconds) and then applied to
every frame of the recording unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IrWindow:
    """Linear map of raw values ``[lo, hi]`` onto ``[0, 255]``; values outside are clipped."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not self.hi > self.lo:
            raise ValueError(f"IR window needs hi > lo, got lo={self.lo}, hi={self.hi}")


def fit_ir_window(
    frames: np.ndarray, *, low_percentile: float = 1.0, high_percentile: float = 99.5,
    max_pixels: int = 2_000_000,
) -> IrWindow:
    """Robust window from percentiles of the non-zero pixels of ``frames``.

    Args:
        frames: ``(T, H, W)`` or ``(H, W)`` ``uint16`` infrared, normally the first seconds of
            the recording (before any cropping).
        low_percentile, high_percentile: percentiles (0-100) that map to 0 and 255.
        max_pixels: pixels used at most (a regular subsample beyond that).

    Returns:
        The window; when the frames are constant or all zero a unit-wide window at that value.
    """
    values = frames.reshape(-1)
    if values.size > max_pixels:
        values = values[:: values.size // max_pixels + 1]
    values = values[values > 0]
    if values.size == 0:
        return IrWindow(0.0, 1.0)
    lo, hi = np.percentile(values.astype(np.float64), [low_percentile, high_percentile])
    if hi <= lo:
        hi = lo + 1.0
    return IrWindow(float(lo), float(hi))


def to_uint8(frames: np.ndarray, window: IrWindow) -> np.ndarray:
    """Map ``frames`` (any shape, ``uint16``) through ``window`` to ``uint8``.

    ``0`` (invalid or cropped away) stays ``0`` whenever ``window.lo >= 0``.
    """
    scale = np.float32(255.0 / (window.hi - window.lo))
    out = (frames.astype(np.float32) - np.float32(window.lo)) * scale
    np.clip(out, 0.0, 255.0, out=out)
    return np.rint(out, out=out).astype(np.uint8)
