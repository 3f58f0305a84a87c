"""Where a bed's frames come from: a file replayed, a folder a recorder fills, a stream, a camera.

Every source yields, in order, :class:`Frame` s numbered on the bed's **timeline** (frame ``k``
shows the scene at ``k / fps`` seconds after the timeline's origin) and :class:`SourceNote` s
saying what happened to the feed (connected, lost, a gap, a new segment, the end). A frame
index never goes back and never repeats; when frames are missing the next frame's index jumps
and a ``gap`` note says how many frames are missing and from where -- a gap is recorded, never
papered over. ``start`` asks a source to resume at a timeline frame (a restarted monitor).

* :class:`FileSource` -- a recording replayed at its real frame rate (``speed=1``), faster
  (``speed=8``) or as fast as decoding goes (``speed=0``, evaluation); frames are those of
  :func:`ictal.io.open_video`, the ones ``ictal predict`` reads.
* :class:`SegmentFolderSource` -- a folder where a recorder writes segments one after
  another (NeuroKinect-style FFV1 MKV, or MP4): segments in name order, the timeline running
  on across them; a segment still being written is read as it grows (the newest frame is held
  back until the next is there, or the segment is complete: a newer segment exists or it has
  not grown for ``settle_s``).
* :class:`StreamSource` -- an RTSP / HTTP (MPEG-TS, MJPEG, HLS, ...) URL or a local camera
  (``format="v4l2"``, ``/dev/video0``): frames indexed from the stream's timestamps within a
  connection and from the wall clock across reconnections (``origin``: the epoch second of
  frame 0, kept in the bed's journal so a restart continues the same timeline); a lost stream
  is reconnected with exponential back-off (``backoff``: first and longest wait, s), each
  attempt noted; the sleeping is interruptible (:meth:`Source.stop`).
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ictal.errors import ConfigError, IctalError
from ictal.timebase import as_fps

log = logging.getLogger(__name__)

NoteKind = Literal["connected", "lost", "gap", "segment", "ended"]


@dataclass(frozen=True)
class Frame:
    """One frame of a bed.

    Attributes:
        index: timeline frame number (``index / fps`` seconds after the timeline's origin).
        pixels: ``(H, W)`` ``uint8`` / ``uint16`` grey or ``(H, W, 3)`` ``uint8`` RGB (the
            conventions of :mod:`ictal.io`).
        arrived: ``time.monotonic()`` when the source handed it over (latency is measured
            from it).
    """

    index: int
    pixels: np.ndarray
    arrived: float


@dataclass(frozen=True)
class SourceNote:
    """Something that happened to the feed.

    Attributes:
        kind: ``connected`` (the feed is up), ``lost`` (down; a reconnection follows),
            ``gap`` (``missing`` frames from timeline frame ``frame`` never came), ``segment``
            (a new segment file is being read), ``ended`` (the source has no more frames).
        message: what happened, in words (file / URL and reason).
        frame: the timeline frame it concerns, when there is one.
        missing: frames lost, for ``gap``.
        final: for ``ended``: the feed has no more frames ever (a file's end), so a last,
            shorter window is scored; ``False`` when the source was stopped (a restart will
            continue it).
    """

    kind: NoteKind
    message: str
    frame: int | None = None
    missing: int = 0
    final: bool = False


Item = Frame | SourceNote


class Source(ABC):
    """A bed's feed; iterate :meth:`items` from one thread, :meth:`stop` from any."""

    #: what the source reads (path or URL), for notes and logs
    name: str
    #: a live feed does not wait for compute (windows are dropped when it is behind); a
    #: replay for evaluation (``speed=0``) waits, so that every window is scored
    live: bool = True

    def __init__(self) -> None:
        self._stop = threading.Event()

    @property
    @abstractmethod
    def fps(self) -> Fraction:
        """Frame rate of the timeline (known before the first frame is handed over)."""

    @abstractmethod
    def items(self, start: int = 0) -> Iterator[Item]:
        """Frames from timeline frame ``start`` on, and notes, in order."""

    def stop(self) -> None:
        """Ask the source to end soon (it then notes ``ended``); safe from any thread."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` unless stopped; ``True`` when stopped meanwhile."""
        return self._stop.wait(max(0.0, seconds))


class _Pacer:
    """Hands frames over at ``speed`` times the real rate: frame ``k`` (counted from the
    first one paced) not before ``(k + 1) / (fps * speed)`` s after the start, as a camera
    delivers a frame once it has been exposed. ``speed=0``: no waiting."""

    def __init__(self, fps: Fraction, speed: float, source: Source) -> None:
        self.fps, self.speed, self.source = fps, speed, source
        self.t0: float | None = None
        self.first = 0

    def wait(self, index: int) -> bool:
        if self.speed <= 0:
            return self.source.stopped
        now = time.monotonic()
        if self.t0 is None:
            self.t0, self.first = now, index
        due = self.t0 + float((index - self.first + 1) / self.fps) / self.speed
        return self.source._sleep(due - now) if due > now else self.source.stopped


class FileSource(Source):
    """A recording replayed as if it were live (see the module docstring).

    Args:
        path: a video file :func:`ictal.io.open_video` reads.
        speed: multiple of the real frame rate; ``0`` replays as fast as it decodes.
    """

    def __init__(self, path: Path | str, *, speed: float = 1.0) -> None:
        super().__init__()
        from ictal.io import probe

        if speed < 0:
            raise ConfigError(f"replay speed {speed} is negative", hint="use 0 (as fast as "
                              "decoding goes), 1 (real time) or a multiple such as 8")
        self.path = Path(path)
        self.name = str(self.path)
        self.info = probe(self.path)
        self.speed = speed
        self.live = speed > 0

    @property
    def fps(self) -> Fraction:
        return self.info.fps

    def items(self, start: int = 0) -> Iterator[Item]:
        from ictal.io import open_video

        pacer = _Pacer(self.fps, self.speed, self)
        if start >= self.info.n_frames:
            yield SourceNote("ended", f"{self.name}: resumed at frame {start}, past its "
                                      f"{self.info.n_frames} frames", start)
            return
        yield SourceNote("connected", f"{self.name}: replay at "
                                      f"{'full speed' if self.speed <= 0 else f'x{self.speed:g}'}"
                                      f" from frame {start}", start)
        with open_video(self.path) as reader:
            for index, pixels in reader.iter_frames(start, None):
                if pacer.wait(index):
                    break
                yield Frame(index, pixels, time.monotonic())
        yield SourceNote("ended", f"{self.name}: end of file" if not self.stopped
                         else f"{self.name}: stopped", final=not self.stopped)


#: Suffixes of the segments a recorder writes.
SEGMENT_SUFFIXES = (".mkv", ".mp4", ".avi", ".ts", ".mov")


class SegmentFolderSource(Source):
    """Segments written one after another into ``folder`` (see the module docstring).

    Args:
        folder: the recorder's output folder (it may not exist yet, or be empty).
        fps: the recorder's frame rate (the segments' own is checked against it); ``None``:
            the first segment's.
        live: ``False`` for an evaluation replay of a finished folder (compute is waited
            for instead of dropping windows).
        settle_s: a newest segment that has not grown for this long is complete.
        end_after_s: the source ends when no new frame came for this long (``None``: it
            waits forever, as a bed's feed does).
        poll_s: how often the folder is looked at.
        speed: replay pacing as :class:`FileSource` (``0``: as frames come, the default: a
            recorder writes in real time already).
    """

    def __init__(self, folder: Path | str, *, fps: Fraction | str | float | None = None,
                 settle_s: float = 5.0, end_after_s: float | None = None, poll_s: float = 0.5,
                 speed: float = 0.0, live: bool = True) -> None:
        super().__init__()
        self.live = live
        self.folder = Path(folder)
        self.name = str(self.folder)
        self._fps = None if fps is None else as_fps(fps)
        self.settle_s, self.end_after_s, self.poll_s, self.speed = (
            settle_s, end_after_s, poll_s, speed)

    def segments(self) -> list[Path]:
        """The segment files present now, in name order (temporary files left out)."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir()
                      if p.suffix.lower() in SEGMENT_SUFFIXES and not p.name.startswith(".")
                      and ".tmp" not in p.name)

    @property
    def fps(self) -> Fraction:
        if self._fps is None:
            from ictal.io import probe

            while not self.stopped:
                segs = self.segments()
                if segs:
                    try:
                        self._fps = probe(segs[0]).fps
                        break
                    except IctalError:  # its header is not written yet
                        pass
                self._sleep(self.poll_s)
            if self._fps is None:
                raise IctalError(f"{self.folder}: stopped before a segment came",
                                 hint="start the recorder, or point --bed at its folder")
        return self._fps

    def _frames_of(self, seg: Path, done: int, complete: bool
                   ) -> Iterator[tuple[int, np.ndarray]]:
        """Frames ``done..`` of ``seg`` that can be trusted now (all of a complete segment;
        of a growing one, all but the newest)."""
        from ictal.io import open_video

        try:
            reader = open_video(seg)
        except IctalError as err:
            if complete:
                raise
            log.debug("%s: not readable yet (%s)", seg, err)
            return
        with reader:
            last = reader.info.n_frames if complete else reader.info.n_frames - 1
            if last <= done:
                return
            try:
                yield from reader.iter_frames(done, last)
            except IctalError:
                if complete:
                    raise

    def items(self, start: int = 0) -> Iterator[Item]:
        fps = self.fps
        pacer = _Pacer(fps, self.speed, self)
        base = 0  # timeline frame of the current segment's first frame
        next_index = start
        seen_any = False
        last_progress = time.monotonic()
        finished: set[Path] = set()
        yield SourceNote("connected", f"{self.name}: following segments from frame {start}",
                         start)
        while not self.stopped:
            progressed = False
            segs = [s for s in self.segments() if s not in finished]
            for n, seg in enumerate(segs):
                complete = n + 1 < len(segs) or self._settled(seg)
                try:
                    count = self._count(seg, complete)
                except IctalError as err:
                    finished.add(seg)
                    yield SourceNote("lost", f"{seg}: unreadable segment skipped ({err})")
                    continue
                if count is None:
                    break  # header not written yet: wait for it
                if base + count <= next_index and complete:
                    base += count  # resumed past this segment
                    finished.add(seg)
                    continue
                if not seen_any or next_index == base:
                    yield SourceNote("segment", f"{seg}: reading from frame "
                                                f"{max(next_index - base, 0)}", base)
                seen_any = True
                try:
                    for local, pixels in self._frames_of(seg, max(next_index - base, 0),
                                                         complete):
                        if pacer.wait(base + local):
                            break
                        yield Frame(base + local, pixels, time.monotonic())
                        next_index = base + local + 1
                        progressed = True
                except IctalError as err:
                    yield SourceNote("lost", f"{seg}: segment cut short ({err})", next_index)
                if self.stopped:
                    break
                if not complete:
                    break  # still growing: come back to it
                info_count = self._count(seg, True) or 0
                if next_index < base + info_count:  # frames that did not decode
                    yield SourceNote("gap", f"{seg}: {base + info_count - next_index} frames "
                                            "did not decode", next_index,
                                     base + info_count - next_index)
                    next_index = base + info_count
                base += info_count
                finished.add(seg)
            if progressed:
                last_progress = time.monotonic()
            elif (self.end_after_s is not None
                  and time.monotonic() - last_progress > self.end_after_s):
                break
            if not progressed and self._sleep(self.poll_s):
                break
        yield SourceNote("ended", f"{self.name}: {'stopped' if self.stopped else 'no new frames'}"
                                  f" after frame {next_index - 1}", next_index,
                         final=not self.stopped)

    def _settled(self, seg: Path) -> bool:
        try:
            return time.time() - seg.stat().st_mtime > self.settle_s
        except OSError:
            return False

    def _count(self, seg: Path, complete: bool) -> int | None:
        """Frames of ``seg`` now (``None`` while its header is not written)."""
        from ictal.io import probe

        try:
            info = probe(seg)
        except IctalError:
            if complete:
                raise
            return None
        if self._fps is not None and info.fps != self._fps:
            raise IctalError(f"{seg}: {info.fps} fps, the folder's segments run at {self._fps}",
                             hint="a bed's recorder must keep one frame rate")
        return info.n_frames


class StreamSource(Source):
    """An RTSP / HTTP stream or a local camera, reconnected when lost (module docstring).

    Args:
        url: ``rtsp://``, ``http(s)://`` URL, or a device (``/dev/video0`` with
            ``format="v4l2"``).
        format: FFmpeg input format to force (``v4l2``, ``mjpeg``, ``mpegts``), ``None``:
            probed.
        options: FFmpeg options (``{"rtsp_transport": "tcp"}``).
        fps: the timeline's frame rate; ``None``: the stream's average (or guessed) rate.
        origin: epoch seconds of timeline frame 0 (a restarted monitor passes its journal's);
            ``None``: the first frame's arrival.
        backoff: (first, longest) wait in s between reconnection attempts; doubles each time.
        timeout_s: opening and reading timeout.
        clock: epoch clock (tests may pass their own).
    """

    def __init__(self, url: str, *, format: str | None = None,
                 options: dict[str, str] | None = None,
                 fps: Fraction | str | float | None = None, origin: float | None = None,
                 backoff: tuple[float, float] = (0.5, 30.0), timeout_s: float = 5.0,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        if backoff[0] <= 0 or backoff[1] < backoff[0]:
            raise ConfigError(f"back-off {backoff}: (first, longest) seconds with "
                              "0 < first <= longest", hint="e.g. --backoff 0.5,30")
        self.url, self.name = url, url
        self.format, self.options = format, dict(options or {})
        self._fps = None if fps is None else as_fps(fps)
        self.origin = origin
        self.backoff, self.timeout_s, self.clock = backoff, timeout_s, clock
        self.reconnects = 0
        self._container: Any = None

    @property
    def fps(self) -> Fraction:
        if self._fps is None:
            wait = self.backoff[0]
            while self._fps is None and not self.stopped:
                try:
                    container = self._open()
                    container.close()
                except (OSError, IctalError) as err:
                    log.warning("%s: not reachable yet (%s); retry in %.1f s", self.url, err,
                                wait)
                    self._sleep(wait)
                    wait = min(wait * 2, self.backoff[1])
            if self._fps is None:
                raise IctalError(f"{self.url}: stopped before the stream could be opened")
        return self._fps

    def _open(self) -> Any:
        import av

        try:
            container = av.open(self.url, format=self.format, options=self.options,
                                timeout=(self.timeout_s, self.timeout_s))
        except av.FFmpegError as err:
            raise OSError(f"cannot open {self.url}: {err}") from err
        if not container.streams.video:
            container.close()
            raise IctalError(f"{self.url}: the stream has no video",
                             hint="point --bed at a video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if self._fps is None:
            if not rate:
                container.close()
                raise IctalError(f"{self.url}: the stream states no frame rate",
                                 hint="give the bed's frame rate (fps=25 in the bed spec)")
            self._fps = Fraction(rate).limit_denominator(1001)
        return container

    def items(self, start: int = 0) -> Iterator[Item]:
        from ictal.io.container import _output_format, _to_array

        fps = self.fps
        last = start - 1
        wait = self.backoff[0]
        while not self.stopped:
            try:
                container = self._open()
            except (OSError, IctalError) as err:
                self.reconnects += 1
                yield SourceNote("lost", f"{self.url}: {err}; retry in {wait:.1f} s", last + 1)
                if self._sleep(wait):
                    break
                wait = min(wait * 2, self.backoff[1])
                continue
            yield SourceNote("connected", f"{self.url}: connected", last + 1)
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            base: int | None = None
            pts0 = 0
            reason = "end of stream"
            try:
                for av_frame in container.decode(stream):
                    if self.stopped:
                        break
                    now = self.clock()
                    if self.origin is None:
                        self.origin = now - (start / fps if last < start else 0)
                    if base is None:  # the connection's first frame: placed by the clock
                        base = max(last + 1, round((now - self.origin) * fps))
                        pts0 = av_frame.pts or 0
                    offset = 0
                    if av_frame.pts is not None and av_frame.time_base is not None:
                        offset = round((av_frame.pts - pts0) * av_frame.time_base * fps)
                    index = base + offset
                    if index <= last:
                        continue  # a repeated timestamp: the frame's time is taken
                    if index > last + 1:
                        missing = index - last - 1
                        yield SourceNote("gap", f"{self.url}: {missing} frames missing before "
                                                f"frame {index}", last + 1, missing)
                    fmt, _, _ = _output_format(av_frame.format.name)
                    yield Frame(index, _to_array(av_frame, fmt), time.monotonic())
                    last = index
                    wait = self.backoff[0]  # a frame came: the next loss starts afresh
            except (OSError, EOFError) as err:
                reason = str(err)
            except Exception as err:  # av.FFmpegError and decoder errors of a cut stream
                reason = f"{type(err).__name__}: {err}"
            finally:
                container.close()
            if self.stopped:
                break
            self.reconnects += 1
            yield SourceNote("lost", f"{self.url}: {reason}; reconnecting in {wait:.1f} s",
                             last + 1)
            if self._sleep(wait):
                break
            wait = min(wait * 2, self.backoff[1])
        yield SourceNote("ended", f"{self.url}: stopped", last + 1)


def open_source(spec: str, *, speed: float = 1.0, fps: str | None = None,
                origin: float | None = None, settle_s: float = 5.0,
                end_after_s: float | None = None) -> Source:
    """The source a bed spec names: a URL (``rtsp://``, ``http://``, ``https://``,
    ``udp://``, ``srt://``), ``v4l2:/dev/video0`` (a local camera), a folder (segments) or a
    video file (replayed at ``speed``)."""
    if "://" in spec:
        return StreamSource(spec, fps=fps, origin=origin,
                            options={"rtsp_transport": "tcp"} if spec.startswith("rtsp") else {})
    if spec.startswith("v4l2:"):
        return StreamSource(spec.removeprefix("v4l2:"), format="v4l2", fps=fps, origin=origin)
    path = Path(spec)
    if path.is_dir() or not path.suffix:
        return SegmentFolderSource(path, fps=fps, settle_s=settle_s, end_after_s=end_after_s,
                                   speed=speed, live=speed > 0 or end_after_s is None)
    if not path.exists():
        raise ConfigError(f"{path}: no such video file or folder",
                          hint="give a video file, a recorder's segment folder, a stream URL "
                               "or v4l2:/dev/videoN")
    return FileSource(path, speed=speed)

