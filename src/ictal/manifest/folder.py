"""A manifest from a folder of videos (``ictal manifest init``): one recording per file.

Every MP4 / M4V / MOV / MPG / MPEG / AVI / MKV / ASF / WMV file under the folder (recursively;
hidden files and folders skipped) becomes a recording with one stream whose frame rate, size
and frame count come from its header (:func:`ictal.io.probe`: no decoding beyond the first
frame). The manifest has no labels and no events: it serves ``ictal preprocess``, ``ictal
extract --windows sliding`` and ``ictal predict`` as it is; with a seizure log (a CSV table,
see :mod:`ictal.manifest.seizurelog`) its events and labels come from the log, and the manifest
trains models.

Ids (letters, digits, ``_``, ``-``, ``.``; any other character becomes ``_``):

* **patient**: the name of the file's parent folder (``videos/P07/night1.mp4`` -> ``P07``;
  a file directly in the folder given takes that folder's name), or, with ``patient_from``,
  a regular expression searched in the file name: its group named ``patient``, else its first
  group, else the whole match (``--patient-from '^(P\\d+)_'`` on ``P07_night1.mp4`` -> ``P07``);
  a file whose name it does not match is reported as failed;
* **recording**: the file's path under the folder without its suffix, folders joined with
  ``-`` (``P07/night1.mp4`` -> ``P07-night1``); two files differing only by their suffix keep
  it (``P07-night1-avi``);
* **stream kind**: ``rgb`` or ``ir`` as asked, or with ``auto`` from the header: grey frames
  (8 or 16 bit) are ``ir``, colour ones ``rgb`` (night-vision footage stored in a colour format
  reads as ``rgb``; the ``2d`` preprocessing variant reads either kind).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ictal.errors import ConfigError, IctalError
from ictal.manifest.io import parse_manifest
from ictal.manifest.schema import Manifest
from ictal.manifest.seizurelog import event_rows, read_seizure_log

#: Suffixes of the video files a folder scan takes (case-insensitive).
FOLDER_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mpg", ".mpeg", ".avi", ".mkv", ".asf",
                             ".wmv"})

FolderKind = Literal["rgb", "ir", "auto"]


@dataclass
class FolderScan:
    """What :func:`manifest_from_folder` found.

    Attributes:
        manifest: the recordings of the files that could be read (``None`` when none could).
        files: every video file found, in order.
        failed: ``(file, why)`` for each file left out.
    """

    manifest: Manifest | None
    files: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def find_videos(folder: Path) -> list[Path]:
    """Video files under ``folder`` (recursively, sorted, hidden entries skipped)."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / n for n in names
                  if not n.startswith(".") and Path(n).suffix.lower() in FOLDER_SUFFIXES]
    return sorted(found)


def safe_id(text: str, fallback: str = "x") -> str:
    """``text`` as a manifest id: other characters become ``_``; it starts with a letter or
    digit (``fallback`` is put in front otherwise)."""
    out = re.sub(r"[^A-Za-z0-9_.-]", "_", text)
    return out if out[:1].isalnum() else f"{fallback}{out}"


def patient_of(path: Path, folder: Path, pattern: re.Pattern[str] | None) -> str:
    """The patient id of ``path`` (see the module docstring).

    Raises:
        ConfigError: ``pattern`` does not match the file name.
    """
    if pattern is None:
        parent = path.parent if path.parent != folder else folder.resolve()
        return safe_id(parent.name, "P")
    match = pattern.search(path.name)
    if match is None:
        raise ConfigError(f"the file name does not match --patient-from '{pattern.pattern}'")
    if "patient" in match.re.groupindex:
        value = match.group("patient")
    else:
        value = match.group(1) if match.re.groups else match.group(0)
    if not value:
        raise ConfigError(f"--patient-from '{pattern.pattern}' matched an empty patient id")
    return safe_id(value, "P")


def _recording_ids(files: list[Path], folder: Path) -> dict[Path, str]:
    """A unique recording id per file: its path under ``folder`` without the suffix."""
    base = {p: safe_id("-".join(p.relative_to(folder).with_suffix("").parts), "R")
            for p in files}
    counts: dict[str, int] = {}
    for rid in base.values():
        counts[rid] = counts.get(rid, 0) + 1
    out: dict[Path, str] = {}
    used: set[str] = set()
    for p in files:
        rid = base[p] if counts[base[p]] == 1 else f"{base[p]}-{p.suffix.lower().lstrip('.')}"
        unique, n = rid, 2
        while unique in used:
            unique, n = f"{rid}-{n}", n + 1
        used.add(unique)
        out[p] = unique
    return out


def manifest_from_folder(folder: Path | str, manifest_dir: Path | str, *,
                         patient_from: str | None = None, kind: FolderKind = "auto",
                         name: str | None = None,
                         events: Path | str | None = None) -> FolderScan:
    """Scan ``folder`` for videos and build a manifest of them (nothing is written).

    Args:
        folder: where the videos are.
        manifest_dir: the folder the manifest will be written to; stream paths are relative
            to it.
        patient_from: regular expression giving the patient id from each file name (see the
            module docstring); default: the parent folder's name.
        kind: ``rgb``, ``ir`` or ``auto`` (from each file's header).
        name: the manifest's name (default: the folder's name).
        events: a seizure log (CSV, :mod:`ictal.manifest.seizurelog`) naming the files under
            ``folder``: the manifest's events, and its labels in the order they first appear.

    Returns:
        The manifest of the files that could be probed, and the files that could not (a file
        FFmpeg cannot read, a name ``patient_from`` does not match).

    Raises:
        ConfigError: ``folder`` is not a folder, holds no video file, or ``patient_from`` is
            not a regular expression.
        ManifestError: the seizure log has problems (all of them listed).
    """
    from ictal.io import probe  # PyAV is imported only when files are probed

    folder, manifest_dir = Path(folder), Path(manifest_dir)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder", hint="give the folder holding the videos")
    try:
        pattern = re.compile(patient_from) if patient_from else None
    except re.error as err:
        raise ConfigError(f"--patient-from '{patient_from}': not a regular expression ({err})",
                          hint=r"e.g. --patient-from '^(P\d+)_'") from err
    files = find_videos(folder)
    if not files:
        raise ConfigError(f"{folder}: no video file found (looked for "
                          f"{', '.join(sorted(FOLDER_SUFFIXES))}, in every sub-folder)",
                          hint="give the folder that holds the recordings")
    scan = FolderScan(None, files)
    ids = _recording_ids(files, folder)
    patients: list[str] = []
    recordings: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # path under the folder -> recording id
    durations: dict[str, float | None] = {}
    for path in files:
        try:
            patient = patient_of(path, folder, pattern)
            info = probe(path)
        except (IctalError, OSError) as err:
            scan.failed.append((path, str(err) if isinstance(err, IctalError)
                                else f"cannot be read: {err.strerror or err}"))
            continue
        stream_kind = kind if kind != "auto" else ("ir" if info.channels == 1 else "rgb")
        rel = os.path.relpath(path.resolve(), manifest_dir.resolve())
        recordings.append({"id": ids[path], "patient": patient, "streams": [{
            "kind": stream_kind, "path": Path(rel).as_posix(), "fps": str(info.fps),
            "width": info.width, "height": info.height, "n_frames": info.n_frames}]})
        names[path.relative_to(folder).as_posix()] = ids[path]
        durations[ids[path]] = (float(info.n_frames / info.fps)
                                if info.n_frames and info.fps else None)
        if patient not in patients:
            patients.append(patient)
    log = read_seizure_log(events, files=names, durations=durations) if events else []
    if recordings:
        data = {"name": name if name is not None else folder.resolve().name,
                "labels": list(dict.fromkeys(row.label for row in log)),
                "patients": [{"id": p} for p in patients], "recordings": recordings,
                "events": event_rows(log), "mois": []}
        # every file was just probed: validate the rows, not the files again
        scan.manifest = parse_manifest(data, source=str(manifest_dir / "manifest.yaml"),
                                       root=manifest_dir.resolve(), check_files=False,
                                       allow_outside_root=True)
    return scan
