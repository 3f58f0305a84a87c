"""End-to-end tests of the clinician front-end in headless Chromium against a real server:
log in, load a recording from server storage (progress, patient-data dialog), play, seek and
step frames, set the onset, add an MOI, reload and find it persisted; a stale edit by a second
clinician is reported in a conflict dialog that reloads the server's version."""

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
LONG_MS = 60_000


def _video_time(page: Page) -> float:
    return float(page.evaluate("document.querySelector('video').currentTime"))


def _frame(page: Page) -> int:
    text = page.get_by_test_id("current-frame").inner_text()
    return int(re.search(r"\d+", text).group())  # type: ignore[union-attr]


def _click_timeline_at(page: Page, seconds: float, duration: float) -> None:
    """Click the timeline's plot area (right of the 110 px lane labels) at ``seconds``."""
    svg = page.locator(".timeline-plot svg")
    box = svg.bounding_box()
    assert box is not None
    label_w = 110
    x = label_w + (box["width"] - label_w) * seconds / duration
    svg.click(position={"x": x, "y": 10})


def _wait_video_ready(page: Page) -> None:
    page.wait_for_function("document.querySelector('video')?.readyState >= 2", timeout=LONG_MS)


def test_load_label_and_persist(live_server: Any, browser: Browser, shots: Path) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    preview_statuses: list[int] = []
    page.on("response", lambda r: preview_statuses.append(r.status)
            if r.url.endswith("/preview") and r.request.method == "GET" else None)

    # log-in page: a wrong password is refused with a message
    page.goto(live_server.url)
    page.screenshot(path=shots / "01-login.png")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong username or password")
    log_in(page, live_server, "alice")
    expect(page.get_by_text("No recordings yet")).to_be_visible()

    # landing: load a video from server storage for a new (pseudonymised) patient
    page.get_by_role("button", name="Load from server storage…").click()
    page.get_by_role("button", name="Open folder bed1").click()
    page.get_by_role("option", name=re.compile("seizure_01.mp4")).click()
    page.screenshot(path=shots / "02-storage-dialog.png")
    page.get_by_role("button", name="Load recording").click()

    # the preview progress is shown, then the patient-data dialog is prompted
    patient_dialog = page.get_by_role("dialog", name="Patient data — please complete")
    expect(patient_dialog).to_be_visible(timeout=LONG_MS)
    expect(patient_dialog.get_by_label("Patient code")).to_have_attribute("readonly", "")
    assert patient_dialog.get_by_label("Patient code").input_value().startswith("P-")
    assert page.locator("input[name*='name' i]").count() == 0  # no name fields anywhere
    patient_dialog.get_by_label("Sex").select_option("F")
    patient_dialog.get_by_label("Age (years)").fill("34")
    patient_dialog.get_by_label("Epilepsy syndrome").fill("TLE")
    patient_dialog.get_by_label("Etiology").fill("hippocampal sclerosis")
    patient_dialog.get_by_label("Invasive EEG monitoring").check()
    page.screenshot(path=shots / "03-patient-dialog.png")
    patient_dialog.get_by_role("button", name="Save and open recording").click()

    # labelling screen
    expect(page.get_by_role("heading", name="Recording bed1/seizure_01.mp4")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Patient P-\w+ saved"))).to_be_visible()
    _wait_video_ready(page)
    recording_id = int(page.url.rsplit("/", 1)[1])
    duration = float(page.evaluate("document.querySelector('video').duration"))
    assert duration == pytest.approx(4.0, abs=0.1)
    assert 206 in preview_statuses  # the MP4 is streamed with Range requests

    # play, then pause: time advances
    page.get_by_role("button", name="Play (space)").click()
    page.wait_for_function("document.querySelector('video').currentTime > 0.4", timeout=LONG_MS)
    page.get_by_role("button", name="Pause (space)").click()
    expect(page.get_by_role("button", name="Play (space)")).to_be_visible()

    # seek by clicking the timeline, then step with the keyboard
    _click_timeline_at(page, 2.0, duration)
    assert _video_time(page) == pytest.approx(2.0, abs=0.1)
    before = _frame(page)
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("current-frame")).to_have_text(f"frame {before + 1}")
    page.keyboard.press("Shift+ArrowLeft")
    expected = before + 1 - live_server.fps
    expect(page.get_by_test_id("current-frame")).to_have_text(f"frame {expected}")
    page.keyboard.press("]")
    expect(page.get_by_label("Playback speed")).to_have_value("1.5")

    # onset at 0.5 s creates the seizure event (offset defaults to the end of the recording)
    _click_timeline_at(page, 0.5, duration)
    page.keyboard.press("o")
    expect(page.get_by_text(re.compile("Seizure event created"))).to_be_visible()
    expect(page.get_by_test_id("event-times")).to_contain_text("onset 0:00.480")
    _click_timeline_at(page, 3.0, duration)
    page.keyboard.press("g")
    expect(page.get_by_test_id("event-times")).to_contain_text("tG 0:03.")
    _click_timeline_at(page, 3.6, duration)
    page.keyboard.press("f")
    expect(page.get_by_test_id("event-times")).to_contain_text("offset 0:03.")
    class_form = page.get_by_role("form", name="Event class")
    class_form.get_by_label("Class").fill("TLE")
    class_form.get_by_role("button", name="Set class").click()
    expect(page.get_by_role("button", name=re.compile(r"^TLE: 0:00\.480 – 0:03\."))).to_be_visible()

    # add an MOI through the form
    page.keyboard.press("n")
    form = page.get_by_role("form", name="New MOI")
    form.get_by_label("Body region").select_option("head")
    form.get_by_label("MOI term").select_option("clonic")
    form.get_by_label("Start", exact=True).fill("0:01.000")
    form.get_by_label("End", exact=True).fill("0:02.000")
    form.get_by_role("button", name="Add MOI").click()
    expect(page.get_by_text(re.compile("MOI added: Clonic"))).to_be_visible()
    segment = page.get_by_role(
        "button", name=re.compile(r"^MOI Clonic, Head, 0:01\.000 to 0:02\.000"))
    expect(segment).to_be_visible()
    page.screenshot(path=shots / "04-labelling.png", full_page=True)

    # reload: the MOI was persisted by the server
    page.reload()
    _wait_video_ready(page)
    expect(segment).to_be_visible()
    expect(page.get_by_role("list", name="MOIs of this event")).to_contain_text("Clonic — Head")
    client = live_server.login("alice")
    mois = client.get(f"/api/recordings/{recording_id}/mois").json()
    assert [(m["region"], m["term"], m["start"], m["end"]) for m in mois] == [
        ("head", "clonic", 1.0, 2.0)
    ]
    [event] = client.get(f"/api/recordings/{recording_id}/events").json()
    assert (event["label"], event["t0"], event["tG"]) == ("TLE", 0.48, pytest.approx(3.0, abs=0.05))
    patient = client.get("/api/patients").json()[0]
    assert (patient["sex"], patient["age"], patient["syndrome"], patient["invasive"]) == (
        "F", 34, "TLE", True)

    # delete it again (and see the server agree)
    page.get_by_role("button", name=re.compile(r"^Delete MOI Clonic")).click()
    expect(page.get_by_text(re.compile("MOI deleted: Clonic"))).to_be_visible()
    expect(segment).to_be_hidden()
    assert client.get(f"/api/recordings/{recording_id}/mois").json() == []

    # help overlay
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.screenshot(path=shots / "05-help.png")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()

    # back to the list (menu strip), the recording is listed and filterable; then log out
    page.get_by_role("menuitem", name="File").click()
    page.get_by_role("menuitem", name="Back to recordings").click()
    expect(page.get_by_role("cell", name="bed1/seizure_01.mp4", exact=True)).to_be_visible()
    page.get_by_label("Search").fill("no-such-file")
    expect(page.get_by_text("No recording matches the filters.")).to_be_visible()
    page.get_by_label("Search").fill("seizure_01")
    page.get_by_label("Status").select_option("done")
    expect(page.get_by_role("cell", name="bed1/seizure_01.mp4", exact=True)).to_be_visible()
    page.screenshot(path=shots / "06-landing.png")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page_errors == []
    context.close()


def test_conflicting_edit_is_reported(
    live_server: Any, browser: Browser, shots: Path,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    tiny_video(live_server.storage / "bed2" / "seizure_02.mp4")
    alice_api = live_server.login("alice")
    patient = alice_api.post("/api/patients", json={"syndrome": "FLE"}).json()
    rec = alice_api.post("/api/recordings", json={
        "patient_id": patient["id"], "path": "bed2/seizure_02.mp4", "kind": "rgb"}).json()
    preview_ready(alice_api, rec["id"])
    event = alice_api.post(f"/api/recordings/{rec['id']}/events",
                           json={"t0": 0.0, "t1": 4.0, "label": "seizure"}).json()
    moi = alice_api.post(f"/api/events/{event['id']}/mois", json={
        "region": "left-arm", "term": "tonic", "start": 1.0, "end": 2.0}).json()

    # alice in two browser windows (another clinician may not edit alice's labels at all)
    pages = {}
    for tab in ("alice", "bob"):
        page = browser.new_context(viewport=VIEWPORT).new_page()
        log_in(page, live_server, "alice")
        page.goto(f"{live_server.url}/#/recordings/{rec['id']}")
        page.get_by_role("button", name=re.compile(r"^Edit MOI Tonic")).click()
        pages[tab] = page

    # alice saves first
    alice = pages["alice"]
    alice.get_by_role("form", name="Edit MOI").get_by_label("End", exact=True).fill("0:03.000")
    alice.get_by_role("button", name="Save MOI").click()
    expect(alice.get_by_text(re.compile("MOI saved: Tonic"))).to_be_visible()

    # the second window's edit is based on the old version: the conflict dialog reports it,
    # also once the live update has reloaded that window's labels (the form keeps the version
    # it was filled from: saving on the reloaded row would silently overwrite alice's edit)
    bob = pages["bob"]
    expect(bob.get_by_role("button", name=re.compile(
        r"^MOI Tonic, Left arm, 0:01\.000 to 0:03\.000"))).to_be_visible()
    bob.get_by_role("form", name="Edit MOI").get_by_label("End", exact=True).fill("0:02.500")
    bob.get_by_role("button", name="Save MOI").click()
    dialog = bob.get_by_role("alertdialog", name="Edit conflict")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("was changed by someone else")
    expect(dialog.get_by_label("Differences")).to_contain_text("3")
    bob.screenshot(path=shots / "07-conflict.png")
    dialog.get_by_role("button", name="Reload the server's version").click()
    expect(dialog).to_be_hidden()
    bob_end = bob.get_by_role("form", name="Edit MOI").get_by_label("End", exact=True)
    expect(bob_end).to_have_value("0:03.000")

    current = alice_api.get(f"/api/mois/{moi['id']}").json()
    assert (current["end"], current["version"]) == (3.0, moi["version"] + 1)
    for page in pages.values():
        page.context.close()


def test_model_run_probabilities_on_the_timeline(
    live_server: Any, browser: Browser, shots: Path,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    tiny_video(live_server.storage / "bed3" / "seizure_03.mp4")
    alice_api = live_server.login("alice")
    patient = alice_api.post("/api/patients", json={}).json()
    rec = alice_api.post("/api/recordings", json={
        "patient_id": patient["id"], "path": "bed3/seizure_03.mp4"}).json()
    preview_ready(alice_api, rec["id"])
    fps = live_server.fps
    windows = [
        {"start_frame": i * fps, "stop_frame": (i + 1) * fps, "t_start": float(i),
         "t_stop": float(i + 1), "probs": [p, 1 - p]}
        for i, p in enumerate([0.9, 0.7, 0.2, 0.1])
    ]
    r = live_server.login("carol").post(f"/api/recordings/{rec['id']}/model-runs", json={
        "format": "ictal-predictions/1", "recording": f"rec-{rec['id']}",
        "model": {"name": "lstm-fle-tle", "bundle_sha256": "ab" * 32},
        "labels": ["FLE", "TLE"], "windows": windows,
        "decision": {"label": "FLE", "probs": [0.475, 0.525]}})
    assert r.status_code == 201, r.text

    page = browser.new_context(viewport=VIEWPORT).new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/#/recordings/{rec['id']}")
    runs = page.get_by_label("Model run shown on the timeline")
    expect(runs).to_contain_text("lstm-fle-tle → FLE")
    runs.select_option(value=str(r.json()["id"]))
    expect(page.get_by_label("Prediction classes")).to_contain_text("FLE")
    lines = page.locator(".timeline-plot polyline")
    expect(lines).to_have_count(2)
    # one point per window, the FLE line falling: y grows as p falls (p = 1 at the top)
    ys = [float(pt.split(",")[1]) for pt in lines.nth(0).get_attribute("points").split()]
    assert len(ys) == 4
    assert ys == sorted(ys)
    page.screenshot(path=shots / "08-predictions.png", full_page=True)
    page.context.close()


def test_conflicting_event_edit_can_overwrite(
    live_server: Any, browser: Browser,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    """A stale event edit: the dialog compares the field, and "Overwrite" applies the edit on
    top of the server's version (the typed 409 row is what the retry is based on)."""
    tiny_video(live_server.storage / "bed4" / "seizure_04.mp4")
    alice_api = live_server.login("alice")
    patient = alice_api.post("/api/patients", json={}).json()
    rec = alice_api.post("/api/recordings", json={
        "patient_id": patient["id"], "path": "bed4/seizure_04.mp4", "kind": "rgb"}).json()
    preview_ready(alice_api, rec["id"])
    event = alice_api.post(f"/api/recordings/{rec['id']}/events",
                           json={"t0": 0.5, "t1": 3.0, "label": "seizure"}).json()

    page = browser.new_context(viewport=VIEWPORT).new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/#/recordings/{rec['id']}")
    expect(page.get_by_test_id("event-times")).to_contain_text("onset 0:00.500")

    # alice changes the class from another client, behind this page's back
    r = alice_api.patch(f"/api/events/{event['id']}", json={"version": 1, "label": "FLE"})
    assert r.status_code == 200, r.text

    class_form = page.get_by_role("form", name="Event class")
    class_form.get_by_label("Class").fill("TLE")
    class_form.get_by_role("button", name="Set class").click()
    dialog = page.get_by_role("alertdialog", name="Edit conflict")
    expect(dialog).to_contain_text(f"Seizure event {event['id']} was changed by someone else")
    differences = dialog.get_by_label("Differences")
    expect(differences).to_contain_text("TLE")
    expect(differences).to_contain_text("FLE")
    dialog.get_by_role("button", name="Overwrite with my change").click()
    expect(dialog).to_be_hidden()
    listed = page.get_by_role("button", name=re.compile(r"^TLE: 0:00\.500 – 0:03\.000"))
    expect(listed).to_be_visible()

    current = alice_api.get(f"/api/events/{event['id']}").json()
    assert (current["label"], current["version"]) == ("TLE", 3)
    assert page_errors == []
    page.context.close()
