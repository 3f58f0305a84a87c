"""The annotation time rules, written once (ictal.manifest.timing)."""

from __future__ import annotations

from ictal.manifest.timing import (
    TimeProblem,
    describe,
    event_time_problems,
    moi_time_problems,
)


def test_event_rules() -> None:
    assert event_time_problems(0.0, 1.0, 0.5, duration=1.0, recording="R1") == []
    assert event_time_problems(0.0, 1.0 + 5e-7, None, duration=1.0) == []  # round-off
    assert event_time_problems(2.0, 1.0, 3.0, duration=1.5, recording="R1") == [
        TimeProblem("t1", "offset 1.0 must be after onset t0=2.0"),
        TimeProblem("tG", "3.0 lies outside [t0, t1] = [2.0, 1.0]"),
    ]
    assert event_time_problems(0.0, 2.0, None, duration=1.5, recording="R1") == [
        TimeProblem("t1", "2.0 s is past the end of recording 'R1' (1.500 s)")]
    assert event_time_problems(0.0, 2.0, None) == []  # duration unknown


def test_moi_rules() -> None:
    assert moi_time_problems(0.2, 0.4, event_span=(0.1, 0.5), event="E") == []
    assert moi_time_problems(0.4, 0.2) == [TimeProblem("end", "0.2 must be after start 0.4")]
    found = moi_time_problems(0.0, 0.6, event_span=(0.1, 0.5), event="E")
    assert found == [TimeProblem(None, "MOI [0.0, 0.6] lies outside its event 'E' [0.1, 0.5]")]
    assert describe([*found, TimeProblem("end", "x")]) == (
        "MOI [0.0, 0.6] lies outside its event 'E' [0.1, 0.5]; end: x")
