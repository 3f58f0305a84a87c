"""Request and response bodies, one set per entity (``...Create``, ``...Update``, ``...Public``).

Request bodies forbid unknown fields, so a client can never slip an identifying field (a name,
a birth date) into a patient, and a typo is a 422 instead of being silently ignored. Times are
seconds from the start of the recording.

Every id a client sends is a :data:`DbId`: outside the range of the id columns it cannot name a
row and is refused with 422 before any query. In ``...Update`` bodies a field left out keeps its
value (``MISSING``); ``null`` is admitted only where the column may be empty.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import MISSING, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ictal.manifest.signs import SIGNS, Sign
from ictal.manifest.timing import (
    TimeProblem,
    describe,
    event_time_problems,
    moi_time_problems,
)
from ictal.server.enums import PreviewStatus, Role, Sex, StreamKind

Seconds = Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
#: Largest value of the ``INTEGER`` columns (ids, versions): 32-bit on PostgreSQL.
DB_INT_MAX = 2**31 - 1
#: The id of a row, as paths, queries and bodies carry it.
DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
#: The ``version`` of a row the client read (optimistic concurrency).
Version = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
#: Most ids one request may list (clinics, recordings of an export).
MAX_IDS = 1000


def _nul_paths(value: Any, where: str) -> list[str]:
    """Where ``value`` (a field's value: text, lists, mappings) holds a NUL character; nested
    request models check themselves."""
    if isinstance(value, str):
        return [where] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items()
                for p in _nul_paths(k, where) + _nul_paths(v, f"{where}[{k!r}]")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _nul_paths(v, f"{where}[{i}]")]
    return []


class _Body(BaseModel):
    """A request body: no text in it holds a NUL character (PostgreSQL cannot store one, and no
    name, label or path needs one), so both databases take what the schema admits."""

    @model_validator(mode="after")
    def _no_nul(self) -> Self:
        found = [p for name, value in self for p in _nul_paths(value, name)]
        if found:
            raise ValueError(f"text may not contain NUL characters ({', '.join(found)})")
        return self


class _In(_Body):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- auth & users --------------------------------------------------------------------------------
class LoginRequest(_In):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class PasswordChange(_In):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    new_password: Annotated[str, StringConstraints(min_length=12, max_length=1024)]


class ClinicCreate(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ClinicPublic(_Out):
    id: int
    name: str
    created_at: datetime


class UserCreate(_In):
    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]
    password: Annotated[str, StringConstraints(min_length=12, max_length=1024)]
    role: Role
    clinic_ids: Annotated[list[DbId], Field(min_length=1, max_length=MAX_IDS)]


class UserUpdate(_In):
    """An admin changes a user's role or (de)activates them; an inactive user cannot log in
    and their sessions end."""

    role: Role | None = None
    active: bool | None = None


class UserPublic(_Out):
    """A user as every route returns it: never the password hash."""

    id: int
    username: str
    role: Role
    active: bool
    clinic_ids: list[int]
    created_at: datetime


class SessionPublic(BaseModel):
    """Answer to login and ``GET /api/auth/me``: the user and the CSRF token to echo."""

    user: UserPublic
    csrf_token: str


# --- patients ------------------------------------------------------------------------------------
class PatientCreate(_In):
    """Pseudonymised clinical data only; the server generates the patient's code."""

    clinic_id: DbId | None = None  # required when the user belongs to several clinics
    age: Annotated[int, Field(ge=0, le=120)] | None = None
    sex: Sex | None = None
    syndrome: ShortText | None = None
    etiology: ShortText | None = None
    invasive: bool = False


class PatientUpdate(_In):
    """Fields to change (``null`` empties a clinical field; ``invasive`` is true or false)."""

    version: Version
    age: Annotated[int, Field(ge=0, le=120)] | MISSING | None = MISSING
    sex: Sex | MISSING | None = MISSING
    syndrome: ShortText | MISSING | None = MISSING
    etiology: ShortText | MISSING | None = MISSING
    invasive: bool | MISSING = MISSING


class PatientPublic(_Out):
    id: int
    code: str
    clinic_id: int
    age: int | None
    sex: Sex | None
    syndrome: str | None
    etiology: str | None
    invasive: bool
    created_at: datetime
    version: int


# --- storage & recordings ------------------------------------------------------------------------
class StorageEntry(BaseModel):
    name: str
    path: str  # relative to the storage root, '/'-separated
    is_dir: bool
    size_bytes: int | None


class StorageListing(BaseModel):
    path: str
    entries: list[StorageEntry]


class RecordingRegister(_In):
    """Register a file already in server storage; ``path`` is relative to the storage root."""

    patient_id: DbId
    path: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    kind: StreamKind = "ir"


class RecordingPublic(_Out):
    id: int
    patient_id: int
    patient_code: str
    clinic_id: int
    kind: StreamKind
    path: str  # relative to the storage root
    size_bytes: int
    fps: str  # exact rational, e.g. "30" or "30000/1001"
    width: int
    height: int
    n_frames: int
    duration: float
    pix_fmt: str
    preview_status: PreviewStatus
    preview_progress: float  # percent, 0..100
    preview_error: str | None
    created_at: datetime


class PreviewStatusPublic(BaseModel):
    recording_id: int
    status: PreviewStatus
    progress: float  # percent
    error: str | None


# --- events --------------------------------------------------------------------------------------
def _refuse(problems: list[TimeProblem]) -> None:
    """A ``ValueError`` (422) naming every broken time rule, if any."""
    if problems:
        raise ValueError(describe(problems))


Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]
#: The semiological signs an event shows (:mod:`ictal.manifest.signs`), each at most once.
Signs = Annotated[list[Sign], Field(max_length=len(SIGNS))]


def _unique_signs(signs: list[str]) -> None:
    """A ``ValueError`` (422) naming a sign given twice."""
    twice = sorted({s for s in signs if signs.count(s) > 1})
    if twice:
        raise ValueError(f"sign(s) given twice: {', '.join(twice)}")


class EventCreate(_In):
    t0: Seconds
    t1: Seconds
    tG: Seconds | None = None  # noqa: N815
    label: Label
    seizure_types: Annotated[str, StringConstraints(max_length=500)] = ""
    semiology: Annotated[str, StringConstraints(max_length=5000)] = ""
    signs: Signs = []

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _refuse(event_time_problems(self.t0, self.t1, self.tG))
        _unique_signs(self.signs)
        return self


class EventUpdate(_In):
    """Fields to change; ``version`` is the one the client read (stale -> 409).

    ``tG`` may be set to ``null`` explicitly to remove the generalisation time;
    ``seizure_types`` / ``semiology`` are emptied with ``""`` (``null`` does the same);
    ``signs`` replaces the event's signs (``[]`` or ``null``: none).
    """

    version: Version
    t0: Seconds | MISSING = MISSING
    t1: Seconds | MISSING = MISSING
    tG: Seconds | MISSING | None = MISSING  # noqa: N815
    label: Label | MISSING = MISSING
    seizure_types: Annotated[str, StringConstraints(max_length=500)] | MISSING | None = MISSING
    semiology: Annotated[str, StringConstraints(max_length=5000)] | MISSING | None = MISSING
    signs: Signs | MISSING | None = MISSING

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        """The times given together; the server checks them merged with the row's."""
        if self.t0 is not MISSING and self.t1 is not MISSING:
            _refuse(event_time_problems(self.t0, self.t1,
                                        None if self.tG is MISSING else self.tG))
        if isinstance(self.signs, list):
            _unique_signs(self.signs)
        return self


EventLayer = Literal["annotator", "consensus", "monitor"]
#: Where an event made from a monitor alarm stands: a draft until a clinician decides.
EventReview = Literal["draft", "confirmed", "rejected"]


class EventPublic(_Out):
    """``layer`` ``annotator``: ``author``'s own label (only they edit it); ``consensus``: a
    reviewer's adjudication (``origin``: the events / MOIs it was taken from); ``monitor``:
    made from an ``ictal monitor`` alarm (``monitor_alarm`` ``<bed>/<alarm id>``, ``origin``
    the alarm), ``review`` ``draft`` until a clinician confirms or rejects it."""

    id: int
    recording_id: int
    t0: float
    t1: float
    tG: float | None  # noqa: N815
    label: str
    seizure_types: str
    semiology: str
    signs: list[Sign] = []  # the manifest's meta.signs (ictal.manifest.signs)
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    version: int
    layer: EventLayer = "annotator"
    author: str | None = None  # username of created_by
    origin: dict[str, Any] | None = None
    review: EventReview | None = None
    monitor_alarm: str | None = None


# --- vocabulary & MOIs ---------------------------------------------------------------------------
class MoiTermCreate(_In):
    code: Code
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    category: Annotated[str, StringConstraints(max_length=64)] = ""


class MoiTermPublic(_Out):
    id: int
    code: str
    label: str
    category: str
    active: bool


class BodyRegionCreate(_In):
    code: Code
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class BodyRegionPublic(_Out):
    id: int
    code: str
    label: str
    active: bool


class Vocabulary(BaseModel):
    terms: list[MoiTermPublic]
    regions: list[BodyRegionPublic]


class MoiCreate(_In):
    """``region`` / ``term`` are vocabulary codes (``GET /api/vocabulary``)."""

    region: Code
    term: Code
    start: Seconds
    end: Seconds

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _refuse(moi_time_problems(self.start, self.end))
        return self


class MoiUpdate(_In):
    """Fields to change; ``version`` is the one the client read (stale -> 409)."""

    version: Version
    region: Code | MISSING = MISSING
    term: Code | MISSING = MISSING
    start: Seconds | MISSING = MISSING
    end: Seconds | MISSING = MISSING

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        """The times given together; the server checks them merged with the row's."""
        if self.start is not MISSING and self.end is not MISSING:
            _refuse(moi_time_problems(self.start, self.end))
        return self


class MoiPublic(_Out):
    id: int
    event_id: int
    region: str
    term: str
    start: float
    end: float
    annotator_id: int | None
    annotator: str | None  # username
    created_at: datetime
    updated_at: datetime
    version: int


# --- model runs ----------------------------------------------------------------------------------
class PredictionWindow(_Body):
    model_config = ConfigDict(extra="forbid")

    start_frame: Annotated[int, Field(ge=0)]
    stop_frame: Annotated[int, Field(ge=0)]
    t_start: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    t_stop: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    probs: list[Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]]


class PredictionModel(_Body):
    model_config = ConfigDict(extra="allow")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    bundle_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class PredictionDecision(_Body):
    model_config = ConfigDict(extra="forbid")

    label: str
    probs: list[Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]]


class PredictionSourceStream(_Body):
    model_config = ConfigDict(extra="allow")

    kind: Annotated[str, StringConstraints(max_length=16)]
    fps: Annotated[str, StringConstraints(max_length=32)] | None = None
    n_frames: Annotated[int, Field(ge=0, le=DB_INT_MAX)] | None = None
    fingerprint: Annotated[str, StringConstraints(max_length=80)] | None = None


class PredictionSource(_Body):
    """What ``ictal predict`` ran on (``ictal.manifest.files.recording_source``)."""

    model_config = ConfigDict(extra="allow")

    recording: Annotated[str, StringConstraints(max_length=4096)]
    duration: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    streams: Annotated[list[PredictionSourceStream], Field(max_length=16)] = Field(
        default_factory=list)


class PredictionsImport(_Body):
    """Exactly the JSON ``ictal predict`` writes (``format: ictal-predictions/1``).

    It must be the prediction of the recording it is imported onto: its ``recording``
    (``rec-<id>`` in an export of this server) must name it; ``source`` (written by ``ictal
    predict`` on videos and manifests), when present, must match its length and one of its
    streams' fingerprints.
    """

    model_config = ConfigDict(extra="forbid")

    format: Literal["ictal-predictions/1"]
    recording: Annotated[str, StringConstraints(max_length=4096)]
    model: PredictionModel
    labels: Annotated[list[Label], Field(min_length=1)]
    windows: Annotated[list[PredictionWindow], Field(max_length=1_000_000)]
    decision: PredictionDecision
    source: PredictionSource | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        n = len(self.labels)
        for i, w in enumerate(self.windows):
            if len(w.probs) != n:
                raise ValueError(f"windows[{i}].probs has {len(w.probs)} values, labels has {n}")
            if w.stop_frame <= w.start_frame or w.t_stop <= w.t_start:
                raise ValueError(f"windows[{i}] is empty or reversed")
        if len(self.decision.probs) != n:
            raise ValueError(
                f"decision.probs has {len(self.decision.probs)} values, labels has {n}"
            )
        if self.decision.label not in self.labels:
            raise ValueError(f"decision.label {self.decision.label!r} is not one of labels")
        return self


class ModelRunPublic(_Out):
    id: int
    recording_id: int
    source_recording: str
    model_name: str
    bundle_sha256: str
    model_info: dict[str, Any]
    labels: list[str]
    decision_label: str
    decision_probs: list[float]
    n_windows: int
    created_by: int | None
    created_at: datetime
    source_info: dict[str, Any] | None = None
    archived_at: datetime | None = None


class PredictionPublic(_Out):
    index: int
    start_frame: int
    stop_frame: int
    t_start: float
    t_stop: float
    probs: list[float]


class ModelRunDetail(ModelRunPublic):
    windows: list[PredictionPublic]


# --- export & audit ------------------------------------------------------------------------------
class ManifestExportRequest(_In):
    """Recordings to export: the listed ones plus every recording of the listed clinics."""

    recording_ids: Annotated[list[DbId], Field(max_length=MAX_IDS)] = Field(default_factory=list)
    clinic_ids: Annotated[list[DbId], Field(max_length=MAX_IDS)] = Field(default_factory=list)
    name: Annotated[str, StringConstraints(max_length=200)] = "ictal-server-export"
    #: ``consensus``: per recording, the reviewer's consensus events, else the events of its
    #: only annotator; a recording labelled by several annotators and not adjudicated is
    #: exported without events and listed in ``meta.not_adjudicated``. ``all``: every layer,
    #: each event with ``meta.annotator`` / ``meta.layer`` (for ``ictal agreement``).
    #: Either way, alarms of ``ictal monitor`` a clinician decided are labels too (confirmed:
    #: a seizure event; rejected: a false-alarm interval of the background label), drafts
    #: are not (listed in ``meta.monitor_drafts``); see ``ictal.server.export``.
    layers: Literal["consensus", "all"] = "consensus"

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.recording_ids and not self.clinic_ids:
            raise ValueError("give recording_ids and/or clinic_ids")
        return self


class AuditPublic(_Out):
    id: int
    at: datetime
    user_id: int | None
    username: str
    clinic_id: int | None
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: str


RowT = TypeVar("RowT", bound=BaseModel)


class ConflictDetail(BaseModel, Generic[RowT]):
    """What a 409 says: why the edit was refused, and the row as the server holds it now."""

    message: str
    current: RowT


class ConflictBody(BaseModel):
    """Body of a 409 (stale ``version``): ``{"detail": {"message": ..., "current": <row>}}``.

    Each versioned entity has its own subclass below, whose ``current`` is that entity's public
    schema, so the generated front-end client knows the exact type of the server's row. (Named
    subclasses, because OpenAPI would name a parametrised ``ConflictDetail[PatientPublic]``
    ``ConflictDetail_PatientPublic_``.)
    """

    detail: ConflictDetail[Any]


class PatientConflictDetail(ConflictDetail[PatientPublic]):
    """``current``: the patient as the server holds it now."""


class PatientConflict(ConflictBody):
    detail: PatientConflictDetail


class EventConflictDetail(ConflictDetail[EventPublic]):
    """``current``: the seizure event as the server holds it now."""


class EventConflict(ConflictBody):
    detail: EventConflictDetail


class MoiConflictDetail(ConflictDetail[MoiPublic]):
    """``current``: the MOI as the server holds it now."""


class MoiConflict(ConflictBody):
    detail: MoiConflictDetail


class ApiError(BaseModel):
    """Body of a 4xx answer: what went wrong and, where it helps, what to do."""

    detail: str


class ValidationIssue(BaseModel):
    """One field of the request that does not fit the schema."""

    loc: list[str | int]  # where: ["body", "t1"], ["path", "event_id"], ...
    msg: str
    type: str


class InvalidRequest(BaseModel):
    """Body of a 422: the fields that do not fit the schema, or one message when the values
    do not fit the data (an unknown vocabulary code, an event past the end of its recording)."""

    detail: str | list[ValidationIssue]


# --- team labelling: streams, layers, adjudication, agreement ------------------------------------
StreamKindAll = Literal["rgb", "ir", "depth", "joints"]


class StreamAttach(_In):
    """Attach another stream (depth, RGB, joints...) of the same recording, from server storage.

    Without ``offset_frames`` it must have the recording's frame rate and length; with it, this
    stream's frame 0 is the recording's frame ``offset_frames`` and the lengths may differ.
    A ``joints`` stream is a ``.npy`` array ``(T, J, C)``, at the recording's frame rate.
    """

    path: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    kind: StreamKindAll
    offset_frames: Annotated[int, Field(ge=-10**7, le=10**7)] | None = None


class StreamPublic(_Out):
    id: int
    recording_id: int
    kind: str
    path: str  # relative to the storage root
    fps: str
    width: int | None
    height: int | None
    n_frames: int
    offset_frames: int
    created_at: datetime


class ModelRunArchive(_In):
    archived: bool


class ConsensusCreate(_In):
    """Adjudicate: copy ``event_id`` (of any layer) into the consensus layer, with the MOIs
    ``moi_ids`` (of any event of the recording; default: the event's own MOIs)."""

    event_id: DbId
    moi_ids: Annotated[list[DbId], Field(max_length=MAX_IDS)] | None = None


class AnnotatorProgress(BaseModel):
    user_id: int | None
    username: str
    events: int
    mois: int
    last_edit: datetime | None


class RecordingLabelling(BaseModel):
    """Who labelled a recording, how much, and whether a reviewer adjudicated it."""

    recording_id: int
    annotators: list[AnnotatorProgress]
    consensus_events: int
    #: events made from monitor alarms (any review state; not an annotator's)
    monitor_events: int = 0


class EventMatchPublic(BaseModel):
    event_a: str
    event_b: str
    iou: float
    onset_diff_s: float
    offset_diff_s: float


class PairAgreementPublic(BaseModel):
    recording: str
    annotator_a: str
    annotator_b: str
    matches: list[EventMatchPublic]
    unmatched_a: list[str]
    unmatched_b: list[str]
    moi_iou: dict[str, float]
    kappa: float | None
    grid_points: int


class MeanStd(BaseModel):
    mean: float | None
    std: float | None
    n: int


class AgreementSummary(BaseModel):
    pairs: int
    matched_events: int
    unmatched_events: int
    onset_abs_diff_s: MeanStd
    offset_abs_diff_s: MeanStd
    moi_iou: MeanStd
    kappa: MeanStd
    kappa_pooled: float | None


class AgreementPublic(BaseModel):
    """Agreement between the annotators (``ictal.manifest.agreement``); events are named
    ``ev-<id>``, recordings ``rec-<id>`` as in an export."""

    grid_s: float
    pairs: list[PairAgreementPublic]
    summary: AgreementSummary
