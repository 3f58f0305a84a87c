"""The live bedside page's API: the beds ``ictal monitor`` follows, their alarms, and
acknowledgements.

The monitor journals each bed under ``<data_dir>/monitor/<bed>/`` (run it with ``--out
$ICTAL_DATA_DIR/monitor``; the journal format is ``ictal.monitor.journal``'s: ``bed.json``,
``windows.jsonl``, ``alarms.jsonl``, ``notes.jsonl``). The platform reads those files -- it
does not import the monitor, which runs as its own service -- and appends the staff's answers
to an alarm to ``acks.jsonl`` in the same folder (who, role, when, decision: acknowledged,
turned into a draft event, confirmed as a seizure, or rejected; append-only), each also
written to the audit log.

A bed is assigned the recordings of the platform it is seen in (``POST
/api/monitor/beds/{bed}/recordings``: recording and offset, the bed's second at the
recording's start). An alarm turned into a draft, confirmed or rejected becomes an event of
the recording whose span holds the alarm's onset (``ictal.server.repositories.monitor``):
layer ``monitor``, onset / offset the alarm's stretch (``onset_t`` / ``offset_t`` of the
monitor's journal), ``review`` draft / confirmed / rejected. A clinician confirms or rejects
it on the labelling timeline (``POST /api/events/{id}/review``, also appended to the bed's
``acks.jsonl``); a decision given before the bed had a recording makes its event when one is
assigned. Confirmed and rejected events are labels of the platform's export that training
reads (``ictal.server.export``).
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from ictal.jsonl import append_line, read_jsonl
from ictal.server.db import commit
from ictal.server.deps import Annotator, CurrentUser, DbSession, Settings
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.models import Event, MonitorBedRecording, User
from ictal.server.presenters import event_public, storage_relative
from ictal.server.repositories import events as event_repo
from ictal.server.repositories import monitor as repo
from ictal.server.repositories import recordings
from ictal.server.repositories.audit import add_audit
from ictal.server.routes.responses import COMMON
from ictal.server.schemas import DbId, EventPublic, EventReview, Version

router = APIRouter(tags=["monitor"], responses=COMMON)

BED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ALARM_ID = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
#: Bytes read from the end of a bed's windows journal per request (about 20 min of windows).
TAIL_BYTES = 256 * 1024
_ACK_LOCK = threading.Lock()

Decision = Literal["acknowledged", "draft", "confirmed", "rejected"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MonitorWindow(_Out):
    """One window of a bed: probabilities per label, or why it could not be assessed."""

    n: int
    t_start: float
    t_stop: float
    state: str
    probs: list[float] | None = None
    score: float | None = None
    reason: str | None = None


class AlarmAck(_Out):
    """A staff member's answer to an alarm."""

    user: str
    role: str
    at: str
    decision: Decision
    note: str = ""
    #: the event it was given on (an answer on the labelling timeline)
    event: int | None = None


class AlarmEvent(_Out):
    """The event of a recording made from an alarm."""

    id: int
    recording_id: int
    t0: float
    t1: float
    label: str
    review: EventReview | None
    version: int


class MonitorAlarm(_Out):
    """An alarm of a bed: raised (and cleared) with its reason, the stretch of the bed's
    timeline it stands for, the answers to it and the event made from it."""

    id: str
    label: str
    raised_t: float
    raised_at: str
    reason: str
    score: float
    cleared_t: float | None = None
    onset_t: float | None = None
    offset_t: float | None = None
    acks: list[AlarmAck] = []
    event: AlarmEvent | None = None


class BedRecording(_Out):
    """A recording of the platform a bed is seen in: the bed's second ``offset`` is the
    recording's second 0."""

    recording_id: int
    patient_code: str
    path: str
    duration: float
    offset: float


class MonitorBed(_Out):
    """A bed's live state."""

    name: str
    labels: list[str]
    alarm_rule: str
    alarm_active: bool
    windows: list[MonitorWindow]
    alarms: list[MonitorAlarm]
    not_assessable_share: float | None = None
    #: the same per kind of reason (``frame gap``, ``patient hidden``, ``no contrast in the
    #: crop``, ...; a dropped window's is ``compute behind``)
    not_assessable_reasons: dict[str, float] = {}
    last_note: str | None = None
    recordings: list[BedRecording] = []


class MonitorBeds(_Out):
    """Every bed the monitor journals (``beds`` empty when none runs)."""

    beds: list[MonitorBed]


class AckRequest(BaseModel):
    """An answer to an alarm."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision = "acknowledged"
    note: Annotated[str, Field(max_length=500)] = ""


class BedRecordingAssign(BaseModel):
    """Assign a bed the recording it is seen in, from the bed's second ``offset`` (``0``
    for a recording the bed replays)."""

    model_config = ConfigDict(extra="forbid")

    recording_id: DbId
    offset: Annotated[float, Field(ge=-1e7, le=1e7, allow_inf_nan=False)] = 0.0


class EventReviewRequest(BaseModel):
    """A clinician's decision on an event made from a monitor alarm; ``version`` is the one
    the client read (stale -> 409)."""

    model_config = ConfigDict(extra="forbid")

    decision: EventReview
    version: Version
    note: Annotated[str, Field(max_length=500)] = ""


def monitor_dir(settings: Any) -> Path:
    """Where the beds' journals are: ``<data_dir>/monitor``."""
    return Path(settings.data_dir) / "monitor"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _alarms(folder: Path, meta: dict[str, Any]) -> list[MonitorAlarm]:
    """The bed's alarms with their answers; ``onset_t`` / ``offset_t`` from the journal
    (a journal older than them: the raising window's start / the clearing window's end)."""
    window_s = float(meta.get("window", 0) / Fraction(meta.get("fps", "1")))
    acks: dict[str, list[AlarmAck]] = {}
    for a in read_jsonl(folder / "acks.jsonl"):
        acks.setdefault(a["alarm"], []).append(AlarmAck.model_validate(a))
    alarms: dict[str, MonitorAlarm] = {}
    for a in read_jsonl(folder / "alarms.jsonl"):
        if a.get("action") == "raised":
            onset = a.get("onset_t")
            alarms[a["id"]] = MonitorAlarm(
                id=a["id"], label=a["label"], raised_t=a["t"], raised_at=_iso(a["wall"]),
                reason=a["reason"], score=a["score"],
                onset_t=a["t"] - window_s if onset is None else onset,
                acks=acks.get(a["id"], []))
        elif a.get("action") == "cleared" and a["id"] in alarms:
            alarms[a["id"]].cleared_t = a["t"]
            offset = a.get("offset_t")
            alarms[a["id"]].offset_t = a["t"] if offset is None else offset
    return list(alarms.values())


def reason_kind(reason: str | None) -> str:
    """The kind of a not-assessable reason: its text before the first ``:`` or `` (``
    (``"patient hidden: 12 % of ..."`` -> ``"patient hidden"``)."""
    text = (reason or "unknown").split(":", 1)[0].split(" (", 1)[0].strip()
    return text or "unknown"


def _meta(folder: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((folder / "bed.json").read_text())
    return meta


def _span(folder: Path, meta: dict[str, Any], alarm: MonitorAlarm) -> repo.AlarmSpan:
    """What an event needs of ``alarm``: still raised, it lasts to the last window
    journaled."""
    end = alarm.offset_t
    if end is None:
        tail = read_jsonl(folder / "windows.jsonl", tail_bytes=4096)
        end = tail[-1]["t_stop"] if tail else alarm.raised_t
    return repo.AlarmSpan(
        bed=folder.name, alarm=alarm.id, label=alarm.label,
        onset_t=alarm.onset_t if alarm.onset_t is not None else alarm.raised_t,
        end_t=float(end), raised_t=alarm.raised_t, score=alarm.score, reason=alarm.reason,
        background=tuple(meta.get("background") or ("NE",)), open=alarm.offset_t is None)


def _alarm_event(ev: Event | None) -> AlarmEvent | None:
    return None if ev is None else AlarmEvent.model_validate(ev, from_attributes=True)


def _bed_recording(row: MonitorBedRecording, settings: Any) -> BedRecording:
    rec = row.recording
    return BedRecording(recording_id=rec.id, patient_code=rec.patient.code,
                        path=storage_relative(rec.path, settings.storage),
                        duration=rec.duration, offset=row.offset)


def _bed(folder: Path, seconds: float, rows: list[MonitorBedRecording],
         found: dict[str, Event], settings: Any) -> MonitorBed:
    meta = _meta(folder)
    windows = read_jsonl(folder / "windows.jsonl", tail_bytes=TAIL_BYTES)
    if windows:
        last = windows[-1]["t_stop"]
        windows = [w for w in windows if w["t_stop"] > last - seconds]
    alarms = _alarms(folder, meta)
    for a in alarms:
        a.event = _alarm_event(found.get(repo.alarm_key(folder.name, a.id)))
    span = sum(w["t_stop"] - w["t_start"] for w in windows)
    off = sum(w["t_stop"] - w["t_start"] for w in windows if w["state"] != "scored")
    reasons: dict[str, float] = {}
    for w in windows:
        if w["state"] != "scored":
            kind = reason_kind(w.get("reason"))
            reasons[kind] = reasons.get(kind, 0.0) + (w["t_stop"] - w["t_start"]) / span
    notes = read_jsonl(folder / "notes.jsonl", tail_bytes=16 * 1024)
    return MonitorBed(
        name=folder.name, labels=meta.get("labels", []), alarm_rule=meta.get("alarm", ""),
        alarm_active=bool(alarms) and alarms[-1].cleared_t is None,
        windows=[MonitorWindow.model_validate(w) for w in windows], alarms=alarms[-50:],
        not_assessable_share=off / span if span else None,
        not_assessable_reasons=reasons,
        last_note=notes[-1]["message"] if notes else None,
        recordings=[_bed_recording(r, settings) for r in rows if r.bed == folder.name])


def _bed_folder(settings: Any, bed: str) -> Path:
    folder = monitor_dir(settings) / bed
    if not BED_NAME.match(bed) or not (folder / "bed.json").is_file():
        raise NotFoundError(f"no monitored bed {bed!r}")
    return folder


def _keys(bed: str, alarms: list[MonitorAlarm]) -> list[str]:
    return [repo.alarm_key(bed, a.id) for a in alarms]


@router.get("/monitor/beds", response_model=MonitorBeds)
def list_beds(user: CurrentUser, db: DbSession, settings: Settings,
              seconds: Annotated[float, Query(gt=0, le=3600)] = 120.0) -> MonitorBeds:
    """Every bed ``ictal monitor`` journals under the data folder: the last ``seconds`` of
    windows (class probabilities or why not assessable), its alarms, their answers and the
    events made from them, and the recordings the bed is seen in (those of your clinics)."""
    root = monitor_dir(settings)
    folders = sorted(f for f in root.iterdir() if BED_NAME.match(f.name)
                     and (f / "bed.json").is_file()) if root.is_dir() else []
    rows = repo.bed_recordings(db, [f.name for f in folders], user.clinic_ids)
    keys = [k for f in folders for k in _keys(f.name, _alarms(f, _meta(f)))]
    found = repo.alarm_events(db, keys, user.clinic_ids)
    return MonitorBeds(beds=[_bed(f, seconds, rows, found, settings) for f in folders])


def _decide(db: Any, user: User, folder: Path, alarm: MonitorAlarm, decision: str
            ) -> Event | None:
    meta = _meta(folder)
    rows = repo.bed_recordings(db, [folder.name], user.clinic_ids)
    review: repo.Review = "draft" if decision == "draft" else (
        "confirmed" if decision == "confirmed" else "rejected")
    return repo.decide_alarm(db, user, _span(folder, meta, alarm), review, rows)


@router.post("/monitor/beds/{bed}/alarms/{alarm_id}/acks", response_model=MonitorAlarm,
             status_code=status.HTTP_201_CREATED)
def acknowledge(bed: str, alarm_id: str, body: AckRequest, user: Annotator, db: DbSession,
                settings: Settings) -> MonitorAlarm:
    """Answer an alarm: acknowledged (seen), draft (turned into a draft event on the bed's
    recording for a clinician to confirm or reject), confirmed (a seizure) or rejected (a
    false alarm); who and when are recorded with it and in the audit log. A draft needs a
    recording of the bed holding the alarm's onset (422 otherwise); a confirmation or a
    rejection without one is recorded and becomes an event when the bed is assigned one."""
    folder = _bed_folder(settings, bed)
    alarm = next((a for a in _alarms(folder, _meta(folder)) if a.id == alarm_id), None)
    if not ALARM_ID.match(alarm_id) or alarm is None:
        raise NotFoundError(f"bed {bed} has no alarm {alarm_id!r}")
    ack = {"alarm": alarm_id, "user": user.username, "role": str(user.role),
           "at": datetime.now(UTC).isoformat(timespec="seconds"), "decision": body.decision,
           "note": body.note}
    with _ACK_LOCK:
        ev = None
        if body.decision != "acknowledged":
            ev = _decide(db, user, folder, alarm, body.decision)
            if ev is None and body.decision == "draft":
                raise InvalidError(
                    f"bed {bed} is seen in no recording of yours at {alarm.onset_t:.1f} s (the "
                    f"alarm's onset on the bed's timeline): assign it the recording first "
                    f"(POST /api/monitor/beds/{bed}/recordings)")
        with (folder / "acks.jsonl").open("ab") as fh:
            append_line(fh, ack)
        clinics = user.clinic_ids
        add_audit(db, user, f"monitor.alarm.{body.decision}", "monitor_alarm",
                  None if ev is None else ev.id,
                  ev.clinic_id if ev is not None else (clinics[0] if clinics else None),
                  after={"bed": bed, **ack, "event": None if ev is None else ev.id})
        commit(db)
    answered = next(a for a in _alarms(folder, _meta(folder)) if a.id == alarm_id)
    answered.event = _alarm_event(repo.alarm_events(
        db, _keys(bed, [answered]), user.clinic_ids).get(repo.alarm_key(bed, alarm_id)))
    return answered


@router.post("/monitor/beds/{bed}/recordings", response_model=BedRecording,
             status_code=status.HTTP_201_CREATED)
def assign_recording(bed: str, body: BedRecordingAssign, user: Annotator, db: DbSession,
                     settings: Settings) -> BedRecording:
    """Say which recording of the platform the bed is seen in: the bed's second ``offset`` is
    the recording's second 0 (again for the same recording: the new offset). Alarms of the
    bed already confirmed, rejected or turned into drafts whose onset falls in the recording
    become its events. Audited."""
    folder = _bed_folder(settings, bed)
    rec = recordings.get_recording(db, body.recording_id, user.clinic_ids)
    with _ACK_LOCK:
        row = repo.assign_recording(db, user, bed, rec, body.offset)
        for alarm in _alarms(folder, _meta(folder)):
            decided = [k.decision for k in alarm.acks if k.decision != "acknowledged"]
            if decided:
                _decide(db, user, folder, alarm, decided[-1])
        commit(db)
    return _bed_recording(row, settings)


@router.delete("/monitor/beds/{bed}/recordings/{recording_id}",
               status_code=status.HTTP_204_NO_CONTENT)
def unassign_recording(bed: str, recording_id: DbId, user: Annotator, db: DbSession,
                       settings: Settings) -> None:
    """The bed is not seen in that recording (a wrong assignment); the events made from its
    alarms stay. Audited."""
    _bed_folder(settings, bed)
    row = next((r for r in repo.bed_recordings(db, [bed], user.clinic_ids)
                if r.recording_id == recording_id), None)
    if row is None:
        raise NotFoundError(f"bed {bed} is not assigned recording {recording_id}")
    repo.unassign_recording(db, user, row)
    commit(db)


@router.post("/events/{event_id}/review", response_model=EventPublic)
def review_event(event_id: DbId, body: EventReviewRequest, user: Annotator, db: DbSession,
                 settings: Settings) -> EventPublic:
    """Confirm (a seizure) or reject (a false alarm) an event made from a monitor alarm, or
    set it back to draft; audited, and appended to the bed's ``acks.jsonl`` when the bed's
    journal is there (the live page shows it). An event drafted while its alarm was still
    raised ends at the last window journaled then; once the alarm has cleared, the decision
    extends it to the alarm's end (not when a clinician has moved its offset meanwhile)."""
    ev = event_repo.get_event(db, event_id, user.clinic_ids)
    bed, _, alarm = (ev.monitor_alarm or "").partition("/")
    folder = monitor_dir(settings) / bed
    journaled = BED_NAME.match(bed) is not None and (folder / "bed.json").is_file()
    span = None
    if journaled:
        meta = _meta(folder)
        found = next((a for a in _alarms(folder, meta) if a.id == alarm), None)
        span = None if found is None else _span(folder, meta, found)
    with _ACK_LOCK:
        ev = repo.review_event(db, user, ev, body.decision, body.version, span)
        commit(db)
        if journaled:
            with (folder / "acks.jsonl").open("ab") as fh:
                append_line(fh, {"alarm": alarm, "user": user.username, "role": str(user.role),
                                 "at": datetime.now(UTC).isoformat(timespec="seconds"),
                                 "decision": body.decision, "note": body.note,
                                 "event": ev.id})
    return event_public(ev)
