"""Detection as the field reports it: matching rules, intervals, the report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.errors import ConfigError
from ictal.monitor.detection import (
    detection_report,
    evaluate_night,
    poisson_rate,
    summarise,
    wilson,
    write_report,
)

NIGHT = {"night": "N01", "syndrome": "FLE", "seconds": 3600.0,
         "seizures": [{"id": "s1", "type": "FLE", "onset_s": 600.0, "offset_s": 620.0},
                      {"id": "s2", "type": "FLE+TCS", "onset_s": 2000.0, "offset_s": 2040.0},
                      {"id": "s3", "type": "FLE", "onset_s": 3000.0, "offset_s": 3015.0}],
         "activities": [{"kind": "sitting-up", "start_s": 100.0, "end_s": 120.0}]}


def _alarm(n: int, t: float) -> dict[str, object]:
    return {"id": f"N01-{n}", "action": "raised", "t": t, "label": "FLE"}


def test_intervals() -> None:
    lo, hi = wilson(9, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.5958, 0.9821)  # Wilson's table
    assert all(math.isnan(x) for x in wilson(0, 0))
    rate, lo, hi = poisson_rate(0, 2.0)
    assert rate == 0 and lo == 0 and hi == pytest.approx(3.6889 / 2, abs=1e-4)
    rate, lo, hi = poisson_rate(4, 2.0)
    assert (rate, round(lo * 2, 4), round(hi * 2, 4)) == (2.0, 1.0899, 10.2416)


def test_alarms_are_matched_to_seizures_or_counted_false() -> None:
    alarms = [_alarm(1, 110.0),  # while sitting up: false
              _alarm(2, 606.0),  # s1, 6 s after onset
              _alarm(3, 650.0),  # post-ictal (within 60 s of s1's end): neither
              _alarm(4, 2043.0),  # s2, within the 4 s grace after its end
              _alarm(5, 1500.0)]  # false, during sleep
    windows = [{"t_start": t, "t_stop": t + 2.0, "state": "scored" if t % 100 else
                "not-assessable", "latency_s": 0.1} for t in range(0, 3600, 2)]
    res = evaluate_night(NIGHT, windows, alarms)
    assert [(s["detected"], s["latency_s"]) for s in res["seizures"]] == [
        (True, 6.0), (True, 43.0), (False, None)]
    assert [(f["id"], f["activity"]) for f in res["false"]] == [
        ("N01-1", "sitting-up"), ("N01-5", "sleep")]
    assert res["post_ictal_alarms"] == ["N01-3"]
    assert res["non_seizure_s"] == pytest.approx(3600 - 80 - 100 - 75)
    assert res["not_assessable_share"] == pytest.approx(36 / 1800)
    s = summarise([res])
    assert s["seizures"]["detected"] == 2 and s["seizures"]["within_10s"] == 1
    assert s["by_type"]["FLE"]["n"] == 2 and s["by_type"]["FLE+TCS"]["sensitivity"] == 1.0
    assert s["false_detections"] == 2
    assert s["false_per_hour"] == pytest.approx(2 / ((3600 - 255) / 3600))
    assert s["false_by_activity"] == {"sitting-up": 1, "sleep": 1}


def test_the_report_reads_nights_and_journals(tmp_path: Path) -> None:
    night_dir = tmp_path / "nights" / "N01"
    night_dir.mkdir(parents=True)
    (night_dir / "night.json").write_text(json.dumps(
        {"format": "ictal-phantom-night/1", **NIGHT}))
    with pytest.raises(ConfigError, match="no journal for night N01"):
        detection_report(tmp_path / "nights", tmp_path / "journal")
    bed = tmp_path / "journal" / "N01"
    bed.mkdir(parents=True)
    windows = [{"n": i, "t_start": 2.0 * i, "t_stop": 2.0 * i + 2, "state": "scored",
                "score": 0.9 if 600 <= 2 * i < 620 else 0.1, "latency_s": 0.05}
               for i in range(1800)]
    (bed / "windows.jsonl").write_text("".join(json.dumps(w) + "\n" for w in windows))
    (bed / "alarms.jsonl").write_text(json.dumps({**_alarm(1, 604.0)}) + "\n")
    rep = detection_report(tmp_path / "nights", tmp_path / "journal")
    paths = write_report(rep, tmp_path / "report")
    assert [p.name for p in paths] == ["detection.json", "detection.md", "N01.png"]
    md = (tmp_path / "report" / "detection.md").read_text()
    assert "| FLE | 1 / 2 | 50 %" in md and "False detections: 0 in" in md
    res = CliRunner().invoke(build_app(), ["monitor", "report", str(tmp_path / "nights"),
                                           "--journal", str(tmp_path / "journal"),
                                           "--out", str(tmp_path / "r2")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r2" / "figures" / "N01.png").exists()
