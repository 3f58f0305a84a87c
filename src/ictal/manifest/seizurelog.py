"""A seizure log as a CSV table: the events of a manifest, read and written.

EMUs keep their seizure lists in spreadsheets; this is the table ``ictal manifest init FOLDER
--events LOG.csv`` reads to label a folder of videos, and ``ictal manifest events MANIFEST``
writes (so a manifest's events can be edited in a spreadsheet and read back).

Columns (a header row is required; names are case-insensitive; other columns are ignored):

==================  ========  =========================================================
column              required  meaning
==================  ========  =========================================================
``file``            yes [1]_  the video: its path under the scanned folder, any tail of
                              it that names one file (``night1.mp4``), or a longer path
                              ending in one (``/recorder/P07/night1.mp4``)
``recording``       yes [1]_  the recording id instead of ``file``
``label``           yes       the class (``FLE``, ``TLE``, ``FOS``, ``TCS``, ...)
``onset``           yes       seconds from the video's start, or ``[hh:]mm:ss[.fff]``
``offset``          yes       likewise, after ``onset``
``generalisation``  no        tG, the time of generalisation (seed 002), likewise
``seizure_types``   no        free text
``semiology``       no        free text (e.g. ``automatisms -> dystonia``)
``id``              no        the event id (default ``<recording>-e<n>``)
==================  ========  =========================================================

.. [1] one of the two.

Times are seconds from the first frame of the video (a clock time of day is not accepted:
subtract the recording's start first). Every problem is reported at once, naming the CSV line
and column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ictal.errors import ManifestError
from ictal.manifest.timing import event_time_problems

#: Columns written by :func:`write_seizure_log`, in order.
LOG_COLUMNS = ("recording", "file", "label", "onset", "offset", "generalisation",
               "seizure_types", "semiology", "id")
_ALIASES = {"tg": "generalisation", "t0": "onset", "t1": "offset", "start": "onset",
            "end": "offset", "type": "label", "class": "label", "video": "file",
            "path": "file", "event": "id"}
LOG_HINT = ("fix the seizure log's lines named above (columns: file or recording, label, onset, "
            "offset [, generalisation, seizure_types, semiology, id]) and run the command again")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)$")


@dataclass(frozen=True)
class LogRow:
    """One event of a seizure log, its CSV line and what it names."""

    line: int
    recording: str
    label: str
    t0: float
    t1: float
    tG: float | None  # noqa: N815 (the seeds' name)
    seizure_types: str = ""
    semiology: str = ""
    id: str | None = None


def parse_time(text: str) -> float:
    """Seconds from ``72.4``, ``01:12.4`` or ``0:01:12.4``.

    Raises:
        ValueError: anything else, a negative time, NaN or infinity.
    """
    text = text.strip()
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = clock.groups()
        if float(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
            raise ValueError(f"'{text}' is not a time (minutes and seconds go up to 59)")
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a time (seconds, mm:ss or hh:mm:ss)") from None
    if not value >= 0 or value == float("inf"):  # NaN fails ">="
        raise ValueError(f"'{text}' is not a time from the video's start (seconds >= 0)")
    return value


def _header(fields: list[str] | None) -> dict[str, str]:
    """Canonical column name -> the header's own spelling."""
    out: dict[str, str] = {}
    for name in fields or []:
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        key = _ALIASES.get(key, key)
        out.setdefault(key, name)
    return out


def _file_index(files: dict[str, str]) -> dict[str, list[str]]:
    """Every tail of each file's path (posix, lower case) -> the recordings it names."""
    index: dict[str, list[str]] = {}
    for path, rec in files.items():
        parts = PurePosixPath(path.lower()).parts
        for i in range(len(parts)):
            index.setdefault("/".join(parts[i:]), []).append(rec)
    return index


def read_seizure_log(path: Path | str, *, files: dict[str, str],
                     durations: dict[str, float | None]) -> list[LogRow]:
    """The events of the seizure log at ``path`` (see the module docstring).

    Args:
        files: each video's path under the scanned folder (posix) -> its recording id.
        durations: recording id -> its length in seconds (``None`` when unknown).

    Raises:
        ManifestError: every problem of the file at once (a missing column, an unknown file
            or recording, a bad time, an offset before its onset or past the video's end).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ManifestError(path, [f"not a text file ({err.reason} at byte {err.start}): "
                                   "save the seizure log as CSV (UTF-8)"],
                            hint=LOG_HINT, what="the seizure log") from err
    except OSError as err:
        raise ManifestError(path, [f"cannot be read: {err.strerror or err}"],
                            hint=LOG_HINT, what="the seizure log") from err
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)  # the header's separator: spreadsheets differ
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    cols = _header(reader.fieldnames)
    missing = [c for c in ("label", "onset", "offset") if c not in cols]
    if "file" not in cols and "recording" not in cols:
        missing.insert(0, "file (or recording)")
    if missing:
        have = ", ".join(reader.fieldnames or []) or "none"
        raise ManifestError(path, [f"line 1: the header lacks the column(s) "
                                   f"{', '.join(missing)} (it has: {have})"],
                            hint=LOG_HINT, what="the seizure log")
    index = _file_index(files)
    recordings = set(files.values())
    rows: list[LogRow] = []
    problems: list[str] = []
    for raw in reader:
        line = reader.line_num  # the row's last physical line (a quoted cell may span lines)

        def cell(name: str, raw: dict[str, str | None] = raw) -> str:
            return (raw.get(cols[name]) or "").strip() if name in cols else ""

        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue  # a blank line
        where = f"line {line}"
        rec = cell("recording")
        if not rec:
            name = re.sub(r"^(\./)+", "", cell("file").replace("\\", "/")).lower()
            parts = PurePosixPath(name).parts
            # the longest tail of the logged path that names a video (a log may give the
            # path on the recorder, a path under the folder, or just the file name)
            found = next((index[t] for t in ("/".join(parts[i:]) for i in range(len(parts)))
                          if t in index), [])
            if not name:
                problems.append(f"{where}: no file (nor recording) given")
                continue
            if len(found) != 1:
                problems.append(
                    f"{where}: file '{cell('file')}' " + (
                        "names no readable video of the folder" if not found else
                        f"names {len(found)} videos ({', '.join(sorted(found))}): give more "
                        "of its path"))
                continue
            rec = found[0]
        elif rec not in recordings:
            problems.append(f"{where}: recording '{rec}' is not one of the folder's videos")
            continue
        label = cell("label")
        if not label:
            problems.append(f"{where}: label is empty")
        times: dict[str, float | None] = {}
        for col in ("onset", "offset", "generalisation"):
            value = cell(col)
            if not value:
                times[col] = None
                if col != "generalisation":
                    problems.append(f"{where}: {col} is empty")
                continue
            try:
                times[col] = parse_time(value)
            except ValueError as err:
                problems.append(f"{where}: {col} {err}")
                times[col] = None
        t0, t1, tg = times["onset"], times["offset"], times["generalisation"]
        if t0 is None or t1 is None or not label:
            continue
        found_problems = event_time_problems(t0, t1, tg, duration=durations.get(rec),
                                             recording=rec)
        names = {"t0": "onset", "t1": "offset", "tG": "generalisation"}
        problems += [f"{where}: {names.get(p.field or '', 'the event')} {p.message}"
                     for p in found_problems]
        if not found_problems:
            rows.append(LogRow(line, rec, label, t0, t1, tg, cell("seizure_types"),
                               cell("semiology"), cell("id") or None))
    if problems:
        raise ManifestError(path, problems, hint=LOG_HINT, what="the seizure log")
    return rows


def event_rows(log: Iterable[LogRow]) -> list[dict[str, object]]:
    """Manifest ``events`` rows of ``log``; ids ``<recording>-e<n>`` (1-based, in the log's
    order per recording) where the log gives none."""
    counts: dict[str, int] = {}
    out: list[dict[str, object]] = []
    for row in log:
        counts[row.recording] = counts.get(row.recording, 0) + 1
        event: dict[str, object] = {
            "id": row.id or f"{row.recording}-e{counts[row.recording]}",
            "recording": row.recording, "t0": row.t0, "t1": row.t1, "label": row.label}
        if row.tG is not None:
            event["tG"] = row.tG
        if row.seizure_types:
            event["seizure_types"] = row.seizure_types
        if row.semiology:
            event["semiology"] = row.semiology
        out.append(event)
    return out


def seizure_log_text(events: Iterable[dict[str, object]], files: dict[str, str]) -> str:
    """CSV text of manifest ``events`` rows (:data:`LOG_COLUMNS`); ``files``: recording id ->
    its first stream's path, written in the ``file`` column."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(LOG_COLUMNS)
    for ev in events:
        rec = str(ev["recording"])
        writer.writerow([rec, files.get(rec, ""), ev["label"], ev["t0"], ev["t1"],
                         "" if ev.get("tG") is None else ev["tG"],
                         ev.get("seizure_types", ""), ev.get("semiology", ""), ev["id"]])
    return buf.getvalue()
