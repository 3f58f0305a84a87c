"""What a backbone expects as input: data shared by preprocessing (which makes the frames) and
the backbones (which declare it), so it lives below both. Torch-free and import-cheap.

Preprocessing derives every frame transform (clip length, size, value range or mean / std,
frame rate) from an :class:`InputSpec`; callers never repeat these numbers by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from ictal.timebase import as_fps

#: The frame rate at which the clip length of a backbone that keeps the stream's rate is
#: counted: the Kinect's 30 fps of seeds 000 / 001, where a 60-frame sample is 2 s.
REFERENCE_FPS = Fraction(30)


@dataclass(frozen=True, slots=True)
class InputSpec:
    """Input contract of a backbone.

    Attributes:
        frames: clip length T of one sample (60 for I3D samples of seeds 000/001, 8 or 32 for
            R(2+1)D, 1 for 2D per-frame networks).
        size: side of the square input in pixels (224 or 112).
        channels: 3 for networks pretrained on RGB; grey frames are repeated to 3 channels.
        value_range: ``(lo, hi)`` linear rescale of 8-bit values ``[0, 255]`` (I3D: ``(-1, 1)``,
            i.e. ``2 x / 255 - 1``); ``None`` when ``mean`` / ``std`` are used instead.
        mean, std: per-channel normalisation applied after scaling to ``[0, 1]`` (torchvision
            ImageNet / Kinetics checkpoints).
        fps: frame rate the backbone expects (GESTURES resamples to 15 fps); ``None`` keeps the
            stream's rate.
    """

    frames: int
    size: int
    channels: int = 3
    value_range: tuple[float, float] | None = (-1.0, 1.0)
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    fps: float | None = None

    def __post_init__(self) -> None:
        if (self.value_range is None) == (self.mean is None or self.std is None):
            raise ValueError("InputSpec needs exactly one of value_range or (mean, std)")

    @property
    def seconds(self) -> Fraction:
        """Duration of one full sample: ``frames`` at ``fps``, or at :data:`REFERENCE_FPS`
        when the backbone keeps the stream's rate (I3D's 60 frames: 2 s)."""
        return Fraction(self.frames) / as_fps(self.fps or REFERENCE_FPS)

    def timeline_fps(self, stream_fps: Fraction) -> Fraction:
        """Frame rate of the sample timeline of a stream at ``stream_fps``: the backbone's
        ``fps`` when it resamples, else the stream's own rate, at most :data:`REFERENCE_FPS`
        (a faster stream is resampled, so a full sample never needs more than ``frames``)."""
        if self.fps is not None:
            return as_fps(self.fps)
        return min(as_fps(stream_fps), REFERENCE_FPS)

    def frames_at(self, fps: Fraction) -> int:
        """Frames of one full sample on a timeline at ``fps`` (:meth:`timeline_fps`): the same
        duration (:attr:`seconds`) at any rate, e.g. 60 at 30 fps, 50 at 25 fps, 60 at 29.97
        fps (rounded to the nearest frame), never more than ``frames``."""
        return max(1, min(self.frames, round(self.seconds * as_fps(fps))))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, recorded as provenance with samples and features."""
        return asdict(self)
