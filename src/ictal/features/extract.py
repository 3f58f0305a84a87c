"""Feature extraction: manifest -> preprocessing -> backbone -> feature store.

Streams samples recording by recording, runs the backbone on batches, and writes one atomic
HDF5 shard per recording (:mod:`ictal.features.store`). A re-run skips recordings whose shard
exists with the same provenance key (backbone, weights hash, preprocessing config), so an
interrupted run resumes; a failing recording is reported and skipped.

A store belongs to one setting (one provenance key): a run whose setting differs from the
shards already in the store is refused before it writes anything, unless it is told to replace
them (``overwrite``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ictal import __version__
from ictal.batch import BatchReport
from ictal.errors import IctalError
from ictal.features.store import (
    FeatureStoreError,
    empty_table,
    list_shards,
    read_provenance,
    shard_path,
    write_features,
)
from ictal.features.table import FeatureTable
from ictal.fsutil import remove_temporaries
from ictal.inputspec import InputSpec
from ictal.manifest import Manifest
from ictal.memory import release_freed_memory
from ictal.preprocess.sample import Sample
from ictal.progress import track

if TYPE_CHECKING:
    from ictal.executor import Executor
    from ictal.preprocess.config import PreprocessConfig

log = logging.getLogger(__name__)


class Extractor(Protocol):
    """What extraction needs of a backbone (``ictal.backbones.FeatureExtractor`` is one)."""

    name: str
    input_spec: InputSpec
    features: int
    timesteps: int
    weights_sha256: str | None

    def provenance(self) -> dict[str, Any]:
        """Backbone name, weights hash and input spec, recorded with the features."""

    def __call__(self, clips: Any, fps: float | None = None) -> tuple[Any, Any]:
        """``(N, C, T, H, W)`` float32 clips at ``fps`` frames/s -> ``(features (N, t, F)
        float32, mask (N, t) bool)``."""


@dataclass(frozen=True)
class ExtractOptions:
    """How to run extraction.

    Attributes:
        batch_size: samples per backbone call.
        windows: ``"events"`` (samples inside annotated events, labelled) or ``"sliding"``
            (whole recording, for inference).
        stride: frames between sliding windows (``None``: the sample length).
    """

    batch_size: int = 8
    windows: str = "events"
    stride: int | None = None


def batched(samples: Iterable[Sample], size: int) -> Iterator[list[Sample]]:
    """Group consecutive samples of the same clip shape and frame rate into lists of at most
    ``size``."""
    batch: list[Sample] = []
    for s in samples:
        if batch and (len(batch) == size or batch[0].frames.shape != s.frames.shape
                      or batch[0].span.fps != s.span.fps):
            yield batch
            batch = []
        batch.append(s)
    if batch:
        yield batch


def provenance(extractor: Extractor, preprocess: dict[str, Any], options: ExtractOptions,
               ) -> dict[str, Any]:
    """What made a feature shard, with a short ``key`` that decides whether it is reusable."""
    import h5py
    import torch

    backbone = extractor.provenance()
    key_src = json.dumps({"backbone": backbone, "preprocess": preprocess,
                          "windows": options.windows, "stride": options.stride},
                         sort_keys=True, default=str)
    return {
        **backbone,
        "preprocess": preprocess,
        "windows": options.windows,
        "stride": options.stride,
        "key": hashlib.sha256(key_src.encode()).hexdigest()[:16],
        "versions": {"ictal": __version__, "torch": torch.__version__, "numpy": np.__version__,
                     "h5py": h5py.__version__, "python": platform.python_version()},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def describe_setting(prov: dict[str, Any]) -> str:
    """One line naming a shard's backbone, weights, preprocessing variant and windows."""
    sha = prov.get("weights_sha256")
    weights = (f"weights {prov.get('weights_file') or '?'}, sha256 {str(sha)[:12]}" if sha
               else "no weights file")
    variant = (prov.get("preprocess") or {}).get("variant", "?")
    stride = f", stride {prov['stride']}" if prov.get("stride") else ""
    return (f"backbone {prov.get('backbone')} ({weights}), preprocessing variant {variant}, "
            f"{prov.get('windows')} windows{stride}")


def setting_differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Provenance fields that make the keys of ``a`` and ``b`` differ (dotted, first 5)."""
    out: list[str] = []

    def walk(x: Any, y: Any, where: str) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y), key=str):
                walk(x.get(k), y.get(k), f"{where}.{k}" if where else str(k))
        elif x != y:
            out.append(where)

    for name in ("backbone", "weights_sha256", "input", "revision", "timesteps", "features",
                 "preprocess", "windows", "stride"):
        walk(a.get(name), b.get(name), name)
    return out[:5]


def check_store(store: Path, attrs: dict[str, Any], *, overwrite: bool = False) -> list[Path]:
    """Shards of ``store`` made with another setting than ``attrs`` (another provenance key).

    Reads only the shards' provenance; writes nothing. Damaged shards are not counted: their
    recording is extracted again.

    Raises:
        FeatureStoreError: such shards exist and ``overwrite`` is false; the message names
            what the store holds, what this run would write and what to do.
    """
    foreign: dict[str, tuple[dict[str, Any], list[Path]]] = {}
    for path in list_shards(store) if Path(store).is_dir() else []:
        try:
            prov = read_provenance(path)
        except FeatureStoreError:
            continue
        if prov.get("key") != attrs["key"]:
            foreign.setdefault(str(prov.get("key")), (prov, []))[1].append(path)
    shards = sorted(p for _, paths in foreign.values() for p in paths)
    if not shards or overwrite:
        return shards
    held = []
    for prov, paths in foreign.values():
        names = ", ".join(p.name for p in paths[:3]) + (", ..." if len(paths) > 3 else "")
        differs = ", ".join(setting_differences(prov, attrs))
        held.append(f"  {len(paths)} shard(s) ({names}): {describe_setting(prov)} "
                    f"[differs in: {differs}]")
    raise FeatureStoreError(
        f"{store}: the feature store holds features made with another setting than this run "
        f"({describe_setting(attrs)}):\n" + "\n".join(held),
        hint="a store holds one backbone + weights + preprocessing: give a new --out folder, "
             f"or pass --overwrite to replace the {len(shards)} shard(s) above "
             "(they are deleted)")


def batch_features(extractor: Extractor, clips: np.ndarray, tops: np.ndarray | None,
                   rate: float) -> tuple[np.ndarray, np.ndarray]:
    """The backbone on one batch: ``clips`` ``(N, C, T, H, W)`` float32 at ``rate`` frames/s
    (and their top views, same layout, or ``None``) -> ``(features (N, t, F or 2 F) float32,
    mask (N, t) bool)``; with a top view the infrared crop's features come first, then the top
    view's averaged over the bed's mirror images."""
    import torch

    from ictal.preprocess.topview import mirror_average

    feats, mask = extractor(torch.from_numpy(clips), fps=rate)
    if tops is not None:
        top_feats, _ = mirror_average(partial(extractor, fps=rate), torch.from_numpy(tops))
        feats = np.concatenate([np.asarray(feats), np.asarray(top_feats)], axis=2)
    return np.asarray(feats, dtype=np.float32), np.asarray(mask, dtype=bool)


#: ``(clips, tops, rate) -> (features, mask)``: one batch through a backbone, here or in an
#: inference actor (:class:`BackboneWorker`).
Infer = Callable[[np.ndarray, "np.ndarray | None", float], tuple[np.ndarray, np.ndarray]]


def features_of_samples(samples: Iterable[Sample], extractor: Extractor, *, batch_size: int,
                        attrs: dict[str, Any], infer: Infer | None = None) -> FeatureTable:
    """Run ``extractor`` over ``samples`` and collect a :class:`FeatureTable`.

    Features are produced batch by batch; only the (small) feature rows are kept in memory.
    The backbone is told the samples' frame rate (the motion backbone's bands are in Hz).
    Samples with a top view (:mod:`ictal.preprocess.topview`) get ``2 F`` features per
    timestep: the infrared crop's, then the top view's averaged over the bed's mirror images.
    ``infer`` runs the batches elsewhere (an actor pool) with the same result; ``extractor``
    then only describes the backbone (timesteps, features).
    """
    run = infer if infer is not None else partial(batch_features, extractor)
    rows: dict[str, list[Any]] = {k: [] for k in (
        "features", "mask", "patient", "recording", "event", "label", "view",
        "start_frame", "stop_frame", "fps", "t_start", "t_stop")}
    for batch in batched(samples, batch_size):
        clips = np.stack([s.frames for s in batch])
        tops = (np.stack([s.topview for s in batch])  # type: ignore[misc]
                if batch[0].topview is not None else None)
        feats, mask = run(clips, tops, float(batch[0].span.fps))
        del clips, tops
        rows["features"].append(np.asarray(feats, dtype=np.float32))
        rows["mask"].append(np.asarray(mask, dtype=bool))
        release_freed_memory()  # long 1080p runs: the freed frames stay resident otherwise
        for s in batch:
            rows["patient"].append(s.patient)
            rows["recording"].append(s.recording)
            rows["event"].append(s.event or "")
            rows["label"].append(s.label or "")
            rows["view"].append(s.view or "")
            rows["start_frame"].append(s.span.start)
            rows["stop_frame"].append(s.span.stop)
            rows["fps"].append(float(s.span.fps))
            rows["t_start"].append(float(s.span.t_start))
            rows["t_stop"].append(float(s.span.t_stop))
    if not rows["features"]:
        streams = 2 if attrs.get("preprocess", {}).get("topview", {}).get("enabled") else 1
        return empty_table(extractor.timesteps, streams * extractor.features, attrs)
    return FeatureTable(
        features=np.concatenate(rows.pop("features")), mask=np.concatenate(rows.pop("mask")),
        patient=np.array(rows.pop("patient")), recording=np.array(rows.pop("recording")),
        event=np.array(rows.pop("event")), label=np.array(rows.pop("label")),
        view=np.array(rows.pop("view")),
        start_frame=np.array(rows.pop("start_frame"), np.int64),
        stop_frame=np.array(rows.pop("stop_frame"), np.int64),
        fps=np.array(rows.pop("fps")), t_start=np.array(rows.pop("t_start")),
        t_stop=np.array(rows.pop("t_stop")), attrs=attrs,
    )


def event_times(manifest: Manifest, recording_id: str) -> dict[str, dict[str, Any]]:
    """Onset, offset, generalisation (seconds) and label of each event of a recording, kept
    with its features: a seizure's class is whether it has a ``tG`` (seed 002), whatever
    snippets were sampled from it."""
    return {e.id: {"t0": e.t0, "t1": e.t1, "tG": e.tG, "label": e.label}
            for e in manifest.events_of(recording_id)}


def shard_is_current(path: Path, key: str) -> bool:
    """``True`` when ``path`` is a complete shard made with provenance key ``key``."""
    if not path.exists():
        return False
    try:
        return read_provenance(path).get("key") == key
    except FeatureStoreError:
        return False


def extract_manifest(
    manifest: Manifest, out_dir: Path, extractor: Extractor, config: PreprocessConfig, *,
    options: ExtractOptions | None = None, plans_dir: Path | None = None,
    recordings: list[str] | None = None, show_progress: bool = True, overwrite: bool = False,
    executor: Executor | None = None, loader: Callable[[], Extractor] | None = None,
) -> BatchReport:
    """Extract features of every recording of ``manifest`` into the store ``out_dir``.

    Args:
        plans_dir: output folder of ``ictal preprocess``; its ``<recording>/plan.json`` crop
            plans are reused, otherwise each recording is planned here.
        recordings: ids to process (default: all).
        overwrite: replace shards made with another setting (deleted first, every one of
            them, so that the store again holds one setting); without it such a store is
            refused (:func:`check_store`).
        executor: where the work runs (default: here, one recording after the other); on a
            Ray executor see :mod:`ictal.features.cluster` (``loader`` then builds the
            backbone in each inference actor, ``extractor`` only describes it).

    Returns:
        A :class:`BatchReport`: finished, skipped (already extracted) and failed recordings;
        its ``throughput`` lines per stage on a cluster.

    Raises:
        FeatureStoreError: the store holds another setting's shards and ``overwrite`` is false
            (nothing is written).
    """
    from ictal.preprocess.pipeline import iter_samples
    from ictal.preprocess.plan import RecordingPlan
    from ictal.preprocess.planner import plan_recording

    options = options or ExtractOptions()
    out_dir = Path(out_dir)
    config_dict = config.model_dump(mode="json")
    attrs = provenance(extractor, config_dict, options)
    for path in check_store(out_dir, attrs, overwrite=overwrite):
        log.warning("overwrite: removing %s, made with another setting", path)
        path.unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = BatchReport(job=f"extract {extractor.name}")
    ids = recordings if recordings is not None else [r.id for r in manifest.recordings]
    if executor is not None and not executor.config.is_local:
        return _extract_on_cluster(manifest, out_dir, extractor, config, options, attrs,
                                   plans_dir, ids, executor, loader, report, show_progress)
    for rid in track(ids, f"extract {extractor.name}", disable=not show_progress):
        path = shard_path(out_dir, rid)
        if shard_is_current(path, attrs["key"]):
            report.skipped(rid, "already extracted")
            continue
        # this run owns the recording (one worker per recording): a temporary file of its
        # shard was left by a killed run
        remove_temporaries(out_dir, stem=rid)
        try:
            plan_file = plans_dir / rid / "plan.json" if plans_dir is not None else None
            if plan_file is not None and plan_file.exists():
                plan = RecordingPlan.load(plan_file)
            else:
                plan = plan_recording(manifest, rid, config)
            samples = iter_samples(manifest, plan, config, extractor.input_spec,
                                   windows=options.windows, stride=options.stride)  # type: ignore[arg-type]
            table = features_of_samples(samples, extractor, batch_size=options.batch_size,
                                        attrs={**attrs, "plan": plan.to_dict(),
                                               "events": event_times(manifest, rid)})
            write_features(path, table)
        except (IctalError, KeyError, OSError, ValueError) as err:
            report.failed(rid, err)
            continue
        log.info("%s: %d samples -> %s", rid, len(table), path)
        report.ok(rid)
    return report


#: Per-recording errors that make a recording fail (reported) instead of stopping the run.
RECORDING_ERRORS = (IctalError, KeyError, OSError, ValueError)


def _extract_on_cluster(manifest: Manifest, out_dir: Path, extractor: Extractor,
                        config: PreprocessConfig, options: ExtractOptions,
                        attrs: dict[str, Any], plans_dir: Path | None, ids: list[str],
                        executor: Executor, loader: Callable[[], Extractor] | None,
                        report: BatchReport, show_progress: bool) -> BatchReport:
    """:func:`extract_manifest` on a cluster: decode + crop tasks, an inference actor pool,
    shards written here (see :mod:`ictal.features.cluster`)."""
    import time

    from ictal.executor import TaskSpec, Throughput
    from ictal.features.cluster import BackboneShape, BackboneWorker, recording_features
    from ictal.progress import make_progress

    if loader is None:
        raise IctalError("extraction on a cluster needs a loader of the backbone",
                         hint="pass loader=functools.partial(load_backbone, NAME, ...)")
    todo = []
    for rid in ids:
        if shard_is_current(shard_path(out_dir, rid), attrs["key"]):
            report.skipped(rid, "already extracted")
        else:
            remove_temporaries(out_dir, stem=rid)  # left by a killed run
            todo.append(rid)
    throughput = Throughput()
    if not todo:
        return report
    pool = executor.actor_pool(BackboneWorker, (loader, options.batch_size))
    shared = [executor.put(x) for x in (manifest, config, BackboneShape.of(extractor), options,
                                        attrs)]
    tasks = [TaskSpec(rid, recording_features, (shared[0], rid, *shared[1:3], shared[3],
                                                shared[4], plans_dir, pool)) for rid in todo]
    with make_progress(disable=not show_progress) as bar:
        task = bar.add_task(f"extract {extractor.name} ({executor.kind})", total=len(todo))
        for outcome in executor.run(tasks, catch=RECORDING_ERRORS):
            bar.advance(task)
            if not outcome.ok:
                report.failed(outcome.key, outcome.error or "failed")
                continue
            table, stats = outcome.value
            throughput.add_all(stats)
            t = time.perf_counter()
            try:
                write_features(shard_path(out_dir, outcome.key), table)
            except OSError as err:
                report.failed(outcome.key, err)
                continue
            throughput.add("write (driver)", len(table), time.perf_counter() - t, "windows")
            log.info("%s: %d samples -> %s", outcome.key, len(table),
                     shard_path(out_dir, outcome.key))
            report.ok(outcome.key)
    for i, actor in enumerate(pool.stats()):
        throughput.add(f"inference (actor {i}, {actor['device']})", actor["windows"],
                       actor["seconds"], "windows")
    report.notes.extend(throughput.lines())
    return report
