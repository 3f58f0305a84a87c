"""Seizure logs (CSV): times, file names, every problem named by line, and the round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from ictal.errors import ManifestError
from ictal.manifest.seizurelog import (
    event_rows,
    parse_time,
    read_seizure_log,
    seizure_log_text,
)

FILES = {"P01/night1.mp4": "P01-night1", "P01/night2.mp4": "P01-night2",
         "P02/night1.mp4": "P02-night1"}
DURATIONS: dict[str, float | None] = {"P01-night1": 600.0, "P01-night2": 300.0,
                                      "P02-night1": None}


@pytest.mark.parametrize(("text", "seconds"), [
    ("72.4", 72.4), ("0", 0.0), ("01:12.4", 72.4), ("1:01:12", 3672.0), (" 2:00 ", 120.0)])
def test_times_in_seconds_or_clock_notation(text: str, seconds: float) -> None:
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "1:75", "1:60:00", "twelve", "12h"])
def test_what_is_not_a_time(text: str) -> None:
    with pytest.raises(ValueError, match=r"time|minutes"):
        parse_time(text)


def _log(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_log_names_files_by_any_unique_tail(tmp_path: Path) -> None:
    log = _log(tmp_path, "File,Label,Onset,Offset,tG,Semiology\n"
                         "P01/night1.mp4,TCS,00:01:00,00:01:40,00:01:20,automatisms -> TCS\n"
                         "\n"
                         "night2.mp4,FOS,10,25.5,,\n"
                         "/emu/recorder/p02/NIGHT1.mp4,FOS,5,9,,\n")
    with pytest.raises(ManifestError, match="names 2 videos"):
        read_seizure_log(_log(tmp_path, "file,label,onset,offset\nnight1.mp4,FOS,1,2\n", "a.csv"),
                         files=FILES, durations=DURATIONS)
    rows = read_seizure_log(log, files=FILES, durations=DURATIONS)
    assert [(r.line, r.recording, r.label, r.t0, r.t1, r.tG) for r in rows] == [
        (2, "P01-night1", "TCS", 60.0, 100.0, 80.0), (4, "P01-night2", "FOS", 10.0, 25.5, None),
        (5, "P02-night1", "FOS", 5.0, 9.0, None)]
    events = event_rows(rows)
    assert [e["id"] for e in events] == ["P01-night1-e1", "P01-night2-e1", "P02-night1-e1"]
    assert events[0]["semiology"] == "automatisms -> TCS" and "tG" not in events[1]


def test_a_semicolon_log_by_recording_id(tmp_path: Path) -> None:
    log = _log(tmp_path, "recording;label;start;end;id\nP01-night2;TLE;1,5;2\n"
                         "P01-night2;TLE;3;4;mine\n")
    with pytest.raises(ManifestError, match="line 2: onset '1,5' is not a time"):
        read_seizure_log(log, files=FILES, durations=DURATIONS)
    log.write_text("recording;label;start;end;id\nP01-night2;TLE;1.5;2;\nP01-night2;TLE;3;4;mine\n")
    rows = read_seizure_log(log, files=FILES, durations=DURATIONS)
    assert [e["id"] for e in event_rows(rows)] == ["P01-night2-e1", "mine"]


def test_every_problem_is_named_by_line_and_column(tmp_path: Path) -> None:
    log = _log(tmp_path, "file,label,onset,offset,generalisation\n"
                         "P01/night1.mp4,FLE,30,20,\n"          # offset before onset
                         "P01/night2.mp4,FLE,290,310,\n"        # past the video's end
                         "P09/day.mp4,FLE,1,2,\n"               # no such video
                         "P01/night1.mp4,,1,2,\n"               # no label
                         "P01/night1.mp4,TCS,10,20,25\n"        # tG outside the seizure
                         "P01/night1.mp4,FLE,ten,20,\n")        # not a time
    with pytest.raises(ManifestError) as caught:
        read_seizure_log(log, files=FILES, durations=DURATIONS)
    assert "fix the seizure log's lines" in (caught.value.hint or "")
    problems = caught.value.problems
    assert len(problems) == 6, problems
    assert problems[0].startswith("line 2: offset") and "after onset" in problems[0]
    assert problems[1].startswith("line 3: offset") and "past the end" in problems[1]
    assert "line 4: file 'P09/day.mp4' names no readable video" in problems[2]
    assert problems[3] == "line 5: label is empty"
    assert problems[4].startswith("line 6: generalisation")
    assert problems[5].startswith("line 7: onset 'ten' is not a time")


def test_a_header_without_the_needed_columns(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"lacks the column\(s\) file \(or recording\), "
                                            "offset"):
        read_seizure_log(_log(tmp_path, "video_name,label,onset\nx,FLE,1\n"),
                         files=FILES, durations=DURATIONS)
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x01\x9c")
    with pytest.raises(ManifestError, match="save the seizure log as CSV"):
        read_seizure_log(tmp_path / "binary.csv", files=FILES, durations=DURATIONS)


def test_written_logs_read_back_the_same_events(tmp_path: Path) -> None:
    events = [{"id": "a", "recording": "P01-night1", "t0": 1.5, "t1": 9.25, "tG": 4.0,
               "label": "TCS", "seizure_types": "FBTCS", "semiology": "version, clonic"},
              {"id": "b", "recording": "P02-night1", "t0": 0.0, "t1": 3.0, "label": "FOS"}]
    text = seizure_log_text(events, {"P01-night1": "P01/night1.mp4",
                                     "P02-night1": "P02/night1.mp4"})
    rows = read_seizure_log(_log(tmp_path, text), files=FILES, durations=DURATIONS)
    assert event_rows(rows) == events
