from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ictal.errors import CorruptVideoError, EmptyVideoError, ShapeError
from ictal.io import list_images, open_video, probe, write_png_sequence

Frames = Callable[..., np.ndarray]


def test_png16_round_trip_directory_and_glob(tmp_path: Path, grey16: Frames) -> None:
    frames = grey16(5, height=7, width=9)
    write_png_sequence(tmp_path / "ir", frames)
    (tmp_path / "ir" / "notes.txt").write_text("ignored")
    for source in (tmp_path / "ir", f"{tmp_path}/ir/frame_*.png"):
        with open_video(source, fps=15) as reader:
            assert reader.info.pix_fmt == "gray16le" and reader.info.dtype == np.uint16
            assert reader.info.fps == 15 and reader.info.n_frames == 5
            np.testing.assert_array_equal(reader.read(0, 5), frames)
            np.testing.assert_array_equal(reader.read(3, 4)[0], frames[3])


def test_natural_order(tmp_path: Path) -> None:
    for k in (10, 2, 1):
        Image.fromarray(np.full((3, 3), k, np.uint8)).save(tmp_path / f"f{k}.png")
    assert [p.name for p in list_images(tmp_path)] == ["f1.png", "f2.png", "f10.png"]
    with open_video(tmp_path) as reader:
        assert [int(f[0, 0]) for _, f in reader.iter_frames()] == [1, 2, 10]
        assert reader.info.dtype == np.uint8 and reader.info.channels == 1


def test_rgb_png(tmp_path: Path) -> None:
    frame = np.random.default_rng(2).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    write_png_sequence(tmp_path, [frame])
    info = probe(tmp_path)
    assert (info.channels, info.width, info.height) == (3, 6, 4)
    with open_video(tmp_path) as reader:
        np.testing.assert_array_equal(reader.read(0, 1)[0], frame)


def test_mismatched_frame_is_corrupt(tmp_path: Path) -> None:
    write_png_sequence(tmp_path, [np.zeros((4, 4), np.uint16)], prefix="a")
    write_png_sequence(tmp_path, [np.zeros((5, 4), np.uint16)], prefix="b")
    with open_video(tmp_path) as reader, pytest.raises(CorruptVideoError, match=r"b000000\.png"):
        reader.read(0, 2)


def test_text_named_png_and_empty_dir(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptyVideoError):
        open_video(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "0.png").write_text("not an image")
    with pytest.raises(CorruptVideoError, match=r"0\.png"):
        open_video(tmp_path / "bad")


def test_write_rejects_float_frames(tmp_path: Path) -> None:
    with pytest.raises(ShapeError, match="frame 0"):
        write_png_sequence(tmp_path, [np.zeros((3, 3), np.float32)])
