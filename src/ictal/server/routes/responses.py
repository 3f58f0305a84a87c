"""The error answers routes give, declared in the OpenAPI schema (so clients, the generated
front-end types and the schema fuzz test know every status a route may answer)."""

from __future__ import annotations

from typing import Any

from ictal.server.schemas import ApiError, InvalidRequest

Responses = dict[int | str, dict[str, Any]]


def error(description: str) -> dict[str, Any]:
    """A documented error answer whose body is :class:`ApiError`."""
    return {"model": ApiError, "description": description}


#: What any route under ``/api`` may answer besides its success (set on every router).
COMMON: Responses = {
    400: error("malformed request: a body that cannot be parsed, a path escaping the storage "
               "root"),
    401: error("not logged in, or the session expired: log in again"),
    403: error("the user's role may not do this, or the CSRF header is missing (writes)"),
    404: error("no such row in the user's clinics, or no such file in the storage root"),
    413: error("the request body is larger than the server's limit"),
    422: {"model": InvalidRequest,
          "description": "the request does not fit the schema, or its values do not fit the "
                         "data"},
}
