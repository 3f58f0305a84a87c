"""Low-light normalisation of 8-bit video (night-vision grey, dark RGB), one map per recording.

Clinic cameras record at night with infrared illuminators in 8-bit grey (often stored as RGB
with equal channels), and rooms are dim: pictures whose values fill a tenth of the 8-bit range
hide the patient from the pose model and from anyone reading a QC sheet, and give features on
another scale than daylight clips. The normalisation is a fixed tone map, fitted once per
recording on the luminance of its first seconds and then applied unchanged to every frame
(like the infrared window of :mod:`~ictal.preprocess.intensity`; a map refitted per frame
would turn the lights going on, or a nurse's white coat, into fake motion):

1. a **percentile window**: the ``low_percentile`` and ``high_percentile`` of the luminance map
   to 0 and 255 (linear stretch, values beyond are clipped);
2. a **gamma** chosen so that the median luminance lands on ``target_median`` after the window
   (``gamma = log(target) / log(median)``, kept within ``gamma_range``): a dark clip whose
   pixels crowd the bottom of the window is lifted; a clip already bright is left near
   ``gamma = 1``.

Both steps make one 256-entry lookup table (:attr:`LightWindow.table`) applied to every
channel alike, so grey stays grey and RGB keeps its hue roughly. Local methods (CLAHE) were
not chosen: they equalise every frame and every tile on its own content, so the same pixel
value would mean different things from frame to frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ictal.errors import ShapeError

#: Luma weights of ITU-R BT.601 (what MPEG video stores): ``Y = 0.299 R + 0.587 G + 0.114 B``.
LUMA = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class LightWindow:
    """The tone map of one recording: 8-bit value ``v`` ->
    ``255 * clip((v - lo) / (hi - lo), 0, 1) ** gamma``, rounded.

    Attributes:
        lo, hi: luminance values (0-255) mapped to 0 and 255, ``hi > lo``.
        gamma: exponent applied after the window (``< 1`` brightens).
        median: the median luminance of the frames it was fitted on, before the map (for
            the record: how dark the recording was).
    """

    lo: float
    hi: float
    gamma: float = 1.0
    median: float | None = None

    def __post_init__(self) -> None:
        if not self.hi > self.lo:
            raise ValueError(f"light window needs hi > lo, got lo={self.lo}, hi={self.hi}")
        if not self.gamma > 0:
            raise ValueError(f"light window needs gamma > 0, got {self.gamma}")

    @property
    def table(self) -> np.ndarray:
        """``(256,)`` ``uint8`` lookup table of the map."""
        x = (np.arange(256, dtype=np.float64) - self.lo) / (self.hi - self.lo)
        return np.rint(255.0 * np.clip(x, 0.0, 1.0) ** self.gamma).astype(np.uint8)

    def to_dict(self) -> dict[str, float | None]:
        return {"lo": self.lo, "hi": self.hi, "gamma": self.gamma, "median": self.median}

    @classmethod
    def from_dict(cls, d: dict[str, float | None]) -> LightWindow:
        lo, hi, gamma = d["lo"], d["hi"], d.get("gamma", 1.0)
        if lo is None or hi is None or gamma is None:
            raise ValueError(f"light window needs numbers lo, hi, gamma; got {d}")
        median = d.get("median")
        return cls(float(lo), float(hi), float(gamma), None if median is None else float(median))


def luminance(frames: np.ndarray) -> np.ndarray:
    """Luma of 8-bit frames: ``(..., H, W)`` grey as it is, ``(..., H, W, 3)`` RGB weighted by
    :data:`LUMA`; ``float32`` in ``[0, 255]``."""
    if frames.dtype != np.uint8:
        raise ShapeError(f"low-light normalisation needs 8-bit frames, got {frames.dtype}",
                         hint="16-bit infrared goes through the IR window (intensity)")
    if frames.ndim >= 3 and frames.shape[-1] == 3:
        weights = np.asarray(LUMA, np.float32)
        return np.tensordot(frames.astype(np.float32), weights, axes=([-1], [0]))
    return frames.astype(np.float32)


def fit_light_window(
    frames: np.ndarray, *, low_percentile: float = 1.0, high_percentile: float = 99.0,
    target_median: float | None = 0.4, gamma_range: tuple[float, float] = (0.4, 1.0),
    max_pixels: int = 2_000_000,
) -> LightWindow:
    """The recording's tone map from its first frames (see the module docstring).

    Args:
        frames: ``(T, H, W)`` grey or ``(T, H, W, 3)`` RGB ``uint8`` (or one frame without
            ``T``), normally the first seconds of the recording, before any cropping.
        low_percentile, high_percentile: luminance percentiles (0-100) mapped to 0 and 255.
        target_median: where the median luminance lands after the map, in ``[0, 1]``;
            ``None``: no gamma (a linear window only).
        gamma_range: the gamma is kept within ``[min, max]`` (the default never darkens).
        max_pixels: luminance values used at most (a regular subsample beyond that).

    Returns:
        The map; for constant frames a window one value wide around that value.
    """
    values = luminance(frames).reshape(-1)
    if values.size > max_pixels:
        values = values[:: values.size // max_pixels + 1]
    lo, hi, median = (float(v) for v in np.percentile(
        values.astype(np.float64), [low_percentile, high_percentile, 50.0]))
    if hi <= lo:
        lo, hi = max(0.0, min(lo, 254.0)), max(0.0, min(lo, 254.0)) + 1.0
    gamma = 1.0
    if target_median is not None:
        m = (median - lo) / (hi - lo)
        if 0.0 < m < 1.0 and 0.0 < target_median < 1.0:
            gamma = math.log(target_median) / math.log(m)
        gamma = float(np.clip(gamma, *gamma_range))
    return LightWindow(lo, hi, round(gamma, 6), median)


def apply_light_window(frames: np.ndarray, window: LightWindow) -> np.ndarray:
    """``frames`` (any shape, ``uint8``) through the map of ``window``: same shape, ``uint8``."""
    if frames.dtype != np.uint8:
        raise ShapeError(f"low-light normalisation needs 8-bit frames, got {frames.dtype}")
    return window.table[frames]
