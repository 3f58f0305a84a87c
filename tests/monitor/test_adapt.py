"""Per-bed adaptation from answered alarms, rule replay, and the rule chosen on validation
nights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.errors import ConfigError
from ictal.monitor.adapt import (
    AckFollower,
    AdaptConfig,
    BedAdapter,
    oracle,
    raises,
    simulate,
)
from ictal.monitor.alarms import AlarmConfig, AlarmState, replay
from ictal.monitor.detection import detection_report
from ictal.monitor.selection import DEFAULT_GRID, select_rule

LABELS = ["NE", "FLE", "TLE"]


def _windows(scores: list[float | None], dt: float = 2.0) -> list[dict[str, object]]:
    return [{"n": n, "t_start": dt * n, "t_stop": dt * n + dt,
             "state": "not-assessable" if s is None else "scored",
             "probs": None if s is None else [1 - s, s / 2, s / 2], "score": s}
            for n, s in enumerate(scores)]


def _adapter(rule: AlarmConfig, cfg: AdaptConfig, lead: list[float]
             ) -> tuple[AlarmState, BedAdapter]:
    """A bed whose first alarm was raised by ``lead`` (its last windows)."""
    state = AlarmState(rule, LABELS)
    adapter = BedAdapter(cfg, state)
    for w in _windows(lead):
        adapter.observe(w, state.update(w))
    assert state.count == 1
    return state, adapter


def test_a_rejected_alarm_raises_the_bar_above_its_windows_a_confirmed_one_lowers_it() -> None:
    rule = AlarmConfig("k-of-n", 0.5, 2, 3)
    state = AlarmState(rule, LABELS)
    adapter = BedAdapter(AdaptConfig(0.02, 0.95), state)
    # alarm 1 (windows 0.7, 0.8), cleared, then alarm 2 (0.6, 0.65), both before any answer
    for w in _windows([0.1, 0.7, 0.8, 0.1, 0.1, 0.1, 0.6, 0.65, 0.1, 0.1, 0.1]):
        adapter.observe(w, state.update(w))
    assert state.count == 2 and adapter.leads == {1: [0.1, 0.7, 0.8], 2: [0.1, 0.6, 0.65]}
    change = adapter.review(1, "rejected")
    # 2 of 3 windows >= bar: the second highest score (0.7) must be passed, plus the margin
    assert change is not None and change["bar_before"] == 0.5
    assert change["bar_after"] == pytest.approx(0.72, abs=1e-5) == state.current_bar
    assert not raises(rule, [0.1, 0.7, 0.8], state.current_bar)
    assert adapter.review(1, "confirmed") is None  # answered once
    # the seizure's windows raise up to 0.6 (the second highest): the bar goes back below
    change = adapter.review(2, "confirmed")
    assert change is not None and change["bar_after"] == pytest.approx(0.58, abs=1e-5)
    assert raises(rule, [0.1, 0.6, 0.65], state.current_bar)
    # an answer that is not a decision changes nothing, and is not counted as one
    assert adapter.review(3, "acknowledged") is None and 3 not in adapter.reviewed


def test_the_bar_stops_at_its_highest_value_and_the_evidence_rule_adapts_its_baseline() -> None:
    rule = AlarmConfig("k-of-n", 0.5, 2, 3)
    state, adapter = _adapter(rule, AdaptConfig(0.02, 0.95), [0.99, 0.99, 0.99])
    change = adapter.review(1, "rejected")
    assert change is not None and change["bar_after"] == 0.95
    assert "not below the highest bar" in change["reason"]
    # evidence 1.0 @ 0.3: two windows of 0.9 sum 1.2; a baseline above 0.4 keeps them below
    rule = AlarmConfig("evidence", 1.0, 1, 2, baseline=0.3)
    state, adapter = _adapter(rule, AdaptConfig(0.02, 0.95), [0.0, 0.9, 0.9])
    assert adapter.leads[1] == [0.9, 0.9]
    change = adapter.review(1, "rejected")
    assert change is not None and change["bar_after"] == pytest.approx(0.42, abs=1e-5)
    assert not raises(rule, [0.9, 0.9], state.current_bar)
    with pytest.raises(ConfigError, match="not known"):
        AdaptConfig.parse("threshold:0.1")
    assert AdaptConfig.parse("bar") == AdaptConfig()
    assert AdaptConfig.parse("bar:0.05/0.9").describe() == "bar:0.05/0.9"


def test_answers_only_change_the_windows_after_them() -> None:
    # two identical false bursts 20 s apart (windows 5-6 and 15-16)
    scores = [0.1] * 5 + [0.8, 0.8] + [0.1] * 8 + [0.8, 0.8] + [0.1] * 5
    rule = AlarmConfig("k-of-n", 0.5, 2, 3)
    windows = _windows(scores)
    plain = replay(windows, rule, LABELS, "b")
    assert [a["action"] for a in plain] == ["raised", "cleared"] * 2
    state = AlarmState(rule, LABELS)
    assert plain == [dict(a) for a in _incremental(state, windows)]

    def reject(t: float) -> str:
        return "rejected"

    soon, changes = simulate(windows, rule, LABELS, "b", AdaptConfig(), reject, review_s=5.0)
    assert [a["action"] for a in soon] == ["raised", "cleared"]  # the second burst is silent
    assert [(c["alarm"], c["n"]) for c in changes] == [("b-1", 9)]  # 14 + 5 s: window 9
    late, changes = simulate(windows, rule, LABELS, "b", AdaptConfig(), reject, review_s=40.0)
    assert late == plain  # answered after the second burst: both alarms stand
    assert simulate(windows, rule, LABELS, "b", None, reject)[0] == plain


def _incremental(state: AlarmState, windows: list[dict[str, object]]) -> list[dict[str, object]]:
    out = []
    for w in windows:
        change = state.update(w)
        if change is not None:
            out.append({"bed": "b", "id": f"b-{change['number']}", "action": change["action"],
                        "n": w["n"], "t": w["t_stop"], "label": change["label"],
                        "score": change["score"], "reason": change["reason"],
                        **{k: change[k] for k in ("onset_t", "offset_t") if k in change}})
    return out


def test_the_simulated_clinician_answers_from_the_ground_truth() -> None:
    night = {"seizures": [{"onset_s": 100.0, "offset_s": 130.0}]}
    assert [oracle(night, t) for t in (99.0, 100.0, 134.0, 135.0, 190.0, 191.0)] == [
        "rejected", "confirmed", "confirmed", "acknowledged", "acknowledged", "rejected"]


def test_new_answers_are_read_whole_lines_at_a_time(tmp_path: Path) -> None:
    acks = AckFollower(tmp_path / "acks.jsonl")
    assert acks.new() == []
    with (tmp_path / "acks.jsonl").open("ab") as fh:
        fh.write(b'{"alarm": "b-1", "decision": "rejected"}\n{"alarm": "b-2", "dec')
    assert acks.new() == [("b-1", "rejected")]
    with (tmp_path / "acks.jsonl").open("ab") as fh:
        fh.write(b'ision": "confirmed"}\n')
    assert acks.new() == [("b-2", "confirmed")] and acks.new() == []


def _study(tmp_path: Path) -> tuple[Path, Path]:
    """A validation night of 20 min: a seizure at 600-630 s scoring 0.97, a false burst of
    0.85 at 200-206 s (scratching) and another at 900-906 s, 0.1 elsewhere."""
    night = {"format": "ictal-phantom-night/1", "night": "N01", "syndrome": "FLE",
             "seconds": 1200.0,
             "seizures": [{"id": "N01-sz1", "type": "FLE", "onset_s": 600.0,
                           "offset_s": 630.0, "generalised_s": None}],
             "activities": [{"kind": "scratching", "start_s": 199.0, "end_s": 207.0}]}
    folder = tmp_path / "nights" / "N01"
    folder.mkdir(parents=True)
    (folder / "night.json").write_text(json.dumps(night))
    scores = [0.97 if 600 <= 2 * i < 630 else 0.85 if 200 <= 2 * i < 206 or 900 <= 2 * i < 906
              else 0.1 for i in range(600)]
    bed = tmp_path / "journal" / "N01"
    bed.mkdir(parents=True)
    (bed / "bed.json").write_text(json.dumps({"labels": LABELS, "alarm": "k-of-n:2/3@0.5"}))
    (bed / "windows.jsonl").write_text("".join(json.dumps(w) + "\n" for w in _windows(scores)))
    (bed / "alarms.jsonl").write_text("")
    return tmp_path / "nights", tmp_path / "journal"


def test_the_rule_is_chosen_by_the_stated_criterion(tmp_path: Path) -> None:
    nights, journal = _study(tmp_path)
    sel = select_rule(nights, journal, rules=["k-of-n:2/3@0.5", "k-of-n:2/3@0.9",
                                              "k-of-n:2/3@0.98"])
    rows = {r["rule"]: r for r in sel["rules"]}
    assert (rows["k-of-n:2/3@0.5"]["false_detections"], rows["k-of-n:2/3@0.5"]["within"]) == (
        2, 1)
    assert (rows["k-of-n:2/3@0.9"]["false_detections"], rows["k-of-n:2/3@0.9"]["within"]) == (
        0, 1)
    assert rows["k-of-n:2/3@0.98"]["detected"] == 0 and not rows["k-of-n:2/3@0.98"]["eligible"]
    assert sel["chosen"] == "k-of-n:2/3@0.9"
    # the default grid: every rule valid, each once, as it describes itself
    described = [AlarmConfig.parse(r).describe() for r in DEFAULT_GRID]
    assert len(set(described)) == len(DEFAULT_GRID) == 48
    res = CliRunner().invoke(build_app(), [
        "monitor", "select-rule", str(nights), "--journal", str(journal), "--out",
        str(tmp_path / "sel"), "--rule", "k-of-n:2/3@0.5", "--rule", "k-of-n:2/3@0.9"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "sel" / "selection.json").read_text())["chosen"] == \
        "k-of-n:2/3@0.9"


def test_the_report_replays_a_rule_and_simulates_adaptation(tmp_path: Path) -> None:
    nights, journal = _study(tmp_path)
    rep = detection_report(nights, journal, rule=AlarmConfig.parse("k-of-n:2/3@0.5"))
    assert rep["summary"]["false_detections"] == 2 and rep["rules"]["replayed"]
    # the first false alarm (raised at 204 s) answered 60 s later: the second is silenced
    rep = detection_report(nights, journal, adapt=AdaptConfig(), review_s=60.0)
    assert rep["summary"]["false_detections"] == 1
    assert rep["summary"]["seizures"]["detected"] == 1  # 0.97 stays above the bar (0.87)
    rejected, confirmed = rep["adaptations"]["N01"]
    assert rejected["decision"] == "rejected" and rejected["alarm"] == "N01-1"
    assert rejected["bar_after"] == pytest.approx(0.87, abs=1e-5)
    # the seizure's alarm confirmed: its windows raise up to 0.97, the bar stays
    assert confirmed["decision"] == "confirmed" and confirmed["alarm"] == "N01-2"
    assert confirmed["bar_after"] == confirmed["bar_before"]
    res = CliRunner().invoke(build_app(), [
        "monitor", "report", str(nights), "--journal", str(journal), "--out",
        str(tmp_path / "r"), "--adapt", "bar", "--review-delay", "60"])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "r" / "detection.md").read_text()
    assert "False detections: 1 in" in md and "N01 0.50 -> 0.87r" in md


def test_a_live_bed_adapts_from_the_answers_and_a_restart_keeps_its_bar(bundle: Path,
                                                                       tmp_path: Path) -> None:
    from tests.monitor.conftest import pattern, write_scene

    from ictal.jsonl import read_jsonl
    from ictal.models.bundle import load_bundle
    from ictal.models.compat import prediction_config
    from ictal.models.predict import load_bundle_backbone
    from ictal.monitor.service import Monitor, MonitorSettings
    from ictal.monitor.sources import FileSource

    video = write_scene(tmp_path / "night.mkv", pattern(
        [(10.0, False), (8.0, True), (12.0, False), (8.0, True), (12.0, False)]), seed=7)
    b = load_bundle(bundle)
    config, _ = prediction_config(b.meta)
    rule = AlarmConfig("k-of-n", 0.5, 2, 3)
    adapt = AdaptConfig(0.02, 0.999)

    def monitor(adapt: AdaptConfig | None) -> Monitor:
        return Monitor(b, load_bundle_backbone(b), config,
                       MonitorSettings(out=tmp_path / "out", alarm=rule, adapt=adapt))

    # the platform's answer to the first alarm, there before the alarm is (kept until it is)
    (tmp_path / "out" / "b").mkdir(parents=True)
    (tmp_path / "out" / "b" / "acks.jsonl").write_text(json.dumps(
        {"alarm": "b-1", "user": "nurse", "role": "clinician", "at": "2026-12-03T03:00:00",
         "decision": "rejected", "note": ""}) + "\n")
    mon = monitor(adapt)
    mon.add_bed("b", FileSource(video, speed=0))
    mon.start()
    assert mon.wait(120)
    mon.stop()
    mon.close()
    folder = tmp_path / "out" / "b"
    windows = read_jsonl(folder / "windows.jsonl")
    alarms = [{k: v for k, v in a.items() if k != "wall"} for a in read_jsonl(folder /
                                                                             "alarms.jsonl")]
    changes = read_jsonl(folder / "adapt.jsonl")
    assert alarms[0]["id"] == "b-1" and len(changes) == 1
    assert changes[0]["alarm"] == "b-1" and changes[0]["n"] == alarms[0]["n"] + 1
    assert changes[0]["bar_after"] > 0.5
    # the same answer, simulated at the same moment, gives the same alarms and bar
    first = alarms[0]["t"]
    sim, sim_changes = simulate(windows, rule, b.labels, "b", adapt,
                                lambda t: "rejected" if t == first else "acknowledged",
                                review_s=0.0)
    assert sim == alarms
    assert [{k: v for k, v in c.items() if k != "wall"} for c in changes] == sim_changes
    # a restart replays the journal: the bar and the answered alarm are kept
    again = monitor(adapt)
    bed = again.add_bed("b", FileSource(video, speed=0))
    assert bed.alarm.current_bar == changes[0]["bar_after"] and bed.adapter is not None
    assert bed.adapter.reviewed == {1} and bed.metrics.bar == changes[0]["bar_after"]
    again.close()
    with pytest.raises(ConfigError, match="adapt"):
        monitor(None).add_bed("b", FileSource(video, speed=0))


def test_a_bad_adaptation_is_refused_before_anything_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from ictal.cli import main

    # the console script's entry point, which maps errors to the README's exit codes
    monkeypatch.setattr(sys, "argv", [
        "ictal", "monitor", "run", "--bed", f"b={tmp_path / 'none.mkv'}", "--model",
        str(tmp_path / "no-bundle"), "--out", str(tmp_path / "out"), "--adapt", "threshold"])
    with pytest.raises(SystemExit) as info:
        main.app()
    assert info.value.code == 2
    assert "adaptation 'threshold' is not known" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
