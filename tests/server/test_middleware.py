"""Request bodies above the JSON limit are refused with 413 before anything parses them;
media uploads keep their own limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from serverkit import World

from ictal.server.app import create_app
from ictal.server.config import DEFAULT_MAX_JSON_BYTES, ServerSettings

LIMIT = 4096
JSON = {"content-type": "application/json"}


@pytest.fixture
def settings(settings: ServerSettings) -> ServerSettings:
    return settings.model_copy(update={"max_json_bytes": LIMIT})


def _padded(n: int) -> bytes:
    """A valid JSON object of ``n`` bytes (an empty patient body and spaces): parsed, it
    would create a patient."""
    return b"{" + b" " * (n - 2) + b"}"


def test_json_above_the_limit_is_413_before_parsing(world: World) -> None:
    client = world.client("clin_a")
    r = client.post("/api/patients", content=_padded(LIMIT + 1), headers=JSON)
    assert r.status_code == 413, r.text
    assert f"limit of {LIMIT} bytes" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b"{"
        for _ in range(3):
            yield b" " * 2000
        yield b"}"

    r = client.post("/api/patients", content=chunks(), headers=JSON)
    assert r.status_code == 413, r.text
    assert client.get("/api/patients").json() == []  # neither body was acted on
    r = client.post("/api/patients", content=_padded(LIMIT), headers=JSON)
    assert r.status_code == 201, r.text  # at the limit: fine, and the client still works
    assert r.headers["x-content-type-options"] == "nosniff"


def test_twenty_mebibytes_of_json_are_413_with_the_default_limit(
        world: World, settings: ServerSettings) -> None:
    app = create_app(settings.model_copy(update={"max_json_bytes": DEFAULT_MAX_JSON_BYTES}),
                     database=world.database)
    world.app = app
    client = world.client("clin_a")
    r = client.post("/api/patients", content=_padded(20 * 1024**2), headers=JSON)
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    assert client.get("/api/auth/me").status_code == 200


def test_uploads_keep_their_own_limit(world: World, storage_root: Path) -> None:
    """A video larger than the JSON limit uploads fine (its limit is max_upload_bytes)."""
    client = world.client("clin_a")
    pid = client.post("/api/patients", json={}).json()["id"]
    data = (storage_root / "ir" / "clip.mkv").read_bytes()
    assert len(data) > LIMIT
    r = client.post(f"/api/recordings/upload?patient_id={pid}&filename=clip.mkv", content=data,
                    headers={"content-type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    (world.app.state.ictal.settings.storage / r.json()["path"]).unlink()
