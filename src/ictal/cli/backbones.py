"""``ictal backbones``: list the registered backbones and whether their checkpoints are here."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command("backbones")(backbones)


def backbones(
    weights_dir: Path | None = typer.Option(
        None, "--weights-dir",
        help="Where checkpoints live (default: $ICTAL_WEIGHTS_DIR or ~/.cache/ictal/weights)."),
    weights: Path | None = typer.Option(
        None, "--weights", help="Check this checkpoint file for the backbone given by --name."),
    name: str | None = typer.Option(None, "--name", help="Show only this backbone."),
    verify: bool = typer.Option(
        False, "--verify",
        help="Also hash found checkpoints and load them strictly (slow: reads every file)."),
    as_json: bool = typer.Option(False, "--json", help="Print the listing as JSON."),
) -> None:
    """List backbones: input, features, checkpoint file and whether it was found.

    With --verify, exit code 1 when a checkpoint found is bad (each is named with its problem).
    """
    from ictal.backbones.registry import checkpoint_path, default_registry
    from ictal.backbones.registry import weights_dir as default_weights_dir
    from ictal.errors import CheckpointError, ConfigError

    registry = default_registry()
    directory = weights_dir.expanduser() if weights_dir else default_weights_dir()
    if weights is not None and name is None:
        raise ConfigError("--weights needs --name (which backbone the file is for)")
    specs = [registry.get(name)] if name else list(registry)
    rows = []
    for spec in specs:
        path = (weights.expanduser() if weights is not None else
                checkpoint_path(spec, directory))
        status = "weight-free" if path is None else ("found" if path.is_file() else "missing")
        problem = None
        if verify and status == "found":
            from ictal.backbones.extractor import load_backbone

            try:
                load_backbone(spec.name, weights=path, weights_dir=directory, optimize=False)
                status = "verified"
            except CheckpointError as err:
                status, problem = "bad", str(err)
        s = spec.input
        norm = (f"[{s.value_range[0]:g}, {s.value_range[1]:g}]" if s.value_range
                else "mean/std")
        rows.append({
            "name": spec.name, "input": f"{s.frames}x{s.size}x{s.size}", "normalisation": norm,
            "output": f"{spec.timesteps}x{spec.features}", "status": status,
            "checkpoint": str(path) if path else None,
            "source": spec.checkpoint.url if spec.checkpoint else None,
            "description": spec.description, "problem": problem,
        })
    bad = [r["name"] for r in rows if r["status"] == "bad"]
    if as_json:
        typer.echo(json.dumps({"weights_dir": str(directory), "backbones": rows}, indent=2))
        raise typer.Exit(1 if bad else 0)
    console = Console()
    table = Table(title=f"backbones (weights dir: {directory})")
    table.add_column("backbone", no_wrap=True)
    table.add_column("input TxHxW", no_wrap=True)
    table.add_column("values", no_wrap=True)
    table.add_column("output", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("checkpoint file", overflow="fold")
    colours = {"found": "green", "verified": "green", "missing": "red", "bad": "red",
               "weight-free": "cyan"}
    for row in rows:
        table.add_row(row["name"], row["input"], row["normalisation"], row["output"],
                      f"[{colours[row['status']]}]{row['status']}[/]",
                      Path(row["checkpoint"]).name if row["checkpoint"] else "-")
    console.print(table)
    for row in rows:
        if row["problem"]:
            console.print(f"  {row['name']}: {row['problem']}", highlight=False, markup=False,
                          soft_wrap=True)
    missing = [r for r in rows if r["status"] == "missing"]
    for row in missing:
        console.print(f"  {row['name']}: get {Path(row['checkpoint']).name} from "
                      f"{row['source']}", highlight=False, soft_wrap=True)
    if missing:
        console.print(f"  put the files in {directory} (or set $ICTAL_WEIGHTS_DIR)",
                      highlight=False, soft_wrap=True)
    if bad:
        console.print(f"backbones --verify: {len(bad)} bad checkpoint(s): {', '.join(bad)}",
                      highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1)
