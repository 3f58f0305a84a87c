"""SSD anchors of the BlazePose and BlazeFace detectors.

Facts from MediaPipe 0.10.21's ``ssd_anchors_calculator.cc`` and the options in
``pose_detection_cpu.pbtxt``, ``face_detection_short_range.pbtxt`` and
``face_detection_full_range.pbtxt``; the code is ours. Consecutive layers with the same stride
share one feature map: its anchors are laid out row by row (``y``, then ``x``), and at each cell
one anchor per (layer, aspect ratio), plus one interpolated-scale anchor per layer when
``interpolated_scale_aspect_ratio > 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class AnchorOptions:
    """Options of MediaPipe's ``SsdAnchorsCalculator`` (the subset these models use).

    Attributes:
        input_size: side of the square model input (px).
        strides: one per layer.
        min_scale, max_scale: anchor scales of the first and last layer (relative).
        offset: anchor centre inside its cell (0.5 = the cell's centre).
        aspect_ratios: per layer.
        interpolated_scale_aspect_ratio: aspect ratio of the extra anchor per layer (0 = none).
        fixed_anchor_size: all anchors 1 x 1 (the models predict absolute sizes).
    """

    input_size: int
    strides: tuple[int, ...]
    min_scale: float = 0.1484375
    max_scale: float = 0.75
    offset: float = 0.5
    aspect_ratios: tuple[float, ...] = (1.0,)
    interpolated_scale_aspect_ratio: float = 1.0
    fixed_anchor_size: bool = True


#: ``pose_detection.tflite`` (224 x 224 -> 2254 anchors).
POSE_DETECTION_ANCHORS = AnchorOptions(224, (8, 16, 32, 32, 32))
#: ``face_detection_short_range.tflite`` (128 x 128 -> 896 anchors).
FACE_SHORT_RANGE_ANCHORS = AnchorOptions(128, (8, 16, 16, 16))
#: ``face_detection_full_range_sparse.tflite`` (192 x 192 -> 2304 anchors).
FACE_FULL_RANGE_ANCHORS = AnchorOptions(192, (4,), interpolated_scale_aspect_ratio=0.0)


def _scale(options: AnchorOptions, index: int) -> float:
    n = len(options.strides)
    if n == 1:
        return (options.min_scale + options.max_scale) / 2
    return options.min_scale + (options.max_scale - options.min_scale) * index / (n - 1)


def ssd_anchors(options: AnchorOptions) -> np.ndarray:
    """The anchors ``(N, 4)`` float32: ``(x_centre, y_centre, width, height)``, all relative
    to the model input (``[0, 1]``)."""
    rows: list[np.ndarray] = []
    strides = options.strides
    layer = 0
    while layer < len(strides):
        sizes: list[tuple[float, float]] = []  # (width, height) per anchor of a cell
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            scale = _scale(options, last)
            for ratio in options.aspect_ratios:
                sizes.append((scale * math.sqrt(ratio), scale / math.sqrt(ratio)))
            if options.interpolated_scale_aspect_ratio > 0:
                following = 1.0 if last == len(strides) - 1 else _scale(options, last + 1)
                s = math.sqrt(scale * following)
                r = options.interpolated_scale_aspect_ratio
                sizes.append((s * math.sqrt(r), s / math.sqrt(r)))
            last += 1
        cells = math.ceil(options.input_size / strides[layer])
        centres = (np.arange(cells, dtype=np.float64) + options.offset) / cells
        cy, cx = np.meshgrid(centres, centres, indexing="ij")
        k = len(sizes)
        xy = np.repeat(np.stack([cx.ravel(), cy.ravel()], axis=1), k, axis=0)
        wh = (np.ones((cells * cells * k, 2)) if options.fixed_anchor_size
              else np.tile(np.array(sizes), (cells * cells, 1)))
        rows.append(np.concatenate([xy, wh], axis=1))
        layer = last
    return np.concatenate(rows).astype(np.float32)
