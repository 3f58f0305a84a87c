from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from ictal.errors import CorruptVideoError, EmptyVideoError, UnsupportedVideoError, VideoError
from ictal.io import ContainerReader, open_video, write_video

Frames = Callable[..., np.ndarray]
N = 40
GIF_SAMPLE = Path(__file__).parents[1] / "data/samples/v_CricketShot_g04_c01_rgb.gif"


def _has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except (av.codec.codec.UnknownCodecError, ValueError):
        return False
    return True


# name, codec, encoder options, pixel format: each with B-frames / GOPs where the codec has them
FORMATS = [
    ("h264.mp4", "libx264", {"g": "12", "bf": "3"}, "yuv420p"),
    ("mpeg2.mpg", "mpeg2video", {"g": "12", "bf": "2"}, "yuv420p"),
    ("h264.mkv", "libx264", {"g": "12", "bf": "3"}, "yuv420p"),
    ("mpeg4.avi", "mpeg4", {"g": "12", "bf": "2"}, "yuv420p"),
    ("wmv2.asf", "wmv2", {"g": "12"}, "yuv420p"),
    ("wmv2.wmv", "wmv2", {"g": "12"}, "yuv420p"),
    pytest.param(("hevc.mp4", "libx265", {"x265-params": "keyint=12:log-level=error"}, "yuv420p"),
                 marks=pytest.mark.skipif(not _has_encoder("libx265"),
                                          reason="PyAV wheel has no libx265"), id="hevc.mp4"),
    ("anim.gif", "gif", {}, "rgb8"),
]


@pytest.fixture(params=FORMATS, ids=lambda p: p[0])
def clinic_video(
    request: pytest.FixtureRequest, tmp_path: Path, stripes: Frames,
    pyav_writer: Callable[..., Path],
) -> Path:
    name, codec, options, pix_fmt = request.param
    return pyav_writer(tmp_path / name, stripes(N), codec=codec, fps=25, pix_fmt=pix_fmt,
                       options=options)


def test_clinic_formats_probe_iterate_and_seek(
    clinic_video: Path, read_stripes: Callable[[np.ndarray], int]
) -> None:
    with open_video(clinic_video) as reader:
        info = reader.info
        assert (info.n_frames, info.width, info.height) == (N, 64, 48)
        assert info.fps == 25 and info.duration == Fraction(N, 25)
        assert (info.channels, info.dtype) == (3, np.uint8)
        seen = [(k, read_stripes(f)) for k, f in reader.iter_frames()]
        assert seen == [(k, k) for k in range(N)]
        # frame-accurate random access, backwards and forwards, across GOP boundaries
        for k in (25, 13, 39, 1, 12, 24, 0):
            assert read_stripes(reader.read(k, k + 1)[0]) == k
        clip = reader.read(11, 15)
        assert clip.shape == (4, 48, 64, 3)
        assert [read_stripes(f) for f in clip] == [11, 12, 13, 14]
        assert [read_stripes(f) for f in reader.read_time(Fraction(1), Fraction(6, 5))] == [
            25, 26, 27, 28, 29]


@pytest.mark.parametrize("threads", [1, 2])
def test_ffv1_16bit_round_trip_and_every_seek(tmp_path: Path, grey16: Frames,
                                              threads: int) -> None:
    frames = grey16(20)
    path = write_video(tmp_path / "ir.mkv", frames, 30)
    with open_video(path, threads=threads) as reader:
        assert reader.info.pix_fmt == "gray16le" and reader.info.codec == "ffv1"
        assert reader.info.n_frames == 20 and reader.info.dtype == np.uint16
        np.testing.assert_array_equal(reader.read(0, 20), frames)
        for k in (7, 19, 3, 12):
            np.testing.assert_array_equal(reader.read(k, k + 1)[0], frames[k])
        assert [k for k, _ in reader.iter_frames(5, 9)] == [5, 6, 7, 8]


def test_ntsc_rate_is_exact(tmp_path: Path, grey16: Frames) -> None:
    path = write_video(tmp_path / "ntsc.mkv", grey16(12), "30000/1001")
    with open_video(path) as reader:
        assert reader.info.fps == Fraction(30000, 1001)
        for k in (11, 5, 9):
            assert reader.read(k, k + 1)[0, 0, 0] == k


def test_gif_sample_decodes_to_79_frames() -> None:
    with open_video(GIF_SAMPLE) as reader:
        assert (reader.info.n_frames, reader.info.width, reader.info.height) == (79, 224, 224)
        shapes = {f.shape for _, f in reader.iter_frames()}
        count = sum(1 for _ in reader.iter_frames())
        last = reader.read(78, 79)
    assert count == 79 and shapes == {(224, 224, 3)}
    assert last.dtype == np.uint8 and last.std() > 0


def test_memory_does_not_grow_with_length(tmp_path: Path, grey16: Frames) -> None:
    frames = grey16(150, height=48, width=64)
    path = write_video(tmp_path / "long.mkv", frames, 30)
    frame_bytes = frames[0].nbytes
    with open_video(path) as reader:
        tracemalloc.start()
        total = 0
        for _, frame in reader.iter_frames():
            total += int(frame[0, 0])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert total == sum(range(150))
    assert peak < 20 * frame_bytes  # a handful of frames, never the whole stream


def test_new_read_invalidates_unfinished_iterator(tmp_path: Path, grey16: Frames) -> None:
    path = write_video(tmp_path / "v.mkv", grey16(6), 30)
    with open_video(path) as reader:
        frames = reader.iter_frames()
        next(frames)
        reader.read(3, 4)
        with pytest.raises(RuntimeError, match="newer read"):
            next(frames)


# -- bad input -------------------------------------------------------------------------------


def _truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_ffv1_mkv(tmp_path: Path, grey16: Frames) -> None:
    path = _truncate(write_video(tmp_path / "cut.mkv", grey16(20), 30))
    with pytest.raises(CorruptVideoError, match="truncated") as err:
        open_video(path)
    assert err.value.path == path


def test_truncated_mp4(tmp_path: Path, stripes: Frames) -> None:
    path = _truncate(write_video(tmp_path / "cut.mp4", stripes(20), 30, codec="h264"))
    with pytest.raises(CorruptVideoError, match=r"cut\.mp4"), open_video(path) as reader:
        reader.read(0, 20)


def test_truncated_mpeg2_fails_while_decoding(
    tmp_path: Path, stripes: Frames, pyav_writer: Callable[..., Path]
) -> None:
    # MPEG-PS has no header to compare with: a cut between packets just looks shorter. This cut
    # falls inside a packet, which the decoder rejects.
    path = _truncate(pyav_writer(tmp_path / "cut.mpg", stripes(70), codec="mpeg2video",
                                 options={"g": "12", "bf": "2"}))
    with pytest.raises(CorruptVideoError, match=r"cut\.mpg"), open_video(path) as reader:
        for _ in reader.iter_frames():
            pass


def test_truncated_gif(tmp_path: Path, stripes: Frames, pyav_writer: Callable[..., Path]) -> None:
    path = _truncate(pyav_writer(tmp_path / "cut.gif", stripes(N), codec="gif", pix_fmt="rgb8"))
    with pytest.raises(CorruptVideoError, match="trailer"):
        open_video(path)


@pytest.mark.parametrize(("name", "codec", "pix_fmt"), [
    ("empty.mkv", "ffv1", "gray16le"), ("empty.mp4", "libx264", "yuv420p"),
])
def test_zero_frame_file(tmp_path: Path, name: str, codec: str, pix_fmt: str) -> None:
    path = tmp_path / name
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
        container.start_encoding()
    with pytest.raises(EmptyVideoError, match=name):
        open_video(path)


def test_text_file_renamed_mp4(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("patient slept well, no events\n" * 20)
    with pytest.raises(CorruptVideoError, match=r"notes\.mp4"):
        open_video(path)


def test_mislabelled_but_valid_video_is_read_by_content(tmp_path: Path, grey16: Frames) -> None:
    path = write_video(tmp_path / "ir.mkv", grey16(3), 30).rename(tmp_path / "ir.avi")
    with open_video(path) as reader:
        assert reader.info.codec == "ffv1" and reader.read(2, 3)[0, 0, 0] == 2


def test_audio_only_file_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "sound.mkv"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16",
                                           layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(UnsupportedVideoError, match="no video stream"):
        open_video(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="not found") as err:
        ContainerReader(tmp_path / "gone.mp4")
    assert err.value.path == tmp_path / "gone.mp4"


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedVideoError, match=r"\.docx"):
        open_video(path)


def test_out_of_range_request(tmp_path: Path, grey16: Frames) -> None:
    path = write_video(tmp_path / "v.mkv", grey16(5), 30)
    with open_video(path) as reader, pytest.raises(IndexError, match=r"\[3, 9\)"):
        reader.read(3, 9)


# -- timestamps that are not a clean constant rate -----------------------------------------


def _write_ffv1_with_pts(path: Path, frames: np.ndarray, pts_ms: list[int]) -> Path:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("ffv1", rate=30)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "gray16le"
        stream.codec_context.time_base = Fraction(1, 1000)
        for frame, pts in zip(frames, pts_ms, strict=True):
            image = av.VideoFrame.from_ndarray(frame, format="gray16le")
            image.pts, image.time_base = pts, Fraction(1, 1000)
            for packet in stream.encode(image):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_jittered_timestamps_still_seek_exactly(tmp_path: Path, grey16: Frames) -> None:
    frames = grey16(24, height=8, width=8)
    jitter = [0, 5, -6, 3, -4, 6, 0, -5, 4, 2, -3, 6, -6, 1, 5, -2, 0, 3, -5, 6, -1, 2, 4, 0]
    pts = [max(0, round(k * 1000 / 30) + j) for k, j in enumerate(jitter)]
    path = _write_ffv1_with_pts(tmp_path / "jitter.mkv", frames, pts)
    with open_video(path) as reader:
        assert reader.info.n_frames == 24
        assert isinstance(reader, ContainerReader) and reader._seekable
        for k in (17, 4, 23, 9):
            assert reader.read(k, k + 1)[0, 0, 0] == k


def test_dropped_frames_index_by_count(tmp_path: Path, grey16: Frames) -> None:
    """Frame k is the k-th frame stored even when timestamps skip (dropped camera frames)."""
    frames = grey16(20, height=8, width=8)
    pts = [round(k * 1000 / 30) for k in range(10)] + [
        round(k * 1000 / 30) for k in range(15, 25)]
    path = _write_ffv1_with_pts(tmp_path / "gap.mkv", frames, pts)
    with open_video(path) as reader:
        assert reader.info.n_frames == 20
        for k in (15, 3, 19, 12):
            assert reader.read(k, k + 1)[0, 0, 0] == k
        assert [int(f[0, 0]) for _, f in reader.iter_frames(8, 12)] == [8, 9, 10, 11]


def test_truncated_mp4_names_the_frame_and_the_fix_not_an_errno(tmp_path: Path) -> None:
    frames = np.random.default_rng(0).integers(0, 256, (60, 48, 64, 3), dtype=np.uint8)
    path = write_video(tmp_path / "cut.mp4", frames, 30, codec="h264")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptVideoError) as err, open_video(path) as reader:
        for _ in reader.iter_frames():
            pass
    text = str(err.value)
    assert "Errno" not in text and "avcodec" not in text
    assert "cut.mp4" in text and "corrupt or truncated file: frame " in text
    assert "of 60 does not decode" in text and "re-export" in (err.value.hint or "")
