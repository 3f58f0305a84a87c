"""From processed frames to finished samples, in order, holding only the frames still needed.

The streaming pipeline (:func:`~ictal.preprocess.pipeline.iter_samples`) decodes a recording
in order and turns each chunk of frames into :class:`ProcessedFrame` s; a
:class:`SampleAssembler` keeps them until every window that needs them has become a
:class:`~ictal.preprocess.sample.Sample` (made by a :class:`SampleMaker`), then forgets them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ictal.inputspec import InputSpec
from ictal.preprocess.frames import normalise
from ictal.preprocess.plan import RecordingPlan
from ictal.preprocess.sample import Sample
from ictal.preprocess.windows import SampleWindow
from ictal.timebase import FrameSpan


@dataclass(frozen=True)
class ProcessedFrame:
    """One frame of the sample timeline after the spatial steps.

    Attributes:
        views: view name (``None`` for a recording of one view) -> the square frame,
            ``(size, size)`` or RGB ``(3, size, size)`` ``float32`` in ``[0, 255]``.
        geometry: view name -> how the crop was made square (scale, resized shape, padding),
            :func:`~ictal.preprocess.frames.square_frames`.
        top: the bed seen from above, ``(size, size)`` ``float32`` in ``[0, 255]``, or ``None``.
    """

    views: dict[str | None, np.ndarray]
    geometry: dict[str | None, dict[str, Any]]
    top: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class SampleMaker:
    """Makes the samples of one window of a planned recording from its processed frames.

    Attributes:
        plan: the recording's plan (ids, crop boxes).
        spec: the backbone's input spec (normalisation).
        fps: frame rate of the sample timeline (the source's, or the backbone's when it
            resamples).
        index_map: ``(n_timeline,)`` ``int64``: timeline frame ``j`` shows source frame
            ``index_map[j]``.
        provenance: what every sample of the recording records (variant, input spec, ...).
        length: the configured sample length in timeline frames.
    """

    plan: RecordingPlan
    spec: InputSpec
    fps: Fraction
    index_map: np.ndarray
    provenance: dict[str, Any]
    length: int

    def make(self, window: SampleWindow, frames: list[ProcessedFrame]) -> list[Sample]:
        """The samples of ``window`` from its frames (in timeline order): one, or one per view
        of a montage (in the montage's order). Each holds ``(C, T, size, size)`` ``float32``
        frames normalised as the spec asks."""
        first = int(self.index_map[window.start])
        tops = [f.top for f in frames if f.top is not None]
        topview = normalise(np.stack(tops), self.spec) if tops else None
        out = []
        for view in frames[0].views:
            clip = np.stack([f.views[view] for f in frames], axis=-3)
            provenance = {
                **self.provenance,
                "source_frames": [first, int(self.index_map[window.stop - 1]) + 1],
                "geometry": frames[0].geometry.get(view, {}), "length": self.length,
            }
            out.append(Sample(
                frames=normalise(clip, self.spec),
                span=FrameSpan(window.start, window.stop, self.fps),
                patient=self.plan.patient, recording=self.plan.recording,
                event=None if window.event is None else window.event.id, label=window.label,
                view=view, crop_box=self.plan.crop_box_at(first, view), provenance=provenance,
                topview=topview,
            ))
        return out


class SampleAssembler:
    """Owns the processed frames between the chunk that made them and the samples that use them.

    Frames are added in timeline order (:meth:`add`); :meth:`finished` yields the samples of
    every window whose frames are all in, in order of start frame, and then drops the frames
    no window still waiting needs. Memory is bounded by the frames of the windows in progress.
    """

    def __init__(self, windows: Iterable[SampleWindow], maker: SampleMaker) -> None:
        self._waiting = deque(sorted(windows, key=lambda w: (w.start, w.stop)))
        self._maker = maker
        self._frames: dict[int, ProcessedFrame] = {}

    @property
    def waiting(self) -> tuple[SampleWindow, ...]:
        """The windows not made yet, in order of start frame."""
        return tuple(self._waiting)

    @property
    def held(self) -> tuple[int, ...]:
        """Timeline indices of the frames held now (what memory holds)."""
        return tuple(sorted(self._frames))

    def add(self, frames: Mapping[int, ProcessedFrame]) -> None:
        """Take processed frames keyed by timeline index."""
        self._frames.update(frames)

    def finished(self) -> Iterator[Sample]:
        """The samples of every window now complete, then forget the frames behind them."""
        while self._waiting and self._waiting[0].stop - 1 in self._frames:
            window = self._waiting.popleft()
            yield from self._maker.make(
                window, [self._frames[k] for k in range(window.start, window.stop)])
        low = self._waiting[0].start if self._waiting else None
        for k in [k for k in self._frames if low is None or k < low]:
            del self._frames[k]
