"""First start: the first admin, the demo seed, and ``ictal serve`` on an empty folder."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from serverkit import write_ir_video

from ictal.server.bootstrap import ensure_first_admin, seed_demo
from ictal.server.config import ServerSettings
from ictal.server.db import Database
from ictal.server.migrate import upgrade_head
from ictal.server.repositories import events, mois, recordings, users
from ictal.server.security import make_hasher, verify_password


def _database(tmp_path: Path) -> tuple[ServerSettings, Database]:
    settings = ServerSettings(data_dir=tmp_path / "data", storage_root=tmp_path / "store")
    settings.data_dir.mkdir(parents=True)
    upgrade_head(settings.db_url)
    return settings, Database.from_url(settings.db_url)


def test_first_admin_once_with_argon2_hash(tmp_path: Path) -> None:
    _, database = _database(tmp_path)
    hasher = make_hasher()
    password = ensure_first_admin(database, hasher)
    assert password is not None and len(password) >= 20
    with database.sessions() as db:
        admin = users.get_user_by_username(db, "admin")
        assert admin.role == "admin" and admin.password_hash.startswith("$argon2id$")
        assert password not in admin.password_hash
        assert verify_password(hasher, admin.password_hash, password)
    assert ensure_first_admin(database, hasher) is None
    database.dispose()


def test_seed_demo_registers_a_manifest(tmp_path: Path) -> None:
    settings, database = _database(tmp_path)
    ensure_first_admin(database, make_hasher())
    write_ir_video(settings.storage / "p1" / "ir.mkv")
    manifest = {
        "ictal_manifest": 1, "labels": ["FLE"],
        "patients": [{"id": "P001", "sex": "F", "age": 30, "syndrome": "FLE"}],
        "recordings": [{"id": "r1", "patient": "P001",
                        "streams": [{"kind": "ir", "path": "p1/ir.mkv", "fps": 10}]}],
        "events": [{"id": "e1", "recording": "r1", "t0": 0.1, "t1": 1.0, "label": "FLE"}],
        "mois": [{"id": "m1", "event": "e1", "region": "left-hand",
                  "term": "manual-automatism", "start": 0.2, "end": 0.5},
                 {"id": "m2", "event": "e1", "region": "left-hand", "term": "not-a-term",
                  "start": 0.2, "end": 0.5}],
    }
    path = settings.storage / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    ids = seed_demo(database, settings, path)
    assert len(ids) == 1
    with database.sessions() as db:
        rec = recordings.get_recording_unscoped(db, ids[0])
        assert rec.n_frames == 12 and rec.preview_status == "pending"
        assert rec.patient.code != "P001" or rec.patient.syndrome == "FLE"
        found = events.list_events(db, rec)
        assert [(e.t0, e.t1) for e in found] == [(0.1, 1.0)]
        annotated = mois.list_mois_of_event(db, found[0])
        assert [m.term.code for m in annotated] == ["manual-automatism"]  # the unknown term skipped
    assert seed_demo(database, settings, path) == []  # idempotent
    database.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_ictal_serve_on_an_empty_folder(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ictal", "serve", "--data-dir", str(tmp_path / "d"),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        lines: list[str] = []
        for _ in range(600):  # bounded wait for the banner (~60 s)
            line = proc.stdout.readline()
            lines.append(line)
            if "ictal server on" in line or proc.poll() is not None:
                break
        text = "".join(lines)
        password = re.search(r"^\s{4}(\S+)$", text, re.M).group(1)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            r = client.post("/api/auth/login", json={"username": "admin", "password": password})
            assert r.status_code == 200 and r.json()["user"]["role"] == "admin"
            page = client.get("/")  # the built front-end, or the "not built" page
            assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert (tmp_path / "d" / "ictal.db").is_file()
