"""Seed 004's signs on the labelling screen: the selected event's checklist saves its signs
(a side brings its dystonia along), undo takes a tick back, a viewer sees them read-only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from tests.browser.conftest import log_in, until

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1500, "height": 1000}


def test_sign_checklist_saves_the_events_signs(
    live_server: Any, browser: Browser, shots: Path,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    tiny_video(live_server.storage / "bed21" / "signs.mp4")
    api = live_server.login("alice")
    patient = api.post("/api/patients", json={}).json()
    rec = api.post("/api/recordings", json={"patient_id": patient["id"],
                                            "path": "bed21/signs.mp4", "kind": "rgb"}).json()
    preview_ready(api, rec["id"])
    ev = api.post(f"/api/recordings/{rec['id']}/events",
                  json={"t0": 0.5, "t1": 3.0, "label": "HKN"}).json()
    signs = lambda: api.get(f"/api/events/{ev['id']}").json()["signs"]  # noqa: E731

    page = browser.new_context(viewport=VIEWPORT).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/#/recordings/{rec['id']}")
    page.get_by_role("button", name="HKN: 0:00.500 – 0:03.000").click()
    checklist = page.get_by_role("group", name="Semiological signs")
    checklist.get_by_label("left").check()
    until(signs, lambda s: s == ["dystonia", "dystonia-left"], "signs after ticking left")
    expect(checklist.get_by_label("Limb dystonia")).to_be_checked()
    checklist.get_by_label("fear").check()
    until(signs, lambda s: s == ["dystonia", "dystonia-left", "emotion", "emotion-fear"],
           "signs after ticking fear")
    page.screenshot(path=shots / "signs-checked.png", full_page=True)
    # undo takes the last tick back; clearing the dystonia clears its side
    page.get_by_role("button", name="Undo", exact=True).click()
    until(signs, lambda s: s == ["dystonia", "dystonia-left"], "signs after undo")
    expect(checklist.get_by_label("fear")).not_to_be_checked()
    checklist.get_by_label("Limb dystonia").uncheck()
    until(signs, lambda s: s == [], "signs after clearing the dystonia")
    expect(checklist.get_by_label("left")).not_to_be_checked()
    assert errors == []
