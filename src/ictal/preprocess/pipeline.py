"""The streaming pipeline: decode -> denoise -> depth crop -> detection crop -> 8 bit ->
resize / pad / normalise -> samples.

Memory stays flat in the recording's length: frames are decoded in order, processed in chunks
of ``config.chunk_frames`` and kept only until the last sample that needs them is out.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from ictal.errors import ConfigError, IctalError
from ictal.inputspec import InputSpec
from ictal.manifest.schema import Event, Manifest
from ictal.preprocess.boxes import Box
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.frames import normalise, square_frames
from ictal.preprocess.plan import FramePrep, RecordingPlan
from ictal.preprocess.sample import Sample
from ictal.preprocess.temporal import (
    fixed_windows,
    gestures_label,
    sliding_windows,
    tsn_snippet_starts,
)
from ictal.preprocess.topview import TopView
from ictal.timebase import FrameSpan, as_fps

log = logging.getLogger(__name__)

_END = object()


@dataclass(frozen=True)
class WindowPlan:
    """One sample to make: frames ``[start, stop)`` of the (resampled) timeline."""

    start: int
    stop: int
    event: Event | None
    label: str | None


def event_frames(t0: float, t1: float, fps: Fraction) -> tuple[int, int]:
    """Frames ``[start, stop)`` of an event from ``t0`` to ``t1`` seconds.

    Times within a millionth of a frame of a frame boundary snap to it, so float seconds such
    as ``56 / 30`` (1.8666...67) give frame 56 and not 57.
    """

    def snap(t: float, up: bool) -> int:
        x = Fraction(t) * fps
        near = round(x)
        if abs(x - near) < Fraction(1, 10**6):
            return int(near)
        return math.ceil(x) if up else math.floor(x)

    start = snap(t0, up=False)
    return start, max(start, snap(t1, up=True))


def _event_label(event: Event | None, span: FrameSpan, config: PreprocessConfig) -> str | None:
    if event is None:
        return None
    if config.temporal.label_rule == "gestures":
        eq1 = gestures_label(span, event.tG)
        return config.temporal.generalised_label if eq1 else config.temporal.focal_label
    return event.label


def plan_windows(
    events: list[Event], n_frames: int, fps: Fraction, length: int, config: PreprocessConfig,
    *, windows: Literal["events", "sliding"] = "events", stride: int | None = None,
) -> list[WindowPlan]:
    """The samples of a recording with ``n_frames`` frames at ``fps`` (the sample timeline).

    ``windows="events"``: each event's frames are cut by :func:`fixed_windows` (with
    ``config.temporal.overlap``) or by TSN segments (:func:`tsn_snippet_starts`, seeded per
    event). ``windows="sliding"``: windows of ``length`` every ``stride`` frames (default
    ``length``) over the whole recording; a window's event is the one holding its midpoint.
    """
    tc = config.temporal
    out: list[WindowPlan] = []
    if windows == "events":
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
                out.append(WindowPlan(w.start, w.stop, event, _event_label(event, w, config)))
    elif windows == "sliding":
        for a, b in sliding_windows(n_frames, length, stride or length):
            w = FrameSpan(a, b, fps)
            event = next((e for e in events if e.t0 <= w.t_mid < e.t1), None)
            out.append(WindowPlan(a, b, event, _event_label(event, w, config)))
    else:
        raise ConfigError(f"unknown windows {windows!r}", hint="use 'events' or 'sliding'")
    return out


def _prefetch(iterator: Iterator[Any], maxsize: int) -> Generator[Any, None, None]:
    """Run ``iterator`` in a daemon thread (decoders release the GIL), ``maxsize`` ahead."""
    q: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as err:  # handed to the consumer, which re-raises it
            q.put(err)

    thread = threading.Thread(target=work, daemon=True, name="ictal-decode")
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _groups(wins: list[WindowPlan]) -> list[tuple[int, int]]:
    """Contiguous frame ranges covering all windows (touching ranges merged)."""
    ranges = sorted((w.start, w.stop) for w in wins)
    out: list[list[int]] = []
    for a, b in ranges:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def iter_samples(
    manifest: Manifest, plan: RecordingPlan, config: PreprocessConfig, spec: InputSpec, *,
    windows: Literal["events", "sliding"] = "events", stride: int | None = None,
) -> Iterator[Sample]:
    """Stream the samples of one planned recording, ready for the backbone ``spec``.

    Each sample holds ``(C, T, size, size)`` ``float32`` frames normalised as ``spec`` asks,
    its exact :class:`~ictal.timebase.FrameSpan` (in the source's frame rate, or in
    ``spec.fps`` when the backbone resamples, e.g. GESTURES' 15 fps), patient, recording,
    event, label, crop box and provenance. ``T`` is ``config.temporal.length`` or
    ``spec.frames``; a kept leftover may be shorter. Samples come out in order of start frame;
    a montage recording (seed 002's picture-in-picture) gives one sample per view and window,
    its ``view`` set, the views in the montage's order. With ``config.topview.enabled`` each
    sample also holds the bed seen from above over the same frames (``Sample.topview``).

    Raises:
        IctalError subclasses from the readers (corrupt or missing files).
    """
    from ictal.io import open_video
    from ictal.io.resample import resample_indices

    length = config.temporal.length or spec.frames
    src_fps = plan.fps
    fps = as_fps(spec.fps) if spec.fps is not None else src_fps
    # timeline frame j shows source frame index_map[j]
    index_map = (np.arange(plan.n_frames, dtype=np.int64) if fps == src_fps
                 else resample_indices(plan.n_frames, src_fps, fps))
    n_timeline = int(index_map.size)
    events = manifest.events_of(plan.recording)
    wins = plan_windows(events, n_timeline, fps, length, config, windows=windows, stride=stride)
    if not wins:
        return
    prep = FramePrep(config, plan.crop_bounds(), plan.ir_window)
    use_depth = plan.apply_depth_crop and "depth" in plan.streams
    top = _top_view(plan, config, spec)
    provenance_base = {
        "variant": plan.variant, "source": plan.source, "source_fps": str(src_fps),
        "timeline_fps": str(fps), "input_spec": spec.to_dict(),
        "depth_cropped": use_depth, "ir_window": None if plan.ir_window is None else
        [plan.ir_window.lo, plan.ir_window.hi], "windows": windows,
        "topview": None if top is None else top.describe(),
    }
    style = config.frames.style
    pending = sorted(wins, key=lambda w: (w.start, w.stop))
    buffer: dict[int, dict[str | None, np.ndarray]] = {}  # timeline index -> view -> frame
    top_buffer: dict[int, np.ndarray] = {}  # timeline index -> top view
    geometry: dict[tuple[Box, str | None], dict[str, Any]] = {}
    src_reader = open_video(plan.streams[plan.source], threads=config.decode_threads)
    dep_reader = (open_video(plan.streams["depth"], threads=config.decode_threads)
                  if use_depth or top is not None else None)
    try:
        for g0, g1 in _groups(pending):
            s0, s1 = int(index_map[g0]), int(index_map[g1 - 1]) + 1
            frames_it = _prefetch(src_reader.iter_frames(s0, s1), config.chunk_frames)
            depth_it = (None if dep_reader is None else
                        _prefetch(dep_reader.iter_frames(s0, s1), config.chunk_frames))
            j = g0
            chunk_idx: list[int] = []
            chunk_src: list[np.ndarray] = []
            chunk_dep: list[np.ndarray] = []
            try:
                for index, frame in frames_it:
                    dframe = None
                    if depth_it is not None:
                        dindex, dframe = next(depth_it, (None, None))
                        if dindex != index:
                            raise IctalError(
                                f"recording {plan.recording}: depth frame {dindex} arrived for "
                                f"source frame {index}",
                                hint="IR and depth streams must have the same frames")
                    while j < g1 and index_map[j] == index:  # frames repeat when upsampling
                        chunk_idx.append(j)
                        chunk_src.append(frame)
                        if dframe is not None:
                            chunk_dep.append(dframe)
                        j += 1
                    if len(chunk_idx) >= config.chunk_frames or j >= g1:
                        _process_chunk(plan, prep, config, spec, style, index_map, chunk_idx,
                                       chunk_src, chunk_dep, use_depth, buffer, geometry)
                        _project_chunk(top, chunk_idx, chunk_dep, top_buffer)
                        chunk_idx, chunk_src, chunk_dep = [], [], []
                        while pending and pending[0].stop - 1 in buffer:
                            yield from _make_samples(pending.pop(0), plan, spec, fps, buffer,
                                                     top_buffer, index_map, geometry,
                                                     provenance_base, length)
                        low = pending[0].start if pending else n_timeline
                        for k in [k for k in buffer if k < low]:
                            del buffer[k]
                            top_buffer.pop(k, None)
                    if j >= g1:
                        break
            finally:
                frames_it.close()
                if depth_it is not None:
                    depth_it.close()
            if chunk_idx:
                _process_chunk(plan, prep, config, spec, style, index_map, chunk_idx, chunk_src,
                               chunk_dep, use_depth, buffer, geometry)
                _project_chunk(top, chunk_idx, chunk_dep, top_buffer)
            while pending and pending[0].stop - 1 in buffer:
                yield from _make_samples(pending.pop(0), plan, spec, fps, buffer, top_buffer,
                                         index_map, geometry, provenance_base, length)
        if pending:
            raise IctalError(
                f"recording {plan.recording}: the streams ended before frame "
                f"{pending[0].stop - 1}; {len(pending)} sample(s) could not be made",
                hint="the file may be truncated; re-run `ictal preprocess` to re-plan it")
    finally:
        src_reader.close()
        if dep_reader is not None:
            dep_reader.close()


def _top_view(plan: RecordingPlan, config: PreprocessConfig, spec: InputSpec) -> TopView | None:
    """The top-view projector of ``plan`` when the config asks for one."""
    if not config.topview.enabled:
        return None
    volume = plan.bed_volume
    why = ("it has no depth stream" if "depth" not in plan.streams
           else "it is a montage of several views" if plan.montage is not None
           else "its plan has no bed volume" if volume is None else None)
    if why is not None or volume is None:
        raise IctalError(
            f"recording {plan.recording}: no top view can be made ({why})",
            hint="the top view needs a registered depth stream and the bed found on its first "
                 "frame (depth_crop.method: bed-volume); use variant B for this recording")
    return TopView(volume, spec.size, config.topview.height_mm)


def _project_chunk(top: TopView | None, idx: list[int], dep: list[np.ndarray],
                   top_buffer: dict[int, np.ndarray]) -> None:
    """Top views of a chunk's depth frames into ``top_buffer`` keyed by timeline index."""
    if top is None or not idx:
        return
    maps = top.project(np.stack(dep))
    for n, j in enumerate(idx):
        top_buffer[j] = maps[n]


def _process_chunk(
    plan: RecordingPlan, prep: FramePrep, config: PreprocessConfig, spec: InputSpec, style: str,
    index_map: np.ndarray, idx: list[int], src: list[np.ndarray], dep: list[np.ndarray],
    use_depth: bool, buffer: dict[int, dict[str | None, np.ndarray]],
    geometry: dict[tuple[Box, str | None], dict[str, Any]],
) -> None:
    """Spatial steps on a chunk; results ``(size, size)`` (or ``(3, size, size)``) ``float32``
    in ``[0, 255]`` go into ``buffer`` keyed by timeline index, then view (``None`` for a
    recording of one view)."""
    frames = np.stack(src)
    depth = np.stack(dep) if use_depth and dep else None
    boxes = [plan.crop_box_at(int(index_map[j])) for j in idx]
    for box in dict.fromkeys(boxes):
        sel = [i for i, b in enumerate(boxes) if b == box]
        same = len(sel) == len(boxes)
        cropped = prep.cropped(frames if same else frames[sel],
                               None if depth is None else (depth if same else depth[sel]),
                               box, crop_depth=use_depth)
        views: dict[str | None, np.ndarray] = {None: cropped}
        if plan.montage is not None:
            from ictal.io.montage import split_montage_clip

            views = dict(split_montage_clip(cropped, plan.montage))
        for view, pixels in views.items():
            square, geo = square_frames(
                pixels, spec.size, style=style, base_size=config.frames.gestures_base_size,
                drop_columns=config.frames.gestures_drop_columns)
            geometry[box, view] = geo
            for n, i in enumerate(sel):
                buffer.setdefault(idx[i], {})[view] = (square[n] if square.ndim == 3
                                                       else square[:, n])


def _make_samples(
    w: Any, plan: RecordingPlan, spec: InputSpec, fps: Fraction,
    buffer: dict[int, dict[str | None, np.ndarray]], top_buffer: dict[int, np.ndarray],
    index_map: np.ndarray,
    geometry: dict[tuple[Box, str | None], dict[str, Any]], base: dict[str, Any], length: int,
) -> list[Sample]:
    """The samples of window ``w``: one, or one per view of a montage."""
    box = plan.crop_box_at(int(index_map[w.start]))
    topview = (normalise(np.stack([top_buffer[k] for k in range(w.start, w.stop)]), spec)
               if top_buffer else None)
    out = []
    for view in buffer[w.start]:
        stack = np.stack([buffer[k][view] for k in range(w.start, w.stop)], axis=-3)
        provenance = dict(base)
        provenance.update({
            "source_frames": [int(index_map[w.start]), int(index_map[w.stop - 1]) + 1],
            "geometry": geometry.get((box, view), {}), "length": length,
        })
        out.append(Sample(
            frames=normalise(stack, spec), span=FrameSpan(w.start, w.stop, fps),
            patient=plan.patient, recording=plan.recording,
            event=None if w.event is None else w.event.id, label=w.label, view=view,
            crop_box=box, provenance=provenance, topview=topview,
        ))
    return out
