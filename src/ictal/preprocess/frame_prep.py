"""The per-frame spatial steps shared by planning, QC and the streaming pipeline.

Depth denoising, depth cropping (per-pixel bounds applied to depth and IR, seed 000's
Algorithm 1 lines 37-42) and the 16-bit -> 8-bit IR window (or, for 8-bit sources, the
low-light tone map), in that order; no resizing (that is :mod:`~ictal.preprocess.frames`, from
the backbone's input spec).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ictal.errors import ShapeError
from ictal.preprocess.boxes import Box
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.denoise import denoise_depth
from ictal.preprocess.depth_crop import apply_depth_crop
from ictal.preprocess.intensity import IrWindow, to_uint8
from ictal.preprocess.lowlight import LightWindow, apply_light_window


@dataclass(frozen=True)
class FramePrep:
    """The spatial steps of one recording, fixed once its plan is known.

    Attributes:
        config: the preprocessing config (its ``denoise`` section is used here).
        bounds: per-pixel depth bounds ``(lo, hi)`` of the depth crop, ``(H, W)`` ``float32``
            mm each (:meth:`~ictal.preprocess.plan.RecordingPlan.crop_bounds`); ``None``
            without a depth crop.
        window: the recording's IR window, ``None`` for 8-bit sources.
        light: the recording's low-light tone map (8-bit sources), ``None``: frames kept.
    """

    config: PreprocessConfig
    bounds: tuple[np.ndarray, np.ndarray] | None
    window: IrWindow | None
    light: LightWindow | None = None

    def depth(self, depth: np.ndarray) -> np.ndarray:
        """Denoise ``(H, W)`` / ``(T, H, W)`` ``uint16`` depth as configured."""
        d = self.config.denoise
        if not d.enabled:
            return depth
        return denoise_depth(depth, size=d.size, iterations=d.iterations,
                             zeros_only=d.zeros_only)

    def to_8bit(self, frames: np.ndarray) -> np.ndarray:
        """``uint16`` IR through the window; ``uint8`` frames through the low-light map, or
        unchanged without one."""
        if frames.dtype != np.uint16:
            return frames if self.light is None else apply_light_window(frames, self.light)
        if self.window is None:
            raise ShapeError("16-bit frames need an IR window")
        return to_uint8(frames, self.window)

    def source(self, frames: np.ndarray, depth: np.ndarray | None,
               crop_depth: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Depth-crop (when ``crop_depth``) and convert to 8 bit.

        Args:
            frames: ``(T, H, W)`` ``uint16`` IR, or ``(T, H, W[, 3])`` ``uint8``.
            depth: matching ``(T, H, W)`` raw depth or ``None``.

        Returns:
            ``(frames uint8, depth after denoising and cropping or None)``.
        """
        dep = None if depth is None else self.depth(depth)
        if crop_depth and self.bounds is not None and dep is not None:
            if frames.ndim == 4:  # RGB is not registered with depth
                raise ShapeError("depth cropping needs IR frames registered with the depth")
            dep, cropped = apply_depth_crop(dep, frames, *self.bounds)
            frames = frames if cropped is None else cropped
        return self.to_8bit(frames), dep

    def cropped(self, frames: np.ndarray, depth: np.ndarray | None, box: Box,
                crop_depth: bool) -> np.ndarray:
        """:meth:`source` restricted to ``box``: the same pixels as cropping its result, but
        denoising, depth cropping and 8-bit conversion only touch the box (plus the
        dilation's reach around it, so the result is identical).

        Args:
            frames: ``(T, H, W)`` ``uint16`` IR, or ``(T, H, W[, 3])`` ``uint8``.
            depth: matching ``(T, H, W)`` raw depth or ``None``.

        Returns:
            ``(T, y1 - y0, x1 - x0[, 3])`` ``uint8``.
        """
        x0, y0, x1, y1 = box
        if not (crop_depth and self.bounds is not None and depth is not None):
            out, _ = self.source(frames[:, y0:y1, x0:x1], None, crop_depth=False)
            return out
        if frames.ndim == 4:
            raise ShapeError("depth cropping needs IR frames registered with the depth")
        h, w = frames.shape[1:3]
        d = self.config.denoise
        m = d.size * d.iterations if d.enabled else 0  # how far the dilation reaches
        X0, Y0, X1, Y1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
        inner = (slice(None), slice(y0 - Y0, y1 - Y0), slice(x0 - X0, x1 - X0))
        dep = self.depth(depth[:, Y0:Y1, X0:X1])[inner]
        lo, hi = (b[y0:y1, x0:x1] for b in self.bounds)
        region = frames[:, y0:y1, x0:x1]
        _, cropped = apply_depth_crop(dep, region, lo, hi)
        return self.to_8bit(region if cropped is None else cropped)
