"""``ictal extract``: features of a manifest's recordings into a feature store."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ictal.cli.executor import executor_config_option, executor_option, ray_address_option
from ictal.cli.options import allow_outside_root, out_folder
from ictal.cli.options import device as device_option


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)


def extract(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Dataset manifest."),
    out: Path = out_folder(..., "--out", "-o", help="Feature store directory to fill."),
    backbone: str = typer.Option("motion", "--backbone", "-b",
                                 help="Registered backbone (`ictal backbones` lists them)."),
    weights: Path | None = typer.Option(None, "--weights", help="Checkpoint file."),
    config: Path | None = typer.Option(None, "--config", "-c",
                                       help="Preprocessing config YAML."),
    variant: str | None = typer.Option(None, "--variant",
                                       help="Dataset variant: A, B, B0.5 (seed 000), B+top, "
                                       "2d (clinic video without depth) or gestures (seed "
                                       "002); applies its settings, as `ictal preprocess` "
                                       "does."),
    plans: Path | None = typer.Option(None, "--plans",
                                      help="Output folder of `ictal preprocess` (crop plans)."),
    windows: str = typer.Option("events", "--windows",
                                help="'events' (labelled samples) or 'sliding' (inference)."),
    stride: int | None = typer.Option(None, "--stride", min=1,
                                      help="Sliding-window stride, frames."),
    batch_size: int = typer.Option(8, "--batch-size", min=1),
    device: str = device_option(),
    recording: list[str] | None = typer.Option(None, "--recording", "-r",
                                               help="Only these recording ids (repeatable)."),
    in_channels: int | None = typer.Option(
        None, "--in-channels", help="1 adapts the first convolution to infrared."),
    precision: str = typer.Option(
        "fp32", "--precision",
        help="Backbone arithmetic: fp32 (default, the reference ports' numbers) or bf16 "
             "(i3d on a CPU with bfloat16 kernels: faster, features within the measured "
             "tolerance of fp32; recorded in the store, which holds one precision)."),
    overwrite: bool = typer.Option(
        False, "--overwrite",
        help="Replace the store's shards made with another backbone, weights or "
             "preprocessing (deleted); without it such a store is refused."),
    outside_root: bool = allow_outside_root(),
    executor: str | None = executor_option(),
    ray_address: str | None = ray_address_option(),
    executor_config: Path | None = executor_config_option(),
) -> None:
    """Extract backbone features of every recording into an HDF5 feature store.

    Resumable: recordings whose shard already exists with the same backbone, weights and
    preprocessing are skipped. A store holds one such setting: a store with shards of another
    one is refused before anything is written (exit code 2), unless --overwrite. A failing
    recording is reported and skipped; the run ends with a summary and exit code 1 when any
    failed.

    With --executor ray, recordings are decoded and cropped by CPU tasks across the cluster
    and the backbone runs in a pool of actors (on GPUs when the cluster has them); the store
    is the same as a local run's.
    """
    from functools import partial

    from ictal.backbones import load_backbone
    from ictal.cli.executor import open_cli_executor
    from ictal.errors import ConfigError
    from ictal.features.extract import ExtractOptions, extract_manifest
    from ictal.manifest import load_manifest
    from ictal.preprocess.config import resolve_config

    if windows not in ("events", "sliding"):
        raise ConfigError(f"--windows must be 'events' or 'sliding', not {windows!r}")
    manifest = load_manifest(manifest_path, allow_outside_root=outside_root)
    cfg = resolve_config(config, variant)
    with open_cli_executor(executor, ray_address, executor_config) as ex:
        local = ex.config.is_local
        # on a cluster this copy only describes the backbone; the actors load their own
        extractor = load_backbone(backbone, weights=weights, device=device if local else "cpu",
                                  in_channels=in_channels, precision=precision)
        loader = partial(load_backbone, backbone, weights=weights, in_channels=in_channels,
                         device="cuda" if ex.actor_gpus() > 0 else "cpu", precision=precision)
        report = extract_manifest(
            manifest, out, extractor, cfg,
            options=ExtractOptions(batch_size=batch_size, windows=windows, stride=stride),
            plans_dir=plans, recordings=recording or None, overwrite=overwrite,
            executor=ex, loader=loader,
        )
    Console().print(report.summary(), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(report.exit_code)
