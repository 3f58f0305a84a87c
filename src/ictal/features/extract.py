"""Feature extraction: manifest -> preprocessing -> backbone -> feature store.

Streams samples recording by recording, runs the backbone on batches, and writes one atomic
HDF5 shard per recording (:mod:`ictal.features.store`). A re-run skips recordings whose shard
exists with the same provenance key (backbone, weights hash, preprocessing config) and the
same crop given by hand in the manifest (``Recording.crop``: a shard cropped otherwise is made
again), so an interrupted run resumes; a failing recording is reported and skipped.

A store belongs to one setting (one provenance key): a run whose setting differs from the
shards already in the store is refused before it writes anything, unless it is told to replace
them (``overwrite``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ictal import __version__
from ictal.batch import BatchReport
from ictal.errors import IctalError
from ictal.executor import Executor, TaskSpec, Throughput, run_and_write
from ictal.features.cluster import BackboneShape, BackboneWorker, recording_features
from ictal.features.compute import (  # noqa: F401 - batched, features_of_samples: re-exported
    ExtractOptions,
    Extractor,
    batched,
    features_of_samples,
    recording_table,
)
from ictal.features.store import (
    FeatureStoreError,
    list_shards,
    read_provenance,
    shard_path,
    write_features,
)
from ictal.features.table import FeatureTable
from ictal.fsutil import remove_temporaries
from ictal.manifest import Manifest, Recording
from ictal.progress import track

if TYPE_CHECKING:
    from ictal.preprocess.config import PreprocessConfig

log = logging.getLogger(__name__)


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
    precision = f", {prov['precision']}" if prov.get("precision", "fp32") != "fp32" else ""
    return (f"backbone {prov.get('backbone')} ({weights}{precision}), preprocessing variant "
            f"{variant}, {prov.get('windows')} windows{stride}")


def setting_differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Provenance fields that make the keys of ``a`` and ``b`` differ (dotted, first 5).

    Both are compared as JSON (what the key hashes), so a tuple of this run and the list a
    shard stored are the same value."""
    a, b = (json.loads(json.dumps(x, sort_keys=True, default=str)) for x in (a, b))
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
    walk(a.get("precision", "fp32"), b.get("precision", "fp32"), "precision")
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


def shard_is_current(path: Path, key: str, recording: Recording | None = None) -> bool:
    """``True`` when ``path`` is a complete shard made with provenance key ``key`` -- and,
    given the manifest's ``recording``, from a plan that used the crops it gives by hand now
    (a crop set or changed in the manifest since makes the shard stale)."""
    from ictal.preprocess.plan import RecordingPlan
    from ictal.preprocess.planner import plan_is_current

    if not path.exists():
        return False
    try:
        held = read_provenance(path)
    except FeatureStoreError:
        return False
    if held.get("key") != key:
        return False
    if recording is None or not isinstance(held.get("plan"), dict):
        return True
    return plan_is_current(RecordingPlan.from_dict(held["plan"]), recording)


#: Per-recording errors that make a recording fail (reported) instead of stopping the run.
RECORDING_ERRORS = (IctalError, KeyError, OSError, ValueError)


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
    held_by = {r.id: r for r in manifest.recordings}
    for rid in track(ids, f"extract {extractor.name}", disable=not show_progress):
        path = shard_path(out_dir, rid)
        if shard_is_current(path, attrs["key"], held_by.get(rid)):
            report.skipped(rid, "already extracted")
            continue
        # this run owns the recording (one worker per recording): a temporary file of its
        # shard was left by a killed run
        remove_temporaries(out_dir, stem=rid)
        try:
            table = recording_table(manifest, rid, config, extractor, options, attrs,
                                    plans_dir)
            write_features(path, table)
        except RECORDING_ERRORS as err:
            report.failed(rid, err)
            continue
        log.info("%s: %d samples -> %s", rid, len(table), path)
        report.ok(rid)
    return report


def _extract_on_cluster(manifest: Manifest, out_dir: Path, extractor: Extractor,
                        config: PreprocessConfig, options: ExtractOptions,
                        attrs: dict[str, Any], plans_dir: Path | None, ids: list[str],
                        executor: Executor, loader: Callable[[], Extractor] | None,
                        report: BatchReport, show_progress: bool) -> BatchReport:
    """:func:`extract_manifest` on a cluster: decode + crop tasks, an inference actor pool,
    shards written here (see :mod:`ictal.features.cluster`)."""
    if loader is None:
        raise IctalError("extraction on a cluster needs a loader of the backbone",
                         hint="pass loader=functools.partial(load_backbone, NAME, ...)")
    held_by = {r.id: r for r in manifest.recordings}
    todo = []
    for rid in ids:
        if shard_is_current(shard_path(out_dir, rid), attrs["key"], held_by.get(rid)):
            report.skipped(rid, "already extracted")
        else:
            remove_temporaries(out_dir, stem=rid)  # left by a killed run
            todo.append(rid)
    if not todo:
        return report
    throughput = Throughput()
    pool = executor.actor_pool(BackboneWorker, (loader, options.batch_size))
    shared = [executor.put(x) for x in (manifest, config, BackboneShape.of(extractor), options,
                                        attrs)]
    tasks = [TaskSpec(rid, recording_features, (shared[0], rid, *shared[1:3], shared[3],
                                                shared[4], plans_dir, pool)) for rid in todo]

    def write(rid: str, value: tuple[FeatureTable, dict[str, tuple[float, float, str]]]) -> None:
        table, stats = value
        throughput.add_all(stats)
        started = time.perf_counter()
        write_features(shard_path(out_dir, rid), table)
        throughput.add("write (driver)", len(table), time.perf_counter() - started, "windows")
        log.info("%s: %d samples -> %s", rid, len(table), shard_path(out_dir, rid))

    run_and_write(executor, tasks, write, catch=RECORDING_ERRORS, report=report,
                  label=f"extract {extractor.name} ({executor.kind})",
                  show_progress=show_progress)
    for i, actor in enumerate(pool.stats()):
        throughput.add(f"inference (actor {i}, {actor['device']})", actor["windows"],
                       actor["seconds"], "windows")
    report.notes.extend(throughput.lines())
    return report
