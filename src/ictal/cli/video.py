"""``ictal video``: inspect video files and frame sources."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Video files: inspect metadata.", no_args_is_help=True)
    group.command("info")(info)
    app.add_typer(group, name="video")


def info(
    paths: list[str] = typer.Argument(
        ..., help="Video files, .npy stacks, PNG directories or quoted globs ('ir/*.png')."
    ),
    fps: str | None = typer.Option(
        None, help="Frame rate of .npy stacks / PNG sequences (they store none; default 30)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per line."),
) -> None:
    """Print fps, frame count, duration, size and pixel format without decoding the videos."""
    from ictal.batch import BatchReport
    from ictal.errors import VideoError
    from ictal.io import probe, source_kind

    console = Console()
    report = BatchReport("video info")
    table = Table("codec", "pix_fmt", "size", "fps", "frames", "duration (s)")
    table.add_column("path", overflow="fold")
    for path in paths:
        try:
            rate = fps if fps is not None and source_kind(path) != "video" else None
            meta = probe(path, fps=rate)
        except VideoError as err:
            report.failed(path, err)
            continue
        report.ok(path)
        if as_json:
            typer.echo(json.dumps({
                "path": str(meta.path), "codec": meta.codec, "pix_fmt": meta.pix_fmt,
                "width": meta.width, "height": meta.height, "channels": meta.channels,
                "dtype": meta.dtype.name, "fps": str(meta.fps), "n_frames": meta.n_frames,
                "duration": float(meta.duration),
            }))
        table.add_row(
            meta.codec, meta.pix_fmt, f"{meta.width}x{meta.height}",
            f"{meta.fps} (~{float(meta.fps):.3f})" if meta.fps.denominator != 1 else str(meta.fps),
            str(meta.n_frames), f"{float(meta.duration):.3f}", str(meta.path),
        )
    if not as_json and report.succeeded:
        console.print(table)
    if report.failures:
        console.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(report.exit_code)
