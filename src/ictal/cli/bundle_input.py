"""What a bundle is applied to, for ``ictal predict`` and ``ictal explain``: a feature store, a
manifest or a bare video file, read once with the same checks and the same messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ictal.errors import ConfigError


@dataclass
class BundleInput:
    """A resolved ``SOURCE`` argument.

    Attributes:
        table: the features of a feature file / store (``None`` for videos).
        manifest: the manifest of the videos (a bare video gets a one-recording manifest).
        settings: the preprocessing the bundle's features need, with the validated
            ``--source`` / ``--config`` overrides (``None`` for a store).
        overrides: what the overrides changed, recorded with the outputs.
        wanted: the recordings to process (``--recording``, else all of them).
    """

    table: Any = None
    manifest: Any = None
    settings: Any = None
    overrides: list[str] = field(default_factory=list)
    wanted: list[str] = field(default_factory=list)

    @property
    def is_features(self) -> bool:
        return self.table is not None


def is_feature_source(source: Path) -> bool:
    """A feature store (folder) or feature file rather than a video or a manifest."""
    return source.is_dir() or source.suffix in (".h5", ".hdf5")


def bundle_input(source: Path, bundle: Any, name: str, *, recording: list[str],
                 stream: str | None, config: Path | None, kind: str | None,
                 depth: Path | None, outside_root: bool,
                 crop: str | None = None) -> BundleInput:
    """Read ``source`` for ``bundle`` (called ``name`` in messages).

    A store must hold the bundle's backbone and preprocessing; a video must be of the stream
    kind the bundle reads (``--kind`` defaults to the video's channels); ``crop``
    (``"x0,y0,x1,y1"`` px) is a bare video's crop given by hand (a manifest's recordings give
    theirs in the manifest).

    Raises:
        ConfigError: overrides given for a store, a missing video file, a ``--kind`` that is
            not a video kind or not the bundle's, a crop for anything but a bare video (usage
            errors, exit code 2).
    """
    if crop is not None and (is_feature_source(source) or source.suffix in (".yaml", ".yml")):
        raise ConfigError("--crop applies to a bare video file",
                          hint="a manifest's recordings are cropped by hand in the manifest "
                               "(`ictal manifest crop`); a store's features are made already")
    from ictal.models.compat import check_store, prediction_config, stream_hint

    if is_feature_source(source):
        from ictal.features.store import read_features

        if stream is not None or config is not None:
            raise ConfigError("--source and --config apply to videos, not to a feature store",
                              hint="the store's features were made already; give the videos "
                                   "to preprocess them another way")
        table = read_features(source)
        check_store(bundle.meta, table.attrs, source, name=name)
        return BundleInput(table=table,
                           wanted=recording or sorted(set(table.recording.tolist())))
    from ictal.models.predict import manifest_for_video, video_kind

    settings, overrides = prediction_config(bundle.meta, source=stream, config_path=config,
                                            name=name)
    if source.suffix in (".yaml", ".yml"):
        from ictal.manifest import load_manifest

        manifest = load_manifest(source, allow_outside_root=outside_root)
    else:
        if not source.exists():
            raise ConfigError(f"{source}: no such video file",
                              hint="give a video, a manifest (.yaml) or a feature store")
        kind = kind or video_kind(source)
        if kind not in ("ir", "rgb"):
            raise ConfigError(f"--kind {kind}: not a video stream kind",
                              hint="use --kind ir or --kind rgb")
        if settings.source not in ("auto", kind):
            raise ConfigError(
                f"{source}: --kind {kind}, but {name} reads {settings.source} video",
                hint=stream_hint(bundle.meta, settings.source, kind,
                                 overridden=stream is not None))
        from ictal.manifest.crop import parse_box

        manifest = manifest_for_video(source, kind=kind, depth=depth,
                                      crop=None if crop is None else parse_box(crop))
    return BundleInput(manifest=manifest, settings=settings, overrides=overrides,
                       wanted=recording or [r.id for r in manifest.recordings])
