"""Tiny IR + depth recordings written with the io writers, and their manifest; the packaged
pose models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ictal.io import write_video
from ictal.manifest import Event, Manifest, Patient, Recording, Stream

H, W, T, FPS = 53, 64, 100, 30


def scene(t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t``: depth of a bed lying along x (rows 13-28 within the crop volume) with a
    moving 'patient' bump, IR brighter on the bed; a 'staff member' stands 1 m in front of
    the bed in frames 40-59 (columns 50-57)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    depth = 2000 + 5 * x + 3 * (y - 20.5) ** 2
    cx = 20 + 10 * np.sin(t / 5)
    bump = ((x - cx) ** 2 + (y - 20) ** 2) < 16
    depth[bump] -= 80
    ir = 1000 + 2000 * (np.abs(y - 20.5) < 8) + 1500 * bump
    if 40 <= t < 60:
        depth[5:45, 50:58] = 1000
        ir[5:45, 50:58] = 5000
    rng = np.random.default_rng(t)
    pepper = rng.random((H, W)) < 0.01
    depth[pepper] = 0
    return np.rint(ir).astype(np.uint16), np.rint(depth).astype(np.uint16)


@pytest.fixture(scope="session")
def recording_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rec")
    frames = [scene(t) for t in range(T)]
    write_video(root / "ir.mkv", (f[0] for f in frames), FPS)
    write_video(root / "depth.mkv", (f[1] for f in frames), FPS)
    return root


def make_manifest(root: Path, events: list[Event] | None = None) -> Manifest:
    streams = [Stream(kind="ir", path=str(root / "ir.mkv"), fps=FPS, width=W, height=H,
                      n_frames=T),
               Stream(kind="depth", path=str(root / "depth.mkv"), fps=FPS, width=W, height=H,
                      n_frames=T)]
    if events is None:
        events = [Event(id="E1", recording="R1", t0=0.0, t1=2.0, label="FLE"),
                  Event(id="E2", recording="R1", t0=2.0, t1=T / FPS, label="TLE")]
    return Manifest(labels=["FLE", "TLE"], patients=[Patient(id="P1")],
                    recordings=[Recording(id="R1", patient="P1", streams=streams)],
                    events=events)


@pytest.fixture
def manifest(recording_dir: Path) -> Manifest:
    return make_manifest(recording_dir)


@pytest.fixture
def manifest_with(recording_dir: Path) -> Callable[[list[Event]], Manifest]:
    """A manifest of the tiny recording with the events given."""
    return lambda events: make_manifest(recording_dir, events)


@pytest.fixture(scope="session")
def phantom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny phantom dataset (2 patients) with its ground truth."""
    from ictal.phantom import PhantomConfig, generate_dataset

    out = tmp_path_factory.mktemp("phantom")
    generate_dataset(PhantomConfig.tiny(n_patients=2), out, workers=1, progress=False)
    return out


@pytest.fixture(scope="session")
def models() -> None:
    """The packaged pose models are installed (``make setup`` does it); fail, never skip."""
    from ictal.landmarks.files import install_command, iter_status

    bad = [f"{path} ({status})" for _spec, path, status in iter_status() if status != "ok"]
    if bad:
        pytest.fail("model files not installed: " + ", ".join(bad)
                    + f"\n  hint: run `{install_command()}` (or `make setup`)", pytrace=False)
