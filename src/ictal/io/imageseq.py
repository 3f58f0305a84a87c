"""Image sequences: a directory (or glob) of PNG files, one frame each, in natural order.

16-bit grey PNGs (Kinect infrared / depth exports) read as ``(H, W)`` ``uint16``, 8-bit grey as
``(H, W)`` ``uint8``, colour as ``(H, W, 3)`` ``uint8`` RGB. Files sort by the numbers in their
names (``f2.png`` before ``f10.png``).
"""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ictal.errors import (
    CorruptVideoError,
    EmptyVideoError,
    ShapeError,
    UnsupportedVideoError,
    VideoError,
)
from ictal.fsutil import atomic_path
from ictal.io.reader import VideoInfo, VideoReader

#: Pillow image modes -> (pix_fmt, channels, dtype).
_MODES: dict[str, tuple[str, int, np.dtype]] = {
    "I;16": ("gray16le", 1, np.dtype(np.uint16)),
    "I;16B": ("gray16le", 1, np.dtype(np.uint16)),
    "L": ("gray", 1, np.dtype(np.uint8)),
    "RGB": ("rgb24", 3, np.dtype(np.uint8)),
    "RGBA": ("rgb24", 3, np.dtype(np.uint8)),
    "P": ("rgb24", 3, np.dtype(np.uint8)),
}
_GLOB_CHARS = re.compile(r"[*?\[]")


def is_glob(path: Path | str) -> bool:
    """Whether ``path`` is a glob pattern (``frames/*.png``) rather than a file name."""
    return bool(_GLOB_CHARS.search(str(path)))


def _natural_key(path: Path) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def list_images(path: Path | str) -> list[Path]:
    """The PNG files of a directory or glob pattern, naturally sorted."""
    text = str(path)
    if is_glob(text):
        # glob.glob, not Path.glob: the pattern may be absolute ("/data/ir/*.png").
        files = [Path(p) for p in glob.glob(text)]  # noqa: PTH207
    elif Path(text).is_dir():
        files = [p for p in Path(text).iterdir() if p.suffix.lower() == ".png"]
    else:
        raise VideoError(path, "not a directory or glob of PNG files", hint="check the path")
    return sorted((p for p in files if p.is_file()), key=_natural_key)


def _load(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            if mode in ("RGBA", "P"):
                image = image.convert("RGB")
            array = np.asarray(image)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise CorruptVideoError(path, f"not a readable image: {err}") from err
    if mode not in _MODES:
        raise UnsupportedVideoError(path, f"image mode {mode!r} is not supported")
    return array.astype(_MODES[mode][2], copy=False)


class ImageSequenceReader(VideoReader):
    """Frames of a PNG sequence; images have no frame rate, so ``fps`` says it.

    Opening lists the files and reads the first image's header only; every image must have the
    first one's size and mode (checked as frames are read).
    """

    def __init__(self, path: Path | str, *, fps: Fraction) -> None:
        self._files = list_images(path)
        if not self._files:
            raise EmptyVideoError(path, "no PNG files found")
        first = self._files[0]
        try:
            with Image.open(first) as image:
                mode, (width, height) = image.mode, image.size
        except (UnidentifiedImageError, OSError) as err:
            raise CorruptVideoError(first, f"not a readable image: {err}") from err
        if mode not in _MODES:
            raise UnsupportedVideoError(first, f"image mode {mode!r} is not supported")
        pix_fmt, channels, dtype = _MODES[mode]
        super().__init__(VideoInfo(
            path=Path(path), fps=fps, n_frames=len(self._files), width=width, height=height,
            pix_fmt=pix_fmt, codec="png", channels=channels, dtype=dtype,
        ))

    @property
    def files(self) -> list[Path]:
        """The image files, in frame order."""
        return list(self._files)

    def _frames(self, start: int, stop: int) -> Iterator[np.ndarray]:
        for file in self._files[start:stop]:
            frame = _load(file)
            if frame.shape != self.info.frame_shape or frame.dtype != self.info.dtype:
                raise CorruptVideoError(
                    file, f"image is {frame.shape} {frame.dtype}, the sequence is "
                    f"{self.info.frame_shape} {self.info.dtype} (from {self._files[0].name})",
                )
            yield frame


def write_png_sequence(
    directory: Path | str, frames: Iterable[np.ndarray], *, prefix: str = "frame_"
) -> list[Path]:
    """Write ``frames`` as ``prefix000000.png, ...`` into ``directory``; return the paths.

    Frames: ``(H, W)`` ``uint16`` (16-bit PNG) or ``uint8``, or ``(H, W, 3)`` ``uint8`` RGB.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, frame in enumerate(frames):
        grey = frame.ndim == 2 and frame.dtype in (np.uint16, np.uint8)
        if not (grey or (frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8)):
            raise ShapeError(f"frame {index} is {frame.shape} {frame.dtype}; PNG frames are "
                             "(H, W) uint16/uint8 or (H, W, 3) uint8")
        path = directory / f"{prefix}{index:06d}.png"
        with atomic_path(path) as tmp:
            Image.fromarray(np.ascontiguousarray(frame)).save(tmp, format="PNG")
        paths.append(path)
    return paths
