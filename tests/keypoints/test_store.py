"""The keypoint store: round trip, exact times, validation, atomic shards."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ictal.keypoints.store import (
    KeypointStoreError,
    KeypointTrack,
    read_provenance,
    read_store,
    read_track,
    read_track_bytes,
    shard_path,
    write_track,
)


def _track(T: int = 5, three_d: bool = True) -> KeypointTrack:
    rng = np.random.default_rng(0)
    body = rng.uniform(0, 100, (T, 11, 3)).astype(np.float32)
    body[2, 4] = (np.nan, np.nan, 0.0)
    return KeypointTrack(
        recording="R1", fps=Fraction(30000, 1001), width=128, height=106,
        frames=np.arange(T) + 10, body=body, face=rng.uniform(0, 1, (T, 23, 3)),
        body_3d=rng.uniform(0, 3, (T, 11, 3)) if three_d else None, view="large",
        attrs={"source": "test", "models": {"a": "b" * 64}})


def test_round_trip_keeps_arrays_gaps_and_exact_time(tmp_path: Path) -> None:
    track = _track()
    path = write_track(shard_path(tmp_path, "R1"), track)
    back = read_track(path)
    assert back.fps == Fraction(30000, 1001) and back.view == "large"
    np.testing.assert_array_equal(back.frames, np.arange(5) + 10)
    np.testing.assert_array_equal(back.body, track.body)  # NaN gaps compare equal here
    assert np.isnan(back.body[2, 4, 0]) and back.body[2, 4, 2] == 0
    assert back.face_3d is None and back.body_3d is not None
    assert back.times[0] == pytest.approx(10 * 1001 / 30000)
    assert back.attrs == track.attrs
    assert read_provenance(path) == track.attrs
    assert list(read_store(tmp_path)) == ["R1"]
    assert [p.name for p in tmp_path.iterdir()] == ["R1.h5"]  # no temporary left


def test_shapes_and_order_are_checked() -> None:
    with pytest.raises(KeypointStoreError, match=r"body has shape \(5, 10, 3\)"):
        KeypointTrack("R", Fraction(30), 1, 1, np.arange(5), np.zeros((5, 10, 3)),
                      np.zeros((5, 23, 3)))
    with pytest.raises(KeypointStoreError, match="frame indices must increase"):
        KeypointTrack("R", Fraction(30), 1, 1, np.array([0, 2, 1]), np.zeros((3, 11, 3)),
                      np.zeros((3, 23, 3)))


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "x.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(KeypointStoreError, match=r"x\.h5: cannot read"):
        read_track(bad)
    assert read_provenance(bad) is None
    with pytest.raises(KeypointStoreError, match="no shard"):
        read_store(tmp_path / "empty")


def test_a_shard_in_memory_reads_like_its_file(tmp_path: Path) -> None:
    path = write_track(shard_path(tmp_path, "R1"), _track())
    back = read_track_bytes(path.read_bytes())
    np.testing.assert_array_equal(back.body, read_track(path).body)
    assert back.attrs == _track().attrs
    # errors name what the caller calls it, never a temporary path
    with pytest.raises(KeypointStoreError, match=r"^upload: not a readable ictal keypoint"):
        read_track_bytes(b"not hdf5", "upload")
