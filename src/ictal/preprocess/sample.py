"""A preprocessed sample: backbone-ready frames that remember where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ictal.timebase import FrameSpan


@dataclass(frozen=True)
class Sample:
    """One temporal sample of one recording (view), ready for a backbone.

    Attributes:
        frames: ``(C, T, H, W)`` ``float32``, normalised as the backbone's
            :class:`~ictal.inputspec.InputSpec` asks (I3D: ``[-1, 1]``). ``T`` may be
            shorter than ``InputSpec.frames`` for the kept leftover at the end (10-59 frames).
        span: the source frames ``[start, stop)`` and the stream's fps (exact times).
        patient, recording: ids from the manifest.
        event: id of the event the sample lies in, ``None`` outside any event.
        label: class label of the sample (the event's class, or GESTURES' Eq. 1 label).
        view: camera view for multi-view recordings, else ``None``.
        crop_box: ``(x0, y0, x1, y1)`` of the crop in source pixels, ``None`` when uncropped.
        provenance: how it was made (preprocessing config, scale, padding, ...).
        topview: ``(C, T, H, W)`` ``float32`` the bed seen from above over the same frames
            (:mod:`~ictal.preprocess.topview`), normalised like ``frames``; ``None`` unless
            the config's ``topview`` is enabled.
    """

    frames: np.ndarray
    span: FrameSpan
    patient: str
    recording: str
    event: str | None = None
    label: str | None = None
    view: str | None = None
    crop_box: tuple[int, int, int, int] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    topview: np.ndarray | None = None
