"""Frames for backbones: grey -> channels, resize keeping aspect, pad to square, normalise.

Everything the backbone needs (side, value range or mean / std, channels, frame rate) comes
from its :class:`~ictal.inputspec.InputSpec`; callers never pass these numbers by hand.
Resizing runs on whole batches with :func:`torch.nn.functional.interpolate` (bilinear, no
antialiasing, like OpenCV's ``INTER_LINEAR`` used by the seeds' Keras pipelines).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ictal.errors import ShapeError
from ictal.inputspec import InputSpec


def resized_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """``(h, w)`` with the longest side ``size`` and the aspect ratio kept (rounded)."""
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


#: Input pixels converted to ``float32`` at once by :func:`resize` (32 MB): a chunk of 1080p
#: RGB frames is resized a few planes at a time instead of through one full-size float copy.
RESIZE_PIXELS = 8 << 20


def resize(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of ``(T, H, W)`` frames (any real dtype) to ``(T, height, width)``
    ``float32`` (values not rounded).

    Frames go through in groups of at most :data:`RESIZE_PIXELS` input pixels; each output
    frame depends on its own input frame only, so the grouping does not change a value.
    """
    import torch
    import torch.nn.functional as F

    if frames.ndim != 3:
        raise ShapeError(f"frames must be (T, H, W), got shape {frames.shape}")
    if frames.shape[1:] == (height, width):
        return frames.astype(np.float32, copy=False)
    t, h, w = frames.shape
    step = max(1, RESIZE_PIXELS // max(1, h * w))
    out = np.empty((t, height, width), np.float32)
    with torch.no_grad():
        for i in range(0, t, step):
            x = torch.from_numpy(np.ascontiguousarray(frames[i:i + step], dtype=np.float32))
            y = F.interpolate(x[:, None], size=(height, width), mode="bilinear",
                              align_corners=False)
            out[i:i + step] = y[:, 0].numpy()
    return out


def pad_to_square(frames: np.ndarray, value: float = 0.0) -> tuple[np.ndarray, tuple[int, int]]:
    """Centre ``(T, h, w)`` frames on a square ``(T, s, s)`` canvas, ``s = max(h, w)``.

    Returns the padded frames and the ``(top, left)`` offset of the original inside them (the
    extra pixel of an odd padding goes to the bottom / right).
    """
    t, h, w = frames.shape
    s = max(h, w)
    top, left = (s - h) // 2, (s - w) // 2
    out = np.full((t, s, s), value, dtype=frames.dtype)
    out[:, top:top + h, left:left + w] = frames
    return out, (top, left)


def normalise(frames: np.ndarray, spec: InputSpec) -> np.ndarray:
    """8-bit-valued ``float32`` frames ``[0, 255]`` -> the spec's input range, ``(C, T, H, W)``.

    ``value_range=(lo, hi)``: ``lo + (hi - lo) * x / 255`` (I3D: ``2 x / 255 - 1``, seed 000
    Eq. 1); otherwise ``(x / 255 - mean[c]) / std[c]``. Grey ``(T, H, W)`` input is repeated
    to ``spec.channels``; ``(C, T, H, W)`` input must already have that many channels.
    """
    if frames.ndim == 3:  # grey: normalise once, then copy into every channel
        t, h, w = frames.shape
        out = np.empty((spec.channels, t, h, w), np.float32)
        grey = frames.astype(np.float32, copy=False)
        if spec.value_range is not None:
            lo, hi = spec.value_range
            np.multiply(grey, np.float32((hi - lo) / 255.0), out=out[0])
            out[0] += np.float32(lo)
            out[1:] = out[0]
        else:
            for c in range(spec.channels):
                np.multiply(grey, np.float32(1 / (255.0 * spec.std[c])), out=out[c])  # type: ignore[index]
                out[c] -= np.float32(spec.mean[c] / spec.std[c])  # type: ignore[index]
        return out
    if frames.ndim != 4 or frames.shape[0] != spec.channels:
        raise ShapeError(f"frames must be (T, H, W) or ({spec.channels}, T, H, W), "
                         f"got shape {frames.shape}")
    if spec.value_range is not None:
        lo, hi = spec.value_range
        out = frames * np.float32((hi - lo) / 255.0) + np.float32(lo)
    else:
        mean = np.asarray(spec.mean, dtype=np.float32).reshape(-1, 1, 1, 1)
        std = np.asarray(spec.std, dtype=np.float32).reshape(-1, 1, 1, 1)
        out = (frames * np.float32(1 / 255.0) - mean) / std
    return np.ascontiguousarray(out, dtype=np.float32)


def fit_square(frames: np.ndarray, size: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Resize ``(T, H, W)`` frames so the longest side is ``size``, then zero-pad to
    ``(T, size, size)`` ``float32`` (seeds 000/001: bilinear, aspect kept, padded to 224).

    Returns the frames (values still ``[0, 255]``) and the geometry ``{"scale", "resized",
    "pad"}`` that maps output pixels back to input pixels.
    """
    _, h, w = frames.shape
    rh, rw = resized_shape(h, w, size)
    out, (top, left) = pad_to_square(resize(frames, rh, rw))
    if out.shape[1] != size:  # rounding made the longest side size - 1 or so
        out = resize(out, size, size)
    return out, {"scale": size / max(h, w), "resized": [rh, rw], "pad": [top, left]}


def gestures_square(
    frames: np.ndarray, size: int, *, base_size: tuple[int, int] = (320, 180),
    drop_columns: float = 0.05,
) -> tuple[np.ndarray, dict[str, Any]]:
    """GESTURES frame geometry (seed 002, Sec. 2.4 "Data"): resize ``(T, H, W)`` frames to
    ``base_size`` ``(width, height)`` = 320 x 180, remove ``drop_columns`` (5 %) of the columns
    on each side, zero-pad vertically to a square, resize to ``size`` (112 or 224).

    The input should already be resampled to the backbone's frame rate (15 fps).

    Returns:
        ``(T, size, size)`` ``float32`` (values still ``[0, 255]``) and the geometry applied.
    """
    bw, bh = base_size
    base = resize(frames, bh, bw)
    cut = round(bw * drop_columns)
    base = base[:, :, cut:bw - cut]
    square, (top, left) = pad_to_square(base)
    out = resize(square, size, size)
    geometry = {"base_size": [bw, bh], "dropped_columns": cut, "pad": [top, left],
                "square": int(square.shape[1]), "scale": size / square.shape[1]}
    return out, geometry


def square_frames(
    frames: np.ndarray, size: int, *, style: str = "i3d", base_size: tuple[int, int] = (320, 180),
    drop_columns: float = 0.05,
) -> tuple[np.ndarray, dict[str, Any]]:
    """``(T, H, W)`` or RGB ``(T, H, W, 3)`` frames -> ``(T, size, size)`` or
    ``(3, T, size, size)`` ``float32`` in ``[0, 255]``, by :func:`fit_square` (``style="i3d"``)
    or :func:`gestures_square` (``style="gestures"``)."""
    rgb = frames.ndim == 4
    if rgb:  # (T, H, W, 3) -> (3 T, H, W): every channel is resized alike
        t = frames.shape[0]
        frames = np.moveaxis(frames, 3, 0).reshape(3 * t, *frames.shape[1:3])
    if style == "i3d":
        out, geometry = fit_square(frames, size)
    elif style == "gestures":
        out, geometry = gestures_square(frames, size, base_size=base_size,
                                        drop_columns=drop_columns)
    else:
        raise ValueError(f"unknown frame style {style!r}: use 'i3d' or 'gestures'")
    if rgb:
        out = out.reshape(3, t, size, size)
    return out, geometry


def backbone_frames(
    frames: np.ndarray, spec: InputSpec, *, style: str = "i3d"
) -> tuple[np.ndarray, dict[str, Any]]:
    """``(T, H, W)`` ``uint8`` grey (or ``(T, H, W, 3)`` RGB) crops -> ``(C, T, size, size)``
    ``float32`` backbone input (seeds 000/001 "Pre-processing for feature extraction", or
    seed 002 with ``style="gestures"``). Padding is black (0) before normalisation, i.e.
    ``-1`` for I3D."""
    square, geometry = square_frames(frames, spec.size, style=style)
    return normalise(square, spec), geometry
