"""The closed sets of values the tables store and the API speaks: one definition for both.

:mod:`.models` stores them in ``VARCHAR`` columns (:func:`ictal.server.db.str_enum`: values,
not names, so the rows read ``'clinician'``); :mod:`.schemas` uses them in request and response
bodies (an OpenAPI ``enum``). :data:`StreamKind` and :data:`Sex` are ``Literal`` types within the
manifest's (exports hand them over unchanged).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

#: The streams a recording may hold (a subset of :data:`ictal.manifest.StreamKind`).
StreamKind = Literal["rgb", "ir", "depth"]
#: A patient's recorded sex (``U``: unknown), as in the manifest.
Sex = Literal["F", "M", "U"]


def as_stream_kind(value: str) -> StreamKind | None:
    """``value`` as a :data:`StreamKind`, or ``None`` for a kind the server does not store
    (e.g. the manifest's ``joints``)."""
    return next((kind for kind in get_args(StreamKind) if kind == value), None)


class Role(StrEnum):
    """What a user may do: label (clinician), label and adjudicate between annotators into
    the consensus layer (reviewer: a senior clinician), export and import model runs (data
    scientist), everything including users and clinics (admin)."""

    CLINICIAN = "clinician"
    REVIEWER = "reviewer"
    DATA_SCIENTIST = "data_scientist"
    ADMIN = "admin"


class PreviewStatus(StrEnum):
    """Where a recording's browser preview is: queued, being transcoded, ready, failed."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def unfinished(self) -> bool:
        """Queued or running: a job owns it (or will, after a restart)."""
        return self in (PreviewStatus.PENDING, PreviewStatus.RUNNING)
