"""Seed 002's Eq. 1 on exact frame times, and events that are no seizures under its rule."""

from __future__ import annotations

import logging
from fractions import Fraction

import pytest

from ictal.manifest.schema import Event
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.temporal import exact_seconds, gestures_label
from ictal.preprocess.windows import plan_windows
from ictal.timebase import FrameSpan

FPS = Fraction(30)


def test_midpoint_on_a_float_tg_is_generalised() -> None:
    # tG = frame 56 at 30 fps, stored as a float (the manifest's seconds): 1.8666666666666667
    # is a little more than 28/15, and a float-against-fraction test called this snippet FOS
    t_g = 56 / 30
    span = FrameSpan(52, 60, FPS)  # midpoint (52 + 60) / 2 = frame 56 exactly
    assert span.t_mid == Fraction(28, 15)
    assert Fraction(t_g) > span.t_mid  # the binary double lies beyond the frame boundary
    assert gestures_label(span, t_g) == 1
    assert gestures_label(FrameSpan(51, 59, FPS), t_g) == 0  # midpoint 55: before tG
    # NTSC: frame 3000 at 30000/1001 fps
    ntsc = Fraction(30000, 1001)
    assert gestures_label(FrameSpan(2996, 3004, ntsc), 3000 * 1001 / 30000) == 1
    assert gestures_label(FrameSpan(2995, 3003, ntsc), 3000 * 1001 / 30000) == 0


def test_exact_seconds() -> None:
    assert exact_seconds(56 / 30, FPS) == Fraction(56, 30)
    assert exact_seconds(12.345, FPS) == Fraction(2469, 200)  # the decimal written
    assert exact_seconds(Fraction(1, 3), FPS) == Fraction(1, 3)


def _events() -> list[Event]:
    return [Event(id="R-pre", recording="R", t0=0.0, t1=2.0, label="NE", semiology="pre-ictal"),
            Event(id="R-sz", recording="R", t0=2.0, t1=8.0, tG=6.0, label="TCS"),
            Event(id="R-post", recording="R", t0=8.0, t1=10.0, label="NE",
                  semiology="post-ictal")]


def test_pre_and_post_ictal_events_are_left_out_with_a_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    config = PreprocessConfig.model_validate({"temporal": {"label_rule": "gestures"}})
    with caplog.at_level(logging.WARNING):
        windows = plan_windows(_events(), 300, FPS, 30, config)
    assert {w.event.id for w in windows if w.event} == {"R-sz"}
    assert [w.label for w in windows] == ["FOS"] * 4 + ["TCS"] * 2
    assert "2 non-seizure event(s) (label NE) left out" in caplog.text
    # the seeds' event labels keep every event (seed 000's non-epileptic class)
    plain = plan_windows(_events(), 300, FPS, 30, PreprocessConfig())
    assert {w.event.id for w in plain if w.event} == {"R-pre", "R-sz", "R-post"}
    # a manifest whose non-seizure label is another word names it
    other = PreprocessConfig.model_validate(
        {"temporal": {"label_rule": "gestures", "non_seizure_labels": ["TCS"]}})
    assert {w.event.id for w in plan_windows(_events(), 300, FPS, 30, other)
            if w.event} == {"R-pre", "R-post"}


def test_variant_gestures_resamples_to_15_fps_for_any_backbone(manifest_with) -> None:
    from ictal.inputspec import InputSpec
    from ictal.preprocess.config import resolve_config
    from ictal.preprocess.pipeline import iter_samples
    from ictal.preprocess.planner import plan_recording

    manifest = manifest_with([
        Event(id="pre", recording="R1", t0=0.0, t1=1.0, label="NE"),
        Event(id="sz", recording="R1", t0=1.0, t1=100 / 30, tG=2.0, label="TCS")])
    config = resolve_config(variant="gestures")
    assert config.frames.style == "gestures" and config.temporal.label_rule == "gestures"
    assert not config.detection.enabled and not config.depth_crop.enabled
    config = config.model_copy(update={"temporal": config.temporal.model_copy(
        update={"length": 8})})
    spec = InputSpec(frames=60, size=32)  # a backbone that keeps the stream's 30 fps
    plan = plan_recording(manifest, "R1", config)
    samples = list(iter_samples(manifest, plan, config, spec))
    assert {s.span.fps for s in samples} == {Fraction(15)}
    assert all(s.event == "sz" and s.frames.shape == (3, 8, 32, 32) for s in samples)
    # frames 15-50 at 15 fps: snippets [15, 23), [23, 31), [31, 39), [39, 47); tG = frame 30
    assert [(s.span.start, s.label) for s in samples] == [
        (15, "FOS"), (23, "FOS"), (31, "TCS"), (39, "TCS")]
