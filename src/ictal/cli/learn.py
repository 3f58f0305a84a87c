"""``ictal train | evaluate | compare | report | predict``: learning and evaluation."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from ictal.cli.executor import executor_config_option, executor_option, ray_address_option
from ictal.cli.options import allow_outside_root, out_file, out_folder
from ictal.cli.options import device as device_option
from ictal.errors import ConfigError
from ictal.models.presets import load_model_config, presets_help

if TYPE_CHECKING:
    from ictal.models.config import ModelConfig

log = logging.getLogger(__name__)

MODEL_HELP = presets_help()
SET_HELP = "Override a config field, e.g. --set train.epochs=100 (repeatable)."
TRACKING_HELP = ("MLflow tracking URI of a shared server; default: a local store inside the "
                 "run folder (when MLflow is installed).")


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("evaluate")(evaluate)
    app.command("compare")(compare)
    app.command("report")(report)
    app.command("predict")(predict)


def _overrides(items: list[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE", hint="--set train.epochs=50")
        key, raw = item.split("=", 1)
        node = out
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = yaml.safe_load(raw)
    return out


def _config(model: str, sets: list[str]) -> ModelConfig:
    return load_model_config(model, _overrides(sets))


def _mlflow(enabled: bool) -> bool:
    from ictal.evaluation.tracking import mlflow_available

    if enabled and not mlflow_available():
        log.info("MLflow is not installed: skipping tracking (pip install ictal[tracking])")
    return enabled and mlflow_available()


def train(
    features: Path = typer.Argument(..., help="Feature file or store directory."),
    out: Path = out_folder(..., "--out", "-o", help="Run folder to write."),
    model: str = typer.Option("seed000", "--model", "-m", help=MODEL_HELP),
    sets: list[str] = typer.Option([], "--set", help=SET_HELP),
    selection: str = typer.Option("honest", help="honest (inner patient split) or none."),
    final: bool = typer.Option(False, "--final", help="Export a model bundle (out/bundle)."),
    bundle: Path | None = out_folder(None, "--bundle",
                                     help="Where to write the bundle (with --final)."),
    seed: int = typer.Option(0, help="Random seed."),
    threads: int = typer.Option(1, help="torch threads while training (1 suits small nets)."),
    device: str = device_option(),
    tracking: bool = typer.Option(True, "--mlflow/--no-mlflow", help="Log to MLflow."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help=TRACKING_HELP),
) -> None:
    """Train one model on every patient of FEATURES; --final exports a bundle for predict."""
    import torch

    from ictal.evaluation.final import train_final
    from ictal.features.store import read_features
    from ictal.fsutil import atomic_path, write_json_atomic
    from ictal.jsonutil import json_safe
    from ictal.models.bundle import save_bundle
    from ictal.progress import make_progress

    config = _config(model, sets)
    table = read_features(features)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "config.json", {
        "format": "ictal-train/1", "features": str(features), "selection": selection,
        "seed": seed, "model_config": config.model_dump(mode="json")})
    with make_progress(transient=True) as bar:
        task = bar.add_task(f"train {config.name}", total=config.train.epochs)
        est, info = train_final(table, config, selection=selection, seed=seed, threads=threads,
                                device=device,
                                on_epoch=lambda e, n: bar.update(task, completed=e + 1, total=n))
    with atomic_path(out / "model.pt") as tmp, tmp.open("wb") as fh:
        torch.save(est.state(), fh)  # a file object: no temporary name inside the archive
    write_json_atomic(out / "metrics.json", json_safe(info))
    console = Console()
    if "validation_metrics" in info:
        vm = info["validation_metrics"]
        console.print(f"inner validation ({len(info['validation_patients'])} patients, "
                      f"selection={selection}): macro F1 {vm['f1_macro']:.3f}")
    bundle_dir = None
    if final:
        bundle_dir = save_bundle(bundle or out / "bundle", est, config,
                                 provenance=dict(table.attrs), training=info,
                                 frame_rates=sorted(set(table.fps.tolist())))
        console.print(f"bundle written to {bundle_dir}")
    if _mlflow(tracking):
        from ictal.evaluation.tracking import log_run

        vm = info.get("validation_metrics", {})
        run_id = log_run(out, run_name=f"train {config.name}",
                         params={"selection": selection, "seed": seed,
                                 "model": config.model_dump(mode="json")},
                         metrics={f"validation.{k}": v for k, v in vm.items()
                                  if isinstance(v, float)},
                         step_metrics={"train_loss": info["history"]["train_loss"]},
                         artifacts=[out / "config.json", out / "metrics.json"],
                         bundle_dir=bundle_dir, register_as=config.name if final else None,
                         tracking_uri=tracking_uri)
        console.print(f"MLflow run {run_id}")


def evaluate(
    features: Path = typer.Argument(..., help="Feature file or store directory."),
    out: Path = out_folder(..., "--out", "-o", help="Run folder (resumed when it exists)."),
    model: str = typer.Option("seed000", "--model", "-m", help=MODEL_HELP),
    sets: list[str] = typer.Option([], "--set", help=SET_HELP),
    protocol: str = typer.Option("grouped-kfold",
                                 help="grouped-kfold, loso, gestures-10fold or leaky-kfold."),
    k: int | None = typer.Option(
        None, help="Number of folds (default: 10 for gestures-10fold, as seed 002; else 5)."),
    selection: str = typer.Option(
        "honest", help="honest (inner patient split), none (train.epochs on every training "
                       "patient, the last kept) or seed (as the seeds did)."),
    search_trials: int = typer.Option(0, help="Nested random hyper-parameter search trials."),
    seed: int = typer.Option(0, help="Random seed of the folds and the models."),
    threads: int = typer.Option(1, help="torch threads while training (1 suits small nets)."),
    device: str = device_option(),
    tracking: bool = typer.Option(True, "--mlflow/--no-mlflow", help="Log to MLflow."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help=TRACKING_HELP),
    executor: str | None = executor_option(),
    ray_address: str | None = ray_address_option(),
    executor_config: Path | None = executor_config_option(),
    task: str | None = typer.Option(
        None, help="Seed 004 semiology task (dystonia, emotion, lateralisation): FEATURES is "
                   "then a keypoint store, labelled by --manifest's events' signs."),
    manifest: Path | None = typer.Option(None, help="Manifest of the keypoint store (--task)."),
    appearance: Path | None = typer.Option(
        None, help="Appearance store folder (--task; needed by tcn-* and *-kd models)."),
    coords: str | None = typer.Option(
        None, help="Keypoint channels with --task: 2d (default), 3d, or body-3d (the body "
                   "from the 3D keypoints, the face from the 2D landmarks: seed 004's inputs)."),
    axes: str | None = typer.Option(
        None, help="Axes of a 3D body with --task: camera (default) or body (its own frame: "
                   "spine along z, shoulders along x, 2s-AGCN's view normalisation)."),
    frames: int | None = typer.Option(
        None, min=1, help="Timesteps per seizure clip with --task (default 64)."),
) -> None:
    """Cross-validate a model: run folder with metrics, figures, fold models, report.html.

    With --executor ray the folds (and a nested search's trials) run in parallel on the
    cluster, with the same metrics; the run folder is written here."""
    from ictal.cli.executor import open_cli_executor
    from ictal.evaluation.cv import run_cross_validation
    from ictal.evaluation.report import write_figures, write_report
    from ictal.features.store import read_features

    config = _config(model, sets)
    semiology = {"manifest": manifest, "appearance": appearance, "coords": coords,
                 "axes": axes, "frames": frames}
    if task is not None:
        table = _semiology_table(features, task, **semiology)
    else:
        given = [f"--{k}" for k, v in semiology.items() if v is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} only go with --task (a seed 004 semiology "
                              "run on a keypoint store)",
                              hint="add --task dystonia|emotion|lateralisation, or leave "
                                   f"{', '.join(given)} out")
        table = read_features(features)
    if config.arch == "gestures-seizure":
        _segments_note(Console(), table.attrs.get("events") or {}, config.n_segments)
    with open_cli_executor(executor, ray_address, executor_config) as ex:
        result = run_cross_validation(
            table, model_config=config, protocol=protocol, k=k, selection=selection,
            seed=seed, out_dir=out, search_trials=search_trials,  # type: ignore[arg-type]
            threads=threads, device=device, executor=ex)
    write_figures(result, out / "figures")
    write_report([result], out / "report.html")
    _print_summary(Console(), result)
    if _mlflow(tracking):
        from ictal.evaluation.tracking import log_cv_result

        Console().print(f"MLflow run {log_cv_result(result, tracking_uri=tracking_uri)}")


def _semiology_table(store: Path, task: str, *, manifest: Path | None,
                     appearance: Path | None, coords: str | None, axes: str | None,
                     frames: int | None) -> Any:
    """Seed 004's seizure-level table of a keypoint store (ictal.features.semiology); the
    options not given keep :func:`~ictal.features.semiology.semiology_table`'s defaults."""
    from ictal.features.semiology import TASKS, SemiologyInputs, semiology_table
    from ictal.manifest.io import load_manifest

    if task not in TASKS:
        raise ConfigError(f"--task {task!r} is no seed 004 task",
                          hint=f"use one of {', '.join(TASKS)}")
    if manifest is None:
        raise ConfigError("--task needs --manifest (the events and their signs)",
                          hint="ictal evaluate KEYPOINTS --task dystonia --manifest M.yaml")
    m = load_manifest(manifest, check_files=False)
    given = {k: v for k, v in (("coords", coords), ("axes", axes), ("frames", frames))
             if v is not None}
    return semiology_table(SemiologyInputs(m, store, appearance), task, **given)


def _segments_note(console: Console, events: dict[str, Any], n_segments: int) -> None:
    """Seed 002's n_min from the data's largest generalisation ratio, beside the run's n."""
    from ictal.models.gestures import generalisation_ratios, min_segments

    r = generalisation_ratios(events)
    if not len(r):
        console.print("n_min: no seizure with a tG among the features' events")
        return
    n_min = min_segments(float(r.max()))
    console.print(f"r = (tG - t0) / (t1 - t0) over {len(r)} TCS: mean {r.mean():.2f} "
                  f"(sd {r.std():.2f}), r_max {r.max():.2f} -> n_min = ceil(1 / (1 - r_max)) "
                  f"= {n_min} segments (seed 002: r_max 0.93, n_min 15); this run: n = "
                  f"{n_segments}" + ("" if n_segments >= n_min else
                                     " (fewer: some TCS may get no snippet after tG)"),
                  soft_wrap=True, highlight=False, markup=False)


def _print_summary(console: Console, result: Any) -> None:
    s = result.summary
    z = result.seizure_summary
    names = ("f1_macro", "precision_macro", "recall_macro", "accuracy", "roc_auc", "pr_auc")
    if result.unit == "seizure":  # its units are the seizures: one level
        table = Table("metric", "seizure level (one prediction per seizure)",
                      title=result.label)
        for name in names:
            table.add_row(name, _pm(z.get(name)))
    else:
        table = Table("metric", "sample level", "seizure level (mean over its samples)",
                      title=result.label)
        for name in names:
            table.add_row(name, _pm(s.get(name)), _pm(z.get(name)))
    console.print(table)


def _pm(stat: dict[str, float] | None) -> str:
    if not stat or stat.get("mean") is None or stat["mean"] != stat["mean"]:
        return "-"
    return f"{stat['mean']:.3f} ± {stat['std']:.3f}"


def compare_level(units: list[str], level: str | None) -> str:
    """The level runs are compared at: ``level`` when given, else the runs' unit when they
    share it (``sample`` / ``seizure``), else ``seizure`` (the level every run has).

    Raises:
        ConfigError: ``level`` is ``sample`` and some runs predict seizures: their fold
            metrics are seizure-level, and would be set against snippet-level ones.
    """
    if level is not None and level not in ("sample", "seizure"):
        raise ConfigError(f"--level {level!r}", hint="use --level sample or --level seizure")
    if level == "sample" and "seizure" in units and "sample" in units:
        raise ConfigError(
            "--level sample mixes levels: the seizure-level runs have no sample-level "
            "metrics (their units are seizures)",
            hint="compare at --level seizure (sample-level runs pooled per seizure), or "
                 "compare the runs of each level separately")
    if level is not None:
        return level
    return units[0] if len(set(units)) == 1 else "seizure"


def compare(
    runs: list[Path] = typer.Argument(..., help="Run folders of `ictal evaluate`."),
    metric: str = typer.Option("f1_macro", help="Fold metric to compare."),
    level: str | None = typer.Option(
        None, help="sample or seizure (default: the runs' own unit; seizure when they "
                   "differ, as a seizure-level model has no sample level)."),
    alpha: float = typer.Option(0.05, help="Significance level before Bonferroni."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One-tailed Mann-Whitney U over fold metrics, Bonferroni alpha / (e (e - 1)); runs are
    numbered, their full names listed above the table."""
    from ictal.evaluation.cv import CVResult
    from ictal.evaluation.stats import compare_configurations

    results = [CVResult.load(r) for r in runs]
    chosen = compare_level([r.unit for r in results], level)
    labels = [f"{r.label} [{p}]" if [x.label for x in results].count(r.label) > 1 else r.label
              for r, p in zip(results, runs, strict=True)]
    scores = {lab: r.fold_scores(metric, chosen) for lab, r in zip(labels, results, strict=True)}
    comps = compare_configurations(scores, metric=metric, alpha=alpha)
    if as_json:
        typer.echo(json.dumps([{**c.to_dict(), "level": chosen} for c in comps], indent=2))
        return
    console = Console()
    number = {lab: i + 1 for i, lab in enumerate(labels)}
    for lab, r in zip(labels, results, strict=True):  # full names, never cut to the terminal
        console.print(f"#{number[lab]} {lab} — {r.unit}-level model", markup=False,
                      highlight=False, soft_wrap=True)
    table = Table("A", "B", "median A", "median B", "U", "p (A > B)", "significant",
                  title=f"{metric} ({chosen} level), alpha_Bonferroni = "
                        f"{comps[0].alpha_bonferroni if comps else alpha:.4g}")
    for c in comps:
        table.add_row(f"#{number[c.a]}", f"#{number[c.b]}", f"{c.median_a:.3f}",
                      f"{c.median_b:.3f}", f"{c.u:.1f}", f"{c.p:.4f}",
                      "yes" if c.significant else "no")
    console.print(table)


def report(
    runs: list[Path] = typer.Argument(..., help="Run folders of `ictal evaluate`."),
    out: Path = out_file(Path("report.html"), "--out", "-o", help="HTML file to write."),
) -> None:
    """One self-contained HTML report (and JSON metrics) over several runs."""
    from ictal.evaluation.cv import CVResult
    from ictal.evaluation.report import write_report

    path = write_report([CVResult.load(r) for r in runs], out)
    Console().print(f"report written to {path} (metrics: {path.with_suffix('.json')})")


def predict(
    source: Path = typer.Argument(..., help="Video, manifest (.yaml) or feature file / store."),
    model: Path = typer.Option(..., "--model", help="Bundle directory (ictal train --final)."),
    out: Path = out_folder(Path("predictions"), "--out", "-o", help="Output folder."),
    recording: list[str] = typer.Option([], help="Only these recordings (repeatable)."),
    stride: int | None = typer.Option(None, min=1, help="Frames between sliding windows."),
    weights: Path | None = typer.Option(None, help="Backbone checkpoint file."),
    kind: str | None = typer.Option(
        None, help="Stream kind of a bare video file: ir or rgb (default: ir for grey "
                   "frames, rgb for colour ones)."),
    depth: Path | None = typer.Option(None, help="Depth video of a bare video's recording."),
    stream: str | None = typer.Option(
        None, "--source", help="Read this stream kind (ir, rgb or auto) instead of the "
                               "bundle's; refused when its features need depth."),
    config: Path | None = typer.Option(
        None, "--config", "-c",
        help="Preprocessing config YAML to use instead of the bundle's (resolved as `ictal "
             "preprocess` does); it may change how the crop is found and the stream read, "
             "not the frames, sample length, top view or depth steps."),
    crop: str | None = typer.Option(
        None, "--crop", metavar="X0,Y0,X1,Y1",
        help="A bare video's crop by hand, in pixels of its frame (instead of the bundle's "
             "detector; see `ictal manifest crop --picture` to read one off)."),
    outside_root: bool = allow_outside_root(),
) -> None:
    """Per-window class probabilities (CSV + JSON), decision and timeline PNG per recording.

    A video or a manifest runs the whole chain (the bundle's preprocessing and backbone, with
    sliding windows; a last window of at least 10 frames is scored); a feature file uses its
    stored windows and must hold features of the bundle's backbone and preprocessing.
    """
    from ictal.batch import BatchReport
    from ictal.cli.bundle_input import bundle_input
    from ictal.errors import IctalError
    from ictal.manifest.files import recording_source
    from ictal.models.bundle import load_bundle
    from ictal.models.compat import check_recording
    from ictal.models.predict import predict_recording, write_predictions

    bundle = load_bundle(model)
    name = f"the bundle {model}"
    console = Console()
    batch = BatchReport("predict")
    src = bundle_input(source, bundle, name, recording=recording, stream=stream,
                       config=config, kind=kind, depth=depth, outside_root=outside_root,
                       crop=crop)
    is_features, manifest, settings, wanted = (src.is_features, src.manifest, src.settings,
                                               src.wanted)
    if is_features:
        def features_of(rec: str) -> Any:
            return src.table
    else:
        from ictal.models.predict import features_for_recording, load_bundle_backbone

        if source.suffix not in (".yaml", ".yml"):  # a bare video: its kind is checked once
            check_recording(bundle.meta, settings, manifest.recordings[0], name=name,
                            overridden=stream is not None)
        extractor = load_bundle_backbone(bundle, weights=weights)

        def features_of(rec: str) -> Any:
            check_recording(bundle.meta, settings, manifest.recording(rec), name=name,
                            overridden=stream is not None)
            return features_for_recording(bundle, manifest, rec, extractor, stride=stride,
                                          config=settings, overrides=src.overrides)

    for rec in wanted:
        try:
            doc = predict_recording(bundle, features_of(rec), rec)
            if not is_features:  # the web platform checks a run against its recording
                doc["source"] = recording_source(manifest, manifest.recording(rec))
            write_predictions(doc, out)
        except (IctalError, KeyError) as err:
            batch.failed(rec, err)
            continue
        batch.ok(rec)
        console.print(f"{rec}: {doc['decision']['label']} "
                      f"({max(doc['decision']['probs']):.2f}), {len(doc['windows'])} windows")
    console.print(batch.summary(), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(batch.exit_code)
