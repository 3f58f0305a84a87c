"""Load, validate and save manifests. Loading reports **every** problem at once."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ictal.errors import ManifestError
from ictal.fsutil import write_text_atomic
from ictal.manifest.files import StreamFiles
from ictal.manifest.schema import (
    IDENTIFYING_FIELDS,
    Event,
    Manifest,
    MoiAnnotation,
    Patient,
    Recording,
)
from ictal.manifest.timing import TimeProblem, event_time_problems, moi_time_problems

SECTIONS: dict[str, type] = {
    "patients": Patient,
    "recordings": Recording,
    "events": Event,
    "mois": MoiAnnotation,
}


def _item_lines(text: str) -> dict[str, list[int]]:
    """1-based line number of every item of each top-level section (for error messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, list[int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(value, yaml.SequenceNode):
                lines[str(key.value)] = [item.start_mark.line + 1 for item in value.value]
    return lines


def _where(section: str, index: int, row: Any, lines: dict[str, list[int]]) -> str:
    rid = row.get("id") if isinstance(row, dict) else None
    line = lines.get(section, [])
    at = f"line {line[index]}, " if index < len(line) else ""
    return f"{at}{section}[{index}]" + (f" (id={rid})" if rid is not None else "")


def pydantic_problems(where: str, err: ValidationError) -> list[str]:
    """One line per problem of a pydantic ``err``, each prefixed by ``where`` (a row, the
    header): the wording of ``ictal manifest check``."""
    out = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "(row)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden" and str(e["loc"][-1]).lower() in IDENTIFYING_FIELDS:
            msg = "identifying data is never stored in a manifest; use the pseudonymous id only"
        elif e["type"] == "missing":
            msg = "required field is missing"
        out.append(f"{where}: field '{field}': {msg}")
    return out


def parse_manifest(data: Any, *, source: str = "<manifest>", text: str = "",
                   root: Path | None = None, check_files: bool = True,
                   allow_outside_root: bool = False, probe: bool = False) -> Manifest:
    """Build a :class:`Manifest` from parsed YAML; :class:`ManifestError` lists all problems.

    Stream paths must stay inside ``root`` unless ``allow_outside_root``; with
    ``check_files``, omitted ``fps`` / size / ``n_frames`` come from the files' headers, and
    ``probe`` compares every declared value with its file (:mod:`ictal.manifest.files`).
    """
    if not isinstance(data, dict):
        raise ManifestError(source, ["the file must be a YAML mapping with sections "
                                     "'labels', 'patients', 'recordings', 'events', 'mois'"])
    lines = _item_lines(text) if text else {}
    problems: list[str] = []
    head = {k: v for k, v in data.items() if k not in SECTIONS}
    declared = head.pop("root", None)
    root, found = _declared_root(declared, root)
    problems += found
    files = StreamFiles(root, check_files=check_files, allow_outside_root=allow_outside_root)
    try:
        manifest = Manifest.model_validate(head)
    except ValidationError as err:
        problems += pydantic_problems("header", err)
        manifest = Manifest()
    rows: dict[str, list[Any]] = {}
    for section, model in SECTIONS.items():
        raw = data.get(section) or []
        if not isinstance(raw, list):
            problems.append(f"section '{section}' must be a list of rows")
            raw = []
        parsed = []
        for i, row in enumerate(raw):
            where = _where(section, i, row, lines)
            if model is Recording:
                row, found = files.complete(where, row)
                problems += found
            try:
                parsed.append((where, model.model_validate(row)))
            except ValidationError as err:
                problems += pydantic_problems(where, err)
        rows[section] = parsed
    manifest = manifest.model_copy(update={s: [r for _, r in rows[s]] for s in SECTIONS})
    manifest.root = root
    manifest.root_dir = declared if isinstance(declared, str) else None
    problems += files.check(rows["recordings"], rows["events"], probe_all=probe)
    problems += _cross_check(manifest, rows)
    if problems:
        raise ManifestError(source, problems)
    return manifest


def _declared_root(declared: Any, folder: Path | None) -> tuple[Path | None, list[str]]:
    """The dataset root a manifest's ``root:`` key names (absolute, or relative to the
    manifest's ``folder``), or ``folder`` when it has none; problems of the key."""
    if declared is None:
        return folder, []
    if not isinstance(declared, str) or not declared.strip():
        return folder, [f"header: field 'root': {declared!r} is not a folder path; give the "
                        "folder stream paths are relative to (absolute, or relative to the "
                        "manifest's folder)"]
    path = Path(declared)
    if not path.is_absolute():
        if folder is None:
            return None, [f"header: field 'root': {declared!r} is relative, but this manifest "
                          "has no folder to be relative to; give an absolute path"]
        path = folder / path
    return Path(os.path.normpath(path)), []


def _cross_check(m: Manifest, rows: dict[str, list[Any]]) -> list[str]:
    problems: list[str] = []
    for section, parsed in rows.items():
        counts = Counter(r.id for _, r in parsed)
        for where, r in parsed:
            if counts[r.id] > 1:
                problems.append(f"{where}: duplicate id '{r.id}' in {section}")
    patients = {p.id for p in m.patients}
    recordings = {r.id: r for r in m.recordings}
    events = {e.id: e for e in m.events}
    labels = set(m.labels)

    for where, rec in rows["recordings"]:
        if rec.patient not in patients:
            problems.append(f"{where}: field 'patient': unknown patient '{rec.patient}'")
        kinds = Counter((s.kind, s.view) for s in rec.streams)
        for (kind, view), n in kinds.items():
            if n > 1:
                problems.append(f"{where}: {n} '{kind}' streams for view {view!r}; "
                                "give each a distinct 'view'")
    for where, ev in rows["events"]:
        rec = recordings.get(ev.recording)
        if rec is None:
            problems.append(f"{where}: field 'recording': unknown recording '{ev.recording}'")
        duration = rec.duration if rec is not None else None
        problems += _time_problems(where, event_time_problems(
            ev.t0, ev.t1, ev.tG, duration=duration, recording=ev.recording))
        if labels and ev.label not in labels:
            problems.append(f"{where}: field 'label': unknown label '{ev.label}' "
                            f"(labels: {', '.join(m.labels)})")
    for where, moi in rows["mois"]:
        ev = events.get(moi.event)
        if ev is None:
            problems.append(f"{where}: field 'event': unknown event '{moi.event}'")
        problems += _time_problems(where, moi_time_problems(
            moi.start, moi.end, event_span=(ev.t0, ev.t1) if ev is not None else None,
            event=moi.event))
    return problems


def _time_problems(where: str, found: list[TimeProblem]) -> list[str]:
    return [f"{where}: field '{p.field}': {p.message}" if p.field else f"{where}: {p.message}"
            for p in found]


def load_manifest(path: Path | str, *, check_files: bool = True,
                  allow_outside_root: bool = False, probe: bool = False) -> Manifest:
    """Read and validate a manifest YAML file.

    Raises :class:`ManifestError` listing every problem (file, line, row, field) at once.
    ``check_files=False`` skips the existence check of stream files (e.g. on a machine that
    only holds features) and takes no omitted value from them. Stream paths must stay inside
    the manifest's folder unless ``allow_outside_root``. ``probe`` reads every stream's header
    and reports each declared value the file contradicts (``ictal manifest check``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ManifestError(path, [f"cannot read the file: {err.strerror}"]) from err
    except UnicodeDecodeError as err:
        raise ManifestError(path, [
            f"not a text file: byte 0x{err.object[err.start]:02x} at offset {err.start} is not "
            "UTF-8; a manifest is a YAML text file (is this a video or an archive?)"]) from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ManifestError(path, [f"not valid YAML: {err}"]) from err
    return parse_manifest(data, source=str(path), text=text, root=path.parent.resolve(),
                          check_files=check_files, allow_outside_root=allow_outside_root,
                          probe=probe)


def manifest_to_dict(m: Manifest) -> dict[str, Any]:
    """Plain-data form of a manifest (what :func:`save_manifest` writes); its ``root:`` key,
    when it has one, right after the header's name."""
    data = m.model_dump(mode="json", by_alias=True, exclude_none=True)
    if m.root_dir is None:
        return data
    head = {k: v for k, v in data.items() if k not in SECTIONS and k not in ("labels", "meta")}
    return head | {"root": m.root_dir} | {k: v for k, v in data.items() if k not in head}


def save_manifest(m: Manifest, path: Path | str) -> None:
    """Write ``m`` as YAML, atomically. Stream paths are written as stored (relative)."""
    text = yaml.safe_dump(manifest_to_dict(m), sort_keys=False, allow_unicode=True, width=100)
    write_text_atomic(path, text)


def summarize(m: Manifest) -> dict[str, Any]:
    """Counts and durations for ``ictal manifest check``."""
    per_class = Counter(e.label for e in m.events)
    dur_class: Counter[str] = Counter()
    for e in m.events:
        dur_class[e.label] += e.duration
    rec_durations = [r.duration for r in m.recordings if r.duration is not None]
    return {
        "name": m.name,
        "patients": len(m.patients),
        "recordings": len(m.recordings),
        "events": len(m.events),
        "mois": len(m.mois),
        "events_per_class": dict(sorted(per_class.items())),
        "event_seconds_per_class": {k: round(v, 3) for k, v in sorted(dur_class.items())},
        "event_seconds": round(sum(e.duration for e in m.events), 3),
        "recording_seconds": round(sum(rec_durations), 3) if rec_durations else None,
        "patients_per_class": {
            label: len({m.patient_of_event(e).id for e in m.events if e.label == label})
            for label in sorted(per_class)
        },
    }
