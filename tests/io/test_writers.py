from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from ictal.errors import ShapeError, UnsupportedVideoError, VideoError
from ictal.io.writers import Ffv1Writer, H264Writer, write_video

Frames = Callable[..., np.ndarray]


def _decode(path: Path, fmt: str | None = None) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format=fmt) if fmt else f.to_ndarray()
                for f in container.decode(video=0)]


def test_ffv1_round_trip_16bit_is_bit_exact(tmp_path: Path, grey16: Frames) -> None:
    frames = grey16(7)
    path = write_video(tmp_path / "ir.mkv", frames, 30)
    decoded = _decode(path)
    assert len(decoded) == 7
    for want, got in zip(frames, decoded, strict=True):
        assert got.dtype == np.uint16
        np.testing.assert_array_equal(got, want)


def test_ffv1_stream_is_sliced_level3_gray16(tmp_path: Path, grey16: Frames) -> None:
    with Ffv1Writer(tmp_path / "d.mkv", 30, 64, 53, slices=4) as writer:
        for frame in grey16(3):
            writer.write(frame)
    with av.open(str(tmp_path / "d.mkv")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "ffv1"
        assert stream.codec_context.pix_fmt == "gray16le"
        assert (stream.width, stream.height) == (64, 53)
        # FFV1 version >= 2 keeps its configuration record (slices, CRCs) in extradata;
        # version 1 has none.
        assert stream.codec_context.extradata


def test_ffv1_rgb_and_grey8_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (3, 21, 31, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (3, 21, 31), dtype=np.uint8)
    np.testing.assert_array_equal(np.stack(_decode(write_video(tmp_path / "c.mkv", rgb, 25),
                                                   "rgb24")), rgb)
    np.testing.assert_array_equal(np.stack(_decode(write_video(tmp_path / "g.mkv", grey, 25))),
                                  grey)


def test_writer_is_atomic_on_error(tmp_path: Path, grey16: Frames) -> None:
    target = tmp_path / "out.mkv"
    frames = grey16(2)
    with pytest.raises(RuntimeError), Ffv1Writer(target, 30, 64, 53) as writer:
        writer.write(frames[0])
        raise RuntimeError("renderer crashed")
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_wrong_frame_and_leaves_nothing(tmp_path: Path, grey16: Frames) -> None:
    target = tmp_path / "out.mkv"
    with pytest.raises(ShapeError, match="frame 1"), Ffv1Writer(target, 30, 64, 53) as writer:
        writer.write(grey16(1)[0])
        writer.write(np.zeros((53, 64), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_existing_target_survives_failed_rewrite(tmp_path: Path, grey16: Frames) -> None:
    target = write_video(tmp_path / "keep.mkv", grey16(2), 30)
    before = target.read_bytes()
    with pytest.raises(ShapeError):
        write_video(target, [grey16(1)[0], np.zeros((5, 5), np.uint16)], 30)
    assert target.read_bytes() == before


def test_ffv1_rejects_bad_settings(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedVideoError, match="Matroska"):
        Ffv1Writer(tmp_path / "x.mp4", 30, 64, 53)
    with pytest.raises(UnsupportedVideoError, match="slices"):
        Ffv1Writer(tmp_path / "x.mkv", 30, 64, 53, slices=5)
    with pytest.raises(UnsupportedVideoError, match="pixel format"):
        Ffv1Writer(tmp_path / "x.mkv", 30, 64, 53, pix_fmt="yuv420p")
    assert list(tmp_path.iterdir()) == []


def test_h264_preview_is_faststart_yuv420p_with_short_gop(
    tmp_path: Path, stripes: Frames, read_stripes: Callable[[np.ndarray], int]
) -> None:
    frames = stripes(65)
    path = tmp_path / "preview.mp4"
    with H264Writer(path, 30, 64, 48, gop=30) as writer:
        for frame in frames:
            writer.write(frame)
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: index before the media
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        keyframes = sorted(p.pts for p in container.demux(stream) if p.is_keyframe)
    # Keyframes at frames 0, 30, 60 (pts in the stream's time base).
    tick = round(1 / (30 * stream.time_base))
    assert [pts // tick for pts in keyframes] == [0, 30, 60]
    decoded = _decode(path, "rgb24")
    assert [read_stripes(f) for f in decoded] == list(range(65))


def test_h264_pads_odd_sizes_and_accepts_grey(
    tmp_path: Path, stripes: Frames, read_stripes: Callable[[np.ndarray], int]
) -> None:
    grey = stripes(3, height=47, width=65)[..., 0]
    path = write_video(tmp_path / "odd.mp4", grey, 25, codec="h264")
    decoded = _decode(path, "rgb24")
    assert decoded[0].shape == (48, 66, 3)
    assert [read_stripes(f[:47, :64]) for f in decoded] == [0, 1, 2]


def test_h264_constant_quantiser_depends_on_the_frames_alone(tmp_path: Path) -> None:
    # 704 wide: not a multiple of 128, where x264's AVX-512 look-ahead reads uninitialised
    # memory; without look-ahead (qp) the bytes must not depend on the heap's contents
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 255, (36, 44, 1)).repeat(16, 0).repeat(16, 1).astype(np.uint8)
    base = np.repeat(grey, 3, axis=2)[:576, :704]
    frames = [np.roll(base, 3 * i, 1) for i in range(30)]
    digests, junk = set(), []
    for _ in range(3):
        path = tmp_path / "qp.mp4"
        with H264Writer(path, 25, 704, 576, gop=25, qp=28, threads=1, bitexact=True) as w:
            for frame in frames:
                w.write(frame)
                junk.append(rng.integers(0, 255, int(rng.integers(10**3, 2 * 10**5)), np.uint8))
                junk = junk[-30:]  # churn the heap between frames
        digests.add(path.read_bytes())
    assert len(digests) == 1
    data = digests.pop()
    assert b"rc=cqp" in data and b"mbtree=0" in data and b"b_adapt=0" in data
    decoded = _decode(tmp_path / "qp.mp4", "rgb24")
    assert len(decoded) == 30 and np.abs(decoded[5].astype(int) - frames[5]).mean() < 6


def test_h264_rejects_16bit(tmp_path: Path, grey16: Frames) -> None:
    with pytest.raises(ShapeError, match="uint8"):
        write_video(tmp_path / "p.mp4", grey16(1), 30, codec="h264")


def test_write_video_rejects_empty_and_unknown_codec(tmp_path: Path, grey16: Frames) -> None:
    with pytest.raises(VideoError, match="no frames"):
        write_video(tmp_path / "e.mkv", [], 30)
    with pytest.raises(UnsupportedVideoError, match="codec"):
        write_video(tmp_path / "e.mkv", grey16(1), 30, codec="vp9")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
