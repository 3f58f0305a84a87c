"""``ictal phantom``: generate a synthetic EMU dataset (videos, manifest, ground truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ictal.cli.options import out_folder
from ictal.configutil import deep_merge
from ictal.errors import ConfigError

PRESETS = ("demo", "tiny", "clinic", "gestures", "default")


def register(app: typer.Typer) -> None:
    app.command("phantom")(phantom)


def _floats(text: str, option: str) -> tuple[float, float]:
    try:
        parts = [float(x) for x in text.split(",")]
    except ValueError as err:
        raise ConfigError(f"{option} {text!r} is not a number or 'low,high'",
                          hint=f"e.g. {option} 2 or {option} 1.5,3") from err
    if len(parts) not in (1, 2):
        raise ConfigError(f"{option} {text!r}: give one value or 'low,high'")
    return (parts[0], parts[-1])


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def phantom(
    out: Path | None = out_folder(None, "--out", help="Directory to write the dataset into "
                                  "(required unless --describe)."),
    preset: str = typer.Option("demo", help=f"Base recipe: {', '.join(PRESETS)} "
                               "('clinic' = the demo's patients under a 2D clinic camera: "
                               "H.264 colour / night infrared, no depth; 'gestures' = "
                               "seed 002: FOS / TCS seizures, two cameras per bed in a "
                               "picture-in-picture montage; 'default' = real seizure "
                               "durations)."),
    config: Path | None = typer.Option(None, help="YAML recipe (PhantomConfig fields); "
                                       "merged over the preset (a section names only the "
                                       "fields it changes), options override it."),
    patients: int | None = typer.Option(None, help="Number of patients."),
    events_per_patient: str | None = typer.Option(
        None, help="Seizures (recordings) per patient: K or MIN,MAX."),
    classes: str | None = typer.Option(
        None, help="Syndromes FLE,TLE (seeds 000/001) or seizure types FOS,TCS (seed 002: "
                   "focal and focal to bilateral tonic-clonic seizures, its durations)."),
    tcs_share: float | None = typer.Option(
        None, "--tcs-share", min=0.0, max=1.0,
        help="With FOS,TCS: the share of seizures that generalise (seed 002: 77/183 = 0.42)."),
    seconds: str | None = typer.Option(
        None, help="Length of the pre-ictal and of the post-ictal period (s): S or MIN,MAX."),
    duration_scale: float | None = typer.Option(
        None, help="Factor on the seizure durations of the recipe (1 = the seeds' durations)."),
    fps: int | None = typer.Option(None, help="Frame rate (30 = Kinect v2; with the clinic "
                                   "camera every recording runs at it)."),
    streams: str | None = typer.Option(None, help="Streams to write: ir,depth,rgb (the "
                                       "Kinect) or clinic (the 2D clinic camera)."),
    scale: float | None = typer.Option(None, help="Resolution factor on 512x424 (1 = Kinect)."),
    seed: int | None = typer.Option(None, help="Random seed (bit-identical output per seed)."),
    workers: int = typer.Option(2, min=1, help="Processes rendering recordings in parallel."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    describe: bool = typer.Option(
        False, "--describe", help="Print the recipe's movement statistics measured from the "
        "ground-truth skeleton of every recording (no rendering) beside their published ranges "
        "(ictal.phantom.calibration), and exit non-zero when one falls outside; with --out, "
        "also write calibration.json / calibration.md there."),
) -> None:
    """Generate a phantom EMU dataset: Kinect-v2-like IR / depth (and RGB) videos of patients in
    bed, or (--preset clinic) ordinary 2D clinic video, a manifest (labels FLE, TLE, NE; or
    FOS, TCS, NE with --classes FOS,TCS / --preset gestures), per-frame ground truth and the
    measured calibration table (calibration.md). Existing complete recordings are kept
    (resume). --describe prints the calibration without rendering."""
    import yaml
    from pydantic import ValidationError

    from ictal.phantom import PhantomConfig, generate_dataset

    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}", hint=f"use one of {', '.join(PRESETS)}")
    fields: dict[str, Any] = {}
    if config is not None:
        try:
            loaded = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise ConfigError(f"{config}: cannot read the recipe: {err}") from err
        if not isinstance(loaded, dict):
            raise ConfigError(f"{config}: the recipe must be a YAML mapping of PhantomConfig "
                              "fields")
        fields.update(loaded)
    if patients is not None:
        fields["n_patients"] = patients
    if events_per_patient is not None:
        lo, hi = _floats(events_per_patient, "--events-per-patient")
        fields["events_per_patient"] = (int(lo), int(hi))
    if classes is not None:
        fields["classes"] = _names(classes)
    if tcs_share is not None:
        fields["seizure_types"] = {**(fields.get("seizure_types") or {}), "p_tcs": tcs_share}
    if seconds is not None:
        fields["pre_s"] = fields["post_s"] = _floats(seconds, "--seconds")
    for key, value in (("duration_scale", duration_scale), ("fps", fps), ("scale", scale),
                       ("seed", seed)):
        if value is not None:
            fields[key] = value
    if streams is not None:
        fields["streams"] = _names(streams)
    clinic = preset == "clinic" or "clinic" in fields.get("streams", ())
    if clinic and fps is not None:  # the clinic camera draws its rate per room: give it one
        camera = dict(fields.get("clinic_camera") or {})
        camera.update(frame_rates=[str(fps)], frame_rate_weights=[1.0])
        fields["clinic_camera"] = camera
    try:
        base = (PhantomConfig() if preset == "default" else getattr(PhantomConfig, preset)())
        # sections merge over the preset's: `fle: {p_generalise: 0.5}` keeps its other fields
        cfg = PhantomConfig.model_validate(deep_merge(base.model_dump(mode="python"), fields))
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in err.errors())
        raise ConfigError(f"invalid phantom recipe: {problems}",
                          hint="see `ictal phantom --help` and ictal.phantom.config") from err
    if describe:
        from ictal.phantom.calibration import describe as measure
        from ictal.phantom.calibration import write_calibration

        info = measure(cfg)
        typer.echo(f"phantom {cfg.name}, seed {cfg.seed}: measured from the ground-truth "
                   f"skeleton (durations at real time, / duration_scale {cfg.duration_scale})")
        typer.echo(info["markdown"])
        if out is not None:
            for p in write_calibration(out, cfg):
                typer.echo(f"-> {p}")
        failed = [s for s in info["summary"] if not s["ok"]]
        for s in failed:
            typer.echo(f"outside its range: {s['cls']} {s['phase']} {s['statistic']} "
                       f"({s['inside']:.2f} inside, {s['min_inside']:.2f} required)", err=True)
        raise typer.Exit(1 if failed else 0)
    if out is None:
        raise ConfigError("ictal phantom needs --out (the folder to render into)",
                          hint="or --describe to print the recipe's measured statistics")
    result = generate_dataset(cfg, out, workers=workers, progress=progress)
    report = result.report
    typer.echo(report.summary())
    typer.echo(f"{len(result.manifest.recordings)} recordings, {result.n_frames} frames per "
               f"stream -> {result.manifest_path}")
    raise typer.Exit(report.exit_code)
