"""The shared reader logic (ranges, resampling, clips, time ranges), exercised on ``.npy``
stacks and a lossless video so that both paths through :class:`VideoReader` are covered."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ictal.io import VideoReader, open_video, write_video
from ictal.timebase import FrameSpan

Frames = Callable[..., np.ndarray]


@pytest.fixture(params=["npy", "mkv"])
def reader(request: pytest.FixtureRequest, tmp_path: Path, grey16: Frames) -> VideoReader:
    frames = grey16(30, height=9, width=11)
    if request.param == "npy":
        np.save(tmp_path / "v.npy", frames)
        return open_video(tmp_path / "v.npy", fps=30)
    return open_video(write_video(tmp_path / "v.mkv", frames, 30))


def _ids(frames: np.ndarray) -> list[int]:
    return [int(f[0, 0]) for f in frames]


def test_iter_frames_ranges(reader: VideoReader) -> None:
    with reader:
        assert [(k, int(f[0, 0])) for k, f in reader.iter_frames(27)] == [
            (27, 27), (28, 28), (29, 29)]
        assert [k for k, _ in reader.iter_frames(4, 4)] == []
        assert len(list(reader.iter_frames())) == 30
        with pytest.raises(IndexError):
            list(reader.iter_frames(5, 31))


@pytest.mark.parametrize(("fps", "expected"), [
    (10, [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]),
    (Fraction(15), list(range(0, 30, 2))),
    (60, [k for k in range(30) for _ in (0, 1)]),
])
def test_iter_frames_resampled(reader: VideoReader, fps: Fraction | int,
                               expected: list[int]) -> None:
    with reader:
        out = list(reader.iter_frames(fps=fps))
    assert [k for k, _ in out] == expected
    assert [int(f[0, 0]) for _, f in out] == expected


def test_resampling_a_sub_range_counts_from_its_start(reader: VideoReader) -> None:
    with reader:
        assert [k for k, _ in reader.iter_frames(7, 19, fps=10)] == [7, 10, 13, 16]


def test_sparse_resampling_seeks_between_frames(monkeypatch: pytest.MonkeyPatch,
                                                reader: VideoReader) -> None:
    import ictal.io.reader as reader_module

    monkeypatch.setattr(reader_module, "MAX_DECODED_GAP", 1)
    with reader:
        out = [(k, int(f[0, 0])) for k, f in reader.iter_frames(1, fps=4)]
    # 30 -> 4 fps: every 7.5 frames from frame 1, ties to the earlier frame
    assert out == [(1, 1), (8, 8), (16, 16), (23, 23)]


def test_read_and_read_time(reader: VideoReader) -> None:
    with reader:
        clip = reader.read(10, 14)
        assert clip.shape == (4, 9, 11) and clip.dtype == np.uint16
        assert _ids(clip) == [10, 11, 12, 13]
        # frames shown in [0.5 s, 0.6 s) at 30 fps: 15, 16, 17
        assert _ids(reader.read_time(Fraction(1, 2), Fraction(3, 5))) == [15, 16, 17]
        assert _ids(reader.read_time(0.9, 5)) == [27, 28, 29]  # clipped to the end


@pytest.mark.parametrize(("length", "step", "starts"), [
    (8, None, [0, 8, 16]),        # back to back, remainder dropped
    (8, 4, [0, 4, 8, 12, 16, 20]),  # overlapping
    (3, 10, [0, 10, 20]),          # gaps decoded and dropped
])
def test_iter_clips(reader: VideoReader, length: int, step: int | None,
                    starts: list[int]) -> None:
    with reader:
        clips = list(reader.iter_clips(length, step))
    assert [span.start for span, _ in clips] == starts
    for span, clip in clips:
        assert span == FrameSpan(span.start, span.start + length, Fraction(30))
        assert _ids(clip) == list(range(span.start, span.stop))


def test_iter_clips_far_apart_seek(monkeypatch: pytest.MonkeyPatch, reader: VideoReader) -> None:
    import ictal.io.reader as reader_module

    monkeypatch.setattr(reader_module, "MAX_DECODED_GAP", 2)
    with reader:
        clips = list(reader.iter_clips(2, 9, start=3, stop=25))
    assert [_ids(c) for _, c in clips] == [[3, 4], [12, 13], [21, 22]]


def test_iter_clips_rejects_bad_length(reader: VideoReader) -> None:
    with reader, pytest.raises(ValueError, match="length"):
        list(reader.iter_clips(0))
