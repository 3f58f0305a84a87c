"""``ictal explain``: where and when in the video a bundle's decision comes from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from ictal.cli.options import allow_outside_root, out_folder
from ictal.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


def _block(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        frames, pixels = (int(v) for v in value.lower().split("x"))
    except ValueError:
        frames = pixels = 0
    if frames < 1 or pixels < 1:
        raise typer.BadParameter(f"--block {value!r}: expected FRAMESxPIXELS, e.g. 15x16")
    return frames, pixels


def _ground_truth(option: str | None, manifest: Any, recording: str, out: Path) -> Any:
    """The phantom ground truth of ``recording``: a file, or ``auto`` (where ``ictal
    preprocess`` looks: the recording's ``meta.groundtruth``, ``groundtruth/<id>.npz`` beside
    the manifest; none when absent)."""
    if option is None:
        return None
    from ictal.manifest.groundtruth import find_ground_truth, load_ground_truth

    if option != "auto":
        return load_ground_truth(option)
    path = find_ground_truth(manifest, manifest.recording(recording), out)
    return load_ground_truth(path) if path is not None else None


def explain(
    source: Path = typer.Argument(..., help="Video, manifest (.yaml) or feature file / store."),
    model: Path = typer.Option(..., "--model", help="Bundle directory (ictal train --final)."),
    out: Path = out_folder(Path("explanation"), "--out", "-o",
                           help="Output folder (one sub-folder per recording when several)."),
    windows: str = typer.Option(
        "top:3", help="Windows to explain: all, top:K (those that raised the decision most) "
                      "or indices and ranges in time order, e.g. 0,3,5-7."),
    method: str | None = typer.Option(
        None, help="occlusion, gradcam or ig (default: occlusion for the motion backbone, "
                   "gradcam for networks)."),
    target: str | None = typer.Option(None, help="Class to explain (default: the decision)."),
    layer: str | None = typer.Option(None, help="Grad-CAM layer (default: I3D Mixed_5c)."),
    steps: int = typer.Option(16, min=2, help="Integrated-gradient points (--method ig)."),
    block: str | None = typer.Option(
        None, help="Occlusion block FRAMESxPIXELS (default: a quarter of the window's frames "
                   "x a seventh of its side, e.g. 15x16)."),
    recording: list[str] = typer.Option([], help="Only these recordings (repeatable)."),
    stride: int | None = typer.Option(None, min=1, help="Frames between sliding windows."),
    weights: Path | None = typer.Option(None, help="Backbone checkpoint file."),
    kind: str | None = typer.Option(
        None, help="Stream kind of a bare video file: ir or rgb (default: from its header)."),
    depth: Path | None = typer.Option(None, help="Depth video of a bare video's recording."),
    stream: str | None = typer.Option(
        None, "--source", help="Read this stream kind (ir, rgb or auto) instead of the "
                               "bundle's."),
    config: Path | None = typer.Option(None, "--config", "-c",
                                       help="Preprocessing config YAML (as ictal predict)."),
    ground_truth: str | None = typer.Option(
        None, "--ground-truth",
        help="Phantom ground truth (.npz) to score the maps against (pointing game, mass on "
             "the patient), or 'auto': the manifest's groundtruth/<recording>.npz."),
    sanity: bool = typer.Option(False, "--sanity",
                                help="Run the model-randomisation check on the first window."),
    video: bool = typer.Option(True, "--video/--no-video", help="Write the overlay video."),
    outside_root: bool = allow_outside_root(),
) -> None:
    """Explain a bundle's prediction: saliency over space and time for the chosen windows
    (overlay video, PNG strips, a JSON table, an HTML page beside the probability timeline)
    and which windows drove the recording's decision.

    A feature store holds no pixels: from one, only the windows' and timesteps' attribution
    is written.
    """
    from ictal.batch import BatchReport
    from ictal.cli.bundle_input import bundle_input, is_feature_source
    from ictal.errors import IctalError
    from ictal.explain.attribute import METHODS
    from ictal.explain.run import ExplainOptions, explain_recording, explain_store
    from ictal.explain.windows import parse_windows
    from ictal.models.bundle import load_bundle
    from ictal.models.compat import check_recording

    if method is not None and method not in METHODS:
        raise typer.BadParameter(f"--method {method!r}: use one of {', '.join(METHODS)}")
    parse_windows(windows, 1 << 30)  # the form now; the indices against each recording
    options = ExplainOptions(windows=windows, method=method, target=target,  # type: ignore[arg-type]
                             layer=layer, steps=steps, block=_block(block), stride=stride,
                             sanity=sanity, video=video)
    bundle = load_bundle(model)
    if target is not None and target not in bundle.labels:
        raise ConfigError(f"--target {target!r} is not a class of {model}",
                          hint=f"use one of {', '.join(bundle.labels)}")
    name = f"the bundle {model}"
    console = Console()
    batch = BatchReport("explain")
    if ground_truth is not None and is_feature_source(source):
        raise ConfigError("--ground-truth applies to videos, not to a feature store",
                          hint="explain the video for saliency maps")
    src = bundle_input(source, bundle, name, recording=recording, stream=stream,
                       config=config, kind=kind, depth=depth, outside_root=outside_root)
    is_features, manifest, wanted = src.is_features, src.manifest, src.wanted
    if not is_features:
        from ictal.models.predict import load_bundle_backbone

        for rec in wanted:  # a recording the bundle cannot read is a usage error (exit 2)
            check_recording(bundle.meta, src.settings, manifest.recording(rec), name=name,
                            overridden=stream is not None)
        # fp32 even for a bundle trained on bf16 features: explanations run the network
        # itself (gradients, occluded clips), which the fused bf16 path cannot
        extractor = load_bundle_backbone(bundle, weights=weights, precision="fp32")
    for rec in wanted:
        folder = out if len(wanted) == 1 else out / rec
        try:
            if is_features:
                doc = explain_store(bundle, src.table, rec, folder, options=options)
            else:
                doc = explain_recording(
                    bundle, manifest, rec, extractor, folder, options=options,
                    config=src.settings, overrides=src.overrides,
                    ground_truth=_ground_truth(ground_truth, manifest, rec, folder),
                    progress=True)
        except ConfigError:
            raise  # a window outside the recording, a bad target: the user's to fix
        except (IctalError, KeyError) as err:
            batch.failed(rec, err)
            continue
        batch.ok(rec)
        explained = [w for w in doc["windows"] if w.get("explained")]
        console.print(f"{rec}: decision {doc['decision']['label']} "
                      f"({max(doc['decision']['probs']):.2f}), {len(explained)} of "
                      f"{len(doc['windows'])} windows explained -> {folder / 'explanation.html'}")
    console.print(batch.summary(), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(batch.exit_code)
