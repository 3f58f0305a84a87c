from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ictal.errors import CorruptVideoError, EmptyVideoError, UnsupportedVideoError, VideoError
from ictal.io import NpyReader, open_video


def test_npy_rgb_stack(tmp_path: Path) -> None:
    frames = np.random.default_rng(0).integers(0, 256, (4, 6, 5, 3), dtype=np.uint8)
    np.save(tmp_path / "rgb.npy", frames)
    with open_video(tmp_path / "rgb.npy", fps=25) as reader:
        info = reader.info
        assert (info.n_frames, info.height, info.width, info.channels) == (4, 6, 5, 3)
        assert info.fps == 25 and info.pix_fmt == "rgb24"
        frame = reader.read(2, 3)[0]
        np.testing.assert_array_equal(frame, frames[2])
        frame[:] = 0  # the caller owns the frames it gets
        np.testing.assert_array_equal(reader.read(2, 3)[0], frames[2])


def test_npy_default_fps_is_kinect_rate(tmp_path: Path) -> None:
    np.save(tmp_path / "d.npy", np.zeros((2, 4, 4), np.uint16))
    with open_video(tmp_path / "d.npy") as reader:
        assert reader.info.fps == 30 and reader.info.dtype == np.uint16


@pytest.mark.parametrize("array", [np.zeros((2, 4, 4), np.float32), np.zeros((4, 4), np.uint16),
                                   np.zeros((2, 4, 4, 4), np.uint8)])
def test_npy_bad_layout(tmp_path: Path, array: np.ndarray) -> None:
    np.save(tmp_path / "x.npy", array)
    with pytest.raises(UnsupportedVideoError, match=r"x\.npy"):
        NpyReader(tmp_path / "x.npy", fps=30)


def test_npy_empty_corrupt_missing(tmp_path: Path) -> None:
    np.save(tmp_path / "e.npy", np.zeros((0, 4, 4), np.uint16))
    with pytest.raises(EmptyVideoError):
        open_video(tmp_path / "e.npy")
    (tmp_path / "c.npy").write_bytes(b"not numpy")
    with pytest.raises(CorruptVideoError, match=r"c\.npy"):
        open_video(tmp_path / "c.npy")
    with pytest.raises(VideoError, match="not found"):
        open_video(tmp_path / "m.npy")
