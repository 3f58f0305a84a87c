"""Issue 20 in the browser: frame-exact drag and keyboard nudging of edges, undo / redo, new
events of any class; annotator layers (a colleague's read-only, copied into one's own),
agreement, an event's history; the reviewer's consensus screen and the recordings list's
labelling column; the admin screens; a recording's streams; a model run's provenance."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from tests.browser.conftest import log_in, until

from ictal.fsutil import file_fingerprint

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1500, "height": 1000}
FPS = 25


def _user(server: Any, name: str, role: str) -> None:
    """Add ``name`` with ``role`` to the running server's database (once per session)."""
    if (server.data_dir / f".user-{name}").exists():
        return
    subprocess.run([sys.executable, "-m", "ictal", "server", "create-user", name, "--role", role,
                    "--data-dir", str(server.data_dir)], check=True, capture_output=True,
                   timeout=120, env={"ICTAL_NEW_PASSWORD": server.password,
                                     "PATH": "/usr/bin:/bin"})
    (server.data_dir / f".user-{name}").touch()


def _recording(server: Any, tiny_video: Callable[[Path], None],
               preview_ready: Callable[[Any, int], None], path: str) -> tuple[Any, dict]:
    tiny_video(server.storage / path)
    api = server.login("alice")
    patient = api.post("/api/patients", json={}).json()
    rec = api.post("/api/recordings", json={"patient_id": patient["id"], "path": path,
                                            "kind": "rgb"}).json()
    preview_ready(api, rec["id"])
    return api, rec


def _on_frame(t: float) -> bool:
    return abs(t * FPS - round(t * FPS)) < 1e-9


def _vocab(api: Any) -> tuple[str, str]:
    v = api.get("/api/vocabulary").json()
    return v["regions"][0]["code"], v["terms"][0]["code"]


def test_nudge_drag_undo_redo_and_new_event(
    live_server: Any, browser: Browser, shots: Path,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    api, rec = _recording(live_server, tiny_video, preview_ready, "bed20/edit.mp4")
    ev = api.post(f"/api/recordings/{rec['id']}/events",
                  json={"t0": 0.5, "t1": 3.0, "label": "FLE"}).json()
    region, term = _vocab(api)
    moi = api.post(f"/api/events/{ev['id']}/mois",
                   json={"region": region, "term": term, "start": 1.0, "end": 2.0}).json()
    event = lambda: api.get(f"/api/events/{ev['id']}").json()  # noqa: E731

    page = browser.new_context(viewport=VIEWPORT).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/#/recordings/{rec['id']}")
    onset = page.locator(f'[data-edge="event-{ev["id"]}-t0"]')
    onset.click()
    expect(page.get_by_test_id("selected-edge")).to_have_text(
        f"Selected: onset of event {ev['id']}")
    # 0.5 s is mid-frame 12: one frame later is frame 13 (0.52 s), then ten more (0.92 s)
    page.keyboard.press(".")
    expect(page.locator(f'[data-edge="event-{ev["id"]}-t0"]')).to_have_attribute(
        "aria-label", re.compile(r"at 0:00\.520$"))
    page.keyboard.press(">")
    t0 = until(lambda: event()["t0"], lambda t: abs(t - 0.92) < 1e-9, "onset after > ")
    assert _on_frame(t0)
    page.get_by_role("button", name="Nudge -1 frame").click()
    until(lambda: event()["t0"], lambda t: abs(t - 0.88) < 1e-9, "onset after -1")

    # drag the offset ~ a second earlier: it lands on a frame start
    box = page.locator(f'[data-edge="event-{ev["id"]}-t1"]').bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + 40
    page.mouse.move(x, y)
    page.mouse.down()
    for dx in range(10, 130, 10):
        page.mouse.move(x - dx, y)
    page.mouse.up()
    t1 = until(lambda: event()["t1"], lambda t: t < 2.9, "offset after the drag")
    assert _on_frame(t1) and t1 > 0.88
    page.screenshot(path=shots / "20-dragged.png", full_page=True)

    # undo the drag, redo it, undo it and the -1 nudge
    page.keyboard.press("Control+z")
    until(lambda: event()["t1"], lambda t: t == 3.0, "offset after undo")
    page.keyboard.press("Control+Shift+z")
    until(lambda: event()["t1"], lambda t: t == t1, "offset after redo")
    # the page shows the saved redo
    expect(page.locator(f'[data-edge="event-{ev["id"]}-t1"]')).to_have_attribute(
        "aria-label", re.compile(rf"at {int(t1 // 60)}:{t1 % 60:06.3f}$"))
    page.keyboard.press("Control+z")
    until(lambda: event()["t1"], lambda t: t == 3.0, "offset after the second undo")
    page.get_by_role("button", name="Undo", exact=True).click()
    until(lambda: event()["t0"], lambda t: abs(t - 0.92) < 1e-9, "onset after undo")

    # the MOI's end, ten frames earlier
    page.locator(f'[data-edge="moi-{moi["id"]}-end"]').click()
    page.keyboard.press("<")
    end = until(lambda: api.get(f"/api/mois/{moi['id']}").json()["end"],
                 lambda t: abs(t - 1.6) < 1e-9, "MOI end after <")
    assert _on_frame(end)
    # keys pressed while a save is in flight wait their turn: undo and redo back to back are
    # two saves (two versions more), each with the version the one before it left
    version = api.get(f"/api/mois/{moi['id']}").json()["version"]
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+Shift+z")
    after = until(lambda: api.get(f"/api/mois/{moi['id']}").json(),
                   lambda m: m["version"] == version + 2, "MOI after undo + redo")
    assert abs(after["end"] - 1.6) < 1e-9

    # a second event, of any class
    page.get_by_role("button", name="New event…").click()
    form = page.get_by_role("form", name="New event")
    form.get_by_label("Class").fill("NES")
    form.get_by_label("Onset").fill("0:01.200")
    form.get_by_label("Offset").fill("0:02.400")
    form.get_by_role("button", name="Add event").click()
    expect(page.get_by_role("button", name=re.compile(r"^NES: 0:01\.200 – 0:02\.400"))
           ).to_be_visible()
    labels = {(e["label"], e["t0"], e["t1"])
              for e in api.get(f"/api/recordings/{rec['id']}/events").json()}
    assert ("NES", 1.2, 2.4) in labels
    # undo removes it again
    page.keyboard.press("Control+z")
    until(lambda: [e["label"] for e in api.get(f"/api/recordings/{rec['id']}/events").json()],
           lambda ls: "NES" not in ls, "events after undoing the new one")
    page.context.close()
    assert errors == []


def test_layers_agreement_history_and_consensus(
    live_server: Any, browser: Browser, shots: Path,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    _user(live_server, "rita", "reviewer")
    api, rec = _recording(live_server, tiny_video, preview_ready, "bed21/team.mp4")
    bob = live_server.login("bob")
    region, term = _vocab(api)
    mine = api.post(f"/api/recordings/{rec['id']}/events",
                     json={"t0": 0.6, "t1": 3.0, "label": "FLE"}).json()
    api.post(f"/api/events/{mine['id']}/mois",
             json={"region": region, "term": term, "start": 1.0, "end": 2.0})
    theirs = bob.post(f"/api/recordings/{rec['id']}/events",
                      json={"t0": 0.8, "t1": 3.2, "label": "TLE"}).json()
    bob.post(f"/api/events/{theirs['id']}/mois",
             json={"region": region, "term": term, "start": 1.2, "end": 2.0})
    api.patch(f"/api/events/{mine['id']}", json={"version": 1, "label": "FBTCS"})

    page = browser.new_context(viewport=VIEWPORT).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    log_in(page, live_server, "alice")
    row = page.get_by_test_id(f"labelling-{rec['id']}")
    expect(row).to_have_text("alice 1 ev / 1 MOI · bob 1 ev / 1 MOI · not adjudicated")
    page.goto(f"{live_server.url}/#/recordings/{rec['id']}")

    # agreement of the pair
    table = page.get_by_role("table", name="Agreement per pair")
    expect(table).to_contain_text("alice / bob")
    expect(page.get_by_test_id("agreement-summary")).to_contain_text("|onset Δ| 0.20 ± 0.00 (n=1)")

    # bob's event: read-only, no drag handle, copied into alice's layer
    expect(page.locator(f'[data-edge="event-{theirs["id"]}-t0"]')).to_have_count(0)
    expect(page.locator(f'[data-edge="event-{mine["id"]}-t0"]')).to_have_count(1)
    page.get_by_role("button", name=re.compile(r"^TLE: 0:00\.800")).click()
    expect(page.get_by_test_id("read-only-note")).to_contain_text("bob's: read-only")
    expect(page.get_by_role("button", name="Set class")).to_have_count(0)
    page.get_by_role("button", name="Copy to my layer").click()
    expect(page.get_by_role("button", name=re.compile(r"^TLE: 0:00\.800"))).to_have_count(2)
    authors = sorted(e["author"] for e in api.get(f"/api/recordings/{rec['id']}/events").json())
    assert authors == ["alice", "alice", "bob"]
    # hide bob's layer
    page.get_by_label("Show layer bob").uncheck()
    expect(page.get_by_role("button", name=re.compile(r"^TLE: 0:00\.800"))).to_have_count(1)

    # history of alice's first event: created, then relabelled FLE -> FBTCS
    page.get_by_role("button", name=re.compile(r"^FBTCS: 0:00\.600")).click()
    page.get_by_role("button", name=f"History of event {mine['id']}").click()
    history = page.get_by_role("list", name=f"History of event {mine['id']}")
    expect(history).to_contain_text('label: "FLE" → "FBTCS"')
    expect(history).to_contain_text("alice create event")
    page.screenshot(path=shots / "21-layers.png", full_page=True)
    page.context.close()

    # the reviewer takes bob's event (with alice's MOI ticked) into the consensus layer
    review = browser.new_context(viewport=VIEWPORT).new_page()
    review.on("pageerror", lambda err: errors.append(str(err)))
    log_in(review, live_server, "rita")
    review.goto(f"{live_server.url}/#/recordings/{rec['id']}")
    review.get_by_role("button", name="Adjudicate (consensus)…").click()
    expect(review.get_by_role("heading", name=re.compile("^Consensus of recording"))
           ).to_be_visible()
    alice_moi = api.get(f"/api/events/{mine['id']}/mois").json()[0]
    review.get_by_label(f"Use MOI {alice_moi['id']}").check()
    review.get_by_role("button", name=f"Take event {theirs['id']} into consensus").click()
    consensus = review.get_by_role("region", name="Layer consensus")
    expect(consensus).to_contain_text("TLE: 0:00.800 – 0:03.200")
    expect(consensus).to_contain_text("0:01.000 – 0:02.000")  # alice's MOI
    review.screenshot(path=shots / "22-consensus.png", full_page=True)
    events = api.get(f"/api/recordings/{rec['id']}/events").json()
    assert [e["label"] for e in events if e["layer"] == "consensus"] == ["TLE"]
    review.goto(f"{live_server.url}/#/")
    expect(review.get_by_test_id(f"labelling-{rec['id']}")).to_contain_text("consensus 1")
    review.context.close()
    assert errors == []


def test_admin_screens(live_server: Any, browser: Browser, shots: Path) -> None:
    _user(live_server, "adam", "admin")
    page = browser.new_context(viewport=VIEWPORT).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    log_in(page, live_server, "adam")
    page.get_by_role("menuitem", name="File").click()
    page.get_by_role("menuitem", name="Administration…").click()
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()

    # users and roles: add dora, make her a reviewer, deactivate her
    users = page.get_by_role("tabpanel", name="Users and roles")
    form = users.get_by_role("form", name="New user")
    form.get_by_label("New username").fill("dora")
    form.get_by_label("Initial password").fill(live_server.password)
    form.get_by_label("New user's role").select_option("clinician")
    form.get_by_role("button", name="Add user").click()
    role = users.get_by_label("Role of dora")
    expect(role).to_have_value("clinician")
    role.select_option("reviewer")
    expect(page.get_by_text("dora is now reviewer")).to_be_visible()
    assert live_server.login("dora").get("/api/auth/me").json()["user"]["role"] == "reviewer"
    users.get_by_role("button", name="Deactivate dora").click()
    expect(users.get_by_role("button", name="Reactivate dora")).to_be_visible()
    r = httpx.post(f"{live_server.url}/api/auth/login",
                   json={"username": "dora", "password": live_server.password})
    assert r.status_code == 401
    expect(users.get_by_label("Role of adam")).to_be_disabled()

    # clinics
    page.get_by_role("tab", name="Clinics").click()
    clinics = page.get_by_role("tabpanel", name="Clinics")
    clinics.get_by_label("Name").fill("Porto EMU")
    clinics.get_by_role("button", name="Add clinic").click()
    expect(clinics.get_by_role("table", name="Clinics list")).to_contain_text("Porto EMU")

    # vocabulary
    page.get_by_role("tab", name="Vocabulary").click()
    vocab = page.get_by_role("tabpanel", name="Vocabulary")
    vocab.get_by_label("Term code").fill("lip_smacking_x")
    vocab.get_by_label("Term label").fill("Lip smacking (test)")
    vocab.get_by_role("button", name="Add term").click()
    expect(vocab.get_by_role("list", name="MOI terms")).to_contain_text("Lip smacking (test)")

    # audit: what adam did to dora, with before / after; filtered by who and what
    page.get_by_role("tab", name="Audit log").click()
    audit = page.get_by_role("tabpanel", name="Audit log")
    audit.get_by_label("Who").fill("adam")
    audit.get_by_label("What").fill("user")
    audit.get_by_label("Action").select_option("update")
    audit.get_by_role("button", name="Filter").click()
    rows = audit.get_by_role("table", name="Audit entries").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("active: true → false")
    expect(rows.nth(1)).to_contain_text('role: "clinician" → "reviewer"')
    audit.get_by_label("Who").fill("nobody")
    audit.get_by_role("button", name="Filter").click()
    expect(audit.get_by_text("No entries match.")).to_be_visible()
    page.screenshot(path=shots / "23-admin.png", full_page=True)

    # a clinician gets no admin screen
    other = browser.new_context(viewport=VIEWPORT).new_page()
    log_in(other, live_server, "bob")
    other.goto(f"{live_server.url}/#/admin")
    expect(other.get_by_text("The administration is for admins.")).to_be_visible()
    other.context.close()
    page.context.close()
    assert errors == []


def test_streams_and_run_provenance(
    live_server: Any, browser: Browser, shots: Path,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    api, rec = _recording(live_server, tiny_video, preview_ready, "bed22/main.mp4")
    tiny_video(live_server.storage / "bed22" / "depth.mp4")
    page = browser.new_context(viewport=VIEWPORT).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    log_in(page, live_server, "alice")
    page.get_by_role("button", name="Streams of bed22/main.mp4").click()
    form = page.get_by_role("form", name="Attach a stream")
    form.get_by_label("Stream file (in server storage)").fill("bed22/depth.mp4")
    form.get_by_label("Stream kind").select_option("depth")
    form.get_by_role("button", name="Attach stream").click()
    table = page.get_by_role("table", name="Streams")
    expect(table).to_contain_text("bed22/depth.mp4")
    expect(table).to_contain_text("100 at 25 fps")
    assert [s["kind"] for s in api.get(f"/api/recordings/{rec['id']}/streams").json()] == ["depth"]
    page.context.close()

    # a run computed on these files: the timeline names its bundle and data; archived, it goes
    fingerprint = file_fingerprint(live_server.storage / "bed22" / "main.mp4")
    carol = live_server.login("carol")
    r = carol.post(f"/api/recordings/{rec['id']}/model-runs", json={
        "format": "ictal-predictions/1", "recording": f"rec-{rec['id']}",
        "model": {"name": "lstm-prov", "bundle_sha256": "cd" * 32, "backbone": "motion",
                  "preprocessing": {"variant": "2d", "source": "pose", "overrides": []}},
        "labels": ["FLE", "TLE"],
        "windows": [{"start_frame": 0, "stop_frame": 25, "t_start": 0.0, "t_stop": 1.0,
                     "probs": [0.8, 0.2]}],
        "decision": {"label": "FLE", "probs": [0.8, 0.2]},
        "source": {"recording": f"rec-{rec['id']}", "duration": 4.0,
                   "streams": [{"kind": "rgb", "fps": "25", "n_frames": 100,
                                "fingerprint": fingerprint}]}})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.on("pageerror", lambda err: errors.append(str(err)))
    log_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/#/recordings/{rec['id']}")
    page.get_by_label("Model run shown on the timeline").select_option(value=str(run_id))
    expect(page.get_by_test_id("run-bundle")).to_have_text(
        "Model: lstm-prov · bundle cdcdcdcdcdcd… · backbone motion · preprocessing 2d (pose)")
    expect(page.get_by_test_id("run-source")).to_have_text(
        f"Data: rec-{rec['id']} · 4.00 s · rgb 25 fps 100 frames #{fingerprint[:8]}…")
    page.screenshot(path=shots / "24-provenance.png", full_page=True)
    page.get_by_role("button", name="Archive run").click()
    expect(page.get_by_label("Model run shown on the timeline")).not_to_contain_text("lstm-prov")
    assert carol.get(f"/api/model-runs/{run_id}").json()["archived_at"] is not None
    page.context.close()
    assert errors == []
