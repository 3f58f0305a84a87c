"""The phantom's recipe: one validated pydantic config drives every class, patient and stream.

Every range is a ``(low, high)`` pair sampled uniformly (per patient for the nuisance factors and
the movement "style", per event around that style for the rest). Durations are seconds, rates
Hz, angles radians unless the field name says degrees, lengths metres.

Presets:

* :meth:`PhantomConfig.demo` -- the embedded demo dataset: 24 patients (12 FLE, 12 TLE), one
  seizure each, 512x424 IR + depth at 30 fps, with seizure durations scaled by
  ``duration_scale = 0.2``, 5 % atypical patients, 10 % generalising seizures and short
  pre/post-ictal periods, so that rendering takes about 2 minutes and the whole demo (render,
  decode, extract, cross-validate) stays within 15 minutes on 2 cores.
* :meth:`PhantomConfig.gestures` -- seed 002's seizure types (FOS / TCS, its durations and
  generalisation ratios, scaled by 0.1) under two clinic cameras per bed, every recording a
  picture-in-picture montage.
* :meth:`PhantomConfig.tiny` -- 4 patients, a few seconds each, 64x53 pixels, for tests.
* :meth:`PhantomConfig.clinic` -- the demo's patients and seizures seen by an ordinary 2D clinic
  camera instead of the Kinect (stream ``clinic``, :class:`ClinicConfig`): H.264 MP4 at
  704x576 to 1920x1080, 25 fps (some 30000/1001), colour by day, night-vision infrared by
  night, a share of picture-in-picture montages; no depth.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ictal.errors import ConfigError

#: Manifest labels of the phantom, in this order (seed 000: FLE, TLE, non-epileptic).
LABELS: tuple[str, str, str] = ("FLE", "TLE", "NE")
#: Manifest labels of a phantom of seizure types (seed 002: focal onset seizures, focal to
#: bilateral tonic-clonic seizures; NE for the periods before and after a seizure).
SEIZURE_TYPE_LABELS: tuple[str, str, str] = ("FOS", "TCS", "NE")

#: ``FLE`` / ``TLE``: patients' syndromes (seeds 000 / 001); ``FOS`` / ``TCS``: seizure types
#: (seed 002). A recipe's classes come from one of :data:`CLASS_SETS`.
SeizureClass = Literal["FLE", "TLE", "FOS", "TCS"]
CLASS_SETS: tuple[tuple[str, ...], ...] = (("FLE", "TLE"), ("FOS", "TCS"))
#: ``ir`` / ``depth`` / ``rgb``: the Kinect's streams (and an RGB camera of the same pose);
#: ``clinic``: the 2D clinic camera of :class:`ClinicConfig` (a recipe renders one or the other).
StreamName = Literal["ir", "depth", "rgb", "clinic"]
KINECT_STREAMS: tuple[str, ...] = ("ir", "depth", "rgb")
#: Camera mounts of the clinic camera (see :class:`ClinicConfig`).
Mount = Literal["wall-foot", "wall-side", "ceiling"]

#: Full Kinect v2 depth / infrared frame size and intrinsics (pixels).
KINECT_WIDTH, KINECT_HEIGHT = 512, 424
KINECT_FX, KINECT_CX, KINECT_CY = 365.0, 256.0, 212.0

Range = tuple[float, float]


def _ordered(value: tuple[float, float]) -> tuple[float, float]:
    low, high = value
    if high < low:
        raise ValueError(f"range {value} must be (low, high) with low <= high")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeizureProgramme(_Model):
    """Movement programme of one seizure class (the focal part, then optional generalisation).

    ``rate_hz`` bounds the dominant movement rate; each patient gets a preferred sub-range
    (``style_rate_width`` of the class range) that persists over that patient's events.
    ``amplitude`` scales the class's movement repertoire (1 = the repertoire's nominal size).
    Generalisation (seed 002): with probability ``p_generalise`` the seizure becomes focal to
    bilateral tonic-clonic: the drawn duration is its focal part ``[t0, tG)`` and
    ``r = (tG - t0) / (t1 - t0)`` is drawn from ``generalise_ratio`` (seed 002: mean 0.56,
    sd 0.18), so generalising seizures last longer; ``[tG, t1]`` is split into a tonic phase
    (fraction ``tonic_fraction``) and a clonic phase whose jerk rate falls from
    ``clonic_rate_hz[0]`` to ``clonic_rate_hz[1]``. With probability ``p_dystonia`` one arm
    holds a dystonic posture (seed 004) for ``dystonia_fraction`` of the focal part.

    Atypical patients (seed 000, Table 4: FLE patients with automotor seizures, TLE patients
    with complex motor ones): with probability ``p_atypical`` a patient's seizures use the other
    lobe's repertoire, at rates in ``atypical_rate_hz`` and the class's own amplitude. This
    overlap between classes is patient-specific, as in real data, so a split that leaks patients
    between training and test scores better than a patient-grouped one.
    """

    duration_s: Range
    rate_hz: Range
    amplitude: Range
    style_rate_width: float = Field(0.35, gt=0, le=1)
    p_generalise: float = Field(0.2, ge=0, le=1)
    generalise_ratio: Range = (0.35, 0.75)
    tonic_fraction: Range = (0.25, 0.4)
    clonic_rate_hz: Range = (3.5, 1.0)
    p_dystonia: float = Field(0.2, ge=0, le=1)
    dystonia_fraction: Range = (0.3, 0.6)
    p_atypical: float = Field(0.25, ge=0, le=1)
    atypical_rate_hz: Range = (1.2, 1.8)

    _dur = field_validator("duration_s", "rate_hz", "amplitude", "generalise_ratio",
                           "tonic_fraction", "dystonia_fraction", "atypical_rate_hz")(_ordered)

    @field_validator("clonic_rate_hz")
    @classmethod
    def _slowing(cls, value: Range) -> Range:
        if value[1] > value[0] or value[1] <= 0:
            raise ValueError(f"clonic_rate_hz {value} must be (start, end) with start >= end > 0 "
                             "(the clonic rate slows down, seed 002)")
        return value


class Spread(_Model):
    """A log-normal duration: ``median`` seconds, log-scale spread ``sigma``, drawn again until
    it falls within ``[low, high]`` (a truncated log-normal: no pile-up at the bounds)."""

    median: float = Field(gt=0)
    low: float = Field(gt=0)
    high: float = Field(gt=0)
    sigma: float = Field(0.7, gt=0)

    @model_validator(mode="after")
    def _inside(self) -> Spread:
        if not self.low <= self.median <= self.high:
            raise ValueError(f"median {self.median} must lie within [low {self.low}, "
                             f"high {self.high}]")
        return self


class SeizureTypesConfig(_Model):
    """Seed 002's seizure types, used when a recipe's classes are ``FOS`` / ``TCS``.

    Patients alternate between the FLE and TLE movement repertoires (:attr:`fle`,
    :attr:`tle` of the recipe give the focal semiology, hyperkinetic or automotor); each
    seizure independently becomes focal to bilateral tonic-clonic with probability ``p_tcs``
    (seed 002: 77 of 183 seizures). Durations ``t1 - t0`` are truncated log-normals with the
    seed's median (range): FOS 53 (16, 701) s, TCS 93 (51, 1098) s, both times the recipe's
    ``duration_scale``; they overlap, so duration alone does not give the class away. A TCS
    generalises at ``r = (tG - t0) / (t1 - t0)`` drawn from a normal of mean ``ratio_mean``
    and sd ``ratio_sd`` (seed 002: 0.56, 0.18) truncated to ``ratio_range`` (its largest r is
    0.93); the tonic / clonic split and the clonic slowing come from the repertoire's
    programme.
    """

    p_tcs: float = Field(77 / 183, ge=0, le=1)
    fos_duration_s: Spread = Spread(median=53.0, low=16.0, high=701.0, sigma=0.8)
    tcs_duration_s: Spread = Spread(median=93.0, low=51.0, high=1098.0, sigma=0.6)
    ratio_mean: float = Field(0.56, gt=0, lt=1)
    ratio_sd: float = Field(0.18, ge=0)
    ratio_range: Range = (0.1, 0.93)

    @field_validator("ratio_range")
    @classmethod
    def _ratio(cls, value: Range) -> Range:
        if not 0 < value[0] <= value[1] < 1:
            raise ValueError(f"ratio_range {value} must be (low, high) with 0 < low <= high < 1")
        return value


class RestProgramme(_Model):
    """Non-epileptic behaviour before and after the seizure (seed 000's 'Prepost' class).

    Small spontaneous movements arrive as a Poisson process (``moves_per_min``) of smooth bumps
    of ``move_amplitude`` rad lasting ``move_s``; with probability ``p_reposition`` per period the
    patient repositions (a slow roll and limb shift over ``reposition_s``).
    """

    breath_hz: Range = (0.2, 0.35)
    breath_m: Range = (0.004, 0.008)
    moves_per_min: float = Field(4.0, ge=0)
    move_amplitude: Range = (0.05, 0.2)
    move_s: Range = (1.0, 2.5)
    p_reposition: float = Field(0.3, ge=0, le=1)
    reposition_s: Range = (2.0, 4.0)


class StaffConfig(_Model):
    """Clinical staff walking or standing between the camera and the bed.

    ``p_visit`` is the probability that a staff member visits during each period of a recording;
    seed 000: staff are almost always there post-ictally, rarely during the seizure itself.
    """

    p_visit_pre: float = Field(0.5, ge=0, le=1)
    p_visit_ictal: float = Field(0.1, ge=0, le=1)
    p_visit_post: float = Field(0.85, ge=0, le=1)
    height_m: Range = (1.55, 1.95)
    walk_speed_mps: Range = (0.8, 1.3)


class NuisanceConfig(_Model):
    """Per-patient factors that carry no class information (scene, body, sensor)."""

    body_height_m: Range = (1.5, 1.95)
    body_build: Range = (0.85, 1.2)
    camera_height_m: Range = (2.1, 2.6)
    camera_tilt_deg: Range = (38.0, 52.0)
    camera_yaw_deg: Range = (-8.0, 8.0)
    aim_offset_m: Range = (-0.2, 0.2)
    bed_shift_m: Range = (-0.15, 0.15)
    p_bed_along_x: float = Field(0.5, ge=0, le=1)
    ir_gain: Range = (0.8, 1.25)
    skin_reflectance: Range = (0.45, 0.75)
    blanket_reflectance: Range = (0.5, 0.9)
    p_blanket: float = Field(0.5, ge=0, le=1)


class SensorConfig(_Model):
    """Kinect-v2-like sensor artefacts of the depth and infrared streams."""

    depth_noise_mm: float = Field(1.0, ge=0)
    pepper_fraction: float = Field(0.01, ge=0, le=0.5)
    edge_jump_m: float = Field(0.08, gt=0)
    min_range_m: float = 0.5
    max_range_m: float = 4.5
    ir_noise: float = Field(0.004, ge=0)


class DayCameraConfig(_Model):
    """The clinic camera by day: a colour camera under room light (see ``ictal.phantom.clinic``).

    Per recording: ``ambient`` is the share of the light that does not depend on the surface's
    orientation (the rest falls off with the cosine of the angle between the surface and the
    line of sight); ``exposure`` scales everything (what the auto-exposure settled on);
    ``white_balance`` are the red and blue gains around green (warm / cool light);
    ``vignetting`` the brightness lost at the frame's corners (``1 - v r**2``, ``r`` = 1 at a
    corner); ``noise_dn`` the standard deviation of the sensor noise in 8-bit levels.
    """

    ambient: Range = (0.35, 0.6)
    exposure: Range = (0.75, 1.05)
    white_balance: Range = (0.9, 1.1)
    vignetting: Range = (0.1, 0.35)
    noise_dn: Range = (1.0, 3.5)

    _r = field_validator("ambient", "exposure", "white_balance", "vignetting",
                         "noise_dn")(_ordered)


class NightCameraConfig(_Model):
    """The clinic camera by night: night-vision infrared (see ``ictal.phantom.clinic``).

    The IR-cut filter is out and the camera's own infrared LEDs light the room: a surface of
    near-infrared reflectance ``rho`` at distance ``d`` whose normal makes an angle ``i`` with
    the line of sight, seen at an angle ``a`` off the optical axis, gives the linear signal
    ``s = E rho cos(i) cos(a)**n / d**2`` (illuminator beam and lens fall-off in one exponent
    ``n`` drawn from ``beam_exponent``). The exposure ``E`` puts a white surface facing the
    camera at the aim point (the bed) at ``hotspot`` (1 = the sensor's full scale), so the bed
    is lit and the room falls off into the dark. Sensor noise is Gaussian in the linear signal,
    ``sigma**2 = read_noise**2 + shot_noise**2 * s``, and the gain jitters by ``gain_flicker``
    from frame to frame (automatic gain control). The 8-bit output is
    ``black_level + (255 - black_level) * s**(1 / gamma)``, grey (the recorder stores it in a
    colour container with neutral chroma).
    """

    hotspot: Range = (0.15, 0.4)
    beam_exponent: Range = (4.0, 10.0)
    gamma: Range = (1.8, 2.4)
    black_level: Range = (4.0, 14.0)
    read_noise: Range = (0.0008, 0.002)
    shot_noise: Range = (0.008, 0.02)
    gain_flicker: float = Field(0.01, ge=0, le=0.2)

    _r = field_validator("hotspot", "beam_exponent", "gamma", "black_level", "read_noise",
                         "shot_noise")(_ordered)


class ClinicConfig(_Model):
    """The ordinary 2D camera of an EMU room (stream ``clinic``; module ``ictal.phantom.clinic``).

    Drawn per patient (a patient stays in one room, under one camera): the frame size from
    ``sizes`` (weights ``size_weights``), the frame rate from ``frame_rates``, the mount from
    ``mounts`` -- ``wall-foot`` (on the wall beyond the foot end, ``foot_distance_m`` from it,
    looking along the bed), ``wall-side`` (on a side wall, ``side_distance_m`` from the bed's
    edge), ``ceiling`` (``ceiling_offset_m`` beside or beyond the bed, looking steeply down) --,
    the horizontal field of view ``hfov_deg`` (widened only if the bed would not fit in the
    frame), whether the recorder writes a picture-in-picture montage (``p_montage``; seed 002:
    a second camera shrunk to ``montage_width`` of the frame's width in its top-left corner),
    the room's furniture (a second bed, a chair, an infusion pole), whether the patient wears an
    EEG head bandage and whether a patient under a blanket (``nuisance.p_blanket``) has it
    pulled up to the chest (``p_blanket_to_chest``). Drawn per recording: day (colour) or night
    (infrared, ``p_night``) and the sensor's settings (:class:`DayCameraConfig`,
    :class:`NightCameraConfig`). Videos are H.264 MP4, ``yuv420p``, one keyframe per second, at
    a constant quantiser ``qp`` (x264 without look-ahead: the only mode whose bytes depend on
    the frames alone, see :class:`ictal.io.H264Writer`).
    """

    sizes: tuple[tuple[int, int], ...] = ((704, 576), (1280, 720), (1920, 1080))
    size_weights: tuple[float, ...] = (0.4, 0.4, 0.2)
    frame_rates: tuple[str, ...] = ("25", "30000/1001")
    frame_rate_weights: tuple[float, ...] = (0.8, 0.2)
    mounts: tuple[Mount, ...] = ("wall-foot", "wall-side", "ceiling")
    mount_weights: tuple[float, ...] = (0.35, 0.25, 0.4)
    hfov_deg: Range = (60.0, 95.0)
    wall_height_m: Range = (2.0, 2.6)
    ceiling_height_m: Range = (2.6, 3.1)
    foot_distance_m: Range = (0.6, 2.0)
    side_distance_m: Range = (1.0, 2.4)
    ceiling_offset_m: Range = (0.3, 1.6)
    aim_jitter_m: float = Field(0.2, ge=0)
    tilt_jitter_deg: float = Field(4.0, ge=0)
    yaw_jitter_deg: float = Field(8.0, ge=0)
    p_night: float = Field(0.4, ge=0, le=1)
    p_montage: float = Field(0.25, ge=0, le=1)
    montage_width: float = Field(800 / 1920, gt=0.1, lt=0.9)
    p_second_bed: float = Field(0.3, ge=0, le=1)
    p_chair: float = Field(0.5, ge=0, le=1)
    p_pole: float = Field(0.4, ge=0, le=1)
    p_eeg_bandage: float = Field(0.8, ge=0, le=1)
    p_blanket_to_chest: float = Field(0.5, ge=0, le=1)
    qp: int = Field(28, ge=0, le=51)
    day: DayCameraConfig = DayCameraConfig()
    night: NightCameraConfig = NightCameraConfig()

    _r = field_validator("hfov_deg", "wall_height_m", "ceiling_height_m", "foot_distance_m",
                         "side_distance_m", "ceiling_offset_m")(_ordered)

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, value: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
        for w, h in value:
            if w < 32 or h < 32 or w > 4096 or h > 4096:
                raise ValueError(f"frame size {w}x{h} must lie within 32..4096 pixels a side")
        return value

    @field_validator("frame_rates")
    @classmethod
    def _rates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for rate in value:
            try:
                fps = Fraction(rate)
            except (ValueError, ZeroDivisionError) as err:
                raise ValueError(f"frame rate {rate!r}: use e.g. '25' or '30000/1001'") from err
            if not 1 <= fps <= 120:
                raise ValueError(f"frame rate {rate!r} must lie within 1..120 fps")
        return value

    @model_validator(mode="after")
    def _weights(self) -> ClinicConfig:
        for items, weights, name in ((self.sizes, self.size_weights, "size"),
                                     (self.frame_rates, self.frame_rate_weights, "frame_rate"),
                                     (self.mounts, self.mount_weights, "mount")):
            if not items or len(weights) != len(items):
                raise ValueError(f"{name}_weights needs one weight per {name} "
                                 f"({len(items)}), got {len(weights)}")
            if min(weights) < 0 or sum(weights) <= 0:
                raise ValueError(f"{name}_weights must be >= 0 with a positive sum")
        return self

    def fps_choices(self) -> list[Fraction]:
        """:attr:`frame_rates` as exact fractions."""
        return [Fraction(r) for r in self.frame_rates]


class PhantomConfig(_Model):
    """The whole recipe of a phantom dataset.

    Patient ``k`` has syndrome ``classes[k % len(classes)]`` and ``events_per_patient`` seizures
    (each its own recording: pre-ictal rest, the seizure, post-ictal period).
    """

    n_patients: int = Field(20, ge=1)
    events_per_patient: tuple[int, int] = (1, 2)
    classes: tuple[SeizureClass, ...] = ("FLE", "TLE")
    pre_s: Range = (10.0, 30.0)
    post_s: Range = (10.0, 30.0)
    duration_scale: float = Field(1.0, gt=0, le=1)
    fps: int = Field(30, ge=1, le=120)
    scale: float = Field(1.0, gt=0, le=1)
    streams: tuple[StreamName, ...] = ("ir", "depth")
    rgb_size: tuple[int, int] = (640, 360)
    seed: int = Field(0, ge=0)
    name: str = "phantom"
    # rates: seed 000's TLE 0.4-1.8 Hz, FLE "slightly faster" (see ictal.phantom.calibration)
    fle: SeizureProgramme = SeizureProgramme(
        duration_s=(10.0, 60.0), rate_hz=(0.6, 2.4), amplitude=(0.7, 1.0), p_generalise=0.2)
    tle: SeizureProgramme = SeizureProgramme(
        duration_s=(30.0, 120.0), rate_hz=(0.4, 1.8), amplitude=(0.6, 1.0), p_generalise=0.2)
    rest: RestProgramme = RestProgramme()
    staff: StaffConfig = StaffConfig()
    nuisance: NuisanceConfig = NuisanceConfig()
    sensor: SensorConfig = SensorConfig()
    clinic_camera: ClinicConfig = ClinicConfig()
    seizure_types: SeizureTypesConfig = SeizureTypesConfig()

    _ranges = field_validator("pre_s", "post_s")(_ordered)

    @field_validator("events_per_patient")
    @classmethod
    def _events(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] < 1 or value[1] < value[0]:
            raise ValueError(f"events_per_patient {value} must be (min, max) with 1 <= min <= max")
        return value

    @field_validator("classes", "streams")
    @classmethod
    def _non_empty_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or len(set(value)) != len(value):
            raise ValueError(f"{value} must be non-empty without repeats")
        return value

    @field_validator("classes")
    @classmethod
    def _one_class_set(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not any(set(value) <= set(group) for group in CLASS_SETS):
            raise ValueError(f"classes {list(value)} mix syndromes and seizure types: use "
                             "FLE,TLE (seeds 000/001) or FOS,TCS (seed 002)")
        if set(value) == {"FOS"} or set(value) == {"TCS"}:
            raise ValueError("seizure types come together: classes FOS,TCS, with "
                             "seizure_types.p_tcs the share of TCS (0 or 1 for one type)")
        return value

    @model_validator(mode="after")
    def _streams_have_depth_or_ir(self) -> PhantomConfig:
        if self.width < 16 or self.height < 16:
            raise ValueError(f"scale {self.scale} gives frames of {self.width}x{self.height}; "
                             "use scale >= 0.04")
        if "clinic" in self.streams and len(self.streams) > 1:
            raise ValueError("the clinic camera is rendered alone: streams [clinic] (its ground "
                             "truth describes one camera), or the Kinect's ir / depth / rgb")
        return self

    @property
    def is_seizure_types(self) -> bool:
        """The recipe's classes are seed 002's seizure types (FOS / TCS), not syndromes."""
        return set(self.classes) <= {"FOS", "TCS"}

    @property
    def labels(self) -> tuple[str, str, str]:
        """The manifest's and ground truth's label vocabulary (:data:`LABELS` or
        :data:`SEIZURE_TYPE_LABELS`)."""
        return SEIZURE_TYPE_LABELS if self.is_seizure_types else LABELS

    @property
    def is_clinic(self) -> bool:
        """The recipe renders the 2D clinic camera (stream ``clinic``), not the Kinect."""
        return "clinic" in self.streams

    def recipe_fields(self) -> dict[str, object]:
        """The recipe as JSON-ready fields; a Kinect recipe leaves out the unused
        ``clinic_camera`` block, and a recipe of syndromes the unused ``seizure_types`` one, so
        their manifests and recipe hashes are those of the code before these blocks existed."""
        exclude = set()
        if not self.is_clinic:
            exclude.add("clinic_camera")
        if not self.is_seizure_types:
            exclude.add("seizure_types")
        return self.model_dump(mode="json", exclude=exclude or None)

    @property
    def width(self) -> int:
        """Width of the IR / depth frames (512 at ``scale`` 1)."""
        return round(KINECT_WIDTH * self.scale)

    @property
    def height(self) -> int:
        """Height of the IR / depth frames (424 at ``scale`` 1)."""
        return round(KINECT_HEIGHT * self.scale)

    def programme(self, cls_name: str) -> SeizureProgramme:
        """The movement programme of ``"FLE"`` or ``"TLE"`` (a patient's repertoire; with
        seizure types, patients alternate between the two)."""
        if cls_name == "FLE":
            return self.fle
        if cls_name == "TLE":
            return self.tle
        raise ConfigError(f"unknown seizure class {cls_name!r}", hint="use FLE or TLE")

    @classmethod
    def demo(cls, **overrides: object) -> PhantomConfig:
        """The embedded demo dataset (see the module docstring for its size)."""
        base: dict[str, object] = dict(
            n_patients=24, events_per_patient=(1, 1), pre_s=(1.3, 1.7), post_s=(1.3, 1.7),
            duration_scale=0.2, name="phantom-demo",
            # scaled by 0.2: FLE 6-9 s, TLE 8-12 s (real: 10-60 s / 30-120 s, seed 000); more
            # patients with one seizure each rather than fewer with several: a patient-grouped
            # evaluation learns from patients. 5 % atypical patients instead of 25 % and 10 %
            # generalising seizures (whose tonic-clonic phase looks the same in both classes)
            # instead of 20 %, so that 24 patients hold enough typical focal semiology.
            fle=SeizureProgramme(duration_s=(30.0, 45.0), rate_hz=(0.6, 2.4),
                                 amplitude=(0.7, 1.0), p_generalise=0.1, p_atypical=0.05),
            tle=SeizureProgramme(duration_s=(40.0, 60.0), rate_hz=(0.4, 1.8),
                                 amplitude=(0.6, 1.0), p_generalise=0.1, p_atypical=0.05),
        )
        base.update(overrides)
        return cls.model_validate(base)

    @classmethod
    def clinic(cls, **overrides: object) -> PhantomConfig:
        """The demo's patients and seizures under a 2D clinic camera (:class:`ClinicConfig`):
        24 patients, one seizure each, day colour and night infrared H.264 MP4 at clinic
        sizes and frame rates, a quarter of them picture-in-picture montages."""
        base: dict[str, object] = dict(PhantomConfig.demo().model_dump(),
                                       streams=("clinic",), fps=25, name="phantom-clinic")
        base.update(overrides)
        return cls.model_validate(base)

    @classmethod
    def gestures(cls, **overrides: object) -> PhantomConfig:
        """Seed 002's dataset in small: focal (FOS) and focal to bilateral tonic-clonic (TCS)
        seizures with the seed's durations and generalisation ratios (:class:`SeizureTypesConfig`)
        times ``duration_scale = 0.1``, one to three seizures per patient, two cameras of
        different mounts per bed in every recording, written as the seed's picture-in-picture
        montage (the second camera shrunk to 800/1920 of the width in the top-left corner),
        H.264 at 30 fps, 640x360 (the seed resizes its 1920x1080 video to 320x180 before
        anything; ``clinic_camera.sizes: [[1920, 1080]]`` renders at its size)."""
        camera = dict(ClinicConfig().model_dump(), sizes=((640, 360),), size_weights=(1.0,),
                      frame_rates=("30",), frame_rate_weights=(1.0,), p_montage=1.0)
        base: dict[str, object] = dict(
            PhantomConfig.clinic().model_dump(), classes=("FOS", "TCS"),
            events_per_patient=(1, 3), fps=30, duration_scale=0.1, name="phantom-gestures",
            clinic_camera=camera)
        base.update(overrides)
        return cls.model_validate(base)

    @classmethod
    def tiny(cls, **overrides: object) -> PhantomConfig:
        """A few seconds of 64x53 video for 4 patients (tests)."""
        base: dict[str, object] = dict(
            n_patients=4, events_per_patient=(1, 1), pre_s=(1.0, 1.5), post_s=(1.0, 1.5),
            duration_scale=0.05, scale=0.125, name="phantom-tiny",
        )
        base.update(overrides)
        return cls.model_validate(base)
