from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from ictal.features.store import (
    FeatureStoreError,
    empty_table,
    read_features,
    read_provenance,
    shard_path,
    write_features,
)
from ictal.features.table import FeatureTable


def _table(recording: str, n: int, *, backbone: str = "motion", seed: int = 0) -> FeatureTable:
    rng = np.random.default_rng(seed)
    feats = rng.normal(size=(n, 7, 5)).astype(np.float32)
    mask = np.ones((n, 7), bool)
    mask[-1, :3] = False
    feats[-1, :3] = -1.0
    starts = np.arange(n, dtype=np.int64) * 60
    return FeatureTable(
        features=feats, mask=mask,
        patient=np.array(["P1"] * n), recording=np.array([recording] * n),
        event=np.array([f"E{i % 2}" for i in range(n)]), label=np.array(["FLE", "NE"] * (n // 2)
                                                                         + ["FLE"] * (n % 2)),
        view=np.array([""] * n), start_frame=starts, stop_frame=starts + 60,
        fps=np.full(n, 30.0), t_start=starts / 30.0, t_stop=(starts + 60) / 30.0,
        attrs={"backbone": backbone, "weights_sha256": None, "input": {"frames": 60}},
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    t = _table("R1", 5)
    write_features(tmp_path / "R1.h5", t)
    back = read_features(tmp_path / "R1.h5")
    np.testing.assert_array_equal(back.features, t.features)
    np.testing.assert_array_equal(back.mask, t.mask)
    for col in ("patient", "recording", "event", "label", "view", "start_frame", "t_stop"):
        np.testing.assert_array_equal(getattr(back, col), getattr(t, col))
    assert back.attrs == t.attrs
    assert read_provenance(tmp_path / "R1.h5")["backbone"] == "motion"
    with h5py.File(tmp_path / "R1.h5") as h5:
        assert h5["features"].compression == "gzip" and h5["features"].chunks is not None


def test_store_directory_concatenates_shards(tmp_path: Path) -> None:
    write_features(shard_path(tmp_path, "R1"), _table("R1", 4))
    write_features(shard_path(tmp_path, "R2"), _table("R2", 3, seed=1))
    write_features(shard_path(tmp_path, "R3"), empty_table(7, 5, {"backbone": "motion",
                                                                   "weights_sha256": None}))
    table = read_features(tmp_path)
    assert len(table) == 7
    assert list(table.recording) == ["R1"] * 4 + ["R2"] * 3
    assert table.attrs["shards"] == ["R1.h5", "R2.h5", "R3.h5"]


def test_mixed_backbones_are_refused(tmp_path: Path) -> None:
    write_features(shard_path(tmp_path, "R1"), _table("R1", 2))
    write_features(shard_path(tmp_path, "R2"), _table("R2", 2, backbone="i3d"))
    with pytest.raises(FeatureStoreError, match="different backbones"):
        read_features(tmp_path)


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    write_features(tmp_path / "R1.h5", _table("R1", 2))
    before = (tmp_path / "R1.h5").read_bytes()
    bad = _table("R1", 2)
    bad.start_frame = np.array(["a", "b"])  # fails mid-write, after /features was written
    with pytest.raises(Exception):  # noqa: B017 - any failure must leave the old file intact
        write_features(tmp_path / "R1.h5", bad)
    assert (tmp_path / "R1.h5").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["R1.h5"]


def test_clear_errors_for_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(FeatureStoreError, match="no such feature file"):
        read_features(tmp_path / "nothing.h5")
    with pytest.raises(FeatureStoreError, match="holds no shard"):
        read_features(tmp_path)
    with h5py.File(tmp_path / "other.h5", "w") as h5:
        h5["x"] = 1
    with pytest.raises(FeatureStoreError, match="not an ictal feature file"):
        read_features(tmp_path / "other.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with pytest.raises(FeatureStoreError, match="cannot read"):
        read_features(tmp_path / "junk.h5")


def test_the_events_of_every_shard_are_merged_or_dropped(tmp_path: Path) -> None:
    a, b = _table("R1", 2), _table("R2", 2, seed=1)
    a.attrs["events"] = {"E1": {"t0": 0.0, "t1": 9.0, "tG": 5.0, "label": "TCS"}}
    b.attrs["events"] = {"E2": {"t0": 1.0, "t1": 4.0, "tG": None, "label": "FOS"}}
    write_features(shard_path(tmp_path, "R1"), a)
    write_features(shard_path(tmp_path, "R2"), b)
    assert read_features(tmp_path).attrs["events"] == {**a.attrs["events"], **b.attrs["events"]}
    # a shard from before events were kept: the table holds none rather than a part
    b.attrs.pop("events")
    write_features(shard_path(tmp_path, "R2"), b)
    assert "events" not in read_features(tmp_path).attrs


def test_mixed_precisions_are_refused(tmp_path: Path) -> None:
    """A bf16 shard beside fp32 ones (no 'precision' recorded: fp32) is refused at reading,
    and a bf16 run is refused at writing into an fp32 store."""
    from ictal.features.extract import check_store

    fp32 = _table("R1", 2)
    fp32.attrs["key"] = "k32"
    write_features(shard_path(tmp_path, "R1"), fp32)
    bf16 = _table("R2", 2, seed=1)
    bf16.attrs.update(precision="bf16", key="k16")
    write_features(shard_path(tmp_path, "R2"), bf16)
    with pytest.raises(FeatureStoreError, match="precisions") as err:
        read_features(tmp_path)
    assert "'bf16'" in str(err.value) and "'fp32'" in str(err.value)

    store = tmp_path / "only-fp32"
    write_features(shard_path(store, "R1"), fp32)
    with pytest.raises(FeatureStoreError, match=r"differs in: precision") as err:
        check_store(store, bf16.attrs)
    assert "(no weights file, bf16)" in str(err.value)
    assert check_store(store, fp32.attrs) == []
