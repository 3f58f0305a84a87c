"""Typed objects of the dataset manifest, ictal's interchange format.

One YAML file describes a dataset: its label vocabulary, pseudonymised patients, recordings
(each with one or more streams), events (seizures and non-epileptic segments) and MOI
annotations. Times are seconds from the start of the recording; stream paths are relative to the
manifest file. The README documents the format with an example.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator, model_validator

from ictal.errors import ConfigError
from ictal.manifest.signs import parse_signs
from ictal.timebase import as_fps

#: Fields that would identify a person; a manifest that carries one is refused.
IDENTIFYING_FIELDS = frozenset(
    {"name", "first_name", "last_name", "surname", "birth_date", "date_of_birth", "dob",
     "address", "phone", "email", "mrn", "ssn", "insurance_number"}
)

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

StreamKind = Literal["rgb", "ir", "depth", "joints"]
STREAM_KINDS: tuple[str, ...] = ("rgb", "ir", "depth", "joints")
#: The kinds whose frames are pictures preprocessing crops, in the order ``source: auto``
#: prefers them (a recording's crop is in their pixels).
PICTURE_KINDS: tuple[str, ...] = ("rgb", "ir")


def _serialize_fps(fps: Fraction) -> int | str:
    return int(fps) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


Fps = Annotated[Fraction, PlainSerializer(_serialize_fps, return_type=Any)]


#: Bounds of a stream's numbers: anything beyond is a typo or a hostile file, never a camera.
MAX_FPS = 1000
MAX_SIZE = 16384  # pixels, either side
MAX_FRAMES = 10**9  # a year at 30 fps


class _Row(BaseModel):
    # NaN and infinities are refused in every float field (times, ...)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(
            "ids may only hold letters, digits, '_', '-' and '.' and must start with a "
            "letter or digit"
        )
    return value


class Patient(_Row):
    """A pseudonymised patient: a code, never a name or any other identifier."""

    id: str
    sex: Literal["F", "M", "U"] | None = None
    age: Annotated[int, Field(ge=0, le=120)] | None = None
    syndrome: str | None = None  # e.g. "FLE", "TLE-left"
    etiology: str | None = None
    invasive: bool = False  # invasive EEG recording (SEEG / grids)
    meta: dict[str, Any] = Field(default_factory=dict)

    _id = field_validator("id")(_check_id)

    @field_validator("meta")
    @classmethod
    def _no_identifiers_in_meta(cls, meta: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(IDENTIFYING_FIELDS & {k.lower() for k in meta})
        if bad:
            raise ValueError(f"identifying data is never stored: remove {', '.join(bad)}")
        return meta


class Stream(_Row):
    """One stream of a recording: a video / image sequence / array file at a frame rate.

    ``kind`` says what the camera saw, not how the file stores it: ``ir`` is 16-bit Kinect
    infrared, or 8-bit night-vision video, whose grey picture clinic recorders store in a colour
    container (H.264 / MPEG ``yuv420p`` with neutral chroma: read as ``(H, W, 3)`` ``uint8``
    with three equal channels, like any colour file; an 8-bit grey file reads ``(H, W)``).
    """

    kind: StreamKind
    path: str  # relative to the manifest file; outside its folder only when allowed
    fps: Fps  # omitted in the file: taken from the stream's header (manifest.files)
    width: Annotated[int, Field(gt=0, le=MAX_SIZE)] | None = None
    height: Annotated[int, Field(gt=0, le=MAX_SIZE)] | None = None
    n_frames: Annotated[int, Field(ge=0, le=MAX_FRAMES)] | None = None
    view: str | None = None  # camera view name for multi-view recordings

    @field_validator("fps", mode="before")
    @classmethod
    def _parse_fps(cls, value: Any) -> Fraction:
        try:
            fps = as_fps(value)
        except (ConfigError, OverflowError) as err:
            raise ValueError(f"invalid frame rate {value!r}: use e.g. 30 or 30000/1001") from err
        if fps > MAX_FPS:
            raise ValueError(f"frame rate {value!r} is beyond {MAX_FPS} fps: use e.g. 30 or "
                             "30000/1001")
        return fps

    @property
    def duration(self) -> float | None:
        """Seconds, when ``n_frames`` is known."""
        return None if self.n_frames is None else float(self.n_frames / self.fps)


#: A box ``(x0, y0, x1, y1)`` in pixels, ``x1`` / ``y1`` exclusive.
PixelBox = tuple[int, int, int, int]


def _check_box(box: PixelBox, name: str) -> PixelBox:
    x0, y0, x1, y1 = box
    if x0 < 0 or y0 < 0 or x1 <= x0 or y1 <= y0:
        raise ValueError(f"{name} {list(box)} must be [x0, y0, x1, y1] with 0 <= x0 < x1 and "
                         "0 <= y0 < y1")
    return box


class Montage(_Row):
    """A picture-in-picture montage: a small view embedded in a corner of a large one (seed 002).

    ``small_box`` is ``(x0, y0, x1, y1)`` in pixels of the full frame, ``x1``/``y1`` exclusive.
    """

    small_box: PixelBox
    large_view: str = "large"
    small_view: str = "small"

    @field_validator("small_box")
    @classmethod
    def _box_ordered(cls, box: PixelBox) -> PixelBox:
        return _check_box(box, "small_box")

    @property
    def views(self) -> tuple[str, str]:
        """The views' names, the large one first."""
        return (self.large_view, self.small_view)

    def view_size(self, view: str | None, frame: tuple[int, int]) -> tuple[int, int]:
        """``(width, height)`` px of ``view``'s picture in a montage frame of size ``frame``:
        the small view's box, else the whole frame (the large view's picture, small box
        blanked)."""
        if view != self.small_view:
            return frame
        x0, y0, x1, y1 = self.small_box
        return (x1 - x0, y1 - y0)


class Recording(_Row):
    """A continuous recording of one patient in one bed, with one or more streams.

    ``crop`` is a detection crop given by hand (seed 000 cropped by hand the few seizures its
    detector missed): ``[x0, y0, x1, y1]`` in pixels of the frames of the stream preprocessing
    reads, or of a montage one box per view (``{large: [...], small: [...]}``, each in its
    view's own pixels; a view left out is detected). Where the preprocessing variant crops by
    detection, the box given replaces the detector's (`ictal manifest crop` writes it).
    """

    id: str
    patient: str
    streams: Annotated[list[Stream], Field(min_length=1)]
    camera: str | None = None
    bed: str | None = None
    montage: Montage | None = None
    crop: PixelBox | dict[str, PixelBox] | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    _id = field_validator("id")(_check_id)

    @field_validator("crop")
    @classmethod
    def _crop_boxes(cls, crop: PixelBox | dict[str, PixelBox] | None
                    ) -> PixelBox | dict[str, PixelBox] | None:
        if isinstance(crop, dict):
            for view, box in crop.items():
                _check_box(box, f"crop of view {view!r}")
        elif crop is not None:
            _check_box(crop, "crop")
        return crop

    @model_validator(mode="after")
    def _crop_fits_montage(self) -> Recording:
        if self.crop is None:
            return self
        if self.montage is None and isinstance(self.crop, dict):
            raise ValueError("crop: one box [x0, y0, x1, y1] for a recording without a montage "
                             f"(got views {', '.join(self.crop)})")
        if self.montage is not None:
            if not isinstance(self.crop, dict):
                raise ValueError("crop: a montage is cropped per view: give "
                                 f"{{{self.montage.large_view}: [x0, y0, x1, y1], "
                                 f"{self.montage.small_view}: [...]}} (either may be left out)")
            unknown = sorted(set(self.crop) - set(self.montage.views))
            if unknown:
                raise ValueError(f"crop: no view {', '.join(unknown)} in the montage (views: "
                                 f"{', '.join(self.montage.views)})")
        return self

    @property
    def given_crops(self) -> dict[str | None, PixelBox]:
        """The crops given by hand per view (``None``: the whole frame's), empty when none."""
        if self.crop is None:
            return {}
        return dict(self.crop) if isinstance(self.crop, dict) else {None: self.crop}

    def stream(self, kind: str) -> Stream:
        """The first stream of ``kind``; ``KeyError`` naming the recording when absent."""
        for s in self.streams:
            if s.kind == kind:
                return s
        have = ", ".join(s.kind for s in self.streams)
        raise KeyError(f"recording {self.id} has no {kind} stream (it has: {have})")

    def has_stream(self, kind: str) -> bool:
        return any(s.kind == kind for s in self.streams)

    @property
    def duration(self) -> float | None:
        """Seconds of the longest stream whose length is known."""
        known = [s.duration for s in self.streams if s.duration is not None]
        return max(known) if known else None


class Event(_Row):
    """A labelled segment of a recording: a seizure, or a non-epileptic period.

    ``t0`` / ``t1`` are onset / offset and ``tG`` the time of generalisation (focal to bilateral
    tonic-clonic seizures, seed 002), all in seconds from the recording's start.
    ``meta.signs``, when given, lists the semiological signs the event shows
    (:mod:`ictal.manifest.signs`: ``[dystonia, dystonia-left, emotion, ...]``); :attr:`signs`
    reads it.
    """

    id: str
    recording: str
    t0: Annotated[float, Field(ge=0)]
    t1: float
    tG: float | None = None  # noqa: N815 (the seeds' name)
    label: str
    seizure_types: str = ""
    semiology: str = ""  # semiology sequence as free text, e.g. "automatisms -> dystonia"
    meta: dict[str, Any] = Field(default_factory=dict)

    _id = field_validator("id")(_check_id)

    @field_validator("meta")
    @classmethod
    def _signs_are_codes(cls, meta: dict[str, Any]) -> dict[str, Any]:
        parse_signs(meta.get("signs"))  # refuses a malformed meta.signs, rewrites nothing
        return meta

    @property
    def signs(self) -> tuple[str, ...]:
        """The sign codes of ``meta.signs`` as given (:func:`.signs.parse_signs`)."""
        return parse_signs(self.meta.get("signs"))

    @property
    def duration(self) -> float:
        return self.t1 - self.t0

    @property
    def generalises(self) -> bool:
        return self.tG is not None


class MoiAnnotation(_Row):
    """A movement of interest inside an event: body region, ILAE term, start and end (s)."""

    id: str
    event: str
    region: str  # e.g. "left-hand", "head", "trunk"
    term: str  # e.g. "automatism", "dystonia", "clonic"
    start: float
    end: float
    annotator: str = ""

    _id = field_validator("id")(_check_id)


class Manifest(BaseModel):
    """A whole dataset. ``root`` is the directory stream paths are relative to (not saved): the
    folder named by the file's ``root:`` key (:attr:`root_dir`), else the manifest's folder."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = Field(1, alias="ictal_manifest")
    name: str = ""
    labels: list[str] = Field(default_factory=list)
    patients: list[Patient] = Field(default_factory=list)
    recordings: list[Recording] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    mois: list[MoiAnnotation] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)

    root: Any = Field(default=None, exclude=True)
    #: The file's own ``root:`` key as written (absolute, or relative to the manifest's folder):
    #: the folder stream paths are relative to, instead of the manifest's folder. Exports of the
    #: web platform name the server's storage root this way, so the manifest works wherever it
    #: is saved. Written back by :func:`~ictal.manifest.io.manifest_to_dict`.
    root_dir: str | None = Field(default=None, exclude=True)

    # lookup helpers -------------------------------------------------------------------------
    def patient(self, pid: str) -> Patient:
        return _by_id(self.patients, pid, "patient")

    def recording(self, rid: str) -> Recording:
        return _by_id(self.recordings, rid, "recording")

    def event(self, eid: str) -> Event:
        return _by_id(self.events, eid, "event")

    def events_of(self, recording_id: str) -> list[Event]:
        return [e for e in self.events if e.recording == recording_id]

    def mois_of(self, event_id: str) -> list[MoiAnnotation]:
        return [m for m in self.mois if m.event == event_id]

    def patient_of_event(self, event: Event) -> Patient:
        return self.patient(self.recording(event.recording).patient)

    def resolve(self, stream: Stream):  # -> Path
        """Absolute path of a stream file."""
        from pathlib import Path

        p = Path(stream.path)
        if p.is_absolute() or self.root is None:
            return p
        return Path(self.root) / p


def _by_id(rows: list[Any], key: str, what: str) -> Any:
    for row in rows:
        if row.id == key:
            return row
    raise KeyError(f"no {what} with id {key!r}")
