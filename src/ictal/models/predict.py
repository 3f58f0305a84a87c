"""Apply a bundle to the feature rows of a recording: per-window probabilities and a decision.

The JSON document (``ictal-predictions/1``; the web platform imports it)::

    {"format": "ictal-predictions/1", "recording": str,
     "model": {"name": str, "bundle_sha256": str, "backbone": str, "weights_sha256": str,
               "preprocessing": {"variant": str, "source": str | None,
                                 "overrides": [dotted setting, ...]}},
     "labels": [str, ...],
     "windows": [{"start_frame": int, "stop_frame": int, "t_start": float, "t_stop": float,
                  "probs": [float, ...]}, ...],
     "decision": {"label": str, "probs": [float, ...]},
     "source": {...}}  # optional: what it was computed on (manifest.files.recording_source)

:func:`features_for_recording` runs the whole chain for a recording of a manifest (or a bare
video, :func:`manifest_for_video`): the bundle's preprocessing config (or a validated
override, :func:`~ictal.models.compat.prediction_config`; the settings it changed are
recorded as ``overrides``), ``plan_recording``, sliding-window ``iter_samples`` (the last
window may be shorter: a tail of at least ``temporal.min_leftover`` frames is scored) and the
bundle's backbone (its weights hash is checked).

The decision is the mean of the probabilities of the recording's units: of its windows for a
sample-level model (seizure-level pooling of seeds 000 / 001); a seizure-level model (GESTURES)
sees the whole recording as one seizure - each view's snippets in time order, the views
averaged - and lists no windows.

This module sits on the layers below the models (io, manifest, preprocess, backbones,
features) and applies a bundle; nothing below imports it.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
from pathlib import Path
from typing import Any

import numpy as np

from ictal.backbones import load_backbone
from ictal.errors import CheckpointError, ConfigError, ShapeError
from ictal.features.extract import features_of_samples
from ictal.features.table import FeatureTable
from ictal.fsutil import write_json_atomic, write_text_atomic
from ictal.io import probe
from ictal.manifest import Manifest
from ictal.manifest.io import parse_manifest
from ictal.models.bundle import Bundle
from ictal.models.compat import bundle_config
from ictal.plotting import pyplot, save_png
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.pipeline import iter_samples
from ictal.preprocess.planner import plan_recording

FORMAT = "ictal-predictions/1"


def predict_recording(bundle: Bundle, table: FeatureTable, recording: str) -> dict[str, Any]:
    """The prediction document for the rows of ``recording`` in ``table`` (time order)."""
    rows = np.flatnonzero(table.recording == recording)
    if len(rows) == 0:
        raise ShapeError(f"no feature rows for recording {recording!r}",
                         hint=f"recordings present: {sorted(set(table.recording.tolist()))[:10]}")
    rows = rows[np.argsort(table.t_start[rows], kind="stable")]
    n_features = table.features.shape[2]
    if n_features != bundle.estimator.n_features_in_:
        raise ShapeError(f"the features have {n_features} values per timestep, the model "
                         f"{bundle.name} expects {bundle.estimator.n_features_in_}",
                         hint="extract features with the backbone named in bundle.json")
    labels = bundle.labels
    # the recording is the unit of decision: outside the events it was cut from, its rows are
    # one seizure candidate for a seizure-level model
    part = dataclasses.replace(table.subset(rows), event=np.full(len(rows), "", dtype=str))
    proba = bundle.estimator.predict_proba(part)
    windows: list[dict[str, Any]] = []
    if bundle.estimator.unit == "sample":
        for i, r in enumerate(rows.tolist()):
            windows.append({
                "start_frame": int(table.start_frame[r]), "stop_frame": int(table.stop_frame[r]),
                "t_start": float(table.t_start[r]), "t_stop": float(table.t_stop[r]),
                "probs": [float(p) for p in proba[i]],
            })
    decision = proba.mean(axis=0)
    backbone = bundle.meta.get("backbone", {})
    preprocess = table.attrs.get("preprocess") or {}
    return {
        "format": FORMAT,
        "recording": recording,
        "model": {"name": bundle.name, "bundle_sha256": bundle.sha256,
                  "backbone": backbone.get("name"),
                  "weights_sha256": backbone.get("weights_sha256"),
                  "preprocessing": {
                      "variant": preprocess.get("variant"),
                      "source": (table.attrs.get("plan") or {}).get("source",
                                                                    preprocess.get("source")),
                      "overrides": list(table.attrs.get("overrides", []))}},
        "labels": labels,
        "windows": windows,
        "decision": {"label": labels[int(np.argmax(decision))],
                     "probs": [float(p) for p in decision]},
    }


def predictions_csv(doc: dict[str, Any]) -> str:
    """One CSV row per window: frames, times and one probability column per label."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["recording", "start_frame", "stop_frame", "t_start", "t_stop",
                     *[f"p_{label}" for label in doc["labels"]]])
    for w in doc["windows"]:
        writer.writerow([doc["recording"], w["start_frame"], w["stop_frame"],
                         f"{w['t_start']:.6f}", f"{w['t_stop']:.6f}",
                         *[f"{p:.6f}" for p in w["probs"]]])
    return buf.getvalue()


def timeline_points(windows: list[dict[str, Any]], column: int
                    ) -> tuple[list[float], list[float]]:
    """The line of one class's probability over time, never going back in time.

    Windows that do not overlap (the default stride) are drawn as steps over their spans;
    overlapping ones (``--stride`` below the window length) as a line through their centres.

    Returns:
        ``(times in s, probabilities)``, times non-decreasing.
    """
    ordered = sorted(windows, key=lambda w: (w["t_start"], w["t_stop"]))
    overlapping = any(b["t_start"] < a["t_stop"] for a, b in itertools.pairwise(ordered))
    xs: list[float] = []
    ys: list[float] = []
    if overlapping:
        for w in sorted(ordered, key=lambda w: w["t_start"] + w["t_stop"]):
            xs.append((w["t_start"] + w["t_stop"]) / 2)
            ys.append(w["probs"][column])
        return xs, ys
    for w in ordered:
        xs += [w["t_start"], w["t_stop"]]
        ys += [w["probs"][column], w["probs"][column]]
    return xs, ys


def timeline_png(doc: dict[str, Any], path: Path) -> Path:
    """Class probabilities over time as a PNG (:func:`timeline_points`: steps over the
    windows' spans, or a line through their centres when they overlap)."""
    fig, ax = pyplot().subplots(figsize=(10, 3))
    for j, label in enumerate(doc["labels"]):
        xs, ys = timeline_points(doc["windows"], j)
        ax.plot(xs, ys, label=label, marker="." if len(xs) < 200 else None)
    ax.set(xlabel="time (s)", ylabel="probability", ylim=(-0.02, 1.02),
           title=f"{doc['recording']}: decision {doc['decision']['label']} "
                 f"({max(doc['decision']['probs']):.2f})")
    ax.legend(fontsize=8, loc="upper right")
    return save_png(fig, path)


def write_predictions(doc: dict[str, Any], out_dir: Path | str) -> list[Path]:
    """Write ``<recording>.json``, ``<recording>.csv`` and ``<recording>.png`` to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = doc["recording"]
    write_json_atomic(out / f"{stem}.json", doc)
    write_text_atomic(out / f"{stem}.csv", predictions_csv(doc))
    return [out / f"{stem}.json", out / f"{stem}.csv", timeline_png(doc, out / f"{stem}.png")]


def video_kind(video: Path) -> str:
    """The stream kind of a bare video from its header: ``ir`` for grey frames (8 or 16 bit),
    ``rgb`` for colour ones (night-vision footage stored in a colour format reads as rgb)."""
    return "ir" if probe(video).channels == 1 else "rgb"


def manifest_for_video(video: Path, *, kind: str, depth: Path | None = None,
                       patient: str = "unknown",
                       crop: tuple[int, int, int, int] | None = None) -> Manifest:
    """A one-recording manifest for a bare video file (stream ``kind``, probed frame rate),
    with an optional depth video of the same recording (needed by depth-cropping configs) and
    an optional crop given by hand (``Recording.crop``, px)."""

    def stream(path: Path, stream_kind: str) -> dict[str, Any]:
        info = probe(path)
        return {"kind": stream_kind, "path": str(path.resolve()), "fps": str(info.fps),
                "width": info.width, "height": info.height, "n_frames": info.n_frames}

    streams = [stream(video, kind)] + ([stream(depth, "depth")] if depth is not None else [])
    rid = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in video.stem) or "video"
    if not rid[0].isalnum():
        rid = f"r{rid}"
    data = {"name": rid, "labels": [], "patients": [{"id": patient}],
            "recordings": [{"id": rid, "patient": patient, "streams": streams,
                            **({} if crop is None else {"crop": list(crop)})}],
            "events": [], "mois": []}
    # the user named the files: a depth video may live in another folder
    return parse_manifest(data, source=str(video), root=video.parent, allow_outside_root=True)


def bundle_precision(bundle: Bundle) -> str:
    """The numeric precision of the features a bundle was trained on (``fp32`` unless its
    store recorded another, :meth:`~ictal.backbones.extractor.FeatureExtractor.provenance`)."""
    return str((bundle.meta.get("provenance") or {}).get("precision", "fp32"))


def load_bundle_backbone(bundle: Bundle, *, weights: Path | None = None,
                         weights_dir: Path | None = None, precision: str | None = None) -> Any:
    """The feature extractor the bundle was trained on, checked against its weights hash.

    ``precision`` (``fp32`` / ``bf16``) defaults to the bundle's (:func:`bundle_precision`);
    another one is the caller's explicit choice (``ictal monitor run --precision``)."""
    spec = bundle.meta.get("backbone", {})
    name = spec.get("name")
    if not name:
        raise ConfigError(f"{bundle.path}: the bundle does not name its backbone",
                          hint="train it on features written by `ictal extract`")
    expected = spec.get("weights_sha256")
    extractor = load_backbone(name, weights=weights, weights_dir=weights_dir,
                              pretrained=expected is not None,
                              precision=precision or bundle_precision(bundle))
    if expected is not None and extractor.weights_sha256 != expected:
        raise CheckpointError(
            f"backbone {name}: weights sha256 {extractor.weights_sha256} differ from the "
            f"bundle's {expected}", hint="use the checkpoint the features were extracted with")
    return extractor


def features_for_recording(bundle: Bundle, manifest: Manifest, recording: str,
                           extractor: Any, *, stride: int | None = None,
                           batch_size: int = 8, config: PreprocessConfig | None = None,
                           overrides: list[str] | None = None) -> FeatureTable:
    """Run preprocessing and the backbone over sliding windows of one recording.

    Args:
        config: the preprocessing config (default: the bundle's); an override must come
            from :func:`~ictal.models.compat.prediction_config`, which validated it.
        overrides: the settings ``config`` changed from the bundle's (recorded).
    """
    if config is None:
        config = bundle_config(bundle.meta, where=f"{bundle.path}/bundle.json")
    plan = plan_recording(manifest, recording, config)
    samples = iter_samples(manifest, plan, config, extractor.input_spec, windows="sliding",
                           stride=stride)
    return features_of_samples(samples, extractor, batch_size=batch_size,
                               attrs={**extractor.provenance(), "plan": plan.to_dict(),
                                      "preprocess": config.model_dump(mode="json"),
                                      "overrides": list(overrides or [])})
