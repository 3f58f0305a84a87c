"""The crop geometry of one recording and its JSON file (``<out>/<recording>/plan.json``).

A :class:`RecordingPlan` is computed once per recording from its first frame(s) by
:func:`~ictal.preprocess.planner.plan_recording` and records every parameter, so that
:func:`~ictal.preprocess.pipeline.iter_samples` replays it exactly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ictal import __version__
from ictal.errors import ConfigError
from ictal.fsutil import write_json_atomic
from ictal.manifest.schema import Montage
from ictal.preprocess.bed_volume import BedVolume
from ictal.preprocess.boxes import Box
from ictal.preprocess.depth_crop import DepthPlanes
from ictal.preprocess.intensity import IrWindow
from ictal.preprocess.lowlight import LightWindow

PLAN_FORMAT = "ictal-preprocess-plan/1"


def _box(values: Sequence[Any]) -> Box:
    """A JSON list ``[x0, y0, x1, y1]`` as a :data:`Box` of ints."""
    x0, y0, x1, y1 = (int(v) for v in values)
    return (x0, y0, x1, y1)


#: ``KeyframeCrop.detector`` of a crop given by hand in the manifest (``Recording.crop``).
GIVEN_CROP = "manifest"


@dataclass(frozen=True)
class KeyframeCrop:
    """The detection crop decided on one key frame (frame 0, then every N frames).

    Attributes:
        frame: the key frame: the crop holds from it to the next key frame.
        crop_box: the crop (the view's pixels for a view of a montage).
        detection_box: the bed + person box before the margin, ``None`` when nothing was found.
        bed, person: the best box of each class and its score, ``None`` when not found.
        ok: whether a bed or a person was found.
        detector: the detector's name (``None`` in plans written before it was recorded;
            :data:`GIVEN_CROP` for a crop given by hand in the manifest).
        detected_on: the frames whose detections made the boxes when they are not the key
            frame alone (nothing was found on it, or a consensus of several frames was asked
            for: ``detection.consensus_frames``).
        bed_from, person_from: how each box was found when not by the detector itself
            (e.g. the bed derived from the person's body axis).
        view: the montage view this crop is of, ``None`` for the whole frame.
        views: of a montage's key frame, the crop of each view (in the montage's order).
    """

    frame: int
    crop_box: Box
    detection_box: Box | None
    bed: tuple[Box, float] | None
    person: tuple[Box, float] | None
    ok: bool
    detector: str | None = None
    detected_on: tuple[int, ...] = ()
    bed_from: str | None = None
    person_from: str | None = None
    view: str | None = None
    views: tuple[KeyframeCrop, ...] = ()

    def view_crop(self, view: str | None) -> KeyframeCrop:
        """The crop of montage view ``view`` (this crop for ``None`` or a key frame without
        per-view crops)."""
        for v in self.views:
            if v.view == view:
                return v
        return self

    def to_dict(self) -> dict[str, Any]:
        def scored(x: tuple[Box, float] | None) -> dict[str, Any] | None:
            return None if x is None else {"box": list(x[0]), "score": x[1]}

        return {"frame": self.frame, "crop_box": list(self.crop_box),
                "detection_box": None if self.detection_box is None else list(self.detection_box),
                "bed": scored(self.bed), "person": scored(self.person), "ok": self.ok,
                "detector": self.detector, "detected_on": list(self.detected_on),
                "bed_from": self.bed_from, "person_from": self.person_from,
                "view": self.view, "views": [v.to_dict() for v in self.views]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KeyframeCrop:
        def scored(x: dict[str, Any] | None) -> tuple[Box, float] | None:
            return None if x is None else (_box(x["box"]), float(x["score"]))

        det = d["detection_box"]
        return cls(int(d["frame"]), _box(d["crop_box"]), None if det is None else _box(det),
                   scored(d["bed"]), scored(d["person"]), bool(d["ok"]), d.get("detector"),
                   tuple(int(f) for f in d.get("detected_on") or ()), d.get("bed_from"),
                   d.get("person_from"),
                   d.get("view"), tuple(cls.from_dict(v) for v in d.get("views") or ()))


@dataclass(frozen=True)
class RecordingPlan:
    """Everything :func:`~ictal.preprocess.pipeline.iter_samples` needs besides the frames.

    Attributes:
        recording, patient: manifest ids.
        variant: dataset variant (``A``, ``B``, ``B0.5``, ``B+top``) the plan was made for.
        source: stream kind the samples come from (``"ir"`` or ``"rgb"``).
        streams: ``{kind: absolute path}`` of the streams used.
        fps, n_frames, width, height: of the source stream.
        depth_planes: Algorithm 1 result, ``None`` when depth cropping is off or impossible.
        bed_volume: the volume over the bed (``depth_crop.method="bed-volume"``), ``None``
            otherwise or when no bed was found (then the planes of Algorithm 1 crop).
        montage: the recording's picture-in-picture layout (seed 002), ``None`` for one view;
            with one, every window gives one sample per view, each view cropped by its own
            detection (:attr:`KeyframeCrop.views`) when the detector needs no depth, and
            uncropped otherwise.
        apply_depth_crop: whether samples are depth-cropped (``False`` for variant A, whose
            boxes still come from the depth-cropped frame).
        keyframes: detection crop per key frame; a frame uses the latest key frame <= it.
        ir_window: 16-bit -> 8-bit window (``None`` for 8-bit sources).
        light_window: the low-light tone map of an 8-bit source (``None``: off, or 16 bit).
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
    light_window: LightWindow | None = None
    config: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    version: str = __version__

    def keyframe_at(self, frame: int) -> KeyframeCrop:
        """The key frame whose crop is in force at source frame ``frame``."""
        found = self.keyframes[0]
        for key in self.keyframes:
            if key.frame > frame:
                break
            found = key
        return found

    def crop_box_at(self, frame: int, view: str | None = None) -> Box:
        """Detection crop box in force at source frame ``frame``: of the whole frame, or of
        montage view ``view`` in pixels of the whole frame (the small view's crop shifted by
        the corner it sits in)."""
        key = self.keyframe_at(frame)
        crop = key.view_crop(view)
        x0, y0, x1, y1 = crop.crop_box
        if crop is not key and self.montage is not None and view == self.montage.small_view:
            x, y = self.montage.small_box[:2]
            return (x0 + x, y0 + y, x1 + x, y1 + y)
        return (x0, y0, x1, y1)

    def crop_bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Per-pixel depth bounds ``(lo, hi)`` (``(H, W)`` ``float32`` mm) of the depth crop in
        force: the bed volume when there is one, else Algorithm 1's planes, else ``None``."""
        if self.bed_volume is not None:
            return self.bed_volume.bounds()
        return None if self.depth_planes is None else self.depth_planes.bounds()

    @property
    def detection_ok(self) -> bool:
        """Every key frame found a bed or a person (also ``True`` when no detector ran)."""
        return all(k.ok for k in self.keyframes)

    @property
    def detection_ran(self) -> bool:
        """Whether a detector chose the crop boxes: ``False`` when the config turns detection
        off, or the recording is a montage whose views were not detected on (a depth
        detector: the full frame is kept then)."""
        detection = self.config.get("detection") or {}
        ran = bool(detection.get("enabled", True))
        return ran and (self.montage is None or bool(self.keyframes[0].views))

    @property
    def depth_crop_method(self) -> str | None:
        """The depth crop applied to the samples: ``"bed-volume"``, ``"algorithm1"`` (also when
        no bed was found for the bed volume) or ``None`` (none applied)."""
        if not self.apply_depth_crop:
            return None
        return "bed-volume" if self.bed_volume is not None else "algorithm1"

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
            "light_window": None if self.light_window is None else self.light_window.to_dict(),
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
            light_window=(None if d.get("light_window") is None
                          else LightWindow.from_dict(d["light_window"])),
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
