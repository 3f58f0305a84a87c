"""Whether a file computed elsewhere (``ictal predict`` predictions, an ``ictal keypoints``
shard) is of the recording it is imported onto: the rule every such import shares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from ictal.server.errors import InvalidError
from ictal.server.models import Recording
from ictal.server.repositories import streams

#: A recording id of this server as an export writes it.
REC_ID = re.compile(r"^rec-(\d+)$")


def check_source(db: Session, rec: Recording, *, what: str, recording: str, where: str,
                 source: Mapping[str, Any] | None, source_name: str, hint: str) -> None:
    """:class:`InvalidError` naming both unless ``what`` (e.g. "these predictions") is of ``rec``.

    ``recording`` (the file's recording id, read from ``where``) must name ``rec`` when it is an
    id of this server (``rec-<id>``). ``source`` (the file's ``source_name``: ``recording``,
    ``duration`` in seconds, ``streams`` of ``{kind, fingerprint}``, as
    ``ictal.manifest.files.recording_source`` writes it), when present, must last as long as
    ``rec`` within one frame, and one of its stream fingerprints must be one of ``rec``'s. A
    file with neither is refused (``hint``: how to make one that names its recording).
    """
    mine = f"rec-{rec.id}"
    named = REC_ID.match(recording)
    if named and int(named.group(1)) != rec.id:
        raise InvalidError(
            f"{what} are of recording {recording!r} ({where}), not of recording {rec.id} "
            f"({mine}): import them onto recording {named.group(1)}")
    if source is None:
        if not named:
            raise InvalidError(
                f"cannot tell which recording {what} are of: {where} is {recording!r}, not an "
                f"id of this server ({mine}), and there is no {source_name}; {hint}")
        return
    duration = source.get("duration")
    frame = 1 / float(Fraction(rec.fps))
    if isinstance(duration, int | float) and abs(duration - rec.duration) > frame + 1e-6:
        raise InvalidError(
            f"{what} were computed on {source.get('recording')!r} of {duration:.3f} s, "
            f"recording {rec.id} ({mine}) lasts {rec.duration:.3f} s: were they computed on "
            "another recording?")
    theirs = {s.get("fingerprint"): s.get("kind") for s in source.get("streams") or []
              if isinstance(s, Mapping) and s.get("fingerprint")}
    if theirs and not set(theirs) & set(streams.fingerprints(db, rec)):
        listed = ", ".join(f"{k} {str(f)[:16]}…" for f, k in theirs.items())
        raise InvalidError(
            f"{what} were computed on {source.get('recording')!r} (streams {listed}), none of "
            f"which is a stream of recording {rec.id} ({mine}): import them onto the recording "
            "whose files they were computed on")
