"""The crop geometry of one recording, computed once from its first frame(s) and saved as JSON.

:func:`plan_recording` reads only the frames it needs (the first seconds for the IR window,
the detection key frames) and records every parameter, so a plan replays exactly.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ictal import __version__
from ictal.errors import ConfigError, IctalError, ShapeError
from ictal.fsutil import write_json_atomic
from ictal.manifest.schema import Manifest, Montage, Recording
from ictal.preprocess.bed_volume import BedVolume, fit_bed_volume
from ictal.preprocess.boxes import Box
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.denoise import denoise_depth
from ictal.preprocess.depth_crop import DepthPlanes, apply_depth_crop, fit_depth_planes
from ictal.preprocess.depth_geometry import DepthGeometryDetector, Intrinsics
from ictal.preprocess.detection import (
    CropDecision,
    DepthMaskDetector,
    Detector,
    detection_crop_box,
)
from ictal.preprocess.intensity import IrWindow, fit_ir_window, to_uint8

log = logging.getLogger(__name__)

PLAN_FORMAT = "ictal-preprocess-plan/1"


class PlanError(IctalError):
    """A recording cannot be planned (missing stream, unreadable first frame, ...)."""


@dataclass(frozen=True)
class KeyframeCrop:
    """The detection crop decided on one key frame (frame 0, then every N frames)."""

    frame: int
    crop_box: Box
    detection_box: Box | None
    bed: tuple[Box, float] | None
    person: tuple[Box, float] | None
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        def scored(x: tuple[Box, float] | None) -> dict[str, Any] | None:
            return None if x is None else {"box": list(x[0]), "score": x[1]}

        return {"frame": self.frame, "crop_box": list(self.crop_box),
                "detection_box": None if self.detection_box is None else list(self.detection_box),
                "bed": scored(self.bed), "person": scored(self.person), "ok": self.ok}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KeyframeCrop:
        def scored(x: dict[str, Any] | None) -> tuple[Box, float] | None:
            return None if x is None else (tuple(x["box"]), float(x["score"]))  # type: ignore[return-value]

        det = d["detection_box"]
        return cls(int(d["frame"]), tuple(d["crop_box"]),  # type: ignore[arg-type]
                   None if det is None else tuple(det),  # type: ignore[arg-type]
                   scored(d["bed"]), scored(d["person"]), bool(d["ok"]))


@dataclass(frozen=True)
class RecordingPlan:
    """Everything :func:`~ictal.preprocess.pipeline.iter_samples` needs besides the frames.

    Attributes:
        recording, patient: manifest ids.
        variant: dataset variant (``A``, ``B``, ``B0.5``) the plan was made for.
        source: stream kind the samples come from (``"ir"`` or ``"rgb"``).
        streams: ``{kind: absolute path}`` of the streams used.
        fps, n_frames, width, height: of the source stream.
        depth_planes: Algorithm 1 result, ``None`` when depth cropping is off or impossible.
        bed_volume: the volume over the bed (``depth_crop.method="bed-volume"``), ``None``
            otherwise or when no bed was found (then the planes of Algorithm 1 crop).
        montage: the recording's picture-in-picture layout (seed 002), ``None`` for one view;
            with one, every window gives one sample per view and the detection crop is off.
        apply_depth_crop: whether samples are depth-cropped (``False`` for variant A, whose
            boxes still come from the depth-cropped frame).
        keyframes: detection crop per key frame; a frame uses the latest key frame <= it.
        ir_window: 16-bit -> 8-bit window (``None`` for 8-bit sources).
        qc_frames: frames shown on the QC contact sheet.
        notes: anything that fell back (no depth stream, nothing detected, ...).
        config: the full preprocessing config (``model_dump``).
    """

    recording: str
    patient: str
    variant: str
    source: str
    streams: dict[str, str]
    fps: Fraction
    n_frames: int
    width: int
    height: int
    depth_planes: DepthPlanes | None
    apply_depth_crop: bool
    keyframes: tuple[KeyframeCrop, ...]
    ir_window: IrWindow | None
    qc_frames: tuple[int, ...]
    notes: tuple[str, ...] = ()
    bed_volume: BedVolume | None = None
    montage: Montage | None = None
    config: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    version: str = __version__

    def crop_box_at(self, frame: int) -> Box:
        """Detection crop box in force at source frame ``frame``."""
        box = self.keyframes[0].crop_box
        for key in self.keyframes:
            if key.frame > frame:
                break
            box = key.crop_box
        return box

    def crop_bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Per-pixel depth bounds ``(lo, hi)`` (``(H, W)`` ``float32`` mm) of the depth crop in
        force: the bed volume when there is one, else Algorithm 1's planes, else ``None``."""
        if self.bed_volume is not None:
            return self.bed_volume.bounds()
        return None if self.depth_planes is None else self.depth_planes.bounds()

    @property
    def detection_ok(self) -> bool:
        return all(k.ok for k in self.keyframes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation (``fps`` as ``"num/den"``)."""
        return {
            "format": PLAN_FORMAT, "recording": self.recording, "patient": self.patient,
            "variant": self.variant, "source": self.source, "streams": dict(self.streams),
            "fps": f"{self.fps.numerator}/{self.fps.denominator}", "n_frames": self.n_frames,
            "width": self.width, "height": self.height,
            "depth_planes": None if self.depth_planes is None else self.depth_planes.to_dict(),
            "bed_volume": None if self.bed_volume is None else self.bed_volume.to_dict(),
            "montage": None if self.montage is None else self.montage.model_dump(mode="json"),
            "apply_depth_crop": self.apply_depth_crop,
            "keyframes": [k.to_dict() for k in self.keyframes],
            "ir_window": None if self.ir_window is None else
            {"lo": self.ir_window.lo, "hi": self.ir_window.hi},
            "qc_frames": list(self.qc_frames), "notes": list(self.notes),
            "config": self.config, "created": self.created, "version": self.version,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RecordingPlan:
        if d.get("format") != PLAN_FORMAT:
            raise ConfigError(f"not a preprocessing plan (format {d.get('format')!r})",
                              hint=f"plans are written by `ictal preprocess` ({PLAN_FORMAT})")
        planes = d["depth_planes"]
        window = d["ir_window"]
        return cls(
            recording=d["recording"], patient=d["patient"], variant=d["variant"],
            source=d["source"], streams=dict(d["streams"]), fps=Fraction(d["fps"]),
            n_frames=int(d["n_frames"]), width=int(d["width"]), height=int(d["height"]),
            depth_planes=None if planes is None else DepthPlanes.from_dict(planes),
            bed_volume=(None if d.get("bed_volume") is None
                        else BedVolume.from_dict(d["bed_volume"])),
            montage=None if d.get("montage") is None else Montage.model_validate(d["montage"]),
            apply_depth_crop=bool(d["apply_depth_crop"]),
            keyframes=tuple(KeyframeCrop.from_dict(k) for k in d["keyframes"]),
            ir_window=None if window is None else IrWindow(window["lo"], window["hi"]),
            qc_frames=tuple(d["qc_frames"]), notes=tuple(d["notes"]), config=d["config"],
            created=d.get("created", ""), version=d.get("version", ""),
        )

    def save(self, path: Path | str) -> Path:
        write_json_atomic(path, self.to_dict())
        return Path(path)

    @classmethod
    def load(cls, path: Path | str) -> RecordingPlan:
        path = Path(path)
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as err:
            raise ConfigError(f"{path}: cannot read the preprocessing plan: {err}") from err


def make_detector(config: PreprocessConfig) -> Detector:
    """The detector named in ``config.detection``."""
    det = config.detection
    if det.detector == "depth-mask":
        return DepthMaskDetector(opening=det.depth_mask_opening)
    if det.detector == "depth-geometry":
        return DepthGeometryDetector(Intrinsics(*det.depth_intrinsics),
                                     fallback=DepthMaskDetector(opening=det.depth_mask_opening))
    if det.detector == "onnx":
        from ictal.preprocess.onnx_detector import OnnxDetector

        assert det.onnx is not None  # checked by DetectionConfig's validator
        return OnnxDetector(det.onnx)
    from ictal.preprocess.pose_detector import MediapipePoseDetector

    return MediapipePoseDetector()


def qc_indices(n_frames: int, count: int = 5) -> tuple[int, ...]:
    """``count`` frames spread evenly over ``n_frames``, first and last included (seed 000)."""
    if n_frames <= 0:
        return ()
    return tuple(sorted({round(float(x)) for x in np.linspace(0, n_frames - 1, count)}))


def grey_to_rgb(frame: np.ndarray) -> np.ndarray:
    """``(H, W)`` ``uint8`` -> ``(H, W, 3)`` ``uint8`` by repeating the channel."""
    return np.repeat(frame[..., None], 3, axis=2) if frame.ndim == 2 else frame


@dataclass
class FramePrep:
    """Per-frame spatial steps shared by planning, QC and the pipeline (no resizing)."""

    config: PreprocessConfig
    bounds: tuple[np.ndarray, np.ndarray] | None  # per-pixel depth bounds of the crop (mm)
    window: IrWindow | None

    def depth(self, depth: np.ndarray) -> np.ndarray:
        """Denoise ``(H, W)`` / ``(T, H, W)`` ``uint16`` depth as configured."""
        d = self.config.denoise
        if not d.enabled:
            return depth
        return denoise_depth(depth, size=d.size, iterations=d.iterations,
                             zeros_only=d.zeros_only)

    def source(self, frames: np.ndarray, depth: np.ndarray | None,
               crop_depth: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Depth-crop (when ``crop_depth``) and convert to 8 bit.

        Args:
            frames: ``(T, H, W)`` ``uint16`` IR, or ``(T, H, W[, 3])`` ``uint8``.
            depth: matching ``(T, H, W)`` raw depth or ``None``.

        Returns:
            ``(frames uint8, depth after denoising and cropping or None)``.
        """
        dep = None if depth is None else self.depth(depth)
        if crop_depth and self.bounds is not None and dep is not None:
            if frames.ndim == 4:  # RGB is not registered with depth
                raise ShapeError("depth cropping needs IR frames registered with the depth")
            dep, frames = apply_depth_crop(dep, frames, *self.bounds)  # type: ignore[assignment]
        if frames.dtype == np.uint16:
            if self.window is None:
                raise ShapeError("16-bit frames need an IR window")
            frames = to_uint8(frames, self.window)
        return frames, dep


    def cropped(self, frames: np.ndarray, depth: np.ndarray | None, box: Box,
                crop_depth: bool) -> np.ndarray:
        """:meth:`source` restricted to ``box``: the same pixels as cropping its result, but
        denoising, depth cropping and 8-bit conversion only touch the box (plus the
        dilation's reach around it, so the result is identical).

        Args:
            frames: ``(T, H, W)`` ``uint16`` IR, or ``(T, H, W[, 3])`` ``uint8``.
            depth: matching ``(T, H, W)`` raw depth or ``None``.

        Returns:
            ``(T, y1 - y0, x1 - x0[, 3])`` ``uint8``.
        """
        x0, y0, x1, y1 = box
        h, w = frames.shape[1:3]
        d = self.config.denoise
        m = d.size * d.iterations if d.enabled else 0
        X0, Y0, X1, Y1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
        inner = (slice(None), slice(y0 - Y0, y1 - Y0), slice(x0 - X0, x1 - X0))
        if not (crop_depth and self.bounds is not None and depth is not None):
            out, _ = self.source(frames[:, y0:y1, x0:x1], None, crop_depth=False)
            return out
        dep = self.depth(depth[:, Y0:Y1, X0:X1])[inner]
        lo, hi = (b[y0:y1, x0:x1] for b in self.bounds)
        if frames.ndim == 4:
            raise ShapeError("depth cropping needs IR frames registered with the depth")
        _, region = apply_depth_crop(dep, frames[:, y0:y1, x0:x1], lo, hi)
        assert region is not None  # IR was given
        if region.dtype == np.uint16:
            if self.window is None:
                raise ShapeError("16-bit frames need an IR window")
            return to_uint8(region, self.window)
        return region


def _first_frames(reader: Any, count: int) -> np.ndarray:
    return reader.read(0, min(count, reader.info.n_frames))


def plan_recording(
    manifest: Manifest, recording_id: str, config: PreprocessConfig, *,
    detector: Detector | None = None,
) -> RecordingPlan:
    """Compute the crop geometry of one recording (reads its first frame(s) only).

    Steps: IR window from the first ``config.intensity.seconds``; depth planes by Algorithm 1
    on the denoised first depth frame; on each key frame (frame 0, then every
    ``redetect_every`` frames) the detector runs on the depth-cropped (or raw) 8-bit frame and
    the seeds' bed + person rule gives the crop box. A key frame where nothing is found keeps
    the full frame and is noted in ``notes``.

    Raises:
        PlanError: the recording lacks the source stream or its frames do not match the depth.
    """
    from ictal.io import open_video

    try:
        rec: Recording = manifest.recording(recording_id)
    except KeyError as err:
        raise PlanError(f"no recording {recording_id!r} in the manifest") from err
    if not rec.has_stream(config.source):
        have = ", ".join(s.kind for s in rec.streams)
        raise PlanError(f"recording {rec.id} has no {config.source} stream (it has {have})",
                        hint="set `source:` in the preprocessing config to a stream it has")
    notes: list[str] = []
    streams = {config.source: str(manifest.resolve(rec.stream(config.source)))}
    has_depth = rec.has_stream("depth") and config.source == "ir"
    if has_depth:
        streams["depth"] = str(manifest.resolve(rec.stream("depth")))
    wants_depth = config.depth_crop.enabled or config.detection.on_depth_cropped
    if wants_depth and not has_depth:
        notes.append("no depth stream registered with the source: depth cropping skipped")

    with open_video(streams[config.source], threads=config.decode_threads) as src:
        info = src.info
        fps, n = info.fps, info.n_frames
        if n == 0:
            raise PlanError(f"recording {rec.id}: the {config.source} stream has no frames")
        first = _first_frames(src, max(1, math.ceil(config.intensity.seconds * fps)))
        window: IrWindow | None = None
        if first.dtype == np.uint16:
            ic = config.intensity
            window = (IrWindow(*ic.window) if ic.method == "fixed" and ic.window is not None
                      else fit_ir_window(first, low_percentile=ic.low_percentile,
                                         high_percentile=ic.high_percentile))
        del first
        planes: DepthPlanes | None = None
        volume: BedVolume | None = None
        prep = FramePrep(config, None, window)
        dep_reader = open_video(streams["depth"], threads=config.decode_threads) \
            if has_depth and wants_depth else None
        try:
            if dep_reader is not None:
                if (dep_reader.info.width, dep_reader.info.height) != (info.width, info.height):
                    raise PlanError(
                        f"recording {rec.id}: depth {dep_reader.info.width}x"
                        f"{dep_reader.info.height} is not registered with {config.source} "
                        f"{info.width}x{info.height}",
                        hint="depth cropping needs pixel-aligned IR and depth (Kinect v2)",
                    )
                first_depth = prep.depth(dep_reader.read(0, 1)[0])
                dc = config.depth_crop
                planes = fit_depth_planes(first_depth, n_sigma=dc.n_sigma)
                if dc.method == "bed-volume":
                    volume = fit_bed_volume(
                        first_depth, intrinsics=Intrinsics(*config.detection.depth_intrinsics),
                        floor_gap_mm=dc.floor_gap_mm, above_mm=dc.above_mm, margin_mm=dc.margin_mm)
                    if volume is None:
                        notes.append("no floor or bed found on the first depth frame: "
                                     "depth-cropped with Algorithm 1 instead")
                prep.bounds = (volume or planes).bounds()
            # the bed volume leaves no floor: detectors then see the cropped IR (staff gone) but
            # the whole depth frame (the depth-geometry detector starts from the floor)
            if rec.montage is not None:  # a box over two views would crop neither
                keyframes = [KeyframeCrop(0, (0, 0, info.width, info.height), None, None, None,
                                          True)]
                notes.append("montage: one sample per view; no detection crop")
            else:
                keyframes = _detect_keyframes(src, dep_reader, prep, config, detector, notes,
                                              whole_depth=volume is not None)
        finally:
            if dep_reader is not None:
                dep_reader.close()

    return RecordingPlan(
        recording=rec.id, patient=rec.patient, variant=config.variant, source=config.source,
        streams=streams, fps=fps, n_frames=n, width=info.width, height=info.height,
        depth_planes=planes, bed_volume=volume, montage=rec.montage,
        apply_depth_crop=config.depth_crop.enabled and planes is not None,
        keyframes=tuple(keyframes), ir_window=window,
        qc_frames=qc_indices(n, config.qc_frames), notes=tuple(notes),
        config=config.model_dump(mode="json"),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _detect_keyframes(
    src: Any, dep_reader: Any, prep: FramePrep, config: PreprocessConfig,
    detector: Detector | None, notes: list[str], *, whole_depth: bool,
) -> list[KeyframeCrop]:
    info = src.info
    full: Box = (0, 0, info.width, info.height)
    if not config.detection.enabled:
        return [KeyframeCrop(0, full, None, None, None, True)]
    detector = detector or make_detector(config)
    every = config.detection.redetect_every
    frames = [0] if every is None else list(range(0, info.n_frames, every))
    out = []
    for k in frames:
        image = src.read(k, k + 1)
        depth = None if dep_reader is None else dep_reader.read(k, k + 1)
        image8, dep = prep.source(image, depth, crop_depth=config.detection.on_depth_cropped)
        if whole_depth and depth is not None:
            dep = prep.depth(depth)
        decision: CropDecision = detection_crop_box(
            detector.detect(grey_to_rgb(image8[0]), depth=None if dep is None else dep[0]),
            info.width, info.height, margin=config.detection.margin,
            min_score=config.detection.min_score,
        )
        if not decision.ok:
            notes.append(f"frame {k}: no bed or person detected by {detector.name}; "
                         "the full frame is kept")
        out.append(KeyframeCrop(k, decision.crop_box or full, decision.detection_box,
                                decision.bed, decision.person, decision.ok))
    return out
