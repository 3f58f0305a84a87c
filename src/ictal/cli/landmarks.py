"""``ictal landmarks``: install and list the packaged person, pose and face models."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Packaged person / pose / face models (MediaPipe's TFLite files): install, list.",
        no_args_is_help=True)
    group.command("install")(install)
    group.command("list")(list_models)
    app.add_typer(group, name="landmarks")


def _dir_option() -> Path | None:
    return typer.Option(
        None, "--dir",
        help="Models directory (default: $ICTAL_MODELS_DIR or ~/.cache/ictal/models); the files "
             "go into its mediapipe-0.10.21/ folder.")


def install(
    directory: Path | None = _dir_option(),
    wheel: Path | None = typer.Option(
        None, "--wheel",
        help="Take the files from this copy of mediapipe-0.10.21-cp311-cp311-manylinux_2_28_"
             "x86_64.whl instead of fetching it with pip (offline machines)."),
) -> None:
    """Install the five model files and their licence (idempotent: files already present with
    the right SHA-256 are kept and nothing is fetched)."""
    from ictal.landmarks.files import MEDIAPIPE_0_10_21, install_models, source_dir

    report = install_models(directory, wheel=wheel)
    console = Console(highlight=False)
    installed = sum(r.action == "installed" for r in report)
    folder = source_dir(directory)
    for row in report:
        console.print(f"  {row.action:9s} {row.spec.filename}", markup=False)
    src = MEDIAPIPE_0_10_21
    console.print(f"{installed} installed, {len(report) - installed} already present -> "
                  f"{folder} (from {src.filename}, {src.licence})", markup=False, soft_wrap=True)


def list_models(
    directory: Path | None = _dir_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the listing as JSON."),
) -> None:
    """List the model files: what each is, its input, SHA-256, and whether it is installed."""
    from ictal.landmarks.files import MEDIAPIPE_0_10_21, install_command, iter_status, source_dir

    src = MEDIAPIPE_0_10_21
    folder = source_dir(directory)
    rows = [{"name": spec.name, "file": spec.filename, "member": spec.member,
             "input": f"{spec.input_size}x{spec.input_size}" if spec.input_size else None,
             "sha256": spec.sha256, "size": spec.size, "status": status,
             "description": spec.description}
            for spec, _path, status in iter_status(directory)]
    if as_json:
        typer.echo(json.dumps({
            "directory": str(folder), "wheel": src.filename, "wheel_sha256": src.sha256,
            "version": src.version, "licence": src.licence, "url": src.url, "files": rows,
        }, indent=2))
        return
    console = Console(highlight=False)
    console.print(f"models directory: {folder}", markup=False, soft_wrap=True)
    console.print(f"source: {src.filename} (sha256 {src.sha256}), {src.licence}, {src.url}",
                  markup=False, soft_wrap=True)
    for row in rows:
        size = f" ({row['input']} input)" if row["input"] else ""
        colour = "green" if row["status"] == "ok" else "red"
        console.print(f"  [{colour}]{row['status']:8s}[/] {row['file']}{size}", soft_wrap=True)
        console.print(f"           sha256 {row['sha256']}", markup=False, soft_wrap=True)
        console.print(f"           {row['description']}", markup=False, soft_wrap=True)
    if any(row["status"] != "ok" for row in rows):
        console.print(f"install them with `{install_command(directory)}`", markup=False,
                      soft_wrap=True)
