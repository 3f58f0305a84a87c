"""``ictal keypoints`` (body and face keypoints into a store) and ``ictal semiology``
(quantitative semiology per limb from a store)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ictal.cli.executor import executor_config_option, executor_option, ray_address_option
from ictal.cli.options import allow_outside_root, out_folder

SOURCES = ("model", "kinect", "file", "phantom")


def register(app: typer.Typer) -> None:
    app.command("keypoints")(keypoints)
    app.command("semiology")(semiology)


def _intrinsics(text: str | None):  # -> Intrinsics | None
    from ictal.preprocess.depth_geometry import Intrinsics

    if text is None:
        return None
    try:
        fx, fy, cx, cy, width = (float(v) for v in text.split(","))
    except ValueError as err:
        raise typer.BadParameter("--intrinsics takes fx,fy,cx,cy,width (pixels), e.g. "
                                 "365,365,256,212,512") from err
    return Intrinsics(fx, fy, cx, cy, int(width))


def keypoints(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Dataset manifest."),
    out: Path = out_folder(..., "--out", "-o", help="Keypoint store directory to fill."),
    source: str = typer.Option("model", "--source", "-s",
                               help="model (packaged pose + face models), kinect (joints "
                                    "streams), file (other tools' files), phantom (ground "
                                    "truth)."),
    files: Path | None = typer.Option(None, "--files",
                                      help="--source file: folder of <recording>.csv / .npy / "
                                           ".json files or <recording>/ OpenPose folders."),
    fmt: str | None = typer.Option(None, "--format",
                                   help="--source file: movenet, mediapipe, openpose, mmpose."),
    frame_base: int = typer.Option(0, "--frame-base", min=0, max=1,
                                   help="--format mmpose: the file's first frame_id (0 or 1)."),
    kind: str | None = typer.Option(None, "--kind",
                                    help="--source model: video stream to read (rgb, ir)."),
    models: Path | None = typer.Option(None, "--models",
                                       help="--source model: models directory (default: "
                                            "$ICTAL_MODELS_DIR or ~/.cache/ictal/models)."),
    no_face: bool = typer.Option(False, "--no-face", help="--source model: body only."),
    lift: bool = typer.Option(True, "--lift/--no-lift",
                              help="3D from a registered depth stream where there is one."),
    intrinsics: str | None = typer.Option(None, "--intrinsics",
                                          help="Depth camera fx,fy,cx,cy,width (default: "
                                               "Kinect v2's 365,365,256,212,512)."),
    recording: list[str] | None = typer.Option(None, "--recording", "-r",
                                               help="Only these recording ids (repeatable)."),
    overwrite: bool = typer.Option(False, "--overwrite",
                                   help="Replace shards made by another source or setting."),
    outside_root: bool = allow_outside_root(),
    executor: str | None = executor_option(),
    ray_address: str | None = ray_address_option(),
    executor_config: Path | None = executor_config_option(),
) -> None:
    """Body (11 joints) and face (23 landmarks) keypoints of every recording into an HDF5
    keypoint store, one shard per recording.

    Resumable (shards made with the same source and setting are kept). A failing recording is
    reported and skipped; the run ends with a summary and exit code 2 when an input file was
    malformed (the message names the file and the row; nothing is written for it), 1 when
    anything else failed.

    With --executor ray, each recording is one CPU task on the cluster (which must read its
    files) and this process writes its shard: the same store as a local run.
    """
    from ictal.cli.executor import open_cli_executor
    from ictal.errors import ConfigError
    from ictal.keypoints.depth import LiftOptions
    from ictal.keypoints.extract import extract_keypoints
    from ictal.manifest import load_manifest

    if source not in SOURCES:
        raise ConfigError(f"--source must be one of {', '.join(SOURCES)}, not {source!r}")
    manifest = load_manifest(manifest_path, allow_outside_root=outside_root)
    src: object
    if source == "phantom":
        from ictal.keypoints.phantom import PhantomSource

        src = PhantomSource()
    elif source == "kinect":
        from ictal.keypoints.kinect import KinectSource

        src = KinectSource()
    elif source == "file":
        from ictal.keypoints.files import FORMATS, FileSource

        if files is None or fmt is None:
            raise ConfigError("--source file needs --files DIR and --format",
                              hint=f"--format is one of {', '.join(FORMATS)}")
        src = FileSource(files, fmt, frame_base=frame_base)
    else:
        from ictal.keypoints.model import ModelOptions, ModelSource

        src = ModelSource(models, options=ModelOptions(face=not no_face), kind=kind)
    lift_options = LiftOptions(intrinsics=_intrinsics(intrinsics))
    with open_cli_executor(executor, ray_address, executor_config) as ex:
        report = extract_keypoints(manifest, out, src,  # type: ignore[arg-type]
                                   recordings=recording or None, overwrite=overwrite,
                                   lift=lift, lift_options=lift_options, executor=ex,
                                   show_progress=not ex.config.is_local)
    Console().print(report.summary(), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(report.exit_code)


def semiology(
    store: Path = typer.Argument(..., metavar="STORE", help="Keypoint store (or one shard)."),
    out: Path = out_folder(..., "--out", "-o", help="Folder for the tables and plots."),
    manifest_path: Path | None = typer.Option(None, "--manifest", "-m",
                                              help="Manifest: adds per-seizure tables."),
    window: float = typer.Option(2.0, "--window", min=0.1, help="Window length (s)."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write a PNG per recording."),
    outside_root: bool = allow_outside_root(),
) -> None:
    """Quantitative semiology per limb: speed, acceleration, path length, amplitude, dominant
    frequency and its power in the 0.4-1.8 Hz band, periodicity, left-right asymmetry and head
    version, per window (windows.csv), per seizure (seizures.csv) and as plots."""
    from ictal.keypoints.semiology import write_semiology
    from ictal.keypoints.store import read_store
    from ictal.manifest import load_manifest

    tracks = read_store(store)
    manifest = None if manifest_path is None else load_manifest(
        manifest_path, allow_outside_root=outside_root)
    written = write_semiology(tracks, out, manifest=manifest, window_s=window, plots=plots)
    console = Console(highlight=False)
    for path in written:
        console.print(f"wrote {path}", markup=False, soft_wrap=True)
