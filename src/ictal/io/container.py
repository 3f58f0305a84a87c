"""Video containers decoded with FFmpeg (PyAV): MP4, AVI, MPG, ASF/WMV, MKV, GIF, ...

Frame ``k`` is the ``k``-th frame the decoder outputs. Random access seeks to the keyframe before
the target and decodes forward, comparing each frame's timestamp with the target, so it is
frame-accurate with B-frames and timestamp jitter. Where timestamps do not name frames (GIF's
per-frame delays, a stream with dropped frames, missing timestamps, a seek that lands past the
target) it decodes from the start and counts instead: slower, never a wrong frame.

The file's content decides how it is read, not its extension: an MKV named ``.mp4`` reads fine,
a text file named ``.mp4`` raises :class:`~ictal.errors.CorruptVideoError`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ictal.errors import CorruptVideoError, EmptyVideoError, UnsupportedVideoError, VideoError
from ictal.io.reader import VideoInfo, VideoReader

log = logging.getLogger(__name__)

#: Formats whose timestamps do not map to frame indices (variable per-frame delays).
_COUNT_ONLY_FORMATS = {"gif", "apng", "image2", "png_pipe"}
#: Decoded pixel formats kept as 16-bit grey; other grey formats become 8-bit, the rest RGB.
_GREY16 = {"gray16le", "gray16be"}
_GREY8 = {"gray", "gray8"}
#: How far (in frames) a timestamp may sit from a frame's nominal time and still name it.
_GRID_TOLERANCE = Fraction(1, 4)
#: Seeks that land after the target are retried this many times, each further back.
_SEEK_RETRIES = 4


def _output_format(pix_fmt: str) -> tuple[str, int, np.dtype]:
    """(PyAV ``to_ndarray`` format, channels, dtype) for a decoded pixel format."""
    if pix_fmt in _GREY16:
        return "gray16le", 1, np.dtype(np.uint16)
    if pix_fmt in _GREY8:
        return "gray", 1, np.dtype(np.uint8)
    return "rgb24", 3, np.dtype(np.uint8)


def _header_seconds(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> Fraction | None:
    """Duration of the video stream as the header states it, if it does."""
    if stream.duration is not None and stream.time_base is not None:
        return stream.duration * stream.time_base
    tag = stream.metadata.get("DURATION")  # Matroska per-track statistics, "HH:MM:SS.fffffffff"
    if tag:
        try:
            hours, minutes, seconds = tag.split(":")
            return Fraction(int(hours) * 3600 + int(minutes) * 60) + Fraction(seconds)
        except ValueError:
            log.debug("unparsable DURATION tag %r", tag)
    if container.duration is not None:  # may include a slightly longer audio track
        return Fraction(container.duration, av.time_base)
    return None


#: What to do about a file that does not decode.
_REPAIR_HINT = ("re-export the recording from its source, or copy it again (an interrupted copy "
                "or download leaves a truncated file)")


def ffmpeg_reason(err: av.FFmpegError) -> str:
    """FFmpeg's reason for ``err`` in words, without its errno or the C function's name."""
    reason = err.strerror or type(err).__name__
    return reason[:1].lower() + reason[1:]


def decode_error(path: Path, err: av.FFmpegError, *, frame: int,
                 n_frames: int | None) -> CorruptVideoError:
    """The error for frame ``frame`` that does not decode: what it means and what to do."""
    of = f" of {n_frames}" if n_frames else ""
    readable = f"; frames 0-{frame - 1} decode" if frame > 0 else ""
    return CorruptVideoError(
        path, f"corrupt or truncated file: frame {frame}{of} does not decode "
              f"({ffmpeg_reason(err)}){readable}", hint=_REPAIR_HINT)


def _prepend(first: av.VideoFrame, rest: Iterator[av.VideoFrame]) -> Iterator[av.VideoFrame]:
    yield first
    yield from rest


def _to_array(frame: av.VideoFrame, fmt: str) -> np.ndarray:
    array = frame.to_ndarray(format=fmt)
    return array if array.flags.owndata else array.copy()


class ContainerReader(VideoReader):
    """Reader for any container FFmpeg demuxes; see the module docstring for frame indexing.

    ``threads`` decoder threads are used (slice threading for sliced FFV1, frame threading for
    H.264 / HEVC). Opening reads the header, counts packets when the header has no frame count
    (demuxing only, no decoding) and decodes the first frame to learn its size and format.
    """

    def __init__(self, path: Path | str, *, threads: int = 2) -> None:
        self.path = Path(path)
        self.threads = max(1, threads)
        self._container: av.container.InputContainer | None = None
        if not self.path.is_file():
            raise VideoError(self.path, "file not found", hint="check the path")
        container, stream = self._open()
        try:
            self._seekable = container.format.name not in _COUNT_ONLY_FORMATS
            fps, n_frames = self._count(container, stream)
        finally:
            container.close()
        container, stream = self._open()  # fresh, rather than seeking back: not all can
        try:
            info, self._start_pts = self._first_frame(container, stream, fps, n_frames)
        finally:
            container.close()
        super().__init__(info)
        self._out_fmt = _output_format(info.pix_fmt)[0]

    # -- opening and probing ------------------------------------------------------------

    def _open(self) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
        try:
            container = av.open(str(self.path), mode="r")
        except av.error.EOFError as err:
            raise EmptyVideoError(
                self.path, "the file ends right after its header (no frames)",
                hint="the recording is empty or was cut off while being written",
            ) from err
        except av.FFmpegError as err:
            raise CorruptVideoError(
                self.path, f"FFmpeg cannot open it ({ffmpeg_reason(err)})",
                hint="the file is damaged, truncated or not a video despite its extension; "
                     + _REPAIR_HINT,
            ) from err
        if not container.streams.video:
            n_streams = len(container.streams)
            container.close()
            if n_streams == 0:  # e.g. an MP4 whose only track has no samples
                raise EmptyVideoError(self.path, "the file holds no frames (no non-empty track)")
            raise UnsupportedVideoError(self.path, "the file has no video stream",
                                        hint="it holds only audio, subtitles or data")
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "AUTO"
        stream.codec_context.thread_count = self.threads
        return container, stream

    def _count(
        self, container: av.container.InputContainer, stream: av.video.stream.VideoStream
    ) -> tuple[Fraction, int]:
        """(fps, frame count) from the header, or by demuxing where the header has no count.

        Also decides whether timestamps can be trusted for seeking (constant frame rate) and
        catches files cut off before the duration their header promises.
        """
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate:
            raise UnsupportedVideoError(self.path, "the video stream has no frame rate")
        fps = Fraction(rate).limit_denominator(1001)
        header_seconds = _header_seconds(container, stream)
        n_frames = stream.frames
        covered = header_seconds  # seconds from the first frame's start to the last one's end
        if n_frames <= 0:  # Matroska, MPEG-PS, AVI without index, ...: count packets
            n_frames, first_pts, last_pts = 0, None, None
            try:
                for packet in container.demux(stream):
                    if not packet.size:
                        continue
                    n_frames += 1
                    pts = packet.pts
                    if pts is not None:
                        first_pts = pts if first_pts is None else min(first_pts, pts)
                        last_pts = pts if last_pts is None else max(last_pts, pts)
            except av.FFmpegError as err:
                raise CorruptVideoError(
                    self.path, f"corrupt or truncated file: reading packet {n_frames + 1} "
                               f"failed ({ffmpeg_reason(err)})", hint=_REPAIR_HINT) from err
            covered = None
            if first_pts is not None and last_pts is not None and stream.time_base is not None:
                covered = (last_pts - first_pts) * stream.time_base + 1 / fps
                self._check_truncated(covered, header_seconds, fps)
        if container.format.name == "gif":
            self._check_gif_trailer()
        if n_frames == 0:
            raise EmptyVideoError(self.path, "the video stream has no frames")
        if self._seekable and (covered is None or abs(covered * fps - n_frames) > 1):
            log.info("%s: %d frames over %s s is not a constant %s fps; random access will "
                     "decode from the start", self.path, n_frames,
                     None if covered is None else float(covered), fps)
            self._seekable = False
        return fps, n_frames

    def _first_frame(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        fps: Fraction,
        n_frames: int,
    ) -> tuple[VideoInfo, int]:
        """(metadata, timestamp of frame 0) from decoding the first frame."""
        try:
            first = next(container.decode(stream), None)
        except av.FFmpegError as err:
            raise decode_error(self.path, err, frame=0, n_frames=n_frames) from err
        if first is None:
            raise EmptyVideoError(self.path, "no frame decodes")
        pix_fmt = first.format.name
        _, channels, dtype = _output_format(pix_fmt)
        # Frame 0 is the first frame decoded: its timestamp is the origin (an AVI with B-frames
        # starts at pts 1 while declaring start_time 0).
        if first.pts is not None:
            start_pts = first.pts
        else:
            start_pts = stream.start_time if stream.start_time is not None else 0
        info = VideoInfo(
            path=self.path, fps=fps, n_frames=n_frames, width=first.width, height=first.height,
            pix_fmt=pix_fmt, codec=stream.codec_context.name, channels=channels, dtype=dtype,
        )
        return info, start_pts

    def _check_truncated(
        self, covered: Fraction, header_seconds: Fraction | None, fps: Fraction
    ) -> None:
        """Packets ending well before the header's duration mean the file was cut off."""
        if header_seconds is None:
            return
        # slack: rounding, and a container duration that includes a longer audio track
        if covered < header_seconds - 2 / fps - header_seconds / 100:
            raise CorruptVideoError(
                self.path,
                f"truncated: the header promises {float(header_seconds):.3f} s, the frames end "
                f"at {float(covered):.3f} s",
                hint="re-copy or re-export the recording",
            )

    def _check_gif_trailer(self) -> None:
        """A complete GIF ends with the trailer byte ``0x3B`` (GIF has no duration header)."""
        with self.path.open("rb") as fh:
            fh.seek(-1, 2)
            if fh.read(1) != b"\x3b":
                raise CorruptVideoError(self.path, "truncated: the GIF trailer is missing")

    # -- decoding -----------------------------------------------------------------------

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def _fresh(self) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
        self.close()
        self._container, stream = self._open()
        return self._container, stream

    def _index_of(self, frame: av.VideoFrame, stream: av.video.stream.VideoStream) -> int | None:
        """Frame index from the timestamp; ``None`` when missing or off the frame grid."""
        if frame.pts is None or stream.time_base is None:
            return None
        position = (frame.pts - self._start_pts) * stream.time_base * self.info.fps
        index = math.floor(position + Fraction(1, 2))
        # Container time bases round timestamps (Matroska: 1 ms) but never by a quarter frame;
        # more than that means guessed timestamps (e.g. MPEG-2 B-frames right after a seek).
        return index if abs(position - index) <= _GRID_TOLERANCE else None

    def _decoded(
        self, frames: Iterator[av.VideoFrame], first_index: int
    ) -> Iterator[tuple[int, av.VideoFrame]]:
        """Number ``frames`` from ``first_index``, turning FFmpeg errors into typed ones."""
        index = first_index
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                return
            except av.FFmpegError as err:
                raise decode_error(self.path, err, frame=index,
                                   n_frames=self.info.n_frames) from err
            yield index, frame
            index += 1

    def _from_start(self, start: int) -> Iterator[tuple[int, av.VideoFrame]]:
        container, stream = self._fresh()
        return self._decoded(container.decode(stream), 0)

    def _from_seek(self, start: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Seek to the keyframe before ``start``; fall back to counting from 0 when unsure."""
        container = self._container
        stream = container.streams.video[0] if container is not None else None
        if container is None or stream is None:
            container, stream = self._fresh()
        fps, tb = self.info.fps, stream.time_base
        margin = 0
        for _ in range(_SEEK_RETRIES):
            if start - margin <= 0:
                break
            target = self._start_pts + math.floor(Fraction(start - margin) / fps / tb)
            try:
                container.seek(target, stream=stream, backward=True, any_frame=False)
                frames = container.decode(stream)
                frame = next(frames, None)
            except av.FFmpegError as err:
                log.debug("%s: seek to frame %d failed (%s)", self.path, start, err)
                break
            index = None if frame is None else self._index_of(frame, stream)
            if index is None or index > start:  # landed after the target, or unsure where
                margin = max(2 * margin, math.ceil(fps))
                continue
            # decode forward to the target, trusting timestamps until we reach it
            while index < start:
                try:
                    frame = next(frames, None)
                except av.FFmpegError as err:
                    raise decode_error(self.path, err, frame=start,
                                       n_frames=self.info.n_frames) from err
                if frame is None:
                    break
                index = self._index_of(frame, stream)
                if index is None:
                    break
            if index != start or frame is None:
                break  # timestamps skip the target: not constant frame rate
            log.debug("%s: seeked to frame %d", self.path, start)
            return self._decoded(_prepend(frame, frames), start)
        log.debug("%s: decoding from the start to reach frame %d", self.path, start)
        return self._from_start(start)

    def _frames(self, start: int, stop: int) -> Iterator[np.ndarray]:
        if start == 0 or not self._seekable:
            numbered = self._from_start(start)
        else:
            numbered = self._from_seek(start)
        last = start - 1
        for index, frame in numbered:
            if index < start:
                continue
            if index >= stop:
                return
            yield _to_array(frame, self._out_fmt)
            last = index
        if last < stop - 1:
            raise CorruptVideoError(
                self.path,
                f"truncated file: the stream ends after frame {last}, but its header promises "
                f"{self.info.n_frames} frames (asked for frames up to {stop - 1})",
                hint=_REPAIR_HINT,
            )
