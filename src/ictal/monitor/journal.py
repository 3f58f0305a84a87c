"""A bed's durable, append-only record: what a restarted monitor resumes from.

Layout of ``<out>/<bed>/``::

    bed.json        {"format": "ictal-monitor-bed/1", "bed", "source", "fps" (str),
                     "origin" (epoch s of timeline frame 0), "window" (frames),
                     "stride" (frames), "labels", "model" {"name", "bundle_sha256"},
                     "precision" (the backbone's: "fp32" | "bf16"; absent = fp32),
                     "alarm" (rule), "background" (labels that are not seizures: the
                     label the platform exports a rejected alarm as), "adapt" (per-bed
                     adaptation) | null,
                     "started" [ISO times of each start]}
    windows.jsonl   one line per window, in window order (``n`` = 0, 1, 2, ...):
                    {"bed", "n", "start_frame", "stop_frame", "t_start", "t_stop" (s on the
                     timeline), "state": "scored" | "not-assessable" | "dropped",
                     "probs" [per label] | null, "score" (seizure score) | null,
                     "reason" (why not scored) | null, "latency_s" (last frame in ->
                     probability out) | null, "wall" (epoch s written)}
    alarms.jsonl    {"bed", "id" (<bed>-<number>), "action": "raised" | "cleared", "n"
                     (the window), "t" (s), "label", "score", "reason", "wall"; "onset_t"
                     (raised) / "offset_t" (cleared): s, the stretch of the timeline the
                     alarm stands for (``ictal.monitor.alarms``)}
    notes.jsonl     the source's notes (connected, lost, gap, segment, ended) and the bed's
                     (calibrated, scene changed), with "frame" and "wall"
    adapt.jsonl     with ``--adapt``: each answer that moved (or kept) the bed's alarm bar
                    (``ictal.monitor.adapt``): {"alarm", "decision", "n" (the first window
                     it applies to), "bar_before", "bar_after", "reason", "wall"}
    acks.jsonl      written by the platform, not the monitor: the answers to the alarms

Every line is written whole and flushed to disk (``fsync``) before the next; a line torn by a
crash is cut off when the journal is opened again. Windows are numbered on the timeline
(window ``n`` covers frames ``[n * stride, n * stride + window)``), so a restart resumes at the
window after the last one written: none is lost and none is written twice.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, BinaryIO

from ictal.errors import ConfigError
from ictal.fsutil import write_json_atomic
from ictal.jsonl import append_line, read_jsonl

log = logging.getLogger(__name__)

BED_FORMAT = "ictal-monitor-bed/1"


def _cut_torn_tail(path: Path) -> int:
    """Truncate ``path`` after its last whole, valid line; returns the bytes cut."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    good = 0
    pos = 0
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        try:
            json.loads(data[pos:nl + 1])
        except json.JSONDecodeError:
            break
        good = pos = nl + 1
    cut = len(data) - good
    if cut:
        with path.open("r+b") as fh:
            fh.truncate(good)
            fh.flush()
            os.fsync(fh.fileno())
    return cut


class _Appender:
    """One JSON-lines file opened for appending; every line fsynced. The file is created
    by its first line: a bed that never adapts has no ``adapt.jsonl``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO | None = None
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        with self._lock:
            if self._fh is None:
                self._fh = self.path.open("ab")
            append_line(self._fh, record)

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


class BedJournal:
    """The journal of one bed (module docstring); :meth:`open` resumes an existing one."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = folder
        self.meta = meta
        self.windows = _Appender(folder / "windows.jsonl")
        self.alarms = _Appender(folder / "alarms.jsonl")
        self.notes = _Appender(folder / "notes.jsonl")
        self.adapt = _Appender(folder / "adapt.jsonl")

    @classmethod
    def open(cls, folder: Path | str, meta: dict[str, Any], *, started: str) -> BedJournal:
        """Open (or create) the journal in ``folder`` for a bed described by ``meta``.

        A journal written for another model, window, stride, frame rate, alarm rule or
        backbone precision is refused: its windows would not continue the same series.

        Raises:
            ConfigError: the folder's journal does not match ``meta``.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "bed.json"
        if path.exists():
            old = json.loads(path.read_text())
            for key in ("fps", "window", "stride", "labels", "model", "alarm", "adapt",
                        "source"):
                if old.get(key) != meta.get(key):
                    raise ConfigError(
                        f"{path}: the journal was written with {key} {old.get(key)!r}, this run "
                        f"has {meta.get(key)!r}",
                        hint="resume with the same settings, or give another --out folder")
            # journals written before precisions existed ran the backbone in fp32
            if old.get("precision", "fp32") != meta.get("precision", "fp32"):
                raise ConfigError(
                    f"{path}: the journal was written with backbone precision "
                    f"{old.get('precision', 'fp32')!r}, this run has "
                    f"{meta.get('precision', 'fp32')!r}",
                    hint="resume with the same --precision, or give another --out folder")
            meta = {**meta, "origin": old.get("origin", meta.get("origin")),
                    "started": [*old.get("started", []), started]}
        else:
            meta = {**meta, "started": [started]}
        for name in ("windows.jsonl", "alarms.jsonl", "notes.jsonl", "adapt.jsonl"):
            cut = _cut_torn_tail(folder / name)
            if cut:
                log.warning("%s: cut a torn last line (%d bytes) left by a crash",
                            folder / name, cut)
        write_json_atomic(path, {"format": BED_FORMAT, **meta})
        return cls(folder, meta)

    def set_origin(self, origin: float) -> None:
        """Record the epoch second of timeline frame 0 (once, for a stream)."""
        if self.meta.get("origin") is None:
            self.meta["origin"] = origin
            write_json_atomic(self.folder / "bed.json", {"format": BED_FORMAT, **self.meta})

    def past_windows(self) -> list[dict[str, Any]]:
        """The windows written so far, in order."""
        return read_jsonl(self.folder / "windows.jsonl")

    def past_adaptations(self) -> list[dict[str, Any]]:
        """The bar changes written so far (``adapt.jsonl``), in order."""
        return read_jsonl(self.folder / "adapt.jsonl")

    def next_window(self) -> int:
        """Number of the first window not written yet."""
        past = self.past_windows()
        return int(past[-1]["n"]) + 1 if past else 0

    def close(self) -> None:
        for appender in (self.windows, self.alarms, self.notes, self.adapt):
            appender.close()
