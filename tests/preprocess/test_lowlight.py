"""Low-light normalisation: the tone map of a dark recording, fitted once, applied everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ictal.errors import ShapeError
from ictal.inputspec import InputSpec
from ictal.io import write_video
from ictal.manifest import Event, Manifest, Patient, Recording, Stream
from ictal.preprocess.config import PreprocessConfig, resolve_config
from ictal.preprocess.dataset import preprocess_dataset
from ictal.preprocess.frames import normalise
from ictal.preprocess.lowlight import (
    LightWindow,
    apply_light_window,
    fit_light_window,
    luminance,
)
from ictal.preprocess.pipeline import iter_samples
from ictal.preprocess.plan import RecordingPlan
from ictal.preprocess.planner import plan_recording

FPS, T, S = 30, 90, 16


def night(t: int) -> np.ndarray:
    """Frame ``t`` ``(S, S)`` uint8 of a dark room (values 4-24, a 'patient' brighter in the
    middle); the light goes on at frame 60 (everything 8 times brighter)."""
    y, x = np.mgrid[0:S, 0:S]
    frame = 4 + (x + y) * 0.3 + 8 * ((abs(x - 8) < 3) & (abs(y - 8) < 5)) + (t % 3)
    if t >= 60:
        frame = frame * 8
    return np.clip(np.rint(frame), 0, 255).astype(np.uint8)


@pytest.fixture
def dark_manifest(tmp_path: Path) -> Manifest:
    write_video(tmp_path / "night.mkv", (night(t) for t in range(T)), FPS)
    return Manifest(
        labels=["FLE"], patients=[Patient(id="P1")],
        recordings=[Recording(id="R1", patient="P1", streams=[
            Stream(kind="ir", path=str(tmp_path / "night.mkv"), fps=FPS)])],
        events=[Event(id="E1", recording="R1", t0=0.0, t1=T / FPS, label="FLE")])


def test_a_dark_frame_gets_a_readable_range() -> None:
    frames = np.stack([night(t) for t in range(30)])
    window = fit_light_window(frames)
    assert 4 <= window.lo < window.hi <= 26 and window.gamma < 1
    assert window.median == pytest.approx(float(np.median(frames)))
    out = apply_light_window(frames, window)
    assert out.dtype == np.uint8 and out.shape == frames.shape
    assert np.percentile(out, 1) <= 5 and np.percentile(out, 99) >= 250
    assert abs(np.median(out) - 0.4 * 255) < 20  # the median lifted to the target
    assert out.std() > 8 * frames.std()
    linear = fit_light_window(frames, target_median=None)
    assert linear.gamma == 1.0 and (linear.lo, linear.hi) == (window.lo, window.hi)


def test_a_bright_frame_is_not_darkened_and_the_map_is_monotone() -> None:
    day = np.clip(np.random.default_rng(0).normal(170, 40, (4, 32, 32)), 0, 255).astype(np.uint8)
    window = fit_light_window(day)
    assert window.gamma == 1.0  # median above the target: gamma kept at the range's top
    table = window.table
    assert table[0] == 0 and table[255] == 255 and np.all(np.diff(table.astype(int)) >= 0)
    constant = fit_light_window(np.full((2, 8, 8), 7, np.uint8))
    assert constant.hi - constant.lo == 1.0


def test_rgb_is_mapped_by_its_luminance_channel_for_channel() -> None:
    rgb = np.zeros((1, 4, 4, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 10, 20, 30
    np.testing.assert_allclose(luminance(rgb), 0.299 * 10 + 0.587 * 20 + 0.114 * 30, rtol=1e-6)
    window = LightWindow(0.0, 60.0)
    out = apply_light_window(rgb, window)
    assert out[0, 0, 0].tolist() == [42, 85, 128]  # 255 * v / 60, each channel alike
    grey = np.full((4, 4, 3), 30, np.uint8)
    assert len(np.unique(apply_light_window(grey, window))) == 1  # grey stays grey


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="hi > lo"):
        LightWindow(10.0, 10.0)
    with pytest.raises(ValueError, match="gamma > 0"):
        LightWindow(0.0, 10.0, gamma=0.0)
    with pytest.raises(ShapeError, match="8-bit"):
        apply_light_window(np.zeros((2, 2), np.uint16), LightWindow(0.0, 10.0))
    with pytest.raises(ShapeError, match="IR window"):
        fit_light_window(np.zeros((2, 2), np.uint16))
    with pytest.raises(ValueError, match="gamma_range"):
        PreprocessConfig(lowlight={"gamma_range": (1.0, 0.5)})


def test_the_map_is_fitted_once_recorded_in_the_plan_and_applied_to_every_frame(
        dark_manifest: Manifest) -> None:
    config = PreprocessConfig(source="ir", detection={"enabled": False},
                              lowlight={"enabled": True, "seconds": 1.0})
    plan = plan_recording(dark_manifest, "R1", config)
    first = np.stack([night(t) for t in range(FPS)])  # the first second only
    assert plan.light_window == fit_light_window(first)
    assert plan.ir_window is None
    again = RecordingPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again.light_window == plan.light_window
    # the light going on at frame 60 does not refit the map: those frames clip at 255
    (sample,) = iter_samples(dark_manifest, plan, config, InputSpec(frames=T, size=S))
    assert sample.provenance["light_window"] == plan.light_window.to_dict()
    expected = apply_light_window(np.stack([night(t) for t in range(T)]), plan.light_window)
    np.testing.assert_allclose(sample.frames, normalise(expected.astype(np.float32),
                                                        InputSpec(frames=T, size=S)), atol=1e-5)
    assert (expected[60:] == 255).mean() > 0.9
    # off: the frames are kept
    off = plan_recording(dark_manifest, "R1", PreprocessConfig(source="ir",
                                                                detection={"enabled": False}))
    assert off.light_window is None


def test_16_bit_infrared_is_left_to_the_ir_window(manifest: Manifest) -> None:
    config = PreprocessConfig(lowlight={"enabled": True}, detection={"enabled": False})
    plan = plan_recording(manifest, "R1", config)
    assert plan.light_window is None and plan.ir_window is not None


def test_dark_clips_give_readable_qc_sheets(dark_manifest: Manifest, tmp_path: Path) -> None:
    def sheet_mean(config: PreprocessConfig, out: Path) -> float:
        preprocess_dataset(dark_manifest, out, config)
        with Image.open(out / "R1" / "qc.png") as im:
            first = np.asarray(im.convert("L"))[16:, :256]  # frame 0 (dark), below its label
        return float(first.mean())

    config = resolve_config(variant="2d").model_copy(
        update={"detection": PreprocessConfig().detection.model_copy(update={"enabled": False})})
    lifted = sheet_mean(config, tmp_path / "lifted")
    raw = sheet_mean(config.model_copy(update={"lowlight": config.lowlight.model_copy(
        update={"enabled": False})}), tmp_path / "raw")
    assert raw < 40 and lifted > 3 * raw
