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

PLAN_FORMAT = "ictal-preprocess-plan/1"


def _box(values: Sequence[Any]) -> Box:
    """A JSON list ``[x0, y0, x1, y1]`` as a :data:`Box` of ints."""
    x0, y0, x1, y1 = (int(v) for v in values)
    return (x0, y0, x1, y1)


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
            return None if x is None else (_box(x["box"]), float(x["score"]))

        det = d["detection_box"]
        return cls(int(d["frame"]), _box(d["crop_box"]), None if det is None else _box(det),
                   scored(d["bed"]), scored(d["person"]), bool(d["ok"]))


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
        """Every key frame found a bed or a person (also ``True`` when no detector ran)."""
        return all(k.ok for k in self.keyframes)

    @property
    def detection_ran(self) -> bool:
        """Whether a detector chose the crop boxes: ``False`` when the config turns detection
        off or the recording is a montage (the full frame is kept then)."""
        detection = self.config.get("detection") or {}
        return self.montage is None and bool(detection.get("enabled", True))

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
