"""Rotated regions of interest, crops into a model's input and points mapped back.

Coordinates are **frame pixels, continuous**: ``x`` in ``[0, W]``, ``y`` in ``[0, H]``, pixel
``(i, j)`` covers ``[i, i + 1) x [j, j + 1)`` (its centre is ``(i + 0.5, j + 0.5)``), so a box
``(x0, y0, x1, y1)`` of them follows the package's box convention. A point *inside a crop* is
normalised: ``(u, v)`` in ``[0, 1]``, ``(0, 0)`` the crop's top-left corner.

A region of interest (:class:`Roi`) is MediaPipe's ``NormalizedRect`` expressed in pixels:
centre, size and a rotation in radians, positive clockwise on the screen (``y`` points down),
``0`` for an upright crop. The crop's ``u`` axis points along ``(cos r, sin r)`` in the frame.
Facts follow MediaPipe 0.10.21 (``image_to_tensor_utils.cc``: ``PadRoi``,
``GetRotatedSubRectToRectTransformMatrix``; ``rect_transformation_calculator.cc``;
``detections_to_rects_calculator.cc``; ``alignment_points_to_rects_calculator.cc``;
``landmark_projection_calculator.cc``); the code is ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from PIL import Image

from ictal.errors import ShapeError

Border = Literal["replicate", "zero"]


@dataclass(frozen=True, slots=True)
class Roi:
    """A rotated rectangle in frame pixels.

    Attributes:
        cx, cy: centre (px).
        width, height: size along the crop's own axes (px).
        rotation: radians, clockwise on the screen; ``0`` = upright.
    """

    cx: float
    cy: float
    width: float
    height: float
    rotation: float = 0.0

    def corners(self) -> np.ndarray:
        """The 4 corners ``(4, 2)`` in frame px: top-left, top-right, bottom-right, bottom-left
        of the crop."""
        return crop_to_frame(np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float64), self)

    def bounds(self) -> tuple[float, float, float, float]:
        """Axis-aligned bounding box ``(x0, y0, x1, y1)`` of the rectangle (px)."""
        c = self.corners()
        return (float(c[:, 0].min()), float(c[:, 1].min()), float(c[:, 0].max()),
                float(c[:, 1].max()))


def normalize_radians(angle: float) -> float:
    """``angle`` wrapped into ``[-pi, pi)``."""
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def rotation_between(start: np.ndarray, end: np.ndarray, target_degrees: float) -> float:
    """Rotation that turns the vector ``start -> end`` (frame px) to ``target_degrees``.

    ``target_degrees`` is measured counter-clockwise from the screen's ``+x`` (90 = pointing
    up): pose ROIs use 90 (hips -> head points up in the crop), face ROIs 0 (eye -> eye points
    right).
    """
    dx, dy = float(end[0] - start[0]), float(end[1] - start[1])
    return normalize_radians(math.radians(target_degrees) - math.atan2(-dy, dx))


def roi_from_alignment(centre: np.ndarray, scale_point: np.ndarray,
                       target_degrees: float = 90.0) -> Roi:
    """A square ROI centred on ``centre`` whose half side is ``|scale_point - centre|``, rotated
    so that ``centre -> scale_point`` points to ``target_degrees`` (px in, px out)."""
    side = 2.0 * float(np.hypot(*(np.asarray(scale_point) - np.asarray(centre))))
    return Roi(float(centre[0]), float(centre[1]), side, side,
               rotation_between(centre, scale_point, target_degrees))


def roi_from_box(box: np.ndarray, start: np.ndarray, end: np.ndarray,
                 target_degrees: float = 0.0) -> Roi:
    """The ROI of an axis-aligned ``box`` ``(x0, y0, x1, y1)`` px, rotated so that
    ``start -> end`` points to ``target_degrees``."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return Roi((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0,
               rotation_between(start, end, target_degrees))


def scale_roi(roi: Roi, scale: float, *, square_long: bool = True) -> Roi:
    """Make ``roi`` square on its long side (px) and scale it about its centre."""
    w, h = roi.width, roi.height
    if square_long:
        w = h = max(w, h)
    return replace(roi, width=w * scale, height=h * scale)


def letterbox_roi(roi: Roi, out_width: int, out_height: int
                  ) -> tuple[Roi, tuple[float, float, float, float]]:
    """Grow ``roi`` to the output's aspect ratio (keeping its content's aspect ratio).

    Returns:
        The grown ROI and the padding ``(left, top, right, bottom)`` as fractions of the
        output (MediaPipe's letterbox padding).
    """
    if roi.width <= 0 or roi.height <= 0:
        raise ShapeError(f"ROI of size {roi.width} x {roi.height}")
    out_ratio = out_height / out_width
    ratio = roi.height / roi.width
    if out_ratio > ratio:
        pad = (1.0 - ratio / out_ratio) / 2.0
        return replace(roi, height=roi.width * out_ratio), (0.0, pad, 0.0, pad)
    pad = (1.0 - out_ratio / ratio) / 2.0
    return replace(roi, width=roi.height / out_ratio), (pad, 0.0, pad, 0.0)


def crop_to_frame(points: np.ndarray, roi: Roi) -> np.ndarray:
    """Points ``(..., 2)`` normalised in ``roi``'s crop -> frame px ``(..., 2)`` float64."""
    p = np.asarray(points, np.float64)
    u, v = (p[..., 0] - 0.5) * roi.width, (p[..., 1] - 0.5) * roi.height
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    return np.stack([roi.cx + c * u - s * v, roi.cy + s * u + c * v], axis=-1)


def frame_to_crop(points: np.ndarray, roi: Roi) -> np.ndarray:
    """Frame px ``(..., 2)`` -> points normalised in ``roi``'s crop ``(..., 2)`` float64."""
    p = np.asarray(points, np.float64)
    dx, dy = p[..., 0] - roi.cx, p[..., 1] - roi.cy
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    return np.stack([(c * dx + s * dy) / roi.width + 0.5,
                     (-s * dx + c * dy) / roi.height + 0.5], axis=-1)


def as_rgb(frame: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB, or ``(H, W)`` grey replicated to 3 channels, -> ``(H, W, 3)``
    uint8."""
    if frame.dtype != np.uint8:
        raise ShapeError(f"frames are uint8, got {frame.dtype}",
                         hint="convert 16-bit infrared to 8 bit first (its IR window)")
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    raise ShapeError(f"a frame is (H, W, 3) RGB or (H, W) grey, got {frame.shape}")


def warp_crop(frame: np.ndarray, roi: Roi, size: int, *, border: Border = "replicate"
              ) -> np.ndarray:
    """Sample ``roi`` of ``frame`` into a ``(size, size, 3)`` float32 image (values 0..255).

    Output pixel ``(i, j)`` takes the frame at the crop point ``((i + 0.5) / size,
    (j + 0.5) / size)``, bilinearly; outside the frame the edge is repeated (``replicate``) or
    black (``zero``). When the ROI is more than twice the output's size, the frame region is
    first reduced by an integer factor (box filter) so that small outputs do not alias.

    Args:
        frame: ``(H, W, 3)`` uint8 RGB or ``(H, W)`` uint8 grey.
        roi: the region, frame px; letterbox it first (:func:`letterbox_roi`) for a square
            output of a non-square region.
    """
    rgb = as_rgb(frame)
    factor = int(min(roi.width, roi.height) // size)  # >= 2: reduce before sampling
    # crop_to_frame of the pixel centres, as one affine map broadcast over rows and columns
    grid = (np.arange(size, dtype=np.float64) + 0.5) / size - 0.5
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    u, v = grid[None, :] * roi.width, grid[:, None] * roi.height
    xs = roi.cx + c * u - s * v
    ys = roi.cy + s * u + c * v
    if factor >= 2:
        rgb, xs, ys = _reduced_region(rgb, xs, ys, factor)
    return _bilinear(rgb, xs, ys, border)


def _reduced_region(rgb: np.ndarray, xs: np.ndarray, ys: np.ndarray, factor: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frame region under the sample points, reduced ``factor`` times, and the points in
    its coordinates."""
    h, w = rgb.shape[:2]
    margin = 2 * factor
    x0 = int(np.clip(np.floor(xs.min()) - margin, 0, w)) // factor * factor
    y0 = int(np.clip(np.floor(ys.min()) - margin, 0, h)) // factor * factor
    x1 = int(np.clip(np.ceil(xs.max()) + margin, 0, w))
    y1 = int(np.clip(np.ceil(ys.max()) + margin, 0, h))
    if x1 - x0 < factor or y1 - y0 < factor:  # the ROI lies outside the frame
        return rgb, xs, ys
    region = np.asarray(_image(rgb[y0:y1, x0:x1]).reduce(factor))
    return region, (xs - x0) / factor, (ys - y0) / factor


def _image(rgb: np.ndarray) -> Image.Image:
    """A PIL view of ``(h, w, 3)`` uint8 (no copy when the array is contiguous)."""
    rgb = np.ascontiguousarray(rgb)
    return Image.frombuffer("RGB", (rgb.shape[1], rgb.shape[0]), rgb, "raw", "RGB", 0, 1)


def _bilinear(img: np.ndarray, xs: np.ndarray, ys: np.ndarray, border: Border) -> np.ndarray:
    """Bilinear samples of ``img`` ``(h, w, c)`` at continuous points ``xs``, ``ys`` (any
    shape) -> ``(*xs.shape, c)`` float32."""
    h, w, c = img.shape
    px = (xs - 0.5).astype(np.float32).ravel()
    py = (ys - 0.5).astype(np.float32).ravel()
    if border == "replicate":  # the edge repeated outward = the sample point clamped inside
        np.clip(px, 0, w - 1, out=px)
        np.clip(py, 0, h - 1, out=py)
    x0, y0 = np.floor(px), np.floor(py)
    fx, fy = px - x0, py - y0
    x0i, y0i = x0.astype(np.intp), y0.astype(np.intp)
    flat = img.reshape(-1, c)
    out = np.zeros((px.size, c), np.float32)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        jy = y0i + dy
        for dx, wx in ((0, 1 - fx), (1, fx)):
            jx = x0i + dx
            weight = wx * wy
            if border == "zero":
                weight = weight * ((jx >= 0) & (jx < w) & (jy >= 0) & (jy < h))
            index = np.clip(jy, 0, h - 1) * w + np.clip(jx, 0, w - 1)
            out += np.take(flat, index, axis=0) * weight[:, None]
    return out.reshape(*xs.shape, c)


def rotate_points(points: np.ndarray, quarter_turns: int, size: tuple[int, int]) -> np.ndarray:
    """Frame px ``(..., 2)`` -> the same points in ``np.rot90(frame, quarter_turns)``.

    ``size`` is the frame's ``(W, H)`` before the rotation; a quarter turn is 90 degrees
    counter-clockwise on the screen.
    """
    p = np.asarray(points, np.float64)
    w, h = size
    for _ in range(quarter_turns % 4):
        p = np.stack([p[..., 1], w - p[..., 0]], axis=-1)
        w, h = h, w
    return p


def unrotate_points(points: np.ndarray, quarter_turns: int, size: tuple[int, int]
                    ) -> np.ndarray:
    """Points of ``np.rot90(frame, quarter_turns)`` -> frame px; ``size`` is the frame's
    ``(W, H)`` before the rotation."""
    k = quarter_turns % 4
    rotated = size if k % 2 == 0 else (size[1], size[0])
    return rotate_points(points, (4 - k) % 4, rotated)
