"""Safe file writing: results appear complete or not at all.

Every writer goes through :func:`atomic_path`: it writes a temporary file in the target's own
folder and renames it onto the target when it is complete. Temporary files are named
``.<target stem>.ictal-tmp-<random><suffix>`` (:data:`TEMP_MARKER`), so a killed run leaves
files that a resume recognises and removes (:func:`remove_temporaries`); nothing else is ever
named like that.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Part of the name of every temporary file :func:`atomic_path` creates.
TEMP_MARKER = ".ictal-tmp-"


@contextlib.contextmanager
def atomic_path(path: Path | str, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    The temporary file lives in the same directory (so the rename is atomic on POSIX) and keeps
    ``path``'s suffix unless ``suffix`` is given, so libraries that pick a format from the
    extension (FFmpeg, HDF5, PNG writers) still work. On any exception the temporary file is
    removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem}{TEMP_MARKER}", suffix=suffix if suffix is not None else path.suffix,
        dir=path.parent,
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.chmod(0o644)  # mkstemp makes 0600; results are meant to be shared
    try:
        yield tmp
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def is_temporary(path: Path | str) -> bool:
    """``True`` for a temporary file of :func:`atomic_path` (complete or left by a killed run)."""
    name = Path(path).name
    return name.startswith(".") and TEMP_MARKER in name


def remove_temporaries(folder: Path | str, *, stem: str | None = None) -> list[Path]:
    """Remove the temporary files :func:`atomic_path` left in ``folder`` (not recursive).

    Call it when resuming a job that owns ``folder`` (or, with ``stem``, only the temporaries
    of the target ``<stem>.*``): a run killed while writing leaves its temporary file behind,
    often empty. A folder that does not exist holds nothing to remove.

    Returns:
        The paths removed (logged), sorted.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pattern = f".{stem}{TEMP_MARKER}*" if stem is not None else f".*{TEMP_MARKER}*"
    removed = []
    for path in sorted(folder.glob(pattern)):
        if path.is_file() and is_temporary(path):
            path.unlink(missing_ok=True)
            removed.append(path)
            log.info("removed %s, left by an interrupted run", path)
    return removed


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: Path | str, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


#: Bytes read from each end of a file by :func:`file_fingerprint`.
FINGERPRINT_SPAN = 1 << 20


def file_fingerprint(path: Path | str) -> str:
    """A cheap identity of a (possibly huge) file: ``"sz1:"`` + the SHA-256 of its size and of
    its first and last :data:`FINGERPRINT_SPAN` bytes.

    Two recordings of an EMU differ in their first MiB (container header, first frames) and in
    their size; hashing whole multi-GB raw streams at every registration and prediction would
    cost minutes. Used to tie a model run to the stream it was computed on.
    """
    p = Path(path)
    size = p.stat().st_size
    digest = hashlib.sha256(size.to_bytes(8, "little"))
    with p.open("rb") as f:
        digest.update(f.read(FINGERPRINT_SPAN))
        if size > FINGERPRINT_SPAN:
            f.seek(max(FINGERPRINT_SPAN, size - FINGERPRINT_SPAN))
            digest.update(f.read(FINGERPRINT_SPAN))
    return f"sz1:{digest.hexdigest()}"
