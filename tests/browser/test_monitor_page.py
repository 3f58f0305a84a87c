"""The live bedside page in headless Chromium: a real ``ictal monitor`` follows a bed into the
server's data folder; its probabilities and its alarm appear on /monitor.html, and a
clinician confirms the alarm (recorded with who and when)."""

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
                                              bundle: Path, tmp_path: Path) -> None:  # noqa: F811
    video = write_scene(tmp_path / "ward1.mkv",
                        pattern([(4.0, False), (8.0, True), (8.0, False)]), seed=5)
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
        banner.get_by_role("button", name="Confirm seizure").click()
        expect(card.get_by_label("Alarm history")).to_contain_text("confirmed by alice")
        _, err = monitor.communicate(timeout=120)
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.wait()
    assert monitor.returncode == 0, err
    ack = json.loads((out / "ward1" / "acks.jsonl").read_text().splitlines()[0])
    assert (ack["alarm"], ack["user"], ack["decision"]) == ("ward1-1", "alice", "confirmed")
    # once the feed has ended the page still shows the bed's last two minutes
    expect(card.get_by_test_id("bed-state")).to_contain_text("00:20")
    page.screenshot(path=shots / "monitor-after.png", full_page=True)
    page.context.close()
