"""The journal: durable lines, a torn tail cut, another run's settings refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ictal.errors import ConfigError
from ictal.monitor.journal import BedJournal, read_jsonl

META = {"bed": "b", "source": "x.mkv", "fps": "10", "window": 20, "stride": 20,
        "labels": ["NE", "SZ"], "model": {"name": "m", "bundle_sha256": "0"},
        "alarm": "k-of-n:2/3@0.5", "origin": None}


def test_lines_are_appended_and_a_torn_tail_is_cut(tmp_path: Path) -> None:
    j = BedJournal.open(tmp_path / "b", META, started="t1")
    for n in range(3):
        j.windows.write({"n": n, "state": "scored"})
    j.close()
    with (tmp_path / "b" / "windows.jsonl").open("ab") as fh:
        fh.write(b'{"n": 3, "st')
    assert [w["n"] for w in read_jsonl(tmp_path / "b" / "windows.jsonl")] == [0, 1, 2]
    j = BedJournal.open(tmp_path / "b", META, started="t2")
    assert j.next_window() == 3 and j.meta["started"] == ["t1", "t2"]
    assert (tmp_path / "b" / "windows.jsonl").read_bytes().endswith(b'"scored"}\n')
    j.set_origin(123.5)
    j.close()
    assert BedJournal.open(tmp_path / "b", META, started="t3").meta["origin"] == 123.5
    # a file is created by its first line: nothing was ever adapted or alarmed here
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["bed.json", "windows.jsonl"]


def test_a_journal_of_other_settings_is_refused(tmp_path: Path) -> None:
    BedJournal.open(tmp_path / "b", META, started="t1").close()
    with pytest.raises(ConfigError, match="stride 20") as err:
        BedJournal.open(tmp_path / "b", {**META, "stride": 10}, started="t2")
    assert "another --out folder" in str(err.value.hint)


def test_a_journal_of_another_backbone_precision_is_refused(tmp_path: Path) -> None:
    """A journal from before precisions were recorded ran fp32: it resumes at fp32 and is
    refused at bf16; a bf16 journal is refused at fp32."""
    BedJournal.open(tmp_path / "old", META, started="t1").close()
    BedJournal.open(tmp_path / "old", {**META, "precision": "fp32"}, started="t2").close()
    with pytest.raises(ConfigError, match="backbone precision 'fp32', this run has 'bf16'"):
        BedJournal.open(tmp_path / "old", {**META, "precision": "bf16"}, started="t3")
    bf16 = {**META, "precision": "bf16"}
    BedJournal.open(tmp_path / "new", bf16, started="t1").close()
    assert BedJournal.open(tmp_path / "new", bf16, started="t2").meta["precision"] == "bf16"
    with pytest.raises(ConfigError, match="the same --precision"):
        BedJournal.open(tmp_path / "new", {**META, "precision": "fp32"}, started="t3")
