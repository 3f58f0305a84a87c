"""Picture-in-picture montages: split recorded frames into their camera views.

Seed 002: the acquisition software shrinks one camera's stream and pastes it into the top-left
corner of the other's; ``Montage.small_box`` ``(x0, y0, x1, y1)`` says where.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ictal.errors import ShapeError


class Montage(Protocol):
    """Where the small view sits: what :class:`ictal.manifest.Montage` declares for a stream.

    ``small_box`` is ``(x0, y0, x1, y1)`` in pixels of the full frame, ``x1``/``y1`` exclusive.
    """

    @property
    def small_box(self) -> tuple[int, int, int, int]: ...
    @property
    def large_view(self) -> str: ...
    @property
    def small_view(self) -> str: ...


def _split(array: np.ndarray, montage: Montage, height: int, width: int,
           lead: tuple[slice, ...]) -> dict[str, np.ndarray]:
    x0, y0, x1, y1 = montage.small_box
    if x1 > width or y1 > height:
        raise ShapeError(
            f"montage small_box {montage.small_box} does not fit a {width}x{height} frame",
        )
    box = (*lead, slice(y0, y1), slice(x0, x1))
    small = array[box].copy()
    large = array.copy()
    large[box] = 0
    return {montage.large_view: large, montage.small_view: small}


def split_montage(frame: np.ndarray, montage: Montage) -> dict[str, np.ndarray]:
    """Cut one picture-in-picture frame ``(H, W)`` or ``(H, W, 3)`` into its two views.

    Returns ``{montage.large_view: a copy of frame with the small box set to 0,
    montage.small_view: the small box, (y1 - y0, x1 - x0[, 3])}``, both of ``frame``'s dtype.
    """
    if frame.ndim not in (2, 3):
        raise ShapeError(f"montage frame must be (H, W) or (H, W, 3), got {frame.shape}")
    return _split(frame, montage, frame.shape[0], frame.shape[1], ())


def split_montage_clip(clip: np.ndarray, montage: Montage) -> dict[str, np.ndarray]:
    """:func:`split_montage` for a clip ``(T, H, W)`` or ``(T, H, W, 3)``."""
    if clip.ndim not in (3, 4):
        raise ShapeError(f"montage clip must be (T, H, W) or (T, H, W, 3), got {clip.shape}")
    return _split(clip, montage, clip.shape[1], clip.shape[2], (slice(None),))
