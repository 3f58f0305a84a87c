"""The monitor end to end on replayed files: the same probabilities as ``ictal predict``,
alarms where the patient shakes, restarts that neither lose nor repeat a window, several beds,
back-pressure."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from tests.monitor.conftest import pattern, write_scene

from ictal.models.bundle import load_bundle
from ictal.models.compat import prediction_config
from ictal.models.predict import (
    features_for_recording,
    load_bundle_backbone,
    manifest_for_video,
    predict_recording,
)
from ictal.monitor.alarms import AlarmConfig
from ictal.monitor.journal import read_jsonl
from ictal.monitor.service import Monitor, MonitorSettings
from ictal.monitor.sources import FileSource, Frame, Source, SourceNote

NIGHT = [(10.0, False), (8.0, True), (12.0, False)]


def _monitor(bundle: Path, out: Path, **kw: object) -> Monitor:
    b = load_bundle(bundle)
    config, _ = prediction_config(b.meta)
    settings = MonitorSettings(out=out, alarm=AlarmConfig("k-of-n", 0.5, 2, 3,
                                                          background=("NE",)), **kw)
    return Monitor(b, load_bundle_backbone(b), config, settings)


def _run(mon: Monitor) -> None:
    mon.start()
    assert mon.wait(120)
    mon.stop()
    mon.close()


def test_a_replayed_file_gives_predicts_probabilities_and_an_alarm(bundle: Path,
                                                                   tmp_path: Path) -> None:
    video = write_scene(tmp_path / "night.mkv", pattern(NIGHT), seed=7)
    mon = _monitor(bundle, tmp_path / "out")
    mon.add_bed("bed1", FileSource(video, speed=0))
    _run(mon)
    windows = list(read_jsonl(tmp_path / "out" / "bed1" / "windows.jsonl"))
    assert [w["n"] for w in windows] == list(range(15))  # 30 s in windows of 2 s
    assert [(w["start_frame"], w["stop_frame"]) for w in windows] == [
        (20 * n, 20 * n + 20) for n in range(15)]
    assert all(w["state"] == "scored" for w in windows)
    # ictal predict on the same file: the same windows, the same probabilities
    b = load_bundle(bundle)
    manifest = manifest_for_video(video, kind="ir")
    rid = manifest.recordings[0].id
    doc = predict_recording(b, features_for_recording(b, manifest, rid, load_bundle_backbone(b)),
                            rid)
    assert len(doc["windows"]) == 15
    for live, ref in zip(windows, doc["windows"], strict=True):
        assert (live["start_frame"], live["stop_frame"]) == (ref["start_frame"],
                                                             ref["stop_frame"])
        np.testing.assert_allclose(live["probs"], ref["probs"], rtol=0, atol=1e-6)
    # the shaking (10-18 s, windows 5-8) raises one alarm, the stillness after clears it
    scores = [w["score"] for w in windows]
    assert min(scores[5:9]) > 0.5 and max(scores[:4] + scores[11:]) < 0.5, scores
    alarms = list(read_jsonl(tmp_path / "out" / "bed1" / "alarms.jsonl"))
    assert [(a["action"], a["id"], a["label"]) for a in alarms] == [
        ("raised", "bed1-1", "SZ"), ("cleared", "bed1-1", "SZ")]
    assert alarms[0]["n"] == 6 and 10 <= alarms[0]["t"] <= 14
    assert all(w["latency_s"] is not None and w["latency_s"] >= 0 for w in windows)
    notes = [n["kind"] for n in read_jsonl(tmp_path / "out" / "bed1" / "notes.jsonl")]
    assert notes[0] == "connected" and "calibrated" in notes and notes[-1] == "ended"


class _Cut(Source):
    """A file's frames up to ``cut`` (then the feed dies, as a killed monitor's would)."""

    def __init__(self, path: Path, cut: int) -> None:
        super().__init__()
        self.inner = FileSource(path, speed=0)
        self.name, self.cut, self.live = self.inner.name, cut, False

    @property
    def fps(self):  # type: ignore[no-untyped-def]
        return self.inner.fps

    def items(self, start: int = 0):  # type: ignore[no-untyped-def]
        for item in self.inner.items(start):
            if isinstance(item, Frame) and item.index >= self.cut:
                return
            yield item


def test_a_restart_neither_loses_nor_repeats_a_window(bundle: Path, tmp_path: Path) -> None:
    video = write_scene(tmp_path / "night.mkv", pattern(NIGHT), seed=7)
    whole = _monitor(bundle, tmp_path / "whole")
    whole.add_bed("b", FileSource(video, speed=0))
    _run(whole)
    # the first run dies before frame 157 (windows 0-6 complete, 7 partly seen; the alarm is
    # up)
    first = _monitor(bundle, tmp_path / "cut")
    bed = first.add_bed("b", _Cut(video, 157))
    _run(first)
    assert bed.windower.next == 7
    # a torn line, as a crash during a write leaves it
    with (tmp_path / "cut" / "b" / "windows.jsonl").open("ab") as fh:
        fh.write(b'{"bed": "b", "n": 7, "sta')
    second = _monitor(bundle, tmp_path / "cut")
    bed2 = second.add_bed("b", FileSource(video, speed=0))
    assert bed2.windower.first_frame == 140 and bed2.alarm.active
    _run(second)
    ref = list(read_jsonl(tmp_path / "whole" / "b" / "windows.jsonl"))
    got = list(read_jsonl(tmp_path / "cut" / "b" / "windows.jsonl"))
    assert [w["n"] for w in got] == [w["n"] for w in ref] == list(range(15))
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a["probs"], b["probs"], rtol=0, atol=1e-6)
    alarms = [(a["action"], a["id"]) for a in
              read_jsonl(tmp_path / "cut" / "b" / "alarms.jsonl")]
    assert alarms == [(a["action"], a["id"]) for a in
                      read_jsonl(tmp_path / "whole" / "b" / "alarms.jsonl")]
    meta = json.loads((tmp_path / "cut" / "b" / "bed.json").read_text())
    assert len(meta["started"]) == 2
    assert meta["background"] == ["NE"]  # what the platform exports a rejected alarm as


def test_gaps_and_a_covered_camera_are_not_assessable(bundle: Path, tmp_path: Path) -> None:
    flags = pattern([(20.0, False)])
    dark = np.zeros(len(flags), bool)
    dark[100:160] = True  # windows 5-7 covered
    video = write_scene(tmp_path / "v.mkv", flags, dark=dark)

    class Gappy(Source):
        def __init__(self) -> None:
            super().__init__()
            self.inner = FileSource(video, speed=0)
            self.name, self.live = "gappy", False

        @property
        def fps(self):  # type: ignore[no-untyped-def]
            return self.inner.fps

        def items(self, start: int = 0):  # type: ignore[no-untyped-def]
            for item in self.inner.items(start):
                if isinstance(item, Frame) and 45 <= item.index < 50:
                    if item.index == 45:
                        yield SourceNote("gap", "lost 5", 45, 5)
                    continue
                yield item

    mon = _monitor(bundle, tmp_path / "out")
    mon.add_bed("b", Gappy())
    _run(mon)
    windows = list(read_jsonl(tmp_path / "out" / "b" / "windows.jsonl"))
    states = {w["n"]: (w["state"], w["reason"]) for w in windows}
    assert states[2] == ("not-assessable", "frame gap: 5 of 20 frames missing")
    for n in (5, 6, 7):
        assert states[n][0] == "not-assessable" and "camera covered" in states[n][1]
    assert {n for n, s in states.items() if s[0] == "scored"} == set(range(10)) - {2, 5, 6, 7}
    snap = mon.snapshot()["beds"]["b"]
    assert snap["not_assessable_share"] == pytest.approx(0.4)
    assert snap["metrics"]["frames_missing"] == 5
    prom = mon.prometheus()
    assert 'ictal_monitor_windows_not_assessable_total{bed="b"} 4' in prom
    assert 'ictal_monitor_frames_missing_total{bed="b"} 5' in prom


def test_compute_behind_drops_windows_visibly(bundle: Path, tmp_path: Path) -> None:
    video = write_scene(tmp_path / "v.mkv", pattern([(20.0, False)]))
    mon = _monitor(bundle, tmp_path / "out", max_pending=1)
    gate = threading.Event()
    bed = mon.add_bed("b", FileSource(video, speed=50))  # live: 50 times the real rate
    real = bed.scorer.score

    def slow(win):  # type: ignore[no-untyped-def]
        gate.wait(10)  # compute stalls until the feed has ended
        return real(win)

    bed.scorer.score = slow  # type: ignore[method-assign]
    mon.start()
    while not bed.done:
        threading.Event().wait(0.05)
    gate.set()
    assert mon.wait(60)
    mon.stop()
    mon.close()
    windows = list(read_jsonl(tmp_path / "out" / "b" / "windows.jsonl"))
    assert [w["n"] for w in windows] == list(range(10))  # in order, none missing
    dropped = [w for w in windows if w["state"] == "dropped"]
    assert dropped and all("compute behind" in w["reason"] for w in dropped)
    assert bed.metrics.windows_dropped == len(dropped)
    assert f'ictal_monitor_windows_dropped_total{{bed="b"}} {len(dropped)}' in mon.prometheus()


@pytest.mark.slow
def test_three_beds_in_real_time(bundle: Path, tmp_path: Path) -> None:
    mon = _monitor(bundle, tmp_path / "out")
    fast = _monitor(bundle, tmp_path / "fast")
    for k in range(3):
        video = write_scene(tmp_path / f"v{k}.mkv", pattern([(2.0 * (k + 1), False),
                                                             (6.0, True), (2.0, False)]),
                            seed=k)
        mon.add_bed(f"bed{k}", FileSource(video, speed=1.0))
        fast.add_bed(f"bed{k}", FileSource(video, speed=0))
    _run(mon)
    _run(fast)
    for k in range(3):
        windows = list(read_jsonl(tmp_path / "out" / f"bed{k}" / "windows.jsonl"))
        assert [w["n"] for w in windows] == list(range(k + 5))
        assert all(w["state"] == "scored" for w in windows)
        alarms = list(read_jsonl(tmp_path / "out" / f"bed{k}" / "alarms.jsonl"))
        assert alarms and alarms[0]["action"] == "raised"
        # the replay for evaluation gives what the real-time one gave
        replay = list(read_jsonl(tmp_path / "fast" / f"bed{k}" / "windows.jsonl"))
        assert [(w["n"], w["state"], w["probs"]) for w in replay] == [
            (w["n"], w["state"], w["probs"]) for w in windows]
        assert [(a["action"], a["n"]) for a in read_jsonl(
            tmp_path / "fast" / f"bed{k}" / "alarms.jsonl")] == [
            (a["action"], a["n"]) for a in alarms]


def test_a_bumped_camera_is_noticed_and_the_crop_planned_again(bundle: Path,
                                                               tmp_path: Path) -> None:
    from tests.monitor.conftest import FPS, scene

    from ictal.io import write_video

    frames = scene(pattern([(24.0, False)]), seed=2)
    bumped = [f if i < 100 else np.roll(f, (9, 22), axis=(0, 1)) for i, f in enumerate(frames)]
    video = write_video(tmp_path / "bumped.mkv", bumped, FPS)
    mon = _monitor(bundle, tmp_path / "out")
    bed = mon.add_bed("b", FileSource(video, speed=0))
    _run(mon)
    notes = [n for n in read_jsonl(tmp_path / "out" / "b" / "notes.jsonl")
             if n["kind"] in ("calibrated", "scene-changed")]
    assert [n["kind"] for n in notes] == ["calibrated", "scene-changed", "calibrated"]
    assert notes[1]["frame"] == 100  # windows 5, 6, 7 differ: noticed on window 7
    assert "recalibrating" in notes[1]["message"] and "clip-002.mkv" in notes[2]["message"]
    assert (tmp_path / "out" / "b" / "calibration" / "clip-002.mkv").exists()
    windows = list(read_jsonl(tmp_path / "out" / "b" / "windows.jsonl"))
    assert len(windows) == 12 and all(w["state"] == "scored" for w in windows)
    assert not bed.scorer.recalibrating
