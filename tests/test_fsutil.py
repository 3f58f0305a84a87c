"""Atomic writes leave recognisable temporary files that a resume removes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ictal.fsutil import atomic_path, is_temporary, remove_temporaries, write_text_atomic


def test_atomic_writes_land_whole_and_failures_leave_nothing(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and is_temporary(tmp) and tmp.suffix == ".json"
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old" and sorted(tmp_path.iterdir()) == [target]


def test_remove_temporaries_removes_only_what_atomic_path_left(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "P001-S1.mkv") as done:
        pass
    kept = [tmp_path / "P001-S1.mkv", tmp_path / ".hidden.mkv", tmp_path / "x.ictal-tmp-1.mkv"]
    for p in kept:
        p.write_bytes(b"")
    stale = [tmp_path / ".P001-S1.ictal-tmp-abcd1234.mkv", tmp_path / ".P002-S1.ictal-tmp-q.h5"]
    for p in stale:
        p.write_bytes(b"")
    assert not done.exists()  # renamed onto its target
    # what a SIGKILL leaves: temporary files, never renamed and never removed
    assert remove_temporaries(tmp_path, stem="P002-S1") == [stale[1]]
    assert remove_temporaries(tmp_path) == [stale[0]]
    assert sorted(tmp_path.iterdir()) == sorted(kept)
    assert remove_temporaries(tmp_path / "missing") == []
