"""The live bedside page in headless Chromium: a real ``ictal monitor`` follows a bed into the
server's data folder; its probabilities and its alarm appear on /monitor.html; a clinician
assigns the bed its recording and turns the alarm into a draft seizure event, confirms it on
the recording's labelling timeline (each answer recorded with who and when), and the label
export gives it as a seizure event."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from tests.monitor.conftest import bundle, pattern, write_scene  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def test_alarms_appear_live_and_are_confirmed(live_server: Any, browser: Browser, shots: Path,
                                              bundle: Path, preview_ready: Any  # noqa: F811
                                              ) -> None:
    # the bed's camera file is a recording of the platform too (the bed replays it: offset 0)
    video = write_scene(live_server.storage / "ward1" / "ward1.mkv",
                        pattern([(4.0, False), (8.0, True), (8.0, False)]), seed=5)
    alice = live_server.login("alice")
    patient = alice.post("/api/patients", json={"sex": "U"}).json()
    r = alice.post("/api/recordings", json={"patient_id": patient["id"],
                                            "path": "ward1/ward1.mkv", "kind": "ir"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    page = browser.new_context(viewport={"width": 1300, "height": 800}).new_page()
    page.goto(f"{live_server.url}/monitor.html")
    expect(page.get_by_text("Please log in first")).to_be_visible()
    page.goto(live_server.url)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(live_server.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Recordings")).to_be_visible()
    page.goto(f"{live_server.url}/monitor.html")
    expect(page.get_by_text("No bed is monitored")).to_be_visible()
    out = live_server.data_dir / "monitor"
    monitor = subprocess.Popen([sys.executable, "-m", "ictal", "monitor", "run", "--bed",
                                f"ward1={video}", "--model", str(bundle), "--out", str(out),
                                "--speed", "2"], stderr=subprocess.PIPE, text=True)
    try:
        card = page.get_by_test_id("bed-ward1")
        expect(card).to_be_visible(timeout=60_000)
        expect(card.locator("polyline")).to_have_count(2)
        banner = card.get_by_role("alert")
        expect(banner).to_contain_text("Alarm SZ", timeout=60_000)
        expect(card).to_have_class("bed alarm")
        page.screenshot(path=shots / "monitor-alarm.png", full_page=True)
        expect(card).to_contain_text("Seen in no recording yet")
        form = card.get_by_role("form", name="Assign a recording to bed ward1")
        form.get_by_label("Recording").fill(str(rid))
        form.get_by_role("button", name="Assign").click()
        expect(card).to_contain_text(f"Seen in recording {rid}")
        # drafted once the alarm has cleared: a draft spans its alarm as journaled when it is
        # made (a still-raised alarm's draft ends at the last window so far)
        expect(banner).to_contain_text("Cleared alarm SZ", timeout=60_000)
        card.get_by_role("button", name="Draft event").first.click()
        expect(card.get_by_label("Alarm history")).to_contain_text("draft by alice")
        link = card.get_by_test_id("event-of-ward1-1").first
        expect(link).to_contain_text("draft event")
        expect(link).to_contain_text(f"on recording {rid}")
        _, err = monitor.communicate(timeout=120)
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.wait()
    assert monitor.returncode == 0, err
    # once the feed has ended the page still shows the bed's last two minutes
    expect(card.get_by_test_id("bed-state")).to_contain_text("00:20")
    page.screenshot(path=shots / "monitor-after.png", full_page=True)
    (draft,) = alice.get(f"/api/recordings/{rid}/events").json()
    assert (draft["layer"], draft["review"], draft["label"], draft["monitor_alarm"]) == (
        "monitor", "draft", "SZ", "ward1/ward1-1")
    assert 2.0 <= draft["t0"] <= 6.0 and 10.0 <= draft["t1"] <= 16.0, draft  # shaking 4-12 s

    # the draft on the recording's timeline: a clinician confirms it
    preview_ready(alice, rid)
    link.click()
    expect(page.get_by_role("heading", name="Seizure events")).to_be_visible()
    page.get_by_role("button", name="draft alarm ward1-1").click()
    review = page.get_by_role("group", name="Alarm review")
    expect(review.get_by_test_id("alarm-review")).to_contain_text(
        "Draft from monitor alarm ward1/ward1-1")
    expect(page.get_by_role("button", name=f"Delete seizure event {draft['id']}")
           ).to_have_count(0)
    page.screenshot(path=shots / "monitor-draft-on-timeline.png", full_page=True)
    review.get_by_role("button", name="Confirm seizure").click()
    expect(review.get_by_test_id("alarm-review")).to_contain_text("Confirmed seizure")
    expect(page.get_by_role("button", name="confirmed alarm ward1-1")).to_be_visible()
    lines = [json.loads(x) for x in (out / "ward1" / "acks.jsonl").read_text().splitlines()]
    assert [(a["alarm"], a["user"], a["decision"], a.get("event")) for a in lines] == [
        ("ward1-1", "alice", "draft", None), ("ward1-1", "alice", "confirmed", draft["id"])]
    # the label export that training reads gives it as a seizure event
    m = live_server.login("carol").post("/api/exports/manifest",
                                        json={"recording_ids": [rid]}).json()
    assert [(e["label"], e["meta"]["review"]) for e in m["events"]] == [("SZ", "confirmed")]
    page.goto(f"{live_server.url}/monitor.html")
    expect(page.get_by_test_id("bed-ward1").get_by_label("Alarm history")).to_contain_text(
        "draft by alice")
    expect(page.get_by_test_id("event-of-ward1-1").first).to_contain_text("confirmed event")
    page.context.close()
