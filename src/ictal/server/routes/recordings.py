"""Server storage, recordings (register / upload), previews (status, Range streaming)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ictal.server.db import commit
from ictal.server.deps import (
    Annotator,
    AppState,
    CurrentUser,
    DbSession,
    ReadDbSession,
    State,
    Uploader,
)
from ictal.server.enums import PreviewStatus, StreamKind
from ictal.server.errors import NotFoundError, TooLargeError
from ictal.server.media import (
    RangeNotSatisfiableError,
    check_inside,
    iter_file,
    list_directory,
    parse_range,
    probe_for_client,
    save_upload,
    stored_video,
    upload_target,
)
from ictal.server.models import Patient, User
from ictal.server.presenters import preview_status_public, recording_public
from ictal.server.repositories import patients, recordings, users
from ictal.server.routes.responses import COMMON, error
from ictal.server.schemas import (
    DbId,
    PreviewStatusPublic,
    RecordingPublic,
    RecordingRegister,
    StorageEntry,
    StorageListing,
)

router = APIRouter(tags=["recordings"], responses=COMMON)

#: The route whose body is a raw video (``max_upload_bytes``), not JSON (``max_json_bytes``).
UPLOAD_PATH = "/api/recordings/upload"


@router.get("/storage", response_model=StorageListing, tags=["storage"])
def browse_storage(user: Annotator, state: State,
                   path: Annotated[str, Query(max_length=4096)] = "") -> StorageListing:
    """List a directory of the server's storage root (``path`` relative to it)."""
    rel, items = list_directory(state.settings.storage, path)
    return StorageListing(path=rel, entries=[StorageEntry(**vars(i)) for i in items])


def _register(db: Session, state: AppState, user: User, patient: Patient, path: Path,
              shown: str, kind: StreamKind) -> RecordingPublic:
    """Probe ``path`` (``shown`` to the client as such), store it, queue its preview."""
    info, size = probe_for_client(path, shown)
    rec = recordings.create_recording(
        db, user, patient, kind=kind, path=path, size_bytes=size, fps=info.fps,
        width=info.width, height=info.height, n_frames=info.n_frames, pix_fmt=info.pix_fmt,
        window=info.window,
    )
    commit(db)
    state.jobs.submit(rec.id)
    return recording_public(rec, state.settings.storage)


def _register_upload(state: AppState, user_id: int, patient_id: int, path: Path, shown: str,
                     kind: StreamKind) -> RecordingPublic:
    """Register an uploaded file in a short write transaction of its own."""
    with state.database.writes() as db:
        user = users.get_user(db, user_id)
        if user is None:
            raise NotFoundError(f"user {user_id} not found")
        patient = patients.get_patient(db, patient_id, user.clinic_ids)
        return _register(db, state, user, patient, path, shown, kind)


@router.post("/recordings", response_model=RecordingPublic, status_code=status.HTTP_201_CREATED)
def register_recording(body: RecordingRegister, user: Annotator, db: DbSession,
                       state: State) -> RecordingPublic:
    """Register a video already in server storage (it stays where it is) and queue its
    preview. Paths escaping the storage root are refused with 400."""
    patient = patients.get_patient(db, body.patient_id, user.clinic_ids)
    path = stored_video(state.settings.storage, body.path)
    return _register(db, state, user, patient, path, body.path, body.kind)


@router.post(
    UPLOAD_PATH.removeprefix("/api"), response_model=RecordingPublic,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
    responses={413: error("larger than the server's upload limit")},
)
async def upload_recording(
    request: Request, user: Uploader, db: ReadDbSession, state: State,
    patient_id: DbId,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    kind: Annotated[StreamKind, Query()] = "ir",
) -> RecordingPublic:
    """Upload a video as the raw request body (``Content-Type: application/octet-stream``).

    The body is streamed to a file under ``storage_root/uploads/`` (never held in memory);
    above ``max_upload_bytes`` the upload stops with 413 and nothing is kept.
    """
    limit = state.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"upload of {int(declared)} bytes exceeds the limit of {limit} bytes")
    patient = await run_in_threadpool(patients.get_patient, db, patient_id, user.clinic_ids)
    target = upload_target(state.settings.upload_root / str(patient.clinic_id), filename)
    await run_in_threadpool(db.rollback)  # no transaction stays open while the body streams
    await save_upload(request.stream(), target, limit)
    try:
        async with state.write_gate():
            return await run_in_threadpool(_register_upload, state, user.id, patient.id, target,
                                           filename, kind)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


@router.get("/recordings", response_model=list[RecordingPublic])
def list_recordings(user: CurrentUser, db: DbSession, state: State,
                    patient_id: DbId | None = None) -> list[RecordingPublic]:
    rows = recordings.list_recordings(db, user.clinic_ids, patient_id=patient_id)
    return [recording_public(r, state.settings.storage) for r in rows]


@router.get("/recordings/{recording_id}", response_model=RecordingPublic)
def get_recording(recording_id: DbId, user: CurrentUser, db: DbSession,
                  state: State) -> RecordingPublic:
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    return recording_public(rec, state.settings.storage)


@router.get("/recordings/{recording_id}/preview/status", response_model=PreviewStatusPublic)
def preview_status(recording_id: DbId, user: CurrentUser,
                   db: DbSession) -> PreviewStatusPublic:
    """Poll this while the preview is transcoded (``progress`` in percent)."""
    return preview_status_public(recordings.get_recording(db, recording_id, user.clinic_ids))


@router.post("/recordings/{recording_id}/preview", response_model=PreviewStatusPublic,
             status_code=status.HTTP_202_ACCEPTED)
def retry_preview(recording_id: DbId, user: Annotator, db: DbSession,
                  state: State) -> PreviewStatusPublic:
    """Queue the preview again (after a failure)."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    if rec.preview_status.unfinished:
        return preview_status_public(rec)
    recordings.set_preview_state(db, rec.id, status=PreviewStatus.PENDING, progress=0.0)
    commit(db)
    state.jobs.submit(rec.id)
    return preview_status_public(rec)


@router.get(
    "/recordings/{recording_id}/preview",
    response_class=Response,
    responses={200: {"content": {"video/mp4": {}}}, 206: {"content": {"video/mp4": {}}},
               416: error("range not satisfiable")},
)
def stream_preview(recording_id: DbId, request: Request, user: CurrentUser, db: DbSession,
                   state: State) -> Response:
    """The H.264 preview; honours ``Range: bytes=a-b`` (206 + ``Content-Range``)."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    if rec.preview_status != PreviewStatus.DONE or not rec.preview_path:
        raise NotFoundError(f"the preview of recording {rec.id} is not ready "
                            f"({rec.preview_status.value}, {rec.preview_progress:.0f} %)")
    root = state.settings.preview_root
    path = check_inside(root, root / rec.preview_path)
    if not path.is_file():
        raise NotFoundError(f"the preview file of recording {rec.id} is missing: queue it again")
    size = path.stat().st_size
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600"}
    try:
        span = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiableError as err:
        raise HTTPException(status.HTTP_416_RANGE_NOT_SATISFIABLE,
                            f"range {err} is past the end ({size} bytes)",
                            headers={"Content-Range": f"bytes */{size}"}) from err
    if span is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(iter_file(path, 0, size), media_type="video/mp4",
                                 headers=headers)
    start, stop = span
    headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    headers["Content-Length"] = str(stop - start)
    return StreamingResponse(iter_file(path, start, stop), status_code=206,
                             media_type="video/mp4", headers=headers)
