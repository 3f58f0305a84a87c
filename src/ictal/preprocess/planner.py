"""Plan one recording: its crop geometry from its first frame(s) (:func:`plan_recording`).

Reads only the frames it needs -- the first seconds for the IR window or the low-light map, the
first depth frame for the depth crop, the detection key frames (and, when nothing is found
there, a few frames after them) -- and returns a :class:`~ictal.preprocess.plan.RecordingPlan`
that records every parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ictal.errors import IctalError
from ictal.manifest.schema import PICTURE_KINDS, Manifest, Montage, Recording
from ictal.preprocess.bed_volume import BedVolume, fit_bed_volume
from ictal.preprocess.boxes import Box
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.depth_crop import DepthPlanes, fit_depth_planes
from ictal.preprocess.depth_geometry import Intrinsics
from ictal.preprocess.detection import (
    Detections,
    Detector,
    consensus,
    detection_crop_box,
    grey_to_rgb,
)
from ictal.preprocess.detector_factory import DEPTH_DETECTORS, make_detector
from ictal.preprocess.frame_prep import FramePrep
from ictal.preprocess.intensity import IrWindow, fit_ir_window
from ictal.preprocess.lowlight import LightWindow, fit_light_window
from ictal.preprocess.plan import GIVEN_CROP, KeyframeCrop, RecordingPlan
from ictal.preprocess.qc import qc_indices

if TYPE_CHECKING:
    from ictal.io.reader import VideoReader


class PlanError(IctalError):
    """A recording cannot be planned (missing stream, unreadable first frame, ...)."""


@runtime_checkable
class FrameConsensus(Protocol):
    """A detector with its own rule for one detection from several frames' (the pose
    detector's common body axis); other detectors get
    :func:`~ictal.preprocess.detection.consensus` (per-side medians)."""

    def consensus(self, frames: Sequence[Detections], width: int, height: int
                  ) -> Detections: ...


def plan_recording(
    manifest: Manifest, recording_id: str, config: PreprocessConfig, *,
    detector: Detector | None = None,
) -> RecordingPlan:
    """Compute the crop geometry of one recording (reads its first frame(s) only).

    Steps: the source stream (``config.source``, or with ``auto`` the recording's rgb stream,
    else its ir stream); the IR window from the first ``config.intensity.seconds`` (16-bit
    sources) or the low-light map from the first ``config.lowlight.seconds`` (8-bit sources,
    when enabled); the depth crop (the bed volume, or Algorithm 1's planes, which are fitted
    and reported either way) on the denoised first depth frame; on each key frame (frame 0,
    then every ``redetect_every`` frames) the detector runs on the depth-cropped (or raw)
    8-bit frame and the seeds' bed + person rule gives the crop box -- when nothing is found,
    on the frames of the next ``detection.search_seconds`` -- and on each view of a montage
    separately (detectors that need no depth). A crop given by hand in the manifest
    (``Recording.crop``, of the frame or of a montage's view) replaces the detector's for the
    whole recording. A key frame where nothing is found keeps the
    full frame and is noted in ``notes``; so is every step that could not be done (no depth
    stream, no bed found).

    Args:
        detector: used instead of the one ``config.detection`` names (tests, benchmarks).

    Raises:
        PlanError: the recording lacks the source stream, or its frames do not match the depth.
    """
    from ictal.io import open_video

    rec = _recording(manifest, recording_id, config)
    source = resolve_source(rec, config)
    notes: list[str] = []
    if config.source == "auto":
        notes.append(f"source: {source} (auto)")
    streams = {source: str(manifest.resolve(rec.stream(source)))}
    has_depth = rec.has_stream("depth") and source == "ir"
    if has_depth:
        streams["depth"] = str(manifest.resolve(rec.stream("depth")))
    wants_depth = config.depth_crop.enabled or config.detection.on_depth_cropped
    if wants_depth and not has_depth:
        notes.append("no depth stream registered with the source: depth cropping skipped")

    with open_video(streams[source], threads=config.decode_threads) as src:
        info = src.info
        if info.n_frames == 0:
            raise PlanError(f"recording {rec.id}: the {source} stream has no frames")
        window = _ir_window(src, config)
        light = _light_window(src, config)
        prep = FramePrep(config, None, window, light)
        planes: DepthPlanes | None = None
        volume: BedVolume | None = None
        dep_reader = (open_video(streams["depth"], threads=config.decode_threads)
                      if has_depth and wants_depth else None)
        try:
            if dep_reader is not None:
                _check_registered(rec, config, src, dep_reader)
                planes, volume = _depth_crop(prep.depth(dep_reader.read(0, 1)[0]), config,
                                             notes)
                prep = FramePrep(config, (volume or planes).bounds(), window, light)
            depth_detector = detector is None and config.detection.detector in DEPTH_DETECTORS
            given = _given_crops(rec, config, notes)
            all_given = rec.montage is not None and set(given) == set(rec.montage.views)
            if rec.montage is not None and not all_given and (
                    depth_detector or not config.detection.enabled):
                # a box over two views would crop neither, and the views have no depth
                keyframes = [KeyframeCrop(0, (0, 0, info.width, info.height), None, None, None,
                                          True)]
                notes.append("montage: one sample per view; no detection crop")
            else:
                # the bed volume leaves no floor: detectors then see the cropped IR (staff gone)
                # but the whole depth frame (the depth-geometry detector starts from the floor)
                keyframes = _detect_keyframes(src, dep_reader, prep, config, detector, notes,
                                              whole_depth=volume is not None,
                                              montage=rec.montage, given=given,
                                              recording=rec.id)
        finally:
            if dep_reader is not None:
                dep_reader.close()

    return RecordingPlan(
        recording=rec.id, patient=rec.patient, variant=config.variant, source=source,
        streams=streams, fps=info.fps, n_frames=info.n_frames, width=info.width,
        height=info.height, depth_planes=planes, bed_volume=volume, montage=rec.montage,
        apply_depth_crop=config.depth_crop.enabled and planes is not None,
        keyframes=tuple(keyframes), ir_window=window, light_window=light,
        qc_frames=qc_indices(info.n_frames, config.qc_frames), notes=tuple(notes),
        config=config.model_dump(mode="json"),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


#: The streams ``source: auto`` takes, in order of preference.
AUTO_SOURCES = PICTURE_KINDS


def source_kinds(config: PreprocessConfig) -> tuple[str, ...]:
    """The stream kinds ``config`` may read, in order of preference: ``config.source``, or
    :data:`AUTO_SOURCES` for ``auto``."""
    return AUTO_SOURCES if config.source == "auto" else (config.source,)


def resolved_source(config: PreprocessConfig, kinds: Sequence[str]) -> str | None:
    """The stream kind ``config`` reads from a recording with streams ``kinds`` (the first of
    :func:`source_kinds` it has), ``None`` when it has none of them."""
    return next((k for k in source_kinds(config) if k in kinds), None)


def resolve_source(rec: Recording, config: PreprocessConfig) -> str:
    """The stream kind the samples of ``rec`` come from (:func:`resolved_source`).

    Raises:
        PlanError: the recording has no such stream.
    """
    kind = resolved_source(config, [s.kind for s in rec.streams])
    if kind is None:
        have = ", ".join(s.kind for s in rec.streams)
        raise PlanError(f"recording {rec.id} has no {' or '.join(source_kinds(config))} "
                        f"stream (it has {have})",
                        hint="set `source:` in the preprocessing config to a stream it has "
                             "(`auto`: its rgb stream, else its ir stream)")
    return kind


def _recording(manifest: Manifest, recording_id: str, config: PreprocessConfig) -> Recording:
    """The manifest's recording ``recording_id``, which must have the config's source stream."""
    try:
        rec = manifest.recording(recording_id)
    except KeyError as err:
        raise PlanError(f"no recording {recording_id!r} in the manifest") from err
    resolve_source(rec, config)
    return rec


def _light_window(src: VideoReader, config: PreprocessConfig,
                  max_pixels: int = 2_000_000) -> LightWindow | None:
    """The low-light map of an 8-bit recording, fitted on its first ``config.lowlight.seconds``
    (``None`` when off or for 16-bit sources). Frames are streamed and subsampled on a regular
    grid so that about ``max_pixels`` pixels are held at most, whatever the resolution."""
    lc = config.lowlight
    if not lc.enabled or src.info.dtype != np.uint8:
        return None
    count = min(max(1, math.ceil(lc.seconds * src.info.fps)), src.info.n_frames)
    step = max(1, math.ceil(math.sqrt(count * src.info.width * src.info.height / max_pixels)))
    # copies: a strided view would keep every full-size frame alive (2 s of 1080p: 310 MB)
    first = np.stack([frame[::step, ::step].copy() for _, frame in src.iter_frames(0, count)])
    return fit_light_window(first, low_percentile=lc.low_percentile,
                            high_percentile=lc.high_percentile,
                            target_median=lc.target_median, gamma_range=lc.gamma_range)


def _ir_window(src: VideoReader, config: PreprocessConfig) -> IrWindow | None:
    """The 16-bit -> 8-bit window of the recording (``None`` for 8-bit sources): fixed, or
    fitted on the first ``config.intensity.seconds``."""
    if src.info.dtype != np.uint16:  # read nothing: 2 s of 1080p RGB would be 370 MB
        return None
    count = max(1, math.ceil(config.intensity.seconds * src.info.fps))
    first = src.read(0, min(count, src.info.n_frames))
    ic = config.intensity
    if ic.method == "fixed" and ic.window is not None:
        return IrWindow(*ic.window)
    return fit_ir_window(first, low_percentile=ic.low_percentile,
                         high_percentile=ic.high_percentile)


def _check_registered(rec: Recording, config: PreprocessConfig, src: VideoReader,
                      depth: VideoReader) -> None:
    """Depth cropping needs depth frames pixel-aligned with the source frames."""
    info, dinfo = src.info, depth.info
    if (dinfo.width, dinfo.height) != (info.width, info.height):
        raise PlanError(
            f"recording {rec.id}: depth {dinfo.width}x{dinfo.height} is not registered with "
            f"{config.source} {info.width}x{info.height}",
            hint="depth cropping needs pixel-aligned IR and depth (Kinect v2)",
        )


def _depth_crop(first_depth: np.ndarray, config: PreprocessConfig,
                notes: list[str]) -> tuple[DepthPlanes, BedVolume | None]:
    """Algorithm 1's planes and, with ``depth_crop.method="bed-volume"``, the volume over the
    bed, from the denoised first depth frame ``(H, W)`` ``uint16`` mm."""
    dc = config.depth_crop
    planes = fit_depth_planes(first_depth, n_sigma=dc.n_sigma)
    if dc.method != "bed-volume":
        return planes, None
    volume = fit_bed_volume(
        first_depth, intrinsics=Intrinsics(*config.detection.depth_intrinsics),
        floor_gap_mm=dc.floor_gap_mm, above_mm=dc.above_mm, margin_mm=dc.margin_mm)
    if volume is None:
        notes.append("no floor or bed found on the first depth frame: "
                     "depth-cropped with Algorithm 1 instead")
    return planes, volume


def _given_crops(rec: Recording, config: PreprocessConfig, notes: list[str]
                 ) -> dict[str | None, Box]:
    """The crops given by hand in the manifest per view (``Recording.crop``), where the config
    crops by detection; otherwise none, and a note says the manifest's were not used."""
    given = rec.given_crops
    if given and not config.detection.enabled:
        notes.append("the crop given in the manifest is not used: this preprocessing has no "
                     "detection crop (detection.enabled is false)")
        return {}
    return given


def given_crops_used(plan: RecordingPlan) -> dict[str | None, Box]:
    """The crops of ``plan``'s first key frame given by hand, per view (empty when none)."""
    key = plan.keyframes[0]
    return {c.view: c.crop_box for c in key.views or (key,) if c.detector == GIVEN_CROP}


def plan_is_current(plan: RecordingPlan, rec: Recording) -> bool:
    """Whether ``plan`` used the crops ``rec`` gives by hand now (a crop set, changed or
    cleared in the manifest since makes the plan stale); plans made without detection
    cropping used none whatever the manifest says."""
    if not (plan.config.get("detection") or {}).get("enabled", True):
        return True
    return given_crops_used(plan) == rec.given_crops


def _given_keyframe(recording: str, view: str | None, box: Box, size: tuple[int, int]
                    ) -> KeyframeCrop:
    """The crop of a view given by hand, checked against the picture's ``(width, height)``."""
    w, h = size
    if box[2] > w or box[3] > h:
        where = "" if view is None else f" of view {view}"
        raise PlanError(f"recording {recording}: the crop{where} given in the manifest "
                        f"{list(box)} reaches beyond the {w}x{h} picture",
                        hint=f"give a box within 0 <= x0 < x1 <= {w}, 0 <= y0 < y1 <= {h} "
                             f"(`ictal manifest crop MANIFEST {recording} --box x0,y0,x1,y1"
                             f"{'' if view is None else ' --view ' + view}`)")
    return KeyframeCrop(0, box, None, None, None, True, GIVEN_CROP, view=view)


def _consensus(detector: Detector, frames: Sequence[Detections], width: int, height: int
               ) -> Detections:
    """One detection from several frames' on a ``width x height`` picture: the detector's
    own rule (:class:`FrameConsensus`), else per-side medians."""
    if isinstance(detector, FrameConsensus):
        return detector.consensus(frames, width, height)
    return consensus(frames)


def _detect_keyframes(
    src: VideoReader, dep_reader: VideoReader | None, prep: FramePrep,
    config: PreprocessConfig, detector: Detector | None, notes: list[str], *,
    whole_depth: bool, montage: Montage | None = None,
    given: dict[str | None, Box] | None = None, recording: str = "",
) -> list[KeyframeCrop]:
    """The detection crop of every key frame (the full frame when detection is off); of each
    view when the recording is a montage. Frames after a key frame are searched as
    ``config.detection`` asks (``search_seconds``, ``consensus_frames``). A view whose crop is
    ``given`` (by hand, in the manifest) is not detected on: its box holds for the whole
    recording; when every view's is given the detector is not even loaded.

    Raises:
        PlanError: a given crop reaches beyond its picture.
    """
    from ictal.io.montage import split_montage

    info = src.info
    full: Box = (0, 0, info.width, info.height)
    if not config.detection.enabled:
        return [KeyframeCrop(0, full, None, None, None, True)]
    given = given or {}
    views = [None] if montage is None else list(montage.views)
    picture_size = {v: (info.width, info.height) if montage is None
                    else montage.view_size(v, (info.width, info.height)) for v in views}
    fixed = {v: _given_keyframe(recording, v, given[v], picture_size[v]) for v in given}
    if fixed:
        notes.append("crop given in the manifest" + ("" if montage is None else
                     f" (view {', '.join(str(v) for v in fixed)})"))
    detected = [v for v in views if v not in fixed]
    if not detected:
        return [fixed[None] if montage is None else
                KeyframeCrop(0, full, None, None, None, True, GIVEN_CROP,
                             views=tuple(fixed[v] for v in views))]
    detector = detector or make_detector(config)
    dc = config.detection
    every = dc.redetect_every
    keys = [0] if every is None else list(range(0, info.n_frames, every))
    reach = math.floor(dc.search_seconds * info.fps)
    step = max(1, round(dc.search_step_seconds * info.fps))
    out = []
    for i, k in enumerate(keys):
        last = min(k + reach, (keys[i + 1] if i + 1 < len(keys) else info.n_frames) - 1)
        hits: dict[str | None, list[tuple[int, Detections]]] = {v: [] for v in detected}
        for c in range(k, last + 1, step):
            image = src.read(c, c + 1)
            depth = None if dep_reader is None else dep_reader.read(c, c + 1)
            image8, dep = prep.source(image, depth, crop_depth=dc.on_depth_cropped)
            if whole_depth and depth is not None:
                dep = prep.depth(depth)
            pictures: dict[str | None, np.ndarray] = (
                {None: image8[0]} if montage is None
                else dict(split_montage(image8[0], montage)))
            for view in detected:
                if len(hits[view]) >= dc.consensus_frames:
                    continue
                found = detector.detect(grey_to_rgb(pictures[view]),
                                        depth=None if dep is None else dep[0])
                if bool((found.scores >= dc.min_score).any()):
                    hits[view].append((c, found))
            if all(len(h) >= dc.consensus_frames for h in hits.values()):
                break
        crops = []
        for view in views:
            if view in fixed:
                crops.append(replace(fixed[view], frame=k))
                continue
            w, h = picture_size[view]
            used = [c for c, _ in hits[view]]
            found = (Detections.empty() if not used else hits[view][0][1] if len(used) == 1
                     else _consensus(detector, [d for _, d in hits[view]], w, h))
            decision = detection_crop_box(found, w, h, margin=dc.margin, min_score=dc.min_score)
            where = "" if view is None else f" (view {view})"
            if not decision.ok:
                searched = f"frames {k}-{last}" if last > k else f"frame {k}"
                notes.append(f"{searched}{where}: no bed or person detected by "
                             f"{detector.name}; the full frame is kept")
            elif used[0] != k:
                notes.append(f"frame {k}{where}: nothing detected by {detector.name}; "
                             f"detected on frame {used[0]}")
            crops.append(KeyframeCrop(
                k, decision.crop_box or (0, 0, w, h), decision.detection_box, decision.bed,
                decision.person, decision.ok, detector.name,
                () if used == [k] else tuple(used), decision.bed_source,
                decision.person_source, view))
        if montage is None:
            out.append(crops[0])
        else:
            out.append(KeyframeCrop(k, full, None, None, None, all(v.ok for v in crops),
                                    detector.name, views=tuple(crops)))
    return out
