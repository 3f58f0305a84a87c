"""Preprocessing configuration: pydantic models, YAML-loadable, validated once at the edge.

The whole config is stored with every output (plan JSON, sample provenance), so any sample can
be reproduced. Named dataset variants of seed 000 (``A``, ``B``, ``B0.5``) and ours
(``B+top``; ``2d`` for clinic video without depth) are presets (:data:`VARIANTS`);
:func:`resolve_config` builds the config of a run from a YAML file, ``--variant`` and the
defaults, the one rule every command follows.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ictal.configutil import deep_merge
from ictal.errors import ConfigError

#: COCO class ids of person and bed: torchvision / TF 91-id numbering and YOLO 80-class one.
COCO91 = {"person": 1, "bed": 65}
COCO80 = {"person": 0, "bed": 59}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DenoiseConfig(_Model):
    """Depth denoising (seed 000): grey dilation, ``size x size`` rectangle, ``iterations``.

    ``zeros_only=True`` (the default) lets the dilation fill only the invalid (zero) pixels,
    the Kinect's pepper noise; seed 000 replaces every pixel by its neighbourhood's maximum
    (``zeros_only=False``), which also pushes thin near objects -- hands, fingers -- back to the
    depth behind them, so a tight depth crop (``bed-volume``) would cut them away.
    """

    enabled: bool = True
    size: int = Field(4, ge=1)
    iterations: int = Field(2, ge=0)
    zeros_only: bool = True


class DepthCropConfig(_Model):
    """Depth cropping: Algorithm 1 of seed 000, or the volume over the bed.

    ``method="algorithm1"``: the planes ``+/- n_sigma`` around the patient's line, exactly as
    seed 000 writes them (:mod:`~ictal.preprocess.depth_crop`). ``method="bed-volume"``: the
    prism over the footprint of the mattress and the person on it (grown by ``margin_mm``),
    from ``floor_gap_mm`` above the floor to ``above_mm`` over the mattress top
    (:mod:`~ictal.preprocess.bed_volume`); Algorithm 1 is used when no floor or bed is found,
    and its planes are fitted and reported either way.
    """

    enabled: bool = True
    method: Literal["algorithm1", "bed-volume"] = "bed-volume"
    n_sigma: float = Field(2.0, gt=0)
    floor_gap_mm: float = Field(250.0, ge=0)
    above_mm: float = Field(900.0, gt=0)
    margin_mm: tuple[float, float] = (150.0, 250.0)


class OnnxDetectorConfig(_Model):
    """A COCO detector exported to ONNX by the user, and how to read its outputs.

    ``layout``:

    * ``"boxes_labels_scores"``: outputs ``boxes (N, 4)``, ``labels (N,)``, ``scores (N,)``
      (a leading batch axis of 1 is allowed) -- torchvision Mask / Faster R-CNN, TF SSD
      exports (those use ``box_format="yxyx"`` and ``boxes_normalized=True``);
    * ``"yolo"``: one output ``(1, 4 + C, N)`` or ``(1, N, 4 + C)`` with ``cx, cy, w, h`` and
      ``C`` class scores (``objectness=True``: ``(1, N, 5 + C)`` as YOLOv5).
    """

    model: Path
    layout: Literal["boxes_labels_scores", "yolo"] = "boxes_labels_scores"
    outputs: tuple[str, str, str] | None = None  # names of (boxes, labels, scores)
    box_format: Literal["xyxy", "yxyx", "cxcywh"] | None = None  # default: cxcywh for yolo
    boxes_normalized: bool = False
    objectness: bool = False
    input_size: tuple[int, int] | None = None  # (H, W) the model wants; None = the frame's
    input_layout: Literal["NCHW", "CHW", "NHWC"] = "NCHW"
    input_dtype: Literal["float32", "uint8"] = "float32"
    input_scale: float = 1.0 / 255.0  # applied to float inputs
    class_ids: dict[str, int] | None = None  # default: COCO91, or COCO80 for "yolo"
    min_score: float = Field(0.3, ge=0, le=1)

    @property
    def resolved_box_format(self) -> str:
        if self.box_format is not None:
            return self.box_format
        return "cxcywh" if self.layout == "yolo" else "xyxy"

    @property
    def resolved_class_ids(self) -> dict[str, int]:
        if self.class_ids is not None:
            return dict(self.class_ids)
        return dict(COCO80 if self.layout == "yolo" else COCO91)


class PoseDetectorConfig(_Model):
    """The ``pose`` detector (:mod:`~ictal.preprocess.pose_detector`): the person's box from
    the packaged BlazePose model (:mod:`ictal.landmarks`), a bed derived from it.

    ``allowance``: the landmark box (joints, eyes, ears, fingers, heels) grows by this share of
    its longest side on every side, for the body's outline beyond the joints (top of the head,
    shoulders, hips, a blanket). ``derive_bed``: add the bed a lying patient's body axis implies
    (no bed detector ships with the pose models). ``quarter_turns``: turns of the frame the
    person detector runs on (patients lie in any direction).
    """

    allowance: float = Field(0.15, ge=0)
    derive_bed: bool = True
    min_score: float = Field(0.4, ge=0, le=1)
    min_presence: float = Field(0.5, ge=0, le=1)
    quarter_turns: tuple[int, ...] = (0, 1, 2, 3)
    threads: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _turns(self) -> PoseDetectorConfig:
        if not self.quarter_turns or any(t not in (0, 1, 2, 3) for t in self.quarter_turns):
            raise ValueError("quarter_turns must list turns among 0, 1, 2, 3")
        return self


class DetectionConfig(_Model):
    """Detection cropping (seeds 000 / 001).

    The crop is decided on each key frame (frame 0, then every ``redetect_every`` frames):
    the detector runs on it and, when it finds nothing there or ``consensus_frames`` asks for
    more, on the frames of the next ``search_seconds`` every ``search_step_seconds``, until
    ``consensus_frames`` frames gave a bed or a person; each class's box is then the median
    over them (:func:`~ictal.preprocess.detection.consensus`). The plan records the frames
    used. The defaults (1 frame, no search) are the seeds' rule: the key frame alone.
    """

    enabled: bool = True
    detector: Literal["depth-geometry", "depth-mask", "onnx", "pose"] = "depth-geometry"
    margin: float = Field(0.3, ge=0)  # +30 % (seed 000); seed 001 used 0.2
    redetect_every: int | None = Field(None, ge=1)  # frames; None = first frame only
    search_seconds: float = Field(0.0, ge=0)
    search_step_seconds: float = Field(0.5, gt=0)
    consensus_frames: int = Field(1, ge=1)
    on_depth_cropped: bool = True  # detect on the depth-cropped IR (seed 000, dataset B boxes)
    min_score: float = Field(0.0, ge=0, le=1)
    depth_mask_opening: int = Field(3, ge=0)
    # depth camera (fx, fy, cx, cy) at 512 px wide, for "depth-geometry" (Kinect v2 default)
    depth_intrinsics: tuple[float, float, float, float] = (365.0, 365.0, 256.0, 212.0)
    onnx: OnnxDetectorConfig | None = None
    pose: PoseDetectorConfig = PoseDetectorConfig()

    @model_validator(mode="after")
    def _onnx_needs_model(self) -> DetectionConfig:
        if self.enabled and self.detector == "onnx" and self.onnx is None:
            raise ValueError("detector 'onnx' needs an 'onnx:' section with at least 'model:'")
        return self


class IntensityConfig(_Model):
    """16-bit IR -> 8 bit, one window per recording (never per frame)."""

    method: Literal["percentile", "fixed"] = "percentile"
    seconds: float = Field(2.0, gt=0)  # fitted on the first seconds of the recording
    low_percentile: float = Field(1.0, ge=0, le=100)
    high_percentile: float = Field(99.5, ge=0, le=100)
    window: tuple[float, float] | None = None  # (lo, hi) raw values for method "fixed"

    @model_validator(mode="after")
    def _check(self) -> IntensityConfig:
        if self.method == "fixed" and self.window is None:
            raise ValueError("method 'fixed' needs window: [lo, hi]")
        if self.low_percentile >= self.high_percentile:
            raise ValueError("low_percentile must be below high_percentile")
        return self


class LowLightConfig(_Model):
    """Low-light normalisation of 8-bit sources (:mod:`~ictal.preprocess.lowlight`): a
    percentile window on the luminance and a gamma lifting the median to ``target_median``
    (``None``: no gamma), fitted once on the first ``seconds`` of the recording and applied to
    every frame (what the detector, the QC sheet and the backbone see). 16-bit infrared is
    never touched (it has the IR window of ``intensity``)."""

    enabled: bool = False
    seconds: float = Field(2.0, gt=0)
    low_percentile: float = Field(1.0, ge=0, le=100)
    high_percentile: float = Field(99.0, ge=0, le=100)
    target_median: float | None = Field(0.4, gt=0, lt=1)
    gamma_range: tuple[float, float] = (0.4, 1.0)

    @model_validator(mode="after")
    def _check(self) -> LowLightConfig:
        if self.low_percentile >= self.high_percentile:
            raise ValueError("low_percentile must be below high_percentile")
        if not 0 < self.gamma_range[0] <= self.gamma_range[1]:
            raise ValueError("gamma_range must be [min, max] with 0 < min <= max")
        return self


class FramesConfig(_Model):
    """Frame preparation for the backbone (size and range come from its InputSpec)."""

    style: Literal["i3d", "gestures"] = "i3d"
    gestures_base_size: tuple[int, int] = (320, 180)  # (width, height), seed 002
    gestures_drop_columns: float = Field(0.05, ge=0, lt=0.5)


class TemporalConfig(_Model):
    """Temporal sampling of events (seeds 000/001 fixed slices, seed 002 TSN)."""

    sampling: Literal["fixed", "tsn"] = "fixed"
    length: int | None = Field(None, ge=1)  # None = the backbone's InputSpec.frames
    # frame rate of the sample timeline; None = the backbone's (InputSpec.fps) or the stream's.
    # GESTURES resamples to 15 fps (variant gestures), whatever the backbone
    fps: float | None = Field(None, gt=0, le=120)
    overlap: float = Field(0.0, ge=0, lt=1)  # 0.5 for dataset B0.5
    min_leftover: int = Field(10, ge=1)
    tsn_segments: int = Field(16, ge=1)
    tsn_gamma: float = Field(math.inf, gt=0)  # inf = centre snippet (evaluation)
    seed: int = 0
    label_rule: Literal["event", "gestures"] = "event"
    focal_label: str = "FOS"  # GESTURES Eq. 1 label 0
    generalised_label: str = "TCS"  # GESTURES Eq. 1 label 1
    # events of these labels are no seizures (the phantom's pre- / post-ictal periods): under
    # label_rule "gestures" they are left out, with a warning, instead of becoming FOS snippets
    non_seizure_labels: tuple[str, ...] = ("NE",)


class TopViewConfig(_Model):
    """The bed seen from above (:mod:`~ictal.preprocess.topview`), a second picture of every
    sample made from the depth stream and the bed volume; its backbone features (averaged over
    the bed's mirror images) are appended to those of the infrared crop."""

    enabled: bool = False
    height_mm: tuple[float, float] = (-200.0, 800.0)  # over the mattress top -> 1 .. 255

    @model_validator(mode="after")
    def _check(self) -> TopViewConfig:
        if self.height_mm[0] >= self.height_mm[1]:
            raise ValueError("height_mm must be [low, high] with low < high")
        return self


class PreprocessConfig(_Model):
    """Everything ``ictal preprocess`` and :func:`~ictal.preprocess.pipeline.iter_samples` do.

    ``source``: the stream the samples come from; ``auto`` picks it per recording (its ``rgb``
    stream, else its ``ir`` stream: a clinic recording has one or the other) and the plan
    records the choice.
    """

    variant: str = "B"
    source: Literal["ir", "rgb", "auto"] = "ir"
    denoise: DenoiseConfig = DenoiseConfig()
    depth_crop: DepthCropConfig = DepthCropConfig()
    detection: DetectionConfig = DetectionConfig()
    intensity: IntensityConfig = IntensityConfig()
    lowlight: LowLightConfig = LowLightConfig()
    frames: FramesConfig = FramesConfig()
    temporal: TemporalConfig = TemporalConfig()
    topview: TopViewConfig = TopViewConfig()
    decode_threads: int = Field(2, ge=1)
    chunk_frames: int = Field(32, ge=1)  # frames processed per batch
    qc_frames: int = Field(5, ge=2)  # seed 000: 5 frames, first and last included


#: Dataset variants of seed 000 (Table 3b), and ours (``B+top``, ``2d``): what each turns on.
VARIANTS: dict[str, dict[str, Any]] = {
    # A: detection crop of the raw IR, with the boxes found for B (detected on depth-cropped IR)
    "A": {"depth_crop": {"enabled": False}, "detection": {"on_depth_cropped": True},
          "temporal": {"overlap": 0.0}},
    # B: depth crop, then detection crop
    "B": {"depth_crop": {"enabled": True}, "temporal": {"overlap": 0.0}},
    # B0.5: B with 50 % overlapping samples
    "B0.5": {"depth_crop": {"enabled": True}, "temporal": {"overlap": 0.5}},
    # B+top (ours): B, plus the bed seen from above from the depth stream (needs a bed volume)
    "B+top": {"depth_crop": {"enabled": True, "method": "bed-volume"},
              "topview": {"enabled": True}, "temporal": {"overlap": 0.0}},
    # 2d (ours): ordinary clinic video without depth -- the rgb stream or the night-vision ir
    # one, the person found by the pose model with a bed derived from it, low light lifted;
    # the first frames searched every 0.5 s until 11 have somebody on them (the first 5 s when
    # the pose model finds the patient on each), within 10 s: a patient it finds late or on few
    # frames still gets 11 frames spread over seconds (chosen on clinic seeds 1-3)
    "2d": {"source": "auto", "depth_crop": {"enabled": False},
           "detection": {"detector": "pose", "on_depth_cropped": False, "search_seconds": 10.0,
                         "consensus_frames": 11, "pose": {"allowance": 0.1}},
           "lowlight": {"enabled": True}, "topview": {"enabled": False},
           "temporal": {"overlap": 0.0}},
    # gestures (seed 002 §3): the whole picture, no spatial crop (a montage split into its
    # views), 15 fps, 320x180 with 5 % of the columns dropped on each side and padded square,
    # snippets labelled by Eq. 1 (pre- / post-ictal events left out)
    "gestures": {"source": "auto", "depth_crop": {"enabled": False},
                 "detection": {"enabled": False}, "lowlight": {"enabled": False},
                 "topview": {"enabled": False}, "frames": {"style": "gestures"},
                 "temporal": {"overlap": 0.0, "fps": 15.0, "label_rule": "gestures"}},
}


def variant_config(name: str, base: PreprocessConfig | None = None) -> PreprocessConfig:
    """``base`` (default config when ``None``) with dataset variant ``name`` of seed 000."""
    if name not in VARIANTS:
        raise ConfigError(f"unknown preprocessing variant {name!r}",
                          hint=f"use one of {', '.join(VARIANTS)}")
    data = (base or PreprocessConfig()).model_dump(mode="python")
    data = deep_merge(data, VARIANTS[name])
    data["variant"] = name
    return PreprocessConfig.model_validate(data)


def seed000_depth(config: PreprocessConfig) -> PreprocessConfig:
    """``config`` with seed 000's depth steps exactly: grey dilation of every pixel and the
    planes of Algorithm 1 (instead of filling only invalid pixels and the bed volume)."""
    data = deep_merge(config.model_dump(mode="python"), {
        "denoise": {"zeros_only": False}, "depth_crop": {"method": "algorithm1"}})
    return PreprocessConfig.model_validate(data)


def config_from_dict(data: dict[str, Any], *, source: str = "<config>") -> PreprocessConfig:
    """Validate a parsed config; :class:`ConfigError` lists every problem with its key."""
    try:
        return PreprocessConfig.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"{source}: invalid preprocessing config: {problems}",
                          hint="see `ictal preprocess --help` and PreprocessConfig") from err


#: The variant of a config that names none and agrees with its settings.
DEFAULT_VARIANT = "B"
#: The label of a config that names no variant and departs from the default one's settings.
CUSTOM = "custom"


def read_config_file(path: Path | str) -> dict[str, Any]:
    """The mapping of a YAML preprocessing config file, unvalidated (relative ONNX model paths
    resolved against the file's folder)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read the preprocessing config: {err}",
                          hint="give a YAML file of PreprocessConfig settings") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a YAML mapping",
                          hint="write one `key: value` per line, e.g. `variant: B0.5`")
    model = (data.get("detection") or {}).get("onnx", {}) or {}
    if isinstance(model, dict) and "model" in model and not Path(model["model"]).is_absolute():
        model["model"] = str(path.parent / model["model"])
    return data


def _contradictions(preset: dict[str, Any], data: dict[str, Any], where: str = "") -> list[str]:
    """Settings of ``data`` that ``preset`` sets to another value (``"key.path: ..."``)."""
    out = []
    for key, value in preset.items():
        if key not in data:
            continue
        name = f"{where}.{key}" if where else key
        if isinstance(value, dict):
            if isinstance(data[key], dict):  # anything else is reported by validation
                out += _contradictions(value, data[key], name)
        elif data[key] != value:
            out.append(f"{name} is {data[key]!r} where the variant sets {value!r}")
    return out


def resolve_config(path: Path | str | None = None, variant: str | None = None
                   ) -> PreprocessConfig:
    """The preprocessing config of a run, from what the user gave: the one rule behind
    ``ictal preprocess``, ``ictal extract`` and ``ictal demo``.

    The variant is ``variant`` (``--variant``) or the file's ``variant:``; they must agree.
    Its settings (:data:`VARIANTS`) are applied over the defaults, then the file's settings
    over them; a file setting that contradicts the variant it names is refused. A config that
    names no variant is variant :data:`DEFAULT_VARIANT` (``B``, the defaults), or
    :data:`CUSTOM` when its settings depart from B's (e.g. another ``temporal.overlap``).

    Args:
        path: YAML config file (every key optional), or ``None`` for the defaults.
        variant: ``A``, ``B``, ``B0.5``, ``B+top``, ``2d`` or ``gestures``, or ``None``.

    Raises:
        ConfigError: unreadable or invalid file, unknown variant, the file and ``variant``
            name different variants, or the file contradicts the variant named.
    """
    data = read_config_file(path) if path is not None else {}
    source = str(path) if path is not None else "<defaults>"
    named = data.pop("variant", None)
    named = None if named == CUSTOM else named
    if named is not None and variant is not None and named != variant:
        raise ConfigError(
            f"{source} is a config for variant {named!r}, but --variant asks for {variant!r}",
            hint=f"drop --variant, or set `variant: {variant}` in the file (or remove it)")
    name = variant or named
    chosen = name or DEFAULT_VARIANT
    if chosen not in VARIANTS:
        raise ConfigError(f"{source}: unknown preprocessing variant {chosen!r}",
                          hint=f"use one of {', '.join(VARIANTS)}")
    conflicts = _contradictions(VARIANTS[chosen], data)
    if conflicts and name is not None:
        raise ConfigError(
            f"{source}: settings contradict variant {name}: {'; '.join(conflicts)}",
            hint="remove these settings, or name no variant (the config is then labelled "
                 f"{CUSTOM!r})")
    merged = deep_merge(deep_merge(PreprocessConfig().model_dump(mode="python"),
                                   VARIANTS[chosen]), data)
    merged["variant"] = CUSTOM if conflicts else chosen
    return config_from_dict(merged, source=source)


def load_config(path: Path | str) -> PreprocessConfig:
    """The config of a YAML file, its ``variant:`` applied (:func:`resolve_config`)."""
    return resolve_config(path)
