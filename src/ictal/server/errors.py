"""Errors of the data-access layer; :func:`ictal.server.app.create_app` maps them to HTTP.

* :class:`NotFoundError` -> 404 (also for rows of another clinic: their existence is not revealed)
* :class:`ForbiddenError` -> 403 (authenticated, but the role may not do this)
* :class:`InvalidError` -> 422 (the request is well-formed but its values do not fit the data)
* :class:`StaleVersionError` -> 409 with the row as the server holds it now
* :class:`OutsideRootError` -> 400 (a path escapes the storage root)
* :class:`TooLargeError` -> 413 (a body above the server's limit)

Texts sent to clients never show the server's directories: :func:`hide_paths` turns paths under
them into paths relative to them (the form clients know from ``GET /api/storage``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class ServerError(Exception):
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ServerError):
    status_code = 404


class ForbiddenError(ServerError):
    status_code = 403


class InvalidError(ServerError):
    status_code = 422


class OutsideRootError(ServerError):
    status_code = 400


class TooLargeError(ServerError):
    status_code = 413


class StaleVersionError(ServerError):
    """The client sent a ``version`` that is no longer the row's; ``current`` is the row now."""

    status_code = 409

    def __init__(self, entity: str, entity_id: int, sent: int, current: dict[str, Any]) -> None:
        super().__init__(
            f"{entity} {entity_id} was changed by someone else: you sent version {sent}, the "
            f"server has version {current.get('version')}; reload it and apply your change again"
        )
        self.current = current


def hide_paths(text: str, roots: Iterable[Path]) -> str:
    """``text`` with every path under one of ``roots`` made relative to it
    (``/srv/ictal/storage/ir/a.mkv`` -> ``ir/a.mkv``) and each root itself shown as ``.``."""
    for root in sorted({str(r) for r in roots}, key=len, reverse=True):
        # the root, then "/" (a path under it) or anything that cannot continue a file name
        pattern = re.compile(re.escape(root) + r"(/|(?![\w.-]))")
        text = pattern.sub(lambda m: "" if m.group(1) == "/" else ".", text)
    return text
