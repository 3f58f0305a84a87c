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


def _stretches(cfg: AlarmConfig, scores: list[float | None]) -> list[tuple[str, float | None]]:
    """(action, onset_t / offset_t) of each change, windows of 2 s."""
    state = AlarmState(cfg, ["NE", "FLE", "TLE"])
    out = []
    for n, w in enumerate(_windows(scores)):
        change = state.update(w | {"t_start": 2.0 * n, "t_stop": 2.0 * n + 2})
        if change is not None:
            out.append((change["action"], change.get("onset_t", change.get("offset_t"))))
    return out


def test_alarms_give_the_stretch_they_stand_for() -> None:
    # k-of-n 2/3: raised on window 5 (windows 3 and 5 hot: onset at window 3's start, 6 s),
    # windows 6, 8 still hot, cleared on window 11 (none of 9-11): offset at window 8's end
    cfg = AlarmConfig("k-of-n", 0.5, 2, 3)
    assert _stretches(cfg, [0.9, 0.1, 0.1, 0.9, 0.1, 0.9, 0.9, 0.2, 0.9, 0.2, 0.2, 0.2]) == [
        ("raised", 6.0), ("cleared", 18.0)]
    # a not-assessable window inside does not move the stretch
    assert _stretches(cfg, [0.1, 0.9, None, 0.9, 0.1, 0.1, 0.1]) == [
        ("raised", 2.0), ("cleared", 8.0)]
    # evidence: grows from window 1 (0.1 does not count), raised on window 4 (1.2), last
    # above the baseline window 5, cleared once at 0 for 2 windows (window 11)
    cfg = AlarmConfig("evidence", 1.0, 1, 2, baseline=0.3)
    assert _stretches(cfg, [0.1, 0.6, 0.6, 0.6, 0.6, 0.5] + [0.0] * 7) == [
        ("raised", 2.0), ("cleared", 12.0)]
