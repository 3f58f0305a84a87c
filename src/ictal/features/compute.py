"""Features of samples and of one recording: the per-batch and per-recording code that
both the local run (:mod:`ictal.features.extract`) and a cluster's tasks and inference actors
(:mod:`ictal.features.cluster`) use, so that neither imports the other back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ictal.features.store import empty_table
from ictal.features.table import FeatureTable
from ictal.inputspec import InputSpec
from ictal.manifest import Manifest
from ictal.memory import release_freed_memory
from ictal.preprocess.sample import Sample

if TYPE_CHECKING:
    from ictal.preprocess.config import PreprocessConfig


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
#: inference actor (:class:`~ictal.features.cluster.BackboneWorker`).
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


def recording_table(manifest: Manifest, rid: str, config: PreprocessConfig,
                    extractor: Extractor, options: ExtractOptions, attrs: dict[str, Any],
                    plans_dir: Path | None, infer: Infer | None = None) -> FeatureTable:
    """The feature table of the recording ``rid``: its crop plan (``plans_dir/<rid>/plan.json``
    of ``ictal preprocess`` when there is one -- refused when it predates the crop the
    manifest gives by hand now -- else planned here), its samples streamed and
    run through the backbone batch by batch (:func:`features_of_samples`; ``infer`` as there);
    writes nothing. The table's attributes are ``attrs`` with the plan and the recording's
    :func:`event_times`."""
    from ictal.preprocess.pipeline import iter_samples
    from ictal.preprocess.plan import RecordingPlan
    from ictal.preprocess.planner import PlanError, plan_is_current, plan_recording

    plan_file = plans_dir / rid / "plan.json" if plans_dir is not None else None
    if plan_file is not None and plan_file.exists():
        plan = RecordingPlan.load(plan_file)
        if not plan_is_current(plan, manifest.recording(rid)):
            raise PlanError(f"recording {rid}: {plan_file} does not use the crop the manifest "
                            "gives now (set, changed or cleared since it was planned)",
                            hint="run `ictal preprocess` again with the same --out: it plans "
                                 "this recording again (and redraws its QC sheet)")
    else:
        plan = plan_recording(manifest, rid, config)
    samples = iter_samples(manifest, plan, config, extractor.input_spec,
                           windows=options.windows, stride=options.stride)  # type: ignore[arg-type]
    return features_of_samples(samples, extractor, batch_size=options.batch_size,
                               attrs={**attrs, "plan": plan.to_dict(),
                                      "events": event_times(manifest, rid)}, infer=infer)
