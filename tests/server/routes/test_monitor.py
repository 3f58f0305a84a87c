"""The live bedside page's API (routes/monitor.py) over journals written by the monitor's own
journal class: beds, windows, alarms, acknowledgements (audited, append-only)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from serverkit import World

from ictal.monitor.journal import BedJournal


def write_bed(data_dir: Path, name: str, scores: list[float | None],
              alarms: list[tuple[str, int]]) -> Path:
    meta = {"bed": name, "source": "x", "fps": "10", "window": 20, "stride": 20,
            "labels": ["NE", "SZ"], "model": {"name": "m", "bundle_sha256": "0"},
            "alarm": "k-of-n:2/3@0.5", "origin": None}
    j = BedJournal.open(data_dir / "monitor" / name, meta, started="now")
    for n, s in enumerate(scores):
        j.windows.write({"bed": name, "n": n, "start_frame": 20 * n, "stop_frame": 20 * n + 20,
                         "t_start": 2.0 * n, "t_stop": 2.0 * n + 2,
                         "state": "scored" if s is not None else "not-assessable",
                         "probs": None if s is None else [1 - s, s], "score": s,
                         "reason": None if s is not None else "frame gap", "latency_s": 0.1,
                         "wall": time.time()})
    for action, n in alarms:
        j.alarms.write({"bed": name, "id": f"{name}-1", "action": action, "n": n,
                        "t": 2.0 * n + 2, "label": "SZ", "score": 0.9, "reason": "2 of 3",
                        "wall": time.time()})
    j.notes.write({"bed": name, "kind": "connected", "message": f"{name}: connected",
                   "frame": 0, "missing": 0, "wall": time.time()})
    j.close()
    return data_dir / "monitor" / name


def test_beds_alarms_and_acknowledgements(world: World) -> None:
    clin = world.client("clin_a")
    assert clin.get("/api/monitor/beds").json() == {"beds": []}
    data = world.app.state.ictal.settings.data_dir
    write_bed(data, "bed1", [0.1, 0.2, None, 0.9, 0.95, 0.2], [("raised", 4)])
    write_bed(data, "bed2", [0.1] * 100, [("raised", 10), ("cleared", 14)])
    beds = clin.get("/api/monitor/beds", params={"seconds": 60}).json()["beds"]
    assert [b["name"] for b in beds] == ["bed1", "bed2"]
    b1, b2 = beds
    assert b1["alarm_active"] and not b2["alarm_active"]
    assert [w["n"] for w in b1["windows"]] == list(range(6))
    assert b1["windows"][2] == {"n": 2, "t_start": 4.0, "t_stop": 6.0,
                                "state": "not-assessable", "probs": None, "score": None,
                                "reason": "frame gap"}
    assert len(b2["windows"]) == 30  # the last 60 s
    assert b1["not_assessable_share"] == 1 / 6 and b1["last_note"] == "bed1: connected"
    assert b2["alarms"][0]["cleared_t"] == 30.0 and b1["labels"] == ["NE", "SZ"]
    # a clinician confirms the alarm; a data scientist may not answer alarms
    ds = world.client("ds_a")
    assert ds.post("/api/monitor/beds/bed1/alarms/bed1-1/acks", json={}).status_code == 403
    r = clin.post("/api/monitor/beds/bed1/alarms/bed1-1/acks",
                  json={"decision": "confirmed", "note": "clonic jerks"})
    assert r.status_code == 201, r.text
    (ack,) = r.json()["acks"]
    assert (ack["user"], ack["decision"], ack["note"]) == ("clin_a", "confirmed", "clonic jerks")
    line = json.loads((data / "monitor" / "bed1" / "acks.jsonl").read_text())
    assert line["alarm"] == "bed1-1" and line["user"] == "clin_a"
    audit = world.client("admin_a").get("/api/audit").json()
    assert isinstance(audit, list), audit
    items = audit
    assert any(e["action"] == "monitor.alarm.confirmed" for e in items)
    for url, code in (("/api/monitor/beds/bed9/alarms/bed1-1/acks", 404),
                      ("/api/monitor/beds/bed1/alarms/bed1-7/acks", 404),
                      ("/api/monitor/beds/bed%201/alarms/bed1-1/acks", 404)):
        assert clin.post(url, json={}).status_code == code, url
    assert clin.post("/api/monitor/beds/bed1/alarms/bed1-1/acks",
                     json={"decision": "maybe"}).status_code == 422
