"""Shared fixtures: the installed model files (a missing file fails, with the install command)
and the sample images of ``tests/data/samples``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

from ictal.landmarks.files import install_command, iter_status

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture(scope="session")
def models() -> None:
    """The packaged models are installed (``make setup`` does it); fail, never skip, if not."""
    bad = [f"{path} ({status})" for _spec, path, status in iter_status() if status != "ok"]
    if bad:
        pytest.fail("model files not installed: " + ", ".join(bad)
                    + f"\n  hint: run `{install_command()}` (or `make setup`)", pytrace=False)


@pytest.fixture(scope="session")
def cricket() -> list[np.ndarray]:
    """The 79 frames ``(224, 224, 3)`` uint8 of the UCF-101 cricket clip (an umpire in red in
    the middle, players around)."""
    with Image.open(SAMPLES / "v_CricketShot_g04_c01_rgb.gif") as gif:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """``(256, 256, 3)`` uint8: a frontal face (see ``tests/data/samples/README.md``)."""
    with Image.open(SAMPLES / "astronaut_face.jpg") as im:
        return np.asarray(im.convert("RGB"))
