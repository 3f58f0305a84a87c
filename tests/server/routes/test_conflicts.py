"""The 409 of a stale ``version``: each versioned route declares a conflict body whose
``current`` is its entity's public schema, and the server answers exactly that.

Every test runs on SQLite and (marker ``postgres``) on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from serverkit import World, make_event, make_recording

from ictal.server import schemas


@dataclass(frozen=True)
class Versioned:
    """A route that checks ``version``, the entity it edits and how to make a row of it."""

    method: str
    path: str  # OpenAPI path template
    entity: str  # public schema of the row, e.g. "EventPublic"
    make: Callable[[TestClient], tuple[dict[str, Any], str]]  # -> (row, its URL)
    edit: dict[str, Any]  # a PATCH body (without version) that changes the row


def _patient(client: TestClient) -> tuple[dict[str, Any], str]:
    url = f"/api/patients/{make_recording(client)['patient_id']}"
    return client.get(url).json(), url


def _event(client: TestClient) -> tuple[dict[str, Any], str]:
    ev = make_event(client, make_recording(client)["id"])
    return ev, f"/api/events/{ev['id']}"


def _moi(client: TestClient) -> tuple[dict[str, Any], str]:
    ev, _ = _event(client)
    r = client.post(f"/api/events/{ev['id']}/mois", json={
        "region": "head", "term": "head-version", "start": 0.3, "end": 0.5})
    assert r.status_code == 201, r.text
    return r.json(), f"/api/mois/{r.json()['id']}"


VERSIONED = [
    Versioned("patch", "/api/patients/{patient_id}", "PatientPublic", _patient, {"age": 51}),
    Versioned("patch", "/api/events/{event_id}", "EventPublic", _event, {"label": "TLE"}),
    Versioned("delete", "/api/events/{event_id}", "EventPublic", _event, {"label": "TLE"}),
    Versioned("patch", "/api/mois/{moi_id}", "MoiPublic", _moi, {"end": 0.7}),
    Versioned("delete", "/api/mois/{moi_id}", "MoiPublic", _moi, {"end": 0.7}),
]


def _declared_409(openapi: dict[str, Any], method: str, path: str) -> str:
    """Name of the schema the route declares for its 409 answer."""
    response = openapi["paths"][path][method]["responses"]["409"]
    ref: str = response["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def test_exactly_the_versioned_routes_declare_a_409(world: World) -> None:
    openapi = world.app.openapi()
    declared = {(method, path) for path, ops in openapi["paths"].items()
                for method, op in ops.items() if "409" in op.get("responses", {})}
    assert declared == {(v.method, v.path) for v in VERSIONED}


@pytest.mark.parametrize("route", VERSIONED, ids=lambda v: f"{v.method} {v.path}")
def test_409_declares_the_entity_and_the_body_matches_it(world: World, route: Versioned) -> None:
    openapi = world.app.openapi()
    name = _declared_409(openapi, route.method, route.path)
    entity = route.entity.removesuffix("Public")
    assert name == f"{entity}Conflict"
    detail_ref = openapi["components"]["schemas"][name]["properties"]["detail"]["$ref"]
    detail = openapi["components"]["schemas"][detail_ref.rsplit("/", 1)[-1]]
    assert detail["properties"]["current"] == {"$ref": f"#/components/schemas/{route.entity}"}
    assert set(detail["required"]) == {"message", "current"}

    # the same user in a second tab (another user may not edit alice's labels at all)
    alice, bob = world.client("clin_a"), world.client("clin_a")
    row, url = route.make(alice)
    assert row["version"] == 1
    r = alice.patch(url, json={"version": 1, **route.edit})
    assert r.status_code == 200, r.text
    if route.method == "patch":
        stale = bob.patch(url, json={"version": 1, **route.edit})
    else:
        stale = bob.delete(url, params={"version": 1})
    assert stale.status_code == 409, stale.text

    model: type[BaseModel] = getattr(schemas, name)
    body = model.model_validate(stale.json())  # raises when the body does not fit the schema
    assert body.model_dump(mode="json") == stale.json()  # and nothing outside it is sent
    current = stale.json()["detail"]["current"]
    assert current == alice.get(url).json()  # the row exactly as the server holds it
    assert current["version"] == 2
    assert "version 1" in stale.json()["detail"]["message"]
