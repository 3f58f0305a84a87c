"""Model bundles: everything needed to apply a trained classifier to new video.

A bundle is a directory::

    bundle.json   {"format": "ictal-bundle/1", "name", "model_config", "labels",
                   "label_map" {label: output column}, "backbone" {"name", "weights_sha256",
                   "input"}, "preprocessing", "needs" (what a recording must offer:
                   source, variant, depth steps, backbone, weights, revision, window
                   seconds, training frame rates; :func:`~ictal.models.compat.needs_of`),
                   "provenance" (the feature store's attrs), "training" (rows, patients,
                   selection, history summary), "files" {"model.pt": sha256}}
    model.pt      the estimator's state (``torch.save`` of ``estimator.state()``)

The bundle's identity, ``bundle_sha256``, is the SHA-256 of ``bundle.json``, which pins the
weights through their own hash; :func:`load_bundle` verifies it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ictal.errors import CheckpointError
from ictal.fsutil import atomic_path, write_text_atomic
from ictal.jsonutil import json_safe
from ictal.models.base import Estimator
from ictal.models.compat import needs_of
from ictal.models.config import ModelConfig
from ictal.models.registry import build_estimator

FORMAT = "ictal-bundle/1"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Bundle:
    """A loaded bundle: fitted estimator, its config, labels and provenance."""

    path: Path
    meta: dict[str, Any]
    config: ModelConfig
    estimator: Estimator
    sha256: str

    @property
    def labels(self) -> list[str]:
        return list(self.meta["labels"])

    @property
    def name(self) -> str:
        return str(self.meta["name"])


def save_bundle(path: Path | str, estimator: Estimator, config: ModelConfig, *,
                provenance: dict[str, Any], training: dict[str, Any],
                frame_rates: Sequence[float] = ()) -> Path:
    """Write a bundle directory at ``path`` (replaced when it exists); returns the path.

    ``frame_rates``: the frame rates of the training samples (recorded in ``needs``)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    # saved through a file object: torch names the archive's records after a path it is
    # given, and the temporary file's random name would change the bytes and the SHA-256
    with atomic_path(path / "model.pt") as tmp, tmp.open("wb") as fh:
        torch.save(estimator.state(), fh)
    labels = [str(c) for c in estimator.classes_]
    meta = {
        "format": FORMAT,
        "name": config.name,
        "model_config": config.model_dump(mode="json"),
        "labels": labels,
        "label_map": {c: i for i, c in enumerate(labels)},
        "backbone": {"name": provenance.get("backbone"),
                     "weights_sha256": provenance.get("weights_sha256"),
                     "input": provenance.get("input")},
        "preprocessing": provenance.get("preprocess", provenance.get("preprocessing")),
        "windows": {"stride": provenance.get("stride")},
        "needs": {},
        "provenance": provenance,
        "training": json_safe(training),  # undefined metrics (NaN) become null
        "files": {"model.pt": file_sha256(path / "model.pt")},
    }
    meta["needs"] = needs_of(meta, frame_rates)
    text = json.dumps(meta, indent=2, default=str)  # configs may hold inf (e.g. tsn_gamma)
    write_text_atomic(path / "bundle.json", text + "\n")
    return path


def load_bundle(path: Path | str) -> Bundle:
    """Read and verify a bundle directory written by :func:`save_bundle`, or the run folder of
    ``ictal train --final`` that holds one (its ``bundle/``)."""
    path = Path(path)
    if not (path / "bundle.json").exists() and (path / "bundle" / "bundle.json").exists():
        path = path / "bundle"
    meta_path = path / "bundle.json"
    try:
        raw = meta_path.read_bytes()
        meta = json.loads(raw)
    except (OSError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{meta_path}: not a readable ictal bundle ({err})",
                              hint="export one with `ictal train --final`") from err
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{meta_path}: unknown bundle format {meta.get('format')!r}")
    weights = path / "model.pt"
    expected = meta.get("files", {}).get("model.pt")
    if not weights.exists() or file_sha256(weights) != expected:
        raise CheckpointError(f"{weights}: missing or its SHA-256 differs from bundle.json",
                              hint="the bundle is damaged; export it again")
    config = ModelConfig.model_validate(meta["model_config"])
    state = torch.load(weights, map_location="cpu", weights_only=False)
    estimator = build_estimator(config).load_state(state)
    return Bundle(path, meta, config, estimator, hashlib.sha256(raw).hexdigest())
