"""``ictal manifest``: write a manifest from a folder of videos, check one and summarise it, give
a recording its crop by hand."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ictal.cli.options import allow_outside_root, out_file
from ictal.errors import ConfigError, ManifestError


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Dataset manifests: write one from a folder of videos, validate "
                             "and summarise.", no_args_is_help=True)
    group.command("init")(init)
    group.command("check")(check)
    group.command("events")(events)
    group.command("crop")(crop)
    app.add_typer(group, name="manifest")


def init(
    folder: Path = typer.Argument(..., help="Folder holding the videos (searched recursively)."),
    out: Path = out_file(Path("manifest.yaml"), "--out", "-o",
                         help="Manifest file to write; stream paths are relative to its folder."),
    patient_from: str | None = typer.Option(
        None, "--patient-from", metavar="REGEX",
        help="Regular expression searched in each file name; its group 'patient' (or its "
             "first group, or the whole match) is the patient id. Default: the name of the "
             "file's parent folder."),
    kind: str = typer.Option(
        "auto", help="Stream kind of the videos: rgb, ir, or auto (grey frames ir, colour "
                     "frames rgb)."),
    name: str | None = typer.Option(None, help="Dataset name (default: the folder's name)."),
    events: Path | None = typer.Option(
        None, "--events", metavar="LOG.csv", exists=True, dir_okay=False,
        help="Seizure log: a CSV table with columns file (or recording), label, onset, "
             "offset [, generalisation, seizure_types, semiology, id]; times in seconds from "
             "the video's start or [hh:]mm:ss. Its rows become the manifest's events."),
    force: bool = typer.Option(False, "--force", help="Replace an existing manifest file."),
) -> None:
    """Write a manifest of every MP4 / MPG / AVI / MKV / ASF / WMV (and M4V, MOV, MPEG) file
    under FOLDER, one recording per file, probing each header for fps, size and frames.

    Recording ids are the files' paths under FOLDER without suffix (folders joined with
    '-'). Without --events the manifest has no labels and no events: it serves `ictal
    preprocess`, `ictal extract --windows sliding` and `ictal predict` as it is; with a seizure
    log it trains models too (a log with any problem is refused whole, every problem listed,
    exit 2).
    Files that cannot be read are listed; the run then ends with exit code 1 (the manifest
    holds the others).
    """
    from ictal.batch import BatchReport
    from ictal.manifest import save_manifest
    from ictal.manifest.folder import manifest_from_folder

    if kind not in ("rgb", "ir", "auto"):
        raise ConfigError(f"--kind {kind}: not a stream kind of a video folder",
                          hint="use --kind rgb, --kind ir or --kind auto")
    if out.exists() and not force:
        raise ConfigError(f"{out} exists already", hint="pass --force to replace it, or give "
                                                        "another --out")
    console = Console()
    scan = manifest_from_folder(folder, out.parent, patient_from=patient_from,
                                kind=kind, name=name, events=events)  # type: ignore[arg-type]
    batch = BatchReport("manifest init")
    failed = dict(scan.failed)
    for path in scan.files:
        if path in failed:
            batch.failed(str(path), failed[path])
        else:
            batch.ok(str(path))
    if scan.manifest is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        save_manifest(scan.manifest, out)
        m = scan.manifest
        kinds = sorted({s.kind for r in m.recordings for s in r.streams})
        labelled = (f"{len(m.events)} event(s) of {', '.join(m.labels)}" if m.events
                    else "no events yet")
        console.print(f"{out}: {len(m.recordings)} recording(s) of {len(m.patients)} "
                      f"patient(s), stream kind {', '.join(kinds)}; {labelled}",
                      markup=False, highlight=False, soft_wrap=True)
        if any(s.path.startswith("../") for r in m.recordings for s in r.streams):
            console.print("the videos lie outside the manifest's folder: pass "
                          "--allow-outside-root to the commands that read it, or write the "
                          "manifest inside the videos' folder", markup=False, highlight=False,
                          soft_wrap=True)
    else:
        console.print("no file could be read: no manifest written", markup=False,
                      highlight=False)
    console.print(batch.summary(), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(batch.exit_code)


def check(
    path: Path = typer.Argument(..., help="manifest.yaml to check."),
    files: bool = typer.Option(
        True, "--files/--no-files",
        help="Probe each stream file's header (no decoding) and compare it with the manifest's "
             "fps, size and n_frames; --no-files checks the manifest alone."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    outside_root: bool = allow_outside_root(),
) -> None:
    """Validate a manifest: print every problem, or a summary when there is none.

    Exit code 0 when the manifest is valid, 2 when it has problems (all listed at once).
    """
    from ictal.manifest import load_manifest, summarize

    console = Console()
    try:
        manifest = load_manifest(path, check_files=files, probe=files,
                                 allow_outside_root=outside_root)
    except ManifestError as err:
        console.print(f"[bold red]{err.path}: {len(err.problems)} problem(s)[/]")
        for p in err.problems:
            console.print(f"  - {p}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"  hint: {err.hint}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from err
    summary = summarize(manifest)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console.print(f"[bold green]{path}: OK[/] {summary['name']}")
    table = Table("class", "events", "patients", "event seconds")
    for label, n in summary["events_per_class"].items():
        table.add_row(label, str(n), str(summary["patients_per_class"][label]),
                      f"{summary['event_seconds_per_class'][label]:.1f}")
    console.print(table)
    rec_s = summary["recording_seconds"]
    console.print(
        f"{summary['patients']} patients, {summary['recordings']} recordings, "
        f"{summary['events']} events ({summary['event_seconds']:.1f} s), {summary['mois']} MOIs"
        + (f", {rec_s:.1f} s of recordings" if rec_s is not None else "")
    )


def events(
    path: Path = typer.Argument(..., help="manifest.yaml whose events to write."),
    out: Path = out_file(Path("seizure-log.csv"), "--out", "-o",
                         help="CSV file to write (the seizure-log format of `manifest init "
                              "--events`)."),
    outside_root: bool = allow_outside_root(),
) -> None:
    """Write a manifest's events as a seizure log (CSV): one row per event with its
    recording, the recording's first video file, label, onset, offset, generalisation,
    seizure types, semiology and id. `ictal manifest init FOLDER --events` reads it back, so
    the events can be edited in a spreadsheet."""
    from ictal.fsutil import write_text_atomic
    from ictal.manifest import load_manifest
    from ictal.manifest.seizurelog import seizure_log_text

    manifest = load_manifest(path, check_files=False, allow_outside_root=outside_root)
    files = {r.id: r.streams[0].path for r in manifest.recordings}
    rows = [e.model_dump(exclude={"meta"}) for e in manifest.events]
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, seizure_log_text(rows, files))
    Console().print(f"{out}: {len(rows)} event(s) of {len(manifest.recordings)} recording(s)",
                    markup=False, highlight=False, soft_wrap=True)


def crop(
    path: Path = typer.Argument(..., help="manifest.yaml to change."),
    recording: str = typer.Argument(..., help="Recording id (as summary.csv lists it)."),
    box: str | None = typer.Option(
        None, "--box", metavar="X0,Y0,X1,Y1",
        help="The crop in pixels of the recording's frame (of a montage: of the view), x1 / "
             "y1 exclusive — read it off the --picture of the frame."),
    view: str | None = typer.Option(None, "--view", help="Montage view the box is for."),
    clear: bool = typer.Option(False, "--clear",
                               help="Remove the crop given (the view's with --view): the "
                                    "detector chooses again."),
    picture: Path | None = typer.Option(
        None, "--picture", metavar="OUT.png",
        help="Write the recording's first frame (of the view) at full size with a pixel "
             "ruler and the crop given, to read a box off; alone, or after --box / --clear."),
    outside_root: bool = allow_outside_root(),
) -> None:
    """Give RECORDING a detection crop by hand, for when its QC contact sheet shows the
    detector's crop wrong (seed 000 cropped its few missed seizures by hand), or --clear it.

    The manifest is checked whole with the new crop (the box against the frame size in the
    stream headers) and rewritten atomically; YAML comments are not kept. Then run `ictal
    preprocess` again with the same --out: it plans that recording again (and `ictal
    extract` extracts it again); summary.csv names its detection `manifest`.
    """
    from ictal.manifest import load_manifest
    from ictal.manifest.crop import parse_box, set_crop
    from ictal.preprocess.qc import first_frame_with_ruler

    def write_picture(target: Path) -> Path:
        manifest = load_manifest(path, allow_outside_root=outside_root)
        return first_frame_with_ruler(manifest, recording, target, view=view)

    console = Console()
    if clear and box is not None:
        raise ConfigError("give either --box X0,Y0,X1,Y1 or --clear, not both")
    if not clear and box is None:
        if picture is None:
            raise ConfigError("give --box X0,Y0,X1,Y1, --clear or --picture OUT.png",
                              hint="e.g. ictal manifest crop manifest.yaml P003-S1 --picture "
                                   "p003.png, then --box 120,80,560,440")
        written = write_picture(picture)
        console.print(f"{written}: the first frame of {recording} with a pixel ruler",
                      markup=False, highlight=False, soft_wrap=True)
        return
    # a manifest with problems is refused whole (exit 2, every problem listed by the entry point)
    rec = set_crop(path, recording, None if clear else parse_box(box or ""), view=view,
                   allow_outside_root=outside_root)
    given = rec.given_crops
    what = ("no crop given: the detector chooses" if not given else "; ".join(
        f"{'' if v is None else v + ': '}[{', '.join(str(c) for c in b)}]"
        for v, b in given.items()))
    console.print(f"{path}: recording {rec.id}: {what}", markup=False, highlight=False,
                  soft_wrap=True)
    if picture is not None:
        write_picture(picture)
        console.print(f"{picture}: the first frame with the crop given", markup=False,
                      highlight=False, soft_wrap=True)
