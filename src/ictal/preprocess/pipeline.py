"""The streaming pipeline: decode -> denoise -> depth crop -> detection crop -> 8 bit ->
resize / pad / normalise -> samples.

Memory stays flat in the recording's length: frames are decoded in order (in a background
thread, :func:`_prefetch`), processed in chunks of ``config.chunk_frames``
(:class:`_ChunkShaper`) and kept by a :class:`~ictal.preprocess.assembler.SampleAssembler`
only until the last sample that needs them is out.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import numpy as np

from ictal.errors import IctalError
from ictal.inputspec import InputSpec
from ictal.manifest.schema import Manifest
from ictal.preprocess.assembler import ProcessedFrame, SampleAssembler, SampleMaker
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.frame_prep import FramePrep
from ictal.preprocess.frames import square_frames
from ictal.preprocess.plan import KeyframeCrop, RecordingPlan
from ictal.preprocess.sample import Sample
from ictal.preprocess.topview import TopView
from ictal.preprocess.windows import SampleWindow, plan_windows
from ictal.timebase import as_fps

if TYPE_CHECKING:
    from ictal.io.reader import VideoReader

_END = object()
#: Decoded full-resolution bytes of one chunk at most (:func:`_chunk_frames`).
CHUNK_BYTES = 32 << 20
T = TypeVar("T")

#: Timeline indices of a chunk, its source frames (repeated when upsampling) and the matching
#: raw depth frames (empty without a depth stream).
Chunk = tuple[list[int], list[np.ndarray], list[np.ndarray]]


def iter_samples(
    manifest: Manifest, plan: RecordingPlan, config: PreprocessConfig, spec: InputSpec, *,
    windows: Literal["events", "sliding"] = "events", stride: int | None = None,
) -> Iterator[Sample]:
    """Stream the samples of one planned recording, ready for the backbone ``spec``.

    Each sample holds ``(C, T, size, size)`` ``float32`` frames normalised as ``spec`` asks,
    its exact :class:`~ictal.timebase.FrameSpan` (in ``config.temporal.fps`` when set, e.g.
    GESTURES' 15 fps, else in the source's frame rate, or in ``spec.fps`` when the backbone
    resamples; a stream faster than
    30 fps is resampled to 30, :meth:`~ictal.inputspec.InputSpec.timeline_fps`), patient,
    recording, event, label, crop box and provenance. ``T`` is ``config.temporal.length``, or
    the backbone's sample duration at the timeline's rate
    (:meth:`~ictal.inputspec.InputSpec.frames_at`: 60 frames at 30 fps, 50 at 25 fps);
    a kept leftover may be shorter. Samples come out in order of start frame;
    a montage recording (seed 002's picture-in-picture) gives one sample per view and window,
    its ``view`` set, the views in the montage's order. With ``config.topview.enabled`` each
    sample also holds the bed seen from above over the same frames (``Sample.topview``).

    Raises:
        IctalError subclasses from the readers (corrupt or missing files).
    """
    from ictal.io import open_video
    from ictal.io.resample import resample_indices

    fps = (as_fps(config.temporal.fps) if config.temporal.fps is not None
           else spec.timeline_fps(plan.fps))
    length = config.temporal.length or spec.frames_at(fps)  # 2 s at 25, 29.97 or 30 fps
    # timeline frame j shows source frame index_map[j]
    index_map = (np.arange(plan.n_frames, dtype=np.int64) if fps == plan.fps
                 else resample_indices(plan.n_frames, plan.fps, fps))
    wins = plan_windows(manifest.events_of(plan.recording), int(index_map.size), fps, length,
                        config, windows=windows, stride=stride)
    if not wins:
        return
    use_depth = plan.apply_depth_crop and "depth" in plan.streams
    top = _top_view(plan, config, spec)
    prep = FramePrep(config, plan.crop_bounds(), plan.ir_window, plan.light_window)
    shaper = _ChunkShaper(plan, prep, config, spec, index_map, use_depth, top)
    provenance = {
        "variant": plan.variant, "source": plan.source, "source_fps": str(plan.fps),
        "timeline_fps": str(fps), "input_spec": spec.to_dict(),
        "depth_cropped": use_depth, "ir_window": None if plan.ir_window is None else
        [plan.ir_window.lo, plan.ir_window.hi], "windows": windows,
        "topview": None if top is None else top.describe(),
        "light_window": None if plan.light_window is None else plan.light_window.to_dict(),
    }
    assembler = SampleAssembler(wins, SampleMaker(plan, spec, fps, index_map, provenance, length))
    src_reader = open_video(plan.streams[plan.source], threads=config.decode_threads)
    dep_reader = (open_video(plan.streams["depth"], threads=config.decode_threads)
                  if use_depth or top is not None else None)
    chunk_frames = _chunk_frames(config.chunk_frames, src_reader, dep_reader)
    try:
        for start, stop in _groups(wins):
            chunks = _decoded_chunks(plan.recording, src_reader, dep_reader, index_map,
                                     start, stop, chunk_frames)
            with closing(chunks):
                for chunk in chunks:
                    assembler.add(shaper.shape(chunk))
                    yield from assembler.finished()
        if assembler.waiting:
            raise IctalError(
                f"recording {plan.recording}: the streams ended before frame "
                f"{assembler.waiting[0].stop - 1}; {len(assembler.waiting)} sample(s) could "
                "not be made",
                hint="the file may be truncated; re-run `ictal preprocess` to re-plan it")
    finally:
        src_reader.close()
        if dep_reader is not None:
            dep_reader.close()


def _chunk_frames(configured: int, *readers: VideoReader | None) -> int:
    """Frames per chunk: ``configured`` (``config.chunk_frames``), fewer when that many
    decoded frames of the streams would pass :data:`CHUNK_BYTES` (1080p RGB: 5 frames).

    A chunk's frames are held up to five times at full resolution (the decoder's read-ahead,
    the chunk, its stacked array, its tone-mapped copy, the RGB planes made for resizing);
    Kinect IR + depth frames (848 KB) keep the configured 32. The chunking changes no value:
    every step works frame by frame. Measured on 1080p RGB (variant 2d, motion backbone):
    peak RSS 810 MB with 64 MB chunks, 742 MB with 32 MB, 699 MB with 16 MB, at the same
    speed.
    """
    frame_bytes = sum(math.prod(r.info.frame_shape) * np.dtype(r.info.dtype).itemsize
                      for r in readers if r is not None)
    return max(1, min(configured, CHUNK_BYTES // max(1, frame_bytes)))


def _groups(wins: list[SampleWindow]) -> list[tuple[int, int]]:
    """Contiguous frame ranges covering all windows (touching ranges merged)."""
    ranges = sorted((w.start, w.stop) for w in wins)
    out: list[list[int]] = []
    for a, b in ranges:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _decoded_chunks(
    recording: str, src: VideoReader, depth: VideoReader | None, index_map: np.ndarray,
    start: int, stop: int, size: int,
) -> Generator[Chunk, None, None]:
    """Timeline frames ``[start, stop)`` decoded in order, in chunks of ``size`` frames (the
    last one shorter). A source frame shown by several timeline frames (upsampling) is
    repeated; one shown by none (downsampling) is skipped.

    Raises:
        IctalError: the depth stream does not deliver the source's frames.
    """
    s0, s1 = int(index_map[start]), int(index_map[stop - 1]) + 1
    frames_it = _prefetch(src.iter_frames(s0, s1), size)
    depth_it = None if depth is None else _prefetch(depth.iter_frames(s0, s1), size)
    j = start
    idx: list[int] = []
    frames: list[np.ndarray] = []
    depths: list[np.ndarray] = []
    try:
        for index, frame in frames_it:
            dframe = None
            if depth_it is not None:
                dindex, dframe = next(depth_it, (None, None))
                if dindex != index:
                    raise IctalError(
                        f"recording {recording}: depth frame {dindex} arrived for source "
                        f"frame {index}", hint="IR and depth streams must have the same frames")
            while j < stop and index_map[j] == index:  # frames repeat when upsampling
                idx.append(j)
                frames.append(frame)
                if dframe is not None:
                    depths.append(dframe)
                j += 1
            if len(idx) >= size or j >= stop:
                yield idx, frames, depths
                idx, frames, depths = [], [], []
            if j >= stop:
                break
    finally:
        frames_it.close()
        if depth_it is not None:
            depth_it.close()
    if idx:  # the streams ended early: what was decoded still counts
        yield idx, frames, depths


@dataclass(frozen=True, eq=False)
class _ChunkShaper:
    """The spatial steps of one planned recording on a chunk of decoded frames."""

    plan: RecordingPlan
    prep: FramePrep
    config: PreprocessConfig
    spec: InputSpec
    index_map: np.ndarray
    use_depth: bool
    top: TopView | None

    def shape(self, chunk: Chunk) -> dict[int, ProcessedFrame]:
        """Crop, convert to 8 bit, split a montage's views and make every frame square
        (:func:`~ictal.preprocess.frames.square_frames`); project the depth frames from
        above when there is a top view. Keyed by timeline index."""
        idx, src, dep = chunk
        frames = np.stack(src)
        depth = np.stack(dep) if self.use_depth and dep else None
        fc = self.config.frames
        views: dict[int, dict[str | None, np.ndarray]] = {j: {} for j in idx}
        geometry: dict[int, dict[str | None, dict[str, Any]]] = {j: {} for j in idx}
        keys = [self.plan.keyframe_at(int(self.index_map[j])) for j in idx]
        crops = [(k.crop_box, k.views) for k in keys]  # a montage's views have their own
        for box, view_crops in dict.fromkeys(crops):  # a chunk may span a re-detection
            sel = [i for i, c in enumerate(crops) if c == (box, view_crops)]
            same = len(sel) == len(crops)
            cropped = self.prep.cropped(
                frames if same else frames[sel],
                None if depth is None else (depth if same else depth[sel]),
                box, crop_depth=self.use_depth)
            for view, pixels in self._views(cropped, view_crops).items():
                square, geo = square_frames(pixels, self.spec.size, style=fc.style,
                                            base_size=fc.gestures_base_size,
                                            drop_columns=fc.gestures_drop_columns)
                for n, i in enumerate(sel):
                    views[idx[i]][view] = square[n] if square.ndim == 3 else square[:, n]
                    geometry[idx[i]][view] = geo
        tops = None if self.top is None else self.top.project(np.stack(dep))
        return {j: ProcessedFrame(views[j], geometry[j], None if tops is None else tops[n])
                for n, j in enumerate(idx)}

    def _views(self, cropped: np.ndarray, view_crops: tuple[KeyframeCrop, ...] = ()
               ) -> dict[str | None, np.ndarray]:
        """``{None: cropped}``, or the montage's views of it, each cut to its own crop box
        when the plan has one (``view_crops``)."""
        if self.plan.montage is None:
            return {None: cropped}
        from ictal.io.montage import split_montage_clip

        views: dict[str | None, np.ndarray] = dict(
            split_montage_clip(cropped, self.plan.montage))
        for crop in view_crops:  # (T, H, W) or (T, H, W, 3)
            x0, y0, x1, y1 = crop.crop_box
            views[crop.view] = views[crop.view][:, y0:y1, x0:x1]
        return views


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


def _prefetch(iterator: Iterator[T], maxsize: int) -> Generator[T, None, None]:
    """Run ``iterator`` in a daemon thread (decoders release the GIL), ``maxsize`` ahead."""
    q: queue.Queue[object] = queue.Queue(maxsize=maxsize)
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
            yield cast(T, item)
    finally:
        stop.set()
        thread.join(timeout=5)
