"""The live bedside page's API: the beds ``ictal monitor`` follows, their alarms, and
acknowledgements.

The monitor journals each bed under ``<data_dir>/monitor/<bed>/`` (run it with ``--out
$ICTAL_DATA_DIR/monitor``; the journal format is ``ictal.monitor.journal``'s: ``bed.json``,
``windows.jsonl``, ``alarms.jsonl``, ``notes.jsonl``). The platform reads those files -- it
does not import the monitor, which runs as its own service -- and appends the staff's answers
to an alarm to ``acks.jsonl`` in the same folder (who, role, when, decision: acknowledged,
confirmed as a seizure, or rejected; append-only), each also written to the audit log.
Confirmed and rejected alarms are the labels the next training run can take (their bed,
time and class).
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from ictal.jsonl import append_line, read_jsonl
from ictal.server.db import commit
from ictal.server.deps import Annotator, CurrentUser, DbSession, Settings
from ictal.server.errors import NotFoundError
from ictal.server.repositories.audit import add_audit
from ictal.server.routes.responses import COMMON

router = APIRouter(tags=["monitor"], responses=COMMON)

BED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ALARM_ID = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
#: Bytes read from the end of a bed's windows journal per request (about 20 min of windows).
TAIL_BYTES = 256 * 1024
_ACK_LOCK = threading.Lock()

Decision = Literal["acknowledged", "confirmed", "rejected"]


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


class MonitorAlarm(_Out):
    """An alarm of a bed: raised (and cleared) with its reason, and the answers to it."""

    id: str
    label: str
    raised_t: float
    raised_at: str
    reason: str
    score: float
    cleared_t: float | None = None
    acks: list[AlarmAck] = []


class MonitorBed(_Out):
    """A bed's live state."""

    name: str
    labels: list[str]
    alarm_rule: str
    alarm_active: bool
    windows: list[MonitorWindow]
    alarms: list[MonitorAlarm]
    not_assessable_share: float | None = None
    last_note: str | None = None


class MonitorBeds(_Out):
    """Every bed the monitor journals (``beds`` empty when none runs)."""

    beds: list[MonitorBed]


class AckRequest(BaseModel):
    """An answer to an alarm."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision = "acknowledged"
    note: Annotated[str, Field(max_length=500)] = ""


def monitor_dir(settings: Any) -> Path:
    """Where the beds' journals are: ``<data_dir>/monitor``."""
    return Path(settings.data_dir) / "monitor"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _alarms(folder: Path) -> list[MonitorAlarm]:
    acks: dict[str, list[AlarmAck]] = {}
    for a in read_jsonl(folder / "acks.jsonl"):
        acks.setdefault(a["alarm"], []).append(AlarmAck.model_validate(a))
    alarms: dict[str, MonitorAlarm] = {}
    for a in read_jsonl(folder / "alarms.jsonl"):
        if a.get("action") == "raised":
            alarms[a["id"]] = MonitorAlarm(
                id=a["id"], label=a["label"], raised_t=a["t"], raised_at=_iso(a["wall"]),
                reason=a["reason"], score=a["score"], acks=acks.get(a["id"], []))
        elif a.get("action") == "cleared" and a["id"] in alarms:
            alarms[a["id"]].cleared_t = a["t"]
    return list(alarms.values())


def _bed(folder: Path, seconds: float) -> MonitorBed:
    meta = json.loads((folder / "bed.json").read_text())
    windows = read_jsonl(folder / "windows.jsonl", tail_bytes=TAIL_BYTES)
    if windows:
        last = windows[-1]["t_stop"]
        windows = [w for w in windows if w["t_stop"] > last - seconds]
    alarms = _alarms(folder)
    span = sum(w["t_stop"] - w["t_start"] for w in windows)
    off = sum(w["t_stop"] - w["t_start"] for w in windows if w["state"] != "scored")
    notes = read_jsonl(folder / "notes.jsonl", tail_bytes=16 * 1024)
    return MonitorBed(
        name=folder.name, labels=meta.get("labels", []), alarm_rule=meta.get("alarm", ""),
        alarm_active=bool(alarms) and alarms[-1].cleared_t is None,
        windows=[MonitorWindow.model_validate(w) for w in windows], alarms=alarms[-50:],
        not_assessable_share=off / span if span else None,
        last_note=notes[-1]["message"] if notes else None)


def _bed_folder(settings: Any, bed: str) -> Path:
    folder = monitor_dir(settings) / bed
    if not BED_NAME.match(bed) or not (folder / "bed.json").is_file():
        raise NotFoundError(f"no monitored bed {bed!r}")
    return folder


@router.get("/monitor/beds", response_model=MonitorBeds)
def list_beds(user: CurrentUser, settings: Settings,
              seconds: Annotated[float, Query(gt=0, le=3600)] = 120.0) -> MonitorBeds:
    """Every bed ``ictal monitor`` journals under the data folder: the last ``seconds`` of
    windows (class probabilities or why not assessable), its alarms and their answers."""
    root = monitor_dir(settings)
    beds = []
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            if BED_NAME.match(folder.name) and (folder / "bed.json").is_file():
                beds.append(_bed(folder, seconds))
    return MonitorBeds(beds=beds)


@router.post("/monitor/beds/{bed}/alarms/{alarm_id}/acks", response_model=MonitorAlarm,
             status_code=status.HTTP_201_CREATED)
def acknowledge(bed: str, alarm_id: str, body: AckRequest, user: Annotator, db: DbSession,
                settings: Settings) -> MonitorAlarm:
    """Answer an alarm: acknowledged (seen), confirmed (a seizure) or rejected (a false
    alarm); who and when are recorded with it and in the audit log."""
    folder = _bed_folder(settings, bed)
    if not ALARM_ID.match(alarm_id) or not any(a.id == alarm_id for a in _alarms(folder)):
        raise NotFoundError(f"bed {bed} has no alarm {alarm_id!r}")
    ack = {"alarm": alarm_id, "user": user.username, "role": str(user.role),
           "at": datetime.now(UTC).isoformat(timespec="seconds"), "decision": body.decision,
           "note": body.note}
    with _ACK_LOCK, (folder / "acks.jsonl").open("ab") as fh:
        append_line(fh, ack)
    clinics = user.clinic_ids
    add_audit(db, user, f"monitor.alarm.{body.decision}", "monitor_alarm", None,
              clinics[0] if clinics else None, after={"bed": bed, **ack})
    commit(db)
    return next(a for a in _alarms(folder) if a.id == alarm_id)
