"""Media: safe paths, Range parsing, 16-bit windowing, probing, and a real transcode + Range
request through the running app (background job, progress polling, 206 with exact bytes)."""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from serverkit import PASSWORD, write_ir_video

from ictal.server import schemas
from ictal.server.app import create_app
from ictal.server.config import ServerSettings
from ictal.server.db import Database
from ictal.server.errors import InvalidError, NotFoundError, OutsideRootError, TooLargeError
from ictal.server.media import (
    RangeNotSatisfiableError,
    list_directory,
    parse_range,
    probe_video,
    resolve_inside,
    save_upload,
    to_grey8,
    transcode_preview,
    upload_target,
    user_file_errors,
)
from ictal.server.repositories import clinics, patients, recordings, users
from ictal.server.security import CSRF_HEADER, make_hasher


def test_resolve_inside(storage_root: Path) -> None:
    root = storage_root.resolve()
    assert resolve_inside(root, "ir/clip.mkv") == root / "ir" / "clip.mkv"
    assert resolve_inside(root, "ir/../ir/clip.mkv") == root / "ir" / "clip.mkv"
    for bad in ["../secret.txt", "/etc/passwd", "escape.txt", "escape-dir/secret.txt",
                "ir/../../secret.txt", "a\x00b"]:
        with pytest.raises(OutsideRootError):
            resolve_inside(root, bad)


def test_list_directory_hides_escaping_links(storage_root: Path) -> None:
    rel, items = list_directory(storage_root, "")
    names = [i.name for i in items]  # the root is shared: other tests add files to it
    assert rel == "" and "ir" in names and names == sorted(names, key=str.lower)
    assert not {"escape.txt", "escape-dir"} & set(names)
    with pytest.raises(NotFoundError):
        list_directory(storage_root, "ir/clip.mkv")


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("bytes=0-99", (0, 100)), ("bytes=100-", (100, 1000)),
    ("bytes=-100", (900, 1000)), ("bytes=990-2000", (990, 1000)), ("bytes=0-0", (0, 1)),
    ("items=0-1", None), ("bytes=0-1,5-6", None), ("bytes=-", None), ("bytes=-5000", (0, 1000)),
])
def test_parse_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=9-3"])
def test_parse_range_unsatisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiableError):
        parse_range(header, 1000)


def test_to_grey8_uses_the_fixed_window() -> None:
    frame = np.array([[0, 1000, 1500, 2000, 65535]], dtype=np.uint16)
    out = to_grey8(frame, (1000, 2000))
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 0, 128, 255, 255]]


def test_probe_16bit_ir(storage_root: Path) -> None:
    info = probe_video(storage_root / "ir" / "clip.mkv")
    assert (info.fps, info.width, info.height, info.n_frames) == (Fraction(10), 64, 48, 12)
    assert info.pix_fmt == "gray16le"
    # the window is the 0.5 / 99.5 percentiles of the (sub-sampled) valid pixels
    frames = write_ir_video(storage_root.parent / "again.mkv")
    values = frames[:, ::4, ::4].ravel()
    lo, hi = np.percentile(values, [0.5, 99.5]).astype(int)
    assert info.window == (lo, hi)
    assert 1000 < lo < hi < 1000 + 40 * 63 + 30 * 47 + 200 * 11


def test_transcode_preview_grey_gop_faststart(tmp_path: Path) -> None:
    src = tmp_path / "ir.mkv"
    frames = write_ir_video(src, n_frames=40)
    info = probe_video(src)
    seen: list[float] = []
    n = transcode_preview(src, tmp_path / "p.mp4", n_frames=40, window=info.window, gop=30,
                          progress=seen.append)
    assert n == 40 and seen == sorted(seen) and len(seen) >= 10 and seen[-1] <= 99.0
    data = (tmp_path / "p.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: index first
    with av.open(str(tmp_path / "p.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        keys, decoded = [], []
        for i, frame in enumerate(container.decode(stream)):
            assert frame.format.name == "yuv420p"
            if frame.key_frame:
                keys.append(i)
            decoded.append(frame.to_ndarray(format="gray"))
    assert keys == [0, 30]
    expected = to_grey8(frames[17], info.window).astype(int)
    assert np.abs(decoded[17].astype(int) - expected).mean() < 4


def test_background_transcode_and_range_requests(tmp_path: Path) -> None:
    """The real thing: file SQLite, the thread-pool job, progress polling, Range replies."""
    storage = tmp_path / "storage"
    write_ir_video(storage / "clip.mkv", n_frames=40)
    settings = ServerSettings(data_dir=tmp_path / "data", storage_root=storage,
                              static_dir=tmp_path / "static")
    app = create_app(settings)
    database = app.state.ictal.database
    with database.sessions() as db:
        clinic = clinics.get_or_create_clinic(db, "C")
        users.create_user(db, None, schemas.UserCreate(
            username="doc", password=PASSWORD, role="clinician", clinic_ids=[clinic.id]),
            make_hasher().hash(PASSWORD), allowed_clinics=None)
        db.commit()
    with TestClient(app) as client:
        login = client.post("/api/auth/login", json={"username": "doc", "password": PASSWORD})
        client.headers[CSRF_HEADER] = login.json()["csrf_token"]
        pid = client.post("/api/patients", json={}).json()["id"]
        rec = client.post("/api/recordings", json={"patient_id": pid, "path": "clip.mkv"}).json()
        status = {}
        for _ in range(600):  # bounded: at most ~60 s on a loaded machine
            status = client.get(f"/api/recordings/{rec['id']}/preview/status").json()
            if status["status"] in ("done", "failed"):
                break
            assert 0.0 <= status["progress"] <= 100.0
            time.sleep(0.1)
        assert status["status"] == "done", status
        assert status["progress"] == 100.0
        with database.sessions() as db:
            row = recordings.get_recording_unscoped(db, rec["id"])
            preview = settings.preview_root / row.preview_path
        data = preview.read_bytes()
        size = len(data)
        full = client.get(f"/api/recordings/{rec['id']}/preview")
        assert full.status_code == 200 and full.content == data
        assert full.headers["accept-ranges"] == "bytes"
        assert full.headers["content-type"] == "video/mp4"
        part = client.get(f"/api/recordings/{rec['id']}/preview",
                          headers={"Range": "bytes=100-1099"})
        assert part.status_code == 206 and part.content == data[100:1100]
        assert part.headers["content-range"] == f"bytes 100-1099/{size}"
        assert part.headers["content-length"] == "1000"
        tail = client.get(f"/api/recordings/{rec['id']}/preview", headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == data[-10:]
        bad = client.get(f"/api/recordings/{rec['id']}/preview",
                         headers={"Range": f"bytes={size}-"})
        assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{size}"
    app.state.ictal.database.dispose()


def test_failed_transcode_is_reported(database: Database, tmp_path: Path) -> None:
    """A file that cannot be decoded ends as ``failed`` with the reason, not stuck running."""
    from ictal.server.jobs import TranscodeJobs

    storage = tmp_path / "storage"
    storage.mkdir()
    broken = storage / "broken.mkv"
    broken.write_bytes(b"\x1a\x45\xdf\xa3" + b"not really matroska" * 50)
    settings = ServerSettings(data_dir=tmp_path / "data", storage_root=storage)
    with database.writes() as db:
        clinic = clinics.get_or_create_clinic(db, "C")
        user = users.create_user(db, None, schemas.UserCreate(
            username="doc", password=PASSWORD, role="clinician", clinic_ids=[clinic.id]),
            "hash", allowed_clinics=None)
        patient = patients.create_patient(db, user, clinic.id, schemas.PatientCreate())
        rec = recordings.create_recording(
            db, user, patient, kind="ir", path=broken, size_bytes=broken.stat().st_size,
            fps=Fraction(10), width=64, height=48, n_frames=12, pix_fmt="gray16le",
            window=(0, 100))
        db.commit()
        rec_id = rec.id
    TranscodeJobs(settings, database).run(rec_id)
    with database.sessions() as db:
        row = recordings.get_recording_unscoped(db, rec_id)
        assert row.preview_status == "failed" and row.preview_progress == 0.0
        assert "broken.mkv" in row.preview_error
    assert not (settings.preview_root / f"0000/{rec_id}.mp4").exists()


@pytest.mark.parametrize(("error", "expected", "words"), [
    (FileNotFoundError(errno.ENOENT, "No such file or directory"), NotFoundError, "no file"),
    (OSError(errno.ENAMETOOLONG, "File name too long"), InvalidError, "too long"),
    (PermissionError(errno.EACCES, "Permission denied"), InvalidError, "Permission denied"),
    (OSError(errno.EIO, "Input/output error"), InvalidError, "Input/output error"),
])
def test_file_system_errors_on_client_paths_are_4xx(error: OSError, expected: type,
                                                     words: str) -> None:
    with pytest.raises(expected, match=words) as info, user_file_errors("ir/x.mkv"):
        raise error
    assert "ir/x.mkv" in info.value.message


def test_upload_target_is_fresh_safe_and_a_video_name(tmp_path: Path) -> None:
    a = upload_target(tmp_path, "../../my clip.MKV")
    b = upload_target(tmp_path, "../../my clip.MKV")
    assert a != b and a.parent == tmp_path and a.name.endswith("-my_clip.mkv")
    with pytest.raises(InvalidError, match="not a video file name"):
        upload_target(tmp_path, "notes.txt")


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _run(coro: Coroutine[Any, Any, int]) -> int:
    """Run ``coro`` on a loop of its own thread: a session-wide browser fixture may hold a
    running loop in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_save_upload_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "up" / "a.mkv"
    assert _run(save_upload(_chunks(b"ab", b"cd"), target, limit=4)) == 4
    assert target.read_bytes() == b"abcd"
    for parts, error in [((b"abc", b"de"), TooLargeError), ((), InvalidError)]:
        other = tmp_path / "up" / "b.mkv"
        with pytest.raises(error):
            _run(save_upload(_chunks(*parts), other, limit=4))
        assert sorted(p.name for p in other.parent.iterdir()) == ["a.mkv"]
