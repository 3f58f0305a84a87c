import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ictal.errors import IctalError
from ictal.inputspec import InputSpec
from ictal.io import open_video
from ictal.manifest import Event
from ictal.preprocess.config import PreprocessConfig, seed000_depth, variant_config
from ictal.preprocess.denoise import denoise_depth
from ictal.preprocess.depth_crop import apply_depth_crop
from ictal.preprocess.frames import fit_square, normalise
from ictal.preprocess.intensity import to_uint8
from ictal.preprocess.pipeline import iter_samples
from ictal.preprocess.plan import RecordingPlan
from ictal.preprocess.planner import PlanError, plan_recording
from ictal.preprocess.windows import event_frames

SPEC = InputSpec(frames=60, size=32)
H, W, T, FPS = 53, 64, 100, 30  # the recording of conftest.py


def reference_frames(root: Path, plan: RecordingPlan, start: int, stop: int,
                     depth_crop: bool) -> np.ndarray:
    """The whole chain on in-memory arrays: what a streamed sample must equal."""
    with open_video(root / "ir.mkv") as r:
        ir = r.read(start, stop)
    with open_video(root / "depth.mkv") as r:
        depth = denoise_depth(r.read(start, stop),
                              zeros_only=plan.config["denoise"]["zeros_only"])
    if depth_crop:
        _, ir = apply_depth_crop(depth, ir, *plan.crop_bounds())
    x0, y0, x1, y1 = plan.crop_box_at(start)
    grey = to_uint8(ir, plan.ir_window)[:, y0:y1, x0:x1]
    return normalise(fit_square(grey, SPEC.size)[0], SPEC)


def test_plan_finds_planes_box_and_window_and_round_trips(manifest, recording_dir: Path,
                                                          tmp_path: Path) -> None:
    config = seed000_depth(variant_config("B"))
    plan = plan_recording(manifest, "R1", config)
    assert plan.bed_volume is None
    assert plan.depth_planes is not None and plan.depth_planes.length_axis == "x"
    assert plan.depth_planes.loc == 20
    assert plan.apply_depth_crop and plan.detection_ok
    with open_video(recording_dir / "depth.mkv") as r:
        first = denoise_depth(r.read(0, 1)[0])
    kept, _ = apply_depth_crop(first, None, *plan.depth_planes.bounds())
    rows = np.flatnonzero(kept.any(axis=1))
    x0, y0, x1, y1 = plan.keyframes[0].detection_box
    assert (x0, x1) == (0, W) and (y0, y1) == (rows[0], rows[-1] + 1)
    assert 10 <= y0 < 20 < y1 <= 31  # the bed's rows around the patient's line
    dy = (y1 - y0) * 0.3
    assert plan.keyframes[0].crop_box == (0, math.floor(y0 - dy), W, math.ceil(y1 + dy))
    assert plan.qc_frames == (0, 25, 50, 74, 99)
    assert plan.ir_window is not None and plan.ir_window.hi > plan.ir_window.lo
    again = RecordingPlan.load(plan.save(tmp_path / "plan.json"))
    assert again.to_dict() == plan.to_dict()
    assert again.config["temporal"]["overlap"] == 0.0


@pytest.mark.parametrize("seed000", [True, False])
def test_streamed_samples_equal_the_in_memory_chain(manifest, recording_dir: Path,
                                                    seed000: bool) -> None:
    config = variant_config("B", PreprocessConfig(chunk_frames=7))
    config = seed000_depth(config) if seed000 else config
    plan = plan_recording(manifest, "R1", config)
    samples = list(iter_samples(manifest, plan, config, SPEC))
    assert [(s.span.start, s.span.stop, s.event, s.label) for s in samples] == [
        (0, 60, "E1", "FLE"), (60, 100, "E2", "TLE")]  # E2 is a leftover of 40 frames
    for s in samples:
        assert s.frames.dtype == np.float32 and s.frames.shape == (3, s.span.n_frames, 32, 32)
        assert s.patient == "P1" and s.recording == "R1" and s.span.fps == Fraction(FPS)
        assert s.crop_box == plan.keyframes[0].crop_box
        assert s.provenance["depth_cropped"] is True
        ref = reference_frames(recording_dir, plan, s.span.start, s.span.stop, True)
        np.testing.assert_allclose(s.frames, ref, atol=1e-5)
    assert samples[0].span.t_stop == 2


def test_variant_a_skips_the_depth_crop_but_keeps_the_boxes(manifest, recording_dir) -> None:
    b = variant_config("B")
    a = variant_config("A")
    plan_b, plan_a = plan_recording(manifest, "R1", b), plan_recording(manifest, "R1", a)
    assert plan_a.keyframes[0].crop_box == plan_b.keyframes[0].crop_box
    assert not plan_a.apply_depth_crop
    sa = next(iter_samples(manifest, plan_a, a, SPEC))
    sb = next(iter_samples(manifest, plan_b, b, SPEC))
    np.testing.assert_allclose(
        sa.frames, reference_frames(recording_dir, plan_a, 0, 60, False), atol=1e-5)
    assert not np.allclose(sa.frames, sb.frames)  # the staff in frames 40-59 differ


def test_top_view_needs_a_bed_volume(manifest) -> None:
    cfg = variant_config("B+top")
    plan = plan_recording(manifest, "R1", cfg)
    assert plan.bed_volume is None  # the tiny scene has no floor: Algorithm 1 crops it
    with pytest.raises(IctalError, match=r"R1: no top view can be made .*no bed volume"):
        next(iter_samples(manifest, plan, cfg, SPEC))
    # without the top view the same plan streams as variant B does
    assert next(iter_samples(manifest, plan, variant_config("B"), SPEC)).topview is None


def test_overlap_and_sliding_windows(manifest_with) -> None:
    manifest = manifest_with([
        Event(id="E1", recording="R1", t0=0.0, t1=T / FPS, label="FLE")])
    config = variant_config("B0.5")
    plan = plan_recording(manifest, "R1", config)
    spans = [(s.span.start, s.span.stop) for s in iter_samples(manifest, plan, config, SPEC)]
    assert spans == [(0, 60), (30, 90), (60, 100)]
    sliding = list(iter_samples(manifest, plan, config, InputSpec(frames=16, size=32),
                                windows="sliding", stride=20))
    assert [s.span.start for s in sliding] == [0, 20, 40, 60, 80]
    assert all(s.frames.shape[1] == 16 and s.event == "E1" for s in sliding)


def test_gestures_resampling_tsn_and_eq1_labels(manifest_with) -> None:
    manifest = manifest_with([
        Event(id="S1", recording="R1", t0=0.0, t1=T / FPS, tG=2.0, label="TCS")])
    config = PreprocessConfig.model_validate({
        "frames": {"style": "gestures"},
        "temporal": {"sampling": "tsn", "tsn_segments": 4, "label_rule": "gestures"}})
    spec = InputSpec(frames=8, size=32, fps=15)
    plan = plan_recording(manifest, "R1", config)
    samples = list(iter_samples(manifest, plan, config, spec))
    n_timeline = math.ceil(T * 15 / FPS)  # 50 frames at 15 fps
    assert len(samples) == 4
    for s in samples:
        assert s.span.fps == 15 and s.frames.shape == (3, 8, 32, 32)
        assert s.span.start >= 0 and s.span.stop <= n_timeline
        assert s.label == ("TCS" if s.span.t_mid >= 2 else "FOS")
        assert s.provenance["source_frames"][0] == 2 * s.span.start
    assert [s.label for s in samples] == ["FOS", "FOS", "TCS", "TCS"]


def test_event_frames_snap_float_seconds() -> None:
    assert event_frames(56 / 30, 155 / 30, Fraction(30)) == (56, 155)
    assert event_frames(0.01, 0.99, Fraction(30)) == (0, 30)


def test_missing_stream_is_a_plan_error(manifest) -> None:
    with pytest.raises(PlanError, match="no rgb stream"):
        plan_recording(manifest, "R1", PreprocessConfig(source="rgb"))
    with pytest.raises(PlanError, match="no recording"):
        plan_recording(manifest, "R9", PreprocessConfig())
    assert H == 53


def test_rgb_source_keeps_colour(tmp_path: Path) -> None:
    from ictal.io import write_video
    from ictal.manifest import Manifest, Patient, Recording, Stream

    frames = np.zeros((40, 24, 32, 3), np.uint8)
    frames[..., 0] = 255  # red
    write_video(tmp_path / "rgb.mkv", iter(frames), 25)
    manifest = Manifest(
        labels=["FLE"], patients=[Patient(id="P1")],
        recordings=[Recording(id="R1", patient="P1", streams=[
            Stream(kind="rgb", path=str(tmp_path / "rgb.mkv"), fps=25)])],
        events=[Event(id="E1", recording="R1", t0=0, t1=1.6, label="FLE")])
    config = PreprocessConfig(source="rgb", detection={"enabled": False})
    plan = plan_recording(manifest, "R1", config)
    assert plan.ir_window is None and plan.depth_planes is None
    # 48 frames are 1.6 s at the reference 30 fps: 40 frames of this 25 fps stream
    (sample,) = iter_samples(manifest, plan, config, InputSpec(frames=48, size=16))
    assert sample.frames.shape == (3, 40, 16, 16)
    assert sample.frames[0, :, 8, 8].min() == pytest.approx(1.0)  # red channel
    assert sample.frames[1:, :, 8, 8].max() == pytest.approx(-1.0)


def test_redetection_every_n_frames(manifest) -> None:
    config = PreprocessConfig(detection={"redetect_every": 50})
    plan = plan_recording(manifest, "R1", config)
    assert [k.frame for k in plan.keyframes] == [0, 50]
    assert plan.crop_box_at(49) == plan.keyframes[0].crop_box
    assert plan.crop_box_at(99) == plan.keyframes[1].crop_box
    samples = list(iter_samples(manifest, plan, config, InputSpec(frames=25, size=16),
                                windows="sliding"))
    assert [s.crop_box for s in samples] == [plan.crop_box_at(s.span.start) for s in samples]
    assert len(samples) == 4


def test_montage_recordings_give_one_sample_per_view(tmp_path: Path) -> None:
    from ictal.io import write_video
    from ictal.manifest import Manifest, Montage, Patient, Recording, Stream

    rng = np.random.default_rng(0)
    ir = rng.integers(500, 4000, size=(70, H, W), dtype=np.uint16)
    write_video(tmp_path / "pip.mkv", iter(ir), FPS)
    montage = Montage(small_box=(0, 0, 24, 18), large_view="bed", small_view="face")
    manifest = Manifest(
        labels=["FLE"], patients=[Patient(id="P1")],
        recordings=[Recording(id="R1", patient="P1", montage=montage, streams=[
            Stream(kind="ir", path=str(tmp_path / "pip.mkv"), fps=FPS, width=W, height=H,
                   n_frames=70)])],
        events=[Event(id="E1", recording="R1", t0=0.0, t1=70 / FPS, label="FLE")])
    config = variant_config("B")
    plan = plan_recording(manifest, "R1", config)
    assert plan.montage == montage and plan.keyframes[0].crop_box == (0, 0, W, H)
    assert RecordingPlan.from_dict(plan.to_dict()).montage == montage
    samples = list(iter_samples(manifest, plan, config, SPEC))
    assert [(s.span.start, s.span.stop, s.view) for s in samples] == [
        (0, 60, "bed"), (0, 60, "face"), (60, 70, "bed"), (60, 70, "face")]
    grey = to_uint8(ir[:60], plan.ir_window)
    face = normalise(fit_square(grey[:, 0:18, 0:24], SPEC.size)[0], SPEC)
    bed = grey.copy()
    bed[:, 0:18, 0:24] = 0
    np.testing.assert_allclose(samples[1].frames, face, atol=1e-5)
    np.testing.assert_allclose(samples[0].frames,
                               normalise(fit_square(bed, SPEC.size)[0], SPEC), atol=1e-5)


def _rgb_recording(tmp_path: Path, n: int, fps: int, size: tuple[int, int] = (64, 48)):
    from ictal.io import write_video
    from ictal.manifest import Manifest, Patient, Recording, Stream

    w, h = size
    rng = np.random.default_rng(1)
    write_video(tmp_path / "rgb.mkv", (rng.integers(0, 256, (h, w, 3), np.uint8)
                                       for _ in range(n)), fps)
    return Manifest(labels=["FLE"], patients=[Patient(id="P1")], recordings=[Recording(
        id="R1", patient="P1", streams=[Stream(kind="rgb", path=str(tmp_path / "rgb.mkv"),
                                                 fps=fps)])])


def test_a_sample_lasts_two_seconds_at_25_fps_and_the_tail_is_scored(tmp_path: Path) -> None:
    """Clinic video at 25 fps: 2 s samples are 50 frames (60 at the Kinect's 30 fps), and the
    sliding windows of prediction end with the leftover of >= 10 frames (seeds 000/001)."""
    manifest = _rgb_recording(tmp_path, 120, 25)
    config = PreprocessConfig(source="rgb", detection={"enabled": False})
    plan = plan_recording(manifest, "R1", config)
    spec = InputSpec(frames=60, size=16)
    spans = [(s.span.start, s.span.stop) for s in
             iter_samples(manifest, plan, config, spec, windows="sliding")]
    assert spans == [(0, 50), (50, 100), (100, 120)]
    overlapping = list(iter_samples(manifest, plan, config, spec, windows="sliding",
                                    stride=25))
    assert [(s.span.start, s.span.stop) for s in overlapping] == [
        (0, 50), (25, 75), (50, 100), (75, 120)]
    assert overlapping[0].span.t_stop == 2 and overlapping[0].frames.shape[1] == 50
    explicit = PreprocessConfig(source="rgb", detection={"enabled": False},
                                temporal={"length": 60})  # frames, as the user wrote them
    assert [s.span.stop for s in iter_samples(manifest, plan, explicit, spec,
                                              windows="sliding")] == [60, 120]


def test_a_fast_stream_is_resampled_to_30_fps(tmp_path: Path) -> None:
    manifest = _rgb_recording(tmp_path, 150, 60)
    config = PreprocessConfig(source="rgb", detection={"enabled": False})
    plan = plan_recording(manifest, "R1", config)
    samples = list(iter_samples(manifest, plan, config, InputSpec(frames=60, size=16),
                                windows="sliding"))
    assert [(s.span.start, s.span.stop, s.span.fps) for s in samples] == [
        (0, 60, 30), (60, 75, 30)]  # 2.5 s: one 2 s sample and the 0.5 s leftover
    assert samples[0].provenance["source_frames"] == [0, 119]


def test_streaming_holds_a_few_frames_not_the_clip(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning and streaming an 8-bit RGB recording hold a few full-size frames at a time
    (chunks bounded in bytes, no 2 s read for an IR window the source does not need)."""
    import tracemalloc

    import ictal.preprocess.pipeline as pipeline_module

    frame_bytes = 320 * 240 * 3
    manifest = _rgb_recording(tmp_path, 120, 30, size=(320, 240))  # the clip: 27.6 MB
    monkeypatch.setattr(pipeline_module, "CHUNK_BYTES", 4 * frame_bytes)
    config = PreprocessConfig(source="rgb", detection={"enabled": False})

    def run() -> int:
        plan = plan_recording(manifest, "R1", config)
        return sum(1 for _ in iter_samples(manifest, plan, config,
                                           InputSpec(frames=60, size=16), windows="sliding"))

    assert run() == 2  # imports done before measuring
    tracemalloc.start()
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # measured: 31 frames (4 in the decoder's queue, the chunk, its stack, its RGB planes,
    # their float32 copy); 62 when the planner reads 2 s for an IR window, 226 with 32-frame
    # chunks of this size
    assert peak < 45 * frame_bytes, f"{peak / frame_bytes:.0f} frames held at once"
