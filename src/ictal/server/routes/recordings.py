"""Server storage, recordings (register / upload), previews (status, Range streaming)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ictal.errors import VideoError
from ictal.server import repository
from ictal.server.deps import (
    Annotator,
    AppState,
    CurrentUser,
    DbSession,
    ReadDbSession,
    State,
    Uploader,
)
from ictal.server.errors import InvalidError, NotFoundError, TooLargeError
from ictal.server.media import (
    RangeNotSatisfiableError,
    check_inside,
    iter_file,
    list_directory,
    parse_range,
    probe_video,
    resolve_inside,
)
from ictal.server.models import Patient, User
from ictal.server.schemas import (
    PreviewStatusPublic,
    RecordingPublic,
    RecordingRegister,
    StorageEntry,
    StorageListing,
    StreamKind,
)

router = APIRouter(tags=["recordings"])

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".mpg", ".mpeg", ".asf",
                            ".wmv", ".webm"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@router.get("/storage", response_model=StorageListing, tags=["storage"])
def browse_storage(user: Annotator, state: State,
                   path: Annotated[str, Query(max_length=4096)] = "") -> StorageListing:
    """List a directory of the server's storage root (``path`` relative to it)."""
    rel, items = list_directory(state.settings.storage, path)
    return StorageListing(path=rel, entries=[StorageEntry(**vars(i)) for i in items])


def _register(db: Session, state: AppState, user: User, patient: Patient, path: Path,
              kind: str) -> RecordingPublic:
    try:
        info = probe_video(path)
    except VideoError as err:
        raise InvalidError(str(err)) from err
    rec = repository.create_recording(
        db, user, patient, kind=kind, path=path, size_bytes=path.stat().st_size, fps=info.fps,
        width=info.width, height=info.height, n_frames=info.n_frames, pix_fmt=info.pix_fmt,
        window=info.window,
    )
    repository.commit(db)
    state.jobs.submit(rec.id)
    return repository.recording_public(rec, state.settings.storage)


def _register_upload(state: AppState, user_id: int, patient_id: int, path: Path,
                     kind: str) -> RecordingPublic:
    """Register an uploaded file in a short write transaction of its own."""
    with state.database.writes() as db:
        user = repository.get_user(db, user_id)
        if user is None:
            raise NotFoundError(f"user {user_id} not found")
        patient = repository.get_patient(db, patient_id, user.clinic_ids)
        return _register(db, state, user, patient, path, kind)


@router.post("/recordings", response_model=RecordingPublic, status_code=status.HTTP_201_CREATED)
def register_recording(body: RecordingRegister, user: Annotator, db: DbSession,
                       state: State) -> RecordingPublic:
    """Register a video already in server storage (it stays where it is) and queue its
    preview. Paths escaping the storage root are refused with 400."""
    patient = repository.get_patient(db, body.patient_id, user.clinic_ids)
    path = resolve_inside(state.settings.storage, body.path)
    if not path.is_file():
        raise NotFoundError(f"no file {body.path!r} in the storage root")
    return _register(db, state, user, patient, path, body.kind)


@router.post(
    "/recordings/upload", response_model=RecordingPublic, status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
    responses={413: {"description": "larger than the server's upload limit"}},
)
async def upload_recording(
    request: Request, user: Uploader, db: ReadDbSession, state: State,
    patient_id: Annotated[int, Query()],
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
    suffix = Path(filename).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        allowed = ", ".join(sorted(VIDEO_SUFFIXES))
        raise InvalidError(f"{filename!r} is not a video file name ({allowed})")
    patient = await run_in_threadpool(repository.get_patient, db, patient_id, user.clinic_ids)
    await run_in_threadpool(db.rollback)  # no transaction stays open while the body streams
    safe = _UNSAFE.sub("_", Path(filename).stem)[:80] or "upload"
    directory = state.settings.upload_root / str(patient.clinic_id)
    target = directory / f"{uuid.uuid4().hex[:12]}-{safe}{suffix}"
    partial = target.with_name(f".{target.name}.part")
    await run_in_threadpool(directory.mkdir, parents=True, exist_ok=True)
    size = 0
    fh = await run_in_threadpool(partial.open, "wb")
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"upload exceeds the limit of {limit} bytes")
            await run_in_threadpool(fh.write, chunk)
        await run_in_threadpool(fh.close)
        if size == 0:
            raise InvalidError("the upload is empty")
        await run_in_threadpool(partial.replace, target)
    except BaseException:
        fh.close()
        partial.unlink(missing_ok=True)
        raise
    try:
        async with state.write_gate():
            return await run_in_threadpool(_register_upload, state, user.id, patient.id, target,
                                           kind)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


@router.get("/recordings", response_model=list[RecordingPublic])
def list_recordings(user: CurrentUser, db: DbSession, state: State,
                    patient_id: Annotated[int | None, Query()] = None) -> list[RecordingPublic]:
    rows = repository.list_recordings(db, user.clinic_ids, patient_id=patient_id)
    return [repository.recording_public(r, state.settings.storage) for r in rows]


@router.get("/recordings/{recording_id}", response_model=RecordingPublic)
def get_recording(recording_id: int, user: CurrentUser, db: DbSession,
                  state: State) -> RecordingPublic:
    rec = repository.get_recording(db, recording_id, user.clinic_ids)
    return repository.recording_public(rec, state.settings.storage)


@router.get("/recordings/{recording_id}/preview/status", response_model=PreviewStatusPublic)
def preview_status(recording_id: int, user: CurrentUser, db: DbSession) -> PreviewStatusPublic:
    """Poll this while the preview is transcoded (``progress`` in percent)."""
    rec = repository.get_recording(db, recording_id, user.clinic_ids)
    return PreviewStatusPublic(recording_id=rec.id, status=rec.preview_status,  # type: ignore[arg-type]
                               progress=rec.preview_progress, error=rec.preview_error)


@router.post("/recordings/{recording_id}/preview", response_model=PreviewStatusPublic,
             status_code=status.HTTP_202_ACCEPTED)
def retry_preview(recording_id: int, user: Annotator, db: DbSession,
                  state: State) -> PreviewStatusPublic:
    """Queue the preview again (after a failure)."""
    rec = repository.get_recording(db, recording_id, user.clinic_ids)
    if rec.preview_status in ("pending", "running"):
        return PreviewStatusPublic(recording_id=rec.id, status=rec.preview_status,  # type: ignore[arg-type]
                                   progress=rec.preview_progress, error=None)
    repository.set_preview_state(db, rec.id, status="pending", progress=0.0)
    repository.commit(db)
    state.jobs.submit(rec.id)
    return PreviewStatusPublic(recording_id=rec.id, status="pending", progress=0.0, error=None)


@router.get(
    "/recordings/{recording_id}/preview",
    response_class=Response,
    responses={200: {"content": {"video/mp4": {}}}, 206: {"content": {"video/mp4": {}}},
               416: {"description": "range not satisfiable"}},
)
def stream_preview(recording_id: int, request: Request, user: CurrentUser, db: DbSession,
                   state: State) -> Response:
    """The H.264 preview; honours ``Range: bytes=a-b`` (206 + ``Content-Range``)."""
    rec = repository.get_recording(db, recording_id, user.clinic_ids)
    if rec.preview_status != "done" or not rec.preview_path:
        raise NotFoundError(f"the preview of recording {rec.id} is not ready "
                       f"({rec.preview_status}, {rec.preview_progress:.0f} %)")
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
