"""Optimistic concurrency of versioned rows (patients, events, MOIs): a stale ``version`` is a
409 carrying the row as the server holds it now."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ictal.server.errors import NotFoundError, StaleVersionError
from ictal.server.presenters import snapshot


def check_version(entity: str, row_id: int, row_version: int, sent: int,
                  current: dict[str, Any]) -> None:
    """:class:`StaleVersionError` when the client read another version than the row's."""
    if row_version != sent:
        raise StaleVersionError(entity, row_id, sent, current)


def flush_versioned(db: Session, entity: str, row: Any, sent: int,
                    public: Callable[[Any], BaseModel]) -> None:
    """Flush an UPDATE/DELETE guarded by ``version``; a concurrent writer -> 409 (404 when
    it deleted the row)."""
    model, row_id = type(row), row.id
    try:
        db.flush()
    except StaleDataError as err:
        db.rollback()
        fresh = db.get(model, row_id)
        if fresh is None:
            raise NotFoundError(f"{entity} {row_id} was deleted by someone else") from err
        raise StaleVersionError(entity, row_id, sent, snapshot(public(fresh))) from err
