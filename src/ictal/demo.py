"""``ictal demo``: the whole pipeline on the embedded phantom, end to end, on the CPU.

phantom dataset -> preprocessing plans and visual QC -> backbone features (the weight-free
``motion`` backbone, or I3D when its checkpoint is present) -> LSTM classifier ->
patient-grouped 5-fold cross-validation for FLE / TLE / non-epileptic (honest model selection on
an inner split of the training patients) next to a deliberately leaky sample-level split ->
one HTML report, with the ground-truth oracle (the same protocol on figures of the phantom's
true 3D joints, :mod:`ictal.evaluation.oracle`) beside the video features. Every stage writes
into ``out`` and is skipped when its output is already there, so a second run only redoes what
changed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ictal.batch import BatchReport
from ictal.errors import IctalError

log = logging.getLogger(__name__)

#: Variants that read the phantom's 2D clinic camera (preset ``clinic``) instead of the Kinect.
CLINIC_VARIANTS = frozenset({"2d"})


@dataclass(frozen=True)
class DemoConfig:
    """What the demo runs.

    Attributes:
        out: working folder (dataset, plans, features, runs, report).
        backbone: ``"auto"`` (I3D when its checkpoint is found, else ``motion``) or a name.
        weights: checkpoint of the backbone (default: the weights directory).
        model: model preset or YAML of :mod:`ictal.models.presets`.
        variant: preprocessing dataset variant (seed 000's A / B / B0.5, or B+top: B plus
            the bed seen from above, :mod:`ictal.preprocess.topview`) on the Kinect phantom,
            or ``2d``: ordinary clinic video (day colour, night infrared, montages; no depth)
            of the same patients from the phantom's clinic camera, cropped with the packaged
            pose model (:data:`CLINIC_VARIANTS`).
        k: number of cross-validation folds.
        seed: seed of the phantom, the splits and the models.
        workers: processes rendering the phantom.
        phantom: overrides of :meth:`ictal.phantom.config.PhantomConfig.demo`.
    """

    out: Path = Path("ictal-demo")
    backbone: str = "auto"
    weights: Path | None = None
    model: str = "fast"
    variant: str = "B+top"
    k: int = 5
    seed: int = 0
    workers: int = 2
    phantom: dict[str, Any] = field(default_factory=dict)


@dataclass
class DemoResult:
    """Where the demo put things and its headline numbers."""

    report: Path
    manifest: Path
    backbone: str
    grouped_f1: tuple[float, float]
    leaky_f1: tuple[float, float]
    #: the ground-truth oracle (same protocol on features of the phantom's true 3D joints,
    #: :mod:`ictal.evaluation.oracle`): patient-grouped macro F1 (mean, std over folds)
    oracle_f1: tuple[float, float]
    qc_rates: dict[str, float | None]
    seconds: dict[str, float]
    failures: list[BatchReport]


def choose_backbone(name: str, weights: Path | None) -> str:
    """``auto`` -> ``i3d`` when its checkpoint can be found, else ``motion``."""
    if name != "auto":
        return name
    from ictal.backbones.checkpoints import find_checkpoint
    from ictal.backbones.registry import default_registry
    from ictal.errors import CheckpointError

    try:
        find_checkpoint(default_registry().get("i3d"), weights)
    except CheckpointError:
        return "motion"
    return "i3d"


def run_demo(cfg: DemoConfig, *, progress: bool = True) -> DemoResult:
    """Run every stage; raise :class:`IctalError` when a stage leaves nothing to go on with."""
    from ictal.backbones import load_backbone
    from ictal.evaluation.cv import run_cross_validation
    from ictal.evaluation.report import write_report
    from ictal.features.extract import ExtractOptions, extract_manifest
    from ictal.features.store import read_features
    from ictal.manifest import load_manifest
    from ictal.models.presets import load_model_config
    from ictal.phantom.config import PhantomConfig
    from ictal.phantom.generate import generate_dataset
    from ictal.preprocess.config import resolve_config
    from ictal.preprocess.dataset import preprocess_dataset
    from ictal.progress import make_progress

    out = Path(cfg.out)
    seconds: dict[str, float] = {}
    failures: list[BatchReport] = []

    def stage(name: str, report: BatchReport | None = None) -> None:
        seconds[name] = round(time.perf_counter() - t0, 1)
        if report is not None and report.failures:
            failures.append(report)

    t0 = time.perf_counter()
    clinic = cfg.variant in CLINIC_VARIANTS
    preset = PhantomConfig.clinic if clinic else PhantomConfig.demo
    phantom_cfg = preset(seed=cfg.seed, **cfg.phantom)
    gen = generate_dataset(phantom_cfg, out / ("phantom-clinic" if clinic else "phantom"),
                           workers=cfg.workers, progress=progress)
    stage("phantom", gen.report)
    manifest = load_manifest(gen.manifest_path)
    if not manifest.recordings:
        raise IctalError("the phantom produced no recording", hint="see the errors above")

    t0 = time.perf_counter()
    pre_cfg = resolve_config(variant=cfg.variant)
    plans_dir = out / f"preprocess-{cfg.variant}"  # one per variant: their configs differ
    with make_progress(disable=not progress) as bar:
        task = bar.add_task("preprocess + QC", total=len(manifest.recordings))
        pre = preprocess_dataset(manifest, plans_dir, pre_cfg,
                                 on_progress=lambda _rid: bar.advance(task))
    stage("preprocess", pre.report)

    t0 = time.perf_counter()
    backbone = choose_backbone(cfg.backbone, cfg.weights)
    extractor = load_backbone(backbone, weights=cfg.weights)
    features_dir = out / "features" / f"{backbone}-{cfg.variant}"
    # the demo owns its folder: shards of an older setting (another version of the code, other
    # weights) are replaced rather than refused
    ext = extract_manifest(manifest, features_dir, extractor, pre_cfg,
                           options=ExtractOptions(batch_size=8), plans_dir=plans_dir,
                           show_progress=progress, overwrite=True)
    stage("extract", ext)
    table = read_features(features_dir)

    model_cfg = load_model_config(cfg.model)
    results = []
    for protocol, selection in (("grouped-kfold", "honest"), ("leaky-kfold", "honest")):
        t0 = time.perf_counter()
        results.append(run_cross_validation(
            table, model_config=model_cfg, protocol=protocol, k=cfg.k, selection=selection,
            seed=cfg.seed, out_dir=out / "runs" / f"{backbone}-{cfg.variant}-{protocol}",
            progress=progress,
        ))
        stage(protocol)
    # the ground-truth oracle: the same rows, model and patient-grouped protocol on figures of
    # the phantom's true 3D joints (how much the phantom's movements separate at all)
    from ictal.evaluation.oracle import oracle_table

    t0 = time.perf_counter()
    oracle = run_cross_validation(
        oracle_table(table, manifest), model_config=model_cfg, protocol="grouped-kfold",
        k=cfg.k, selection="honest", seed=cfg.seed,
        out_dir=out / "runs" / f"oracle-{cfg.variant}-grouped-kfold", progress=progress)
    stage("oracle")
    report = write_report([*results, oracle], out / "report.html")
    grouped, leaky = (r.summary["f1_macro"] for r in results)
    orc = oracle.summary["f1_macro"]
    return DemoResult(report=report, manifest=gen.manifest_path, backbone=backbone,
                      qc_rates={k: v[2] for k, v in pre.rates.items()},
                      grouped_f1=(grouped["mean"], grouped["std"]),
                      leaky_f1=(leaky["mean"], leaky["std"]),
                      oracle_f1=(orc["mean"], orc["std"]), seconds=seconds,
                      failures=failures)
