"""Per-limb semiology on analytic movements: known frequencies, amplitudes, speeds, sides."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ictal.keypoints.layout import B
from ictal.keypoints.semiology import (
    head_version,
    movement_features,
    window_bounds,
    windows_table,
    write_semiology,
)
from ictal.keypoints.store import KeypointTrack
from ictal.manifest import Manifest

from .conftest import Ictal


def _track(T: int = 300, fps: int = 30, left_hz: float = 1.0, right_amp: float = 0.0
           ) -> KeypointTrack:
    """A patient at rest in 3D (m) whose left wrist swings 0.1 m along x at ``left_hz``."""
    t = np.arange(T) / fps
    body = np.zeros((T, 11, 3), np.float32)
    body[..., 2] = 1.0
    rest = {"head": (0, -0.6, 2), "neck": (0, -0.4, 2), "left_shoulder": (0.2, -0.4, 2),
            "right_shoulder": (-0.2, -0.4, 2), "left_elbow": (0.3, -0.15, 2),
            "right_elbow": (-0.3, -0.15, 2), "left_wrist": (0.35, 0.1, 2),
            "right_wrist": (-0.35, 0.1, 2), "left_hip": (0.12, 0.15, 2),
            "right_hip": (-0.12, 0.15, 2), "spine_base": (0, 0.15, 2)}
    b3 = np.zeros((T, 11, 3), np.float32)
    for name, p in rest.items():
        b3[:, B[name]] = p
    b3[:, B["left_wrist"], 0] += 0.05 * np.sin(2 * np.pi * left_hz * t)
    b3[:, B["right_wrist"], 0] += right_amp * np.sin(2 * np.pi * 3.0 * t)
    return KeypointTrack("R", Fraction(fps), 64, 64, np.arange(T), body, np.zeros((T, 23, 3)),
                         body_3d=b3)


def test_a_sine_gives_its_frequency_amplitude_and_speed() -> None:
    fps, f, a = 30.0, 1.5, 0.05
    t = np.arange(60) / fps
    x = np.stack([a * np.sin(2 * np.pi * f * t), np.zeros(60), np.zeros(60)], 1)
    feats = movement_features(x, fps)
    assert feats["frequency"] == pytest.approx(f, abs=0.5)  # 2 s window: 0.5 Hz bins
    assert feats["band_power"] > 0.7
    assert feats["amplitude"] == pytest.approx(2 * a * math.sin(0.45 * math.pi), rel=0.05)
    assert feats["speed"] == pytest.approx(4 * a * f, rel=0.05)  # mean |v| of a sine
    assert feats["periodicity"] > 0.8
    noise = np.random.default_rng(0).normal(size=(60, 3))
    assert movement_features(noise, fps)["periodicity"] < 0.5
    # too few frames seen: nothing is measured
    x[::3] = np.nan
    assert math.isnan(movement_features(x, fps)["speed"])


def test_windows_are_exact_frames_and_sides_are_told_apart() -> None:
    assert window_bounds(300, Fraction(30000, 1001), 2.0)[:2] == [(0, 59), (59, 119)]
    rows = windows_table(_track(right_amp=0.0))
    assert len(rows) == 5 * 6  # 5 windows of 2 s, 6 limbs
    left = [r for r in rows if r["limb"] == "left_arm"]
    right = [r for r in rows if r["limb"] == "right_arm"]
    assert all(r["frequency"] == pytest.approx(1.0) for r in left)
    assert all(r["unit"] == "m" for r in rows)
    assert all(r["lateralisation"] == pytest.approx(1.0) for r in left)  # only the left moves
    assert all(r["speed"] == 0 for r in right)
    assert left[1]["t_start"] == 2.0 and left[1]["start_frame"] == 60
    # a faster right-side movement turns the index negative
    rows = windows_table(_track(right_amp=0.05))
    lat = [r["lateralisation"] for r in rows if r["limb"] == "left_arm"]
    assert all(v < -0.2 for v in lat)


def test_head_version_sign_follows_the_patient_left() -> None:
    track = _track(T=2)
    assert head_version(track)[0] == pytest.approx(0.0, abs=1e-6)
    track.body_3d[1, B["head"], 0] = 0.2  # towards the left shoulder (+x here)
    v = head_version(track)
    assert v[1] == pytest.approx(45.0, abs=0.5)
    track.body_3d[1, B["head"], 0] = -0.2
    assert head_version(track)[1] == pytest.approx(-45.0, abs=0.5)


def test_write_tables_and_plots(tmp_path: Path, phantom: Manifest, ictal: Ictal) -> None:
    written = write_semiology({"R": _track()}, tmp_path / "a")
    assert [p.name for p in written] == ["windows.csv", "R.png"]
    assert (tmp_path / "a" / "R.png").read_bytes()[:4] == b"\x89PNG"
    # the command on the phantom's ground truth, with per-seizure rows
    store = tmp_path / "store"
    assert ictal("keypoints", Path(phantom.root) / "manifest.yaml", "--out", store,
                 "--source", "phantom").code == 0
    r = ictal("semiology", store, "--out", tmp_path / "sem", "--manifest",
              Path(phantom.root) / "manifest.yaml")
    assert r.code == 0, r.text
    text = (tmp_path / "sem" / "seizures.csv").read_text().splitlines()
    assert text[0].startswith("recording,event,label,t0,t1,limb,unit,speed")
    n_events = sum(len(phantom.events_of(rec.id)) for rec in phantom.recordings)
    assert len(text) == 1 + 6 * n_events
