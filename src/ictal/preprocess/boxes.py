"""Boxes ``(x0, y0, x1, y1)`` in pixels, ``x1`` / ``y1`` exclusive (see :mod:`ictal`)."""

from __future__ import annotations

import math

import numpy as np

Box = tuple[int, int, int, int]


def merge_boxes(a: Box, b: Box) -> Box:
    """The smallest box containing both ``a`` and ``b``."""
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def expand_box(box: Box | tuple[float, float, float, float], margin: float) -> Box:
    """Grow ``box`` by ``margin`` times its width (height) on the left and right (top and
    bottom), i.e. "+20 % in all directions" (seed 001) for ``margin=0.2``; coordinates are
    rounded outwards to whole pixels. ``margin`` may be 0."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    return (math.floor(x0 - dx), math.floor(y0 - dy), math.ceil(x1 + dx), math.ceil(y1 + dy))


def clip_box(box: Box, width: int, height: int) -> Box:
    """``box`` clipped to a ``width x height`` frame."""
    x0, y0, x1, y1 = box
    return (max(0, min(x0, width)), max(0, min(y0, height)),
            max(0, min(x1, width)), max(0, min(y1, height)))


def box_area(box: Box) -> int:
    """Pixels covered by ``box`` (0 for an empty box)."""
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def contains(outer: Box, inner: Box) -> bool:
    """Whether ``inner`` lies entirely inside ``outer``."""
    return (outer[0] <= inner[0] and outer[1] <= inner[1]
            and outer[2] >= inner[2] and outer[3] >= inner[3])


def crop(frames: np.ndarray, box: Box) -> np.ndarray:
    """View of ``frames`` ``(..., H, W)`` inside ``box`` (no copy)."""
    x0, y0, x1, y1 = box
    return frames[..., y0:y1, x0:x1]


def mask_box(mask: np.ndarray) -> Box | None:
    """Bounding box of the ``True`` pixels of ``(H, W)`` bool ``mask``; ``None`` when empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
