"""The other streams of a recording (depth, RGB, joints) and the fingerprints of every stream."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ictal.fsutil import file_fingerprint
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.models import Recording, RecordingStream, User
from ictal.server.repositories.audit import add_audit


def check_alignment(rec: Recording, kind: str, shown: str, fps: Fraction, n_frames: int,
                    offset_frames: int | None) -> None:
    """:class:`InvalidError` (naming both) unless a stream of ``fps`` / ``n_frames`` lines up
    with ``rec``'s main stream: same rate, and same length unless an offset is given."""
    rec_fps = Fraction(rec.fps)
    if fps != rec_fps:
        raise InvalidError(
            f"{kind} stream {shown!r} runs at {fps} fps, recording {rec.id} ({rec.kind}) at "
            f"{rec_fps} fps: the streams of a recording share one frame rate (resample it "
            "first)")
    if offset_frames is None and n_frames != rec.n_frames:
        raise InvalidError(
            f"{kind} stream {shown!r} has {n_frames} frames, recording {rec.id} ({rec.kind}) "
            f"{rec.n_frames}: give offset_frames (this stream's frame 0 on the recording's "
            "frames) if they really are the same recording")


def attach_stream(db: Session, actor: User, rec: Recording, *, kind: str, path: Path,
                  size_bytes: int, fps: Fraction, width: int | None, height: int | None,
                  n_frames: int, offset_frames: int | None, shown: str) -> RecordingStream:
    """Add a stream (``path`` absolute, resolved, inside the storage root) to ``rec``."""
    if kind == rec.kind:
        raise InvalidError(f"recording {rec.id}'s main stream is already its {kind} stream")
    taken = db.scalar(select(RecordingStream).where(RecordingStream.recording_id == rec.id,
                                                    RecordingStream.kind == kind))
    if taken is not None:
        raise InvalidError(f"recording {rec.id} has a {kind} stream already (stream "
                           f"{taken.id}): remove it first")
    check_alignment(rec, kind, shown, fps, n_frames, offset_frames)
    stream = RecordingStream(
        recording_id=rec.id, kind=kind, path=str(path), size_bytes=size_bytes, fps=str(fps),
        width=width, height=height, n_frames=n_frames, offset_frames=offset_frames or 0,
        fingerprint=file_fingerprint(path), created_by=actor.id,
    )
    db.add(stream)
    db.flush()
    add_audit(db, actor, "create", "stream", stream.id, rec.clinic_id,
              after={"recording_id": rec.id, "kind": kind, "path": shown,
                     "offset_frames": stream.offset_frames})
    return stream


def list_streams(db: Session, recording_ids: Sequence[int]) -> dict[int, list[RecordingStream]]:
    """The extra streams of each recording, by kind."""
    out: dict[int, list[RecordingStream]] = {rid: [] for rid in recording_ids}
    q = (select(RecordingStream).where(RecordingStream.recording_id.in_(recording_ids))
         .order_by(RecordingStream.recording_id, RecordingStream.kind))
    for s in db.scalars(q):
        out[s.recording_id].append(s)
    return out


def get_stream(db: Session, rec: Recording, stream_id: int) -> RecordingStream:
    stream = db.get(RecordingStream, stream_id)
    if stream is None or stream.recording_id != rec.id:
        raise NotFoundError(f"stream {stream_id} of recording {rec.id} not found")
    return stream


def remove_stream(db: Session, actor: User, rec: Recording, stream: RecordingStream) -> None:
    add_audit(db, actor, "delete", "stream", stream.id, rec.clinic_id,
              before={"recording_id": rec.id, "kind": stream.kind})
    db.delete(stream)
    db.flush()


def fingerprints(db: Session, rec: Recording) -> dict[str, str]:
    """Fingerprint -> stream kind of every stream of ``rec`` (the main one's taken now when it
    was not yet: recordings registered before fingerprints existed)."""
    if rec.fingerprint is None:
        with contextlib.suppress(OSError):  # offline storage: no fingerprint to compare
            rec.fingerprint = file_fingerprint(rec.path)
    found = {rec.fingerprint: rec.kind} if rec.fingerprint else {}
    for s in list_streams(db, [rec.id])[rec.id]:
        if s.fingerprint:
            found[s.fingerprint] = s.kind
    return found
