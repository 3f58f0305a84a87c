"""The sample timeline of a recording: which windows of frames become samples, and their labels.

``windows="events"`` cuts every annotated event (seeds 000/001 fixed slices, or seed 002's TSN
segments); ``windows="sliding"`` covers the whole recording (inference). Labels are the event's
class, or GESTURES' Eq. 1 (seed 002) with ``temporal.label_rule="gestures"``.
"""

from __future__ import annotations

import logging
import math
import zlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

from ictal.errors import ConfigError
from ictal.manifest.schema import Event
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.temporal import (
    exact_seconds,
    fixed_windows,
    gestures_label,
    sliding_windows,
    tsn_snippet_starts,
)
from ictal.timebase import FrameSpan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SampleWindow:
    """One sample to make: frames ``[start, stop)`` of the (resampled) timeline."""

    start: int
    stop: int
    event: Event | None
    label: str | None


def event_frames(t0: float, t1: float, fps: Fraction) -> tuple[int, int]:
    """Frames ``[start, stop)`` of an event from ``t0`` to ``t1`` seconds.

    Times within a millionth of a frame of a frame boundary snap to it
    (:func:`~ictal.preprocess.temporal.exact_seconds`), so float seconds such as ``56 / 30``
    (1.8666...67) give frame 56 and not 57.
    """
    start = math.floor(exact_seconds(t0, fps) * fps)
    return start, max(start, math.ceil(exact_seconds(t1, fps) * fps))


def _event_label(event: Event | None, span: FrameSpan, config: PreprocessConfig) -> str | None:
    if event is None:
        return None
    if config.temporal.label_rule == "gestures":
        eq1 = gestures_label(span, event.tG)
        return config.temporal.generalised_label if eq1 else config.temporal.focal_label
    return event.label


def seizure_events(events: list[Event], config: PreprocessConfig) -> list[Event]:
    """The events Eq. 1 of seed 002 may label: every event but those whose label is one of
    ``temporal.non_seizure_labels`` (the phantom's pre- and post-ictal periods, ``NE``), which
    would otherwise become focal (FOS) "seizures". What is left out is logged as a warning."""
    skip = set(config.temporal.non_seizure_labels)
    kept = [e for e in events if e.label not in skip]
    dropped = [e for e in events if e.label in skip]
    if dropped:
        labels = ", ".join(sorted({e.label for e in dropped}))
        log.warning("%s: %d non-seizure event(s) (label %s) left out: Eq. 1 labels seizures "
                    "only (temporal.non_seizure_labels)", dropped[0].recording, len(dropped),
                    labels)
    return kept


def plan_windows(
    events: list[Event], n_frames: int, fps: Fraction, length: int, config: PreprocessConfig,
    *, windows: Literal["events", "sliding"] = "events", stride: int | None = None,
) -> list[SampleWindow]:
    """The samples of a recording with ``n_frames`` frames at ``fps`` (the sample timeline).

    ``windows="events"``: each event's frames are cut by :func:`fixed_windows` (with
    ``config.temporal.overlap``) or by TSN segments (:func:`tsn_snippet_starts`, seeded per
    event). ``windows="sliding"``: windows of ``length`` every ``stride`` frames (default
    ``length``) over the whole recording, and a last shorter one when at least
    ``temporal.min_leftover`` (10) frames at the end are left, so no such tail goes
    unscored; a window's event is the one holding its midpoint.
    """
    tc = config.temporal
    out: list[SampleWindow] = []
    if windows == "events":
        if tc.label_rule == "gestures":
            events = seizure_events(events, config)
        for event in sorted(events, key=lambda e: (e.t0, e.id)):
            first, last = event_frames(event.t0, event.t1, fps)
            start, stop = min(first, n_frames), min(last, n_frames)
            if stop <= start:
                log.warning("event %s lies outside the recording's %d frames", event.id, n_frames)
                continue
            if tc.sampling == "fixed":
                cuts = fixed_windows(stop - start, length, overlap=tc.overlap,
                                     min_leftover=tc.min_leftover)
            else:
                rng = np.random.default_rng([tc.seed, zlib.crc32(event.id.encode())])
                starts = tsn_snippet_starts(stop - start, length, tc.tsn_segments, tc.tsn_gamma,
                                            rng)
                cuts = [(s, min(s + length, stop - start)) for s in starts]
            for a, b in cuts:
                w = FrameSpan(start + a, start + b, fps)
                out.append(SampleWindow(w.start, w.stop, event, _event_label(event, w, config)))
    elif windows == "sliding":
        for a, b in sliding_windows(n_frames, length, stride or length, keep_partial=True,
                                    min_leftover=tc.min_leftover):
            w = FrameSpan(a, b, fps)
            event = next((e for e in events if e.t0 <= w.t_mid < e.t1), None)
            out.append(SampleWindow(a, b, event, _event_label(event, w, config)))
    else:
        raise ConfigError(f"unknown windows {windows!r}", hint="use 'events' or 'sliding'")
    return out
