from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ictal.errors import UnsupportedVideoError, VideoError
from ictal.io import probe, source_kind, write_video

Frames = Callable[..., np.ndarray]


def test_source_kind(tmp_path: Path) -> None:
    assert source_kind("a/b.MP4") == "video"
    assert source_kind("clip.wmv") == "video"
    assert source_kind("x.npy") == "npy"
    assert source_kind(tmp_path) == "images"
    assert source_kind("ir/*.png") == "images"
    with pytest.raises(UnsupportedVideoError, match="single PNG"):
        source_kind("frame.png")
    with pytest.raises(UnsupportedVideoError, match=r"'\.txt'"):
        source_kind("notes.txt")


def test_probe_without_decoding_everything(tmp_path: Path, grey16: Frames) -> None:
    path = write_video(tmp_path / "d.mkv", grey16(9), "15")
    info = probe(path)
    assert (info.n_frames, info.fps, info.width, info.height) == (9, 15, 64, 53)
    assert info.duration == Fraction(9, 15)
    assert (info.pix_fmt, info.codec, info.channels) == ("gray16le", "ffv1", 1)


def test_container_rejects_fps_override(tmp_path: Path, grey16: Frames) -> None:
    path = write_video(tmp_path / "d.mkv", grey16(2), 30)
    with pytest.raises(VideoError, match="own frame rate"):
        probe(path, fps=25)


def test_kind_override(tmp_path: Path) -> None:
    path = tmp_path / "frames.bin"
    np.save(path, np.zeros((2, 3, 3), np.uint8))  # np.save appends .npy when missing
    assert probe(tmp_path / "frames.bin.npy").n_frames == 2
    (tmp_path / "stack").write_bytes((tmp_path / "frames.bin.npy").read_bytes())
    assert probe(tmp_path / "stack", kind="npy").n_frames == 2
