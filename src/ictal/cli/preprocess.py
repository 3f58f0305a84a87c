"""``ictal preprocess``: crop geometry, QC contact sheets and a summary for every recording."""

from __future__ import annotations

from pathlib import Path

import typer

from ictal.cli.executor import executor_config_option, executor_option, ray_address_option
from ictal.cli.options import allow_outside_root, out_folder


def register(app: typer.Typer) -> None:
    app.command("preprocess")(preprocess)


def preprocess(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="manifest.yaml"),
    out: Path = out_folder(..., "--out", "-o", help="Output directory."),
    config_path: Path | None = typer.Option(None, "--config", "-c",
                                            help="Preprocessing config (YAML)."),
    variant: str | None = typer.Option(
        None, "--variant",
        help="Dataset variant: A, B, B0.5 (seed 000), B+top (Kinect IR + depth), 2d "
             "(ordinary clinic video without depth: rgb or night ir stream, pose detector, low "
             "light lifted) or gestures (seed 002: the whole picture, a montage split into its "
             "views, 15 fps, Eq. 1 labels); applies its settings (a config file naming "
             "another variant, or contradicting its settings, is refused)."),
    ground_truth: Path | None = typer.Option(
        None, "--ground-truth", help="Folder of phantom ground-truth .npz files (default: "
        "found beside the manifest or OUT)."),
    recording: list[str] | None = typer.Option(
        None, "--recording", "-r", help="Only these recordings (repeatable)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo finished recordings."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress."),
    outside_root: bool = allow_outside_root(),
    executor: str | None = executor_option(),
    ray_address: str | None = ray_address_option(),
    executor_config: Path | None = executor_config_option(),
) -> None:
    """Plan every recording (depth planes, detection box, IR window) and write its plan JSON,
    QC contact sheet and a summary; success rates are scored against phantom ground truth.

    With --executor ray, each recording is planned and scored by a CPU task on the cluster
    (which must read the videos) and this process writes its outputs: the same files as a
    local run."""
    from rich.console import Console
    from rich.table import Table

    from ictal.cli.executor import open_cli_executor
    from ictal.manifest import load_manifest
    from ictal.preprocess.config import resolve_config
    from ictal.preprocess.dataset import preprocess_dataset
    from ictal.preprocess.qc import VERDICTS
    from ictal.progress import make_progress

    console = Console()
    config = resolve_config(config_path, variant)
    manifest = load_manifest(manifest_path, allow_outside_root=outside_root)
    n = len(recording) if recording else len(manifest.recordings)
    with open_cli_executor(executor, ray_address, executor_config) as ex, \
            make_progress(disable=not progress) as bar:
        task = bar.add_task("preprocessing" if ex.config.is_local
                            else f"preprocessing ({ex.kind})", total=n)
        result = preprocess_dataset(
            manifest, out, config, recordings=recording, ground_truth=ground_truth,
            overwrite=overwrite, on_progress=lambda _: bar.advance(task), executor=ex,
        )
    table = Table(title=f"variant {config.variant}")
    table.add_column("recording", no_wrap=True)
    for name in ("status", "frames", "depth crop", "crop box", "detection", "contains",
                 "tight", "depth QC"):
        table.add_column(name)
    for row in result.rows:
        table.add_row(*(str(row.get(k, "")) for k in (
            "recording", "status", "n_frames", "depth_crop", "crop_box", "detection",
            "crop_contains", "crop_tight", "depth_qc")))
    console.print(table)
    for name, (ok, judged, rate) in result.rates.items():
        if rate is not None:
            console.print(f"{VERDICTS[name]}: {ok}/{judged} ({rate:.2f} %)")
    console.print(f"summary: {out / 'summary.csv'}")
    if config.detection.enabled:
        console.print(f"check the crops on {out}/<recording>/qc.png; a wrong one can be given by "
                      f"hand: ictal manifest crop {manifest_path} RECORDING --picture OUT.png, "
                      "then --box x0,y0,x1,y1 and this command again (it redoes that recording)",
                      markup=False, highlight=False, soft_wrap=True)
    console.print(result.report.summary(), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(result.report.exit_code)
