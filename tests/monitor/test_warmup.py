"""The backbone warmed up before the beds are followed: I3D fp32 builds its ONNX Runtime
session on its first clip (about 10 s on a 2-core CPU); followed live, that fell on each bed's
first window while the next ones queued behind it, and they were dropped on every start."""

from __future__ import annotations

import logging
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.monitor.conftest import pattern, scene, write_scene

from ictal.backbones import load_backbone
from ictal.backbones.checkpoints import random_state_dict
from ictal.backbones.extractor import build_network
from ictal.backbones.registry import default_registry
from ictal.io import write_video
from ictal.models.bundle import load_bundle
from ictal.models.compat import prediction_config
from ictal.models.predict import load_bundle_backbone
from ictal.monitor.bed import WindowFrames
from ictal.monitor.service import Monitor, MonitorSettings
from ictal.monitor.sources import FileSource, Frame


@pytest.mark.slow
def test_the_i3d_session_a_beds_windows_use_is_built_before_any_feed_is_read(
        bundle: Path, tmp_path: Path) -> None:
    weights = tmp_path / "rgb_imagenet.pt"
    torch.save(random_state_dict(build_network(default_registry().get("i3d")), seed=0), weights)
    i3d = load_backbone("i3d", weights=weights)  # fp32, the default: ONNX Runtime
    assert i3d.engine == "onnxruntime" and i3d._runner.sessions == {}
    # a bed at 30 fps: 2 s windows of 60 frames, I3D's full sample. The test bundle (motion)
    # only gives the preprocessing here: nothing is scored.
    frames = scene(np.zeros(90, bool))  # 3 s at 30 fps, the patient lying still
    video = write_video(tmp_path / "bed.mkv", frames, Fraction(30))
    b = load_bundle(bundle)
    config, _ = prediction_config(b.meta)
    mon = Monitor(b, i3d, config, MonitorSettings(out=tmp_path / "out"))
    bed = mon.add_bed("bed1", FileSource(video, speed=0))
    assert bed.window == 60
    assert mon.warm_up() > 0
    key = (i3d.input_spec.channels, 60, 224, 224)
    assert list(i3d._runner.sessions) == [key]
    session = i3d._runner.sessions[key]
    # a window of the bed, through the bed's own preprocessing, is a clip of that shape:
    # its features come from the session built by the warm-up, no other is built
    now = time.monotonic()
    arrived = [Frame(i, px, now) for i, px in enumerate(frames)]
    bed.scorer.offer(arrived)
    assert bed.scorer.calibrated
    sample = bed.scorer._sample(WindowFrames(0, 0, 60, arrived[:60]))
    assert sample.frames.shape == key
    features, mask = i3d(torch.from_numpy(np.ascontiguousarray(sample.frames[None])), fps=30.0)
    assert features.shape == (1, 7, 1024) and bool(mask.all())
    assert list(i3d._runner.sessions) == [key] and i3d._runner.sessions[key] is session
    mon.close()


def test_start_warms_the_backbone_up_once_per_window_shape_before_following(
        bundle: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    video = write_scene(tmp_path / "bed.mkv", pattern([(4.0, False)]))
    b = load_bundle(bundle)
    config, _ = prediction_config(b.meta)
    mon = Monitor(b, load_bundle_backbone(b), config, MonitorSettings(out=tmp_path / "out"))
    for name in ("bed1", "bed2"):  # two beds of the same window shape
        mon.add_bed(name, FileSource(video, speed=0))
    assert mon.warm_s == 0.0
    with caplog.at_level(logging.INFO, logger="ictal.monitor.service"):
        mon.start()
        warmed = caplog.text  # what was logged by the time start() returned
    assert mon.wait(120)
    mon.stop()
    mon.close()
    assert mon.warm_s > 0
    assert "warmed up on 1 window shape(s)" in warmed
