"""An in-memory table of per-sample features: what the feature store reads and classifiers use."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ictal.errors import ShapeError


@dataclass
class FeatureTable:
    """Features of N samples with their identities and exact times.

    Attributes:
        features: ``(N, T, F)`` ``float32``; padded timesteps hold ``-1`` (seeds 000/001).
        mask: ``(N, T)`` ``bool``, ``True`` for real timesteps.
        patient, recording, event, label, view: ``(N,)`` ``str`` arrays (``""`` when absent).
        start_frame, stop_frame: ``(N,)`` ``int64`` source frame range ``[start, stop)``.
        fps: ``(N,)`` ``float64`` frame rate of the source stream.
        t_start, t_stop: ``(N,)`` ``float64`` seconds from the recording's start.
        attrs: provenance (backbone, weights hash, preprocessing config, versions).
    """

    features: np.ndarray
    mask: np.ndarray
    patient: np.ndarray
    recording: np.ndarray
    event: np.ndarray
    label: np.ndarray
    view: np.ndarray
    start_frame: np.ndarray
    stop_frame: np.ndarray
    fps: np.ndarray
    t_start: np.ndarray
    t_stop: np.ndarray
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.features.ndim != 3:
            raise ShapeError(f"features must be (N, T, F), got shape {self.features.shape}")
        n, t, _ = self.features.shape
        if self.mask.shape != (n, t):
            raise ShapeError(f"mask must be (N, T) = {(n, t)}, got {self.mask.shape}")
        for f in fields(self):
            if f.name in ("features", "mask", "attrs"):
                continue
            col = getattr(self, f.name)
            if len(col) != n:
                raise ShapeError(f"column {f.name!r} has {len(col)} rows, features have {n}")

    def __len__(self) -> int:
        return int(self.features.shape[0])

    def seizure_key(self) -> np.ndarray:
        """``(N,)`` str: the seizure each row belongs to - its event id, or
        ``rec:<recording>`` for a row outside any event (the recording is then the unit).

        Seizure-level pooling, GESTURES' seizures and the video folds of seed 002 all group
        rows by this key."""
        return np.where(self.event != "", self.event,
                        "rec:" + self.recording.astype(object)).astype(str)

    def seizure_truth(self) -> dict[str, str] | None:
        """Each seizure's class by seed 002's definition: ``temporal.generalised_label`` (TCS)
        when the event has a ``tG``, else ``temporal.focal_label`` (FOS) - whichever snippets
        were sampled from it (with TSN sampling a tonic-clonic seizure may have none after
        ``tG``). Keys are event ids (:meth:`seizure_key`).

        Only for features labelled by Eq. 1 (``temporal.label_rule: gestures``) whose store
        kept the events' times (``attrs["events"]``, written by ``ictal extract``); ``None``
        otherwise (the rows' own labels then decide).
        """
        temporal = (self.attrs.get("preprocess") or {}).get("temporal") or {}
        events = self.attrs.get("events")
        if temporal.get("label_rule") != "gestures" or not isinstance(events, dict):
            return None
        focal = str(temporal.get("focal_label", "FOS"))
        generalised = str(temporal.get("generalised_label", "TCS"))
        return {str(k): generalised if v.get("tG") is not None else focal
                for k, v in events.items()}

    def subset(self, index: np.ndarray) -> FeatureTable:
        """Rows selected by an integer or boolean index, same attrs."""
        kw = {f.name: getattr(self, f.name)[index] for f in fields(self) if f.name != "attrs"}
        return FeatureTable(**kw, attrs=dict(self.attrs))

    @staticmethod
    def concat(tables: list[FeatureTable]) -> FeatureTable:
        """Stack tables with the same feature shape; attrs of the first are kept."""
        if not tables:
            raise ValueError("cannot concatenate zero feature tables")
        kw = {f.name: np.concatenate([getattr(t, f.name) for t in tables])
              for f in fields(FeatureTable) if f.name != "attrs"}
        return FeatureTable(**kw, attrs=dict(tables[0].attrs))
