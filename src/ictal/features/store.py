"""The feature store: per-sample features in chunked, compressed HDF5 files.

A store is a directory holding one HDF5 shard per recording (``<recording>.h5``) and nothing
else; shards are written atomically, so an interrupted extraction leaves only complete shards
and a re-run resumes by skipping them (several workers may fill one store in parallel, one
recording each). :func:`read_features` reads a shard, a merged file or a whole directory.

Layout of a shard (N samples, T timesteps, F features)::

    /features     (N, T, F) float32, chunked by samples, gzip level 4, padded rows = -1
    /mask         (N, T)    bool, True for real timesteps
    /patient /recording /event /label /view      (N,) UTF-8 strings ("" when absent)
    /start_frame /stop_frame                      (N,) int64, source frames [start, stop)
    /fps /t_start /t_stop                         (N,) float64 (frames/s, seconds)
    attrs["provenance"]   JSON: backbone, weights sha256, input spec, preprocessing config and
                          plan, the recording's events (``events``: id -> t0, t1, tG, label;
                          merged over the shards of a store), package versions, creation time
    attrs["format"]       "ictal-features/1"
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from ictal.errors import IctalError
from ictal.features.table import FeatureTable
from ictal.fsutil import atomic_path

FORMAT = "ictal-features/1"
_STRING_COLUMNS = ("patient", "recording", "event", "label", "view")
_NUMERIC_COLUMNS = {"start_frame": np.int64, "stop_frame": np.int64, "fps": np.float64,
                    "t_start": np.float64, "t_stop": np.float64}


class FeatureStoreError(IctalError):
    """A feature file is missing, unreadable or not an ictal feature store."""


def shard_path(store: Path, recording_id: str) -> Path:
    """Where the features of ``recording_id`` live inside the store directory ``store``."""
    return Path(store) / f"{recording_id}.h5"


def write_features(path: Path | str, table: FeatureTable) -> Path:
    """Write ``table`` to the HDF5 file ``path`` atomically (temporary file, then rename)."""
    import h5py

    path = Path(path)
    n, t, f = table.features.shape
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        chunk_rows = max(1, min(n, max(1, (1 << 20) // max(1, t * f * 4))))
        h5.create_dataset("features", data=table.features.astype(np.float32, copy=False),
                          chunks=(chunk_rows, t, f) if n else None,
                          compression="gzip" if n else None, compression_opts=4 if n else None,
                          shuffle=bool(n))
        h5.create_dataset("mask", data=table.mask.astype(bool, copy=False))
        text = h5py.string_dtype("utf-8")
        for name in _STRING_COLUMNS:
            h5.create_dataset(name, data=np.asarray(getattr(table, name), dtype=object),
                              dtype=text)
        for name, dtype in _NUMERIC_COLUMNS.items():
            h5.create_dataset(name, data=np.asarray(getattr(table, name), dtype=dtype))
        h5.attrs["format"] = FORMAT
        h5.attrs["provenance"] = json.dumps(table.attrs, default=str, sort_keys=True)
    return path


def _read_file(path: Path) -> FeatureTable:
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            if h5.attrs.get("format") != FORMAT:
                raise FeatureStoreError(
                    f"{path}: not an ictal feature file (format {h5.attrs.get('format')!r})",
                    hint="create it with `ictal extract`",
                )
            cols: dict[str, Any] = {
                "features": h5["features"][()].astype(np.float32, copy=False),
                "mask": h5["mask"][()].astype(bool),
            }
            for name in _STRING_COLUMNS:
                cols[name] = np.asarray(h5[name].asstr()[()], dtype=str)
            for name in _NUMERIC_COLUMNS:
                cols[name] = h5[name][()]
            attrs = json.loads(h5.attrs["provenance"])
    except OSError as err:
        raise FeatureStoreError(f"{path}: cannot read the feature file ({err})",
                                hint="re-run `ictal extract`; it rewrites damaged shards") from err
    return FeatureTable(**cols, attrs=attrs)


def read_provenance(path: Path | str) -> dict[str, Any]:
    """The provenance attrs of one shard, without reading its arrays."""
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            return dict(json.loads(h5.attrs["provenance"]))
    except (OSError, KeyError) as err:
        raise FeatureStoreError(f"{path}: not a complete ictal feature file") from err


def list_shards(store: Path | str) -> list[Path]:
    """Shards of a store directory, sorted by name."""
    return sorted(p for p in Path(store).glob("*.h5") if not p.name.startswith("."))


def read_features(path: Path | str) -> FeatureTable:
    """Read a feature file, or every shard of a store directory, into one :class:`FeatureTable`.

    Shards must come from the same backbone, weights and precision (``provenance``'s
    ``precision``, absent = ``fp32``); a store mixing them is refused.
    """
    path = Path(path)
    if path.is_dir():
        shards = list_shards(path)
        if not shards:
            raise FeatureStoreError(f"{path}: the feature store holds no shard",
                                    hint="run `ictal extract MANIFEST --out DIR` first")
        tables = [_read_file(p) for p in shards]
        keys = {(t.attrs.get("backbone"), t.attrs.get("weights_sha256"),
                 t.attrs.get("precision", "fp32")) for t in tables}
        if len(keys) > 1:
            raise FeatureStoreError(
                f"{path}: shards come from different backbones / weights / precisions: "
                f"{sorted(map(str, keys))}",
                hint="extract every recording with the same backbone, weights and precision",
            )
        shapes = {t.features.shape[1:] for t in tables if len(t)}
        if len(shapes) > 1:
            raise FeatureStoreError(f"{path}: shards have different feature shapes {shapes}")
        table = FeatureTable.concat([t for t in tables if len(t)] or tables[:1])
        table.attrs["shards"] = [p.name for p in shards]
        events = [t.attrs.get("events") for t in tables]
        if all(isinstance(e, dict) for e in events):  # every shard's events, merged
            table.attrs["events"] = {k: v for e in events for k, v in e.items()}
        else:  # a shard written before events were stored: none rather than some
            table.attrs.pop("events", None)
        return table
    if not path.exists():
        raise FeatureStoreError(f"{path}: no such feature file or store",
                                hint="run `ictal extract MANIFEST --out DIR` first")
    return _read_file(path)


def empty_table(timesteps: int, n_features: int, attrs: dict[str, Any]) -> FeatureTable:
    """A zero-row table with the given feature shape (a recording that yields no sample)."""
    kw: dict[str, Any] = {f.name: np.zeros(0, dtype=str) for f in fields(FeatureTable)
                          if f.name in _STRING_COLUMNS}
    kw.update({name: np.zeros(0, dtype=d) for name, d in _NUMERIC_COLUMNS.items()})
    return FeatureTable(features=np.zeros((0, timesteps, n_features), np.float32),
                        mask=np.zeros((0, timesteps), bool), **kw, attrs=attrs)
