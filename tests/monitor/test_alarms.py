"""Alarm rules: hysteresis, evidence summed over time, not-assessable windows hold the state."""

from __future__ import annotations

import pytest

from ictal.errors import ConfigError
from ictal.monitor.alarms import AlarmConfig, AlarmState


def _windows(scores: list[float | None]) -> list[dict[str, object]]:
    # labels NE, FLE, TLE: the score is FLE + TLE
    return [{"state": "not-assessable", "probs": None} if s is None else
            {"state": "scored", "probs": [1 - s, s * 0.25, s * 0.75]} for s in scores]


def _changes(cfg: AlarmConfig, scores: list[float | None]) -> list[tuple[int, str, str]]:
    state = AlarmState(cfg, ["NE", "FLE", "TLE"])
    out = []
    for n, w in enumerate(_windows(scores)):
        change = state.update(w)
        if change is not None:
            out.append((n, change["action"], change["label"]))
    return out


def test_k_of_n_raises_on_k_hits_and_clears_after_n_quiet_windows() -> None:
    cfg = AlarmConfig("k-of-n", 0.5, 2, 3)
    assert _changes(cfg, [0.9, 0.1, 0.1, 0.9, 0.1, 0.9, 0.9, 0.2, 0.2, 0.2, 0.9]) == [
        (5, "raised", "TLE"), (9, "cleared", "TLE")]
    # a single high window never alarms
    assert _changes(cfg, [0.9, 0.1, 0.1] * 5) == []


def test_not_assessable_windows_neither_raise_nor_clear() -> None:
    cfg = AlarmConfig("k-of-n", 0.5, 2, 3)
    assert _changes(cfg, [0.9, None, None, 0.9, None, 0.1, 0.1, None, 0.1]) == [
        (3, "raised", "TLE"), (8, "cleared", "TLE")]


def test_evidence_sums_probability_over_time() -> None:
    cfg = AlarmConfig("evidence", 1.0, 1, 2, baseline=0.3)
    # 0.6 per window accumulates 0.3: raised on the 4th (1.2 >= 1.0)
    assert _changes(cfg, [0.6, 0.6, 0.6, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0]) == [
        (3, "raised", "TLE"), (8, "cleared", "TLE")]
    # sitting up now and then: single windows of 0.9 do not reach the threshold
    assert _changes(cfg, [0.9, 0.0, 0.0, 0.9, 0.0, 0.9, 0.1, 0.0]) == []


def test_rules_parse_and_bad_ones_are_refused() -> None:
    assert AlarmConfig.parse("k-of-n:3/5@0.7") == AlarmConfig("k-of-n", 0.7, 3, 5)
    assert AlarmConfig.parse("evidence:2@0.4/4").describe() == "evidence:2@0.4/4"
    for bad, match in (("k-of-n:4/3@0.5", "k must lie"), ("votes:1", "not known"),
                       ("k-of-n:x/3", "alarm rule")):
        with pytest.raises(ConfigError, match=match):
            AlarmConfig.parse(bad)
    with pytest.raises(ConfigError, match="no background class"):
        AlarmState(AlarmConfig(), ["FLE", "TLE"])
