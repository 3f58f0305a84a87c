"""Database tables (SQLAlchemy 2, typed ``Mapped[...]``). Change them only with a migration.

No patient table holds a name, birth date, address or any other identifier: a patient is a
generated pseudonymous ``code`` plus the few clinical fields seed 003 needs. Times of events and
MOIs are seconds from the recording's start (float, as in the manifest).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ictal.server.db import Base, UTCDateTime, str_enum, utcnow
from ictal.server.enums import PreviewStatus, Role, Sex, StreamKind

clinic_members = Table(
    "clinic_members",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("clinic_id", ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True),
)


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    clinics: Mapped[list[Clinic]] = relationship(
        secondary=clinic_members, lazy="selectin", order_by=Clinic.id
    )

    @property
    def clinic_ids(self) -> list[int]:
        return [c.id for c in self.clinics]


class LoginSession(Base):
    """A browser session; only the SHA-256 of the cookie token is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship(lazy="joined")


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    age: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[Sex | None] = mapped_column(String(1))
    syndrome: Mapped[str | None] = mapped_column(String(200))
    etiology: Mapped[str | None] = mapped_column(String(200))
    invasive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Recording(Base):
    """A raw stream file on the server (it stays where it is) and its browser preview."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    kind: Mapped[StreamKind] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)  # absolute, resolved, inside the storage root
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    fps: Mapped[str] = mapped_column(String(32))  # exact rational "30" or "30000/1001"
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    n_frames: Mapped[int] = mapped_column(Integer)
    duration: Mapped[float] = mapped_column(Float)
    pix_fmt: Mapped[str] = mapped_column(String(32))
    window_lo: Mapped[int | None] = mapped_column(Integer)  # 16-bit -> 8-bit grey window
    window_hi: Mapped[int | None] = mapped_column(Integer)
    preview_status: Mapped[PreviewStatus] = mapped_column(str_enum(PreviewStatus, 16),
                                                          default=PreviewStatus.PENDING)
    preview_progress: Mapped[float] = mapped_column(Float, default=0.0)
    preview_path: Mapped[str | None] = mapped_column(Text)  # relative to the preview root
    preview_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: ``ictal.fsutil.file_fingerprint`` of ``path`` (model runs are checked against it)
    fingerprint: Mapped[str | None] = mapped_column(String(80))
    patient: Mapped[Patient] = relationship(lazy="joined")


class RecordingStream(Base):
    """Another stream of a recording (depth, RGB, joints...) beside its main one in
    :class:`Recording`: same frame rate and length, or an explicit ``offset_frames`` (this
    stream's frame 0 is the main stream's frame ``offset_frames``)."""

    __tablename__ = "recording_streams"
    __table_args__ = (UniqueConstraint("recording_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)  # absolute, resolved, inside the storage root
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    fps: Mapped[str] = mapped_column(String(32))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    n_frames: Mapped[int] = mapped_column(Integer)
    offset_frames: Mapped[int] = mapped_column(Integer, default=0)
    fingerprint: Mapped[str | None] = mapped_column(String(80))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Event(Base):
    """A labelled segment: onset ``t0``, offset ``t1``, generalisation ``tG`` (seconds).

    ``layer`` ``annotator``: the event belongs to its author (``created_by``), who alone edits
    it and its MOIs; ``consensus``: a reviewer's adjudication (``origin`` names the events and
    MOIs it was taken from), edited by reviewers, and what the export gives by default;
    ``monitor``: made from an alarm of ``ictal monitor`` (``monitor_alarm`` = ``<bed>/<alarm
    id>``, ``origin`` the alarm), edited by any clinician, with ``review`` ``draft`` until a
    clinician confirms it (a seizure) or rejects it (a false alarm).
    """

    __tablename__ = "events"
    __table_args__ = (Index("ux_events_monitor_alarm", "recording_id", "monitor_alarm",
                            unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    t0: Mapped[float] = mapped_column(Float)
    t1: Mapped[float] = mapped_column(Float)
    tG: Mapped[float | None] = mapped_column(Float)  # noqa: N815 (the seeds' name)
    label: Mapped[str] = mapped_column(String(64))
    seizure_types: Mapped[str] = mapped_column(String(500), default="")
    semiology: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    layer: Mapped[str] = mapped_column(String(16), default="annotator",
                                       server_default="annotator")
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: semiological sign codes (:data:`ictal.manifest.signs.SIGNS`), exported as meta.signs
    signs: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    #: ``draft`` / ``confirmed`` / ``rejected`` for a ``monitor`` event, else ``None``
    review: Mapped[str | None] = mapped_column(String(16))
    monitor_alarm: Mapped[str | None] = mapped_column(String(160))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class MonitorBedRecording(Base):
    """A bed of ``ictal monitor`` seen in a recording of the platform: the bed's timeline
    second ``offset`` is the recording's second 0 (``0`` for a recording the bed replays), so
    an alarm at bed time ``t`` lies at ``t - offset`` in the recording. A bed may have several
    (one patient after another); an alarm goes to the one whose span holds its onset."""

    __tablename__ = "monitor_bed_recordings"
    __table_args__ = (UniqueConstraint("bed", "recording_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bed: Mapped[str] = mapped_column(String(64), index=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    offset: Mapped[float] = mapped_column(Float)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recording: Mapped[Recording] = relationship(lazy="joined")


#: an event's author's username: a correlated subquery of the event's own SELECT (no query more)
Event.author = column_property(  # type: ignore[attr-defined]
    select(User.username).where(User.id == Event.created_by).correlate_except(User)
    .scalar_subquery()
)


class MoiTerm(Base):
    """A movement-of-interest term of the controlled ILAE semiology vocabulary."""

    __tablename__ = "moi_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BodyRegion(Base):
    __tablename__ = "body_regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class MoiAnnotation(Base):
    """A movement of interest inside an event: region, term, start and end (seconds)."""

    __tablename__ = "moi_annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("body_regions.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("moi_terms.id"))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    annotator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    region: Mapped[BodyRegion] = relationship(lazy="joined")
    term: Mapped[MoiTerm] = relationship(lazy="joined")
    annotator: Mapped[User | None] = relationship(lazy="joined")
    #: loaded only when asked for (``get_moi`` joins it: an update checks times against it)
    event: Mapped[Event] = relationship(lazy="select")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ModelRun(Base):
    """An imported ``ictal predict`` output (format ``ictal-predictions/1``)."""

    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    source_recording: Mapped[str] = mapped_column(Text)
    model_name: Mapped[str] = mapped_column(String(200))
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    model_info: Mapped[dict[str, Any]] = mapped_column(JSON)
    labels: Mapped[list[str]] = mapped_column(JSON)
    decision_label: Mapped[str] = mapped_column(String(64))
    decision_probs: Mapped[list[float]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: what ``ictal predict`` says it ran on (``ictal.manifest.files.recording_source``)
    source_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Prediction(Base):
    """One window of a model run: frames ``[start_frame, stop_frame)`` and class probabilities."""

    __tablename__ = "predictions"
    __table_args__ = (UniqueConstraint("run_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    start_frame: Mapped[int] = mapped_column(Integer)
    stop_frame: Mapped[int] = mapped_column(Integer)
    t_start: Mapped[float] = mapped_column(Float)
    t_stop: Mapped[float] = mapped_column(Float)
    probs: Mapped[list[float]] = mapped_column(JSON)


class KeypointSet(Base):
    """An imported ``ictal keypoints`` shard of a recording (format ``ictal-keypoints/1``):
    its description here, its frames in :class:`KeypointChunk` rows, the per-limb activity
    lanes (``ictal.keypoints.overlay.activity_lanes``) computed once at import."""

    __tablename__ = "keypoint_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    source_recording: Mapped[str] = mapped_column(Text)  # the shard's ``recording``
    source: Mapped[str] = mapped_column(String(32))  # model / kinect / file / phantom
    fps: Mapped[str] = mapped_column(String(32))  # exact rational, the recording's
    width: Mapped[int] = mapped_column(Integer)  # pixel space of the keypoints
    height: Mapped[int] = mapped_column(Integer)
    n_rows: Mapped[int] = mapped_column(Integer)  # frames in the shard
    first_frame: Mapped[int] = mapped_column(Integer)
    last_frame: Mapped[int] = mapped_column(Integer)
    body_frames: Mapped[int] = mapped_column(Integer)  # frames with a skeleton
    face_frames: Mapped[int] = mapped_column(Integer)  # frames with face landmarks
    has_3d: Mapped[bool] = mapped_column(Boolean)
    sha256: Mapped[str] = mapped_column(String(64))  # of the imported file
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    lanes: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeypointChunk(Base):
    """Consecutive rows of a keypoint set (``ictal.server.repositories.keypoints``): frames
    ``[start_frame, stop_frame)`` hold rows ``frame`` (n,) int64, ``body`` (n, 11, 3) and
    ``face`` (n, 23, 3) float32 ``(x px, y px, confidence)``, an ``.npz`` in ``data``."""

    __tablename__ = "keypoint_chunks"
    __table_args__ = (UniqueConstraint("set_id", "index"),
                      Index("ix_keypoint_chunks_set_frames", "set_id", "start_frame"))

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("keypoint_sets.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    start_frame: Mapped[int] = mapped_column(Integer)
    stop_frame: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class AuditEntry(Base):
    """Append-only: who changed what and when. The application never updates or deletes rows."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_clinic_at", "clinic_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)  # no FK: survives user removal
    username: Mapped[str] = mapped_column(String(64))
    clinic_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))  # create / update / delete / login ...
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
