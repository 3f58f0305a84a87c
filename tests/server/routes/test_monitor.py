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
    assert b1["not_assessable_reasons"] == {"frame gap": 1 / 6}
    assert b2["not_assessable_reasons"] == {}
    from ictal.server.routes.monitor import reason_kind
    assert [reason_kind(r) for r in ("patient hidden: 12 % of the bed", "lighting switched (x)",
                                     "calibrating", None)] == [
        "patient hidden", "lighting switched", "calibrating", "unknown"]
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


def _alarm_bed(data_dir: Path, name: str, n_windows: int,
               alarms: list[tuple[int, int, float, float]]) -> None:
    """A bed journal of 2 s windows (score 0.9 inside an alarm, 0.1 elsewhere) and alarms
    ``(raised window, cleared window, onset_t, offset_t)`` as the monitor journals them."""
    meta = {"bed": name, "source": "x", "fps": "10", "window": 20, "stride": 20,
            "labels": ["NE", "SZ"], "model": {"name": "m", "bundle_sha256": "0"},
            "alarm": "k-of-n:2/3@0.5", "background": ["NE"], "origin": None}
    j = BedJournal.open(data_dir / "monitor" / name, meta, started="now")
    hot = {n for r, c, _, _ in alarms for n in range(r - 1, c - 2)}
    for n in range(n_windows):
        s = 0.9 if n in hot else 0.1
        j.windows.write({"bed": name, "n": n, "start_frame": 20 * n, "stop_frame": 20 * n + 20,
                         "t_start": 2.0 * n, "t_stop": 2.0 * n + 2, "state": "scored",
                         "probs": [1 - s, s], "score": s, "reason": None, "latency_s": 0.1,
                         "wall": time.time()})
    for i, (raised, cleared, onset, offset) in enumerate(alarms, 1):
        j.alarms.write({"bed": name, "id": f"{name}-{i}", "action": "raised", "n": raised,
                        "t": 2.0 * raised + 2, "label": "SZ", "score": 0.9,
                        "reason": "2 of 3", "onset_t": onset, "wall": time.time()})
        j.alarms.write({"bed": name, "id": f"{name}-{i}", "action": "cleared", "n": cleared,
                        "t": 2.0 * cleared + 2, "label": "SZ", "score": 0.1,
                        "reason": "none of 3", "offset_t": offset, "wall": time.time()})
    j.close()


def test_alarms_become_draft_events_then_labels(world: World) -> None:
    from serverkit import write_ir_video

    from ictal.manifest import parse_manifest
    from ictal.preprocess.config import PreprocessConfig
    from ictal.preprocess.windows import plan_windows

    settings = world.app.state.ictal.settings
    write_ir_video(settings.storage / "ir" / "night.mkv", n_frames=300)  # 30 s at 10 fps
    clin, ds = world.client("clin_a"), world.client("ds_a")
    patient = clin.post("/api/patients", json={"sex": "M"}).json()
    rec = clin.post("/api/recordings", json={"patient_id": patient["id"],
                                             "path": "ir/night.mkv", "kind": "ir"})
    assert rec.status_code == 201, rec.text
    rid = rec.json()["id"]
    # alarm 1: windows 3-7 hot (onset 6 s, offset 14 s); alarm 2: windows 10-11 (20-24 s)
    _alarm_bed(settings.data_dir, "bed3", 16, [(4, 9, 6.0, 14.0), (11, 14, 20.0, 24.0)])
    acks = "/api/monitor/beds/bed3/alarms/{}/acks"

    # no recording yet: a draft is refused (with the fix), a rejection is recorded without event
    r = clin.post(acks.format("bed3-1"), json={"decision": "draft"})
    assert r.status_code == 422 and "assign it the recording" in r.text
    r = clin.post(acks.format("bed3-2"), json={"decision": "rejected", "note": "turning over"})
    assert r.status_code == 201 and r.json()["event"] is None
    assert (r.json()["onset_t"], r.json()["offset_t"]) == (20.0, 24.0)

    # the bed is seen in the recording from its 4th second: the rejection becomes an event
    r = clin.post("/api/monitor/beds/bed3/recordings", json={"recording_id": rid, "offset": 4})
    assert r.status_code == 201, r.text
    assert r.json() | {"path": "-"} == {"recording_id": rid, "patient_code": patient["code"],
                                        "path": "-", "duration": 30.0, "offset": 4.0}
    r = clin.post(acks.format("bed3-1"), json={"decision": "draft"})
    assert r.status_code == 201, r.text
    draft = r.json()["event"]
    assert (draft["recording_id"], draft["t0"], draft["t1"], draft["label"], draft["review"]) \
        == (rid, 2.0, 10.0, "SZ", "draft")
    evs = {e["monitor_alarm"]: e for e in clin.get(f"/api/recordings/{rid}/events").json()}
    assert set(evs) == {"bed3/bed3-1", "bed3/bed3-2"}
    rejected = evs["bed3/bed3-2"]
    assert (rejected["t0"], rejected["t1"], rejected["review"], rejected["layer"]) == (
        16.0, 20.0, "rejected", "monitor")
    assert evs["bed3/bed3-1"]["origin"]["monitor"]["alarm"] == "bed3-1"
    (bed,) = clin.get("/api/monitor/beds").json()["beds"]
    assert [b["recording_id"] for b in bed["recordings"]] == [rid]
    assert [(a["id"], (a["event"] or {}).get("review")) for a in bed["alarms"]] == [
        ("bed3-1", "draft"), ("bed3-2", "rejected")]
    # another clinic sees neither the assignment nor the events
    (other,) = world.client("clin_b").get("/api/monitor/beds").json()["beds"]
    assert other["recordings"] == [] and all(a["event"] is None for a in other["alarms"])

    def export() -> dict:
        r = ds.post("/api/exports/manifest", json={"recording_ids": [rid]})
        assert r.status_code == 200, r.text
        return r.json()

    # a draft is no label yet; the rejected alarm is a false-alarm interval of NE
    m = export()
    assert [(e["label"], e["t0"], e["t1"], e["meta"]["review"]) for e in m["events"]] == [
        ("NE", 16.0, 20.0, "rejected")]
    assert m["meta"]["monitor_drafts"] == [f"ev-{draft['id']}"]

    # a clinician confirms the draft on the timeline (stale version: 409; the bed's answers
    # get it too); an alarm event is rejected, never deleted
    url = f"/api/events/{draft['id']}/review"
    assert clin.post(url, json={"decision": "confirmed", "version": 99}).status_code == 409
    r = clin.post(url, json={"decision": "confirmed", "version": draft["version"],
                             "note": "clonic jerks on video"})
    assert r.status_code == 200, r.text
    assert r.json()["review"] == "confirmed" and r.json()["version"] == draft["version"] + 1
    assert ds.post(url, json={"decision": "rejected", "version": 2}).status_code == 403
    assert clin.delete(f"/api/events/{draft['id']}",
                       params={"version": r.json()["version"]}).status_code == 403
    line = json.loads((settings.data_dir / "monitor" / "bed3" / "acks.jsonl")
                      .read_text().splitlines()[-1])
    assert (line["alarm"], line["decision"], line["event"]) == ("bed3-1", "confirmed", draft["id"])
    m = export()
    assert [(e["label"], e["t0"], e["t1"]) for e in m["events"]] == [
        ("SZ", 2.0, 10.0), ("NE", 16.0, 20.0)]
    assert m["labels"] == ["NE", "SZ"] and "monitor_drafts" not in m["meta"]
    assert m["events"][0]["meta"]["alarm"] == "bed3/bed3-1"
    # what training cuts from it: SZ windows in the confirmed alarm, NE in the rejected one
    manifest = parse_manifest(m, source="export", check_files=False)
    from fractions import Fraction
    windows = plan_windows(manifest.events, 300, Fraction(10), 20, PreprocessConfig())
    assert [(w.start, w.stop, w.label) for w in windows] == [
        (20, 40, "SZ"), (40, 60, "SZ"), (60, 80, "SZ"), (80, 100, "SZ"), (160, 180, "NE"),
        (180, 200, "NE")]

    # an annotator's own event over the confirmed alarm wins over it
    plain = clin.post(f"/api/recordings/{rid}/events", json={"t0": 1.0, "t1": 9.0,
                                                             "label": "FLE"}).json()
    m = export()
    assert [(e["label"], e["meta"]["layer"]) for e in m["events"]] == [
        ("FLE", "annotator"), ("NE", "monitor")]
    assert m["meta"]["monitor_overlapping"] == [f"ev-{draft['id']}"]
    r = clin.post(f"/api/events/{plain['id']}/review", json={"decision": "confirmed",
                                                             "version": 1})
    assert r.status_code == 422
    audit = world.client("admin_a").get("/api/audit", params={"limit": 200}).json()
    actions = {(e["action"], e["entity"]) for e in audit}
    assert {("monitor.bed.assign", "monitor_bed"), ("monitor.alarm.draft", "monitor_alarm"),
            ("monitor.alarm.rejected", "monitor_alarm"), ("create", "event"),
            ("update", "event")} <= actions
    # a wrong assignment is taken back; the events stay
    assert clin.delete(f"/api/monitor/beds/bed3/recordings/{rid}").status_code == 204
    assert clin.delete(f"/api/monitor/beds/bed3/recordings/{rid}").status_code == 404
    assert len(clin.get(f"/api/recordings/{rid}/events").json()) == 3


def test_a_draft_made_while_the_alarm_is_raised_gets_the_alarm_s_end(world: World) -> None:
    """A draft ends at the last window journaled when it was made; the decision taken after
    the alarm has cleared extends it to the alarm's end, unless a clinician moved its end."""
    from serverkit import write_ir_video

    settings = world.app.state.ictal.settings
    write_ir_video(settings.storage / "ir" / "live.mkv", n_frames=300)  # 30 s at 10 fps
    clin = world.client("clin_a")
    patient = clin.post("/api/patients", json={"sex": "F"}).json()
    rid = clin.post("/api/recordings", json={"patient_id": patient["id"],
                                             "path": "ir/live.mkv", "kind": "ir"}).json()["id"]
    meta = {"bed": "bed4", "source": "x", "fps": "10", "window": 20, "stride": 20,
            "labels": ["NE", "SZ"], "model": {"name": "m", "bundle_sha256": "0"},
            "alarm": "k-of-n:2/3@0.5", "background": ["NE"], "origin": None}
    folder = settings.data_dir / "monitor" / "bed4"

    def windows(j: BedJournal, ns: range) -> None:
        for n in ns:
            j.windows.write({"bed": "bed4", "n": n, "start_frame": 20 * n,
                             "stop_frame": 20 * n + 20, "t_start": 2.0 * n,
                             "t_stop": 2.0 * n + 2, "state": "scored", "probs": [0.1, 0.9],
                             "score": 0.9, "reason": None, "latency_s": 0.1,
                             "wall": time.time()})

    def alarm(j: BedJournal, i: int, action: str, n: int, key: str, t: float) -> None:
        j.alarms.write({"bed": "bed4", "id": f"bed4-{i}", "action": action, "n": n,
                        "t": 2.0 * n + 2, "label": "SZ", "score": 0.9, "reason": "2 of 3",
                        key: t, "wall": time.time()})

    # both alarms raised, windows journaled up to 12 s: each drafted now ends there
    j = BedJournal.open(folder, meta, started="now")
    windows(j, range(6))
    alarm(j, 1, "raised", 2, "onset_t", 2.0)
    alarm(j, 2, "raised", 4, "onset_t", 6.0)
    j.close()
    assert clin.post("/api/monitor/beds/bed4/recordings",
                     json={"recording_id": rid, "offset": 0}).status_code == 201
    acks = "/api/monitor/beds/bed4/alarms/{}/acks"
    drafts = [clin.post(acks.format(f"bed4-{i}"), json={"decision": "draft"}).json()["event"]
              for i in (1, 2)]
    assert [(d["t0"], d["t1"]) for d in drafts] == [(2.0, 12.0), (6.0, 12.0)]
    # a clinician moves the second draft's end by hand
    r = clin.patch(f"/api/events/{drafts[1]['id']}",
                   json={"version": drafts[1]["version"], "t1": 11.0})
    assert r.status_code == 200, r.text
    edited = r.json()
    # the monitor goes on; both alarms clear
    j = BedJournal.open(folder, meta, started="later")
    windows(j, range(6, 10))
    alarm(j, 1, "cleared", 8, "offset_t", 16.0)
    alarm(j, 2, "cleared", 9, "offset_t", 18.0)
    j.close()
    # confirmed on the timeline: extended to the alarm's end (16 s)
    r = clin.post(f"/api/events/{drafts[0]['id']}/review",
                  json={"decision": "confirmed", "version": drafts[0]["version"]})
    assert r.status_code == 200, r.text
    assert (r.json()["t0"], r.json()["t1"], r.json()["review"]) == (2.0, 16.0, "confirmed")
    assert r.json()["origin"]["monitor"]["open"] is False
    # rejected on the live page: the hand-moved end stays
    r = clin.post(acks.format("bed4-2"), json={"decision": "rejected"})
    assert r.status_code == 201, r.text
    ev = r.json()["event"]
    assert (ev["t1"], ev["review"], ev["version"]) == (11.0, "rejected", edited["version"] + 1)
