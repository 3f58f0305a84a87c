"""``ictal monitor run`` through the CLI: a bed replayed, journal and summary, /metrics,
/beds and /events over HTTP, refusals with their hints."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from pathlib import Path

from tests.monitor.conftest import bundle, pattern, write_scene  # noqa: F401 (fixture)

from ictal.monitor.journal import read_jsonl


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_monitor_run_journals_a_bed_and_serves_it(bundle: Path, tmp_path: Path,  # noqa: F811
                                                 ictal) -> None:
    video = write_scene(tmp_path / "night.mkv",
                        pattern([(4.0, False), (8.0, True), (8.0, False)]), seed=3)
    port = _free_port()
    seen: dict[str, object] = {}

    def poll() -> None:  # what a dashboard sees while the bed runs
        import time

        for _ in range(400):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/events", timeout=5) as r:
                    assert r.headers["Content-Type"] == "text/event-stream"
                    for raw in r:
                        line = raw.decode().strip()
                        if line.startswith("event: alarm"):
                            seen["alarm"] = True
                        if line.startswith("data: ") and "alarm" in seen:
                            seen["data"] = json.loads(line[6:])
                            break
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
                    seen["metrics"] = r.read().decode()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/beds") as r:
                    seen["beds"] = json.loads(r.read())
                return
            except OSError:
                time.sleep(0.05)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    res = ictal("monitor", "run", "--bed", f"night={video}", "--model", bundle, "--out",
                tmp_path / "out", "--speed", "4", "--http", f"127.0.0.1:{port}")
    t.join(30)
    assert res.code == 0, res.text
    assert "bed night: 200 frames, 10 windows scored, 0 not assessable" in res.err
    windows = list(read_jsonl(tmp_path / "out" / "night" / "windows.jsonl"))
    assert [w["n"] for w in windows] == list(range(10))
    assert seen["data"]["action"] == "raised" and seen["data"]["bed"] == "night"
    assert 'ictal_monitor_alarms_total{bed="night"} 1' in seen["metrics"]
    assert seen["beds"]["beds"]["night"]["alarm_active"] in (True, False)
    # a second run resumes: nothing left to do, nothing written twice
    res = ictal("monitor", "run", "--bed", f"night={video}", "--model", bundle, "--out",
                tmp_path / "out", "--speed", "0")
    assert res.code == 0, res.text
    assert len(list(read_jsonl(tmp_path / "out" / "night" / "windows.jsonl"))) == 10


def test_monitor_run_refusals(bundle: Path, tmp_path: Path, ictal) -> None:  # noqa: F811
    video = write_scene(tmp_path / "v.mkv", pattern([(2.0, False)]))
    res = ictal("monitor", "run", "--bed", str(video), "--model", bundle, "--alarm", "x:1")
    assert res.code == 2 and "alarm rule 'x:1' is not known" in res.err
    res = ictal("monitor", "run", "--bed", str(video), "--model", bundle, "--background", "SZ",
                "--background", "NE")
    assert res.code == 2 and "no seizure class" in res.err
    res = ictal("monitor", "run", "--bed", str(tmp_path / "nope.mkv"), "--model", bundle)
    assert res.code == 2 and "no such video file or folder" in res.err
