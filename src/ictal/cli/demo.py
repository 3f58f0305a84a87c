"""``ictal demo``: the README's main command."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from ictal.cli.options import out_folder


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Path = out_folder(Path("ictal-demo"), "--out", "-o", help="Working folder."),
    backbone: str = typer.Option("auto", "--backbone", "-b",
                                 help="'auto' (I3D if its checkpoint is found, else motion)."),
    weights: Path | None = typer.Option(None, "--weights", help="Backbone checkpoint."),
    model: str = typer.Option("fast", "--model", help="Model preset or YAML file."),
    variant: str = typer.Option(
        "B+top", "--variant",
        help="Dataset variant: A, B, B0.5 (seed 000) or B+top (B plus the bed seen from above) "
             "on the Kinect phantom; 2d: ordinary clinic video (RGB by day, infrared by night, "
             "montages; no depth) of the same patients, cropped with the pose model."),
    folds: int = typer.Option(5, "--folds", "-k", min=2),
    seed: int = typer.Option(0, "--seed"),
    workers: int = typer.Option(2, "--workers", min=1, help="Processes rendering the phantom."),
    patients: int | None = typer.Option(None, "--patients", help="Phantom patients (24)."),
) -> None:
    """Run the whole pipeline on the phantom and write an HTML report.

    phantom -> preprocessing + visual QC -> features -> LSTM -> patient-grouped 5-fold CV
    (3 classes: FLE / TLE / non-epileptic) next to a leaky split -> report. Stages already done
    in OUT are reused.
    """
    from ictal.demo import CLINIC_VARIANTS, DemoConfig, run_demo

    console = Console()
    start = time.perf_counter()
    overrides = {"n_patients": patients} if patients is not None else {}
    result = run_demo(DemoConfig(out=out, backbone=backbone, weights=weights, model=model,
                                 variant=variant, k=folds, seed=seed, workers=workers,
                                 phantom=overrides))
    g, lk = result.grouped_f1, result.leaky_f1
    camera = "clinic camera" if variant in CLINIC_VARIANTS else "Kinect"
    console.print(f"\n[bold]ictal demo[/] — {camera}, backbone {result.backbone}, "
                  f"variant {variant}, "
                  f"{folds}-fold CV, 3 classes (FLE / TLE / NE)")
    console.print(f"  patient-grouped macro F1 (honest selection): {g[0]:.3f} ± {g[1]:.3f}")
    console.print(f"  leaky sample-level macro F1 (for contrast):  {lk[0]:.3f} ± {lk[1]:.3f}")
    o = result.oracle_f1
    ratio = g[0] / o[0] if o[0] > 0 else float("nan")
    console.print(f"  ground-truth oracle macro F1 (true 3D joints, same protocol): "
                  f"{o[0]:.3f} ± {o[1]:.3f}; video / oracle = {ratio:.2f}")
    qc = ", ".join(f"{k} {v:.2f} %" for k, v in result.qc_rates.items() if v is not None)
    if qc:
        console.print(f"  crop QC success vs ground truth: {qc}")
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    console.print(f"  time: {time.perf_counter() - start:.0f} s ({stages})")
    console.print(f"  dataset: {result.manifest}")
    console.print(f"  [bold green]report: {result.report.resolve()}[/]")
    for failed in result.failures:
        console.print(failed.summary(), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1 if result.failures else 0)
