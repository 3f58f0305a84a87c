"""``ictal explain``: a recording and a bundle -> an explanation folder.

One pass over the recording runs the bundle's preprocessing and backbone on sliding windows
(as ``ictal predict`` does) and keeps the frames of the windows that may be explained (the
listed ones, or per class the ``K`` most probable: memory stays bounded on long recordings).
Then, for the explained windows, in time order: a saliency map (:func:`attribute`), the
timestep attribution, the overlay frames (streamed into the video), a strip, and - with a
phantom ground truth - the pointing game and mass shares of the map and of the motion-energy
baseline.

Output folder::

    explanation.json   format ictal-explanation/1 (below)
    explanation.html   overlay video, probability and attribution lanes, strips, tables
    overlay.mp4        heat map on the cropped frames of the explained windows, H.264, one
                       frame per timeline frame at the timeline's rate
    strips/window-<i>.png

``explanation.json``::

    {"format": "ictal-explanation/1", "recording", "model" {...as ictal predict},
     "labels", "decision" {"label", "probs"}, "target" (class column explained), "method",
     "windows": [{"index", "view", "start_frame", "stop_frame", "t_start", "t_stop",
                  "probs", "contribution" (D - D without the window), "explained",
                  ...explained windows: "method", "seconds", "scale", "peak" {"t", "x", "y"
                  (sample px), "frame", "u", "v" (source)}, "frame_mass" [T],
                  "heat" {"box" (crop, source px), "grid" (rows x cols in [0, 1])},
                  "timesteps" {"values", "frames"}, "strip", "truth", "baseline_truth"}],
     "fps" (source frame rate, exact), "frame_size" [width, height],
     "video": {"path", "fps", "frames": [[window, source frame], ...]} | null,
     "sanity": {...randomisation check} | null, "pixels_note": str | null}
"""

from __future__ import annotations

import dataclasses
import heapq
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ictal.errors import ConfigError, ShapeError
from ictal.explain.attribute import (
    Method,
    WindowMap,
    attribute,
    default_method,
    motion_energy,
)
from ictal.explain.chain import ClassifierHead, ClipChain
from ictal.explain.render import (
    display_frames,
    explanation_html,
    frame_captions,
    map_scale,
    overlay,
    strip_png,
)
from ictal.explain.sanity import randomisation_check
from ictal.explain.truth import SampleGeometry, score_window, source_frames_of
from ictal.explain.windows import parse_windows, timestep_attribution, window_contributions
from ictal.features.extract import batched, features_of_samples
from ictal.features.table import FeatureTable
from ictal.fsutil import write_json_atomic, write_text_atomic
from ictal.io.writers import H264Writer
from ictal.jsonutil import json_safe
from ictal.manifest import Manifest
from ictal.manifest.groundtruth import GroundTruth
from ictal.models.bundle import Bundle
from ictal.models.compat import bundle_config
from ictal.models.predict import predict_recording
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.pipeline import iter_samples
from ictal.preprocess.planner import plan_recording
from ictal.preprocess.sample import Sample
from ictal.progress import track

log = logging.getLogger(__name__)

FORMAT = "ictal-explanation/1"


@dataclass(frozen=True)
class ExplainOptions:
    """How to explain.

    Attributes:
        windows: ``all``, ``top:K`` (the K windows that raised the decision most) or indices
            and ranges (``0,3,5-7``) of the recording's windows in time order.
        method: ``occlusion``, ``gradcam`` or ``ig`` (default: occlusion for ``motion``,
            Grad-CAM for networks).
        target: the class explained (default: the decision).
        layer, steps, block: Grad-CAM layer, integrated-gradient points, occlusion block
            ``(frames, pixels)`` (see :func:`~ictal.explain.attribute.attribute`).
        stride: frames between sliding windows (default: the window length).
        batch_size: samples per backbone call while predicting.
        sanity: run the model-randomisation check on the first explained window.
        video, strips: write the overlay video / the PNG strips.
    """

    windows: str = "top:3"
    method: Method | None = None
    target: str | None = None
    layer: str | None = None
    steps: int = 16
    block: tuple[int, int] | None = None
    stride: int | None = None
    batch_size: int = 8
    sanity: bool = False
    video: bool = True
    strips: bool = True


def _target(labels: list[str], decision: np.ndarray, wanted: str | None) -> int:
    if wanted is None:
        return int(np.argmax(decision))
    if wanted not in labels:
        raise ConfigError(f"--target {wanted!r} is not a class of the model",
                          hint=f"use one of {', '.join(labels)}")
    return labels.index(wanted)


class _Keeper:
    """Keeps the samples that may be explained while the recording streams past."""

    def __init__(self, mode: str, arg: Any, n_classes: int) -> None:
        self.mode, self.arg = mode, arg
        self.heaps: list[list[tuple[float, int, Sample]]] = [[] for _ in range(n_classes)]
        self.listed: dict[int, Sample] = {}

    def offer(self, index: int, sample: Sample, probs: np.ndarray | None) -> None:
        if self.mode == "all" or (self.mode == "list" and index in self.arg):
            self.listed[index] = sample
        elif self.mode == "top" and probs is not None:
            for c, heap in enumerate(self.heaps):
                item = (float(probs[c]), -index, sample)
                if len(heap) < self.arg:
                    heapq.heappush(heap, item)
                elif item[:2] > heap[0][:2]:
                    heapq.heapreplace(heap, item)

    def get(self, index: int) -> Sample | None:
        if index in self.listed:
            return self.listed[index]
        for heap in self.heaps:
            for _, neg, s in heap:
                if -neg == index:
                    return s
        return None


def _stream_features(samples: Iterator[Sample], extractor: Any, bundle: Bundle, keeper: _Keeper,
                     attrs: dict[str, Any], batch_size: int, head: ClassifierHead | None,
                     progress: bool) -> FeatureTable:
    """Features of every sample (one table, stream order), offering each sample to
    ``keeper`` with its probabilities (sample-level heads)."""
    tables: list[FeatureTable] = []
    index = 0
    for batch in track(batched(samples, batch_size), "explain: predicting",
                       disable=not progress):
        table = features_of_samples(batch, extractor, batch_size=len(batch), attrs=attrs)
        probs = (bundle.estimator.predict_proba(table) if head is not None else None)
        for i, s in enumerate(batch):
            keeper.offer(index + i, s, None if probs is None else probs[i])
        index += len(batch)
        tables.append(table)
    if not tables:
        raise ShapeError("the recording gave no window",
                         hint="a window needs at least 10 frames of video")
    return FeatureTable.concat(tables)


def _topview_features(extractor: Any, sample: Sample) -> torch.Tensor | None:
    """``(1, timesteps, F)`` the top view's features of a sample (held fixed), or ``None``."""
    if sample.topview is None:
        return None
    from functools import partial

    from ictal.preprocess.topview import mirror_average

    feats, _ = mirror_average(partial(extractor, fps=float(sample.span.fps)),
                              torch.from_numpy(sample.topview[None]))
    return torch.as_tensor(np.asarray(feats, np.float32))


def _timestep_frames(start: int, stop: int, mask: np.ndarray) -> list[list[int] | None]:
    """The source frames ``[a, b)`` each real feature timestep covers (an even split of the
    window among its real timesteps), ``None`` for padding."""
    real = np.flatnonzero(mask)
    edges = np.rint(np.linspace(start, stop, len(real) + 1)).astype(int)
    out: list[list[int] | None] = [None] * len(mask)
    for k, t in enumerate(real):
        out[int(t)] = [int(edges[k]), int(edges[k + 1])]
    return out


def _window_rows(table: FeatureTable, recording: str) -> np.ndarray:
    rows = np.flatnonzero(table.recording == recording)
    if len(rows) == 0:
        raise ShapeError(f"no feature rows for recording {recording!r}",
                         hint=f"recordings present: {sorted(set(table.recording.tolist()))[:10]}")
    return rows[np.argsort(table.t_start[rows], kind="stable")]


def _base_document(bundle: Bundle, table: FeatureTable, recording: str, target: int | None,
                   options: ExplainOptions) -> tuple[dict[str, Any], FeatureTable, int]:
    """The document's windows (time order) with probabilities and contributions."""
    rows = _window_rows(table, recording)
    part = table.subset(rows)
    doc = predict_recording(bundle, table, recording)
    estimator = bundle.estimator
    sample_level = getattr(estimator, "unit", "sample") == "sample"
    probs = (np.array([w["probs"] for w in doc["windows"]]) if sample_level else None)
    tgt = _target(doc["labels"], np.asarray(doc["decision"]["probs"]), options.target) \
        if target is None else target
    contrib = window_contributions(estimator, dataclasses.replace(
        part, event=np.full(len(part), "", dtype=str)), tgt, probs)
    windows = []
    for i in range(len(part)):
        windows.append({
            "index": i, "view": part.view[i] or None,
            "start_frame": int(part.start_frame[i]), "stop_frame": int(part.stop_frame[i]),
            "t_start": float(part.t_start[i]), "t_stop": float(part.t_stop[i]),
            "probs": doc["windows"][i]["probs"] if sample_level else None,
            "contribution": float(contrib[i]), "explained": False,
        })
    out = {"format": FORMAT, "recording": recording, "model": doc["model"],
           "labels": doc["labels"], "decision": doc["decision"], "target": tgt,
           "method": None, "windows": windows, "video": None, "sanity": None,
           "pixels_note": None, "fps": None, "frame_size": None}
    return out, part, tgt


def _check_windows_early(manifest: Manifest, plan: Any, config: PreprocessConfig, spec: Any,
                         options: ExplainOptions) -> None:
    """Refuse listed windows past the recording's end before decoding it (one view: a
    montage's windows count per view and are checked after the pass)."""
    if plan.montage is not None:
        return
    from ictal.io.resample import resample_indices
    from ictal.preprocess.windows import plan_windows
    from ictal.timebase import as_fps

    # the windows iter_samples will make (its timeline rate: config.temporal.fps when set)
    fps = (as_fps(config.temporal.fps) if config.temporal.fps is not None
           else spec.timeline_fps(plan.fps))
    n = plan.n_frames if fps == plan.fps else int(resample_indices(plan.n_frames, plan.fps,
                                                                   fps).size)
    length = config.temporal.length or spec.frames_at(fps)
    wins = plan_windows(manifest.events_of(plan.recording), n, fps, length, config,
                        windows="sliding", stride=options.stride)
    parse_windows(options.windows, len(wins), recording=plan.recording)


def _chosen(doc: dict[str, Any], options: ExplainOptions) -> list[int]:
    mode, arg = parse_windows(options.windows, len(doc["windows"]), recording=doc["recording"])
    if mode == "all":
        return list(range(len(doc["windows"])))
    if mode == "list":
        return list(arg)
    order = sorted(range(len(doc["windows"])),
                   key=lambda i: (-doc["windows"][i]["contribution"], i))
    return sorted(order[:arg])


def explain_recording(bundle: Bundle, manifest: Manifest, recording: str, extractor: Any,
                      out_dir: Path | str, *, options: ExplainOptions | None = None,
                      config: PreprocessConfig | None = None,
                      overrides: list[str] | None = None,
                      ground_truth: GroundTruth | None = None,
                      progress: bool = False) -> dict[str, Any]:
    """Explain the bundle's prediction on one recording of ``manifest`` into ``out_dir``.

    Args:
        extractor: the bundle's backbone (:func:`~ictal.models.predict.load_bundle_backbone`).
        config, overrides: a validated preprocessing override (as ``ictal predict``'s).
        ground_truth: the phantom's ground truth of the recording: each explained window's
            map and its motion-energy baseline are scored (:mod:`~ictal.explain.truth`).

    Returns:
        The ``explanation.json`` document (also written, with the page, video and strips).

    Raises:
        ConfigError: a window outside the recording, an unknown method or target.
    """
    options = options or ExplainOptions()
    out = Path(out_dir)
    if config is None:
        config = bundle_config(bundle.meta, where=f"{bundle.path}/bundle.json")
    # window indices are checked against the recording's windows after the pass; a malformed
    # --windows is refused before any decoding
    parse_windows(options.windows, 1 << 30, recording=recording)
    method: Method = options.method or default_method(extractor.spec.family)
    sample_level = getattr(bundle.estimator, "unit", "sample") == "sample"
    head = ClassifierHead(bundle.estimator) if sample_level else None
    plan = plan_recording(manifest, recording, config)
    _check_windows_early(manifest, plan, config, extractor.input_spec, options)
    samples = iter_samples(manifest, plan, config, extractor.input_spec, windows="sliding",
                           stride=options.stride)
    mode, arg = parse_windows(options.windows, 1 << 30)
    k = arg if mode == "top" else 0
    keeper = _Keeper(mode if head is not None else "none", set(arg) if mode == "list" else k,
                     len(bundle.labels))
    attrs = {**extractor.provenance(), "plan": plan.to_dict(),
             "preprocess": config.model_dump(mode="json"), "overrides": list(overrides or [])}
    table = _stream_features(samples, extractor, bundle, keeper, attrs, options.batch_size,
                             head, progress)
    doc, part, target = _base_document(bundle, table, recording, None, options)
    doc["fps"] = str(plan.fps)
    doc["frame_size"] = [plan.width, plan.height]
    doc["method"] = method if head is not None else "leave-one-window-out"
    chosen = _chosen(doc, options)
    out.mkdir(parents=True, exist_ok=True)
    if head is None:
        doc["pixels_note"] = ("this model decides on the whole seizure: its windows are "
                              "ranked by how much each raised the decision; no pixel maps")
        for i in chosen:
            doc["windows"][i]["explained"] = True
        return _finish(doc, out, {})
    strips: dict[int, str] = {}
    video_frames: list[list[int]] = []
    writer: H264Writer | None = None
    video_path = out / "overlay.mp4"
    fps: Fraction | None = None
    sanity_done = not options.sanity
    try:
        for i in track(chosen, "explain: attributing", disable=not progress):
            sample = keeper.get(i)
            w = doc["windows"][i]
            if sample is None:  # cannot happen: the keeper holds every chosen window
                raise ShapeError(f"window {i}: its frames were not kept")
            fps = sample.span.fps
            chain = ClipChain(extractor.network, head, timesteps=extractor.timesteps,
                              fps=float(fps), extra=_topview_features(extractor, sample))
            wmap = attribute(chain, sample.frames, target, method=method, layer=options.layer,
                             steps=options.steps, block=options.block)
            if not sanity_done:
                result = randomisation_check(chain, lambda c, s=sample: attribute(
                    c, s.frames, target, method=method, layer=options.layer,
                    steps=options.steps, block=options.block))
                doc["sanity"] = {"window": i, "method": method, **result.to_dict()}
                sanity_done = True
            src = source_frames_of(sample.provenance, sample.frames.shape[1])
            try:  # how the map's pixels lie in the recording's
                geo: SampleGeometry | None = SampleGeometry.of(
                    sample.crop_box, sample.provenance.get("geometry", {}),
                    sample.frames.shape[-1], (plan.width, plan.height))
            except ShapeError:
                if ground_truth is not None and sample.view is None:
                    raise  # the ground truth cannot be scored without it
                geo = None
            _describe_window(w, wmap, part, i, head, target, src, geo)
            if ground_truth is not None and geo is not None and sample.view is None:
                w["truth"] = score_window(wmap, ground_truth, src, geo)
                w["baseline_truth"] = score_window(motion_energy(sample.frames), ground_truth,
                                                   src, geo)
            frames = display_frames(sample.frames, extractor.input_spec)
            scale = map_scale(wmap.values)
            w["scale"] = scale
            if options.strips:
                name = f"strips/window-{i}.png"
                (out / "strips").mkdir(exist_ok=True)
                strip_png(out / name, frames, wmap.values, source_frames=src.tolist(),
                          scale=scale, title=f"{recording} window {i}: frames {src[0]}-"
                          f"{src[-1]}, P({doc['labels'][target]})={wmap.prob:.2f}, {method}")
                w["strip"] = strips[i] = name
            if options.video:
                captions = frame_captions(recording, src.tolist(), plan.fps,
                                          doc["labels"][target], wmap.prob, i)
                images = overlay(frames, wmap.values, scale=scale, captions=captions)
                if writer is None:
                    writer = H264Writer(video_path, fps, images.shape[2], images.shape[1])
                for f, image in zip(src.tolist(), images, strict=True):
                    writer.write(image)
                    video_frames.append([i, int(f)])
    except BaseException as err:
        if writer is not None:
            writer.abort(err)
        raise
    if writer is not None:
        writer.close()
        doc["video"] = {"path": video_path.name, "fps": str(fps), "frames": video_frames}
    return _finish(doc, out, strips)


def _describe_window(w: dict[str, Any], wmap: WindowMap, part: FeatureTable, i: int,
                     head: ClassifierHead, target: int, src: np.ndarray,
                     geo: SampleGeometry | None) -> None:
    """Fill an explained window's entry: map summary, peak, frame mass, timesteps."""
    t, y, x = wmap.peak()
    peak: dict[str, Any] = {"t": t, "y": y, "x": x, "frame": int(src[t])}
    if geo is not None:
        peak["u"] = round(geo.crop_box[0] + (x + 0.5 - geo.left) / geo.sx, 1)
        peak["v"] = round(geo.crop_box[1] + (y + 0.5 - geo.top) / geo.sy, 1)
    steps = timestep_attribution(head, part.features[i], part.mask[i], target)
    w["heat"] = _heat_grid(wmap, geo)
    w.update({
        "explained": True, "method": wmap.method, "seconds": round(wmap.seconds, 3),
        "prob": wmap.prob, "signed_total": wmap.signed_total, "peak": peak,
        "frame_mass": [round(float(v), 5) for v in wmap.frame_mass()],
        "timesteps": {"values": [float(v) for v in steps],
                      "frames": _timestep_frames(w["start_frame"], w["stop_frame"],
                                                 part.mask[i])},
    })


#: Cells per side of a window's heat grid in ``explanation.json`` (the platform's overlay).
HEAT_CELLS = 28


def _heat_grid(wmap: WindowMap, geo: SampleGeometry | None) -> dict[str, Any] | None:
    """The window's map summed over its frames, on the crop's picture (padding cut off),
    pooled to at most :data:`HEAT_CELLS` cells a side and scaled to its maximum:
    ``{"box": crop box in source pixels, "grid": rows of values in [0, 1]}`` (``None`` when
    the geometry is unknown). The platform lays it over the video, its opacity following
    the window's ``frame_mass``."""
    import torch.nn.functional as F

    if geo is None:
        return None
    x0, y0, x1, y1 = (round(v) for v in geo.visible())
    spatial = wmap.spatial()[y0:y1, x0:x1]
    if spatial.size == 0:
        return None
    rows = min(HEAT_CELLS, spatial.shape[0])
    cols = min(HEAT_CELLS, spatial.shape[1])
    pooled = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(spatial))[None],
                                   (rows, cols))[0].numpy()
    top = float(pooled.max())
    grid = pooled / top if top > 0 else pooled
    return {"box": list(geo.crop_box), "grid": np.round(grid, 3).tolist()}


def _finish(doc: dict[str, Any], out: Path, strips: dict[int, str]) -> dict[str, Any]:
    doc = json_safe(doc)
    write_json_atomic(out / "explanation.json", doc)
    video = doc["video"]["path"] if doc.get("video") else None
    write_text_atomic(out / "explanation.html", explanation_html(doc, video=video,
                                                                 strips=strips))
    return doc


def explain_store(bundle: Bundle, table: FeatureTable, recording: str, out_dir: Path | str,
                  *, options: ExplainOptions | None = None) -> dict[str, Any]:
    """Explain from stored features: which windows drove the decision and, for a
    sample-level model, which timesteps drove each explained window. A store holds no
    pixels: no maps, video or strips (explain the video for those)."""
    options = options or ExplainOptions()
    out = Path(out_dir)
    doc, part, target = _base_document(bundle, table, recording, None, options)
    chosen = _chosen(doc, options)
    out.mkdir(parents=True, exist_ok=True)
    sample_level = getattr(bundle.estimator, "unit", "sample") == "sample"
    doc["method"] = "integrated-gradients (features)" if sample_level else \
        "leave-one-window-out"
    doc["pixels_note"] = ("explained from a feature store, which holds no pixels: run "
                          "`ictal explain` on the video for saliency maps")
    head = ClassifierHead(bundle.estimator) if sample_level else None
    start = time.perf_counter()
    for i in chosen:
        w = doc["windows"][i]
        w["explained"] = True
        if head is not None:
            steps = timestep_attribution(head, part.features[i], part.mask[i], target)
            w["timesteps"] = {"values": [float(v) for v in steps],
                              "frames": _timestep_frames(w["start_frame"], w["stop_frame"],
                                                         part.mask[i])}
    log.info("explained %d windows from features in %.2f s", len(chosen),
             time.perf_counter() - start)
    return _finish(doc, out, {})
