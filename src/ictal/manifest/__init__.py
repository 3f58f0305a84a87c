"""The dataset manifest: patients, recordings, events and MOI annotations (see the README)."""

from ictal.manifest.io import (
    load_manifest,
    manifest_to_dict,
    parse_manifest,
    save_manifest,
    summarize,
)
from ictal.manifest.schema import (
    STREAM_KINDS,
    Event,
    Manifest,
    MoiAnnotation,
    Montage,
    Patient,
    Recording,
    Stream,
)

__all__ = [
    "STREAM_KINDS",
    "Event",
    "Manifest",
    "MoiAnnotation",
    "Montage",
    "Patient",
    "Recording",
    "Stream",
    "load_manifest",
    "manifest_to_dict",
    "parse_manifest",
    "save_manifest",
    "summarize",
]
