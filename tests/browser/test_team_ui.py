"""Two clinicians on one recording in two browser contexts at once: each sees the other is
viewing, a colleague's save appears on the open page without a reload, and neither can
overwrite the other's labels."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 950}


def test_two_annotators_live(
    live_server: Any, browser: Browser,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    tiny_video(live_server.storage / "bed7" / "seizure_07.mp4")
    alice_api, bob_api = live_server.login("alice"), live_server.login("bob")
    patient = alice_api.post("/api/patients", json={}).json()
    rec = alice_api.post("/api/recordings", json={
        "patient_id": patient["id"], "path": "bed7/seizure_07.mp4", "kind": "rgb"}).json()
    preview_ready(alice_api, rec["id"])
    mine = alice_api.post(f"/api/recordings/{rec['id']}/events",
                          json={"t0": 0.5, "t1": 3.0, "label": "FLE"}).json()

    pages: dict[str, Page] = {}
    errors: list[str] = []
    for user in ("alice", "bob"):
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        log_in(page, live_server, user)
        page.goto(f"{live_server.url}/#/recordings/{rec['id']}")
        pages[user] = page
    expect(pages["alice"].get_by_test_id("presence")).to_have_text(re.compile("bob is viewing"))
    expect(pages["bob"].get_by_test_id("presence")).to_have_text(re.compile("alice is viewing"))

    # bob saves an event of his own: alice's open page shows it without a reload
    r = bob_api.post(f"/api/recordings/{rec['id']}/events",
                     json={"t0": 1.0, "t1": 3.5, "label": "TLE"})
    assert r.status_code == 201, r.text
    expect(pages["alice"].get_by_role("button", name=re.compile(r"^TLE: 0:01\.000"))
           ).to_be_visible(timeout=10_000)
    # bob cannot move alice's onset
    r = bob_api.patch(f"/api/events/{mine['id']}", json={"version": 1, "t0": 0.2})
    assert r.status_code == 403 and "alice" in r.json()["detail"]

    pages["bob"].context.close()
    expect(pages["alice"].get_by_test_id("presence")).to_have_count(0, timeout=10_000)
    pages["alice"].context.close()
    assert errors == []
