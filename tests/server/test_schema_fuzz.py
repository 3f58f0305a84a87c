"""The whole OpenAPI schema, fuzzed with schemathesis as each role: no answer is a 5xx, and every
answer is one the schema declares (status code, content type, body).

One app per database (SQLite file / PostgreSQL schema of its own, owned by the app as in
production: write gate, autocommit reads), seeded through the API with two clinics, patients,
recordings, events, MOIs and model runs; then every operation gets positive and negative cases
as the admin, the clinician and the data scientist of the first clinic (session cookie + CSRF
header). Cases of operations with an id in their path mostly aim at seeded rows (of the user's
clinic and of the other one), the rest are whatever the schema allows (huge ids, long strings,
...). Error answers must not show the server's folders either.

Derandomized (the same cases every run), shrinking off. Cost: 62 operations, 1358 requests
per role and database; on SQLite, one role took 40 s (clinician), 87 s (admin) and 125 s (data
scientist) on a 2-core machine busy with other work (no operation above 15 s, creating users
the slowest): 4 roles x 2 databases are several minutes of the suite.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import ASGIClient
from serverkit import (
    CHEAP_ARGON2,
    PASSWORD,
    FakeJobs,
    keypoint_shard,
    postgres_url_or_skip,
    write_ir_video,
)
from sqlalchemy import create_engine, text

from ictal.server.app import create_app
from ictal.server.bootstrap import ensure_first_admin
from ictal.server.config import ServerSettings
from ictal.server.deps import AppState
from ictal.server.enums import PreviewStatus, Role
from ictal.server.models import User
from ictal.server.repositories import recordings
from ictal.server.security import CSRF_HEADER

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

#: Cases per operation and role (positive and negative; x 3 roles x 2 databases).
EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ROLES = {"admin": "fz_admin", "clinician": "fz_clin", "data_scientist": "fz_ds",
         "reviewer": "fz_rev"}
BASE_URL = "http://testserver"


@dataclass
class Seeded:
    """The app under test and the ids of the rows its seed created."""

    app: Any
    ids: dict[str, list[int]]
    private: tuple[Path, ...]  # the server's folders: no error answer may name them


def _login(app: Any, username: str) -> ASGIClient:
    client = ASGIClient(app, BASE_URL)
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers[CSRF_HEADER] = r.json()["csrf_token"]
    return client


def _seed(app: Any) -> dict[str, list[int]]:
    """Two clinics (users of every role in the first, a clinician in the second); patients,
    recordings, events and MOIs in both, model runs in the first, created through the API."""
    root = _login(app, "fz_root")
    other = root.post("/api/clinics", json={"name": "Fuzz clinic B"}).json()["id"]
    mine = next(c["id"] for c in root.get("/api/clinics").json() if c["id"] != other)
    ids: dict[str, list[int]] = {k: [] for k in ("clinic", "patient", "recording", "event",
                                                 "moi", "run", "stream", "user",
                                                 "keypoint_set")}
    for role, name in ROLES.items():
        r = root.post("/api/users", json={"username": name, "password": PASSWORD, "role": role,
                                          "clinic_ids": [mine]})
        assert r.status_code == 201, r.text
    r = root.post("/api/users", json={"username": "fz_other", "password": PASSWORD,
                                      "role": "clinician", "clinic_ids": [other]})
    assert r.status_code == 201, r.text
    ids["user"] = [r.json()["id"]]
    for name in ("fz_spare", "fz_spare2"):  # users the admin's fuzz may demote / deactivate
        r = root.post("/api/users", json={"username": name, "password": PASSWORD,
                                          "role": "clinician", "clinic_ids": [mine]})
        assert r.status_code == 201, r.text
        ids["user"].append(r.json()["id"])
    ids["clinic"] = [mine, other]
    for username in ("fz_clin", "fz_other"):
        clin = _login(app, username)
        for _ in range(2):
            patient = clin.post("/api/patients", json={"age": 30, "sex": "F"}).json()
            ids["patient"].append(patient["id"])
            rec = clin.post("/api/recordings", json={"patient_id": patient["id"],
                                                     "path": "ir/clip.mkv"})
            assert rec.status_code == 201, rec.text
            rid = rec.json()["id"]
            ids["recording"].append(rid)
            stream = clin.post(f"/api/recordings/{rid}/streams",
                               json={"path": "depth/clip.mkv", "kind": "depth"})
            assert stream.status_code == 201, stream.text
            ids["stream"].append(stream.json()["id"])
            ev = clin.post(f"/api/recordings/{rid}/events",
                           json={"t0": 0.1, "t1": 1.0, "tG": 0.5, "label": "FLE"}).json()
            ids["event"].append(ev["id"])
            moi = clin.post(f"/api/events/{ev['id']}/mois", json={
                "region": "head", "term": "tonic", "start": 0.2, "end": 0.6}).json()
            ids["moi"].append(moi["id"])
    ds = _login(app, "fz_ds")
    for rid in ids["recording"][:2]:
        run = ds.post(f"/api/recordings/{rid}/model-runs", json={
            "format": "ictal-predictions/1", "recording": f"rec-{rid}",
            "model": {"name": "lstm", "bundle_sha256": "ab" * 32},
            "labels": ["FLE", "TLE"], "decision": {"label": "FLE", "probs": [0.6, 0.4]},
            "windows": [{"start_frame": 0, "stop_frame": 4, "t_start": 0.0, "t_stop": 0.4,
                         "probs": [0.6, 0.4]}]})
        assert run.status_code == 201, run.text
        ids["run"].append(run.json()["id"])
        kp = ds.post(f"/api/recordings/{rid}/keypoints", data=keypoint_shard(f"rec-{rid}"),
                     headers={"Content-Type": "application/x-hdf5"})
        assert kp.status_code == 201, kp.text
        ids["keypoint_set"].append(kp.json()["id"])
    return ids


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Seeded]:
    """An app owning its database (a fresh SQLite file, or a PostgreSQL schema of its own,
    dropped at the end) and a storage root of its own, seeded."""
    base = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    storage = base / "storage"
    (storage / "ir").mkdir(parents=True)
    (storage / "depth").mkdir()
    write_ir_video(storage / "ir" / "clip.mkv")
    write_ir_video(storage / "depth" / "clip.mkv")  # a second stream of the same length
    url, drop = None, None
    if request.param == "postgres":
        server = postgres_url_or_skip()
        schema = f"ictal_fuzz_{uuid.uuid4().hex[:10]}"
        admin = create_engine(server)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{server}?options=-csearch_path%3D{schema}"

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    settings = ServerSettings(
        data_dir=base / "data", storage_root=storage, database_url=url,
        max_upload_bytes=200_000, static_dir=base / "static",
        argon2_time_cost=CHEAP_ARGON2["time_cost"], argon2_memory_kib=CHEAP_ARGON2["memory_kib"])
    app = create_app(settings)
    state: AppState = app.state.ictal
    state.jobs = FakeJobs()  # type: ignore[assignment]
    ensure_first_admin(state.database, state.hasher)
    with state.database.writes() as db:  # the first admin, renamed, with a known password
        user = db.query(User).one()
        user.username, user.password_hash = "fz_root", state.hasher.hash(PASSWORD)
        db.commit()
    try:
        yield Seeded(app, _seed(app), settings.private_roots)
    finally:
        state.database.dispose()
        if drop is not None:
            drop()


def _preview_done(seeded: Seeded) -> None:
    """The first recording's preview done (a file written), so the fuzz also reaches the
    streaming of previews (the fuzz's own POST .../preview queues it again)."""
    state: AppState = seeded.app.state.ictal
    rec_id = seeded.ids["recording"][0]
    preview = f"fuzz/{rec_id}.mp4"
    (state.settings.preview_root / "fuzz").mkdir(parents=True, exist_ok=True)
    (state.settings.preview_root / preview).write_bytes(b"\0" * 4096)
    with state.database.writes() as db:
        recordings.set_preview_state(db, rec_id, status=PreviewStatus.DONE, progress=100.0,
                                     preview_path=preview)
        db.commit()


#: Which seeded rows a path parameter names.
PATH_KINDS = {"patient_id": "patient", "recording_id": "recording", "event_id": "event",
              "moi_id": "moi", "run_id": "run", "clinic_id": "clinic", "stream_id": "stream",
              "user_id": "user", "keypoint_set_id": "keypoint_set"}


def _path_ids(operation: Any, ids: dict[str, list[int]]) -> list[dict[str, int]]:
    """Path parameters naming seeded rows (``recording_id`` -> each seeded recording ...; with
    two parameters, the i-th row of each: recording i with its stream i). A parameter naming
    no seeded kind (e.g. a monitor's bed) gets only what the schema generates."""
    names = [p.name for p in operation.path_parameters]
    if not names or any(n not in PATH_KINDS for n in names):
        return []
    columns = [ids[PATH_KINDS[n]] for n in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=False)]


@dataclass
class Failure:
    operation: str
    request: str
    status: int | None  # None: the app raised (a 500)
    message: str


@dataclass
class Run:
    """What one role's fuzzing sent and what went wrong."""

    requests: Counter[str] = field(default_factory=Counter)  # per operation
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)


def _strategy(operation: Any, ids: dict[str, list[int]]) -> st.SearchStrategy[Any]:
    """Positive and negative cases of ``operation``, half of them aimed at seeded rows."""
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=p)
                       for p in _path_ids(operation, ids)]
    return st.one_of(strategies)


def _fuzz_operation(seeded: Seeded, client: ASGIClient, operation: Any, run: Run) -> None:
    private = [str(p) for p in seeded.private]

    @hypothesis.settings(max_examples=EXAMPLES, derandomize=True, database=None,
                         deadline=None, phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, seeded.ids))
    def send(case: Any) -> None:
        run.requests[operation.label] += 1
        try:
            response = case.call(session=client, app=seeded.app, base_url=BASE_URL)
        except Exception as err:  # an exception escaping the app: a 500
            run.failures.append(Failure(operation.label, case.as_curl_command(), None,
                                        f"{type(err).__name__}: {err}"))
            return
        run.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as err:
            run.failures.append(Failure(operation.label, case.as_curl_command(),
                                        response.status_code, str(err)[:2000]))
        if response.status_code >= 400 and any(p in response.text for p in private):
            run.failures.append(Failure(operation.label, case.as_curl_command(),
                                        response.status_code, "a server path in the answer: "
                                        + response.text[:500]))

    send()


def _restore_users(seeded: Seeded) -> None:
    """The fuzz users active and in their roles again (the admin's fuzz of PATCH
    /api/users/{id} may have demoted or deactivated any of them)."""
    state: AppState = seeded.app.state.ictal
    with state.database.writes() as db:
        for role, name in ROLES.items():
            user = db.query(User).filter(User.username == name).one()
            user.role, user.active = Role(role), True
        db.commit()


def _fuzz(seeded: Seeded, role: str) -> Run:
    """Every operation of the schema, as ``role``."""
    _restore_users(seeded)
    schema = schemathesis.openapi.from_dict(seeded.app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    # reads first (a write such as POST .../preview changes what they find), logout last (it
    # ends the session every other operation uses)
    operations.sort(key=lambda op: (op.path == "/api/auth/logout", op.method.upper() != "GET"))
    client = _login(seeded.app, ROLES[role])
    _preview_done(seeded)
    run = Run()
    for operation in operations:
        _fuzz_operation(seeded, client, operation, run)
    return run


@pytest.mark.parametrize("role", sorted(ROLES))
def test_schema_fuzz(seeded: Seeded, role: str) -> None:
    started = time.perf_counter()
    run = _fuzz(seeded, role)
    log.info("%s: %d requests in %.1f s, statuses %s", role, run.requests.total(),
             time.perf_counter() - started, dict(sorted(run.statuses.items())))
    operations = [f"{m.upper()} {p}" for p, ops in seeded.app.openapi()["paths"].items()
                  for m in ops]
    assert sorted(run.requests) == sorted(operations)  # every operation was fuzzed
    assert sum(n for code, n in run.statuses.items() if code < 300) > 0
    report = "\n\n".join(f"{f.operation} -> {f.status}\n{f.request}\n{f.message}"
                           for f in run.failures)
    assert not run.failures, f"{len(run.failures)} failure(s):\n{report}"
