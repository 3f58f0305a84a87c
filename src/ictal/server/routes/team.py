"""Team labelling: the streams of a recording, annotator layers and the reviewer's consensus,
agreement between annotators, labelling progress, label history, and live updates of an open
recording (a WebSocket)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect, status
from starlette.concurrency import run_in_threadpool

from ictal.manifest.agreement import GRID_S, manifest_agreement
from ictal.server.db import commit
from ictal.server.deps import Annotator, CurrentUser, DbSession, Reviewer, State
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.export import build_manifest
from ictal.server.media import probe_for_client, stored_video, user_file_errors
from ictal.server.models import RecordingStream
from ictal.server.presenters import event_public, storage_relative
from ictal.server.repositories import events, layers, recordings, streams
from ictal.server.repositories.users import get_session
from ictal.server.routes.responses import COMMON
from ictal.server.schemas import (
    AgreementPublic,
    AuditPublic,
    ConsensusCreate,
    DbId,
    EventPublic,
    ManifestExportRequest,
    RecordingLabelling,
    StreamAttach,
    StreamPublic,
)
from ictal.server.security import SESSION_COOKIE, token_digest

router = APIRouter(tags=["team"], responses=COMMON)
log = logging.getLogger(__name__)

GridS = Annotated[float, Query(gt=0.009, le=10.0)]


def _stream_public(s: RecordingStream, storage: Path) -> StreamPublic:
    return StreamPublic(id=s.id, recording_id=s.recording_id, kind=s.kind,
                        path=storage_relative(s.path, storage), fps=s.fps, width=s.width,
                        height=s.height, n_frames=s.n_frames, offset_frames=s.offset_frames,
                        created_at=s.created_at)


# --- streams -------------------------------------------------------------------------------------
@router.get("/recordings/{recording_id}/streams", response_model=list[StreamPublic])
def list_streams(recording_id: DbId, user: CurrentUser, db: DbSession,
                 state: State) -> list[StreamPublic]:
    """The streams attached to a recording besides its main one."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    return [_stream_public(s, state.settings.storage)
            for s in streams.list_streams(db, [rec.id])[rec.id]]


def _joints_length(path: Path, shown: str) -> int:
    """Frames of a joints array ``(T, J, C)`` stored as ``.npy``."""
    if path.suffix.lower() != ".npy":
        raise InvalidError(f"{shown}: a joints stream is a .npy array (T, joints, coords)")
    with user_file_errors(shown):
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as err:
            raise InvalidError(f"{shown}: not a readable .npy array ({err})") from err
    if arr.ndim != 3:
        raise InvalidError(f"{shown}: joints must be (T, joints, coords), got shape {arr.shape}")
    return int(arr.shape[0])


@router.post("/recordings/{recording_id}/streams", response_model=StreamPublic,
             status_code=status.HTTP_201_CREATED)
def attach_stream(recording_id: DbId, body: StreamAttach, user: Annotator, db: DbSession,
                  state: State) -> StreamPublic:
    """Attach another stream of the same recording from server storage (same frame rate and
    length, or an explicit ``offset_frames``); the export writes every stream."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    path = stored_video(state.settings.storage, body.path)
    if body.kind == "joints":
        n_frames = _joints_length(path, body.path)
        fps, width, height, size = Fraction(rec.fps), None, None, path.stat().st_size
    else:
        info, size = probe_for_client(path, body.path)
        fps, width, height, n_frames = info.fps, info.width, info.height, info.n_frames
    stream = streams.attach_stream(
        db, user, rec, kind=body.kind, path=path, size_bytes=size, fps=fps, width=width,
        height=height, n_frames=n_frames, offset_frames=body.offset_frames, shown=body.path)
    commit(db)
    return _stream_public(stream, state.settings.storage)


@router.delete("/recordings/{recording_id}/streams/{stream_id}",
               status_code=status.HTTP_204_NO_CONTENT)
def remove_stream(recording_id: DbId, stream_id: DbId, user: Annotator, db: DbSession) -> None:
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    streams.remove_stream(db, user, rec, streams.get_stream(db, rec, stream_id))
    commit(db)


# --- layers --------------------------------------------------------------------------------------
@router.post("/events/{event_id}/copy", response_model=EventPublic,
             status_code=status.HTTP_201_CREATED)
def copy_event(event_id: DbId, user: Annotator, db: DbSession) -> EventPublic:
    """A copy of the event (and its MOIs) in the caller's own layer, to edit freely."""
    ev = events.get_event(db, event_id, user.clinic_ids)
    copy = layers.copy_to_own_layer(db, user, ev)
    commit(db)
    return event_public(copy)


@router.post("/recordings/{recording_id}/consensus", response_model=EventPublic,
             status_code=status.HTTP_201_CREATED)
def adjudicate(recording_id: DbId, body: ConsensusCreate, user: Reviewer,
               db: DbSession) -> EventPublic:
    """A reviewer takes an event of any layer (and MOIs of any layer) into the consensus layer,
    which the export gives by default; edit it afterwards like any event."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    source = events.get_event(db, body.event_id, user.clinic_ids)
    ev = layers.adjudicate(db, user, rec, source, body.moi_ids)
    commit(db)
    return event_public(ev)


@router.get("/events/{event_id}/history", response_model=list[AuditPublic])
def event_history(event_id: DbId, user: CurrentUser, db: DbSession) -> list[AuditPublic]:
    """Who created, changed and deleted the event and its MOIs, with before / after."""
    ev = events.get_event(db, event_id, user.clinic_ids)
    return [AuditPublic.model_validate(a) for a in layers.history(db, ev)]


@router.get("/labelling-status", response_model=list[RecordingLabelling])
def labelling_status(user: CurrentUser, db: DbSession) -> list[RecordingLabelling]:
    """Per recording of the user's clinics: events and MOIs of each annotator, and the
    consensus events (the recordings list's 'labelled by' column)."""
    return layers.labelling_status(db, user.clinic_ids)


# --- agreement -----------------------------------------------------------------------------------
def _agreement(db: Any, user: Any, state: Any, req: ManifestExportRequest,
               grid_s: float) -> AgreementPublic:
    manifest = build_manifest(db, user, req, state.settings.storage)
    return AgreementPublic.model_validate(manifest_agreement(manifest, grid_s=grid_s).to_dict())


@router.get("/recordings/{recording_id}/agreement", response_model=AgreementPublic)
def recording_agreement(recording_id: DbId, user: CurrentUser, db: DbSession, state: State,
                        grid_s: GridS = GRID_S) -> AgreementPublic:
    """Agreement of every pair of annotators of the recording (``ictal.manifest.agreement``:
    onset / offset differences, MOI IoU per region, Cohen's κ on a ``grid_s`` grid)."""
    recordings.get_recording(db, recording_id, user.clinic_ids)
    req = ManifestExportRequest(recording_ids=[recording_id], layers="all")
    return _agreement(db, user, state, req, grid_s)


@router.get("/clinics/{clinic_id}/agreement", response_model=AgreementPublic)
def team_agreement(clinic_id: DbId, user: CurrentUser, db: DbSession, state: State,
                   grid_s: GridS = GRID_S) -> AgreementPublic:
    """The same over every recording of a clinic (the team's figures in ``summary``)."""
    req = ManifestExportRequest(clinic_ids=[clinic_id], layers="all")
    return _agreement(db, user, state, req, grid_s)


# --- live updates --------------------------------------------------------------------------------
#: Seconds between two looks at an open recording's labels (one look per recording, however
#: many pages have it open).
LIVE_POLL_S = 1.0


class LiveRooms:
    """Who has which recording open in this server process, and per open recording one
    watcher task that compares its labels' stamp (``layers.labels_stamp``) every
    :data:`LIVE_POLL_S` and tells every viewer when it changed. Presence is sent as viewers
    join and leave; the watcher ends with the room's last viewer."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.viewers: dict[int, dict[WebSocket, str]] = {}
        self.watchers: dict[int, asyncio.Task[None]] = {}
        self.sending: dict[int, asyncio.Lock] = {}  # one send at a time per recording

    async def join(self, recording_id: int, ws: WebSocket, username: str) -> None:
        room = self.viewers.setdefault(recording_id, {})
        first = not room
        room[ws] = username  # before any await: the room is not empty while this one joins
        if first:
            self.sending[recording_id] = asyncio.Lock()
            self.watchers[recording_id] = asyncio.create_task(
                self._watch(recording_id, await self._look(recording_id)))
        await self._presence(recording_id)

    async def leave(self, recording_id: int, ws: WebSocket) -> None:
        room = self.viewers.get(recording_id, {})
        room.pop(ws, None)
        if room:
            await self._presence(recording_id)
            return
        self.viewers.pop(recording_id, None)
        self.sending.pop(recording_id, None)
        watcher = self.watchers.pop(recording_id, None)
        if watcher is not None:
            watcher.cancel()

    async def _presence(self, recording_id: int) -> None:
        names = sorted(set(self.viewers.get(recording_id, {}).values()))
        await self._send(recording_id, {"type": "presence", "viewers": names})

    async def _send(self, recording_id: int, message: dict[str, Any]) -> None:
        text = json.dumps(message)
        lock = self.sending.get(recording_id)
        if lock is None:
            return
        async with lock:
            for ws in list(self.viewers.get(recording_id, {})):
                # a page that went away is not told (its own handler takes it out of the room)
                with contextlib.suppress(Exception):
                    await ws.send_text(text)

    async def _look(self, recording_id: int) -> str | None:
        """The labels' stamp now; ``None`` when the database did not answer (logged)."""
        try:
            return await run_in_threadpool(_stamp, self.state, recording_id)
        except Exception:  # away for a moment: the watcher looks again at its next tick
            log.exception("live updates of recording %d: reading its labels failed",
                          recording_id)
            return None

    async def _watch(self, recording_id: int, stamp: str | None) -> None:
        while True:
            await asyncio.sleep(LIVE_POLL_S)
            now = await self._look(recording_id)
            if now is None:
                continue
            if stamp is not None and now != stamp:
                await self._send(recording_id, {"type": "changed"})
            stamp = now


def _rooms(websocket: WebSocket) -> LiveRooms:
    app_state = websocket.app.state
    if not hasattr(app_state, "ictal_live"):
        app_state.ictal_live = LiveRooms(app_state.ictal)
    rooms: LiveRooms = app_state.ictal_live
    return rooms


def _authorise(state: Any, token: str | None, recording_id: int) -> str | None:
    """The username of a live session that may read the recording, else ``None``."""
    with state.database.sessions() as db:
        row = get_session(db, token_digest(token)) if token else None
        if row is None:
            return None
        try:
            recordings.get_recording(db, recording_id, row.user.clinic_ids)
        except NotFoundError:  # another clinic's: refused like a missing one
            return None
        return row.user.username


def _stamp(state: Any, recording_id: int) -> str:
    with state.database.sessions() as db:
        return layers.labels_stamp(db, recording_id)


@router.websocket("/recordings/{recording_id}/live")
async def live(websocket: WebSocket, recording_id: int) -> None:
    """Live updates of an open recording: ``{"type": "changed"}`` when a colleague's save
    changed its events, MOIs or model runs, ``{"type": "presence", "viewers": [...]}`` when
    someone opens or leaves it. Session cookie required; a cross-site ``Origin`` is refused."""
    state = websocket.app.state.ictal
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host", "")
    if origin is not None and origin.split("://", 1)[-1] != host:
        await websocket.close(code=1008)
        return
    username = await run_in_threadpool(_authorise, state, websocket.cookies.get(SESSION_COOKIE),
                                       recording_id)
    if username is None:
        await websocket.close(code=1008)
        return
    await websocket.accept()
    rooms = _rooms(websocket)
    try:
        await rooms.join(recording_id, websocket, username)
        while True:  # the page sends nothing: wait for it to leave
            await websocket.receive_text()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await rooms.leave(recording_id, websocket)
