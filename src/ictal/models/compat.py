"""Which recordings and feature stores a bundle can serve, and the overrides a user may give.

A bundle's features were made by one preprocessing config and one backbone (``bundle.json``:
``preprocessing``, ``backbone``, ``provenance``). Applying it to a recording means making the
same features again, so:

* the recording must have the stream the config reads (``source``: ``ir``, ``rgb``, or
  ``auto`` -- the rgb stream, else the ir one), unless the user names another with
  ``--source`` (:func:`prediction_config`);
* features made with a depth step (the depth crop of variants ``B`` / ``B0.5`` / ``B+top``,
  the bed seen from above, the depth detectors, detection on depth-cropped infrared) need a
  depth stream registered with the infrared (:func:`depth_steps`); a recording without one,
  or read as rgb, is refused (:func:`check_recording`) and the message says which bundle
  would serve it (one trained with variant ``2d``);
* an override config (``--config``) may change how the crop is found and the stream read
  (source, detection, low light, intensity, ...) but not what a sample is: the frames'
  geometry, the sample length, the top view and the depth steps stay the bundle's
  (:data:`FEATURE_SETTINGS`);
* a feature store must hold features of the bundle's backbone, weights, code revision and
  preprocessing (:func:`check_store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from ictal.errors import ConfigError, IctalError
from ictal.inputspec import REFERENCE_FPS
from ictal.manifest.schema import Recording
from ictal.preprocess.config import PreprocessConfig, config_from_dict, resolve_config
from ictal.preprocess.detector_factory import DEPTH_DETECTORS
from ictal.preprocess.planner import resolved_source, source_kinds
from ictal.timebase import as_fps

#: Settings an override config must share with the bundle's: they decide what a sample is
#: (its frames' geometry, its length, a second picture from above), so features made
#: otherwise are not the features the model learnt from.
FEATURE_SETTINGS = ("frames", "temporal.length", "temporal.sampling", "topview")
#: Settings that change how a run goes, not what it makes (left out of store comparisons).
RUN_SETTINGS = ("decode_threads", "chunk_frames", "qc_frames")
#: What the bundle hint proposes for video without depth.
TRAIN_2D = ("a bundle trained on variant 2d features (`ictal extract MANIFEST --variant 2d "
            "--out STORE`, then `ictal train STORE --out DIR --final`), which serves rgb and "
            "infrared video alone")


class IncompatibleError(ConfigError):
    """A bundle cannot serve a recording or a feature store as asked."""


def bundle_config(meta: dict[str, Any], *, where: str = "bundle.json") -> PreprocessConfig:
    """The preprocessing config a bundle's features were made with (defaults when the
    bundle records none, e.g. one trained on features of another tool)."""
    return config_from_dict(meta.get("preprocessing") or {}, source=where)


def depth_steps(config: PreprocessConfig, source: str) -> list[str]:
    """The steps of ``config`` that need a depth stream when the samples come from a stream
    of kind ``source`` (none for rgb: colour video is never registered with depth)."""
    if source == "rgb":
        return []
    steps = []
    if config.depth_crop.enabled:
        steps.append(f"the depth crop ({config.depth_crop.method})")
    if config.topview.enabled:
        steps.append("the bed seen from above")
    det = config.detection
    if det.enabled and det.detector in DEPTH_DETECTORS:
        steps.append(f"the {det.detector} detector")
    elif det.enabled and det.on_depth_cropped:
        steps.append("detection on the depth-cropped infrared")
    return steps


def needs_of(meta: dict[str, Any], frame_rates: Sequence[float] = ()) -> dict[str, Any]:
    """What a bundle needs of a recording, in plain data (``bundle.json``'s ``needs``).

    Args:
        meta: the bundle's metadata (``preprocessing``, ``backbone``, ``provenance``).
        frame_rates: frame rates of the training samples.
    """
    try:
        config: PreprocessConfig | None = bundle_config(meta)
    except ConfigError:  # features of another tool: nothing known of their preprocessing
        config = None
    backbone = meta.get("backbone") or {}
    spec = backbone.get("input")
    seconds = None
    if config is not None and config.temporal.length is None and (spec or {}).get("frames"):
        # InputSpec.seconds of the recorded input: frames at its fps, or at the reference 30
        seconds = float(Fraction(spec["frames"]) / as_fps(spec.get("fps") or REFERENCE_FPS))
    return {
        "source": None if config is None else config.source,
        "variant": None if config is None else config.variant,
        "depth": None if config is None else depth_steps(config, "ir"),
        "backbone": backbone.get("name"),
        "weights_sha256": backbone.get("weights_sha256"),
        "revision": (meta.get("provenance") or {}).get("revision"),
        "window_seconds": seconds,
        "window_frames": None if config is None else config.temporal.length,
        "frame_rates": sorted({float(f) for f in frame_rates}),
    }


def _flat(data: dict[str, Any], where: str = "") -> dict[str, Any]:
    """``{"a.b": value}`` for every leaf of a nested mapping."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{where}.{key}" if where else str(key)
        if isinstance(value, dict):
            out.update(_flat(value, name))
        else:
            out[name] = value
    return out


def _differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Dotted settings where two config dumps differ."""
    fa, fb = _flat(a), _flat(b)
    return sorted(k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k))


def _under(key: str, prefixes: Sequence[str]) -> bool:
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def prediction_config(meta: dict[str, Any], *, source: str | None = None,
                      config_path: Path | None = None, name: str = "the bundle"
                      ) -> tuple[PreprocessConfig, list[str]]:
    """The preprocessing config to predict with: the bundle's, or the user's override.

    Args:
        meta: the bundle's metadata.
        source: ``--source``: the stream kind to read instead of the bundle's (``ir`` /
            ``rgb`` / ``auto``).
        config_path: ``--config``: a preprocessing YAML file, resolved as ``ictal
            preprocess`` does (:func:`~ictal.preprocess.config.resolve_config`).
        name: how messages name the bundle.

    Returns:
        The config and the dotted settings it changes from the bundle's (recorded with the
        predictions).

    Raises:
        IncompatibleError: the override changes what a sample is
            (:data:`FEATURE_SETTINGS`), adds or drops a depth step, or asks a bundle whose
            features need depth to read rgb video.
    """
    trained = bundle_config(meta, where=f"{name}: bundle.json")
    config = trained if config_path is None else resolve_config(config_path)
    if source is not None:
        if source not in ("ir", "rgb", "auto"):
            raise ConfigError(f"--source {source!r}: not a stream kind",
                              hint="use --source ir, rgb or auto")
        config = config.model_copy(update={"source": source})
    base, new = trained.model_dump(mode="json"), config.model_dump(mode="json")
    changed = _differences(base, new)
    shaping = [k for k in changed if _under(k, FEATURE_SETTINGS)]
    if shaping:
        raise IncompatibleError(
            f"{config_path}: the config changes what a sample is for {name} "
            f"({', '.join(shaping[:6])}); its features would not be the ones the model "
            "learnt from",
            hint="keep the bundle's frames, temporal.length / sampling and topview settings "
                 "(bundle.json, 'preprocessing'); change only how the crop is found or the "
                 "stream is read")
    needed = depth_steps(trained, "ir")
    if depth_steps(config, "ir") != needed:
        raise IncompatibleError(
            f"{config_path}: {name}'s features were made with "
            f"{_join(needed) or 'no depth step'}; the config makes them with "
            f"{_join(depth_steps(config, 'ir')) or 'no depth step'}",
            hint=(f"a model trained with depth steps needs them; for video without depth use "
                  f"{TRAIN_2D}") if needed else
                 "keep the bundle's depth_crop, topview and detection settings that use depth "
                 "(it was trained without any)")
    if needed and config.source == "rgb":
        raise IncompatibleError(
            f"--source rgb: {name}'s features were made with {_join(needed)}, which need "
            "infrared registered with a depth stream; colour video has no depth",
            hint=f"for colour video use {TRAIN_2D}")
    return config, [k for k in changed if not _under(k, RUN_SETTINGS)]


def _join(items: Sequence[str]) -> str:
    """``a, b and c`` (empty for no items)."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def check_recording(meta: dict[str, Any], config: PreprocessConfig, rec: Recording, *,
                    name: str = "the bundle", overridden: bool = False) -> str:
    """The stream kind the bundle will read from ``rec`` with ``config``.

    Raises:
        IncompatibleError: ``rec`` lacks the stream ``config`` reads (the hint says how to
            name another, or which bundle would read it), or the bundle's features need depth
            and ``rec`` has no depth stream registered with its infrared.
    """
    kinds = [s.kind for s in rec.streams]
    source = resolved_source(config, kinds)
    if source is None:
        reads = " or ".join(source_kinds(config))
        raise IncompatibleError(
            f"recording {rec.id} has no {reads} stream (it has {', '.join(kinds)}), and "
            f"{name} reads {reads} video",
            hint=stream_hint(meta, reads, next((k for k in kinds if k in ("ir", "rgb")),
                                               kinds[0]), overridden=overridden))
    trained = bundle_config(meta)
    needed = depth_steps(trained, "ir" if trained.source != "rgb" else "rgb")
    if needed and (source != "ir" or "depth" not in kinds):
        why = (f"it is read as {source} video" if source != "ir"
               else f"it has no depth stream (it has {', '.join(kinds)})")
        raise IncompatibleError(
            f"recording {rec.id}: {name}'s features were made with {_join(needed)} "
            f"(preprocessing variant {trained.variant}), which need a depth stream registered "
            f"with the infrared; {why}",
            hint=f"use {TRAIN_2D}; or give the recording's depth video (--depth FILE for a "
                 "bare video, a depth stream in the manifest)")
    return source


def stream_hint(meta: dict[str, Any], reads: str, have: str, *,
                overridden: bool = False) -> str:
    """What a user of ``ictal predict`` can do when the bundle reads another stream kind."""
    trained = bundle_config(meta)
    if have not in ("ir", "rgb"):
        return f"give a recording with a {reads} stream"
    first = (f"If the video is {reads} footage, pass --kind {reads} (or name the stream "
             f"'{reads}' in the manifest); ")
    if depth_steps(trained, "ir"):
        first = (f"If the video is {reads} footage, pass --kind {reads} and its depth video "
                 "(--depth FILE; the bundle's features need depth), or name the streams in "
                 "the manifest; ")
    if depth_steps(trained, "ir") or overridden:
        other = ""
    else:
        other = (f"if the bundle's features serve {have} video as well, pass --source {have} "
                 "(recorded with the predictions); ")
    return (f"{first}{other}otherwise use a bundle trained on {have} features (`ictal extract "
            f"--config CFG` with `source: {have}` in CFG, or --variant 2d, which reads either, "
            "then `ictal train --final`)")


def _normalised(preprocess: Any) -> Any:
    """A stored preprocessing config with today's defaults filled in and run settings left
    out, so stores and bundles written by older code compare by what they made."""
    if not isinstance(preprocess, dict):
        return preprocess
    try:
        data = config_from_dict(preprocess).model_dump(mode="json")
    except IctalError:
        data = dict(preprocess)
    return {k: v for k, v in data.items() if k not in RUN_SETTINGS}


def setting_of(prov: dict[str, Any]) -> dict[str, Any]:
    """What made a set of features: backbone, weights, code revision, input, numeric
    precision (``fp32`` when not recorded) and preprocessing."""
    keys = ("backbone", "weights_sha256", "revision", "input", "timesteps", "features")
    return {**{k: prov.get(k) for k in keys}, "precision": prov.get("precision", "fp32"),
            "preprocess": _normalised(prov.get("preprocess"))}


def bundle_setting(meta: dict[str, Any]) -> dict[str, Any]:
    """:func:`setting_of` the features a bundle was trained on."""
    prov = dict(meta.get("provenance") or {})
    backbone = meta.get("backbone") or {}
    prov.update({"backbone": backbone.get("name", prov.get("backbone")),
                 "weights_sha256": backbone.get("weights_sha256", prov.get("weights_sha256")),
                 "preprocess": meta.get("preprocessing", prov.get("preprocess"))})
    return setting_of(prov)


def describe(setting: dict[str, Any]) -> str:
    """One line: backbone, weights, revision and preprocessing variant / source."""
    pre = setting.get("preprocess")
    pre_text = (f"preprocessing variant {pre.get('variant', '?')} (source "
                f"{pre.get('source', '?')})" if isinstance(pre, dict)
                else "no preprocessing recorded")
    sha = setting.get("weights_sha256")
    weights = f"weights sha256 {str(sha)[:12]}" if sha else "no weights file"
    revision = f" revision {setting['revision']}" if setting.get("revision") is not None else ""
    if setting.get("precision", "fp32") != "fp32":
        weights += f", {setting['precision']}"
    return f"backbone {setting.get('backbone')}{revision} ({weights}), {pre_text}"


def check_store(meta: dict[str, Any], store_attrs: dict[str, Any], store: Path | str, *,
                name: str = "the bundle") -> None:
    """Refuse a feature store whose features were made otherwise than the bundle's.

    Raises:
        IncompatibleError: the backbone, its weights, the code revision, the input, the
            precision or the preprocessing differ; the message names both settings and
            where they differ.
    """
    ours, theirs = bundle_setting(meta), setting_of(store_attrs)
    if ours == theirs:
        return
    differs = _differences(ours, theirs)
    raise IncompatibleError(
        f"{store}: the feature store's features were made with another setting than "
        f"{name}'s:\n  store:  {describe(theirs)}\n  bundle: {describe(ours)}\n"
        f"  [differs in: {', '.join(differs[:10])}{', ...' if len(differs) > 10 else ''}]",
        hint="predict on the videos instead (`ictal predict MANIFEST --model BUNDLE` runs the "
             "bundle's own preprocessing and backbone), or extract a store with the bundle's "
             "setting (its 'preprocessing' in bundle.json as --config, its backbone)")
