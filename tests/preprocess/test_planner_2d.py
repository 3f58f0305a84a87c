"""plan_recording on 2D video: the source chosen per recording, the search for a first frame
with somebody on it, the consensus of several frames, and a crop per view of a montage."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ictal.inputspec import InputSpec
from ictal.io import write_video
from ictal.manifest import Event, Manifest, Montage, Patient, Recording, Stream
from ictal.preprocess.boxes import Box, clip_box, expand_box, mask_box
from ictal.preprocess.config import PreprocessConfig, variant_config
from ictal.preprocess.detection import PERSON, Detections
from ictal.preprocess.frames import fit_square, normalise
from ictal.preprocess.pipeline import iter_samples
from ictal.preprocess.plan import GIVEN_CROP, RecordingPlan
from ictal.preprocess.planner import (
    FrameConsensus,
    PlanError,
    given_crops_used,
    plan_is_current,
    plan_recording,
    resolve_source,
)

FPS, H, W = 30, 48, 64
SPEC = InputSpec(frames=30, size=16)


class BrightDetector:
    """A person wherever the frame is bright (> 128); nobody on a dark frame."""

    name = "bright"

    def __init__(self) -> None:
        self.seen = 0

    def detect(self, image: np.ndarray, *, depth: np.ndarray | None = None) -> Detections:
        self.seen += 1
        box = mask_box(image.max(axis=2) > 128)
        if box is None:
            return Detections.empty()
        return Detections(np.asarray([box], np.float32), np.asarray([0.9], np.float32),
                          (PERSON,), ("bright pixels",))


def person_at(t: int, boxes: dict[int, Box]) -> np.ndarray:
    """``(H, W, 3)`` uint8: dark, with a white rectangle at the latest box of ``boxes``
    starting at or before frame ``t`` (none before the first)."""
    frame = np.full((H, W, 3), 20, np.uint8)
    starts = [s for s in boxes if s <= t]
    if starts:
        x0, y0, x1, y1 = boxes[max(starts)]
        frame[y0:y1, x0:x1] = 255
    return frame


def video(tmp_path: Path, name: str, frames: list[np.ndarray]) -> Path:
    path = tmp_path / f"{name}.mkv"
    write_video(path, iter(frames), FPS)  # FFV1: lossless
    return path


def manifest_of(streams: list[Stream], montage: Montage | None = None,
                n_frames: int = 60) -> Manifest:
    return Manifest(labels=["FLE"], patients=[Patient(id="P1")],
                    recordings=[Recording(id="R1", patient="P1", streams=streams,
                                          montage=montage)],
                    events=[Event(id="E1", recording="R1", t0=0.0, t1=n_frames / FPS,
                                  label="FLE")])


def config(**detection: object) -> PreprocessConfig:
    return PreprocessConfig(source="auto", depth_crop={"enabled": False},
                            detection={"on_depth_cropped": False, **detection})


def test_source_auto_takes_the_rgb_stream_else_the_ir_one(tmp_path: Path) -> None:
    rgb = Stream(kind="rgb", path="a.mp4", fps=FPS)
    ir = Stream(kind="ir", path="b.mp4", fps=FPS)
    depth = Stream(kind="depth", path="c.mkv", fps=FPS)
    auto = PreprocessConfig(source="auto")
    rec = Recording(id="R1", patient="P1", streams=[ir, depth, rgb])
    assert resolve_source(rec, auto) == "rgb"
    assert resolve_source(rec, PreprocessConfig()) == "ir"  # the Kinect default stays ir
    assert resolve_source(rec.model_copy(update={"streams": [ir]}), auto) == "ir"
    with pytest.raises(PlanError, match="has no rgb or ir stream") as err:
        resolve_source(rec.model_copy(update={"streams": [depth]}), auto)
    assert "auto" in (err.value.hint or "")
    path = video(tmp_path, "night", [person_at(t, {0: (20, 10, 40, 30)}) for t in range(60)])
    manifest = manifest_of([Stream(kind="ir", path=str(path), fps=FPS)])
    plan = plan_recording(manifest, "R1", config(), detector=BrightDetector())
    assert plan.source == "ir" and set(plan.streams) == {"ir"}
    assert plan.config["source"] == "auto" and "source: ir (auto)" in plan.notes


def test_nobody_on_the_first_frame_the_next_frames_are_searched(tmp_path: Path) -> None:
    box = (20, 10, 40, 30)
    path = video(tmp_path, "late", [person_at(t, {12: box}) for t in range(60)])
    manifest = manifest_of([Stream(kind="rgb", path=str(path), fps=FPS)])
    # searched every 5 frames (1/6 s) within the first second: found on frame 15
    detector = BrightDetector()
    plan = plan_recording(manifest, "R1", config(search_seconds=1.0,
                                                 search_step_seconds=1 / 6),
                          detector=detector)
    (key,) = plan.keyframes
    assert key.ok and key.frame == 0 and key.detected_on == (15,)
    assert key.person == (box, pytest.approx(0.9)) and key.person_from == "bright pixels"
    assert key.detector == "bright" and detector.seen == 4  # frames 0, 5, 10, 15
    assert key.crop_box == clip_box(expand_box(box, 0.3), W, H)
    assert "frame 0: nothing detected by bright; detected on frame 15" in plan.notes
    assert plan.crop_box_at(0) == key.crop_box  # the crop holds from frame 0
    saved = RecordingPlan.from_dict(plan.to_dict())
    assert saved.keyframes == plan.keyframes
    # bounded: not found within the search, the whole frame is kept and noted
    plan = plan_recording(manifest, "R1", config(search_seconds=0.3), detector=BrightDetector())
    assert not plan.keyframes[0].ok and plan.keyframes[0].crop_box == (0, 0, W, H)
    assert any(n.startswith("frames 0-9: no bed or person") for n in plan.notes)
    # the seeds' rule: the key frame alone
    plan = plan_recording(manifest, "R1", config(), detector=BrightDetector())
    assert not plan.keyframes[0].ok and plan.keyframes[0].detected_on == ()


def test_the_2d_variant_gathers_its_consensus_frames_after_a_late_first_detection(
        tmp_path: Path) -> None:
    # variant 2d: every 0.5 s until 11 frames have somebody on them, within 10 s. A patient the
    # detector finds from 3 s on gets 11 frames (3-8 s), not the 5 left in the first 5 s
    cfg = variant_config("2d")
    box = (20, 10, 40, 30)
    path = video(tmp_path, "late", [person_at(t, {90: box}) for t in range(12 * FPS)])
    manifest = manifest_of([Stream(kind="rgb", path=str(path), fps=FPS)], n_frames=12 * FPS)
    detector = BrightDetector()
    (key,) = plan_recording(manifest, "R1", cfg, detector=detector).keyframes
    assert key.ok and key.detected_on == tuple(range(90, 241, 15))
    assert len(key.detected_on) == cfg.detection.consensus_frames
    assert detector.seen == 17  # frames 0, 15, ..., 240: none searched after the 11th found
    assert key.person_from == "bright pixels; median of 11 frames"
    # found from the first frame on: the first 5 s, as before
    path = video(tmp_path, "early", [person_at(t, {0: box}) for t in range(12 * FPS)])
    manifest = manifest_of([Stream(kind="rgb", path=str(path), fps=FPS)], n_frames=12 * FPS)
    detector = BrightDetector()
    (key,) = plan_recording(manifest, "R1", cfg, detector=detector).keyframes
    assert key.detected_on == tuple(range(0, 151, 15)) and detector.seen == 11


def test_a_consensus_of_frames_takes_each_side_from_the_median(tmp_path: Path) -> None:
    boxes = {0: (20, 10, 40, 30), 5: (22, 11, 41, 29), 10: (2, 2, 62, 46), 15: (21, 9, 39, 31)}
    path = video(tmp_path, "moving", [person_at(t, boxes) for t in range(60)])
    manifest = manifest_of([Stream(kind="rgb", path=str(path), fps=FPS)])
    plan = plan_recording(manifest, "R1", config(consensus_frames=3, search_seconds=1.0,
                                                 search_step_seconds=1 / 6),
                          detector=BrightDetector())
    (key,) = plan.keyframes
    assert key.detected_on == (0, 5, 10)
    # frame 10's wrong box (nearly the whole frame) moves no side
    assert key.person is not None and key.person[0] == (20, 10, 41, 30)
    assert key.person_from == "bright pixels; median of 3 frames"


class UnionDetector(BrightDetector):
    """:class:`BrightDetector` with its own rule for several frames: the union of their boxes
    (the pose detector's is the body axis of the frames)."""

    def consensus(self, frames: Sequence[Detections], width: int, height: int) -> Detections:
        boxes = np.stack([f.boxes[0] for f in frames])
        union = np.concatenate([boxes[:, :2].min(axis=0), boxes[:, 2:].max(axis=0)])
        assert (width, height) == (W, H)
        return Detections(union[None].astype(np.float32), np.asarray([0.5], np.float32),
                          (PERSON,), (f"union of {len(frames)} frames",))


def test_a_detector_with_its_own_consensus_combines_the_frames(tmp_path: Path) -> None:
    boxes = {0: (20, 10, 40, 30), 5: (22, 11, 41, 29), 10: (18, 12, 39, 31)}
    path = video(tmp_path, "moving", [person_at(t, boxes) for t in range(60)])
    manifest = manifest_of([Stream(kind="rgb", path=str(path), fps=FPS)])
    cfg = config(consensus_frames=3, search_seconds=1.0, search_step_seconds=1 / 6)
    assert isinstance(UnionDetector(), FrameConsensus)
    assert not isinstance(BrightDetector(), FrameConsensus)
    (key,) = plan_recording(manifest, "R1", cfg, detector=UnionDetector()).keyframes
    assert key.detected_on == (0, 5, 10)
    assert key.person == ((18, 10, 41, 31), pytest.approx(0.5))
    assert key.person_from == "union of 3 frames"
    # one frame alone is kept as it is
    (key,) = plan_recording(manifest, "R1", config(), detector=UnionDetector()).keyframes
    assert key.person == ((20, 10, 40, 30), pytest.approx(0.9))


def test_each_view_of_a_montage_gets_its_own_crop(tmp_path: Path) -> None:
    montage = Montage(small_box=(40, 0, 64, 18), large_view="bed", small_view="face")
    frames = []
    for t in range(60):
        frame = person_at(t, {0: (5, 20, 25, 40)})  # the large view's person
        frame[0:18, 40:64] = 20
        frame[4:10, 46:52] = 255  # the small view's: (6, 4, 12, 10) in its own pixels
        frames.append(frame)
    path = video(tmp_path, "pip", frames)
    manifest = manifest_of([Stream(kind="rgb", path=str(path), fps=FPS)], montage=montage)
    plan = plan_recording(manifest, "R1", config(), detector=BrightDetector())
    (key,) = plan.keyframes
    assert key.crop_box == (0, 0, W, H) and key.ok and plan.detection_ran
    bed, face = key.views
    assert (bed.view, face.view) == ("bed", "face")
    assert bed.crop_box == clip_box(expand_box((5, 20, 25, 40), 0.3), W, H)
    assert face.crop_box == clip_box(expand_box((6, 4, 12, 10), 0.3), 24, 18)
    assert plan.crop_box_at(30, "face") == (face.crop_box[0] + 40, face.crop_box[1],
                                            face.crop_box[2] + 40, face.crop_box[3])
    assert RecordingPlan.from_dict(plan.to_dict()).keyframes == plan.keyframes
    samples = list(iter_samples(manifest, plan, config(), SPEC))
    assert [(s.span.start, s.view) for s in samples] == [
        (0, "bed"), (0, "face"), (30, "bed"), (30, "face")]
    clip = np.stack(frames[:30]).astype(np.float32)

    def expected(pixels: np.ndarray) -> np.ndarray:  # (T, h, w, 3) -> backbone input
        planes = np.moveaxis(pixels, 3, 0).reshape(-1, *pixels.shape[1:3])
        square = fit_square(planes, SPEC.size)[0].reshape(3, 30, SPEC.size, SPEC.size)
        return normalise(square, SPEC)

    x0, y0, x1, y1 = face.crop_box
    np.testing.assert_allclose(samples[1].frames, expected(clip[:, 0:18, 40:64][:, y0:y1, x0:x1]),
                               atol=1e-5)
    large = clip.copy()
    large[:, 0:18, 40:64] = 0  # the small view is blanked out of the large one
    x0, y0, x1, y1 = bed.crop_box
    np.testing.assert_allclose(samples[0].frames, expected(large[:, y0:y1, x0:x1]), atol=1e-5)
    assert samples[1].crop_box == plan.crop_box_at(0, "face")
    assert samples[0].crop_box == bed.crop_box


class NoDetector:
    """Fails the test when asked to detect: a crop given by hand needs no detector."""

    name = "none"

    def detect(self, image: np.ndarray, *, depth: np.ndarray | None = None) -> Detections:
        raise AssertionError("the detector ran on a recording whose crop is given")


def with_crop(manifest: Manifest, crop: object) -> Manifest:
    rec = manifest.recordings[0]
    given = Recording.model_validate({**rec.model_dump(), "crop": crop})
    return manifest.model_copy(update={"recordings": [given]})


def test_a_crop_given_in_the_manifest_replaces_the_detectors(tmp_path: Path) -> None:
    path = video(tmp_path, "r", [person_at(t, {0: (5, 20, 25, 40)}) for t in range(60)])
    manifest = with_crop(manifest_of([Stream(kind="rgb", path=str(path), fps=FPS)]),
                         [10, 12, 50, 44])
    plan = plan_recording(manifest, "R1", config(redetect_every=20), detector=NoDetector())
    (key,) = plan.keyframes  # one box for the whole recording: no key frame is re-detected
    assert key.crop_box == (10, 12, 50, 44) and key.detector == GIVEN_CROP and key.ok
    assert key.detection_box is None and key.person is None
    assert "crop given in the manifest" in plan.notes
    assert given_crops_used(plan) == {None: (10, 12, 50, 44)}
    assert plan_is_current(plan, manifest.recordings[0])
    # set, changed or cleared in the manifest since: the plan is stale
    assert not plan_is_current(plan, with_crop(manifest, [10, 12, 50, 40]).recordings[0])
    assert not plan_is_current(plan, with_crop(manifest, None).recordings[0])
    detected = plan_recording(with_crop(manifest, None), "R1", config(),
                              detector=BrightDetector())
    assert not plan_is_current(detected, manifest.recordings[0])
    assert plan_is_current(detected, with_crop(manifest, None).recordings[0])
    # beyond the picture: refused, naming the recording and the command that fixes it
    with pytest.raises(PlanError, match=r"R1: the crop given .* reaches beyond the 64x48") as err:
        plan_recording(with_crop(manifest, [10, 12, 65, 44]), "R1", config(),
                       detector=NoDetector())
    assert "ictal manifest crop" in (err.value.hint or "")


def test_a_crop_given_is_not_used_without_detection_cropping(tmp_path: Path) -> None:
    path = video(tmp_path, "r", [person_at(t, {0: (5, 20, 25, 40)}) for t in range(60)])
    manifest = with_crop(manifest_of([Stream(kind="rgb", path=str(path), fps=FPS)]),
                         [10, 12, 50, 44])
    plan = plan_recording(manifest, "R1", config(enabled=False))
    assert plan.keyframes[0].crop_box == (0, 0, W, H)
    assert any("not used" in n for n in plan.notes)
    assert plan_is_current(plan, manifest.recordings[0])


def test_a_montage_view_given_by_hand_and_the_other_detected(tmp_path: Path) -> None:
    montage = Montage(small_box=(40, 0, 64, 18), large_view="bed", small_view="face")
    frames = []
    for t in range(60):
        frame = person_at(t, {0: (5, 20, 25, 40)})
        frame[0:18, 40:64] = 20
        frame[4:10, 46:52] = 255
        frames.append(frame)
    path = video(tmp_path, "pip", frames)
    base = manifest_of([Stream(kind="rgb", path=str(path), fps=FPS)], montage=montage)
    detector = BrightDetector()
    plan = plan_recording(with_crop(base, {"face": [2, 1, 20, 16]}), "R1", config(),
                          detector=detector)
    bed, face = plan.keyframes[0].views
    assert face.crop_box == (2, 1, 20, 16) and face.detector == GIVEN_CROP
    assert bed.crop_box == clip_box(expand_box((5, 20, 25, 40), 0.3), W, H)
    assert bed.detector == "bright"
    # only the large view was searched: one detection per frame searched
    assert detector.seen == len(bed.detected_on or (0,))
    assert plan.crop_box_at(30, "face") == (42, 1, 60, 16)
    # both views given: nothing detected
    both = with_crop(base, {"face": [2, 1, 20, 16], "bed": [0, 10, 40, 48]})
    plan = plan_recording(both, "R1", config(), detector=NoDetector())
    assert [v.crop_box for v in plan.keyframes[0].views] == [(0, 10, 40, 48), (2, 1, 20, 16)]
    assert plan.detection_ran and plan_is_current(plan, both.recordings[0])
    # a view's box is in that view's pixels: the small view is 24 x 18
    with pytest.raises(PlanError, match="of view face"):
        plan_recording(with_crop(base, {"face": [2, 1, 25, 16]}), "R1", config(),
                       detector=NoDetector())
