"""The manifest against its files: where stream paths lead, and what the files' headers say.

* **Root.** Stream paths are relative to the manifest's folder, the dataset root. A path that
  leads out of it (``../../etc/passwd``, an absolute path elsewhere, a symbolic link pointing
  out) is refused unless the loader is told to allow it (``allow_outside_root``).
* **Omitted fields.** A stream that leaves out ``fps``, ``width``, ``height`` or ``n_frames``
  gets them from its file's header (:func:`ictal.io.probe`: header only, at most the first
  frame decoded), when files are checked.
* **Probe.** ``ictal manifest check`` probes every stream and reports each declared value the
  file contradicts, and each event that ends after the real end of its recording.

Every problem is a line ``<row>: field '<field>': <what is wrong>`` for
:class:`~ictal.errors.ManifestError`, which lists them all at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ictal.errors import IctalError, VideoError
from ictal.fsutil import file_fingerprint

if TYPE_CHECKING:
    from ictal.io import VideoInfo
    from ictal.manifest.schema import Manifest, Recording

#: Stream fields a file's header can supply.
PROBED_FIELDS = ("fps", "width", "height", "n_frames")
#: Stream kinds stored as frames (``joints`` streams are not videos).
VIDEO_KINDS = frozenset({"rgb", "ir", "depth"})
#: Relative difference below which a declared frame rate matches the file's (29.97 vs
#: 30000/1001).
FPS_TOLERANCE = 1e-3

OUTSIDE_HINT = ("move the file under the manifest's folder, or pass --allow-outside-root "
                "(allow_outside_root=True) if the dataset really spans several folders")


def _escapes(path: Path, root: Path) -> bool:
    return not path.is_relative_to(root)


@dataclass
class StreamFiles:
    """Checks stream paths against the dataset ``root`` and probes files, once each.

    Attributes:
        root: the manifest's folder (absolute), or ``None`` for a manifest without a file
            (paths are then taken as they are and no root applies).
        check_files: look at the file system (existence, symbolic links, headers).
        allow_outside_root: accept paths that lead out of ``root``.
    """

    root: Path | None
    check_files: bool = True
    allow_outside_root: bool = False
    _infos: dict[Path, VideoInfo | str] = field(default_factory=dict)
    _reported: set[Path] = field(default_factory=set)

    def path_of(self, raw: str) -> Path:
        """Where a stream path points (not resolving symbolic links)."""
        p = Path(raw)
        if p.is_absolute() or self.root is None:
            return p
        return self.root / p

    def path_problem(self, raw: str) -> str | None:
        """Why the stream path ``raw`` is refused, or ``None``."""
        path = self.path_of(raw)
        if self.root is None or self.allow_outside_root:
            return None
        root = Path(os.path.normpath(self.root))
        if _escapes(Path(os.path.normpath(path)), root):
            return (f"{raw!r} lies outside the dataset root {root} (the manifest's folder); "
                    f"{OUTSIDE_HINT}")
        if self.check_files and _escapes(path.resolve(), root.resolve()):
            return (f"{raw!r} leads through a symbolic link to {path.resolve()}, outside the "
                    f"dataset root {root}; {OUTSIDE_HINT}")
        return None

    def info(self, raw: str, fps: Any = None) -> VideoInfo | str:
        """The file's header, or why it cannot be read (cached per path)."""
        from ictal.io import probe  # PyAV is imported only when a file is probed

        path = self.path_of(raw)
        if path not in self._infos:
            if not path.exists():
                self._infos[path] = f"file not found: {path}"
            else:
                try:
                    self._infos[path] = probe(path, fps=None if _has_fps(path) else fps)
                except VideoError as err:
                    self._infos[path] = (f"{raw!r} cannot be read: {err.cause}"
                                         + (f" ({err.hint})" if err.hint else ""))
                except OSError as err:
                    self._infos[path] = f"{raw!r} cannot be read: {err.strerror or err}"
        return self._infos[path]

    def report_once(self, raw: str) -> bool:
        """``True`` the first time a problem of this path's file is reported."""
        path = self.path_of(raw)
        if path in self._reported:
            return False
        self._reported.add(path)
        return True

    # -- before validation: fill omitted fields ----------------------------------------------
    def complete(self, where: str, row: Any) -> tuple[Any, list[str]]:
        """``row`` (a raw recording mapping) with its streams' omitted fields taken from the
        files; problems of the streams that needed a file and could not get it."""
        if not self.check_files or not isinstance(row, dict):
            return row, []
        streams = row.get("streams")
        if not isinstance(streams, list):
            return row, []
        problems: list[str] = []
        filled = []
        for j, stream in enumerate(streams):
            missing = [k for k in PROBED_FIELDS if isinstance(stream, dict)
                       and stream.get(k) is None]
            raw = stream.get("path") if isinstance(stream, dict) else None
            if not missing or not isinstance(raw, str) or stream.get("kind") not in VIDEO_KINDS:
                filled.append(stream)
                continue
            if self.path_problem(raw) is not None:
                filled.append(stream)  # reported by check()
                continue
            if "fps" in missing and not _has_fps(self.path_of(raw)):
                problems.append(f"{where}: field 'streams.{j}.fps': required for {raw!r}: "
                                ".npy stacks and PNG sequences store no frame rate")
                filled.append(stream)
                continue
            info = self.info(raw, stream.get("fps"))
            if isinstance(info, str):
                if self.report_once(raw):
                    problems.append(f"{where}: field 'streams.{j}.path': {info} (needed for "
                                    f"the omitted {', '.join(missing)})")
                filled.append(stream)
                continue
            values = {"fps": _fps_text(info.fps), "width": info.width, "height": info.height,
                      "n_frames": info.n_frames}
            filled.append({**stream, **{k: values[k] for k in missing}})
        return {**row, "streams": filled}, problems

    # -- after validation: paths, existence and (optionally) every header -------------------
    def check(self, rows: list[tuple[str, Any]], events: list[tuple[str, Any]], *,
              probe_all: bool = False) -> list[str]:
        """Problems of the validated recording ``rows`` and event rows (``(where, row)``)."""
        problems: list[str] = []
        ends: dict[str, tuple[Fraction, str]] = {}
        for where, rec in rows:
            for j, s in enumerate(rec.streams):
                if (problem := self.path_problem(s.path)) is not None:
                    problems.append(f"{where}: field 'streams.{j}.path': {problem}")
                    continue
                if not self.check_files:
                    continue
                path = self.path_of(s.path)
                if not probe_all or s.kind not in VIDEO_KINDS:
                    if not path.exists() and self.report_once(s.path):
                        problems.append(f"{where}: field 'streams.{j}.path': file not found: "
                                        f"{path}")
                    continue
                info = self.info(s.path, s.fps)
                if isinstance(info, str):
                    if self.report_once(s.path):
                        problems.append(f"{where}: field 'streams.{j}.path': {info}")
                    continue
                problems += _mismatches(where, j, s, info)
                end = Fraction(info.n_frames) / (info.fps if _has_fps(path) else s.fps)
                if rec.id not in ends or end < ends[rec.id][0]:
                    ends[rec.id] = (end, f"{s.kind} stream {s.path}: {info.n_frames} frames")
        for where, ev in events:
            if ev.recording in ends:
                end, what = ends[ev.recording]
                if ev.t1 > end + Fraction(1, 1000):
                    problems.append(
                        f"{where}: field 't1': {ev.t1} s is past the real end of recording "
                        f"'{ev.recording}' at {float(end):.3f} s ({what}); the event would be "
                        "cut")
        return problems


def _has_fps(path: Path) -> bool:
    """Whether the file stores a frame rate (containers do; arrays and image sequences do not)."""
    from ictal.io import source_kind

    try:
        return source_kind(path) == "video"
    except IctalError:
        return True  # probing will say what is wrong with it


def _fps_text(fps: Fraction) -> int | str:
    return int(fps) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def _mismatches(where: str, j: int, stream: Any, info: VideoInfo) -> list[str]:
    """Declared values of ``stream`` that its file's header contradicts."""
    out = []
    name = f"the file {stream.path}"
    if _has_fps(info.path) and abs(stream.fps - info.fps) > FPS_TOLERANCE * info.fps:
        out.append(f"{where}: field 'streams.{j}.fps': declared {_fps_text(stream.fps)}, "
                   f"{name} runs at {_fps_text(info.fps)} fps (~{float(info.fps):.3f})")
    for key, actual in (("width", info.width), ("height", info.height),
                        ("n_frames", info.n_frames)):
        declared = getattr(stream, key)
        if declared is not None and declared != actual:
            out.append(f"{where}: field 'streams.{j}.{key}': declared {declared}, {name} has "
                       f"{actual}")
    return out


def recording_source(manifest: Manifest, rec: Recording) -> dict[str, Any]:
    """What an output computed on ``rec`` was computed on, for the web platform to check it
    against the recording it is imported onto (``ictal predict`` writes it as ``source``,
    ``ictal keypoints`` into a shard's provenance as ``recording_source``): the recording's
    id, length, and each stream's frame rate, length and :func:`~ictal.fsutil.file_fingerprint`.

    ``{"recording": str, "duration": float | None, "streams": [{"kind": str, "fps": "num/den",
    "n_frames": int | None, "fingerprint": str | None}, ...]}`` (``fingerprint`` ``None`` when
    the file cannot be read here).
    """
    streams = []
    for s in rec.streams:
        try:
            fingerprint: str | None = file_fingerprint(manifest.resolve(s))
        except OSError:
            fingerprint = None
        streams.append({"kind": s.kind, "fps": str(s.fps), "n_frames": s.n_frames,
                        "fingerprint": fingerprint})
    return {"recording": rec.id, "duration": rec.duration, "streams": streams}
