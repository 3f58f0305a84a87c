"""``ictal manifest``: check a dataset manifest and summarise it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ictal.cli.options import allow_outside_root
from ictal.errors import ManifestError


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Dataset manifests: validate and summarise.", no_args_is_help=True)
    group.command("check")(check)
    app.add_typer(group, name="manifest")


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
