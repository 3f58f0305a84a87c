"""JSON-lines files that survive a crash: one record per line, each appended whole and
flushed to disk before the next, and read back without the line a crash may have torn.

Used by the monitoring journal (:mod:`ictal.monitor.journal`) and the platform's live page
(:mod:`ictal.server.routes.monitor`), which reads the journals while they grow.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, BinaryIO


def encode_line(record: dict[str, Any]) -> bytes:
    """``record`` as one compact JSON line (NaN / infinity refused: they are not JSON)."""
    return (json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n").encode()


def append_line(fh: BinaryIO, record: dict[str, Any]) -> None:
    """Append ``record`` to the open file ``fh`` (mode ``ab``) and flush it to disk."""
    fh.write(encode_line(record))
    fh.flush()
    os.fsync(fh.fileno())


def read_jsonl(path: Path | str, *, tail_bytes: int | None = None) -> list[dict[str, Any]]:
    """The whole lines of ``path`` (none when it does not exist); a last line without its
    newline (being written, or torn by a crash) and anything after a line that is not JSON
    are left out. ``tail_bytes``: only the lines within the file's last bytes (for files
    that grow all night)."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open("rb") as fh:
        if tail_bytes is None:
            data = fh.read()
        else:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - tail_bytes))
            data = fh.read()
            if size > tail_bytes:
                data = data[data.find(b"\n") + 1:]  # the first line is cut
    out = []
    for raw in data.split(b"\n")[:-1]:  # the part after the last newline is not whole
        if not raw.strip():
            continue
        try:
            out.append(json.loads(raw))
        except json.JSONDecodeError:
            break
    return out
